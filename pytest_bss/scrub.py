"""Take every trace of a credential out of recorded HTTP interactions.

Pure functions over vcrpy's serialized interaction dicts (what a cassette file holds):
they return new objects and never mutate their inputs. Only :class:`SecretSet` has state:
the credential values one run knows, each with its placeholder (``<BSS_PASSWORD>``,
``<BSS_ACCESS_TOKEN_1>`` ...).

Scrubbing has two halves, and :func:`find_leaks` checks both the same way.

**Structural** (needs no known value; also right for cassettes made by other tools).
These are the *credential positions*:

* ``Authorization`` / ``Proxy-Authorization``: ``Basic <BSS_CLIENT_CREDENTIALS>``,
  ``Bearer <BSS_ACCESS_TOKEN_n>``, any other scheme ``<scheme> <BSS_CREDENTIALS>``;
* ``Cookie`` values and the value of each ``Set-Cookie`` (names and attributes kept);
* form fields in form-encoded bodies, query strings and URL fragments named ``username``,
  ``password``, ``client_id``, ``client_secret``, ``access_token``, ``refresh_token``,
  ``id_token``, and ``code`` when the same form also carries an OAuth field
  (``grant_type``, ``redirect_uri``, ``client_id``, ``state``, ``code_verifier``,
  ``response_type``) -- BSS uses ``code`` for account codes;
* JSON keys (any content type, any depth) ``access_token``, ``refresh_token``,
  ``id_token``, ``password``, ``client_secret``; and JSON keys ``username``,
  ``client_id``, ``client_key`` when their value is a known value;
* userinfo in URLs (``https://user:pass@host/``), which is removed.

Every value found there is registered in the :class:`SecretSet` first, so that its
other appearances are replaced by the second half too.

**Known values.** Every value in the :class:`SecretSet` (and the Basic pairs
``client_key:client_secret`` -> ``<BSS_CLIENT_CREDENTIALS>`` and ``username:password``
-> ``<BSS_USER_CREDENTIALS>``) is replaced wherever it
appears -- uri, header values, status message, bodies -- raw; percent-encoded
(``quote(v, safe="")``, ``quote(v)``, ``quote_plus(v)``, upper- and lowercase hex);
JSON-escaped (``ensure_ascii`` on and off, ``\\/``, ``\\uXXXX`` in either case, and the
.NET escaping of ``+ < > & ' "``); and base64 (standard and url-safe, padded or not, of
the UTF-8 and the Latin-1 bytes). A percent-encoded form, or any form in a URL or a
form-encoded body, becomes ``%3CBSS_...%3E``; anything else the bare placeholder.

The replacement rule (the length is that of the raw value, for all its forms):

* 16 characters or more: replaced anywhere;
* 6 to 15 characters: replaced only where neither neighbour is an ASCII letter or digit
  (a neighbour written as ``%XX``, ``\\uXXXX`` or ``\\n``-style escape counts as not
  alphanumeric), so a username ``api`` never touches ``/api/accounts``;
* under 6 characters: replaced only in the credential positions above;
* cookie values count as known values only from 16 characters on (shorter ones are
  preferences such as ``lang=en``); they are still replaced in cookie headers.

**Host neutralization.** Each of ``base_urls`` (a trailing ``/`` is implied), raw,
percent-encoded or with ``\\/``, is rewritten to ``neutral_base`` wherever it occurs
(uri, header values, bodies); this is not counted as a value scrubbed.

Existing placeholders and the neutral base URL are never rewritten, so scrubbing is
idempotent. Compressed bodies (gzip, deflate, and br when vcrpy can) are stored
decoded, without ``Content-Encoding``; ``Content-Length`` follows every body change.
A JSON body stays valid JSON and a form body a form.

:func:`find_leaks` decodes every layer (compressed bodies, bytes, percent-encoding, JSON
escapes and JSON strings) and applies exactly this rule; :class:`Leak` names the place
and the form, never the value. Interactions are numbered from 0, as indexes into
``data["interactions"]``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, quote_plus, unquote, unquote_plus

if TYPE_CHECKING:
    from .config import BssConfig

__all__ = [
    "KINDS",
    "NEUTRAL_BASE",
    "Leak",
    "SecretSet",
    "find_leaks",
    "find_structural_leaks",
    "is_placeholder",
    "scrub_interactions",
    "scrub_request",
    "scrub_response",
    "value_forms",
]

#: Where recorded base URLs point after scrubbing: a host that can never resolve.
NEUTRAL_BASE: Final = "https://bss.tenant.invalid/"

_FIXED: Final = {
    "client_key": "<BSS_CLIENT_KEY>",
    "client_secret": "<BSS_CLIENT_SECRET>",
    "username": "<BSS_USERNAME>",
    "password": "<BSS_PASSWORD>",
}
_NUMBERED: Final = {
    "access_token": "ACCESS_TOKEN",
    "refresh_token": "REFRESH_TOKEN",
    "id_token": "ID_TOKEN",
    "cookie": "COOKIE",
    "code": "CODE",
}
#: The kinds :meth:`SecretSet.add` accepts.
KINDS: Final = (*_FIXED, *_NUMBERED)
_CLIENT_CREDENTIALS: Final = "<BSS_CLIENT_CREDENTIALS>"
_USER_CREDENTIALS: Final = "<BSS_USER_CREDENTIALS>"
_CREDENTIALS: Final = "<BSS_CREDENTIALS>"

_PAIRS: Final = (
    ("client_key", "client_secret", "client_credentials", _CLIENT_CREDENTIALS),
    ("username", "password", "user_credentials", _USER_CREDENTIALS),
)

_PLACEHOLDER: Final = re.compile(r"<BSS_[A-Z][A-Z0-9_]*>")
_ANYWHERE: Final = 16  # values this long are replaced anywhere
_BOUNDED: Final = 6  # values this long are replaced between non-alphanumerics

_FORM_FIELDS: Final = {
    "username": "username",
    "password": "password",
    "client_id": "client_key",
    "client_secret": "client_secret",
    "access_token": "access_token",
    "refresh_token": "refresh_token",
    "id_token": "id_token",
    "code": "code",
}
_OAUTH_CONTEXT: Final = frozenset(
    {"grant_type", "redirect_uri", "client_id", "state", "code_verifier", "response_type"}
)
_JSON_FIELDS: Final = {
    "access_token": "access_token",
    "refresh_token": "refresh_token",
    "id_token": "id_token",
    "password": "password",
    "client_secret": "client_secret",
}
_JSON_KNOWN_ONLY: Final = frozenset({"username", "client_id", "client_key"})
_AUTH_HEADERS: Final = frozenset({"authorization", "proxy-authorization"})
_URL_HEADERS: Final = frozenset({"location", "content-location", "referer"})

_ABSOLUTE_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
# The lookbehind and the leading run anchor each scan at the start of a scheme-like word,
# so a long body without "://" is read once instead of once per starting position.
_USERINFO: Final = re.compile(
    r"(?<![A-Za-z0-9+.\-])[0-9+.\-]*"
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<info>[^/?#@\s\"'<>\\]+)@"
)
_JSON_STR: Final = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_JSON_TOKEN: Final = re.compile(
    rf"(?P<key>{_JSON_STR})(?:(?P<colon>\s*:\s*)"
    rf"(?:(?P<str>{_JSON_STR})|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?))?)?"
)
_JSON_FIELD_HINT: Final = re.compile(
    r'"(?i:access_token|refresh_token|id_token|password|client_secret)"\s*:|//[^/?#@\s"]+@|\\'
)
_JSON_KNOWN_HINT: Final = re.compile(r'"(?i:username|client_id|client_key)"\s*:')
_FORM_BODY: Final = re.compile(r"[\w.\-~%+*]+=[^&\s]*(?:&[\w.\-~%+*]+=[^&\s]*)*")
_LOOSE_JSON_ESCAPE: Final = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|([\"\\/bfnrt]))")
_SHORT_ESCAPES: Final = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}

# Neighbours that count as "not a letter or digit" for 6..15-character values.
_BEFORE: Final = (  # asserted just after the first character, {first}
    r"(?:(?<![A-Za-z0-9]{first})|(?<=%[0-9A-Fa-f]{{2}}{first})"
    r"|(?<=\\u[0-9A-Fa-f]{{4}}{first})|(?<=\\[nrtbf]{first}))"
)
_AFTER: Final = r"(?![A-Za-z0-9])"
_KEEP: Final = (
    r"<BSS_[A-Z][A-Z0-9_]*>",
    r"%3[Cc]BSS_[A-Z][A-Z0-9_]*%3[Ee]",
    r"\\u003[Cc]BSS_[A-Z][A-Z0-9_]*\\u003[Ee]",
)

_Message = dict[str, Any]


def is_placeholder(value: object) -> bool:
    """Whether ``value`` is exactly one placeholder such as ``<BSS_PASSWORD>``."""
    return isinstance(value, str) and _PLACEHOLDER.fullmatch(value) is not None


@dataclass(frozen=True)
class Leak:
    """Where a credential survived: the place and the form, never the value.

    ``interaction`` indexes ``data["interactions"]`` (from 0); ``place`` is like
    ``request.uri``, ``request.headers.Cookie`` or ``response.body``.
    """

    interaction: int
    place: str
    kind: str
    form: str

    def __str__(self) -> str:
        return f"interaction {self.interaction}: {self.place}: {self.kind} ({self.form})"


# --- the known values -----------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    replacement: str
    encoded: str  # the replacement inside a URL or a form
    kind: str  # "" for a base URL, which is rewritten but not counted
    form: str


class _Matcher:
    """One compiled regex for every form of every known value (and the base URLs).

    Every alternative starts with a literal character, which lets ``re`` skip positions
    that cannot start a match (a leading lookbehind would defeat that: 30 times slower),
    and forms are grouped by that character (twice as fast again). Longer forms come
    first, so the longest form at a position wins.
    """

    def __init__(self, hits: Mapping[str, tuple[_Hit, bool]], protect: Sequence[str]) -> None:
        self._hits = {text: hit for text, (hit, _) in hits.items()}
        by_first: dict[str, list[str]] = {}
        for text in sorted(hits, key=len, reverse=True):
            first, rest = re.escape(text[0]), re.escape(text[1:])
            bounded = hits[text][1]
            by_first.setdefault(first, []).append(
                f"{_BEFORE.format(first=first)}{rest}{_AFTER}" if bounded else rest
            )
        alternatives = [*_KEEP, *map(re.escape, protect)]
        alternatives += [f"{first}(?:{'|'.join(rests)})" for first, rests in by_first.items()]
        self._source = "|".join(alternatives)
        self.pattern = re.compile(self._source)
        self._bytes_pattern: re.Pattern[bytes] | None = None

    @property
    def bytes_pattern(self) -> re.Pattern[bytes]:
        if self._bytes_pattern is None:
            self._bytes_pattern = re.compile(self._source.encode("utf-8", "surrogatepass"))
        return self._bytes_pattern

    def sub(self, text: str, *, url_like: bool) -> tuple[str, int]:
        count = 0

        def replace(match: re.Match[str]) -> str:
            nonlocal count
            hit = self._hits.get(match[0])
            if hit is None:  # a placeholder or the neutral base: keep it
                return match[0]
            count += bool(hit.kind)
            return hit.encoded if url_like else hit.replacement

        return self.pattern.sub(replace, text), count

    def sub_bytes(self, data: bytes) -> tuple[bytes, int]:
        """Replace in a body that is not UTF-8: the UTF-8 forms, then the Latin-1 ones."""
        count = 0

        def replace(match: re.Match[bytes]) -> bytes:
            nonlocal count
            hit = self._hits.get(match[0].decode("utf-8", "surrogatepass"))
            if hit is None:
                return match[0]
            count += bool(hit.kind)
            return hit.replacement.encode("utf-8", "surrogatepass")

        data = self.bytes_pattern.sub(replace, data)
        text, latin = self.sub(data.decode("latin-1"), url_like=False)
        return text.encode("latin-1"), count + latin

    def find(self, text: str) -> Iterator[_Hit]:
        for match in self.pattern.finditer(text):
            hit = self._hits.get(match[0])
            if hit is not None and hit.kind:
                yield hit

    def find_bytes(self, data: bytes) -> Iterator[_Hit]:
        for match in self.bytes_pattern.finditer(data):
            hit = self._hits.get(match[0].decode("utf-8", "surrogatepass"))
            if hit is not None and hit.kind:
                yield hit
        yield from self.find(data.decode("latin-1"))


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), text)


def _upper_u(text: str) -> str:
    return re.sub(r"\\u[0-9a-f]{4}", lambda m: m[0].upper().replace("\\U", "\\u"), text)


def _dotnet_json(value: str) -> str:
    # System.Text.Json's default encoder: HTML-sensitive and non-ASCII characters as \uXXXX.
    out = []
    for ch in value:
        if ch in "\"&'+<>`" or not " " <= ch <= "~":
            if ch in "\b\f\n\r\t":
                out.append(json.dumps(ch)[1:-1])
                continue
            units = ch.encode("utf-16-be", "surrogatepass")
            out.extend(f"\\u{units[i]:02X}{units[i + 1]:02X}" for i in range(0, len(units), 2))
        elif ch == "\\":
            out.append("\\\\")
        else:
            out.append(ch)
    return "".join(out)


def value_forms(value: str) -> list[str]:
    """Every written form of ``value`` the scrubber replaces and the leak check looks for."""
    return list(_forms(value))


def _forms(value: str) -> dict[str, str]:
    """Every written form of ``value``, mapped to the name of the form."""
    forms = {value: "raw"}
    for encoded in (
        quote(value, safe="", errors="surrogatepass"),
        quote(value, errors="surrogatepass"),
        quote_plus(value, errors="surrogatepass"),
    ):
        forms.setdefault(encoded, "percent-encoded")
        forms.setdefault(_lower_hex(encoded), "percent-encoded")
    for escaped in (
        json.dumps(value)[1:-1],
        _upper_u(json.dumps(value)[1:-1]),
        json.dumps(value, ensure_ascii=False)[1:-1],
        _dotnet_json(value),
    ):
        forms.setdefault(escaped, "json-escaped")
        forms.setdefault(escaped.replace("/", "\\/"), "json-escaped")
    encodings = [value.encode("utf-8", "surrogatepass")]
    with contextlib.suppress(UnicodeEncodeError):
        encodings.append(value.encode("latin-1"))  # requests' Basic auth encodes Latin-1
    for raw in encodings:
        for b64 in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
            text = b64.decode("ascii")
            forms.setdefault(text, "base64")
            forms.setdefault(text.rstrip("="), "base64")
    return forms


class SecretSet:
    """The credential values one run knows, each with its placeholder.

    Thread-safe. Token-like kinds (``access_token``, ``refresh_token``, ``id_token``,
    ``cookie``, ``code``) are numbered in the order they are first added; the others
    share one placeholder per kind. ``repr()`` shows how many values, never one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._placeholders: dict[str, str] = {}
        self._kinds: dict[str, str] = {}
        self._counters: dict[str, int] = {}
        self._matchers: dict[tuple[tuple[str, ...], str], _Matcher | None] = {}

    @classmethod
    def from_config(cls, config: BssConfig) -> SecretSet:
        """A set holding the four credentials of ``config``."""
        secrets = cls()
        for kind, value in config.secrets().items():
            secrets.add(kind, value)
        return secrets

    def add(self, kind: str, value: str) -> str:
        """Register ``value`` as a ``kind`` and return its placeholder.

        Adding a known value again returns the placeholder it already has. An empty
        value or a placeholder is ignored and returned as it is.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown secret kind {kind!r}; expected one of {', '.join(KINDS)}")
        if not value or is_placeholder(value):
            return value
        with self._lock:
            known = self._placeholders.get(value)
            if known is not None:
                return known
            if kind in _FIXED:
                placeholder = _FIXED[kind]
            else:
                number = self._counters.get(kind, 0) + 1
                self._counters[kind] = number
                placeholder = f"<BSS_{_NUMBERED[kind]}_{number}>"
            self._placeholders[value] = placeholder
            self._kinds[value] = kind
            self._matchers.clear()
            return placeholder

    def placeholder_for(self, value: str) -> str | None:
        """The placeholder of a known value, or ``None``."""
        return self._placeholders.get(value)

    def __contains__(self, value: object) -> bool:
        return value in self._placeholders

    def __len__(self) -> int:
        return len(self._placeholders)

    def __repr__(self) -> str:
        return f"<SecretSet: {len(self)} values>"

    def items(self) -> list[tuple[str, str, str]]:
        """(kind, value, placeholder) of every known value, and of the two Basic-style pairs.

        The pairs are ``client_key:client_secret`` (kind ``client_credentials``) and
        ``username:password`` (``user_credentials``).
        """
        with self._lock:
            known = [
                (kind, value, self._placeholders[value]) for value, kind in self._kinds.items()
            ]
        by_kind: dict[str, list[str]] = {}
        for kind, value, _ in known:
            by_kind.setdefault(kind, []).append(value)
        for first, second, kind, placeholder in _PAIRS:
            for a in by_kind.get(first, ()):
                for b in by_kind.get(second, ()):
                    known.append((kind, f"{a}:{b}", placeholder))
        return known

    def _kind_of(self, value: str) -> str:
        return self._kinds[value]

    def _free_text_values(self) -> list[tuple[str, str, str]]:
        """(value, kind, placeholder) for every value replaced outside credential positions."""
        by_kind: dict[str, list[str]] = {}
        out = []
        for value, kind in self._kinds.items():
            by_kind.setdefault(kind, []).append(value)
            if len(value) >= (_ANYWHERE if kind == "cookie" else _BOUNDED):
                out.append((value, kind, self._placeholders[value]))
        for first, second, kind, placeholder in _PAIRS:
            for a in by_kind.get(first, ()):
                for b in by_kind.get(second, ()):
                    pair = f"{a}:{b}"
                    if len(pair) >= _BOUNDED:
                        out.append((pair, kind, placeholder))
        return out

    def _matcher(
        self, base_urls: Sequence[str] = (), neutral_base: str = NEUTRAL_BASE
    ) -> _Matcher | None:
        """The compiled matcher, cached until the set changes; ``None`` if it has no work."""
        key = (tuple(base_urls), neutral_base)
        with self._lock:
            if key in self._matchers:
                return self._matchers[key]
            hits: dict[str, tuple[_Hit, bool]] = {}
            for value, kind, placeholder in self._free_text_values():
                encoded = quote(placeholder, safe="")
                for text, form in _forms(value).items():
                    replacement = encoded if form == "percent-encoded" else placeholder
                    hit = _Hit(replacement, encoded, kind, form)
                    hits.setdefault(text, (hit, len(value) < _ANYWHERE))
            neutral = neutral_base if neutral_base.endswith("/") else neutral_base + "/"
            for base in base_urls:
                base = base if base.endswith("/") else base + "/"
                for old, new in (
                    (base, neutral),
                    (base.replace("/", "\\/"), neutral.replace("/", "\\/")),
                    (quote(base, safe=""), quote(neutral, safe="")),
                    (_lower_hex(quote(base, safe="")), quote(neutral, safe="")),
                ):
                    hits.setdefault(old, (_Hit(new, new, "", "base URL"), False))
            protect = [neutral, neutral.replace("/", "\\/"), quote(neutral, safe="")]
            matcher = _Matcher(hits, protect) if hits or self._kinds else None
            self._matchers[key] = matcher
            return matcher


# --- structural helpers, shared by scrubbing and the leak check -------------------------


def _header(headers: Mapping[str, Any], name: str) -> str:
    for key, values in headers.items():
        if key.lower() == name:
            if isinstance(values, list | tuple):
                return str(values[0]) if values else ""
            return str(values)
    return ""


def _set_header(
    headers: dict[str, Any], name: str, value: str | None, *, add: bool = False
) -> None:
    for key in list(headers):
        if key.lower() == name.lower():
            if value is None:
                del headers[key]
            else:
                headers[key] = [value] if isinstance(headers[key], list | tuple) else value
            return
    if add and value is not None:
        headers[name] = [value]


def _auth_secret(value: str) -> tuple[str, str] | None:
    """(scheme, credentials) of an Authorization value that is not scrubbed, else None."""
    scheme, sep, credentials = value.strip().partition(" ")
    if not sep:
        scheme, credentials = "", scheme
    credentials = credentials.strip()
    if not credentials or is_placeholder(credentials):
        return None
    return scheme, credentials


def _cookie_secret(value: str) -> str | None:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value if value and not is_placeholder(value) else None


def _form_secrets(text: str) -> Iterator[tuple[int, str, str]]:
    """(index of the ``&``-piece, kind, decoded value) of every unscrubbed credential field."""
    pieces = [piece.partition("=") for piece in text.split("&")]
    names = {unquote_plus(name).lower() for name, sep, _ in pieces if sep}
    oauth = bool(names & _OAUTH_CONTEXT)
    for index, (name, sep, raw) in enumerate(pieces):
        kind = _FORM_FIELDS.get(unquote_plus(name).lower()) if sep else None
        if kind is None or (kind == "code" and not oauth):
            continue
        value = unquote_plus(raw)
        if value and not is_placeholder(value):
            yield index, kind, value


def _userinfo_secrets(info: str) -> list[tuple[str, str]]:
    user, _, password = unquote(info).partition(":")
    return [
        (kind, value)
        for kind, value in (("username", user), ("password", password))
        if value and not is_placeholder(value)
    ]


def _split_url(url: str) -> tuple[str, str, str, str, str]:
    """(before the query, "?", query, "#", fragment) without any normalisation."""
    rest, hsep, fragment = url.partition("#")
    head, qsep, query = rest.partition("?")
    return head, qsep, query, hsep, fragment


def _is_url_header(name: str, value: str) -> bool:
    return name.lower() in _URL_HEADERS or _ABSOLUTE_URL.match(value) is not None


def _json_body(text: str) -> bool:
    if text.lstrip()[:1] not in ("{", "[", '"'):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _form_body(headers: Mapping[str, Any], text: str) -> bool:
    content_type = _header(headers, "content-type").lower()
    if content_type:
        return "x-www-form-urlencoded" in content_type
    return _FORM_BODY.fullmatch(text) is not None


# --- structural scrubbing ---------------------------------------------------------------


def _scrub_userinfo(text: str, secrets: SecretSet) -> tuple[str, int]:
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        found = _userinfo_secrets(match["info"])
        for kind, value in found:
            secrets.add(kind, value)
        count += bool(found)
        return match["scheme"]

    if "@" not in text:
        return text, 0
    return _USERINFO.sub(replace, text), count


def _scrub_form_fields(text: str, secrets: SecretSet) -> tuple[str, int]:
    found = list(_form_secrets(text))
    if not found:
        return text, 0
    pieces = text.split("&")
    for index, kind, value in found:
        name = pieces[index].partition("=")[0]
        # <> stay readable: a reviewer (and a secret scanner) sees a placeholder at a glance.
        pieces[index] = f"{name}={quote(secrets.add(kind, value), safe='<>')}"
    return "&".join(pieces), len(found)


def _scrub_url(url: str, secrets: SecretSet) -> tuple[str, int]:
    head, qsep, query, hsep, fragment = _split_url(url)
    head, n1 = _scrub_userinfo(head, secrets)
    query, n2 = _scrub_form_fields(query, secrets)
    fragment, n3 = _scrub_form_fields(fragment, secrets) if "=" in fragment else (fragment, 0)
    return head + qsep + query + hsep + fragment, n1 + n2 + n3


def _scrub_authorization(value: str, secrets: SecretSet) -> tuple[str, int]:
    found = _auth_secret(value)
    if found is None:
        return value, 0
    scheme, credentials = found
    if scheme.lower() == "basic":
        try:
            pair = base64.b64decode(credentials + "=" * (-len(credentials) % 4), validate=True)
        except binascii.Error:
            pair = b""
        try:
            key, sep, secret = pair.decode("utf-8").partition(":")
        except UnicodeDecodeError:  # requests encodes Basic credentials as Latin-1
            key, sep, secret = pair.decode("latin-1").partition(":")
        if sep:
            secrets.add("client_key", key)
            secrets.add("client_secret", secret)
        return f"{scheme} {_CLIENT_CREDENTIALS}", 1
    if scheme.lower() == "bearer":
        return f"{scheme} {secrets.add('access_token', credentials)}", 1
    return f"{scheme} {_CREDENTIALS}" if scheme else _CREDENTIALS, 1


def _scrub_cookies(value: str, secrets: SecretSet, *, first_only: bool) -> tuple[str, int]:
    pieces = value.split(";")
    count = 0
    for index, piece in enumerate(pieces[:1] if first_only else pieces):
        name, sep, raw = piece.partition("=")
        secret = _cookie_secret(raw) if sep else None
        if secret is not None:
            pieces[index] = f"{name}={secrets.add('cookie', secret)}"
            count += 1
    return ";".join(pieces), count


def _scrub_header(name: str, value: str, secrets: SecretSet) -> tuple[str, int]:
    low = name.lower()
    if low in _AUTH_HEADERS:
        return _scrub_authorization(value, secrets)
    if low == "cookie":
        return _scrub_cookies(value, secrets, first_only=False)
    if low == "set-cookie":
        return _scrub_cookies(value, secrets, first_only=True)
    if _is_url_header(name, value):
        return _scrub_url(value, secrets)
    return value, 0


def _scrub_json_fields(text: str, secrets: SecretSet) -> tuple[str, int]:
    count = 0

    def string(token: str) -> str:
        nonlocal count
        if "@" not in token:
            return token
        decoded = json.loads(token)
        new, n = _scrub_userinfo(decoded, secrets)
        count += n
        return json.dumps(new, ensure_ascii=token.isascii()) if n else token

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        key, colon, value, number = match["key"], match["colon"], match["str"], match["num"]
        kind = _JSON_FIELDS.get(json.loads(key).lower()) if colon is not None else None
        if kind is not None and (value is not None or number is not None):
            secret = json.loads(value) if value is not None else number
            if secret and not is_placeholder(secret):
                count += 1
                return f'{key}{colon}"{secrets.add(kind, secret)}"'
            return match[0]
        return string(key) + (colon or "") + (string(value) if value else number or "")

    return _JSON_TOKEN.sub(replace, text), count


def _scrub_body_fields(
    headers: Mapping[str, Any], text: str, secrets: SecretSet
) -> tuple[str, int]:
    if text.lstrip()[:1] in ("{", "[", '"'):
        if _JSON_FIELD_HINT.search(text) is None and not _form_body(headers, text):
            return text, 0  # the common case, without parsing the JSON
        if _json_body(text):
            return _scrub_json_fields(text, secrets)
    if _form_body(headers, text):
        return _scrub_form_fields(text, secrets)
    return _scrub_userinfo(text, secrets)


# --- free-text scrubbing ----------------------------------------------------------------


def _free_json(text: str, matcher: _Matcher, secrets: SecretSet) -> tuple[str, int]:
    count = 0

    def string(token: str) -> str:
        nonlocal count
        decoded = json.loads(token)
        new, n = matcher.sub(decoded, url_like=False)
        if new == decoded:
            return token
        count += n
        return json.dumps(new, ensure_ascii=token.isascii())

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        key, colon, value, number = match["key"], match["colon"], match["str"], match["num"]
        out = string(key)
        if colon is None:
            return out
        out += colon
        if value is not None:
            if json.loads(key).lower() in _JSON_KNOWN_ONLY:
                placeholder = secrets.placeholder_for(json.loads(value))
                if placeholder is not None:
                    count += 1
                    return f'{out}"{placeholder}"'
            return out + string(value)
        if number is not None:
            new, n = matcher.sub(number, url_like=False)
            count += n
            return out + (json.dumps(new) if n else number)
        return out

    return _JSON_TOKEN.sub(replace, text), count


def _free_body(
    headers: Mapping[str, Any], text: str, matcher: _Matcher, secrets: SecretSet
) -> tuple[str, int]:
    if text.lstrip()[:1] in ("{", "[", '"'):
        if (
            "\\" not in text
            and matcher.pattern.search(text) is None
            and _JSON_KNOWN_HINT.search(text) is None
        ):
            return text, 0
        if _json_body(text):
            return _free_json(text, matcher, secrets)
    return matcher.sub(text, url_like=_form_body(headers, text))


# --- messages ---------------------------------------------------------------------------


def _copy(message: Mapping[str, Any]) -> _Message:
    out: _Message = {}
    for key, value in message.items():
        if key == "headers" and isinstance(value, Mapping):
            out[key] = {k: list(v) if isinstance(v, list | tuple) else v for k, v in value.items()}
        elif isinstance(value, str | bytes | int | float | None):
            out[key] = value
        else:
            out[key] = copy.deepcopy(value)
    return out


def _decode_request(request: Mapping[str, Any]) -> _Message:
    out = _copy(request)
    headers = out.get("headers") or {}
    encoding = _header(headers, "content-encoding").strip().lower()
    body = out.get("body")
    if encoding and isinstance(body, bytes):
        from vcr.filters import AVAILABLE_DECOMPRESSORS

        decompress = AVAILABLE_DECOMPRESSORS.get(encoding)
        if decompress is not None:
            out["body"] = decompress(body)
            # As vcr.filters.decode_response does for responses.
            _set_header(headers, "Content-Encoding", None)
            _set_header(headers, "Content-Length", str(len(out["body"])), add=True)
    return out


def _decode_response(response: Mapping[str, Any]) -> _Message:
    out = _copy(response)
    headers = out.get("headers") or {}
    body = out.get("body")
    string = body.get("string") if isinstance(body, Mapping) else None
    encoding = _header(headers, "content-encoding")
    if (
        encoding
        and isinstance(string, bytes)
        and all(isinstance(v, list) for v in headers.values())
    ):
        from vcr.filters import decode_response

        out = decode_response(out)
    return out


_Transform = Callable[[str, str], tuple[str, int]]  # (header name, value) -> (value, count)


def _map_headers(headers: Mapping[str, Any], fn: _Transform) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    total = 0
    for name, values in headers.items():
        if isinstance(values, list | tuple):
            new = []
            for value in values:
                text, n = fn(name, value) if isinstance(value, str) else (value, 0)
                new.append(text)
                total += n
            out[name] = new
        elif isinstance(values, str):
            out[name], n = fn(name, values)
            total += n
        else:
            out[name] = values
    return out, total


def _map_body(
    body: Any, text_fn: Callable[[str], tuple[str, int]], matcher: _Matcher | None
) -> tuple[Any, int]:
    if isinstance(body, str):
        return text_fn(body)
    if isinstance(body, bytes | bytearray):
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return matcher.sub_bytes(bytes(body)) if matcher is not None else (body, 0)
        new, n = text_fn(text)
        return (body if new == text else new.encode("utf-8")), n
    return body, 0


def _body_length(body: Any) -> int | None:
    if isinstance(body, str):
        return len(body.encode("utf-8", "surrogatepass"))
    if isinstance(body, bytes | bytearray):
        return len(body)
    return None


def _update_body(message: _Message, body: Any, *, in_dict: bool) -> None:
    old = message["body"]["string"] if in_dict else message.get("body")
    if body is old:
        return
    if in_dict:
        message["body"] = {**message["body"], "string": body}
    else:
        message["body"] = body
    length = _body_length(body)
    if length is not None and length != _body_length(old):
        _set_header(message.get("headers") or {}, "Content-Length", str(length))


def _get_body(message: _Message, *, in_dict: bool) -> Any:
    if in_dict:
        body = message.get("body")
        return body.get("string") if isinstance(body, Mapping) else None
    return message.get("body")


def _structural(message: _Message, secrets: SecretSet, *, is_request: bool) -> int:
    """Replace the credential positions of a decoded message in place; return the count."""
    total = 0
    if is_request and isinstance(message.get("uri"), str):
        message["uri"], total = _scrub_url(message["uri"], secrets)
    headers = message.get("headers") or {}
    if headers:
        message["headers"], n = _map_headers(
            headers, lambda name, value: _scrub_header(name, value, secrets)
        )
        total += n
    body = _get_body(message, in_dict=not is_request)
    if body:
        new, n = _map_body(
            body, lambda text: _scrub_body_fields(message.get("headers") or {}, text, secrets), None
        )
        _update_body(message, new, in_dict=not is_request)
        total += n
    return total


def _free_text(
    message: _Message, matcher: _Matcher | None, secrets: SecretSet, *, is_request: bool
) -> int:
    """Replace the known values and base URLs of a decoded message in place."""
    if matcher is None:
        return 0
    total = 0
    if is_request and isinstance(message.get("uri"), str):
        message["uri"], total = matcher.sub(message["uri"], url_like=True)
    status = message.get("status")
    if isinstance(status, Mapping) and isinstance(status.get("message"), str):
        text, n = matcher.sub(status["message"], url_like=False)
        message["status"] = {**status, "message": text}
        total += n

    def header(name: str, value: str) -> tuple[str, int]:
        if name.lower() in _AUTH_HEADERS:
            return value, 0
        return matcher.sub(value, url_like=_is_url_header(name, value))

    headers = message.get("headers") or {}
    if headers:
        message["headers"], n = _map_headers(headers, header)
        total += n
    body = _get_body(message, in_dict=not is_request)
    if body:
        new, n = _map_body(
            body,
            lambda text: _free_body(message.get("headers") or {}, text, matcher, secrets),
            matcher,
        )
        _update_body(message, new, in_dict=not is_request)
        total += n
    return total


def scrub_request(
    request: Mapping[str, Any],
    secrets: SecretSet,
    *,
    base_urls: Sequence[str] = (),
    neutral_base: str = NEUTRAL_BASE,
) -> tuple[dict[str, Any], int]:
    """Return a scrubbed copy of a serialized request and the number of values replaced.

    Credential positions are scrubbed first (registering what they hold in ``secrets``),
    then every known value; ``base_urls`` become ``neutral_base``. Cheap with an empty
    ``secrets`` and no ``base_urls``: only the credential positions are looked at.
    """
    out = _decode_request(request)
    count = _structural(out, secrets, is_request=True)
    count += _free_text(out, secrets._matcher(base_urls, neutral_base), secrets, is_request=True)
    return out, count


def scrub_response(
    response: Mapping[str, Any],
    secrets: SecretSet,
    *,
    base_urls: Sequence[str] = (),
    neutral_base: str = NEUTRAL_BASE,
) -> tuple[dict[str, Any], int]:
    """Return a scrubbed, decompressed copy of a serialized response and the count replaced."""
    out = _decode_response(response)
    count = _structural(out, secrets, is_request=False)
    count += _free_text(out, secrets._matcher(base_urls, neutral_base), secrets, is_request=False)
    return out, count


def scrub_interactions(
    data: Mapping[str, Any],
    secrets: SecretSet,
    *,
    base_urls: Sequence[str] = (),
    neutral_base: str = NEUTRAL_BASE,
) -> tuple[dict[str, Any], int]:
    """Return scrubbed cassette data (``{"version": 1, "interactions": [...]}``) and the count.

    Two passes: the credential positions of every interaction are scrubbed first, so a
    token issued in interaction 3 is also replaced where interaction 0 mentions it.
    """
    out = {key: copy.deepcopy(value) for key, value in data.items() if key != "interactions"}
    messages = []
    count = 0
    for interaction in data.get("interactions") or ():
        request = _decode_request(interaction["request"])
        response = _decode_response(interaction["response"])
        count += _structural(request, secrets, is_request=True)
        count += _structural(response, secrets, is_request=False)
        messages.append((interaction, request, response))
    matcher = secrets._matcher(base_urls, neutral_base)
    interactions = []
    for interaction, request, response in messages:
        count += _free_text(request, matcher, secrets, is_request=True)
        count += _free_text(response, matcher, secrets, is_request=False)
        rest = {k: copy.deepcopy(v) for k, v in interaction.items() if k not in _MESSAGES}
        interactions.append({**rest, "request": request, "response": response})
    out["interactions"] = interactions
    return out, count


_MESSAGES: Final = ("request", "response")


# --- the leak check ---------------------------------------------------------------------


def _loose_json_unescape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        if match[1]:
            return chr(int(match[1], 16))
        return _SHORT_ESCAPES.get(match[2], match[2])

    return _LOOSE_JSON_ESCAPE.sub(replace, text)


def _layers(text: str) -> Iterator[tuple[str, str | None]]:
    """The text and what it decodes to, each with the form its decoding undid."""
    yield text, None
    seen = {text}
    decoded: list[tuple[str, str]] = []
    if "%" in text or "+" in text:
        decoded += [(unquote(text), "percent-encoded"), (unquote_plus(text), "percent-encoded")]
    if "\\" in text:
        decoded.append((_loose_json_unescape(text), "json-escaped"))
    for layer, form in decoded:
        if layer not in seen:
            seen.add(layer)
            yield layer, form


def _json_pairs(value: Any) -> Iterator[tuple[str | None, Any]]:
    """(key or None, scalar) for every scalar of a JSON document, keys as scalars too."""
    if isinstance(value, list) and value and isinstance(value[0], tuple):  # an object's pairs
        for key, item in value:
            yield None, key
            if isinstance(item, list):
                yield from _json_pairs(item)
            else:
                yield key, item
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, list):
                yield from _json_pairs(item)
            else:
                yield None, item
    else:
        yield None, value


def _load_json(text: str) -> Any:
    return json.loads(text, object_pairs_hook=list)


def _decoded(data: Mapping[str, Any]) -> Iterator[tuple[int, _Message, _Message]]:
    for index, interaction in enumerate(data.get("interactions") or ()):
        yield (
            index,
            _decode_request(interaction["request"]),
            _decode_response(interaction["response"]),
        )


def _structural_leaks(side: str, message: _Message, body: Any) -> Iterator[tuple[str, str, str]]:
    """(place, kind, form) of every credential position that still holds a value."""
    if side == "request" and isinstance(message.get("uri"), str):
        yield from _url_leaks("request.uri", message["uri"])
    headers = message.get("headers") or {}
    for name, values in headers.items():
        place = f"{side}.headers.{name}"
        for value in values if isinstance(values, list | tuple) else [values]:
            if not isinstance(value, str):
                continue
            low = name.lower()
            if low in _AUTH_HEADERS:
                if _auth_secret(value) is not None:
                    yield place, "credentials", "authorization header"
            elif low in ("cookie", "set-cookie"):
                pieces = value.split(";")
                for piece in pieces[:1] if low == "set-cookie" else pieces:
                    _, sep, raw = piece.partition("=")
                    if sep and _cookie_secret(raw) is not None:
                        yield place, "cookie", "cookie value"
            elif _is_url_header(name, value):
                yield from _url_leaks(place, value)
    if isinstance(body, bytes | bytearray):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            # Still compressed (an encoding vcrpy cannot undo): nothing inside can be checked.
            encoding = _header(headers, "content-encoding").strip().lower()
            if encoding and encoding != "identity":
                yield f"{side}.body", "unverifiable body", f"{encoding}-encoded"
            return
    if not isinstance(body, str) or not body:
        return
    place = f"{side}.body"
    if _json_body(body):
        for key, value in _json_pairs(_load_json(body)):
            kind = _JSON_FIELDS.get(key.lower()) if key is not None else None
            scalar = isinstance(value, str | int | float) and not isinstance(value, bool)
            if kind and scalar and str(value) and not is_placeholder(str(value)):
                yield place, kind, "json field"
            if isinstance(value, str) and _USERINFO.search(value):
                yield place, "userinfo", "url"
    elif _form_body(headers, body):
        for _, kind, _ in _form_secrets(body):
            yield place, kind, "form field"
    elif _USERINFO.search(body):
        yield place, "userinfo", "url"


def _url_leaks(place: str, url: str) -> Iterator[tuple[str, str, str]]:
    head, _, query, _, fragment = _split_url(url)
    for match in _USERINFO.finditer(head):
        if _userinfo_secrets(match["info"]):
            yield place, "userinfo", "url"
    for text in (query, fragment):
        for _, kind, _ in _form_secrets(text):
            yield place, kind, "query field"


def _value_leaks(place: str, text: str, matcher: _Matcher) -> Iterator[tuple[str, str, str]]:
    for layer, decoding in _layers(text):
        for hit in matcher.find(layer):
            yield place, hit.kind, hit.form if decoding is None or hit.form != "raw" else decoding


def _body_value_leaks(
    place: str, body: Any, matcher: _Matcher, secrets: SecretSet
) -> Iterator[tuple[str, str, str]]:
    if isinstance(body, bytes | bytearray):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            for hit in matcher.find_bytes(bytes(body)):
                yield place, hit.kind, hit.form
            return
    if not isinstance(body, str) or not body:
        return
    yield from _value_leaks(place, body, matcher)
    if _json_body(body):
        for key, value in _json_pairs(_load_json(body)):
            if isinstance(value, str):
                if key is not None and key.lower() in _JSON_KNOWN_ONLY and value in secrets:
                    yield place, secrets._kind_of(value), "json field"
                yield from _value_leaks(place, value, matcher)


def _message_value_leaks(
    side: str, message: _Message, matcher: _Matcher, secrets: SecretSet
) -> Iterator[tuple[str, str, str]]:
    if isinstance(message.get("uri"), str):
        yield from _value_leaks(f"{side}.uri", message["uri"], matcher)
    status = message.get("status")
    if isinstance(status, Mapping) and isinstance(status.get("message"), str):
        yield from _value_leaks(f"{side}.status", status["message"], matcher)
    for name, values in (message.get("headers") or {}).items():
        if name.lower() in _AUTH_HEADERS:
            continue  # structural: anything but a placeholder there is a leak already
        for value in values if isinstance(values, list | tuple) else [values]:
            if isinstance(value, str):
                yield from _value_leaks(f"{side}.headers.{name}", value, matcher)
    body = _get_body(message, in_dict=side == "response")
    yield from _body_value_leaks(f"{side}.body", body, matcher, secrets)


def _leaks(data: Mapping[str, Any], secrets: SecretSet | None, neutral_base: str) -> list[Leak]:
    matcher = secrets._matcher((), neutral_base) if secrets is not None else None
    leaks: dict[Leak, None] = {}
    for index, request, response in _decoded(data):
        for side, message in (("request", request), ("response", response)):
            body = _get_body(message, in_dict=side == "response")
            found = list(_structural_leaks(side, message, body))
            if matcher is not None and secrets is not None:
                found += _message_value_leaks(side, message, matcher, secrets)
            leaks.update(dict.fromkeys(Leak(index, *where) for where in found))
    return list(leaks)


def find_structural_leaks(data: Mapping[str, Any]) -> list[Leak]:
    """Credential positions in cassette data that hold something other than a placeholder.

    Needs no known value, so an audit can run it over any cassette.
    """
    return _leaks(data, None, NEUTRAL_BASE)


def find_leaks(
    data: Mapping[str, Any], secrets: SecretSet, *, neutral_base: str = NEUTRAL_BASE
) -> list[Leak]:
    """Every place in cassette data where a credential survived; empty when it is clean.

    Reports the :func:`find_structural_leaks` findings and every form of every value in
    ``secrets``, under the same replacement rule the scrubber applies.
    """
    return _leaks(data, secrets, neutral_base)
