"""Where credentials sit in an HTTP message: the one list scrubbing and auditing both read.

Field names are compared by :func:`field_key`, which lowercases a name and drops ``_``,
``-``, ``.`` and spaces, so ``access_token``, ``accessToken``, ``AccessToken`` and
``access-token`` are one name.

* **Headers**: :data:`AUTH_HEADERS` hold credentials whole, :data:`COOKIE_HEADERS` in
  their cookie values; :data:`URL_HEADERS` (and any value that is an absolute URL) are
  read as URLs.
* **Form fields** (form bodies, query strings, URL fragments, ``multipart/form-data``
  parts): :data:`FORM_FIELDS`; ``code`` only when the same form also carries one of
  :data:`OAUTH_CONTEXT` (BSS uses ``code`` for account codes).
* **JSON keys** (any depth): :data:`JSON_FIELDS`, and any key ending in ``password``
  (``newPassword``). When such a key holds an object or a list, the strings under its
  ``value`` keys and its list items are that credential too
  (``{"token": {"value": ...}}``). :data:`JSON_IDENTIFIERS` are replaced only when their
  value is a known value.

Kinds are either :data:`SECRET_KINDS` (never readable anywhere) or
:data:`IDENTIFIER_KINDS` (not secret, so a short one may stay in ordinary text).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

__all__ = [
    "AUTH_HEADERS",
    "COOKIE_HEADERS",
    "FORM_FIELDS",
    "IDENTIFIER_KINDS",
    "JSON_FIELDS",
    "JSON_IDENTIFIERS",
    "OAUTH_CONTEXT",
    "SECRET_KINDS",
    "URL_HEADERS",
    "field_key",
    "form_field_kind",
    "json_credential_kind",
    "json_field_kind",
    "json_identifier_kind",
]

#: Headers whose whole value is a credential (lowercase).
AUTH_HEADERS: Final = frozenset({"authorization", "proxy-authorization"})
#: Headers whose cookie values are credentials (lowercase).
COOKIE_HEADERS: Final = frozenset({"cookie", "set-cookie"})
#: Headers read as URLs (lowercase); any value that is an absolute URL is read as one too.
URL_HEADERS: Final = frozenset({"location", "content-location", "referer"})

#: Form field name (by :func:`field_key`) -> kind.
FORM_FIELDS: Final = {
    "username": "username",
    "password": "password",
    "clientid": "client_key",
    "clientkey": "client_key",
    "clientsecret": "client_secret",
    "accesstoken": "access_token",
    "refreshtoken": "refresh_token",
    "idtoken": "id_token",
    "code": "code",
}
#: Form fields (by :func:`field_key`) that make ``code`` an OAuth code.
OAUTH_CONTEXT: Final = frozenset(
    {"granttype", "redirecturi", "clientid", "state", "codeverifier", "responsetype"}
)
#: JSON key (by :func:`field_key`) -> kind; any key ending in ``password`` is a password.
JSON_FIELDS: Final = {
    "accesstoken": "access_token",
    "refreshtoken": "refresh_token",
    "idtoken": "id_token",
    "token": "access_token",
    "password": "password",
    "clientsecret": "client_secret",
}
#: JSON keys (by :func:`field_key`) replaced only when they hold a known value.
JSON_IDENTIFIERS: Final = {
    "username": "username",
    "clientid": "client_key",
    "clientkey": "client_key",
}

#: Kinds that must never be readable: replaced, or the write is refused.
SECRET_KINDS: Final = frozenset(
    {
        "password",
        "client_secret",
        "access_token",
        "refresh_token",
        "id_token",
        "code",
        "cookie",
        "client_credentials",
        "user_credentials",
    }
)
#: Kinds that name an account rather than unlock it.
IDENTIFIER_KINDS: Final = frozenset({"username", "client_key"})

_DROP: Final = str.maketrans("", "", "_-. ")


def field_key(name: str) -> str:
    """``name`` lowercased without ``_ - .`` and spaces: the form every name is compared in."""
    return name.translate(_DROP).lower()


def form_field_kind(name: str, *, oauth: bool) -> str | None:
    """The kind of a form field, or ``None``; ``oauth``: the form carries an OAuth field."""
    kind = FORM_FIELDS.get(field_key(name))
    return None if kind == "code" and not oauth else kind


def json_field_kind(key: str) -> str | None:
    """The kind of a JSON key that is a credential position, or ``None``."""
    name = field_key(key)
    kind = JSON_FIELDS.get(name)
    if kind is None and name.endswith("password"):
        return "password"
    return kind


def json_identifier_kind(key: str) -> str | None:
    """The kind of a JSON key replaced only when it holds a known value, or ``None``."""
    return JSON_IDENTIFIERS.get(field_key(key))


def json_credential_kind(path: Sequence[str | None]) -> str | None:
    """The kind of the JSON scalar at ``path`` (keys from the root, ``None`` for list items).

    A scalar is a credential under a credential key directly, as a list item under it, or
    under its ``value`` keys: ``{"password": x}``, ``{"token": {"value": x}}``,
    ``{"access_token": [x]}``.
    """
    end = len(path)
    while end and (path[end - 1] is None or field_key(path[end - 1] or "") == "value"):
        end -= 1
    if not end:
        return None
    key = path[end - 1]
    return json_field_kind(key) if key is not None else None
