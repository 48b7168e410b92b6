"""The Datasette plugin (entry point ``meso_formulary`` in the ``datasette`` group).

Installed with the package, it gives any Datasette that serves a catalogue file:

- ``/-/meso-search``: search by concern, with exclusions and an area (``.json`` for the API);
- ``/-/meso-cocktail/<supplier>/<slug>``: composition, course timeline, aftercare, sources
  (``.json``: the cocktail as ``meso show --json`` gives it);
- metadata for the catalogue's tables (:mod:`meso_formulary.web.metadata`);
- a "Search by concern" link in Datasette's menu;
- client errors (404 and the like) answered without Datasette's rich traceback printing
  (:func:`handle_exception`);
- ``/-/meso-compare?id=A&id=B``: two to four cocktails side by side (``.json``: the rows of
  ``meso compare --json``); ``/`` leads to the search; any other ``/-/meso-...`` address is
  a friendly 404;
- security headers on every response (:func:`asgi_wrapper`, :data:`SECURITY_HEADERS`);
  cache headers on static files and gzip for text (:func:`delivered`);
- for a server ``meso serve`` built (:func:`guard`): every write method answered 405 before
  Datasette sees it, and SQLite limits on every connection (:func:`prepare_connection`).

Everything goes through Datasette's plugin hooks: nothing of Datasette is patched.

It adds no write endpoint: every page answers GET only, on Datasette's read connection.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import sqlite3
import weakref
import zlib
from base64 import b64encode
from collections.abc import Awaitable, Callable, Generator, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import datasette as datasette_package
from datasette.utils import add_cors_headers
from datasette.utils.asgi import Base400, Response, asgi_static
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from pluggy import HookimplMarker

from meso_formulary.web import attached
from meso_formulary.web.course_download import course_ics_view
from meso_formulary.web.metadata import instance_metadata
from meso_formulary.web.paths import COCKTAIL_PATH, COMPARE_PATH, SEARCH_PATH, STATIC_PATH
from meso_formulary.web.views import (
    cocktail_view,
    compare_view,
    not_found_view,
    root_view,
    search_view,
    static_hash,
    static_url,
)

if TYPE_CHECKING:
    from pluggy import Result

HERE = Path(__file__).resolve().parent

hookimpl = HookimplMarker("datasette")
"""Datasette's hook marker (``datasette.hookimpl``), from typed pluggy."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_VALUE_BYTES = 1_000_000
"""SQLITE_LIMIT_LENGTH on a guarded server's connections: the longest string or blob a
statement may build or read. A catalogue's largest value (a cocktail's record) is some
kilobytes; a string bomb (``printf('%.*c', 2000000000, 'x')``, ``zeroblob(2e9)``, a
``replace`` that multiplies) stops at once with "string or blob too big" instead of taking
gigabytes in one SQLite call, which no time limit can interrupt."""

SQLITE_LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: MAX_VALUE_BYTES,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 100_000,
    sqlite3.SQLITE_LIMIT_COLUMN: 200,
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 100,
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
}
"""Every limit set on a guarded server's connections (each well above what the catalogue's
own queries and Datasette's pages use): the longest value, the longest SQL text, the widest
result row, the longest LIKE pattern (a pattern is matched inside one SQLite call), no
ATTACH."""

UNBOUNDED_FUNCTIONS = frozenset({"printf", "format"})
"""SQL functions refused on a guarded server: SQLite 3.40's ``printf('%.*c', 2000000000,
'x')`` loops two billion times inside one call after the length limit stopped its string
(11 s, out of reach of any time limit). Neither the catalogue's queries nor Datasette's
use them."""

RESULT_BUDGET = 64_000_000
"""Bytes of values one statement may hand to Python on a guarded server (a table page of
1,000 rows of kilobyte records is some megabytes): rows of megabyte strings stop there with
an error instead of filling the server's memory."""

HIDDEN_PRAGMAS = frozenset({"pragma_database_list"})
"""Table-valued pragmas whose columns read as NULL on a guarded server: ``database_list``
names the file's absolute path. (Datasette's SQL page allows only this form; the
``PRAGMA database_list`` statement, which the search reads to key its cache by file, is
not open to visitors.)"""

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""The methods a guarded server answers; any other is answered 405 before Datasette sees it."""

_GUARDED: weakref.WeakSet[Any] = weakref.WeakSet()
"""The Datasette instances ``meso serve`` built (see :func:`guard`)."""


def guard(datasette: Any) -> None:
    """Mark ``datasette`` as a server of ``meso serve``: writes are refused with 405 and its
    connections get :data:`SQLITE_LIMITS`. (A plain ``datasette`` with the plugin keeps
    Datasette's own behaviour there; the security headers go on every instance.)"""
    _GUARDED.add(datasette)


def is_guarded(datasette: Any) -> bool:
    """True for a server built by ``meso serve`` (:func:`guard`)."""
    return datasette in _GUARDED


def _static_inline_blocks() -> tuple[str, ...]:
    """The inline ``<script>`` and ``<style>`` blocks of Datasette's own templates whose text
    holds no template code: the same bytes on every page, so the CSP may allow each by its
    hash (the menu-closing script of every page, the SQL editor's script and style, the table
    page's facet flag)."""
    folder = Path(datasette_package.__file__).resolve().parent / "templates"
    blocks = {
        "DATASETTE_ALLOW_FACET = true;",
        "DATASETTE_ALLOW_FACET = false;",
    }
    for template in sorted(folder.glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"(?s)<(script|style)>(.*?)</\1>", text):
            body = match.group(2)
            if "{{" not in body and "{%" not in body:
                blocks.add(body)
    return tuple(sorted(blocks))


def _csp_hash(text: str) -> str:
    digest = b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def content_security_policy() -> str:
    """The Content-Security-Policy of every response: scripts, styles, images and fonts from
    the server itself only; inline code only when it is one of Datasette's fixed blocks
    (by hash). The plugin's own pages carry no inline code at all (their style is
    ``/-/meso-static/meso.css``). Datasette's pages keep their inline ``style=`` colour
    bars and per-table ``<style>`` blocks out (cosmetic only)."""
    hashes = " ".join(_csp_hash(block) for block in _static_inline_blocks())
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' {hashes}",
            f"style-src 'self' {hashes}",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", content_security_policy().encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
"""Sent with every response: the CSP above, no MIME sniffing, no framing, no referrer."""


@hookimpl
def startup(datasette: Any) -> Callable[[], Awaitable[None]]:
    async def find() -> None:
        await attached.find_catalogues(datasette)

    return find


@hookimpl
def asgi_wrapper(datasette: Any) -> Callable[[App], App]:
    """Security headers on every response; on a guarded server, 405 for every write; cache
    headers on static files and gzip for text (:func:`delivered`)."""

    def wrap(inner: App) -> App:
        app = delivered(inner, datasette)

        async def secured(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    present = {name.lower() for name, _ in message.get("headers", [])}
                    extra = [h for h in SECURITY_HEADERS if h[0] not in present]
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
                await send(message)

            if is_guarded(datasette) and scope.get("method", "GET") not in READ_METHODS:
                await _method_not_allowed(scope, send_with_headers)
                return
            await app(scope, receive, send_with_headers)

        return secured

    return wrap


STATIC_NAME = re.compile(r"[a-z-]+\.css")
"""The names of the plugin's static files (the only addresses under ``/-/meso-static/``)."""

STATIC_CACHE = b"public, max-age=86400"
"""Cache-Control of a static file (the plugin's CSS, Datasette's own): kept a day."""

IMMUTABLE_CACHE = b"public, max-age=31536000, immutable"
"""Cache-Control of a plugin static file asked for by its content hash (``meso.css?v=<hash>``,
the address the pages link to): kept for good, a changed file has a new address."""

COMPRESSIBLE_TYPES = (
    b"text/",
    b"application/json",
    b"application/javascript",
    b"application/xml",
    b"image/svg+xml",
)
"""Content types compressed with gzip when the client accepts it."""

MIN_GZIP_BYTES = 512
"""Bodies shorter than this are sent as they are (gzip's header would eat the gain)."""

GZIP_BUFFER_BYTES = 256 * 1024
"""A body is collected up to this size and sent compressed in one piece with its length;
a longer (streamed) body is compressed as it comes, chunk by chunk."""


def delivered(app: App, datasette: Any) -> App:
    """``app`` with, on every HTTP response: ``Cache-Control`` on a successful static file
    (:data:`STATIC_CACHE`, or :data:`IMMUTABLE_CACHE` for the plugin's file at its hashed
    address), and gzip for a text body (:data:`COMPRESSIBLE_TYPES`) when the request's
    ``Accept-Encoding`` allows it (``Vary: Accept-Encoding`` on every such answer)."""

    async def deliver(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        cache = _static_cache(datasette, scope)
        gzip_allowed = scope.get("method") == "GET" and _accepts_gzip(scope)
        state: dict[str, Any] = {}

        async def send_delivered(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
                names = {k.lower() for k, _ in headers}
                if cache and message["status"] == 200 and b"cache-control" not in names:
                    headers.append((b"cache-control", cache))
                content_type = _header(headers, b"content-type") or b""
                if content_type.lower().startswith(COMPRESSIBLE_TYPES):
                    headers = _vary(headers, b"Accept-Encoding")
                    if (
                        gzip_allowed
                        and b"content-encoding" not in names
                        and message["status"] not in (204, 304)
                    ):
                        state["gzip"] = _Gzip({**message, "headers": headers}, send)
                        return
                await send({**message, "headers": headers})
            elif message["type"] == "http.response.body" and "gzip" in state:
                await state["gzip"].body(message)
            else:
                await send(message)

        await app(scope, receive, send_delivered)

    return deliver


class _Gzip:
    """One response's body, gzipped: collected up to :data:`GZIP_BUFFER_BYTES` and sent in
    one piece (with its length; a body under :data:`MIN_GZIP_BYTES` as it is), else
    compressed chunk by chunk as it streams."""

    def __init__(self, start: Message, send: Send) -> None:
        self.start: Message | None = start
        self.send = send
        self.held: list[bytes] = []
        self.size = 0
        self.compressor: Any = None

    async def body(self, message: Message) -> None:
        chunk = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        if self.compressor is None:
            self.held.append(chunk)
            self.size += len(chunk)
            if not more:
                await self._whole(b"".join(self.held))
                return
            if self.size <= GZIP_BUFFER_BYTES:
                return
            await self._begin_stream()
            chunk = b"".join(self.held)
        data = self.compressor.compress(chunk)
        data += self.compressor.flush(zlib.Z_SYNC_FLUSH if more else zlib.Z_FINISH)
        await self.send({"type": "http.response.body", "body": data, "more_body": more})

    async def _whole(self, body: bytes) -> None:
        assert self.start is not None
        headers = [(k, v) for k, v in self.start["headers"] if k.lower() != b"content-length"]
        if len(body) >= MIN_GZIP_BYTES:
            body = gzip.compress(body, compresslevel=6, mtime=0)
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode("ascii")))
        await self.send({**self.start, "headers": headers})
        await self.send({"type": "http.response.body", "body": body, "more_body": False})

    async def _begin_stream(self) -> None:
        assert self.start is not None
        headers = [(k, v) for k, v in self.start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-encoding", b"gzip"))
        await self.send({**self.start, "headers": headers})
        self.start = None
        self.compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip stream


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    return next((v for k, v in headers if k.lower() == name), None)


def _vary(headers: list[tuple[bytes, bytes]], name: bytes) -> list[tuple[bytes, bytes]]:
    """``headers`` with ``name`` in their one ``Vary`` header (added or appended to)."""
    parts = [
        part.strip()
        for key, value in headers
        if key.lower() == b"vary"
        for part in value.split(b",")
        if part.strip()
    ]
    if b"*" not in parts and name.lower() not in {p.lower() for p in parts}:
        parts.append(name)
    return [*((k, v) for k, v in headers if k.lower() != b"vary"), (b"vary", b", ".join(parts))]


def _accepts_gzip(scope: Scope) -> bool:
    """Whether the request's ``Accept-Encoding`` names gzip (or ``*``) with a non-zero q."""
    for key, value in scope.get("headers", []):
        if bytes(key).lower() != b"accept-encoding":
            continue
        for part in bytes(value).decode("latin-1").lower().split(","):
            coding, _, params = part.partition(";")
            if coding.strip() not in ("gzip", "*"):
                continue
            q = params.strip().removeprefix("q=")
            try:
                if not params.strip() or float(q) > 0:
                    return True
            except ValueError:
                continue
    return False


def _static_cache(datasette: Any, scope: Scope) -> bytes | None:
    """The Cache-Control of a static file's address, ``None`` for any other address."""
    path = str(scope.get("path", ""))
    own = datasette.urls.path(f"{STATIC_PATH}/")
    if path.startswith(own):
        query = bytes(scope.get("query_string", b"")).decode("latin-1")
        name = path[len(own) :]
        hashed = (
            STATIC_NAME.fullmatch(name) is not None
            and (HERE / "static" / name).is_file()
            and query == f"v={static_hash(name)}"
        )
        return IMMUTABLE_CACHE if hashed else STATIC_CACHE
    others = (datasette.urls.path("/-/static/"), datasette.urls.path("/-/static-plugins/"))
    return STATIC_CACHE if path.startswith(others) else None


async def _method_not_allowed(scope: Scope, send: Send) -> None:
    path = str(scope.get("path", ""))
    if path.endswith(".json"):
        body = b'{"ok": false, "error": "This server is read-only: it answers GET only.", ' + (
            b'"status": 405}'
        )
        content_type = b"application/json; charset=utf-8"
    else:
        body = b"405 Method Not Allowed: this server is read-only, it answers GET only.\n"
        content_type = b"text/plain; charset=utf-8"
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"allow", b"GET, HEAD, OPTIONS"),
    ]
    await send({"type": "http.response.start", "status": 405, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    """On a guarded server, on every connection Datasette opens: :data:`SQLITE_LIMITS`,
    :data:`UNBOUNDED_FUNCTIONS` refused, :data:`HIDDEN_PRAGMAS` read as NULL and
    :data:`RESULT_BUDGET` on what a statement returns."""
    if is_guarded(datasette):
        for limit, value in SQLITE_LIMITS.items():
            conn.setlimit(limit, value)
        conn.set_authorizer(_authorize)
        conn.row_factory = _budgeted_rows(conn.row_factory)


def _authorize(action: int, arg1: str | None, arg2: str | None, *_: str | None) -> int:
    if action == sqlite3.SQLITE_READ and (arg1 or "").lower() in HIDDEN_PRAGMAS:
        return sqlite3.SQLITE_IGNORE  # the columns read as NULL
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in UNBOUNDED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _budgeted_rows(make_row: Any) -> Callable[[sqlite3.Cursor, tuple[Any, ...]], Any]:
    """A row factory that counts the bytes each cursor has returned and stops it past
    :data:`RESULT_BUDGET` (then builds the row as ``make_row`` does)."""
    spent: weakref.WeakKeyDictionary[sqlite3.Cursor, int] = weakref.WeakKeyDictionary()

    def row(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> Any:
        size = sum(len(v) for v in values if isinstance(v, (str, bytes)))
        total = spent.get(cursor, 0) + size + 8 * len(values)
        if total > RESULT_BUDGET:
            raise sqlite3.OperationalError(
                f"result too large: over {RESULT_BUDGET // 1_000_000} MB; select fewer rows "
                "or shorter values"
            )
        spent[cursor] = total
        return make_row(cursor, values) if make_row is not None else values

    return row


@hookimpl(hookwrapper=True)
def handle_exception(
    datasette: Any, request: Any, exception: Exception
) -> Generator[None, Result[list[Any]], None]:
    """Answer a client error (404, 400, 403 from Datasette's own pages) without Datasette's
    default handler, which prints every error with rich when rich can be imported (and
    meso-formulary depends on rich): a page of traceback and locals, request headers
    included, for each 404, and for an address no route matches it prints outside an
    ``except`` block, where rich raises ValueError and the 404 becomes a 500. The answer is
    the default's (``error.html``, or JSON for a ``.json`` address); other errors and other
    plugins' answers are left alone. (An old-style hook wrapper: Datasette 0.65 asks only
    for pluggy 1.0.)
    """
    outcome = yield
    if isinstance(exception, Base400):
        default = "datasette.handle_exception"
        answers = [a for a in outcome.get_result() if getattr(a, "__module__", None) != default]
        outcome.force_result([*answers, _client_error(datasette, request, exception)])


def _client_error(
    datasette: Any, request: Any, exception: Base400
) -> Callable[[], Awaitable[Response]]:
    async def answer() -> Response:
        status = exception.status
        info = {"ok": False, "error": exception.args[0], "status": status, "title": None}
        headers: dict[str, str] = {}
        if datasette.cors:
            add_cors_headers(headers)
        if request.path.split("?")[0].endswith(".json"):
            return Response.json(info, status=status, headers=headers)
        template = datasette.jinja_env.select_template([f"{status}.html", "meso_error.html"])
        context = {
            **info,
            "title": "Page not found" if status == 404 else None,
            "urls": datasette.urls,
            "app_css_hash": datasette.app_css_hash(),
            "css_url": static_url(datasette, "meso.css"),
            "search_url": datasette.urls.path(SEARCH_PATH),
            "menu_links": list,
        }
        body = await template.render_async(context)
        return Response.html(body, status=status, headers=headers)

    return answer


@hookimpl
def prepare_jinja2_environment(env: Environment, datasette: Any) -> None:
    # A --template-dir first, then the plugin's templates, then Datasette's: the plugin's
    # base.html (Datasette's with the page's language and a <main> landmark) serves every page.
    first = [] if datasette.template_dir is None else [FileSystemLoader(datasette.template_dir)]
    loaders = [] if env.loader is None else [env.loader]
    ours = FileSystemLoader(str(HERE / "templates"))
    env.loader = ChoiceLoader([*first, ours, *loaders])


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> Any:
    found = attached.catalogues(datasette)
    if not found:
        return None
    # Built afresh each call: Datasette merges into the dictionaries it is given.
    return instance_metadata(datasette.urls.path(SEARCH_PATH), {c.name: c.suppliers for c in found})


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [
        (rf"^{SEARCH_PATH}(?P<format>\.json)?$", search_view),
        (rf"^{COCKTAIL_PATH}/(?P<supplier>[^/]+)/(?P<slug>[^/]+?)\.ics$", course_ics_view),
        (
            rf"^{COCKTAIL_PATH}/(?P<supplier>[^/]+)/(?P<slug>[^/]+?)(?P<format>\.json)?$",
            cocktail_view,
        ),
        (rf"^{STATIC_PATH}/(?P<path>{STATIC_NAME.pattern})$", asgi_static(HERE / "static")),
        (rf"^{COMPARE_PATH}(?P<format>\.json)?$", compare_view),
        (r"^/$", root_view),
        # Last: any other address of the plugin's is the friendly 404.
        (r"^/-/meso-.*$", not_found_view),
    ]


@hookimpl
def menu_links(datasette: Any, actor: Any, request: Any) -> list[dict[str, str]]:
    if not attached.catalogues(datasette):
        return []
    return [{"href": datasette.urls.path(SEARCH_PATH), "label": "Search by concern"}]
