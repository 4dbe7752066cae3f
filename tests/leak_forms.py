"""Where a credential could have been written, in the forms a reader would recognise.

The forms are computed here, independently of the scrubber's own list, so a test that uses
them checks the scrubber instead of repeating it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote, quote_plus

#: Shorter forms are not looked for: they occur in any text by chance.
MIN_FORM = 8


def forms(value: str) -> set[str]:
    """Independent written forms of ``value`` (computed here, not with the scrubber's code)."""
    raw = value.encode()
    out = {
        value,
        quote(value, safe=""),
        quote_plus(value),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        base64.b64encode(raw).decode().rstrip("="),
        value.encode("unicode_escape").decode(),
    }
    return {form for form in out if len(form) >= MIN_FORM}


def everything_written(root: Path, *extra: str) -> str:
    """Every file under ``root`` (cassettes, caches, reports), decoded, plus ``extra`` texts."""
    texts = list(extra)
    for path in root.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".py":
            data = path.read_bytes()
            texts.append(data.decode("utf-8", "replace"))
            if path.suffix == ".json" and b'"base64"' in data:
                texts.append(_with_binary_bodies(data))
    return "\n".join(texts)


def _with_binary_bodies(data: bytes) -> str:
    found: list[str] = []

    def hook(obj: dict[str, object]) -> object:
        if obj.keys() == {"base64"} and isinstance(obj["base64"], str):
            raw = base64.b64decode(obj["base64"])
            found.extend(raw.decode(codec, "replace") for codec in ("utf-8", "utf-16", "latin-1"))
        return obj

    json.loads(data, object_hook=hook)
    return "\n".join(found)


def assert_no_credential(text: str, values: list[str]) -> None:
    for value in values:
        for form in forms(value):
            assert form not in text, f"a form of a credential ({len(value)} chars) was written"
