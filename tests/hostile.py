"""A copy of the real data with hostile text in every free-text field, for issue 8's tests.

Every string a data file may carry without a vocabulary (names, summaries, notes,
objectives, source sections, source titles and publishers, basemap names) gets
the payload appended. The payload holds what once ran on the server or in the
page: Jinja expressions, statements and comments, a closing script tag, an
element with an event handler and a ``javascript:`` URL. The data still
validates: hostile text is text, and the app must show it as typed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from geoapp.config import DEFAULTS

#: The file this payload would create if any template engine evaluated it.
CANARY = "geoapp-pwned"
PAYLOAD = (
    "{{7*7}} {% raw %} {# "
    f"{{{{ lipsum.__globals__.os.system('touch {CANARY}') }}}} "
    '</script><img src=x onerror="window.__pwned=1"> '
    'javascript:window.__pwned=2 =HYPERLINK("http://x") <b>bold</b>'
)
#: Thematic properties whose value is chosen from a vocabulary or parsed (kept as they are).
CONTROLLED = {
    "id", "layer", "sector", "status", "expected_completion", "completion_date", "date",
    "kind", "position", "claim", "status_as_of", "asset", "position_source", "status_source",
}  # fmt: skip


def poison(value: str) -> str:
    return f"{value} {PAYLOAD}"


def hostile_data_dir(root: Path) -> Path:
    """Copy the bundled data to ``root`` with the payload in every free-text field."""
    source = Path(DEFAULTS["DATA_DIR"])
    shutil.copytree(source, root, ignore=shutil.ignore_patterns("src", "README.md"))
    for path in sorted(root.glob("*.geojson")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for feature in doc["features"]:
            props = feature["properties"]
            for key, value in props.items():
                if isinstance(value, str) and key not in CONTROLLED and key != "iso_a3":
                    props[key] = poison(value)
            for ref in props.get("sources", []):
                ref["section"] = poison(ref["section"])
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    registry_path = root / "sources.json"
    registry = json.loads(registry_path.read_text(encoding="utf-8"))
    for entry in registry.values():
        entry["title"] = poison(entry["title"])
        if "publisher" in entry:
            entry["publisher"] = poison(entry["publisher"])
    registry_path.write_text(json.dumps(registry, ensure_ascii=False), encoding="utf-8")
    return root
