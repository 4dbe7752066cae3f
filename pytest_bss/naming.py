"""Cassette file names, and the refusal of test ids that hold a credential.

A test's cassette is ``<cassette dir>/<module path, dotted>/<test name>.<format>``; the
marker's ``cassette=`` names it instead. An existing file in another format wins over
the configured format, so switching formats never orphans a cassette.

Test ids become file names (and pytest writes them to ``.pytest_cache`` and junit XML),
so an id that holds a credential in any written form is refused at collection time,
before anything is written: see :func:`credential_in_id`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Final
from urllib.parse import quote, quote_plus

__all__ = [
    "AUTH_CASSETTE",
    "SUFFIXES",
    "auth_cassette_path",
    "cassette_path_for_test",
    "credential_in_id",
    "python_escapes",
    "safe_name",
    "written_forms",
]

AUTH_CASSETTE: Final = "bss_auth"
#: Every suffix a cassette may have, in the order an existing file is looked for.
SUFFIXES: Final = (".json", ".yaml", ".yml")
_UNSAFE_NAME: Final = re.compile(r"[^A-Za-z0-9_.\-\[\]]+")
_MAX_NAME: Final = 150
# Values this short can't be told apart from ordinary words in an id: "api" in "test_api".
_MIN_ID_VALUE: Final = 4


def safe_name(text: str) -> str:
    """``text`` as one file-name part: unsafe runs become ``_``, long names get a digest."""
    name = _UNSAFE_NAME.sub("_", text).strip("._") or "_"
    if len(name) > _MAX_NAME:
        name = f"{name[:_MAX_NAME]}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"
    return name


def _existing_or_new(base: Path, fmt: str) -> Path:
    for suffix in SUFFIXES:
        candidate = base.with_name(base.name + suffix)
        if candidate.is_file():
            return candidate
    return base.with_name(f"{base.name}.{fmt}")


def cassette_path_for_test(
    cassette_dir: Path, rootpath: Path, node_path: Path, nodeid: str, name: str | None, fmt: str
) -> Path:
    """``cassettes/<module>/<test>.json``, or the marker's ``name``; an existing file wins."""
    if name is None:
        module = Path(node_path).relative_to(rootpath).with_suffix("")
        # the test's name within its module, with classes and parametrize id
        local = nodeid.split("::", 1)[1] if "::" in nodeid else Path(nodeid).name
        stem = f"{'.'.join(module.parts)}/{safe_name(local.replace('::', '.'))}"
    else:
        stem = "/".join(
            safe_name(part) for part in Path(name).with_suffix("").parts if part != ".."
        )
    return _existing_or_new(cassette_dir / stem, fmt)


def auth_cassette_path(cassette_dir: Path, fmt: str) -> Path:
    """The run's shared token cassette, ``cassettes/bss_auth.json`` (or an existing YAML one)."""
    return _existing_or_new(cassette_dir / AUTH_CASSETTE, fmt)


def python_escapes(value: str) -> set[str]:
    """How Python shows ``value`` and its encoded bytes: ``\\xe4``, ``b'P\\xc3\\xa4'`` ...

    pytest writes these in ids (``ascii_escaped``), assertion messages (``-vv``) and locals.
    """
    out = {value.encode("unicode_escape").decode("ascii"), ascii(value)[1:-1], repr(value)[1:-1]}
    for codec in ("utf-8", "utf-16-le", "utf-16", "latin-1"):
        try:
            raw = value.encode(codec)
        except UnicodeEncodeError:
            continue
        out.add(repr(raw)[2:-1])
        out.add(raw.decode("latin-1").encode("unicode_escape").decode("ascii"))
    return out


def written_forms(value: str) -> set[str]:
    """Every form in which a test's output may show ``value``.

    The scrubber's forms (raw, percent-, JSON-, base64-, HTML-encoded ...), how Python shows
    each of the raw and JSON-escaped ones (``repr`` of a JSON body, ``\\u00e4``), ``repr``
    of a ``repr`` (pytest quotes subtest arguments twice) and ``re.escape`` (a
    ``pytest.raises(match=...)`` message).
    """
    from .secret_set import value_forms

    forms = {*value_forms(value), re.escape(value)}
    for form in list(forms):
        forms |= python_escapes(form)
    forms.add(repr(repr(value))[1:-1])
    return forms


def _id_forms(value: str) -> set[str]:
    """Every form in which pytest or pytest-bss may write ``value`` into an id or a file name."""
    escapes = written_forms(value)
    forms = {
        value,
        *escapes,
        *(safe_name(escaped) for escaped in escapes),
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        safe_name(value),
    }
    forms |= {form.lower() for form in forms}
    return {form for form in forms if len(form) >= _MIN_ID_VALUE and form != "_"}


def credential_in_id(nodeid: str, credentials: Iterable[tuple[str, str]]) -> str | None:
    """The kind of the first credential that ``nodeid`` holds in any form, else ``None``.

    ``credentials`` are (kind, value) pairs. Values shorter than four characters are not
    looked for: they can't be told apart from words in a name.
    """
    credentials = list(credentials)
    for text in _id_texts(nodeid):
        for kind, value in credentials:
            if value and any(form in text for form in _id_forms(value)):
                return kind
    return None


def _id_texts(nodeid: str) -> Iterable[str]:
    yield nodeid
    yield nodeid.lower()
