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
  ``Bearer <BSS_ACCESS_TOKEN_n>``, any other scheme ``<scheme> <placeholder>`` (``Token`` and
  ``Bot`` an access token, ``ApiKey`` an API key, the rest ``<BSS_SECRET_n>``; also when the
  value is not valid base64 or not ASCII), its value and its parameters' values known from
  there on;
* ``Cookie`` values and the value of each ``Set-Cookie`` (names and attributes kept);
* form fields in form-encoded bodies, ``multipart/form-data`` parts, query strings and URL
  fragments named ``username``, ``password``, ``client_key`` (not ``client_id``: an OAuth
  client id is public by design, RFC 6749, 2.2),
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

**Known values** (:mod:`pytest_bss.secret_set`: every form of every value, and the length
rule) are replaced wherever they may appear -- uri, header values, status message, bodies.

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

**What refuses** is :mod:`pytest_bss.leaks`: :func:`find_leaks` decodes every layer and
applies exactly these rules.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final
from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus

from .catalogue import (
    AUTH_HEADERS,
    SET_COOKIE_FOLD,
    SIGNATURE_WORDS,
    field_key,
    header_kind,
    is_placeholder_value,
    is_typed_id,
    json_credential_kind,
    json_identifier_kind,
    lone_key_token,
    split_scheme,
    value_field_kind,
)
from .decoding import (
    ABSOLUTE_URL,
    FORM_TEXT,
    MAX_DEPTH,
    USERINFO,
    authorization_credentials,
    body_text,
    cookie_credential,
    decode_message,
    embedded_url_credentials,
    form_body,
    form_credentials,
    is_json,
    is_placeholder,
    is_url_header,
    json_summary,
    looks_like_json,
    message_body,
    multipart_boundary,
    multipart_credentials,
    multipart_parts,
    replace_body,
    shape_credentials,
    split_url,
    userinfo_values,
)
from .leaks import Leak, find_leaks, find_structural_leaks, interaction_leaks
from .markup import escape_placeholders, looks_like_xml, xml_credentials
from .secret_set import (
    _CLIENT_CREDENTIALS,
    KINDS,
    NEUTRAL_BASE,
    SHORT_SECRET_FIX,
    SecretSet,
    _Matcher,
    value_forms,
)

# SecretSet, the Leak check and their constants are re-exported: this module was their home.
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

_FIELD_WORDS: Final = (
    "token",
    "passw",
    "passphrase",
    "secret",
    "key",
    "code",
    "sess",
    "sig",
    *SIGNATURE_WORDS,  # firma, podpis ...
    "sid",
    "cookie",
    "auth",  # Authorization, X-*-Auth, Authentication in an object of headers
    "securitycenter",
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


_Message = dict[str, Any]

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
        found = userinfo_values(match["info"], match)
        for kind, value in found:
            secrets.add(kind, value)
        count += bool(found)
        return match["scheme"]

    if "@" not in text:
        return text, 0
    return USERINFO.sub(replace, text), count


def _scrub_form_fields(
    text: str, secrets: SecretSet, depth: int = 0, *, query: bool = False, head: str = ""
) -> tuple[str, int]:
    # a known client_id (BSS_CLIENT_KEY) is replaced however short: the length rule leaves
    # a short identifier to its positions
    found = {
        index: (kind, value)
        for index, kind, value in form_credentials(
            text, query=query, known=secrets.__contains__, head=head
        )
    }
    pieces = text.split("&")
    count = 0
    for index, piece in enumerate(pieces):
        name, sep, raw = piece.partition("=")
        if index in found:
            kind, value = found[index]
            # <> stay readable: a reviewer (and a secret scanner) sees a placeholder at a glance.
            placeholder = quote(secrets.add(kind, value), safe="<>")
            if value != unquote_plus(raw) and value in raw:  # exp=…~acl=…~hmac=<this>
                pieces[index] = f"{name}={raw.replace(value, placeholder)}"
            else:
                pieces[index] = f"{name}={placeholder}"
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
    query, n2 = (
        _scrub_form_fields(query, secrets, query=True, head=head) if "=" in query else (query, 0)
    )
    fragment, n3 = (
        _scrub_form_fields(fragment, secrets, query=True, head=head)
        if "=" in fragment
        else (fragment, 0)
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


#: The kind a credential of an ``Authorization`` scheme is known as (else ``secret``).
_SCHEME_KINDS: Final = {
    "token": "access_token",
    "bot": "access_token",
    "oauth": "access_token",
    "jwt": "access_token",
    "apikey": "api_key",
    "api-key": "api_key",
    "key": "api_key",
    "ssws": "api_key",
}


#: ``name="value"`` or ``name=value`` parameters of an ``Authorization`` value.
_AUTH_PARAM: Final = re.compile(r'([A-Za-z_][\w\-]*)\s*=\s*"?([^",\s]+)"?')
#: Parameters that hold the credential, whatever their length.
_SECRET_PARAMS: Final = frozenset(
    {
        "token",
        "access_token",
        "oauth_token",
        "signature",
        "oauth_signature",
        "key",
        "apikey",
        "response",  # Digest's: the hash of the password
    }
)
#: Parameters that name, route or salt, whatever their length (Digest's nonce and uri,
#: OAuth 1's nonce, AWS's SignedHeaders): learning them would replace the request's own
#: path, which replay matches on.
_PUBLIC_PARAMS: Final = frozenset(
    {
        "username",
        "realm",
        "nonce",
        "cnonce",
        "opaque",
        "uri",
        "qop",
        "nc",
        "algorithm",
        "userhash",
        "charset",
        "domain",
        "oauth_nonce",
        "oauth_timestamp",
        "oauth_signature_method",
        "oauth_version",
        "oauth_callback",
        "oauth_consumer_key",
        "credential",
        "signedheaders",
        "keyid",  # HTTP Signatures: names the key, often the request's own path
        "headers",
        "created",
        "expires",
    }
)


def _scrub_authorization(
    value: str, secrets: SecretSet, *, token_request: bool = False
) -> tuple[str, int]:
    found = authorization_credentials(value)
    if found is None:
        return value, 0
    scheme, credentials = found
    if scheme.lower() == "basic":
        pair = _basic_pair(credentials)
        if pair is not None:
            # KEY: (Stripe), TOKEN:api_token (Toggl): the user half is the credential, but
            # not an OAuth client's id at its token endpoint (RFC 6749, 2.3.1: public, and
            # in every authorize URL replay matches on); ba:secret (a test server's dummy
            # login): "secret" is not learned, or every "client_secret=" of a folder would
            # read as a leak of it
            if not token_request and not is_placeholder_value(
                pair[0], words=False, kind="client_key"
            ):
                secrets.add("client_key", pair[0])
            if not is_placeholder_value(pair[1], kind="client_secret"):
                secrets.add("client_secret", pair[1])
        return f"{scheme} {_CLIENT_CREDENTIALS}", 1
    if scheme.lower() == "bearer":
        return f"{scheme} {secrets.add('access_token', credentials)}", 1
    # Token, Bot, ApiKey, Digest, no scheme ...: the value is known from here on, so that
    # its other appearances (the login response that issued it) are replaced too, and so
    # are the values of its parameters (Rails' Token token="…", OAuth 1's oauth_token="…").
    kind = _SCHEME_KINDS.get(scheme.lower(), "secret")
    placeholder = secrets.add(kind, credentials)
    for name, param in _AUTH_PARAM.findall(credentials):
        low = name.lower().replace("-", "_")
        if low in _SECRET_PARAMS or (len(param) >= 16 and low not in _PUBLIC_PARAMS):
            secrets.add(kind, param, anywhere=True)
    return f"{scheme} {placeholder}" if scheme else placeholder, 1


def _scrub_cookies(value: str, secrets: SecretSet, *, first_only: bool) -> tuple[str, int]:
    if first_only and "," in value:  # a folded Set-Cookie: each of its values
        lines = SET_COOKIE_FOLD.split(value)
        if len(lines) > 1:
            seps = SET_COOKIE_FOLD.findall(value)
            done = [_scrub_cookies(line, secrets, first_only=True) for line in lines]
            rest = zip(seps, done[1:], strict=True)
            joined = done[0][0] + "".join(sep + text for sep, (text, _) in rest)
            return joined, sum(count for _, count in done)
    pieces = value.split(";")
    count = 0
    for index, piece in enumerate(pieces[:1] if first_only else pieces):
        name, sep, raw = piece.partition("=")
        secret = cookie_credential(raw, name) if sep else None
        if secret is not None:
            pieces[index] = f"{name}={secrets.add('cookie', secret)}"
            count += 1
    return ";".join(pieces), count


def _scrub_header(
    name: str, value: str, secrets: SecretSet, *, token_request: bool = False
) -> tuple[str, int]:
    low = name.lower()
    if low in AUTH_HEADERS:
        return _scrub_authorization(value, secrets, token_request=token_request)
    if low == "cookie":
        return _scrub_cookies(value, secrets, first_only=False)
    if low == "set-cookie":
        return _scrub_cookies(value, secrets, first_only=True)
    kind = header_kind(name)
    if kind is not None:
        scheme, credential = split_scheme(value)
        if is_placeholder_value(credential, kind=kind):
            return value, 0
        placeholder = secrets.add(kind, credential)
        return (f"{scheme} {placeholder}" if scheme else placeholder), 1
    if is_url_header(name, value):
        return _scrub_url(value, secrets)
    return value, 0


def _scrub_json_fields(text: str, secrets: SecretSet, depth: int = 0) -> tuple[str, int]:
    count = 0
    lone_key = lone_key_token(text) is not None  # {"key": "<40 hex>"}: a token login's answer
    # {"username": …, "key": "<random>"}: a login's session key (the summary read it)
    summary = json_summary(text)
    user_keys = summary.logins if summary is not None else ()

    def rewrite(path: tuple[str | None, ...], token: str, is_key: bool) -> str:
        nonlocal count
        # the token decoded once (a string's escapes undone; a number as written)
        secret = _loads_str(token) if token[0] == '"' else token
        kind = None if is_key else json_credential_kind(path)
        if lone_key and not is_key and path == ("key",):
            kind = "access_token"
        if user_keys and not is_key and field_key(path[-1] or "") == "key" and secret in user_keys:
            kind = "session"
        if kind is not None and path[-1] is not None and is_typed_id(path[-1], secret):
            kind = None  # {"token": "svd_fltr_16da…"}: an object's id, in its URL path too
        if kind is None and not is_key and token[0] == '"' and path and path[-1] is not None:
            kind = value_field_kind(path[-1], secret or "")
        if kind is not None:
            if secret and not is_placeholder_value(secret, kind=kind):
                count += 1
                return f'"{secrets.add(kind, secret)}"'
            if not (secret and ABSOLUTE_URL.match(secret)):
                return token  # a link is read on: its query may hold a credential
        if token[0] != '"' or depth >= MAX_DEPTH or secret is None:
            return token
        new, n = _scrub_nested(secret, secrets, depth + 1)
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
    if looks_like_xml(text):
        return _scrub_xml(text, secrets)
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
    if looks_like_xml(text):
        return _scrub_xml(text, secrets)
    return _scrub_userinfo(text, secrets)


def _scrub_xml(text: str, secrets: SecretSet) -> tuple[str, int]:
    """The credential elements and attributes of an XML text replaced where they stand,
    their placeholders escaped (``&lt;BSS_PASSWORD&gt;``) so the text stays XML."""
    # outermost spans only (an attribute inside an element's text goes with it)
    found: list[tuple[int, int, str, str]] = []
    for span in sorted(xml_credentials(text), key=lambda item: (item[0], -item[1])):
        if not found or span[0] >= found[-1][1]:
            found.append(span)
    for start, end, kind, value in reversed(found):
        placeholder = secrets.add(kind, value)
        if not text.endswith("<![CDATA[", 0, start):  # in CDATA, "<" is text as it is
            placeholder = escape_placeholders(placeholder)
        text = text[:start] + placeholder + text[end:]
    text, userinfo = _scrub_userinfo(text, secrets)
    return text, len(found) + userinfo


def _scrub_multipart(text: str, boundary: str, secrets: SecretSet) -> tuple[str, int]:
    found = list(multipart_credentials(text, boundary, secrets.__contains__))
    edits = [(start, end, secrets.add(kind, value)) for start, end, kind, value in found]
    count = len(found)
    fields = {start for start, _, _ in edits}
    for _, start, end in multipart_parts(text, boundary):
        if start not in fields:  # a part's own document: JSON metadata, a form, XML
            new, n = _scrub_nested(text[start:end], secrets, 1)
            if n:
                edits.append((start, end, new))
                count += n
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text, count


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
        if "\\" not in token and not matcher.might_match(token):
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
            and not matcher.might_match(text)
            and _JSON_KNOWN_HINT.search(text) is None
        ):
            return text, 0
        if is_json(text):
            return _free_json(text, matcher, secrets)
    new, count = matcher.sub(text, url_like=form_body(headers, text))
    if count and looks_like_xml(text):  # a placeholder's "<" would end the XML
        new = escape_placeholders(new)
    return new, count


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
    body = message_body(message, is_request=is_request)
    if headers:
        token_request = is_request and _grants(body)
        message["headers"], n = _map_headers(
            headers,
            lambda name, value: _scrub_header(name, value, secrets, token_request=token_request),
        )
        total += n
    headers = message.get("headers") or {}
    if body:
        new, n = _map_body(
            body, headers, lambda text: _scrub_body_fields(headers, text, secrets), None
        )
        replace_body(message, new, is_request=is_request)
        total += n
    _register_shapes(message, secrets, is_request=is_request)
    return total


def _grants(body: Any) -> bool:
    """Whether a request body is the form that asks an OAuth token endpoint for a grant
    (RFC 6749: ``grant_type=<a grant>`` among its fields), not a text that mentions one."""
    if isinstance(body, bytes | bytearray):
        body = bytes(body).decode("latin-1")
    if not isinstance(body, str) or "grant_type=" not in body or not FORM_TEXT.fullmatch(body):
        return False
    grant = dict(parse_qsl(body, keep_blank_values=True)).get("grant_type", "")
    return grant in _GRANTS or grant.startswith("urn:ietf:params:oauth:grant-type:")


#: RFC 6749's grant types (4.1.3, 4.3.2, 4.4.2, 6).
_GRANTS: Final = frozenset(
    {"authorization_code", "password", "client_credentials", "refresh_token"}
)


def _register_shapes(message: _Message, secrets: SecretSet, *, is_request: bool) -> None:
    """Register every token of a known shape in a message, so the known-value pass replaces
    it, in every form, wherever it appears."""
    for text in _message_texts(message, is_request=is_request):
        for shape, value in shape_credentials(text):
            secrets.add(shape.secret_kind, value, anywhere=True)
        if "://" in text and "=" in text:  # links in a text: HTML, a Link header
            for kind, value in embedded_url_credentials(text):
                secrets.add(kind if kind in KINDS else "secret", value, anywhere=True)


def _message_texts(message: _Message, *, is_request: bool) -> Iterator[str]:
    """The texts of a decoded message that token shapes are looked for in: the uri, the
    status message, the header names, every header value but ``Authorization``'s, and the
    body (read as Latin-1 when no charset reads it)."""
    if isinstance(message.get("uri"), str):
        yield message["uri"]
    status = message.get("status")
    if isinstance(status, Mapping) and isinstance(status.get("message"), str):
        yield status["message"]
    headers = message.get("headers") or {}
    yield from (name for name in headers if isinstance(name, str))
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
        # Bytes no charset reads: a token is ASCII in them (replaced in the bytes).
        yield decoded.text if decoded is not None else bytes(body).decode("latin-1")


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


def learn_values(data: Mapping[str, Any], secrets: SecretSet) -> None:
    """Register in ``secrets`` every credential :func:`scrub_interactions` would find in
    ``data`` (its credential positions and token shapes), rewriting nothing: without the
    free-text pass, no matcher is built, which a folder run would rebuild for every file."""
    for interaction in data.get("interactions") or ():
        _structural(_decode_request(interaction["request"]), secrets, is_request=True)
        _structural(_decode_response(interaction["response"]), secrets, is_request=False)


_MESSAGES: Final = ("request", "response")
