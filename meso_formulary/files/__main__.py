"""``python -m meso_formulary.files``: print the catalogue JSON Schema.

Regenerate the committed copy with
``python -m meso_formulary.files > schema/catalogue.schema.json``.
"""

from __future__ import annotations

import sys

from meso_formulary.files.json_schema import schema_text

sys.stdout.write(schema_text())
