"""The credential values one run knows, and every form in which they are looked for.

:class:`SecretSet` holds each value with its placeholder (``<BSS_PASSWORD>``,
``<BSS_ACCESS_TOKEN_1>`` ...); its matcher finds every written form of every value, and
says which are replaced and which only reported. :mod:`pytest_bss.scrub` replaces them,
:mod:`pytest_bss.leaks` checks that none survived, :mod:`pytest_bss.audit` uses the
values set in the environment as canaries.

**Known values.** Every value in the :class:`SecretSet` (and the Basic pairs
``client_key:client_secret`` -> ``<BSS_CLIENT_CREDENTIALS>`` and ``username:password``
-> ``<BSS_USER_CREDENTIALS>``) is looked for wherever it may appear -- uri, header values,
status message, bodies -- raw; percent-encoded (``quote(v, safe="")``, ``quote(v)``,
``quote_plus(v)``, upper- and lowercase hex); JSON-escaped (``ensure_ascii`` on and off,
``\\/``, ``\\uXXXX`` in either case, and the .NET escaping of ``+ < > & ' "``);
HTML-escaped (``html.escape`` with and without quotes, ``&#39;``, non-ASCII as ``&#NNN;``);
hex of the UTF-8 bytes (either case); base64 (standard and url-safe, padded or not, of
the UTF-8 and the Latin-1 bytes); and, for a non-ASCII value, its UTF-8 bytes read as
Latin-1 (a body whose bytes its charset cannot read is read so). A percent-encoded form, or any form in a URL or a
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
  headers only, and not reported elsewhere;
* ``pytest-bss scrub`` only: a value *learned* from a cassette (not a ``BSS_*`` canary:
  those are ``pinned``) shorter than 6 characters is replaced in its credential position
  only, whatever its kind (a folder run learns ``password=1`` from one file; it must not
  refuse every file that holds a ``1``).
"""

from __future__ import annotations

import base64
import contextlib
import html
import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, quote_plus

from .catalogue import (
    IDENTIFIER_KINDS,
)
from .decoding import (
    is_placeholder,
)

if TYPE_CHECKING:
    from .config import BssConfig

__all__ = [
    "KINDS",
    "NEUTRAL_BASE",
    "SHORT_SECRET_FIX",
    "SecretSet",
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


# --- the known values -----------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    replacement: str
    encoded: str  # the replacement inside a URL or a form
    kind: str  # "" for a base URL, which is rewritten but not counted
    form: str
    replace: bool = True  # False: a short secret, reported and never replaced


#: Forms this long (and not bounded) are looked for by their first :data:`_PREFIX`
#: characters, then compared whole: ``re`` compiles a pattern slowly and in time linear in
#: its length, and the forms of a hundred long tokens (signatures, JWTs) made a pattern of
#: hundreds of kilobytes that took seconds to compile, once per run and per file learnt.
_LONG: Final = 48
_PREFIX: Final = 24


def _alternatives(forms: Mapping[str, bool]) -> list[str]:
    """Regex alternatives for literal ``forms`` (form -> bounded), grouped by their first
    character, longer forms first."""
    by_first: dict[str, list[str]] = {}
    for text in sorted(forms, key=len, reverse=True):
        first, rest = re.escape(text[0]), re.escape(text[1:])
        by_first.setdefault(first, []).append(
            f"{_BEFORE.format(first=first)}{rest}{_AFTER}" if forms[text] else rest
        )
    return [f"{first}(?:{'|'.join(rests)})" for first, rests in by_first.items()]


class _Scanner:
    """One search over many literal forms and the placeholders to keep, left to right, the
    longest form at a position winning; over text, or (``encoded``) over UTF-8 bytes.

    Short forms are alternatives of ``pattern`` whole; a long one by its first
    :data:`_PREFIX` characters, and a match there is compared with the long forms that
    start so. ``pattern.search`` finding nothing means nothing can match.
    """

    def __init__(self, keep: Sequence[str], forms: Mapping[str, bool], *, encoded: bool) -> None:
        short = {text: bounded for text, bounded in forms.items() if bounded or len(text) < _LONG}
        by_prefix: dict[str, list[str]] = {}
        for text in sorted(forms.keys() - short.keys(), key=len, reverse=True):
            by_prefix.setdefault(text[:_PREFIX], []).append(text)
        # A prefix that is also a short form is still looked for unbounded (a bounded
        # form must not hide the long one that starts with it); a match of it that is no
        # long form falls back on the short forms, bounded as they are.
        prefixes = {prefix: False for prefix in by_prefix if short.get(prefix, True)}
        source = "|".join([*keep, *_alternatives({**short, **prefixes})])
        short_source = "|".join([*keep, *_alternatives(short)]) if short or keep else ""
        self._encoded = encoded
        self.pattern: re.Pattern[Any] = re.compile(self._code(source))
        self._short: re.Pattern[Any] | None = (
            re.compile(self._code(short_source)) if by_prefix and short_source else None
        )
        self._prefixes = {self._code(prefix) for prefix in prefixes}
        self._forms = {self._code(text) for text in short if text not in prefixes}
        self._long: dict[str | bytes, list[str | bytes]] = {}
        for prefix, texts in by_prefix.items():
            self._long[self._code(prefix)] = [self._code(text) for text in texts]
        self._lengths = sorted({len(prefix) for prefix in self._long})

    def _code(self, text: str) -> str | bytes:
        return text.encode("utf-8", "surrogatepass") if self._encoded else text

    def matches(self, text: str | bytes) -> Iterator[tuple[int, int]]:
        """(start, end) of every match, left to right, without overlaps."""
        pos = 0
        search = self.pattern.search
        while (match := search(text, pos)) is not None:
            start, end = match.span()
            found = match[0]
            if found not in self._forms and found not in self._prefixes:
                longest = 0  # a placeholder to keep: it wins, as it comes first
            else:
                longest = self._long_at(text, start) if self._long else 0
            if longest:
                end = start + longest
            elif found in self._prefixes:  # a long form's start, but not the form
                short = self._short.match(text, start) if self._short else None
                if short is None:
                    pos = start + 1
                    continue
                end = short.end()
            yield start, end
            pos = end if end > start else start + 1

    def _long_at(self, text: str | bytes, start: int) -> int:
        best = 0
        for length in self._lengths:
            for form in self._long.get(text[start : start + length], ()):
                if len(form) > best and text.startswith(form, start):  # type: ignore[arg-type]
                    best = len(form)
        return best


class _Matcher:
    """Scanners for every form of every known value (and the base URLs).

    ``pattern`` finds what is replaced; the report scanner what is only reported (secrets
    shorter than 16 characters), so that a short value never hides a longer one that
    overlaps it. Every alternative starts with a literal character, which lets ``re``
    skip positions that cannot start a match, and forms are grouped by that character.
    Longer forms come first, so the longest form at a position wins.
    """

    def __init__(self, hits: Mapping[str, tuple[_Hit, bool]], protect: Sequence[str]) -> None:
        self._hits = {text: hit for text, (hit, _) in hits.items()}
        self._keep = [*_KEEP, *map(re.escape, protect)]
        self._replaced = {t: bounded for t, (hit, bounded) in hits.items() if hit.replace}
        self._reported = {t: bounded for t, (hit, bounded) in hits.items() if not hit.replace}
        self._scanner = _Scanner(self._keep, self._replaced, encoded=False)
        self.pattern = self._scanner.pattern
        self._report = (
            _Scanner(self._keep, self._reported, encoded=False) if self._reported else None
        )
        self._bytes_scanners: list[_Scanner] | None = None

    def might_match(self, text: str) -> bool:
        """False when no replaced form can be in ``text`` (a quick test before the work)."""
        return self.pattern.search(text) is not None

    @property
    def bytes_scanners(self) -> list[_Scanner]:
        if self._bytes_scanners is None:
            self._bytes_scanners = [
                _Scanner(self._keep, forms, encoded=True)
                for forms in (self._replaced, self._reported)
                if forms or forms is self._replaced
            ]
        return self._bytes_scanners

    def sub(self, text: str, *, url_like: bool) -> tuple[str, int]:
        count = 0
        pieces: list[str] = []
        last = 0
        for start, end in self._scanner.matches(text):
            hit = self._hits.get(text[start:end])
            if hit is None:  # a placeholder or the neutral base: keep it
                continue
            count += bool(hit.kind)
            pieces += (text[last:start], hit.encoded if url_like else hit.replacement)
            last = end
        if not pieces:
            return text, 0
        pieces.append(text[last:])
        return "".join(pieces), count

    def sub_bytes(self, data: bytes) -> tuple[bytes, int]:
        """Replace in a body that is not text: the UTF-8 forms, then the Latin-1 ones."""
        count = 0
        pieces: list[bytes] = []
        last = 0
        for start, end in self.bytes_scanners[0].matches(data):
            hit = self._hits.get(data[start:end].decode("utf-8", "surrogatepass"))
            if hit is None:
                continue
            count += bool(hit.kind)
            pieces += (data[last:start], hit.replacement.encode("utf-8", "surrogatepass"))
            last = end
        if pieces:
            pieces.append(data[last:])
            data = b"".join(pieces)
        text, latin = self.sub(data.decode("latin-1"), url_like=False)
        return text.encode("latin-1"), count + latin

    def find(self, text: str) -> Iterator[_Hit]:
        for scanner in (self._scanner, self._report):
            if scanner is None:
                continue
            for start, end in scanner.matches(text):
                hit = self._hits.get(text[start:end])
                if hit is not None and hit.kind:
                    yield hit

    def find_bytes(self, data: bytes) -> Iterator[_Hit]:
        for scanner in self.bytes_scanners:
            for start, end in scanner.matches(data):
                hit = self._hits.get(data[start:end].decode("utf-8", "surrogatepass"))
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
    if not value.isascii():  # in a body read as Latin-1 (decoding.body_text)
        forms.setdefault(encodings[0].decode("latin-1"), "raw")
    hexed = encodings[0].hex()
    forms.setdefault(hexed, "hex")
    forms.setdefault(hexed.upper(), "hex")
    return forms


class SecretSet:
    """The credential values one run knows, each with its placeholder.

    Thread-safe. Token-like kinds (``access_token``, ``refresh_token``, ``id_token``,
    ``cookie``, ``code``) are numbered in the order they are first added; the others
    share one placeholder per kind. ``repr()`` shows how many values, never one.

    ``in_place_below``: a value *learned* from a cassette (not ``pinned``: a configured
    credential or a ``BSS_*`` canary is) and shorter than this is replaced only where it was
    found. ``pytest-bss scrub`` of a folder sets 6: a ``password=1`` in one file must not
    fail every file that holds a ``1``. The plugin keeps 0: every value it learns while
    recording is looked for everywhere, and a short one found elsewhere refuses the write.
    """

    def __init__(self, *, in_place_below: int = 0) -> None:
        self._lock = threading.Lock()
        self._in_place_below = in_place_below
        self._pinned: set[str] = set()
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
            secrets.add(kind, value, pinned=True)
        return secrets

    def add(self, kind: str, value: str, *, anywhere: bool = False, pinned: bool = False) -> str:
        """Register ``value`` as a ``kind`` and return its placeholder.

        Adding a known value again returns the placeholder it already has. An empty
        value or a placeholder is ignored and returned as it is. ``anywhere``: replace the
        value wherever it appears, whatever its length (a token of a known shape).
        ``pinned``: a configured credential, looked for everywhere however short (see the
        class).
        """
        if kind not in KINDS:
            raise ValueError(f"unknown secret kind {kind!r}; expected one of {', '.join(KINDS)}")
        if not value or is_placeholder(value):
            return value
        with self._lock:
            if pinned and value not in self._pinned:
                self._pinned.add(value)
                self._matchers.clear()
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
            if self._only_in_place(value):
                continue
            by_kind.setdefault(kind, []).append(value)
            mode = "anywhere" if value in self._anywhere else _mode(kind, value)
            if mode:
                out.append((value, kind, self._placeholders[value], mode))
        for first, second, kind, placeholder in _PAIRS:
            for a in by_kind.get(first, ()):
                for b in by_kind.get(second, ()):
                    pair = f"{a}:{b}"
                    out.append((pair, kind, placeholder, _mode(kind, pair)))
        return out

    def _only_in_place(self, value: str) -> bool:
        """A short learned value: replaced where it was found, not looked for elsewhere."""
        return (
            len(value) < self._in_place_below
            and value not in self._pinned
            and value not in self._anywhere
        )

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


def short_session(kind: str, value: str) -> bool:
    """A session id shorter than the "anywhere" length that reads as generated: 8 or more
    letters and digits, both, nothing else, 5 or more distinct. QNAP's 8-character
    ``authSid`` comes back as ``?sid=`` in every later request, so it is replaced, and
    reported, wherever it stands between non-alphanumerics. A word (``localhost``), a
    label with separators (``jdoe-2024``) or a number is left to its own position: the
    same text elsewhere may be data."""
    return (
        kind == "session"
        and 8 <= len(value) < _ANYWHERE
        and _SHORT_SESSION.fullmatch(value) is not None
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and len(set(value)) >= 5
    )


_SHORT_SESSION: Final = re.compile(r"[A-Za-z0-9]+")


def _mode(kind: str, value: str) -> str:
    """How a value of ``kind`` is treated outside credential positions."""
    length = len(value)
    if length >= _ANYWHERE:
        return "anywhere"
    if kind in ("cookie", "session"):
        # lang=en, or a numeric session id: replaced in its header only
        return "bounded" if short_session(kind, value) else ""
    if kind in IDENTIFIER_KINDS:
        return "bounded" if length >= _BOUNDED else ""
    return "report"
