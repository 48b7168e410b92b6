"""Every example in README.md and docs/ runs as documented.

The examples are found in the files (README.md, docs/**/*.md and what those pages
``{include}``), so a new one is run without touching this test:

- ```` ```console ```` blocks: each ``$ command`` line is run; the lines shown under it (up to
  a blank line or the next ``$``) must appear in what it prints, in order. A shown ``Error:``
  line means the example fails on purpose (a non-zero exit); otherwise it must exit 0. A
  shown ``[y/N]: y`` is the answer typed at the prompt.
- ```` ```bash ````, ```` ```sh ```` and ```` ```shell ```` blocks: each line is a command (``#``
  comments, ``\\`` continuations), or, when the block is a shell script rather than a list
  of ``meso``/``python``/``datasette`` lines, the whole block runs in ``bash -e``.
- ```` ```python ```` blocks run as they are; ``GET /path`` lines (```` ```http ```` blocks,
  or unlabelled ones) are requested from the web plugin and must answer 200.
- Unlabelled blocks: their lines starting with ``meso``, ``python``, ``pip`` or
  ``datasette`` (or ``$`` and one of them), and the lines of an ``Examples:`` paragraph (the
  examples ``--help`` prints, copied into docs/cli.md).
- Inline code in prose: a ``meso`` command with every required argument and no placeholder
  (``ID``, ``FILE``, ``[FINGERPRINT]``) is run; any other ``meso ...`` mention must name a
  real command and real options of it. ``python -m`` and ``python -c`` lines run too.
- ``a && b`` runs ``a``, then ``b``.

Examples run in document order, one folder per document (so a later example sees what an
earlier one made: keys, bundles, ``clinic.db``), with the files the docs name prepared from
``examples/`` and ``tests/`` (:func:`_prepare`), the reference catalogue of the session's
``MESO_DATA_DIR`` and ``HOME`` in the folder. ``meso`` runs in-process through click's
:class:`~click.testing.CliRunner`; ``meso serve`` runs with the listening socket on a free
loopback port and no serving loop (:func:`_serve_once`); ``datasette`` runs its own
command with ``--get``, which answers one request without a socket. A few commands are
not run, each for the reason in :data:`NOT_RUN`; an example this test does not know how to
run fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import runpy
import shlex
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import click
import pytest
import yaml
from click.testing import CliRunner

from meso_formulary.cli import cli

ROOT = Path(__file__).resolve().parents[1]
Kind = Literal["command", "script", "python", "http"]


@dataclass(frozen=True)
class Example:
    """One example: where it is, what kind, its text and the output the doc shows."""

    doc: str
    line: int
    kind: Kind
    text: str
    shown: tuple[str, ...] = ()
    inline: bool = False

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


INCLUDE = re.compile(r"^```\{include\}\s+(\S+)", re.M)


def _documents() -> list[Path]:
    """README.md, every Markdown page under docs/ (``_``-folders aside) and the files those
    pages ``{include}`` (the Sphinx site's pages of bench/README.md, say)."""
    pages = [ROOT / "README.md"]
    pages += [
        page
        for page in sorted((ROOT / "docs").rglob("*.md"))
        if not any(part.startswith(("_", ".")) for part in page.relative_to(ROOT).parts)
    ]
    for page in list(pages):
        for target in INCLUDE.findall(page.read_text(encoding="utf-8")):
            included = (page.parent / target).resolve()
            if included not in pages and included.suffix == ".md":
                pages.append(included)
    return pages


FENCE = re.compile(r"^```([^\s`]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
PROGRAMS = ("meso", "python", "pip", "datasette")
SHELL_KINDS = ("bash", "sh", "shell")
DATA_KINDS = ("json", "yaml", "csv", "toml", "text", "{include}", "{toctree}", "{eval-rst}")
"""Blocks that show data or Sphinx directives, not commands."""


def _logical_lines(body: str) -> Iterator[tuple[int, str]]:
    """(offset, line) with ``\\`` continuations joined."""
    pending = ""
    start = 0
    for offset, line in enumerate(body.splitlines()):
        if not pending:
            start = offset
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield start, pending + line
        pending = ""


def _program(line: str) -> str:
    """The program a command line runs, past ``VAR=value`` assignments."""
    words = line.split()
    while words and re.fullmatch(r"[A-Za-z_]\w*=\S*", words[0]):
        words = words[1:]
    return words[0] if words else ""


def _console(doc: str, first: int, body: str) -> Iterator[Example]:
    lines = list(_logical_lines(body))
    for index, (offset, line) in enumerate(lines):
        if not line.startswith("$ "):
            continue
        shown: list[str] = []
        for _, after in lines[index + 1 :]:
            if after.startswith("$ ") or not after.strip():
                break
            shown.append(after.rstrip())
        yield Example(doc, first + offset, "command", line[2:].strip(), tuple(shown))


def _shell(doc: str, first: int, body: str) -> Iterator[Example]:
    commands = [
        (offset, line.strip())
        for offset, line in _logical_lines(body)
        if line.strip() and not line.strip().startswith("#")
    ]
    if all(_program(line) in (*PROGRAMS, "eval") or _not_run(line) for _, line in commands):
        for offset, line in commands:
            yield Example(doc, first + offset, "command", line)
    else:
        yield Example(doc, first, "script", body)


def _unlabelled(doc: str, first: int, body: str) -> Iterator[Example]:
    in_examples = False
    for offset, line in enumerate(body.splitlines()):
        stripped = line.strip()
        if in_examples and stripped:
            yield Example(doc, first + offset, "command", stripped)
            continue
        in_examples = stripped == "Examples:"
        if line.removeprefix("$ ").startswith(tuple(f"{program} " for program in PROGRAMS)):
            yield Example(doc, first + offset, "command", line.removeprefix("$ "))
        elif line.startswith("GET /"):
            yield Example(doc, first + offset, "http", stripped)


def _inline(doc: str, text: str) -> Iterator[Example]:
    """Code spans in prose that are commands (fenced blocks blanked out first)."""
    prose = FENCE.sub(lambda block: "\n" * block.group(0).count("\n"), text)
    for match in INLINE.finditer(prose):
        span = match.group(1).strip()
        if span.split(" ", 1)[0] in PROGRAMS and " " in span:
            line = prose.count("\n", 0, match.start()) + 1
            yield Example(doc, line, "command", span, inline=True)


def discover() -> list[Example]:
    """Every example of every document, in document order."""
    found: list[Example] = []
    for page in _documents():
        doc = page.relative_to(ROOT).as_posix()
        text = page.read_text(encoding="utf-8")
        for block in FENCE.finditer(text):
            kind, body = block.group(1), block.group(2)
            first = text.count("\n", 0, block.start()) + 2  # the block's first line
            if kind == "console":
                found += _console(doc, first, body)
            elif kind in SHELL_KINDS:
                found += _shell(doc, first, body)
            elif kind == "python":
                found.append(Example(doc, first, "python", body))
            elif kind == "http":
                found += [
                    Example(doc, first + offset, "http", line.strip())
                    for offset, line in enumerate(body.splitlines())
                    if line.strip()
                ]
            elif kind == "":
                found += _unlabelled(doc, first, body)
        found += _inline(doc, text)
    return sorted(found, key=lambda example: (example.doc, example.line))


@dataclass(frozen=True)
class NotRun:
    """A kind of command this test does not run, why, and what it checks instead."""

    pattern: str
    reason: str
    check: Callable[[list[str]], str | None]


def _named_files_exist(argv: list[str]) -> str | None:
    missing = [word for word in argv if word.endswith(".py") and not (ROOT / word).is_file()]
    return f"names files that do not exist: {missing}" if missing else None


def _extras_exist(argv: list[str]) -> str | None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    extras = [extra for word in argv for extra in re.findall(r"\[([\w,]+)\]", word)]
    unknown = [
        name
        for group in extras
        for name in group.split(",")
        if not re.search(rf"^{name} = \[", pyproject, re.M)
    ]
    return f"names extras pyproject.toml does not have: {unknown}" if unknown else None


def _ci_installs_the_same(argv: list[str]) -> str | None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    packages = [word for word in argv[2:] if not word.startswith("-") and "@" in word]
    if not packages:
        return "names no pinned package (name@version)"
    missing = [package for package in packages if package not in ci]
    return f".ci/run does not install {missing}" if missing else None


NOT_RUN = (
    NotRun(
        r"npm install\b",
        "downloads from the npm registry: .ci/run installs the same pinned package, and "
        "tests/test_web_browser.py checks the file's sha256",
        _ci_installs_the_same,
    ),
    NotRun(
        r"pip install\b",
        "installs into the running environment (tests/test_packaging.py builds and installs "
        "the wheel; .ci/run installs the extras)",
        _extras_exist,
    ),
    NotRun(
        r"(\w+=\S+\s+)*python -m pytest\b",
        "runs the test suite this test is part of",
        lambda argv: _named_files_exist([w for w in argv if w.startswith("tests/")]),
    ),
    NotRun(
        r"python bench/",
        "a benchmark: minutes of work on a large generated catalogue (bench/README.md)",
        _named_files_exist,
    ),
    NotRun(
        r"python -m sphinx\b",
        "builds the documentation site, some seconds: .ci/run builds it with warnings as "
        "errors (tests/test_docs_site.py checks its parts)",
        lambda argv: None if (ROOT / "docs" / "conf.py").is_file() else "no docs/conf.py",
    ),
    NotRun(
        r"python tests/test_\w+_docs\.py$",
        "rewrites the generated part of a page; run as a test, the same file checks it",
        _named_files_exist,
    ),
)


def _not_run(line: str) -> NotRun | None:
    return next((entry for entry in NOT_RUN if re.match(entry.pattern, line)), None)


EXAMPLES = discover()


PLACEHOLDER = re.compile(r"^[A-Z]+(_[A-Z]+)*\]?$|\.\.\.|…|^\[|^<.*>$")


def _acme_v2(v3: Path) -> str:
    """The example catalogue one version back, as docs/publishing.md's ``meso diff`` shows
    it: before bright-tone was added, and hair-revive without its peptide complex and with
    more dexpanthenol."""
    data = yaml.safe_load(v3.read_text(encoding="utf-8"))
    data["version"] = 2
    data["cocktails"] = [c for c in data["cocktails"] if c["id"] != "acme/bright-tone"]
    hair = next(c for c in data["cocktails"] if c["id"] == "acme/hair-revive")
    hair["composition"] = [
        {**line, "strength": {"value": 25, "unit": "mg/mL"}}
        if line["ingredient"] == "dexpanthenol"
        else line
        for line in hair["composition"]
        if line["ingredient"] != "acme-hair-peptide-complex"
    ]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _reference_file() -> Path:
    from meso_formulary.catalogue.store.default_connection import connect_default
    from meso_formulary.catalogue.store.embedded import default_file

    connect_default().close()
    path: Path = default_file()
    return path


def _prepare(folder: Path, text: str) -> None:
    """The files a document's examples name, as a reader would have them."""
    acme = ROOT / "examples" / "acme-catalogue.yaml"
    copies: dict[str, Callable[[], Path]] = {
        "acme-catalogue.yaml": lambda: acme,
        "acme-catalogue.json": lambda: ROOT / "examples" / "acme-catalogue.json",
        "acme-v3.yaml": lambda: acme,
        "acme.yaml": lambda: acme,
        "catalogue.yaml": lambda: acme,
        "my-catalogue.yaml": lambda: acme,
        "file.csv": lambda: ROOT / "tests" / "fixtures" / "acme-supplier.csv",
        "cosing-inventory.csv": lambda: ROOT / "tests/data/cosing/inventory_sample.csv",
        "annex_II.csv": lambda: ROOT / "tests/data/cosing/annexes/annex_II.csv",
        "annex_III.csv": lambda: ROOT / "tests/data/cosing/annexes/annex_III.csv",
        "catalogue.db": _reference_file,
        "published.db": _reference_file,
    }
    for name, source in copies.items():
        if name in text:
            shutil.copyfile(source(), folder / name)
    if "acme-v2.yaml" in text:
        (folder / "acme-v2.yaml").write_text(_acme_v2(acme), encoding="utf-8")


def _two_acme_versions(session: Session, argv: list[str]) -> None:
    """``meso diff acme --from 2 --to 3 --db X`` needs both versions stored in X."""
    db = session.folder / argv[argv.index("--db") + 1]
    db.unlink(missing_ok=True)
    for version in ("acme-v2.yaml", "acme-v3.yaml"):
        result = session.meso(["import", version, "--unsigned", "--db", str(db)])
        assert result.exit_code == 0, result.output


SETUP: tuple[tuple[str, Callable[[Session, list[str]], None]], ...] = (
    (r"meso diff acme --from 2 --to 3 --db \S+", _two_acme_versions),
)
"""State an example assumes that no earlier example of its page makes, by command."""


def _setups(argv: list[str]) -> list[Callable[[Session, list[str]], None]]:
    return [setup for pattern, setup in SETUP if re.fullmatch(pattern, " ".join(argv))]


VARIES = (
    (r"[0-9a-f]{4}(?:\\ [0-9a-f]{4})+", r"[0-9a-f]{4}(?: [0-9a-f]{4})*"),  # a fingerprint
    (r"[A-Za-z0-9+/]{43}=", r"[A-Za-z0-9+/]{43}="),  # an Ed25519 key in base64
    (r"\d{4}\\-\d{2}\\-\d{2}\\ \d{2}:\d{2}", r"\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}"),  # a time
    (r"(\\ )?\\\.\\\.\\\.$", ".*"),  # a trailing "...": the rest of the line
)
"""What differs on every run in a shown line (found in its escaped form), as a pattern."""


def _shape(shown: str) -> re.Pattern[str]:
    """A shown line as a pattern: keys, fingerprints and times differ on every run, and a
    trailing ``...`` elides the rest of the line."""
    pattern = re.escape(shown.rstrip())
    for varies, shape in VARIES:
        pattern = re.sub(varies, shape, pattern)
    return re.compile(pattern)


def _missing_lines(shown: tuple[str, ...], output: str) -> list[str]:
    """The shown lines that do not appear, in order, among the printed lines."""
    printed = [line.rstrip() for line in output.splitlines()]
    missing: list[str] = []
    position = 0
    for line in shown:
        pattern = _shape(line)
        for index in range(position, len(printed)):
            if pattern.fullmatch(printed[index]):
                position = index + 1
                break
        else:
            missing.append(line)
    return missing


def _serve_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """``meso serve`` does everything up to serving (checks, Datasette start-up, the
    address it prints) on a free loopback port, then returns instead of serving."""
    import uvicorn

    from meso_formulary.web import server

    monkeypatch.setattr(
        server, "_listen", lambda host, port: socket.create_server(("127.0.0.1", 0))
    )
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: None)


def _leaf(argv: list[str]) -> tuple[click.Command, list[str], str | None]:
    """The ``meso`` command ``argv`` names and its own arguments, or why there is none."""
    command: click.Command = cli
    words = argv[1:]
    while isinstance(command, click.Group) and words and not words[0].startswith("-"):
        with click.Context(command) as ctx:
            sub = command.get_command(ctx, words[0])
        if sub is None:
            return command, words, f"meso has no command {words[0]!r}"
        command, words = sub, words[1:]
    return command, words, None


def _reference_problem(argv: list[str]) -> str | None:
    """A mention of a command (no run): the command and the options it names must exist."""
    command, words, problem = _leaf(argv)
    if problem:
        return problem
    known = {name for param in command.params for name in (*param.opts, *param.secondary_opts)}
    known |= {"--help", "-h"}
    options = [word.strip("[]").split("=")[0] for word in words if word.lstrip("[").startswith("-")]
    unknown = [option for option in options if option != "-" and option not in known]
    return f"names options {command.name} does not have: {unknown}" if unknown else None


def _complete(argv: list[str], *, inline: bool) -> bool:
    """Whether ``argv`` gives every required argument and option value (a full command).

    In prose, ``meso search`` alone names the command; in a block it runs."""
    command, words, problem = _leaf(argv)
    if problem or (inline and not words) or any(PLACEHOLDER.search(w) for w in argv):
        return False
    if {"--help", "-h", "--version", "-V"} & set(words):
        return True
    # Under meso's own context, as a run would be: a command given a context of its own
    # keeps a --help option without -h, and every later --help of it would show that.
    root = click.Context(cli, info_name="meso", **cli.context_settings)
    try:
        command.make_context(command.name or "meso", list(words), parent=root)
    except (click.MissingParameter, click.BadOptionUsage):
        return False
    except (click.ClickException, click.exceptions.Exit):
        return True
    return True


@dataclass
class Session:
    """One document's folder and the examples of it run so far."""

    folder: Path
    data_dir: Path
    done: int = 0
    env: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env = {
            "MESO_DATA_DIR": str(self.data_dir),
            "HOME": str(self.folder),
            "MESO_DB": None,
            "NO_COLOR": None,
            "COLUMNS": "80",
        }

    def meso(self, args: list[str], *, stdin: str | None = None, **env: str) -> Any:
        with contextlib.chdir(self.folder), pytest.MonkeyPatch.context() as patch:
            if args[:1] == ["serve"]:
                _serve_once(patch)
            return CliRunner().invoke(
                cli, args, input=stdin, env={**self.env, **env}, prog_name="meso"
            )

    def run(self, example: Example) -> str | None:
        """Run ``example``; what is wrong with it, or None."""
        runner = {
            "command": self._command,
            "script": self._script,
            "python": self._python,
            "http": self._http,
        }[example.kind]
        return runner(example)

    def _command(self, example: Example) -> str | None:
        for part in example.text.split(" && "):
            problem = self._one_command(example, part.strip())
            if problem:
                return problem
        return None

    def _one_command(self, example: Example, line: str) -> str | None:
        if not_run := _not_run(line):
            return not_run.check(shlex.split(line, comments=True))
        if eval_match := re.fullmatch(r'eval "\$\((.*)\)"', line):
            return self._eval(eval_match.group(1))
        argv = shlex.split(line, comments=True)
        if argv[:3] == ["python", "-m", "meso_formulary"]:
            argv = ["meso", *argv[3:]]  # the same command
        if argv[0] == "meso":
            return self._meso(example, argv)
        if argv[0] == "python" and argv[1:2] in (["-m"], ["-c"]):
            return self._python_command(argv) if len(argv) > 2 else None  # a mention
        if argv[0] == "datasette":
            return self._datasette(argv) if example.inline is False else None
        return f"does not know how to run {line!r}: add it to tests/test_doc_examples.py"

    def _meso(self, example: Example, argv: list[str]) -> str | None:
        if not _complete(argv, inline=example.inline):
            return _reference_problem(argv)
        for setup in _setups(argv):
            setup(self, argv)
        answers = [m.group(1) for s in example.shown if (m := re.search(r"\[y/N\]: (\w+)$", s))]
        result = self.meso(argv[1:], stdin="".join(f"{a}\n" for a in answers) or None)
        if result.exception and not isinstance(result.exception, SystemExit):
            return f"raised {result.exception!r}"
        fails = any(line.startswith("Error:") for line in example.shown)
        if fails != (result.exit_code != 0):
            expected = "to fail" if fails else "to exit 0"
            return f"expected {expected}, exit {result.exit_code}:\n{result.output}"
        if argv[1] == "serve" and not fails and "Serving " not in result.output:
            return f"meso serve printed no address to open:\n{result.output}"
        missing = _missing_lines(example.shown, result.output)
        if missing:
            return f"the doc shows lines it does not print: {missing}\nit printed:\n{result.output}"
        return None

    def _eval(self, inner: str) -> str | None:
        words = shlex.split(inner)
        env = dict(word.split("=", 1) for word in words if "=" in word)
        result = self.meso([], **env)
        if result.exit_code != 0 or "complete" not in result.output:
            return f"printed no completion script: {result.output}"
        return None

    def _python_command(self, argv: list[str]) -> str | None:
        out = io.StringIO()
        with (
            contextlib.chdir(self.folder),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(out),
        ):
            try:
                if argv[1] == "-c":
                    exec(compile(argv[2], "<doc>", "exec"), {"__name__": "__main__"})
                else:
                    with pytest.MonkeyPatch.context() as patch:
                        patch.setattr("sys.argv", [argv[2], *argv[3:]])
                        runpy.run_module(argv[2], run_name="__main__", alter_sys=True)
            except SystemExit as stop:
                if stop.code not in (0, None):
                    return f"exited {stop.code}: {out.getvalue()}"
        return None

    def _datasette(self, argv: list[str]) -> str | None:
        from datasette.cli import cli as datasette_cli

        with contextlib.chdir(self.folder):
            result = CliRunner().invoke(
                datasette_cli, [*argv[1:], "--get", "/-/meso-search.json?limit=1"]
            )
        if result.exit_code != 0 or '"ok": true' not in result.output:
            return f"datasette did not serve the search: {result.output}"
        return None

    def _script(self, example: Example) -> str | None:
        done = subprocess.run(
            ["bash", "-e", "-c", example.text],
            cwd=self.folder,
            capture_output=True,
            text=True,
            env={
                **{k: v for k, v in os.environ.items() if k != "MESO_DB"},
                "HOME": str(self.folder),
                "MESO_DATA_DIR": str(self.data_dir),
            },
            check=False,
        )
        if done.returncode != 0:
            return f"exited {done.returncode}: {done.stdout}{done.stderr}"
        return None

    def _python(self, example: Example) -> str | None:
        with contextlib.chdir(self.folder), contextlib.redirect_stdout(io.StringIO()):
            exec(compile(example.text, example.id, "exec"), {"__name__": "doc_example"})
        return None

    def _http(self, example: Example) -> str | None:
        method, path = example.text.split(maxsplit=1)
        if method != "GET":
            return f"does not know how to send {method}"
        from meso_formulary.web.server import build_datasette

        async def fetch() -> int:
            datasette = build_datasette(_reference_file(), immutable=True)
            await datasette.invoke_startup()
            response = await datasette.client.get(path)
            return int(response.status_code)

        status = asyncio.run(fetch())
        return None if status == 200 else f"answered {status}"


READ_ONLY = frozenset(
    {"search", "show", "compare", "indications", "conditions", "areas", "ingredients"}
    | {"stats", "history", "validate", "schema", "diff", "serve"}
)
"""``meso`` commands that leave a document's folder as it was: an example of them is not
run again for the examples after it (any other command is)."""


def _may_change_state(example: Example) -> bool:
    """Whether a later example may depend on what ``example`` leaves behind."""
    if example.kind == "http":
        return False
    if example.kind != "command":
        return True
    for part in example.text.split(" && "):
        if _setups(shlex.split(part, comments=True)):
            return True  # its setup makes state
        words = part.split()
        if _not_run(part.strip()):
            continue
        if words[:1] == ["datasette"] or (
            words[:1] == ["meso"] and words[1:2] and words[1] in READ_ONLY
        ):
            continue
        return True
    return False


class Sessions:
    """The documents' sessions of one test worker. An example runs after the examples
    before it in its document: those this worker has not run yet (another pytest-xdist
    worker ran their tests) are run first, unless they change nothing; if this worker is
    already past the example, its document starts again in a new folder."""

    def __init__(self, factory: pytest.TempPathFactory, data_dir: Path) -> None:
        self.factory = factory
        self.data_dir = data_dir
        self.by_doc: dict[str, Session] = {}

    def run(self, example: Example) -> str | None:
        examples = [e for e in EXAMPLES if e.doc == example.doc]
        index = examples.index(example)
        session = self.by_doc.get(example.doc)
        if session is None or session.done > index:
            folder = self.factory.mktemp(re.sub(r"\W", "-", example.doc))
            _prepare(folder, (ROOT / example.doc).read_text(encoding="utf-8"))
            session = self.by_doc[example.doc] = Session(folder, self.data_dir)
        for earlier in examples[session.done : index]:
            if _may_change_state(earlier):
                session.run(earlier)  # its own test reports it
        session.done = index + 1
        return session.run(example)


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Sessions:
    return Sessions(tmp_path_factory, data_dir)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.id)
def test_example_runs_as_documented(example: Example, sessions: Sessions) -> None:
    problem = sessions.run(example)
    assert problem is None, f"{example.id}: {example.text}\n{problem}"


def test_the_docs_have_examples_of_every_kind() -> None:
    kinds = {example.kind for example in EXAMPLES}
    assert kinds >= {"command", "script", "python", "http"}
    assert sum(example.doc == "README.md" for example in EXAMPLES) >= 15


def test_every_command_not_run_is_in_the_docs() -> None:
    """The list of commands not run stays small and current: each entry matches an example."""
    for not_run in NOT_RUN:
        parts = [part.strip() for e in EXAMPLES for part in e.text.split(" && ")]
        assert any(re.match(not_run.pattern, part) for part in parts), not_run.pattern


@pytest.mark.parametrize(
    ("text", "shown", "problem"),
    [
        ("meso areas", ("Scalp  no such row",), "does not print"),
        ("meso areas", ("Error: no areas",), "expected to fail"),
        ("meso history ID --colour", (), "does not have: ['--colour']"),
        ("meso fly", (), "no command 'fly'"),
        ("make docs", (), "does not know how to run"),
    ],
)
def test_a_drifted_example_is_reported(
    text: str, shown: tuple[str, ...], problem: str, tmp_path: Path, data_dir: Path
) -> None:
    found = Session(tmp_path, data_dir).run(Example("x.md", 1, "command", text, shown))
    assert found is not None and problem in found, found


def test_every_block_is_an_example_or_data() -> None:
    """A block labelled ``zsh`` or ``powershell`` would hold commands this test does not
    run: every label is one it runs or one of :data:`DATA_KINDS`."""
    runs = ("", "console", "python", "http", *SHELL_KINDS)
    labels = {
        (page.relative_to(ROOT).as_posix(), block.group(1))
        for page in _documents()
        for block in FENCE.finditer(page.read_text(encoding="utf-8"))
    }
    assert {(doc, kind) for doc, kind in labels if kind not in (*runs, *DATA_KINDS)} == set()
