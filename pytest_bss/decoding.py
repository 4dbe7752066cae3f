"""How a recorded HTTP message is read: the one definition scrubbing and auditing share.

Pure functions over vcrpy's serialized request and response dicts. Every function here is
total: malformed input gives ``None``, an empty result or the input back, never an
exception (a traceback would print the frame, and the frame holds the credential).

* **Messages**: :func:`decode_message` copies a message and undoes its
  ``Content-Encoding`` (gzip, deflate, and br when vcrpy can); :func:`message_body` and
  :func:`replace_body` (which keeps ``Content-Length`` right) read and write its body.
* **Headers**: :func:`header`, :func:`set_header`, :func:`media_type`, :func:`is_textual`.
* **Bodies to text**: :func:`body_text` reads bytes by their byte-order mark (UTF-8,
  UTF-16 and UTF-32, either order), else by the ``charset`` the ``Content-Type``
  declares, else as UTF-8; :meth:`BodyText.encode` writes a changed text back in the same
  charset and with the same mark.
* **URLs**: :func:`split_url`, :data:`USERINFO`, :func:`userinfo_values`,
  :func:`is_url_header`.
* **Forms**: :func:`form_body`, :func:`form_credentials`; ``multipart/form-data``:
  :func:`multipart_boundary`, :func:`multipart_credentials`.
* **JSON** (:mod:`pytest_bss.jsondoc`, re-exported here): :func:`is_json`,
  :func:`load_json` (objects as lists of pairs, so repeated keys are all seen),
  :func:`json_scalars`, and :func:`sub_json`, which rewrites the strings and numbers of a
  document and keeps everything else byte for byte.
* **Layers**: :func:`layers` undoes one encoding of a value (percent-encoding, JSON
  escapes, HTML entities, hex); :func:`nested_texts` walks every layer, JSON string and
  form value inside a text, to :data:`MAX_DEPTH`.

The walks over a text (:func:`nested_texts`, :func:`json_entries`,
:func:`credential_positions`, :func:`shape_credentials`) are pure, and the scrubber and
the audit ask each of them about the same body several times: their results are kept for
the most recent texts (about a million characters of them), so a body is parsed and walked
once.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import html
import importlib
import json
import re
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Final, cast
from urllib.parse import unquote, unquote_plus

from .catalogue import (
    COOKIE_HEADERS,
    IDENTIFIER_KINDS,
    OAUTH_CONTEXT,
    SHORT_PASSWORD_FIELDS,
    URL_HEADERS,
    USER_FIELDS,
    cookie_kind,
    field_key,
    form_field_kind,
    is_encoded_stand_in,
    is_own_placeholder,
    is_placeholder_value,
    looks_random,
    value_field_kind,
    value_field_name,
)
from .jsondoc import (
    JsonObject,
    JsonSummary,
    is_json,
    json_entries,
    json_scalars,
    json_summary,
    load_json,
    looks_like_json,
    sub_json,
    too_deep,
)
from .markup import looks_like_html_page, looks_like_xml, xml_credentials
from .shapes import Shape, find_shapes, placeholder_basic
from .text_cache import CACHE_BUDGET, TextCache

__all__ = [
    "ABSOLUTE_URL",
    "BOMS",
    "FORM_TEXT",
    "MAX_DEPTH",
    "USERINFO",
    "BodyText",
    "JsonObject",
    "JsonSummary",
    "authorization_credentials",
    "body_text",
    "charset_codec",
    "cookie_credential",
    "credential_positions",
    "decode_message",
    "decompress",
    "embedded_url_credentials",
    "form_body",
    "form_credentials",
    "header",
    "is_json",
    "is_placeholder",
    "is_textual",
    "is_url_header",
    "json_entries",
    "json_scalars",
    "json_summary",
    "layers",
    "load_json",
    "looks_like_json",
    "looks_up_users",
    "media_type",
    "message_body",
    "multipart_boundary",
    "multipart_credentials",
    "multipart_parts",
    "nested_texts",
    "notable_texts",
    "replace_body",
    "set_header",
    "shape_credentials",
    "sniffed_text",
    "split_url",
    "sub_json",
    "userinfo_values",
]

#: How deep :func:`nested_texts` (and the scrubber) look into values inside values.
MAX_DEPTH: Final = 16


_NESTED: Final = TextCache(CACHE_BUDGET)
_POSITIONS: Final = TextCache(CACHE_BUDGET)
_SHAPES: Final = TextCache(CACHE_BUDGET)


def is_placeholder(value: object) -> bool:
    """Whether ``value`` is exactly one placeholder such as ``<BSS_PASSWORD>``.

    Other tools' placeholders are :func:`~pytest_bss.catalogue.is_masked`; a credential
    position holding either is :func:`~pytest_bss.catalogue.is_placeholder_value`.
    """
    return is_own_placeholder(value)


# --- headers ----------------------------------------------------------------------------


def header(headers: Mapping[str, Any], name: str) -> str:
    """The first value of header ``name`` (any case), or ``""``."""
    low = name.lower()
    for key, values in headers.items():
        if isinstance(key, str) and key.lower() == low:
            if isinstance(values, list | tuple):
                return str(values[0]) if values else ""
            return str(values)
    return ""


def set_header(headers: dict[str, Any], name: str, value: str | None, *, add: bool = False) -> None:
    """Set (or with ``None`` remove) header ``name`` in place, keeping its spelling and shape."""
    for key in list(headers):
        if isinstance(key, str) and key.lower() == name.lower():
            if value is None:
                del headers[key]
            else:
                headers[key] = [value] if isinstance(headers[key], list | tuple) else value
            return
    if add and value is not None:
        headers[name] = [value]


def media_type(headers: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """(lowercase media type, parameters with lowercase names) of the ``Content-Type``."""
    mime, *params = header(headers, "content-type").split(";")
    out = {}
    for param in params:
        name, sep, value = param.partition("=")
        if sep:
            out[name.strip().lower()] = value.strip().strip('"')
    return mime.strip().lower(), out


def is_textual(mime: str) -> bool:
    """Whether a media type says the body is text (so bytes that do not decode are suspect)."""
    return mime.startswith(("text/", "multipart/")) or any(
        word in mime for word in ("json", "xml", "x-www-form-urlencoded", "javascript")
    )


# --- bodies -----------------------------------------------------------------------------

#: Byte-order marks and the codec each implies; UTF-32 before UTF-16 (they share a prefix).
BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class BodyText:
    """A body read as text: the text (without its mark), the codec and the mark."""

    text: str
    charset: str
    bom: bytes = b""

    def encode(self, text: str) -> bytes | None:
        """``text`` written like the original body, or ``None`` if the charset cannot."""
        try:
            return self.bom + text.encode(self.charset)
        except (UnicodeError, LookupError):
            return None


def charset_codec(name: str) -> str | None:
    """The canonical codec name of a declared charset, or ``None`` if Python has none."""
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    # A text encoding only: "base64" or "rot13" are codecs too, but not charsets.
    return info.name if getattr(info, "_is_text_encoding", True) else None


def body_text(body: bytes | bytearray, headers: Mapping[str, Any]) -> BodyText | None:
    """The text of a bytes body: by its byte-order mark, its declared charset, else UTF-8
    (UTF-16/32 when zero bytes say so; Latin-1 for a ``text/*`` body that is not UTF-8,
    for a textual body its declared charset cannot read, and for a ``multipart/*`` body
    with a binary part).

    A UTF-16 or UTF-32 mark counts only when the ``Content-Type`` is textual
    (:func:`is_textual`); a UTF-8 mark always does.

    ``None`` when the bytes do not decode (binary data, a wrong or unknown charset).
    """
    data = bytes(body)
    textual = is_textual(media_type(headers)[0])
    for bom, bom_codec in BOMS:
        # A UTF-16 or UTF-32 mark is two or four bytes any binary body may start with:
        # trusted only when the Content-Type says text.
        if data.startswith(bom) and (textual or bom_codec == "utf-8"):
            try:
                return BodyText(data[len(bom) :].decode(bom_codec), bom_codec, bom)
            except UnicodeDecodeError:
                return None
    declared = media_type(headers)[1].get("charset")
    codec: str | None = charset_codec(declared) if declared else "utf-8"
    if codec is None:
        return None
    if not declared and textual and b"\x00" in data[:4]:
        # UTF-16 or UTF-32 without a mark or a charset: the places of the zero bytes
        # among the first four say which (as for JSON, RFC 4627).
        codec = json.detect_encoding(data)
    try:
        return BodyText(data.decode(codec), codec)
    except (UnicodeDecodeError, LookupError):
        mime = media_type(headers)[0]
        if (
            (not declared and mime.startswith("text/"))
            or (declared and textual and b"\x00" not in data)
            or mime.startswith("multipart/")
        ):
            # No charset, not UTF-8: HTTP/1.1's old default for text/* (RFC 2616, 3.7.1).
            # A charset the bytes break (a Windows-1250 page sent as UTF-8): read the same
            # way. Every byte is a character, so the body is written back as it was, and a
            # credential (ASCII, or UTF-8 read as Latin-1: secret_set._forms) still shows;
            # not with zero bytes (UTF-16 or UTF-32 in disguise), where it would not.
            # A multipart body with a binary part (a PDF upload): its part headers and
            # form fields are ASCII, read and written back the same way.
            return BodyText(data.decode("latin-1"), "latin-1")
        return None


#: Old names of content codings that HTTP clients still accept (RFC 9110, 8.4.1.3).
_CODING_ALIASES: Final = {"x-gzip": "gzip", "x-compress": "compress"}


def decompress(body: bytes, encoding: str) -> bytes | None:
    """``body`` with its ``Content-Encoding`` undone, or ``None`` if that cannot be done.

    ``encoding`` may list several codings (``gzip, deflate``: undone last first, as
    urllib3 does) and use the old ``x-gzip`` name.
    """
    from vcr.filters import AVAILABLE_DECOMPRESSORS

    codings = [coding.strip().lower() for coding in encoding.split(",") if coding.strip()]
    out: Any = body
    for coding in reversed(codings):
        coding = _CODING_ALIASES.get(coding, coding)
        if coding == "identity":
            continue
        decompressor = AVAILABLE_DECOMPRESSORS.get(coding) or _optional_decompressor(coding)
        if decompressor is None:
            return None
        try:
            before, out = out, decompressor(out)
        except Exception:  # zlib.error, OSError, brotli.error ...: a body we cannot read
            return None
        if coding == "deflate" and out == before:
            # vcrpy hands back what zlib cannot read: perhaps raw deflate without the zlib
            # header (IIS sends it; urllib3 reads it too)
            with contextlib.suppress(zlib.error):
                out = zlib.decompress(before, -zlib.MAX_WBITS)
        if not isinstance(out, bytes):
            return None
    return out if codings else None


#: Content codings read only with an optional library: ``pip install "pytest-bss[compression]"``.
OPTIONAL_CODINGS: Final = ("br", "zstd")


@functools.cache
def _optional_decompressor(coding: str) -> Callable[[bytes], bytes] | None:
    """A decompressor for ``br`` (brotli or brotlicffi) or ``zstd`` (Python 3.14's
    ``compression.zstd`` or its backport), when one is installed."""
    names = {
        "br": ("brotli", "brotlicffi"),
        "zstd": ("compression.zstd", "backports.zstd"),
    }.get(coding, ())
    for name in names:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        return cast("Callable[[bytes], bytes]", module.decompress)
    return None


def missing_decoder(encoding: str) -> str | None:
    """What to install to read a body of this ``Content-Encoding``, if that is what is missing."""
    codings = [
        _CODING_ALIASES.get(c.strip().lower(), c.strip().lower()) for c in encoding.split(",")
    ]
    from vcr.filters import AVAILABLE_DECOMPRESSORS

    for coding in codings:
        if (
            coding in OPTIONAL_CODINGS
            and coding not in AVAILABLE_DECOMPRESSORS
            and _optional_decompressor(coding) is None
        ):
            return 'pip install "pytest-bss[compression]"'
    return None


def sniffed_text(body: bytes) -> str | None:
    """The UTF-8 text of a body compressed (gzip, zlib) without a ``Content-Encoding`` to
    say so, or ``None``."""
    import gzip

    for undo in (gzip.decompress, zlib.decompress):
        try:
            return undo(body).decode("utf-8")
        except (OSError, EOFError, zlib.error, UnicodeDecodeError):
            continue
    return None


def _copy(message: Mapping[str, Any]) -> dict[str, Any]:
    import copy

    out: dict[str, Any] = {}
    for key, value in message.items():
        if key == "headers" and isinstance(value, Mapping):
            out[key] = {k: list(v) if isinstance(v, list | tuple) else v for k, v in value.items()}
        elif isinstance(value, str | bytes | int | float | None):
            out[key] = value
        else:
            out[key] = copy.deepcopy(value)
    return out


def message_body(message: Mapping[str, Any], *, is_request: bool) -> Any:
    """The body of a request (``body``) or a response (``body.string``)."""
    if is_request:
        return message.get("body")
    body = message.get("body")
    return body.get("string") if isinstance(body, Mapping) else None


def _byte_length(body: Any) -> int | None:
    if isinstance(body, str):
        return len(body.encode("utf-8", "surrogatepass"))
    if isinstance(body, bytes | bytearray):
        return len(body)
    return None


def replace_body(message: dict[str, Any], body: Any, *, is_request: bool) -> None:
    """Put ``body`` in ``message`` in place; ``Content-Length`` follows a change of length."""
    old = message_body(message, is_request=is_request)
    if body is old:
        return
    if is_request:
        message["body"] = body
    else:
        message["body"] = {**message["body"], "string": body}
    length = _byte_length(body)
    headers = message.get("headers")
    if length is None or not isinstance(headers, dict):
        return
    stated = header(headers, "content-length").strip()
    if length != _byte_length(old) or (stated and stated != str(length)):
        set_header(headers, "Content-Length", str(length))


def decode_message(
    message: Mapping[str, Any], *, is_request: bool, read: bool = False
) -> dict[str, Any]:
    """A copy of ``message`` with its ``Content-Encoding`` undone where it can be.

    A body that cannot be decompressed stays as it is, with its ``Content-Encoding``.
    ``read``: the copy is only read (by the audit and the leak checks), never written
    back, so a text body compressed once more than its headers say is undone too
    (:func:`_compressed_text`); written back, it would no longer be what the client reads.
    """
    out = _copy(message)
    headers = out.get("headers")
    if not isinstance(headers, dict):
        return out
    encoding = header(headers, "content-encoding").strip().lower()
    body = message_body(out, is_request=is_request)
    if not isinstance(body, bytes):
        return out
    if not encoding or encoding == "identity":
        plain = _compressed_text(body, headers) if read else None
        if plain is not None:
            replace_body(out, plain, is_request=is_request)
            set_header(headers, "Content-Length", str(len(plain)), add=True)
        return out
    plain = decompress(body, encoding)
    if plain is not None:
        if read:
            plain = _compressed_text(plain, headers) or plain
        replace_body(out, plain, is_request=is_request)
        set_header(headers, "Content-Encoding", None)
        set_header(headers, "Content-Length", str(len(plain)), add=True)
    return out


#: The most a text body compressed without a header saying so is inflated to for reading:
#: past it, the body is "cannot be decoded" as before (a small cassette must not take
#: gigabytes).
MAX_INFLATED: Final = 64 * 1024 * 1024


def _compressed_text(body: bytes, headers: Mapping[str, Any]) -> bytes | None:
    """A text body compressed once more than its headers say: one whole zlib stream, and
    nothing after it, under a textual ``Content-Type`` and no ``Content-Encoding``, or
    inside the gzip one names (phylm's recorded pages). No text starts as a zlib stream
    does and reads as one; bytes after the stream, or a stream that inflates past
    :data:`MAX_INFLATED`, leave the body as it was (unreadable, so never called clean)."""
    if body[:1] != b"x" or not is_textual(media_type(headers)[0]):
        return None
    inflater = zlib.decompressobj()
    try:
        plain = inflater.decompress(body, MAX_INFLATED)
    except zlib.error:
        return None
    if not inflater.eof or inflater.unused_data or inflater.unconsumed_tail:
        return None
    return plain


# --- URLs -------------------------------------------------------------------------------

#: The start of an absolute URL.
ABSOLUTE_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")
# The lookbehind and the leading run anchor each scan at the start of a scheme-like word,
# so a long body without "://" is read once instead of once per starting position.
#: ``scheme://userinfo@`` anywhere in a text (groups ``scheme`` and ``info``).
USERINFO: Final = re.compile(
    r"(?<![A-Za-z0-9+.\-])[0-9+.\-]*"
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<info>[^/?#@\s\"'<>\\]+)@"
    r"(?=(?P<host>[^/?#@\s\"'<>\\:]*)(?P<dsn>/[0-9]+(?![\w/.?#]))?)"
)


def split_url(url: str) -> tuple[str, str, str, str, str]:
    """(before the query, "?", query, "#", fragment) without any normalisation."""
    rest, hsep, fragment = url.partition("#")
    head, qsep, query = rest.partition("?")
    return head, qsep, query, hsep, fragment


#: A Sentry DSN's public key: meant for the browser (every page that reports its errors
#: holds it), it only lets one send events to the project.
_SENTRY_KEY: Final = re.compile(r"[0-9a-f]{32}")
#: A Sentry host: sentry.io's, or one whose name has the word (``sentry.example.org``,
#: ``wwwb-sentry.us.archive.org``), not ``notsentry.example``.
_SENTRY_HOST: Final = re.compile(r"(?i)(?:^|[.-])sentry(?:[.-]|$)")


def _sentry_dsn(match: re.Match[str]) -> bool:
    return (
        match["scheme"].lower() in ("https://", "http://")
        and match["dsn"] is not None
        and _SENTRY_HOST.search(match["host"]) is not None
    )


def userinfo_values(info: str, match: re.Match[str] | None = None) -> list[tuple[str, str]]:
    """(kind, value) of the user name and password in URL userinfo that are not placeholders
    (:func:`~pytest_bss.catalogue.is_placeholder_value`), nor a Sentry DSN's public key
    (``match``, the :data:`USERINFO` match: ``https://<32 hex>@o1.ingest.sentry.io/2``, a
    user name alone, at a Sentry host, then the project's number and nothing more)."""
    user, sep, password = unquote(info).partition(":")
    if not sep and match is not None and _sentry_dsn(match) and _SENTRY_KEY.fullmatch(user):
        return []
    return [
        (kind, value)
        for kind, value in (("username", user), ("password", password))
        if not is_placeholder_value(value, words=kind == "password")
    ]


def is_url_header(name: str, value: str) -> bool:
    """Whether a header value is read as a URL."""
    low = name.lower()
    if low in COOKIE_HEADERS:
        return False
    return low in URL_HEADERS or ABSOLUTE_URL.match(value) is not None


# --- forms ------------------------------------------------------------------------------

#: A whole form-encoded text (``a=1&b=2``).
FORM_TEXT: Final = re.compile(r"[\w.\-~%+*]+=[^&\s]*(?:&[\w.\-~%+*]+=[^&\s]*)*")


def form_body(headers: Mapping[str, Any], text: str) -> bool:
    """Whether a body is read as a form: its ``Content-Type`` says so, or it has none and
    looks like one."""
    mime = media_type(headers)[0]
    if mime:
        return "x-www-form-urlencoded" in mime
    return FORM_TEXT.fullmatch(text) is not None


#: What a form field's name never holds: before it is some other text.
_NOT_A_NAME: Final = re.compile(r"[\r\n\t?/:\"'{}<>]")


def form_credentials(
    text: str,
    *,
    query: bool = False,
    known: Callable[[str], bool] | None = None,
    link: bool = False,
    head: str = "",
) -> Iterator[tuple[int, str, str]]:
    """(index of the ``&``-piece, kind, decoded value) of every credential field not scrubbed.

    ``query``: ``text`` is a query string or fragment (where ``key`` may be an API key);
    ``known``: as in :func:`multipart_credentials`; ``link``: the query of a link written
    in a text (an HTML page), where a user name alone names an account and is none;
    ``head``: the URL before the query, where a path that looks users up
    (``/api/users.json?username=…``, :func:`looks_up_users`) makes a user name alone a
    filter, not the API credential GeoNames' ``?username=`` is.
    """
    pieces = [piece.partition("=") for piece in text.split("&")]
    names = {field_key(unquote_plus(name)) for name, sep, _ in pieces if sep}
    oauth = bool(names & OAUTH_CONTEXT)
    login = bool(names & USER_FIELDS)
    found = []
    for index, (name, sep, raw) in enumerate(pieces):
        if not sep:
            continue
        # in a text that is no form ("…uri: https://…?page[token]"), the name is what
        # follows the last character no field name holds
        field = _NOT_A_NAME.split(unquote_plus(name))[-1]
        value = unquote_plus(raw)
        kind = form_field_kind(field, oauth=oauth, query=query, value=value) or _known_client(
            field, value, known
        )
        if kind is None and login and field_key(field) in SHORT_PASSWORD_FIELDS:
            kind = "password"  # ?user=admin&pwd=…: a login's password
        if kind == "password" and is_encoded_stand_in(value):
            continue  # pwd=aW52YWxpZHB3: base64 of "invalidpw"
        if kind is not None and not _secret(kind) and field_key(value) == field_key(field):
            continue  # username=username: a stand-in named after its field
        if kind is not None and kind != "password" and "~" in value:
            edge = _EDGE_TOKEN.fullmatch(value)
            value = edge["hmac"] if edge else value
        if kind is not None and not is_placeholder_value(value, words=_secret(kind), kind=kind):
            found.append((index, kind, value))
    if (link or looks_up_users(head)) and not any(_secret(kind) for _, kind, _ in found):
        # a user name in a page's share link (addthis.com/bookmark.php?username=fdamain)
        # names an account and unlocks nothing; in a request's own URI it may be the API
        # credential (GeoNames' ?username=), and beside a secret it is a login's half
        found = [entry for entry in found if entry[1] != "username"]
    yield from found


#: The last segment of a URL path that lists or looks up users (``/api/users.json``,
#: ``/admin/realms/x/users``, ``/members/search``).
_USERS_PATH: Final = re.compile(
    r"(?i)/(?:users?|members?|accounts?|people|persons?)(?:\.json|\.xml)?/?"
    r"(?:(?:search|lookup|find)/?)?$"
)


def looks_up_users(head: str) -> bool:
    """Whether a URL (before its query) lists or looks up users, so that its
    ``?username=`` filters them."""
    return bool(head) and _USERS_PATH.search(head) is not None


#: An edge-authorization token (Akamai's, Uploadcare's ``exp=…~acl=/…/~hmac=<hex>``): only
#: its ``hmac`` is a secret; its expiry and the paths it opens stay readable.
#: Only these fields beside it: Akamai's ``id`` and ``data`` may hold a session.
_EDGE_TOKEN: Final = re.compile(
    r"(?:(?:exp|st|acl|url|ip)=[^~]*~)+hmac=(?P<hmac>[^~]*)(?:~(?:exp|st|acl|url|ip)=[^~]*)*"
)


_BOUNDARY_PART: Final = re.compile(
    r'content-disposition:[^\r\n]*?\bname\s*=\s*(?:"(?P<q>[^"]*)"|(?P<t>[^\s;]+))', re.I
)


def multipart_boundary(headers: Mapping[str, Any]) -> str | None:
    """The boundary of a ``multipart/*`` body, or ``None``."""
    mime, params = media_type(headers)
    if not mime.startswith("multipart/"):
        return None
    return params.get("boundary") or None


def multipart_parts(text: str, boundary: str) -> list[tuple[str, int, int]]:
    """(``Content-Disposition`` name, start, end) of the value of each part of a
    ``multipart/*`` ``text`` that has a name."""
    delimiter = "--" + boundary
    parts: list[tuple[str, int, int]] = []
    position = text.find(delimiter)
    while position >= 0:
        start = position + len(delimiter)
        following = text.find(delimiter, start)
        end = following if following >= 0 else len(text)
        head_end = text.find("\r\n\r\n", start, end)
        sep_len = 4
        if head_end < 0:
            head_end = text.find("\n\n", start, end)
            sep_len = 2
        if head_end >= 0:
            match = _BOUNDARY_PART.search(text, start, head_end)
            if match is not None:
                value_end = end
                for newline in ("\r\n", "\n"):
                    if text.endswith(newline, head_end + sep_len, value_end):
                        value_end -= len(newline)
                        break
                parts.append((match["q"] or match["t"] or "", head_end + sep_len, value_end))
        position = following
    return parts


def multipart_credentials(
    text: str, boundary: str, known: Callable[[str], bool] | None = None
) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, kind, value) of every credential part value not scrubbed.

    A part is a credential when its ``Content-Disposition`` ``name`` is a credential form
    field (:func:`~pytest_bss.catalogue.form_field_kind`), or a ``client_id`` holding a
    value ``known`` accepts (an OAuth client id is public, a configured client key is not).
    """
    parts = multipart_parts(text, boundary)
    oauth = any(field_key(name) in OAUTH_CONTEXT for name, _, _ in parts)
    for name, start, end in parts:
        kind = form_field_kind(name, oauth=oauth)
        value = text[start:end]
        kind = kind or _known_client(name, value, known)
        if kind is not None and not is_placeholder_value(value, words=_secret(kind), kind=kind):
            yield start, end, kind, value


def _known_client(name: str, value: str, known: Callable[[str], bool] | None) -> str | None:
    """``client_key`` for a ``client_id`` field holding a value ``known`` accepts: an OAuth
    client id is public, a configured client key (``BSS_CLIENT_KEY``) is not."""
    if known is not None and field_key(name) == "clientid" and known(value):
        return "client_key"
    return None


def _secret(kind: str) -> bool:
    return kind not in IDENTIFIER_KINDS


# --- credential positions -------------------------------------------------------------


def authorization_credentials(value: str) -> tuple[str, str] | None:
    """(scheme, credentials) of an ``Authorization`` value that is not a placeholder
    (:func:`~pytest_bss.catalogue.is_placeholder_value`: ``Bearer <ACCESS_TOKEN>``,
    ``SSWS myAPIToken`` are not credentials)."""
    scheme, sep, credentials = value.strip().partition(" ")
    if not sep:
        scheme, credentials = "", scheme
    credentials = credentials.strip()
    if is_placeholder_value(credentials):
        return None
    if scheme.lower() == "basic" and placeholder_basic(credentials):  # user:passwd
        return None
    if scheme.lower().startswith("aws4-") and _masked_signer(credentials):
        return None  # Credential={admin_access_key_id}/…, Signature=<one request's>
    return scheme, credentials


#: The access key id of an AWS Signature Version 4 ``Authorization`` value.
_SIGV4_KEY: Final = re.compile(r"(?:^|[\s,])Credential=([^/,\s]*)/")


def _masked_signer(credentials: str) -> bool:
    """Whether a SigV4 ``Authorization`` names its access key by a placeholder: what is
    left is the signature of that one request (valid for minutes, for that request only),
    which opens nothing else."""
    match = _SIGV4_KEY.search(credentials)
    # not a bare word: "test" is LocalStack's key, and a self-hosted MinIO's may be "key"
    return match is not None and is_placeholder_value(match[1], words=False)


def cookie_credential(value: str, name: str = "") -> str | None:
    """The value of one cookie (quotes removed), unless it is empty, a placeholder (ours or
    another tool's) or the cookie ``name`` is a tracking, routing or CSRF cookie
    (:func:`~pytest_bss.catalogue.cookie_kind`)."""
    if cookie_kind(name, value) not in ("credential", "other"):
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value


def shape_credentials(text: str) -> list[tuple[Shape, str]]:
    """(shape, value) of every credential of a known shape (:data:`~pytest_bss.shapes.SHAPES`)
    in ``text`` and in every decoding of it (:func:`nested_texts`), each once, in order.

    A JSON string or form value inside ``text`` was searched as part of ``text``; only the
    layers (percent-encoding, escapes, hex) are searched again.
    """
    shapes: tuple[tuple[Shape, str], ...] = _SHAPES.get(text, len(text), lambda: _shapes(text))
    return list(shapes)


#: Shapes that an HTML page hands to every visitor: a Google API key in a page is a browser
#: key (YouTube's ``INNERTUBE_API_KEY``, a Maps embed's), public by design and restricted
#: by referrer; the same key sent in a request (``?key=AIza…``) is still a credential.
PAGE_PUBLIC_SHAPES: Final = frozenset({"google_api_key"})


def _shapes(text: str) -> tuple[tuple[Shape, str], ...]:
    found: dict[tuple[str, str], Shape] = {}
    page = looks_like_html_page(text)
    for nested, depth, decoding in notable_texts(text):
        if depth <= MAX_DEPTH and (depth == 0 or decoding is not None):
            for shape, value in find_shapes(nested):
                if not (page and shape.kind in PAGE_PUBLIC_SHAPES):
                    found.setdefault((shape.kind, value), shape)
    return tuple((shape, value) for (_, value), shape in found.items())


def credential_positions(
    text: str, *, form: bool = False, boundary: str | None = None
) -> Iterator[tuple[str, str]]:
    """(kind, form) of every credential position that holds a value in ``text`` or in any
    text nested inside it (:func:`nested_texts`): JSON fields, form fields, multipart
    fields and URL userinfo.

    ``form``: read ``text`` itself as a form (nested texts are read as forms when they look
    like one); ``boundary``: read it as ``multipart/form-data``. A text nested deeper than
    :data:`MAX_DEPTH` gives ``("unverifiable body", ...)``.
    """
    key = (text, form, boundary)
    weight = len(text)
    found: tuple[tuple[str, str], ...] = _POSITIONS.get(
        key, weight, lambda: tuple(_positions(text, form, boundary))
    )
    return iter(found)


def _positions(text: str, form: bool, boundary: str | None) -> Iterator[tuple[str, str]]:
    if boundary is not None:
        for _, _, part_kind, _ in multipart_credentials(text, boundary):
            yield part_kind, "multipart field"
        for _, start, end in multipart_parts(text, boundary):
            part = text[start:end]  # a part's own document: JSON metadata, a form, XML
            is_form = FORM_TEXT.fullmatch(part) is not None
            if is_form or looks_like_json(part) or looks_like_xml(part):
                yield from credential_positions(part, form=is_form)
    for nested, depth, _ in notable_texts(text):
        if depth > MAX_DEPTH:
            yield "unverifiable body", f"nested deeper than {MAX_DEPTH} levels"
            continue
        if looks_like_json(nested):
            summary = json_summary(nested)
            if summary is None and too_deep(nested):
                # Python's parser gives up: read as text, its fields would go unseen
                yield "unverifiable body", "JSON nested too deep to parse"
                continue
            if summary is not None:
                for kind, value in summary.credentials:
                    if (
                        kind
                        and isinstance(value, str | int | float)
                        and not isinstance(value, bool)
                        and not is_placeholder_value(str(value), kind=kind)
                    ):
                        yield kind, "json field"
                yield from _value_fields(summary.plain)
                continue
        if looks_like_xml(nested):
            for *_, xml_kind, _ in xml_credentials(nested):
                yield xml_kind, "xml field"
        if (depth == 0 and form) or (depth > 0 and "=" in nested and FORM_TEXT.fullmatch(nested)):
            for _, field_kind, value in form_credentials(nested):
                if field_kind == "client_key" and not looks_random(value):
                    continue  # an OAuth client id, public by design (scrub replaces it all the same)
                yield field_kind, "form field"
        if depth > 0 and "://" in nested and ABSOLUTE_URL.match(nested):
            _, _, query, _, fragment = split_url(nested)
            for part in (query, fragment):
                for _, field_kind, _ in form_credentials(part, query=True):
                    yield field_kind, "query field"
        elif "://" in nested and "=" in nested:  # links in a text: HTML, a Link header
            for field_kind, _ in embedded_url_credentials(nested):
                yield field_kind, "query field"
        if "@" not in nested:  # what USERINFO needs
            continue
        for match in USERINFO.finditer(nested):
            if userinfo_values(match["info"], match):
                yield "userinfo", "url"


#: An absolute URL inside a text (an HTML link, a ``Link`` header, a sentence).
EMBEDDED_URL: Final = re.compile(r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>`]+")


def _value_fields(plain: tuple[tuple[str, str], ...]) -> Iterator[tuple[str, str]]:
    """(kind, "json field") of the strings whose key and value together make a credential
    (:func:`~pytest_bss.catalogue.value_field_kind`); the keys are looked at once each."""
    names = [key for key in dict.fromkeys(map(itemgetter(0), plain)) if value_field_name(key)]
    if not names:  # the common case
        return
    wanted = set(names)
    for key, value in plain:
        if key in wanted:
            kind = value_field_kind(key, value)
            if kind is not None and not is_placeholder_value(value, kind=kind):
                yield kind, "json field"


def embedded_url_credentials(text: str) -> Iterator[tuple[str, str]]:
    """(kind, value) of each credential field in the query or fragment of a URL written
    inside ``text`` (``href="…?token=…"``, ``Link: <…&access_token=…>``), and of the URLs
    its query fields hold (a click-tracking or login link's ``?url=https%3A…%3Ftoken%3D…``,
    percent-encoded once or more)."""
    for match in EMBEDDED_URL.finditer(text):
        yield from _link_findings(match[0])


def _link_findings(written: str) -> tuple[tuple[str, str], ...]:
    """:func:`_link_credentials` of a link as written: a page's links come back in each
    reading of its text (as stored, unescaped, decoded), and a page repeats its links, so
    links of ordinary length are read once (a long one is read each time: the cache
    must not hold megabytes)."""
    if len(written) > _CACHED_LINK:
        return tuple(_link_credentials(html.unescape(written), 0))
    return _cached_link_findings(written)


_CACHED_LINK: Final = 4096


@functools.lru_cache(maxsize=4096)
def _cached_link_findings(written: str) -> tuple[tuple[str, str], ...]:
    return tuple(_link_credentials(html.unescape(written), 0))


#: Google's preference links, on every page of Google's
#: (``https://www.google.com/setprefs?sig=…&hl=ar``): their ``sig`` only guards the change
#: of a visitor's preference and grants nothing.
_PREFERENCE_LINK: Final = re.compile(
    r"(?i)https?://(?:www\.)?google\.[a-z]{2,3}(?:\.[a-z]{2})?/(?:setprefs|setprefdomain)"
)


def _link_credentials(url: str, depth: int) -> Iterator[tuple[str, str]]:
    head, _, query, _, fragment = split_url(url)
    preference = _PREFERENCE_LINK.fullmatch(head) is not None
    for part in (query, fragment):
        if "=" not in part:
            continue
        pieces = part.split("&")
        for index, kind, value in form_credentials(part, query=True, link=True):
            if preference and field_key(unquote_plus(pieces[index].partition("=")[0])) == "sig":
                continue
            yield kind, value
        if depth >= MAX_DEPTH or ("%" not in part and "://" not in part):
            continue  # no field holds a URL (its ":" is written or escaped)
        for piece in part.split("&"):
            link = _link_in(unquote_plus(piece.partition("=")[2]))
            if link is not None:
                yield from _link_credentials(link, depth + 1)


#: A URL percent-encoded (once or more): ``https%3A%2F%2F…``, ``https%253A%252F…``.
_ENCODED_LINK: Final = re.compile(r"(?i)[a-z][a-z0-9+.\-]*%(?:25)*3a%(?:25)*2f")


def _link_in(value: str) -> str | None:
    """The URL a query field's (decoded) value is, decoded as often as it was encoded."""
    for _ in range(MAX_DEPTH):
        if ABSOLUTE_URL.match(value):
            return value
        if _ENCODED_LINK.match(value) is None:
            return None
        value = unquote(value)
    return None


# --- layers -----------------------------------------------------------------------------

_LOOSE_JSON_ESCAPE: Final = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|([\"\\/bfnrt]))")
_SHORT_ESCAPES: Final = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_HTML_ENTITY: Final = re.compile(r"&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")
#: Six bytes or more: hex-encoded text worth reading again (a credential position or a
#: token in hex is longer; shorter runs are ids and hashes, and in a large base64 blob
#: they made a copy of the blob to search again).
_HEX_RUN: Final = re.compile(r"[0-9A-Fa-f]{12,}")
#: Six pairs of hex digits that could each be a byte of printable text (0x20 and up). A
#: run that decodes to printable text has them, so a text without them has no hex layer
#: (digit runs such as ids and dates, "006000", are mostly 0x00-0x1f bytes).
_PRINTABLE_HEX: Final = re.compile(r"(?:[2-9A-Fa-f][0-9A-Fa-f]){6}")
#: A "+" that may stand for the space a scheme or a header line needs (``Bearer+…``).
_PLUS_SPACE: Final = re.compile(
    r"(?i)(?:bearer|basic|digest|token|ssws|bot|apikey|authorization:?)\+"
)
#: Up to this length a text with a "+" also gets its form-decoded layer whatever it holds.
_PLUS_LAYER_MAX: Final = 65536
#: Above this many characters, a text's decoded copies are read but not decoded again.
_OPEN_LAYERS_MAX: Final = 65536


def _loose_json_unescape(text: str) -> str:
    try:  # most texts are a JSON string's inside: the C decoder reads them at once
        decoded = json.loads(f'"{text}"', strict=False)
    except ValueError:  # a stray quote or escape: read what can be read
        pass
    else:
        if isinstance(decoded, str):
            return decoded

    def replace(match: re.Match[str]) -> str:
        if match[1]:
            return chr(int(match[1], 16))
        return _SHORT_ESCAPES.get(match[2], match[2])

    return _LOOSE_JSON_ESCAPE.sub(replace, text)


def _unhex(text: str) -> str:
    return _HEX_RUN.sub(_unhex_match, text)


def _unhex_match(match: re.Match[str]) -> str:
    run = match[0]  # read by pairs from its start: an odd last digit stays as it is
    if len(run) % 2:
        return _unhex_run(run[:-1]) + run[-1]
    return _unhex_run(run)


@functools.lru_cache(maxsize=4096)  # a body repeats its ids and codes
def _unhex_run(run: str) -> str:
    # Only hex that decodes to printable text is a hex-encoded text: dates, amounts and
    # ids ("20261201" is " &\x12\x01") stay as they are, and add no layer to read again.
    try:
        text = bytes.fromhex(run).decode("utf-8")
    except UnicodeDecodeError:
        return run
    return text if text.isprintable() else run


def layers(text: str, *, json_document: bool = False) -> Iterator[tuple[str, str | None]]:
    """``text`` (form ``None``), then each different text one decoding of it gives, with the
    name of the form that decoding undid: ``percent-encoded``, ``json-escaped``,
    ``html-escaped`` or ``hex``.

    ``json_document``: ``text`` is a JSON document whose strings are read one by one (as
    :func:`nested_texts` does), each with its own layers; of the document itself only the
    ``json-escaped`` layer is given, for what is found in whole texts (token shapes), and
    not the others, which would be a copy of the document (no longer JSON) with the
    strings' layers in it, and hex runs made of its numbers.
    """
    yield text, None
    seen = {text}
    decoded: list[tuple[str, str]] = []
    if json_document:
        if "\\" in text:
            decoded.append((_loose_json_unescape(text), "json-escaped"))
    else:
        if "%" in text:
            decoded.append((unquote(text), "percent-encoded"))
        if "%" in text or (
            "+" in text and (len(text) <= _PLUS_LAYER_MAX or _PLUS_SPACE.search(text))
        ):
            # "+" for a space: not in a large base64 blob (an image), where every "+" made
            # a copy of it to search again, unless a scheme stands before a "+"
            decoded.append((unquote_plus(text), "percent-encoded"))
        if "\\" in text:
            decoded.append((_loose_json_unescape(text), "json-escaped"))
        if "&" in text and _HTML_ENTITY.search(text):
            decoded.append((html.unescape(text), "html-escaped"))
        if _PRINTABLE_HEX.search(text):
            decoded.append((_unhex(text), "hex"))
    for layer, form in decoded:
        if layer not in seen:
            seen.add(layer)
            yield layer, form


def fully_decoded(text: str) -> str:
    """``text`` with percent-encoding, JSON escapes and HTML entities undone, again and
    again until none changes it (at most :data:`MAX_DEPTH` rounds): the one copy of a
    large text that stands for all the orders :func:`layers` would give."""
    current = text
    for _ in range(MAX_DEPTH):
        new = unquote(current) if "%" in current else current
        if "\\" in new:
            new = _loose_json_unescape(new)
        if "&" in new and _HTML_ENTITY.search(new):
            new = html.unescape(new)
        if new == current:
            break
        current = new
    return current


def nested_texts(text: str, *, max_depth: int = MAX_DEPTH) -> Iterator[tuple[str, int, str | None]]:
    """(text, depth, form) for ``text`` and every text inside it: each layer
    (:func:`layers`, with the form it undid), each key and string of a JSON document and
    each value of a form (form ``None``), recursively.

    A text at ``max_depth`` that still has texts inside is yielded again with depth
    ``max_depth + 1`` and not opened: a caller that must see everything treats it as
    unverifiable.
    """
    return iter(_nested(text, max_depth)[0])


def notable_texts(
    text: str, *, max_depth: int = MAX_DEPTH
) -> Iterator[tuple[str, int, str | None]]:
    """:func:`nested_texts` without the plain strings inside ``text`` (a JSON string or
    form value, no layer) that hold nothing a check reads further: no layer, JSON, form,
    markup or URL. What the structural checks walk: a JSON body's thousand names and
    numbers-as-text are looked at once, here, not once per check."""
    return iter(_nested(text, max_depth)[1])


_Nested = tuple[tuple[tuple[str, int, str | None], ...], tuple[tuple[str, int, str | None], ...]]


def _nested(text: str, max_depth: int) -> _Nested:
    found: _Nested = _NESTED.get(
        (text, max_depth), len(text), lambda: _walk_nested(text, max_depth)
    )
    return found


def _walk_nested(text: str, max_depth: int) -> _Nested:
    everything: list[tuple[str, int, str | None]] = []
    notable: list[tuple[str, int, str | None]] = []
    for entry, may_nest in _nested_texts(text, max_depth):
        everything.append(entry)
        nested, depth, form = entry
        if may_nest or depth == 0 or form is not None or "<" in nested or "://" in nested:
            notable.append(entry)
    return tuple(everything), tuple(notable)


def _nested_texts(text: str, max_depth: int) -> Iterator[tuple[tuple[str, int, str | None], bool]]:
    # ((text, depth, form), whether it may have texts inside)
    seen: set[str] = set()
    stack: list[tuple[str, int, str | None, bool]] = [(text, 0, None, True)]
    while stack:
        current, depth, form, opens = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        if _MAY_NEST.search(current) is None:  # most strings of a JSON body: nothing inside
            yield (current, depth, form), False
            continue
        yield (current, depth, form), True
        if not opens:
            continue
        children = [(c, f, o) for c, f, o in _children(current) if c not in seen]
        if depth >= max_depth:
            if children:
                yield (current, max_depth + 1, form), True
            continue
        stack.extend((child, depth + 1, f, o) for child, f, o in reversed(children))


#: A text without these has no layer (:func:`layers`), is no JSON and holds no form.
_MAY_NEST: Final = re.compile(r'[%+\\&={\["]|(?:[2-9A-Fa-f][0-9A-Fa-f]){3}')


def _children(text: str) -> Iterator[tuple[str, str | None, bool]]:
    # (child, the form its decoding undid, whether the walk opens it in turn)
    if _MAY_NEST.search(text) is None:  # most strings of a JSON body: nothing inside
        return
    summary = json_summary(text) if looks_like_json(text) else None
    opens = summary is None and len(text) <= _OPEN_LAYERS_MAX
    for layer, form in layers(text, json_document=summary is not None):
        if form is not None:
            # A JSON document's unescaped copy is read whole (token shapes), not opened:
            # its strings are each walked below, and decoding the copy again and again
            # (a Reddit listing's HTML, escaped twice, then percent-encoded) made dozens
            # of copies of a megabyte body, a minute's walk. So are the decoded copies of
            # a large text (an SEC filing's HTML page): each decoding of it is read whole
            # once, not decoded in turn in every order (a minute for 1.6 MB).
            yield layer, form, opens
    if summary is None and not opens:
        # what the unopened copies would have given, in one: every decoding undone in
        # turn until none changes the text (a token percent-encoded twice in a page)
        full = fully_decoded(text)
        if full != text:
            yield full, "decoded", False
    if summary is not None:
        # Each string once: a later repeat would be skipped by nested_texts anyway.
        for value in summary.strings:
            if value != text:
                yield value, None, True
        return
    if "=" not in text:  # no form, in a query or not
        return
    if "://" in text and ABSOLUTE_URL.match(text):
        parts = split_url(text)
        queries: tuple[str, ...] = (parts[2], parts[4])
    else:
        queries = (text,)
    for query in queries:
        if "=" in query and FORM_TEXT.fullmatch(query):
            for piece in query.split("&"):
                value = unquote_plus(piece.partition("=")[2])
                if value and value != text:
                    yield value, None, True
