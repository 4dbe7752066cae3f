"""Find credentials in cassette files: what ``pytest-bss audit`` reports.

The checks are the scrubber's own (:func:`~pytest_bss.scrub.find_structural_leaks` and
:func:`~pytest_bss.scrub.find_leaks`), widened for files nobody scrubbed:

* **structural**: a credential position (``Authorization``, ``Cookie``, ``Set-Cookie``,
  token and password fields, URL userinfo) holding anything but a placeholder, at any
  depth (JSON inside a JSON string, a form inside a percent-encoded value ...); and
  Bearer tokens, Basic pairs and JWTs anywhere;
* **canary**: any form of a ``BSS_*`` credential that is set in the environment, also
  inside the base64 of a Basic pair;
* **unreadable**: a file that cannot be parsed, or a body that cannot be decoded
  (fail closed: what cannot be checked is a finding).

A :class:`Finding` names the file, the interaction (numbered from 0, like
:class:`~pytest_bss.scrub.Leak`) and the place, never the value.
"""

from __future__ import annotations

import base64
import binascii
import copy
import gzip
import io
import json
import os
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from .catalogue import AUTH_HEADERS, COOKIE_HEADERS
from .config import ENV_VARS
from .decoding import (
    FORM_TEXT,
    MAX_DEPTH,
    authorization_credentials,
    body_text,
    credential_positions,
    decode_message,
    is_placeholder,
    message_body,
    nested_texts,
)
from .exceptions import CassetteCorruptError
from .formats import CASSETTE_SUFFIXES, NotACassetteError, find_cassettes, read_cassette
from .scrub import Leak, SecretSet, find_leaks, find_structural_leaks

__all__ = [
    "CANARY_VARS",
    "CASSETTE_SUFFIXES",
    "Finding",
    "audit_data",
    "audit_file",
    "canary_secrets",
    "cassette_files",
    "plain_bodies",
]

_CANARY_KINDS: Final = ("client_key", "client_secret", "username", "password")
#: The variables whose values the audit looks for, when they are set.
CANARY_VARS: Final = tuple(ENV_VARS[kind] for kind in _CANARY_KINDS)
_PAIRS: Final = {
    "client_credentials": "BSS_CLIENT_KEY:BSS_CLIENT_SECRET pair",
    "user_credentials": "BSS_USERNAME:BSS_PASSWORD pair",
}
_FORMS: Final = {
    "json field": "a JSON field",
    "form field": "a form field",
    "query field": "the query string",
}

_BEARER: Final = re.compile(r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]+=*)")
_BASIC: Final = re.compile(r"(?i)\bbasic\s+([A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=])")
_JWT: Final = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_BASE64: Final = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{8,}={0,2}(?![A-Za-z0-9+/=_-])")


@dataclass(frozen=True)
class Finding:
    """One thing the audit found: where and what, never the value."""

    path: str
    interaction: int | None  # None for the file as a whole
    place: str
    what: str
    category: str  # "structural", "canary" or "unreadable"

    def __str__(self) -> str:
        where = f"interaction {self.interaction}: {self.place}: " if self.place else ""
        return f"{self.path}: {where}{self.what} ({self.category})"

    def as_dict(self) -> dict[str, Any]:
        """The finding as a JSON-ready dict."""
        return asdict(self)


def canary_secrets(environ: Mapping[str, str] | None = None) -> SecretSet:
    """A :class:`SecretSet` of whichever ``BSS_*`` credentials are set (maybe none)."""
    env = os.environ if environ is None else environ
    secrets = SecretSet()
    for kind, var in zip(_CANARY_KINDS, CANARY_VARS, strict=True):
        value = env.get(var, "").strip()
        if value:
            secrets.add(kind, value)
    return secrets


def cassette_files(paths: Iterable[Path]) -> list[Path]:
    """Every cassette file named or under a named folder, each once, in a stable order.

    :func:`pytest_bss.formats.find_cassettes` without the list of skipped files. Raises
    :class:`FileNotFoundError` for a path that does not exist.
    """
    return find_cassettes(paths)[0]


def audit_file(path: Path, secrets: SecretSet) -> list[Finding]:
    """Read one cassette of any supported format safely and audit it.

    A file that cannot be read, or that parses but is no cassette, is a finding.
    """
    try:
        data = read_cassette(path).data
    except NotACassetteError as exc:
        return [_unreadable(path, str(exc).removeprefix(f"{path} is "), secrets)]
    except CassetteCorruptError as exc:
        return [_unreadable(path, _reason(path, str(exc)), secrets)]
    except OSError as exc:
        return [
            _unreadable(path, f"cannot be read ({exc.strerror or type(exc).__name__})", secrets)
        ]
    return audit_data(data, secrets, path=str(path))


def audit_data(data: Mapping[str, Any], secrets: SecretSet, *, path: str = "") -> list[Finding]:
    """Every finding in loaded cassette data, ordered by interaction and place."""
    try:
        data = plain_bodies(data)
        return sorted(_audit(data, secrets, path), key=_order)
    except Exception as exc:  # a shape the checks do not expect: fail closed
        return [_unreadable(Path(path), f"cannot be audited ({type(exc).__name__})", secrets)]


def plain_bodies(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy whose file-like or iterable request bodies (old vcrpy YAML) are bytes."""
    out = dict(data)
    interactions = []
    for interaction in data.get("interactions") or ():
        body = interaction["request"].get("body")
        if isinstance(body, io.BytesIO):
            body = body.getvalue()
        elif isinstance(body, Iterator | list | tuple):
            body = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in body)
        else:
            interactions.append(interaction)
            continue
        interaction = copy.copy(interaction)
        interaction["request"] = {**interaction["request"], "body": body}
        interactions.append(interaction)
    out["interactions"] = interactions
    return out


def _order(finding: Finding) -> tuple[int, str, str, str]:
    return (
        -1 if finding.interaction is None else finding.interaction,
        finding.place,
        finding.category,
        finding.what,
    )


def _reason(path: Path, message: str) -> str:
    # "Cassette <path> cannot be parsed (...). Restore it ..." -> "cannot be parsed (...)"
    prefix = f"Cassette {path}"
    text = message[len(prefix) :].lstrip(": ") if message.startswith(prefix) else message
    return text.split(". ", 1)[0].rstrip(".")


def _unreadable(path: Path, reason: str, secrets: SecretSet) -> Finding:
    # A parser message may quote the file: never show a known value.
    return Finding(str(path), None, "", secrets.redact(reason), "unreadable")


def _audit(data: Mapping[str, Any], secrets: SecretSet, path: str) -> list[Finding]:
    found: dict[Finding, None] = {}
    schemes: dict[tuple[int, str], str] = {}  # the scheme of each unscrubbed Authorization
    deep: list[Finding] = []
    for index, interaction in enumerate(data.get("interactions") or ()):
        for side in ("request", "response"):
            message = decode_message(interaction[side], is_request=side == "request")
            for place, text, checked in _texts(side, message):
                if checked is None:  # Authorization: already a finding unless a placeholder
                    secret = authorization_credentials(text)
                    if secret is not None:
                        schemes.setdefault((index, place), secret[0])
                    found_here = _pair_canaries(text, secrets)
                else:
                    found_here = _scan(text, secrets, form=not checked, place=place)
                deep += (Finding(path, index, place, *item) for item in found_here)
    structural = find_structural_leaks(data)
    for leak in structural:
        what = _describe(leak, schemes)
        found[Finding(path, leak.interaction, leak.place, what, _category(leak))] = None
    if len(secrets):
        known = set(structural)
        for leak in find_leaks(data, secrets):
            if leak not in known:
                what = f"{_label(leak.kind)}, {leak.form}"
                if leak.fix:
                    what += f" ({leak.fix})"
                found[Finding(path, leak.interaction, leak.place, what, "canary")] = None
    found.update(dict.fromkeys(deep))
    return list(found)


def _category(leak: Leak) -> str:
    return "unreadable" if leak.kind.startswith("unverifiable") else "structural"


def _describe(leak: Leak, schemes: Mapping[tuple[int, str], str]) -> str:
    if leak.form == "authorization header":
        scheme = schemes.get((leak.interaction, leak.place), "")
        if scheme.lower() == "bearer":
            return "Bearer token"
        return f"{scheme.capitalize()} credentials" if scheme else "credentials"
    if leak.kind.startswith("unverifiable"):
        return f"{leak.kind.removeprefix('unverifiable ')} that cannot be decoded ({leak.form})"
    if leak.kind == "cookie":
        return "cookie value"
    if leak.kind == "userinfo":
        return "credentials in URL userinfo"
    if leak.form in _FORMS:
        return f"{leak.kind} in {_FORMS[leak.form]}"
    return f"{leak.kind} ({leak.form})"


def _label(kind: str) -> str:
    if kind in _PAIRS:
        return _PAIRS[kind]
    return f"{ENV_VARS[kind]} value" if kind in _CANARY_KINDS else f"known {kind} value"


def _texts(side: str, message: dict[str, Any]) -> Iterator[tuple[str, str, bool | None]]:
    """(place, text, checked) for every text of a decoded message.

    ``checked``: whether the scrubber's structural check already reads the text as a form
    or JSON; ``None`` for an ``Authorization`` value. The scrubber reads a body as a form
    only when its ``Content-Type`` says so; the audit also reads a ``text/plain`` one.
    """
    if isinstance(message.get("uri"), str):
        yield f"{side}.uri", message["uri"], True
    status = message.get("status")
    if isinstance(status, Mapping) and isinstance(status.get("message"), str):
        yield f"{side}.status", status["message"], False
    headers = message.get("headers") or {}
    for position, name in enumerate(headers):
        # a value used as a header name: the place names its position, never the name
        yield f"{side}.headers (name {position + 1})", name, False
    for name, values in headers.items():
        low = name.lower()
        checked = None if low in AUTH_HEADERS else low in COOKIE_HEADERS
        for value in values if isinstance(values, list | tuple) else [values]:
            if isinstance(value, str):
                yield f"{side}.headers.{name}", value, checked
    body = message_body(message, is_request=side == "request")
    text: str | None = body.removeprefix("\ufeff") if isinstance(body, str) else None
    if isinstance(body, bytes | bytearray):
        decoded = body_text(body, headers)
        if decoded is None:
            text = _sniff(bytes(body))  # compressed without a Content-Encoding to say so
            if text is not None:
                yield f"{side}.body", text, False
                return
        else:
            text = decoded.text
    if text:  # JSON is found whatever the Content-Type; a form only if it says so
        yield f"{side}.body", text, text.lstrip()[:1] in ("{", "[", '"')


def _sniff(body: bytes) -> str | None:
    for decompress in (gzip.decompress, zlib.decompress):
        try:
            return decompress(body).decode("utf-8")
        except (OSError, EOFError, zlib.error, UnicodeDecodeError):
            continue
    return None


def _scan(text: str, secrets: SecretSet, *, form: bool, place: str) -> Iterator[tuple[str, str]]:
    """(what, category) for every credential in ``text`` and in every text inside it.

    The structural check reads ``text`` as a form when ``form`` and it looks like one. A
    JSON string or form value (decoding ``None``) was already searched for shapes and
    canaries as part of the text it is in.
    """
    if not text:
        return
    as_form = form and "=" in text and FORM_TEXT.fullmatch(text) is not None
    for kind, where in credential_positions(text, form=as_form):
        leak = Leak(0, place, kind, where)
        yield _describe(leak, {}), _category(leak)
    for nested, depth, decoding in nested_texts(text, max_depth=MAX_DEPTH):
        if depth <= MAX_DEPTH and (depth == 0 or decoding is not None):
            yield from _shapes(nested)
            yield from _pair_canaries(nested, secrets)


def _shapes(text: str) -> Iterator[tuple[str, str]]:
    for match in _BEARER.finditer(text):
        if _real_looking(match[1]):
            yield "Bearer token", "structural"
    for match in _BASIC.finditer(text):
        pair = _decode_pair(match[1])
        if pair is not None and any(h and not is_placeholder(h) for h in pair.split(":", 1)):
            yield "Basic credentials", "structural"
    for match in _JWT.finditer(text):
        if _is_jwt(match[0]):
            yield "JWT", "structural"


def _real_looking(token: str) -> bool:
    # Prose after "Bearer" ("Bearer authentication") is not a token; real ones carry digits.
    return len(token) >= 12 and (any(c.isdigit() for c in token) or len(token) >= 32)


def _is_jwt(text: str) -> bool:
    header, payload = text.split(".")[:2]
    try:
        return all(
            isinstance(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))), dict)
            for part in (header, payload)
        )
    except (ValueError, binascii.Error):
        return False


def _decode_pair(text: str) -> str | None:
    """The ``user:password`` text a base64 string encodes, or ``None``."""
    text = text.rstrip("=")
    try:
        raw = base64.b64decode(
            text + "=" * (-len(text) % 4),
            altchars=b"-_" if "-" in text or "_" in text else None,
            validate=True,
        )
    except (binascii.Error, ValueError):
        return None
    try:
        pair = raw.decode("utf-8")
    except UnicodeDecodeError:
        pair = raw.decode("latin-1")  # requests encodes Basic pairs as Latin-1
    return pair if ":" in pair and pair.isprintable() else None


def _pair_canaries(text: str, secrets: SecretSet) -> Iterator[tuple[str, str]]:
    """Canaries inside the base64 of a ``user:password`` pair (a Basic credential)."""
    if not len(secrets):
        return
    for match in _BASE64.finditer(text):
        pair = _decode_pair(match[0])
        if pair is None:
            continue
        kinds = {secrets.kind_of(half) or "" for half in pair.split(":", 1) if half in secrets}
        kinds |= {kind for kind, _ in secrets.find(pair)}
        for kind in sorted(kinds - _PAIRS.keys() - {""}):  # a whole pair shows as its two halves
            yield f"{_label(kind)} in a base64 user:password pair", "canary"
