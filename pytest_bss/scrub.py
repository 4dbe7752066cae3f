"""Take every trace of a credential out of recorded HTTP interactions.

Pure functions over vcrpy's serialized interaction dicts (what a cassette file holds):
they return new objects and never mutate their inputs, and they never raise on what a
message holds (a traceback would print the frame, and the frame holds the credential).
Only :class:`SecretSet` has state: the credential values one run knows, each with its
placeholder (``<BSS_PASSWORD>``, ``<BSS_ACCESS_TOKEN_1>`` ...). How a message is read
(headers, charsets, compression, forms, multipart, JSON, layers) is
:mod:`pytest_bss.decoding`; where credentials sit is :mod:`pytest_bss.catalogue`.
Scrubbing has two halves, and :func:`find_leaks` checks both the same way.

**Structural** (needs no known value; also right for cassettes made by other tools).
These are the *credential positions*:

* ``Authorization`` / ``Proxy-Authorization``: ``Basic <BSS_CLIENT_CREDENTIALS>``,
  ``Bearer <BSS_ACCESS_TOKEN_n>``, any other scheme ``<scheme> <BSS_CREDENTIALS>``
  (also when the value is not valid base64 or not ASCII);
* ``Cookie`` values and the value of each ``Set-Cookie`` (names and attributes kept);
* form fields in form-encoded bodies, ``multipart/form-data`` parts, query strings and URL
  fragments named ``username``, ``password``, ``client_id``, ``client_key``,
  ``client_secret``, ``access_token``, ``refresh_token``, ``id_token``, and ``code`` when
  the same form also carries an OAuth field (``grant_type``, ``redirect_uri``,
  ``client_id``, ``state``, ``code_verifier``, ``response_type``) -- BSS uses ``code`` for
  account codes;
* JSON keys (any content type, any depth) ``access_token``, ``refresh_token``,
  ``id_token``, ``token``, ``password`` (and any key ending in ``password``),
  ``client_secret``; under such a key, the strings of its ``value`` keys and its list
  items (``{"token": {"value": ...}}``); and JSON keys ``username``, ``client_id``,
  ``client_key`` when their value is a known value;
* userinfo in URLs (``https://user:pass@host/``), which is removed.

Names compare case-, underscore- and hyphen-insensitively: ``access_token`` ==
``accessToken`` == ``AccessToken`` == ``access-token``. The positions are also read inside
values, to :data:`~pytest_bss.decoding.MAX_DEPTH` levels: JSON in a JSON string (in a JSON
string ...), a form or URL in a JSON string, JSON or a form in a form value. Every value
found there is registered in the :class:`SecretSet` first, so that its other appearances
are handled by the second half too.

**Known values.** Every value in the :class:`SecretSet` (and the Basic pairs
``client_key:client_secret`` -> ``<BSS_CLIENT_CREDENTIALS>`` and ``username:password``
-> ``<BSS_USER_CREDENTIALS>``) is looked for wherever it may appear -- uri, header values,
status message, bodies -- raw; percent-encoded (``quote(v, safe="")``, ``quote(v)``,
``quote_plus(v)``, upper- and lowercase hex); JSON-escaped (``ensure_ascii`` on and off,
``\\/``, ``\\uXXXX`` in either case, and the .NET escaping of ``+ < > & ' "``);
HTML-escaped (``html.escape`` with and without quotes, ``&#39;``, non-ASCII as ``&#NNN;``);
hex of the UTF-8 bytes (either case); and base64 (standard and url-safe, padded or not, of
the UTF-8 and the Latin-1 bytes). A percent-encoded form, or any form in a URL or a
form-encoded body, becomes ``%3CBSS_...%3E``; anything else the bare placeholder.

The length rule. *Secrets* are ``password``, ``client_secret``, the tokens, ``code``,
cookies and the two Basic pairs; *identifiers* are ``username`` and ``client_key`` (they
name an account, they do not unlock it). The length is that of the raw value:

* any kind, 16 characters or more: replaced anywhere, in every form;
* a secret shorter than 16: replaced in its credential positions only. Any other
  occurrence, in any form, even inside a word, is left as it is and reported by
  :func:`find_leaks` (:attr:`Leak.fix`: record with a password of 16+ characters that does
  not occur in the tenant's data), so the write is refused: a placeholder put there would
  tell a reader where the password is (``Contoso1`` in ``<BSS_PASSWORD> Ltd``);
* an identifier of 6 to 15 characters: replaced only where neither neighbour is an ASCII
  letter or digit (a neighbour written as ``%XX``, ``\\uXXXX`` or ``\\n``-style escape
  counts as not alphanumeric); under 6: only in credential positions, so a username
  ``api`` never touches ``/api/accounts``;
* a cookie value shorter than 16 is a preference such as ``lang=en``: replaced in cookie
  headers only, and not reported elsewhere.

**Host neutralization.** Each of ``base_urls`` (a trailing ``/`` is implied), raw,
percent-encoded or with ``\\/``, is rewritten to ``neutral_base`` wherever it occurs
(uri, header values, bodies); this is not counted as a value scrubbed.

**Bodies.** Compressed bodies (gzip, deflate, and br when vcrpy can) are stored decoded,
without ``Content-Encoding``. A bytes body is read by its byte-order mark (UTF-8 always;
UTF-16/UTF-32 when the ``Content-Type`` is textual), else by its declared ``charset``,
else as UTF-8, and a changed body is written back in the same charset with the same mark
(a UTF-16 body stays UTF-16). A body that is none of these is searched for the UTF-8 and
Latin-1 bytes of every form. ``Content-Length`` follows every body change. A JSON body
stays valid JSON, a form body a form. Existing placeholders and the neutral base URL are
never rewritten, so scrubbing is idempotent.

**What refuses.** :func:`find_leaks` decodes every layer (compression, charsets, BOMs,
percent-encoding, JSON escapes and strings, HTML entities, hex, form values) and applies
exactly these rules. Besides surviving credentials it reports, with kind
``unverifiable body``, what it cannot check: a body still compressed (an encoding it
cannot undo), bytes its declared charset cannot read or with an unknown charset, a
textual body that is not UTF-8, values nested deeper than ``MAX_DEPTH``.
:class:`Leak` names the place and the form, never the value. Interactions are numbered
from 0, as indexes into ``data["interactions"]``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import html
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, quote_plus, unquote_plus

from .catalogue import (
    AUTH_HEADERS,
    COOKIE_HEADERS,
    IDENTIFIER_KINDS,
    header_kind,
    is_placeholder_value,
    json_credential_kind,
    json_identifier_kind,
    split_scheme,
)
from .decoding import (
    ABSOLUTE_URL,
    FORM_TEXT,
    MAX_DEPTH,
    USERINFO,
    authorization_credentials,
    body_text,
    cookie_credential,
    credential_positions,
    decode_message,
    form_body,
    form_credentials,
    header,
    is_json,
    is_placeholder,
    is_textual,
    is_url_header,
    json_entries,
    layers,
    looks_like_json,
    media_type,
    message_body,
    multipart_boundary,
    multipart_credentials,
    nested_texts,
    replace_body,
    shape_credentials,
    split_url,
    userinfo_values,
)

if TYPE_CHECKING:
    from .config import BssConfig

__all__ = [
    "KINDS",
    "NEUTRAL_BASE",
    "SHORT_SECRET_FIX",
    "Leak",
    "SecretSet",
    "find_leaks",
    "find_structural_leaks",
    "interaction_leaks",
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
    "api_key": "API_KEY",
    "secret": "SECRET",
    "session": "SESSION",
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
_ANYWHERE: Final = 16  # values this long are replaced anywhere
_BOUNDED: Final = 6  # identifiers this long are replaced between non-alphanumerics

#: The fix a :class:`Leak` of a secret shorter than 16 characters names.
SHORT_SECRET_FIX: Final = (
    "record with a {what} of 16+ characters that does not occur in the tenant's data"  # noqa: S105
)
_WHAT: Final = {
    "password": "password",
    "client_secret": "client secret",
    "user_credentials": "password",
    "client_credentials": "client secret",
}

# Words that every catalogued JSON field name holds (catalogue.SECRET_FIELDS, QUERY_SIGNATURES).
_FIELD_WORDS: Final = (
    "token",
    "passw",
    "passphrase",
    "secret",
    "key",
    "code",
    "sess",
    "sig",
    "@",
    "\\",
)
_FORM_WORDS: Final = ("user", "client", "code")  # a form in a JSON string has a "="


def _json_field_hint(text: str) -> bool:
    """Whether a JSON text may hold a credential position (cheap: no parsing)."""
    low = text.lower()
    return any(w in low for w in _FIELD_WORDS) or (
        "=" in low and any(w in low for w in _FORM_WORDS)
    )


_JSON_KNOWN_HINT: Final = re.compile(r'(?i:user[_\-. ]?name|client[_\-. ]?(?:id|key))"\s*:')

# Neighbours that count as "not a letter or digit" for 6..15-character identifiers.
_BEFORE: Final = (  # asserted just after the first character, {first}
    r"(?:(?<![A-Za-z0-9]{first})|(?<=%[0-9A-Fa-f]{{2}}{first})"
    r"|(?<=\\u[0-9A-Fa-f]{{4}}{first})|(?<=\\[nrtbf]{first}))"
)
_AFTER: Final = r"(?![A-Za-z0-9])"
_KEEP: Final = (
    r"<BSS_[A-Z][A-Z0-9_]*>",
    r"%3[Cc]BSS_[A-Z][A-Z0-9_]*%3[Ee]",
    r"\\u003[Cc]BSS_[A-Z][A-Z0-9_]*\\u003[Ee]",
    r"&lt;BSS_[A-Z][A-Z0-9_]*&gt;",
)

_Message = dict[str, Any]


@dataclass(frozen=True)
class Leak:
    """Where a credential survived: the place and the form, never the value.

    ``interaction`` indexes ``data["interactions"]`` (from 0); ``place`` is like
    ``request.uri``, ``request.headers.Cookie`` or ``response.body``. ``fix``, when
    set, says what to do about it (it is not part of the comparison).
    """

    interaction: int
    place: str
    kind: str
    form: str
    fix: str = field(default="", compare=False)

    def __str__(self) -> str:
        text = f"interaction {self.interaction}: {self.place}: {self.kind} ({self.form})"
        return f"{text}; {self.fix}" if self.fix else text


# --- the known values -----------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    replacement: str
    encoded: str  # the replacement inside a URL or a form
    kind: str  # "" for a base URL, which is rewritten but not counted
    form: str
    replace: bool = True  # False: a short secret, reported and never replaced


def _alternatives(hits: Mapping[str, tuple[_Hit, bool]]) -> list[str]:
    by_first: dict[str, list[str]] = {}
    for text in sorted(hits, key=len, reverse=True):
        first, rest = re.escape(text[0]), re.escape(text[1:])
        bounded = hits[text][1]
        by_first.setdefault(first, []).append(
            f"{_BEFORE.format(first=first)}{rest}{_AFTER}" if bounded else rest
        )
    return [f"{first}(?:{'|'.join(rests)})" for first, rests in by_first.items()]


class _Matcher:
    """Compiled regexes for every form of every known value (and the base URLs).

    ``pattern`` finds what is replaced; ``report_pattern`` what is only reported (secrets
    shorter than 16 characters), so that a short value never hides a longer one that
    overlaps it. Every alternative starts with a literal character, which lets ``re``
    skip positions that cannot start a match, and forms are grouped by that character.
    Longer forms come first, so the longest form at a position wins.
    """

    def __init__(self, hits: Mapping[str, tuple[_Hit, bool]], protect: Sequence[str]) -> None:
        self._hits = {text: hit for text, (hit, _) in hits.items()}
        keep = [*_KEEP, *map(re.escape, protect)]
        replaced = {t: h for t, h in hits.items() if h[0].replace}
        reported = {t: h for t, h in hits.items() if not h[0].replace}
        self._source = "|".join(keep + _alternatives(replaced))
        self.pattern = re.compile(self._source)
        self._report_source = "|".join(keep + _alternatives(reported)) if reported else ""
        self.report_pattern = re.compile(self._report_source) if reported else None
        self._bytes_patterns: list[re.Pattern[bytes]] | None = None

    @property
    def bytes_patterns(self) -> list[re.Pattern[bytes]]:
        if self._bytes_patterns is None:
            sources = [self._source, self._report_source]
            self._bytes_patterns = [
                re.compile(s.encode("utf-8", "surrogatepass")) for s in sources if s
            ]
        return self._bytes_patterns

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
        """Replace in a body that is not text: the UTF-8 forms, then the Latin-1 ones."""
        count = 0

        def replace(match: re.Match[bytes]) -> bytes:
            nonlocal count
            hit = self._hits.get(match[0].decode("utf-8", "surrogatepass"))
            if hit is None:
                return match[0]
            count += bool(hit.kind)
            return hit.replacement.encode("utf-8", "surrogatepass")

        data = self.bytes_patterns[0].sub(replace, data)
        text, latin = self.sub(data.decode("latin-1"), url_like=False)
        return text.encode("latin-1"), count + latin

    def find(self, text: str) -> Iterator[_Hit]:
        for pattern in (self.pattern, self.report_pattern):
            if pattern is None:
                continue
            for match in pattern.finditer(text):
                hit = self._hits.get(match[0])
                if hit is not None and hit.kind:
                    yield hit

    def find_bytes(self, data: bytes) -> Iterator[_Hit]:
        for pattern in self.bytes_patterns:
            for match in pattern.finditer(data):
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


def _html_forms(value: str) -> list[str]:
    # Python's html.escape, its quote=False form, the &#39; of .NET and PHP, and every
    # non-ASCII character as a decimal reference (HtmlEncode, xmlcharrefreplace).
    escaped = html.escape(value)
    out = [escaped, html.escape(value, quote=False), escaped.replace("&#x27;", "&#39;")]
    out += [
        text.encode("ascii", "xmlcharrefreplace").decode("ascii")
        for text in out
        if not text.isascii()
    ]
    return out


_REQUOTE_SAFE: Final = "!#$&'()*+,/:;=?@[]~"


def _forms(value: str) -> dict[str, str]:
    """Every written form of ``value``, mapped to the name of the form."""
    forms = {value: "raw"}
    for encoded in (
        quote(value, safe="", errors="surrogatepass"),
        quote(value, errors="surrogatepass"),
        quote_plus(value, errors="surrogatepass"),
        # requests' requote_uri: reserved characters kept, "%" kept or (when what follows
        # is no escape) encoded, the rest percent-encoded
        quote(value, safe=_REQUOTE_SAFE + "%", errors="surrogatepass"),
        quote(value, safe=_REQUOTE_SAFE, errors="surrogatepass"),
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
    for escaped in _html_forms(value):
        forms.setdefault(escaped, "html-escaped")
    encodings = [value.encode("utf-8", "surrogatepass")]
    with contextlib.suppress(UnicodeEncodeError):
        encodings.append(value.encode("latin-1"))  # requests' Basic auth encodes Latin-1
    for raw in encodings[1:]:  # a query or form built from Latin-1 bytes: %E4, not %C3%A4
        for encoded in (quote(raw, safe=""), quote(raw), quote_plus(raw)):
            forms.setdefault(encoded, "percent-encoded")
            forms.setdefault(_lower_hex(encoded), "percent-encoded")
    for raw in encodings:
        for b64 in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
            text = b64.decode("ascii")
            forms.setdefault(text, "base64")
            forms.setdefault(text.rstrip("="), "base64")
    hexed = encodings[0].hex()
    forms.setdefault(hexed, "hex")
    forms.setdefault(hexed.upper(), "hex")
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
        self._anywhere: set[str] = set()
        self._matchers: dict[tuple[tuple[str, ...], str], _Matcher | None] = {}

    @classmethod
    def from_config(cls, config: BssConfig) -> SecretSet:
        """A set holding the four credentials of ``config``."""
        secrets = cls()
        for kind, value in config.secrets().items():
            secrets.add(kind, value)
        return secrets

    def add(self, kind: str, value: str, *, anywhere: bool = False) -> str:
        """Register ``value`` as a ``kind`` and return its placeholder.

        Adding a known value again returns the placeholder it already has. An empty
        value or a placeholder is ignored and returned as it is. ``anywhere``: replace the
        value wherever it appears, whatever its length (a token of a known shape).
        """
        if kind not in KINDS:
            raise ValueError(f"unknown secret kind {kind!r}; expected one of {', '.join(KINDS)}")
        if not value or is_placeholder(value):
            return value
        with self._lock:
            if anywhere and value not in self._anywhere:
                self._anywhere.add(value)
                self._matchers.clear()
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

    def kind_of(self, value: str) -> str | None:
        """The kind a known value was added as, or ``None``."""
        return self._kinds.get(value)

    def redact(self, text: str) -> str:
        """``text`` with every form of every known value replaced by its placeholder,
        whatever its length: for messages that quote a file."""
        matcher = self._matcher()
        if matcher is not None:
            text = matcher.sub(text, url_like=False)[0]
        for value, placeholder in sorted(self._placeholders.items(), key=lambda i: -len(i[0])):
            for form in _forms(value):
                text = text.replace(form, placeholder)
        return text

    def replace(self, text: str) -> str:
        """``text`` with the known values replaced where the scrubber replaces them in free
        text (every form; values too short to tell apart from data are left)."""
        matcher = self._matcher()
        return text if matcher is None else matcher.sub(text, url_like=False)[0]

    def find(self, text: str) -> list[tuple[str, str]]:
        """(kind, form) of every known value in ``text``, under the replacement rule."""
        matcher = self._matcher()
        return [] if matcher is None else [(h.kind, h.form) for h in matcher.find(text)]

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

    def _free_text_values(self) -> list[tuple[str, str, str, str]]:
        """(value, kind, placeholder, mode) of every value looked for outside credential
        positions; mode is ``anywhere``, ``bounded`` or ``report``."""
        by_kind: dict[str, list[str]] = {}
        out = []
        for value, kind in self._kinds.items():
            by_kind.setdefault(kind, []).append(value)
            mode = "anywhere" if value in self._anywhere else _mode(kind, len(value))
            if mode:
                out.append((value, kind, self._placeholders[value], mode))
        for first, second, kind, placeholder in _PAIRS:
            for a in by_kind.get(first, ()):
                for b in by_kind.get(second, ()):
                    pair = f"{a}:{b}"
                    out.append((pair, kind, placeholder, _mode(kind, len(pair))))
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
            values = self._free_text_values()
            # Replaced values first: a text that is both a replaced and a reported form
            # is replaced.
            values.sort(key=lambda item: item[3] == "report")
            for value, kind, placeholder, mode in values:
                encoded = quote(placeholder, safe="")
                for text, form in _forms(value).items():
                    replacement = encoded if form == "percent-encoded" else placeholder
                    hit = _Hit(replacement, encoded, kind, form, mode != "report")
                    hits.setdefault(text, (hit, mode == "bounded"))
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


def _mode(kind: str, length: int) -> str:
    """How a value of ``kind`` and ``length`` is treated outside credential positions."""
    if length >= _ANYWHERE:
        return "anywhere"
    if kind in ("cookie", "session"):
        return ""  # lang=en, or a numeric session id: replaced in its header only
    if kind in IDENTIFIER_KINDS:
        return "bounded" if length >= _BOUNDED else ""
    return "report"


# --- structural helpers, shared by scrubbing and the leak check -------------------------


def _dump_str(value: str, *, ascii_only: bool) -> str:
    text = json.dumps(value, ensure_ascii=ascii_only)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only an escape can carry it
        return json.dumps(value)
    return text


def _loads_str(token: str) -> str | None:
    try:
        value = json.loads(token)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


# --- structural scrubbing ---------------------------------------------------------------


def _scrub_userinfo(text: str, secrets: SecretSet) -> tuple[str, int]:
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        found = userinfo_values(match["info"])
        for kind, value in found:
            secrets.add(kind, value)
        count += bool(found)
        return match["scheme"]

    if "@" not in text:
        return text, 0
    return USERINFO.sub(replace, text), count


def _scrub_form_fields(
    text: str, secrets: SecretSet, depth: int = 0, *, query: bool = False
) -> tuple[str, int]:
    found = {index: (kind, value) for index, kind, value in form_credentials(text, query=query)}
    pieces = text.split("&")
    count = 0
    for index, piece in enumerate(pieces):
        name, sep, raw = piece.partition("=")
        if index in found:
            kind, value = found[index]
            # <> stay readable: a reviewer (and a secret scanner) sees a placeholder at a glance.
            pieces[index] = f"{name}={quote(secrets.add(kind, value), safe='<>')}"
            count += 1
        elif sep and depth < MAX_DEPTH and ("=" in raw or "%" in raw or "@" in raw):
            value = unquote_plus(raw)
            new, n = _scrub_nested(value, secrets, depth + 1)
            if n:
                pieces[index] = f"{name}={quote_plus(new, safe='<>')}"
                count += n
    return ("&".join(pieces), count) if count else (text, 0)


def _scrub_url(url: str, secrets: SecretSet) -> tuple[str, int]:
    head, qsep, query, hsep, fragment = split_url(url)
    head, n1 = _scrub_userinfo(head, secrets)
    query, n2 = _scrub_form_fields(query, secrets, query=True) if "=" in query else (query, 0)
    fragment, n3 = (
        _scrub_form_fields(fragment, secrets, query=True) if "=" in fragment else (fragment, 0)
    )
    return head + qsep + query + hsep + fragment, n1 + n2 + n3


def _basic_pair(credentials: str) -> tuple[str, str] | None:
    try:
        raw = base64.b64decode(credentials + "=" * (-len(credentials) % 4), validate=True)
    except (binascii.Error, ValueError):  # ValueError: a str that is not ASCII
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # requests encodes Basic credentials as Latin-1
        text = raw.decode("latin-1")
    key, sep, secret = text.partition(":")
    return (key, secret) if sep else None


def _scrub_authorization(value: str, secrets: SecretSet) -> tuple[str, int]:
    found = authorization_credentials(value)
    if found is None:
        return value, 0
    scheme, credentials = found
    if scheme.lower() == "basic":
        pair = _basic_pair(credentials)
        if pair is not None:
            secrets.add("client_key", pair[0])
            secrets.add("client_secret", pair[1])
        return f"{scheme} {_CLIENT_CREDENTIALS}", 1
    if scheme.lower() == "bearer":
        return f"{scheme} {secrets.add('access_token', credentials)}", 1
    return f"{scheme} {_CREDENTIALS}" if scheme else _CREDENTIALS, 1


def _scrub_cookies(value: str, secrets: SecretSet, *, first_only: bool) -> tuple[str, int]:
    pieces = value.split(";")
    count = 0
    for index, piece in enumerate(pieces[:1] if first_only else pieces):
        name, sep, raw = piece.partition("=")
        secret = cookie_credential(raw, name) if sep else None
        if secret is not None:
            pieces[index] = f"{name}={secrets.add('cookie', secret)}"
            count += 1
    return ";".join(pieces), count


def _scrub_header(name: str, value: str, secrets: SecretSet) -> tuple[str, int]:
    low = name.lower()
    if low in AUTH_HEADERS:
        return _scrub_authorization(value, secrets)
    if low == "cookie":
        return _scrub_cookies(value, secrets, first_only=False)
    if low == "set-cookie":
        return _scrub_cookies(value, secrets, first_only=True)
    kind = header_kind(name)
    if kind is not None:
        scheme, credential = split_scheme(value)
        if is_placeholder_value(credential):
            return value, 0
        placeholder = secrets.add(kind, credential)
        return (f"{scheme} {placeholder}" if scheme else placeholder), 1
    if is_url_header(name, value):
        return _scrub_url(value, secrets)
    return value, 0


def _scrub_json_fields(text: str, secrets: SecretSet, depth: int = 0) -> tuple[str, int]:
    count = 0

    def rewrite(path: tuple[str | None, ...], token: str, is_key: bool) -> str:
        nonlocal count
        kind = None if is_key else json_credential_kind(path)
        if kind is not None:
            secret = _loads_str(token) if token[0] == '"' else token
            if secret and not is_placeholder_value(secret):
                count += 1
                return f'"{secrets.add(kind, secret)}"'
            return token
        if token[0] != '"' or depth >= MAX_DEPTH:
            return token
        value = _loads_str(token)
        if value is None:
            return token
        new, n = _scrub_nested(value, secrets, depth + 1)
        if not n:
            return token
        count += n
        return _dump_str(new, ascii_only=token.isascii())

    new = _json_sub(text, rewrite)
    return new, count


def _json_sub(text: str, fn: Callable[[tuple[str | None, ...], str, bool], str]) -> str:
    from .decoding import sub_json

    return sub_json(text, fn)


def _scrub_nested(text: str, secrets: SecretSet, depth: int) -> tuple[str, int]:
    """The credential positions of a value inside a value: JSON, a form, URL userinfo."""
    if depth > MAX_DEPTH or not text:
        return text, 0
    if looks_like_json(text) and is_json(text):
        return _scrub_json_fields(text, secrets, depth)
    if "=" in text and FORM_TEXT.fullmatch(text):
        return _scrub_form_fields(text, secrets, depth)
    if ABSOLUTE_URL.match(text):
        return _scrub_url(text, secrets)
    return _scrub_userinfo(text, secrets)


def _scrub_body_fields(
    headers: Mapping[str, Any], text: str, secrets: SecretSet
) -> tuple[str, int]:
    boundary = multipart_boundary(headers)
    if boundary is not None:
        return _scrub_multipart(text, boundary, secrets)
    if looks_like_json(text):
        if not _json_field_hint(text) and not form_body(headers, text):
            return text, 0  # the common case, without parsing the JSON
        if is_json(text):
            return _scrub_json_fields(text, secrets)
    if form_body(headers, text):
        return _scrub_form_fields(text, secrets)
    return _scrub_userinfo(text, secrets)


def _scrub_multipart(text: str, boundary: str, secrets: SecretSet) -> tuple[str, int]:
    found = list(multipart_credentials(text, boundary))
    for start, end, kind, value in reversed(found):
        text = text[:start] + secrets.add(kind, value) + text[end:]
    return text, len(found)


# --- free-text scrubbing ----------------------------------------------------------------


_JSON_STR: Final = r'"[^"\\]*(?:\\.[^"\\]*)*"'
# A key (or a string in a list), its colon and its value: enough for the free-text pass,
# which needs no path and runs on every body that holds a base URL.
_JSON_TOKEN: Final = re.compile(
    rf"(?P<key>{_JSON_STR})(?:(?P<colon>\s*:\s*)"
    rf"(?:(?P<str>{_JSON_STR})|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?))?)?"
)


def _free_json(text: str, matcher: _Matcher, secrets: SecretSet, depth: int = 0) -> tuple[str, int]:
    count = 0

    def string(token: str) -> str:
        nonlocal count
        if "\\" not in token and matcher.pattern.search(token) is None:
            return token  # the common case: nothing to replace, no JSON inside
        value = _loads_str(token)
        if value is None:
            return token
        if depth < MAX_DEPTH and looks_like_json(value) and is_json(value):
            new, n = _free_json(value, matcher, secrets, depth + 1)
        else:
            new, n = matcher.sub(value, url_like=False)
        if new == value:
            return token
        count += n
        return _dump_str(new, ascii_only=token.isascii())

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        key, colon, value, number = match["key"], match["colon"], match["str"], match["num"]
        out = string(key)
        if colon is None:
            return out
        out += colon
        if value is not None:
            name = _loads_str(key) if identifiers else None
            if name is not None and json_identifier_kind(name):
                placeholder = secrets.placeholder_for(_loads_str(value) or "")
                if placeholder is not None:
                    count += 1
                    return f'{out}"{placeholder}"'
            return out + string(value)
        if number is not None:
            new, n = matcher.sub(number, url_like=False)
            count += n
            return out + (json.dumps(new) if n else number)
        return out

    identifiers = _JSON_KNOWN_HINT.search(text) is not None
    return _JSON_TOKEN.sub(replace, text), count


def _free_body(
    headers: Mapping[str, Any], text: str, matcher: _Matcher, secrets: SecretSet
) -> tuple[str, int]:
    if looks_like_json(text):
        if (
            "\\" not in text
            and matcher.pattern.search(text) is None
            and _JSON_KNOWN_HINT.search(text) is None
        ):
            return text, 0
        if is_json(text):
            return _free_json(text, matcher, secrets)
    return matcher.sub(text, url_like=form_body(headers, text))


# --- messages ---------------------------------------------------------------------------

_BOM: Final = "\ufeff"


def _map_body(
    body: Any,
    headers: Mapping[str, Any],
    text_fn: Callable[[str], tuple[str, int]],
    matcher: _Matcher | None,
) -> tuple[Any, int]:
    """Apply ``text_fn`` to the text of a body and write the result back the same way.

    A body that cannot be read as text is searched for the known values' bytes; a body
    that cannot be written back stays as it is (and the leak check refuses it).
    """
    try:
        if isinstance(body, str):
            bom = _BOM if body.startswith(_BOM) else ""
            new, n = text_fn(body[len(bom) :])
            return (body if new == body[len(bom) :] else bom + new), n
        if isinstance(body, bytes | bytearray):
            decoded = body_text(body, headers)
            if decoded is None:
                return matcher.sub_bytes(bytes(body)) if matcher is not None else (body, 0)
            new, n = text_fn(decoded.text)
            if new == decoded.text:
                return body, n
            encoded = decoded.encode(new)
            return (body, 0) if encoded is None else (encoded, n)
    except Exception:  # never a traceback that shows a credential; the leak check refuses it
        return body, 0
    return body, 0


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
    headers = message.get("headers") or {}
    body = message_body(message, is_request=is_request)
    if body:
        new, n = _map_body(
            body, headers, lambda text: _scrub_body_fields(headers, text, secrets), None
        )
        replace_body(message, new, is_request=is_request)
        total += n
    _register_shapes(message, secrets, is_request=is_request)
    return total


def _register_shapes(message: _Message, secrets: SecretSet, *, is_request: bool) -> None:
    """Register every token of a known shape in a message, so the known-value pass replaces
    it, in every form, wherever it appears."""
    for text in _message_texts(message, is_request=is_request):
        for shape, value in shape_credentials(text):
            secrets.add(shape.secret_kind, value, anywhere=True)


def _message_texts(message: _Message, *, is_request: bool) -> Iterator[str]:
    """The texts of a decoded message that token shapes are looked for in: the uri, the
    status message, every header value but ``Authorization``'s, and a readable body."""
    if isinstance(message.get("uri"), str):
        yield message["uri"]
    status = message.get("status")
    if isinstance(status, Mapping) and isinstance(status.get("message"), str):
        yield status["message"]
    headers = message.get("headers") or {}
    for name, values in headers.items():
        if isinstance(name, str) and name.lower() not in AUTH_HEADERS:
            for value in values if isinstance(values, list | tuple) else [values]:
                if isinstance(value, str):
                    yield value
    body = message_body(message, is_request=is_request)
    if isinstance(body, str):
        yield body.removeprefix(_BOM)
    elif isinstance(body, bytes | bytearray):
        decoded = body_text(body, headers)
        if decoded is not None:
            yield decoded.text


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

    def one_header(name: str, value: str) -> tuple[str, int]:
        if name.lower() in AUTH_HEADERS:
            return value, 0
        return matcher.sub(value, url_like=is_url_header(name, value))

    headers = message.get("headers") or {}
    if headers:
        message["headers"], n = _map_headers(headers, one_header)
        total += n
        message["headers"], n = _rename_headers(message["headers"], matcher)
        total += n
    headers = message.get("headers") or {}
    body = message_body(message, is_request=is_request)
    if body:
        new, n = _map_body(
            body, headers, lambda text: _free_body(headers, text, matcher, secrets), matcher
        )
        replace_body(message, new, is_request=is_request)
        total += n
    return total


_Transform = Callable[[str, str], tuple[str, int]]  # (header name, value) -> (value, count)


def _map_headers(headers: Mapping[str, Any], fn: _Transform) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    total = 0
    for name, values in headers.items():
        if not isinstance(name, str):
            out[name] = values
        elif isinstance(values, list | tuple):
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


def _rename_headers(headers: dict[str, Any], matcher: _Matcher) -> tuple[dict[str, Any], int]:
    """A known value used as a header *name* is replaced there too (order kept)."""
    total = 0
    out: dict[str, Any] = {}
    for name, values in headers.items():
        if isinstance(name, str):
            name, n = matcher.sub(name, url_like=False)
            total += n
        out[name] = values
    return out, total


def _decode_request(request: Mapping[str, Any]) -> _Message:
    return decode_message(request, is_request=True)


def _decode_response(response: Mapping[str, Any]) -> _Message:
    return decode_message(response, is_request=False)


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

_Where = tuple[str, str, str]  # (place, kind, form)
_Found = tuple[str, str, str, str]  # (place, kind, form, fix)


def _leak_fix(kind: str) -> str:
    return SHORT_SECRET_FIX.format(what=_WHAT.get(kind, kind.replace("_", " ")))


def _readable_body(side: str, message: _Message, body: Any, found: list[_Where]) -> str | None:
    """The text of a body for the checks; an unreadable one is added to ``found``."""
    headers = message.get("headers") or {}
    place = f"{side}.body"
    encoding = header(headers, "content-encoding").strip().lower()
    if encoding and encoding != "identity" and isinstance(body, bytes | bytearray) and body:
        # Still compressed (an encoding vcrpy cannot undo): nothing inside can be checked.
        # A text body under the header was stored decoded (by hand, or by another tool).
        found.append((place, "unverifiable body", f"{encoding}-encoded"))
        return None
    if isinstance(body, str):
        return body.removeprefix(_BOM)
    if not isinstance(body, bytes | bytearray):
        return None
    decoded = body_text(body, headers)
    if decoded is not None:
        return decoded.text
    mime, params = media_type(headers)
    if "charset" in params:
        found.append((place, "unverifiable body", "bytes its declared charset cannot read"))
    elif is_textual(mime):
        found.append((place, "unverifiable body", "text that is not UTF-8"))
    return None


def _structural_leaks(side: str, message: _Message, body: Any) -> Iterator[_Where]:
    """(place, kind, form) of every credential position that still holds a value."""
    if side == "request" and isinstance(message.get("uri"), str):
        yield from _url_leaks("request.uri", message["uri"])
    headers = message.get("headers") or {}
    for name, values in headers.items():
        if not isinstance(name, str):
            continue
        place = f"{side}.headers.{name}"
        for value in values if isinstance(values, list | tuple) else [values]:
            if not isinstance(value, str):
                continue
            low = name.lower()
            if low in AUTH_HEADERS:
                if authorization_credentials(value) is not None:
                    yield place, "credentials", "authorization header"
                continue
            if low in COOKIE_HEADERS:
                pieces = value.split(";")
                for piece in pieces[:1] if low == "set-cookie" else pieces:
                    cookie, sep, raw = piece.partition("=")
                    if sep and cookie_credential(raw, cookie) is not None:
                        yield place, "cookie", "cookie value"
            elif header_kind(name) is not None:
                if not is_placeholder_value(split_scheme(value)[1]):
                    yield place, header_kind(name) or "", "token header"
            elif is_url_header(name, value):
                yield from _url_leaks(place, value)
            for shape, _ in shape_credentials(value):
                yield place, shape.kind, "token shape"
    status = message.get("status")
    if isinstance(status, Mapping) and isinstance(status.get("message"), str):
        for shape, _ in shape_credentials(status["message"]):
            yield f"{side}.status", shape.kind, "token shape"
    found: list[_Where] = []
    text = _readable_body(side, message, body, found)
    yield from found
    if text:
        form = form_body(headers, text) and not looks_like_json(text)
        boundary = multipart_boundary(headers)
        for kind, where in credential_positions(text, form=form, boundary=boundary):
            yield f"{side}.body", kind, where
        for shape, _ in shape_credentials(text):
            yield f"{side}.body", shape.kind, "token shape"


def _url_leaks(place: str, url: str) -> Iterator[_Where]:
    head, _, query, _, fragment = split_url(url)
    for match in USERINFO.finditer(head):
        if userinfo_values(match["info"]):
            yield place, "userinfo", "url"
    for text in (query, fragment):
        for _, kind, _ in form_credentials(text, query=True):
            yield place, kind, "query field"
    for shape, _ in shape_credentials(url):
        yield place, shape.kind, "token shape"


def _hit_leak(place: str, hit: _Hit, decoding: str | None) -> _Found:
    form = hit.form if decoding is None or hit.form != "raw" else decoding
    return place, hit.kind, form, "" if hit.replace else _leak_fix(hit.kind)


def _value_leaks(place: str, text: str, matcher: _Matcher) -> Iterator[_Found]:
    for layer, decoding in layers(text):
        for hit in matcher.find(layer):
            yield _hit_leak(place, hit, decoding)


def _body_value_leaks(
    place: str, message: _Message, body: Any, matcher: _Matcher, secrets: SecretSet
) -> Iterator[_Found]:
    text = _readable_body("", message, body, [])
    if text is None:
        if isinstance(body, bytes | bytearray):
            for hit in matcher.find_bytes(bytes(body)):
                yield _hit_leak(place, hit, None)
        return
    for nested, _, decoding in nested_texts(text):
        for hit in matcher.find(nested):
            yield _hit_leak(place, hit, decoding)
        if looks_like_json(nested):
            entries = json_entries(nested)
            for path, is_key, value in entries if entries is not None else ():
                last = path[-1] if path and not is_key else None
                if last is not None and json_identifier_kind(last) and value in secrets:
                    yield place, secrets._kind_of(value), "json field", ""


def _message_value_leaks(
    side: str, message: _Message, matcher: _Matcher, secrets: SecretSet
) -> Iterator[_Found]:
    if isinstance(message.get("uri"), str):
        yield from _value_leaks(f"{side}.uri", message["uri"], matcher)
    status = message.get("status")
    if isinstance(status, Mapping) and isinstance(status.get("message"), str):
        yield from _value_leaks(f"{side}.status", status["message"], matcher)
    for position, name in enumerate(message.get("headers") or {}):
        if isinstance(name, str):
            # never the name itself in the place: it is what holds the value
            yield from _value_leaks(f"{side}.headers (name {position + 1})", name, matcher)
    for name, values in (message.get("headers") or {}).items():
        if not isinstance(name, str) or name.lower() in AUTH_HEADERS:
            continue  # structural: anything but a placeholder there is a leak already
        for value in values if isinstance(values, list | tuple) else [values]:
            if isinstance(value, str):
                yield from _value_leaks(f"{side}.headers.{name}", value, matcher)
    body = message_body(message, is_request=side == "request")
    if body:
        yield from _body_value_leaks(f"{side}.body", message, body, matcher, secrets)


def _leaks(data: Mapping[str, Any], secrets: SecretSet | None, neutral_base: str) -> list[Leak]:
    matcher = secrets._matcher((), neutral_base) if secrets is not None else None
    leaks: dict[Leak, None] = {}
    for index, interaction in enumerate(data.get("interactions") or ()):
        leaks.update(dict.fromkeys(_interaction_leaks(index, interaction, matcher, secrets)))
    return list(leaks)


def _interaction_leaks(
    index: int, interaction: Any, matcher: _Matcher | None, secrets: SecretSet | None
) -> Iterator[Leak]:
    for side in _MESSAGES:
        found: list[tuple[str, ...]] = []
        try:  # fail closed, and never a traceback that shows a credential
            message = decode_message(interaction[side], is_request=side == "request")
            body = message_body(message, is_request=side == "request")
            found += _structural_leaks(side, message, body)
            if matcher is not None and secrets is not None:
                found += _message_value_leaks(side, message, matcher, secrets)
        except Exception as exc:
            found.append((side, "unverifiable message", f"unreadable ({type(exc).__name__})"))
        for where in found:
            yield Leak(index, *where)


def interaction_leaks(
    index: int,
    interaction: Mapping[str, Any],
    secrets: SecretSet | None = None,
    *,
    neutral_base: str = NEUTRAL_BASE,
) -> list[Leak]:
    """:func:`find_leaks` (or without ``secrets`` :func:`find_structural_leaks`) of one
    interaction, numbered ``index``: an audit checks a cassette one interaction at a time."""
    matcher = secrets._matcher((), neutral_base) if secrets is not None else None
    return list(dict.fromkeys(_interaction_leaks(index, interaction, matcher, secrets)))


def find_structural_leaks(data: Mapping[str, Any]) -> list[Leak]:
    """Credential positions in cassette data that hold something other than a placeholder.

    Needs no known value, so an audit can run it over any cassette.
    """
    return _leaks(data, None, NEUTRAL_BASE)


def find_leaks(
    data: Mapping[str, Any], secrets: SecretSet, *, neutral_base: str = NEUTRAL_BASE
) -> list[Leak]:
    """Every place in cassette data where a credential survived; empty when it is clean.

    Reports the :func:`find_structural_leaks` findings, every form of every value in
    ``secrets`` under the replacement rule, every occurrence of a secret shorter than 16
    characters outside its credential positions (with :attr:`Leak.fix` set), and every body
    that cannot be decoded and checked (kind ``unverifiable body``).
    """
    return _leaks(data, secrets, neutral_base)
