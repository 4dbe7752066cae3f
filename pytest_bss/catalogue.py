"""Where credentials sit in an HTTP message and what they look like: the one catalogue
scrubbing and auditing both read.

Whatever ``pytest-bss audit`` reports as a *credential*, ``pytest-bss scrub`` (and the
plugin's write path) replaces, because both ask the functions below. The catalogue has
five parts; ``docs/scrubbing.md`` lists every entry.

**Names.** Field names are compared by :func:`field_key`, which lowercases a name and
drops ``_``, ``-``, ``.`` and spaces, so ``access_token``, ``accessToken``,
``AccessToken`` and ``access-token`` are one name.

**Headers** (:func:`header_kind`): :data:`AUTH_HEADERS` hold ``<scheme> <credentials>``;
:data:`TOKEN_HEADERS` and the :data:`TOKEN_HEADER_PATTERNS` (``X-*-Token``,
``X-*-Session``, ``X-*-Api-Key``, ``X-*-Auth`` ...) hold a credential whole;
:data:`NOT_CREDENTIAL_HEADERS` never do (CSRF tokens are not credentials: they only work
together with the session cookie, which is one). :data:`COOKIE_HEADERS` hold cookies;
:data:`URL_HEADERS` (and any value that is an absolute URL) are read as URLs.

**Cookies** (:func:`cookie_kind`): a cookie is a credential when its name says so
(:data:`CREDENTIAL_COOKIE_WORDS`: ``session``, ``sid``, ``auth``, ``token`` ...) or when
its value looks random (:func:`looks_random`). Tracking, routing, visitor-id and CSRF
cookies (:data:`TRACKING_COOKIES`, :data:`TRACKING_COOKIE_PREFIXES`,
:data:`VISITOR_COOKIE_WORDS`) never are. Every cookie but those and values under four
characters (``lang=en``) is replaced by scrub.

**Fields** (form bodies, query strings, URL fragments, ``multipart/form-data`` parts, and
JSON keys at any depth): :func:`secret_field_kind` by exact name
(:data:`SECRET_FIELDS`) and by suffix (:data:`SECRET_FIELD_SUFFIXES`: ``*_token``,
``*Token``, ``*_secret``, ``*password``, ``*apikey`` ...), minus
:data:`NOT_CREDENTIAL_FIELDS` (pagination cursors, CSRF tokens). ``key`` counts in a query
string only, and only with a value that :func:`looks_random`; ``code`` only in a form
that also carries an :data:`OAUTH_CONTEXT` field (BSS uses ``code`` for account codes);
``username`` and ``client_key`` (:data:`IDENTIFIER_FIELDS`) count in forms, and with
``client_id`` in JSON only when their value is a known value (an OAuth ``client_id`` is
public by design: RFC 6749, 2.2).

**Shapes** (:mod:`pytest_bss.shapes`): token formats found anywhere in any
text, whatever field they are in: GitHub, GitLab, Slack, Stripe, AWS, Google, npm,
OpenAI, SendGrid, Okta ``SSWS``, JWTs, ``Bearer`` and ``Basic`` credentials, PEM private
keys.

**Placeholders** (:func:`is_masked`): a value that another tool (or a person) put in
place of a credential is not a credential: ``<ACCESS_TOKEN>``, ``[REDACTED]``,
``{{token}}``, ``${API_KEY}``, ``xxxx``, ``****``, ``****1234``, ``REDACTED``,
``SANITIZED_TOKEN``, ``myAPIToken``, ``YOUR_TOKEN_HERE``, ``dummy``, ``test``, ``0000``.
The rule: a bracketed or templated whole; a value made only of mask characters, or holding
a run of four ``*`` or ``•``; one character repeated; a value whose first word is a
redaction word (:data:`REDACTION_WORDS`); or a value made only of placeholder words
(:data:`PLACEHOLDER_WORDS`, words split at separators, case changes and digits). A low
entropy alone does not make a placeholder: a real password may be ``Summer2024``.
Our own placeholders (``<BSS_...>``, :func:`is_own_placeholder`) are placeholders too.

Kinds are either :data:`SECRET_KINDS` (never readable anywhere) or
:data:`IDENTIFIER_KINDS` (not secret, so a short one may stay in ordinary text).
"""

from __future__ import annotations

import base64
import binascii
import functools
import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Final
from urllib.parse import unquote, unquote_plus

__all__ = [
    "AUTH_HEADERS",
    "COOKIE_ATTRIBUTES",
    "COOKIE_HEADERS",
    "CREDENTIAL_COOKIE_WORDS",
    "FORM_FIELDS",
    "IDENTIFIER_FIELDS",
    "IDENTIFIER_KINDS",
    "JSON_FIELDS",
    "JSON_IDENTIFIERS",
    "NOT_CREDENTIAL_FIELDS",
    "NOT_CREDENTIAL_HEADERS",
    "NOT_SECRET_HEADERS",
    "OAUTH_CONTEXT",
    "OWN_PLACEHOLDERS",
    "PLACEHOLDER_WORDS",
    "QUERY_SIGNATURES",
    "REDACTION_WORDS",
    "SECRET_FIELDS",
    "SECRET_FIELD_SUFFIXES",
    "SECRET_KINDS",
    "SET_COOKIE_FOLD",
    "SHORT_PASSWORD_FIELDS",
    "SIGNATURE_WORDS",
    "TOKEN_HEADERS",
    "TOKEN_HEADER_PATTERNS",
    "TRACKING_COOKIES",
    "TRACKING_COOKIE_PREFIXES",
    "URL_HEADERS",
    "USER_FIELDS",
    "VISITOR_COOKIE_WORDS",
    "cookie_kind",
    "cookie_pairs",
    "field_key",
    "form_field_kind",
    "header_field_kind",
    "header_kind",
    "is_encoded_stand_in",
    "is_headers_key",
    "is_masked",
    "is_own_placeholder",
    "is_placeholder_value",
    "is_typed_id",
    "json_credential_kind",
    "json_field_kind",
    "json_identifier_kind",
    "json_key_rule",
    "lone_key_token",
    "looks_random",
    "not_secret_field",
    "secret_field_kind",
    "set_cookie_lines",
    "shannon_entropy",
    "split_scheme",
    "value_field_kind",
    "value_field_name",
]

# --- names --------------------------------------------------------------------------------

_DROP: Final = str.maketrans("", "", "_-. []$")
# Names repeat (every item of a JSON list has the same keys): the name rules are cached.
_NAMES: Final = 8192


@functools.lru_cache(maxsize=_NAMES)
def field_key(name: str) -> str:
    """``name`` lowercased without ``_ - . $``, spaces and brackets: the form every name is
    compared in (a PHP or Rails form name: ``user[password]`` is ``userpassword``, a
    password; ``page[token]`` is ``pagetoken``, a cursor; OData's ``$skiptoken`` is
    ``skiptoken``, a cursor)."""
    return name.translate(_DROP).lower()


# --- placeholders -------------------------------------------------------------------------

_OWN: Final = re.compile(r"<BSS_[A-Z][A-Z0-9_]*>")
#: Our placeholders inside a text, their names in group 1 (to write them escaped).
OWN_PLACEHOLDERS: Final = re.compile(r"<(BSS_[A-Z][A-Z0-9_]*)>")
_BRACKETED: Final = re.compile(
    r"<[^<>]*>|\[[^\[\]]*\]|\(\s*[A-Za-z _-]*\s*\)|\{\{[^{}]*\}\}|\$\{[^{}]*\}|\{[A-Za-z_][\w.-]*\}"
    r"|%[A-Za-z_]+%|\$[A-Za-z_][A-Za-z0-9_]*|:[a-z_]+"
)
_MASK_ONLY: Final = re.compile(r"[*xX•#.\-_ ]{3,}")
_MASK_RUN: Final = re.compile(r"[*•]{4,}")
_STARS: Final = re.compile(r"[*•]+")
_X_RUN: Final = re.compile(r"(?<![A-Za-z])[xX]{3,}(?![A-Za-z])")
_WORDS: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_SEPARATORS: Final = re.compile(r"[-_.: ]")
#: Hex words programmers type as stand-ins (``0xdeadbeef``, ``CAFEBABE``), alone or repeated,
#: in one case (``CafeBabeDeadBeef`` reads as a person's password).
_HEX_SPEAK: Final = re.compile(
    r"(?:0x)?(?:(?:deadbeef|cafebabe|feedface|baadf00d|deadc0de|8badf00d)+"
    r"|(?:DEADBEEF|CAFEBABE|FEEDFACE|BAADF00D|DEADC0DE|8BADF00D)+)"
)
#: Three or more lowercase words joined by ``-`` or ``_``: ``xero-client-secret``.
_NAMED_STAND_IN: Final = re.compile(r"[a-z]+(?:[-_][a-z]+){2,}")
#: The names of credential fields that a project's stand-in repeats after its own name
#: (``xero-client-secret``). No password: ``tiger-secret-password`` may be a real one.
_FIELD_NAMES: Final = frozenset(
    {
        "access token", "refresh token", "id token", "client secret", "api key",
        "auth token", "session token", "consumer secret", "app secret", "client id",
    }
)  # fmt: skip
#: Shortened for show: ``ntn_...``, ``sk_live_…``.
_ELIDED: Final = re.compile(r"\.\.\.|…")
#: The name of a variable that holds the value, not the value: ``__MY_APP_TEST_TOKEN_2``.
_ENV_NAME: Final = re.compile(
    r"_*[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_(?:TOKEN|KEY|SECRET|PASSWORD|PASS|PWD|SESSION|AUTH)"
    r"(?:_[A-Z0-9]+)*_*"
)


def _mostly_sequences(text: str) -> bool:
    """Typed by walking the keyboard or the alphabet: ``abcd1234efgh``, ``sec1mno2pqr3``.

    Three quarters of the characters sit in ascending runs of three or more (``abc``,
    ``123``, ``mno``), with letters and digits mixed, in 12 characters or more: a hand-made
    stand-in, not a generated secret. (``12345678`` or ``abcdefgh`` alone may be a real,
    weak password: it stays a credential.)
    """
    if len(text) < 12 or text.isdigit() or text.isalpha():
        return False
    covered = [False] * len(text)
    start = 0
    for index in range(1, len(text) + 1):
        ascending = index < len(text) and ord(text[index]) == ord(text[index - 1]) + 1
        if not ascending:
            if index - start >= 3:
                covered[start:index] = [True] * (index - start)
            start = index
    return sum(covered) * 4 >= len(text) * 3


#: A value whose first word is one of these was masked by a tool (``SANITIZED_TOKEN``).
REDACTION_WORDS: Final = frozenset(
    {
        "redacted",
        "sanitized",
        "sanitised",
        "filtered",
        "masked",
        "hidden",
        "removed",
        "scrubbed",
        "censored",
        "omitted",
        "obfuscated",
        "elided",
        "placeholder",
        "dummy",
        "fake",
    }
)
#: A value made only of these words (and ``xxx`` runs) is a placeholder (``myAPIToken``).
PLACEHOLDER_WORDS: Final = REDACTION_WORDS | frozenset(
    {
        "my", "your", "the", "a", "an", "of", "for", "to", "here", "there", "insert", "replace",
        "put", "enter", "goes", "with", "me", "this", "that", "some", "any", "real", "actual",
        "api", "app", "application", "key", "keys", "token", "tokens", "access", "refresh", "refreshed",
        "id", "secret", "secrets", "password", "passwd", "pass", "pwd", "passphrase", "user",
        "username", "login", "email", "name", "client", "consumer", "auth", "oauth",
        "bearer", "basic", "session", "cookie", "value", "string", "str", "code", "device",
        "private", "public", "personal", "temp", "new", "old", "default", "example",
        "sample", "test", "testing", "tester", "mock", "mocked", "stub", "stubbed", "demo", "foo", "bar", "baz",
        "foobar",
        "qux", "changeme", "change", "none", "null", "nil", "undefined", "todo",
        "tbd", "unknown", "invalid", "valid", "expired", "bogus", "junk", "blah", "bad",
        "deprecated", "unused", "disabled",
        "wrong", "incorrect",
        "sk", "pk", "rk", "live", "ssws", "jwt", "hash", "signature", "sig", "credential",
        "credentials", "aws", "github", "slack", "stripe", "google", "webhook", "ghp", "gho",
        "vault", "azure", "gcp", "okta", "jira",
        "xoxb", "xoxp", "xxx",
    }
)  # fmt: skip


def is_own_placeholder(value: object) -> bool:
    """Whether ``value`` is exactly one of our placeholders such as ``<BSS_PASSWORD>``."""
    return isinstance(value, str) and _OWN.fullmatch(value) is not None


def is_masked(value: str, *, words: bool = True) -> bool:
    """Whether ``value`` is another tool's placeholder for a credential (see the module doc).

    Empty values and our own placeholders are not "masked": they are nothing to report.
    ``words=False`` leaves out the placeholder-word rule (for user names: ``test`` or
    ``api`` may be a real one).
    """
    text = value.strip().strip("'\"")
    if not text or is_own_placeholder(text):
        return False
    if _BRACKETED.fullmatch(text) and not looks_random(text.strip("<>[](){}$%:")):
        return True  # <ACCESS_TOKEN>, ${API_KEY}; not $aact_prod_… (a key with a "$")
    if _MASK_ONLY.fullmatch(text) or _MASK_RUN.search(text) or _STARS.fullmatch(text):
        return True  # "***", "****1234", and a lone "*" ({"password": "*"})
    if len(text) >= 3 and len(set(text)) == 1 and (text[0].isalnum() or text[0] in "*•#.-_"):
        return True
    if len(set(_SEPARATORS.sub("", text))) == 1 and len(text) >= 8:
        return True  # 00000000-000000000000000000000000000000: one character, separated
    if (
        3 <= len(text) <= 4
        and text.isdigit()
        and all(ord(b) == ord(a) + 1 for a, b in itertools.pairwise(text))
    ):
        return True  # "123", "1234": a stand-in, too short to be a token
    if _ELIDED.search(text) or _ENV_NAME.fullmatch(text) or _mostly_sequences(text):
        return True
    if _HEX_SPEAK.fullmatch(text):
        return True  # Basic 0xdeadbeef: a programmer's stand-in
    if not text.isascii():  # "sécret": the words without their accents
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    found = [word.lower() for word in _WORDS.findall(_X_RUN.sub(" xxx ", text))]
    if not found:
        return False
    first = next((word for word in found if not word.isdigit()), found[0])
    if first in REDACTION_WORDS:  # FAKE_TOKEN, and "1-fake-token" (a number before it)
        return True
    if "xxx" in found and all(word.isalpha() for word in found) and _X_RUN.search(text):
        return True  # AUTHORIZATION-XXX, X-GOOG-API-KEY-XXX: names and a run of x
    if words and _NAMED_STAND_IN.fullmatch(text) and _named_stand_in(found):
        return True  # xero-access-token, test_openai_api_key: a name, then the field's
    if words and _ONE_TOKEN.fullmatch(text) and _FENCED_STAND_IN.search(text):
        return True  # FVQ__sample_token__QYzz…: a project's sample token
    return words and all(word in PLACEHOLDER_WORDS or _compound(word) for word in found)


#: The first words of a stand-in that names a vendor before the field's name
#: (``test_openai_api_key``, ``my-stripe-secret-key``, ``fake_github_token``).
_STAND_IN_STARTS: Final = frozenset(
    {"test", "testing", "my", "your", "fake", "dummy", "mock", "example", "sample", "demo"}
)
_FIELD_TAILS: Final = frozenset({"token", "secret", "key", "apikey", "secret key"})


def _named_stand_in(found: list[str]) -> bool:
    """Whether the words of a lowercase ``-``/``_``-joined value are a stand-in: a name,
    then a credential field's name (``xero access token``), or a stand-in word, a name,
    then a field's name or its last word (``test openai api key``, ``fake github token``)."""
    if " ".join(found[1:]) in _FIELD_NAMES:
        return True
    if found[0] not in _STAND_IN_STARTS or len(found) < 3:
        return False
    return " ".join(found[-2:]) in _FIELD_NAMES | _FIELD_TAILS or found[-1] in _FIELD_TAILS


#: A stand-in phrase fenced by double underscores inside a value: a project's sample
#: token file (``FVQ__sample_token__QYzzRracgjH``).
_FENCED_STAND_IN: Final = re.compile(
    r"__(?:sample|example|fake|dummy|mock|placeholder)_(?:access_|refresh_|api_)?"
    r"(?:token|key|secret)__",
    re.I,
)
#: One token, nothing around it (no scheme, parameter, list or space): where a fenced
#: stand-in phrase makes the whole value a placeholder (not ``OAuth oauth_consumer_key=
#: "__sample_api_key__", oauth_token="<real>"``).
_ONE_TOKEN: Final = re.compile(r"[A-Za-z0-9_\-.~+/]+=*")


def _compound(word: str) -> bool:
    """Whether a one-case word is placeholder words run together (``invalidpassword``,
    ``mysecrettoken``): every piece two letters or more."""
    if not 6 <= len(word) <= 64 or not word.isalpha():
        return False
    ends = [True] + [False] * len(word)  # ends[i]: word[:i] splits into placeholder words
    for end in range(2, len(word) + 1):
        ends[end] = any(
            ends[start] and word[start:end] in PLACEHOLDER_WORDS for start in range(end - 1)
        )
    return ends[-1]


_BASE64_TEXT: Final = re.compile(r"[A-Za-z0-9+/]{8,}={0,2}")


def is_encoded_stand_in(value: str) -> bool:
    """Whether a password sent base64-encoded (QNAP's ``pwd=``) is a stand-in in plain
    text: ``aW52YWxpZHB3`` is ``invalidpw`` (a wrong-password word, then ``pw``). A real
    password decodes to itself, which :func:`is_masked` judges as it judges a plain one."""
    if _BASE64_TEXT.fullmatch(value) is None:
        return False
    try:
        plain = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
        text = plain.decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return False
    stem = text.lower().removesuffix("pw")
    return text.isprintable() and (is_masked(text) or stem in _WRONG_WORDS)


#: What a test names a wrong password after (``invalidpw``, ``wrongpw``).
_WRONG_WORDS: Final = frozenset({"invalid", "wrong", "bad", "incorrect", "bogus", "fake"})


#: The rows of a keyboard, for :func:`_keyboard_run`.
_KEYBOARD_ROWS: Final = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard_run(text: str) -> bool:
    """Typed on four neighbouring keys of one keyboard row, 4 letters or more
    (``asdfasdfasdf``, ``asdfadsf``, ``fdsa``): a hand-typed stand-in."""
    low = text.lower()
    if len(low) < 4 or not low.isalpha() or not low.isascii():
        return False
    letters = set(low)
    return any(
        letters <= set(row[start : start + 4])
        for row in _KEYBOARD_ROWS
        for start in range(len(row) - 3)
    )


#: A short lowercase value, digits only at its end (``csessid``, ``csid123``).
_SHORT_LOWER: Final = re.compile(r"[a-z]+[0-9]*")


def _named_session(text: str) -> bool:
    """A short lowercase value holding ``sess`` or ``sid`` (``csessid``, ``csid123``): a
    session id's stand-in named after its field. A server's session id of fewer than 16
    characters holding ``sid`` by chance is all but never."""
    return (
        len(text) < 16
        and _SHORT_LOWER.fullmatch(text) is not None
        and ("sess" in text or "sid" in text)
    )


#: MediaWiki's action tokens (csrf, login, patrol, watch …): hex, then ``+\``, which the
#: API adds so that a token that went through a broken proxy is refused. They keep a form
#: from being forged; they open nothing (the session cookie does).
#: (``[+ ]``: a form's value read once more turns its ``+`` into a space.)
_MEDIAWIKI_TOKEN: Final = re.compile(r"[0-9a-f]{32,48}[+ ]\\")


def is_placeholder_value(value: object, *, words: bool = True, kind: str | None = None) -> bool:
    """Whether a value in a credential position holds no credential: empty, ours, masked
    (``words``: as in :func:`is_masked`); for a ``kind`` only a server issues (a session
    id; a token or a key may be chosen by a person), also a keyboard run (``asdfadsf``) or
    a short value named after its kind (``csessid``): no server issues one."""
    if not isinstance(value, str):
        return value is None or isinstance(value, bool)
    text = value.strip()
    # only a session id: a server issues it; a token, a key or a secret may be chosen
    if kind == "session" and (_keyboard_run(text) or _named_session(text)):
        return True  # {"sessionId": "asdfasdfasdf", "custom_sessionid": "csessid"}
    if _MEDIAWIKI_TOKEN.fullmatch(text):
        return True  # MediaWiki's CSRF and login tokens (csrftoken, token=…+\): anti-forgery
    if _PLAIN_URL.fullmatch(text) and not any(map(_capability, _URL_PARTS.split(text))):
        return True  # {"secret": "https://…/secret.png"}: a link; its query is read as one
    scheme, sep, rest = text.partition(" ")
    if sep and scheme.isalpha() and (is_own_placeholder(rest) or _BRACKETED.fullmatch(rest)):
        return True  # "Bearer <BSS_ACCESS_TOKEN_1>", "Token <TOKEN>"
    return not text or is_own_placeholder(text) or is_masked(value, words=words)


#: An object's id that says its type: lowercase words, then 8 to 20 hex digits
#: (``svd_fltr_16da937bc6e0cdb8``, ``kbnts_eff_rprt_4f2737fec20a66c8``).
_TYPED_ID: Final = re.compile(r"[a-z]{2,12}(?:_[a-z]{2,12})*_[0-9a-f]{8,20}")


def is_typed_id(key: str, value: object) -> bool:
    """Whether a JSON ``token`` field holds an object's typed id, not a credential.

    Vantage calls every object's id its ``token`` (``{"token": "svd_fltr_16da…"}``) and
    puts it in the URL path of each request for the object: replacing it changed what
    replay matches on. Only a field named ``token`` exactly (never ``access_token``, a
    header, a cookie or a password), and never a value of a known token shape
    (``sk_live_…``: :mod:`pytest_bss.shapes`).
    """
    if not isinstance(value, str) or _TYPED_ID.fullmatch(value) is None:
        return False
    if field_key(key) != "token":
        return False
    from .shapes import find_shapes  # shapes reads this module

    return next(find_shapes(value), None) is None


#: A JSON answer that is one ``key`` and nothing else: Django REST framework's token login
#: (``rest_framework.authtoken``, dj-rest-auth: ``{"key": "<40 hex>"}``).
_LONE_KEY: Final = re.compile(r'\s*\{\s*"key"\s*:\s*"([^"\\]{16,4096})"\s*\}\s*')


def lone_key_token(text: str) -> str | None:
    """The token of a JSON document that is ``{"key": <random-looking value>}`` alone, or
    ``None``.

    A JSON ``key`` is no credential position (too many APIs name an object's key, a
    setting's or a translation's so), but an answer that holds nothing else is a token
    login's: Django REST framework answers ``POST /auth/login/`` so, and the test that
    recorded only the login never sends the token back where a header would show it.
    """
    if not text.startswith(("{", " ", "\n", "\t", "\r")):
        return None
    match = _LONE_KEY.fullmatch(text)
    if match is None or not looks_random(match[1]):
        return None
    return match[1]


#: An absolute http(s) URL without userinfo; a path segment, fragment or query part that
#: looks random makes it a capability (a webhook or magic-login URL), not a plain link.
_PLAIN_URL: Final = re.compile(r"https?://[^\s/@?#]+(?:[/?#]\S*)?", re.I)
_URL_PARTS: Final = re.compile(r"[/?#&=;]")


def _capability(part: str) -> bool:
    """A URL part that makes the URL a credential (a random token, or a UUID as many
    magic-link and webhook URLs use)."""
    return looks_random(part) or _UUID.fullmatch(part) is not None


# --- randomness ---------------------------------------------------------------------------

_TOKEN_CHARS: Final = re.compile(r"[A-Za-z0-9+/=_\-.~:%!$]+")
_UUID: Final = re.compile(
    r"\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?"
)
#: A UUID behind a short tag (Oracle Portal's ``_op_aixPageId=a2_4cda5bfa-…``): in a cookie
#: nobody names, an id as the UUID alone is (a query ``key=ak_<uuid>`` stays a key).
_TAGGED_UUID: Final = re.compile(r"[A-Za-z0-9]{1,4}_" + _UUID.pattern)
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}")
_NUMBERISH: Final = re.compile(r"[\d.:,+\-]+")
_PERCENT_ESCAPE: Final = re.compile(r"%[0-9A-Fa-f]{2}")
_IBAN_SHAPE: Final = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")
#: Standard base64 of 40+ characters with a ``+`` or padding: many ``/`` in it are no path.
_BASE64_BLOCK: Final = re.compile(r"(?=[A-Za-z0-9/]*[+=])[A-Za-z0-9+/]{38,}={0,2}")
#: A parameter set to a number (``max-age=63072000``): not a secret.
_NAMED_NUMBER: Final = re.compile(r"[A-Za-z][A-Za-z_\-]*=\d+")
#: A name made of three or more lowercase words of up to 12 letters (a word may end in a
#: digit or two; a segment may be a short number) joined by ``_``, ``-`` or ``.``:
#: ``youtube_watch_html5_desktop``, ``eu-west-1.compute.internal``. A generated token does
#: not split into such words (its letters and digits mix inside each part).
_WORD_NAME: Final = re.compile(
    r"(?:[a-z]{1,12}[0-9]{0,2}|[0-9]{1,4})(?:[_.\-](?:[a-z]{1,12}[0-9]{0,2}|[0-9]{1,4})){2,}"
)
_MEDIA_TYPE: Final = re.compile(
    r"(?:application|text|image|audio|video|multipart|message|font|model)/[\w.+\-]+(?:;|$)"
)


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value`` (0 for an empty one)."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def looks_random(value: str) -> bool:
    """Whether ``value`` looks like a generated secret: 16 to 4096 token characters,
    letters and digits mixed (or 32+ characters of two letter cases), at least 3 bits
    of entropy per character; never a UUID, a date, a number, a URL, a path or an IBAN
    (a bank account number is personal data, which ``audit --personal-data`` judges)."""
    text = value.strip()
    if not 16 <= len(text) <= 4096 or _TOKEN_CHARS.fullmatch(text) is None:
        return False
    if _UUID.fullmatch(text) or _DATE.search(text) or _NUMBERISH.fullmatch(text):
        return False
    if _IBAN_SHAPE.fullmatch(text) and _is_iban(text):
        return False
    if "://" in text:
        return False
    if (text.startswith(("/", "./")) or text.count("/") > 3) and not _BASE64_BLOCK.fullmatch(text):
        return False  # a path; base64 may start with "/" and hold many
    if _MEDIA_TYPE.match(text):  # application/vnd.github.v3.full+json
        return False
    if _NAMED_NUMBER.fullmatch(text):  # max-age=63072000
        return False
    if _WORD_NAME.fullmatch(text):
        return False  # csid=youtube_watch_html5_desktop: words, not a token
    if "%" in text and _PERCENT_ESCAPE.search(text):
        plain = unquote_plus(text)  # visited=2021%2F06%2F10+21%3A21%3A58: a date
        if plain != text and (_DATE.search(plain) or _NUMBERISH.fullmatch(plain)):
            return False
    digits = any(c.isdigit() for c in text)
    lower = any(c.islower() for c in text)
    upper = any(c.isupper() for c in text)
    if not (digits and (lower or upper)) and not (len(text) >= 32 and lower and upper):
        return False
    return shannon_entropy(text) >= 3.0


def _is_iban(text: str) -> bool:
    from stdnum import iban  # only for IBAN-shaped values: most audits never need it

    return bool(iban.is_valid(text, check_country=False))


# --- headers ------------------------------------------------------------------------------

#: Headers whose value is ``<scheme> <credentials>`` (lowercase).
AUTH_HEADERS: Final = frozenset({"authorization", "proxy-authorization"})
#: Headers whose cookie values are read by :func:`cookie_kind` (lowercase).
COOKIE_HEADERS: Final = frozenset({"cookie", "set-cookie"})
#: Headers read as URLs (lowercase); any value that is an absolute URL is read as one too.
URL_HEADERS: Final = frozenset({"location", "content-location", "referer"})
#: Headers (lowercase) whose whole value is a credential -> kind.
TOKEN_HEADERS: Final = {
    "x-api-key": "api_key",
    "api-key": "api_key",
    "apikey": "api_key",
    "x-apikey": "api_key",
    "x-api-token": "api_key",
    "private-token": "api_key",  # GitLab
    "job-token": "access_token",  # GitLab CI
    "ocp-apim-subscription-key": "api_key",  # Azure API Management
    "x-goog-api-key": "api_key",
    "x-auth-token": "access_token",
    "x-access-token": "access_token",
    "x-amz-security-token": "session",
    "x-securitycenter": "session",  # Tenable.sc
    "x-tableau-auth": "session",
    "x-session": "session",
    "x-session-id": "session",
    "x-session-token": "session",
    "x-auth": "access_token",
    "x-authorization": "access_token",
    "authentication": "access_token",
    "x-key": "api_key",
    "dd-api-key": "api_key",  # Datadog
    "dd-application-key": "api_key",
}
#: Header name patterns (lowercase, whole name) -> kind, after :data:`TOKEN_HEADERS`.
#: Underscores count as hyphens (``X-CMC_PRO_API_KEY``); the ``x-`` prefix is optional
#: where the rest says enough (``Circle-Token``, ``X-RapidAPI-Key``, ``Consumer-Key``).
TOKEN_HEADER_PATTERNS: Final = (
    (
        re.compile(
            r"(?:x-)?(?:[a-z0-9]+-)*(?:[a-z0-9]*api-?keys?|access-?keys?|secret(?:-keys?)?"
            r"|application-keys?|consumer-keys?|consumer-secret|private-keys?|user-keys?)"
        ),
        "api_key",
    ),
    # X-Session, X-Foo-Session-Id; without the x-: Session-Id, Session-Header (Smartabase)
    (re.compile(r"x-(?:[a-z0-9]+-)*session(?:-?id|-?token|-?key)?"), "session"),
    (re.compile(r"(?:[a-z0-9]+-)*session(?:-?id|-?token|-?key|-header)"), "session"),
    (re.compile(r"(?:x-)?(?:[a-z0-9]+-)*(?:[a-z0-9]+)?token"), "access_token"),
    (re.compile(r"x-(?:[a-z0-9]+-)+auth(?:-?key)?"), "access_token"),
)
#: Headers (lowercase) that are never credentials although their name would say so.
NOT_CREDENTIAL_HEADERS: Final = frozenset(
    {
        "trakt-api-key",  # Trakt: the app's public OAuth client_id, by Trakt's own docs
        "x-csrf-token",
        "x-xsrf-token",
        "x-csrftoken",
        "x-csrf",
        "x-next-page-token",
        "x-page-token",
        "x-continuation-token",
        "x-ms-continuation",
        "next-page-token",
        "page-token",
        "continuation-token",
        "csrf-token",
        "xsrf-token",
    }
)
#: Headers (lowercase) whose random-looking values are not even suspicious.
NOT_SECRET_HEADERS: Final = frozenset(
    {
        "etag",
        "if-match",
        "if-none-match",
        "date",
        "expires",
        "last-modified",
        "x-request-id",
        "request-id",
        "x-correlation-id",
        "correlation-id",
        "traceparent",
        "tracestate",
        "x-trace-id",
        "x-amzn-requestid",
        "x-amzn-trace-id",
        "x-amz-request-id",
        "x-amz-id-2",
        "x-amz-cf-id",
        "x-amz-content-sha256",
        "x-amz-date",
        "x-ms-request-id",
        "x-github-request-id",
        "cf-ray",
        "content-md5",
        "content-digest",
        "digest",
        "content-security-policy",
        "link",
        "user-agent",
        "server",
        "via",
        "x-served-by",
        "x-cache",
        "x-timer",
        "x-runtime",
        "strict-transport-security",  # max-age=63072000
        "cache-control",
        "age",
        "keep-alive",
        *NOT_CREDENTIAL_HEADERS,
    }
)


@functools.lru_cache(maxsize=_NAMES)
def header_kind(name: str) -> str | None:
    """The kind of a header whose whole value is a credential (not ``Authorization``,
    which holds a scheme too, nor cookies), or ``None``."""
    low = name.strip().lower()
    if low in NOT_CREDENTIAL_HEADERS or low in AUTH_HEADERS or low in COOKIE_HEADERS:
        return None
    kind = TOKEN_HEADERS.get(low)
    if kind is not None:
        return kind
    if "csrf" in low or "xsrf" in low:
        return None
    dashed = low.replace("_", "-")
    for pattern, pattern_kind in TOKEN_HEADER_PATTERNS:
        if pattern.fullmatch(dashed):
            return pattern_kind
    return None


def split_scheme(value: str) -> tuple[str, str]:
    """(scheme, credentials) of ``Bearer abc`` / ``Token abc``; (``""``, value) without one."""
    scheme, sep, rest = value.strip().partition(" ")
    if sep and scheme.isalpha() and rest.strip():
        return scheme, rest.strip()
    return "", value.strip()


# --- cookies ------------------------------------------------------------------------------

#: Cookie names (lowercase) that are tracking, routing or CSRF cookies: never credentials.
TRACKING_COOKIES: Final = frozenset(
    {
        "__cfduid",
        "__cf_bm",
        "_cfuvid",
        "cf_clearance",
        "__cflb",
        "awsalb",
        "awsalbcors",
        "awsalbtg",
        "awsalbtgcors",
        "awselb",
        "awselbcors",
        "_ga",
        "_gid",
        "_gat",
        "_gcl_au",
        "_fbp",
        "_fbc",
        "nid",
        "1p_jar",
        "aec",
        "arraffinity",
        "arraffinitysamesite",
        "route",
        "serverid",
        "_hjid",
        "ajs_anonymous_id",
        "ajs_user_id",
        "optimizelyenduserid",
        "bcookie",
        "lidc",
        "__stripe_mid",
        "__stripe_sid",
        "_octo",
        "logged_in",
        "tz",
        "csrftoken",
        "csrf_token",
        "_csrf",
        "xsrf-token",
        "_xsrf",
        "__requestverificationtoken",
        "__host-csrf",
        # logged-out visitor ids and ad/personalisation cookies (reddit, twitter)
        "loid",
        "loidcreated",
        "edgebucket",
        "session_tracker",
        "ncbi_sid",  # NCBI's anonymous usage tracking (its logins use other cookies)
        "guest_id",
        "guest_id_ads",
        "guest_id_marketing",
        "personalization_id",
        # Google and YouTube preference, consent and visitor cookies
        "pref",
        "socs",
        "consent",
        "ysc",
        "visitor_info1_live",
        # Microsoft sign-in: a persistent first-party tracking cookie and routing
        "fpc",
        "x-ms-gateway-slice",
        "stsservicecookie",
        # more Google / YouTube / DoubleClick ad, experiment and preference cookies
        "gps",
        "geup",
        "visitor_privacy_metadata",
        "ide",
        "test_cookie",
        "__gads",
        "__gpi",
        "__eoi",
        # Microsoft / Bing and Clarity analytics
        "muid",
        "muidb",
        "_clck",
        "_clsk",
        "_uetsid",
        "_uetvid",
        "mscc",
        "srchd",
        "srchuid",
        "srchusr",
        # LinkedIn, HubSpot, Quantcast, Criteo, Pinterest, TikTok, Reddit, Snap ad cookies
        "bscookie",
        "li_gc",
        "li_sugr",
        "lms_ads",
        "lms_analytics",
        "usermatchhistory",
        "analyticssynchistory",
        "__hstc",
        "__hssc",
        "__hssrc",
        "hubspotutk",
        "__qca",
        "cto_bundle",
        "_pin_unauth",
        "_ttp",
        "_rdt_uuid",
        "_scid",
        # Adobe Analytics / Experience Cloud
        "s_cc",
        "s_sq",
        "s_vi",
        "s_fid",
        "demdex",
        "dextp",
        # consent banners
        "cookieconsent_status",
        "optanonconsent",
        "optanonalertboxclosed",
        "euconsent-v2",
        "eupubconsent-v2",
        "cookieconsent",
        # bot management and load balancers (Datadome, Google Cloud, Azure Front Door,
        # ingress-nginx, Apache, DigitalOcean)
        "datadome",
        "gclb",
        "aslbsa",
        "aslbsacors",
        "ingresscookie",
        "routeid",
        "do-lb",
        # Salesforce's and Xero's browser ids (not "device" words at large: a trusted-device
        # cookie of a 2FA login is a credential)
        "browserid",
        "device",
        # Flickr's bucket / experiment cookie, Stack Exchange's and Wikipedia's visitor ones
        "xb",
        "prov",
        "wmf-last-access",
        "wmf-last-access-global",
        "geoip",
        # MediaWiki's ChronologyProtector (which database replica position a client saw)
        # and its data-centre pin
        "cpposindex",
        "usedc",
    }
)
#: Cookie name prefixes (lowercase) of tracking and routing cookies.
TRACKING_COOKIE_PREFIXES: Final = (
    "_ga_",
    "_gat_",
    "__utm",
    "_hj",
    "amp_",
    "mp_",
    "bigipserver",
    "ts01",
    "incap_ses_",
    "visid_incap_",
    "nlbi_",
    "ak_bmsc",
    "bm_sv",
    "bm_sz",
    "_abck",
    "adrum",  # AppDynamics end-user monitoring
    "_gcl_",
    "_pk_",  # Matomo
    "_ym_",  # Yandex Metrica
    "_hp2_",  # Heap
    "ajs_",  # Segment
    "_vwo",
    "_vis_opt_",  # VWO
    "optimizely",
    "amcv_",
    "amcvs_",  # Adobe Experience Cloud ids
    "cookielawinfo-",
    "akavpau_",  # Akamai visitor prioritisation
    "nsc_",  # Citrix NetScaler persistence
    "flrb",  # Flickr's buckets (flrbp, flrbs, flrbgrp, ...)
)
#: ``Set-Cookie`` attributes (lowercase): never cookies, even in a ``Cookie`` header.
COOKIE_ATTRIBUTES: Final = frozenset(
    {"path", "domain", "expires", "max-age", "secure", "httponly", "samesite", "priority",
     "partitioned", "version", "comment"}
)  # fmt: skip
#: A cookie whose name (by :func:`field_key`) holds one of these words is a credential.
CREDENTIAL_COOKIE_WORDS: Final = (
    "session",
    "sess",
    "auth",
    "token",
    "jwt",
    "login",
    "remember",
    "credential",
    "identity",
    "secret",
    "apikey",
    "access",
)
_CREDENTIAL_COOKIE_NAMES: Final = frozenset({"sid", "ssid", "connectsid", "id", "user", "u"})


#: Words in a cookie's name (by :func:`field_key`) that say it tells visitors apart, not
#: users: ``dzr_uniq_id``, ``visitor_id``, ``_uuid``.
VISITOR_COOKIE_WORDS: Final = ("uniq", "visitor", "uuid", "tracking", "analytics")


#: A cookie named by a 32-digit hex hash whose value is one too: the OpenShift (HAProxy)
#: router's route affinity cookie, which only says which pod served the client.
_ROUTE_HASH_NAME: Final = re.compile(r"[0-9a-f]{32}")


def _tracking_cookie(low: str) -> bool:
    return (
        low in TRACKING_COOKIES
        or low.startswith(TRACKING_COOKIE_PREFIXES)
        or _ROUTE_HASH_NAME.fullmatch(low) is not None
        or "csrf" in low
        or "xsrf" in low
        or "antiforgery" in low  # ASP.NET Core's .AspNetCore.Antiforgery.<hash>
        or low == "__requestverificationtoken"  # ASP.NET MVC's anti-forgery cookie
        or low == "crumb"  # Squarespace's anti-forgery cookie
        or (
            any(word in field_key(low) for word in VISITOR_COOKIE_WORDS)
            and not any(word in field_key(low) for word in CREDENTIAL_COOKIE_WORDS)
            and not field_key(low).endswith(("sid", "key", "ticket", "sso"))
            and "sso" not in field_key(low)
        )
    )


#: Where a ``Set-Cookie`` value that joins several with ", " (as requests and others fold
#: repeated headers) starts its next cookie: a comma, then ``name=`` (an ``Expires`` date's
#: comma is followed by a day number and a space, never by ``name=``).
SET_COOKIE_FOLD: Final = re.compile(r",\s*(?=[^\s;,=]+=)")


def set_cookie_lines(value: str) -> list[str]:
    """The ``Set-Cookie`` values a folded ``Set-Cookie`` value holds (one, most often)."""
    return SET_COOKIE_FOLD.split(value) if "," in value else [value]


def cookie_pairs(header: str, value: str) -> Iterator[tuple[str, str]]:
    """(name, raw value) of each cookie of a ``Cookie`` header value, or of the cookie each
    ``Set-Cookie`` value sets (its attributes are no cookies; folded values are split)."""
    if header.lower() == "set-cookie":
        pieces = [line.split(";", 1)[0] for line in set_cookie_lines(value)]
    else:
        pieces = value.split(";")
    for piece in pieces:
        name, sep, raw = piece.partition("=")
        if sep:
            yield name, raw


def cookie_kind(name: str, value: str) -> str | None:
    """How ``name=value`` counts: ``"credential"`` (by its name, or by a random-looking
    value), ``"tracking"`` (tracking, routing, visitor-id or CSRF cookie), ``"masked"``
    (another tool's placeholder), ``"other"`` (a preference of four characters or more) or
    ``None`` (empty, our placeholder, shorter, or a ``Set-Cookie`` attribute)."""
    low = name.strip().lower()
    text = value.strip()
    hash_named = _ROUTE_HASH_NAME.fullmatch(low) is not None
    if hash_named and _ROUTE_HASH_NAME.fullmatch(text.lower()) is None:
        pass  # Joomla's session cookie is named by a hash too; its value is no hash
    elif _tracking_cookie(low):
        return "tracking"
    if low in COOKIE_ATTRIBUTES:  # a Set-Cookie line sent back whole as a Cookie header
        return None
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    if not text or is_own_placeholder(text):
        return None
    if is_masked(text):
        return "masked"
    key = field_key(low)
    if len(text) >= 4 and text.isalpha() and text.lower() in key:  # TNS_SESSIONID=SESSIONID
        return "masked"
    if (len(text) <= 3 and text.isdigit()) or text.lower() in _FLAG_WORDS:
        return None  # override_session=0, secure_login=1: a flag, whatever the name says
    if (
        key in _CREDENTIAL_COOKIE_NAMES
        or key.endswith("sid")
        or any(word in key for word in CREDENTIAL_COOKIE_WORDS)
    ):
        return "credential"
    if _ROUTE_SUFFIX.fullmatch(text):
        # jcontainerId=.jcontainer-public1: a balancer's route, as Tomcat's; not reported,
        # but scrub replaces it as any other cookie (a password may look so, pw=.hunter2)
        return "other"
    if (
        looks_random(text)
        and _TAGGED_UUID.fullmatch(text) is None  # _op_aixPageId=a2_<uuid>: an id, as a UUID
        and not _encoded_preferences(text)
    ):
        return "credential"
    return "other" if len(text) >= 4 else None  # csv=2, lang=en: nothing to hide


#: A load balancer's route as a whole cookie value: a dot, then a lowercase node name
#: (``.jcontainer-public1``, ``.node2``; Tomcat appends the same to a session id).
_ROUTE_SUFFIX: Final = re.compile(r"\.[a-z][a-z0-9_-]{0,39}")
#: A cookie value that is a flag, whatever the cookie's name.
_FLAG_WORDS: Final = frozenset(
    # and a deletion: Apache Shiro's rememberMe=deleteMe, PHP's "deleted" (Max-Age=0)
    {"true", "false", "yes", "no", "on", "off", "null", "none", "deleteme", "deleted"}
)


def _encoded_preferences(text: str) -> bool:
    """A percent-encoded JSON object or array of flags: every value a boolean, a number,
    ``null`` or a short word or number written as text, nothing else (Flickr's consent
    cookie ``ccc=%7B%22needsConsent%22%3Atrue…``): preferences, random-looking only by
    their escapes. A token, a URL, a password or JSON in a string keeps it a credential."""
    if text[:3].upper() not in ("%7B", "%5B"):
        return False
    from .jsondoc import json_scalars, load_json  # jsondoc reads this module

    document = load_json(unquote(text))
    return document is not None and all(
        is_key or not isinstance(value, str) or _FLAG_TEXT.fullmatch(value) is not None
        for _, is_key, value in json_scalars(document)
    )


#: What a preference cookie's JSON may hold as text: a short word, or a number.
_FLAG_TEXT: Final = re.compile(r"[A-Za-z_\- ]{0,16}|-?[0-9]{1,12}(?:\.[0-9]+)?")


# --- fields -------------------------------------------------------------------------------

#: Field names (by :func:`field_key`) that hold a credential -> kind, in forms, queries
#: and JSON alike.
SECRET_FIELDS: Final = {
    "password": "password",
    "passwd": "password",
    "passphrase": "password",
    "passcode": "password",
    # QNAP's login answer (<authSid>): a session, however short (8 characters)
    "authsid": "session",
    # TheTVDB's login: the account's own key, sent beside the username and the app's apikey
    "userkey": "api_key",
    "clientsecret": "client_secret",
    "secret": "secret",
    "token": "access_token",
    "accesstoken": "access_token",
    "refreshtoken": "refresh_token",
    "idtoken": "id_token",
    "apikey": "api_key",
    "privatekey": "secret",
    "privatetoken": "api_key",
    "devicecode": "code",
    "usercode": "code",
    "sessionid": "session",
    "sessionkey": "session",
    "xamzsecuritytoken": "session",
}
#: Field name endings (by :func:`field_key`) -> kind, tried longest first.
SECRET_FIELD_SUFFIXES: Final = (
    ("password", "password"),
    ("passwordconfirmation", "password"),
    ("passwordconfirm", "password"),
    ("passwd", "password"),
    ("passphrase", "password"),
    ("secretaccesskey", "secret"),
    ("secretkey", "secret"),
    # keys that sign or open an account (Azure storage/delegation keys, AWS/Tenable
    # access keys, HMAC signing keys); "key" alone is no credential (sortKey, primaryKey)
    ("accountkey", "secret"),
    ("accesskey", "secret"),
    ("signingkey", "secret"),
    ("sharedkey", "secret"),
    ("masterkey", "secret"),
    ("delegationkey", "secret"),
    ("encryptionkey", "secret"),
    ("storagekey", "secret"),
    ("privatekey", "secret"),
    ("secret", "secret"),
    ("apikey", "api_key"),
    ("apitoken", "api_key"),
    ("refreshtoken", "refresh_token"),
    ("idtoken", "id_token"),
    ("sessionid", "session"),
    ("sessioncookie", "session"),
    ("token", "access_token"),
)
#: Field names (by :func:`field_key`) that look like credentials and are not.
NOT_CREDENTIAL_FIELDS: Final = frozenset(
    {
        "csrftoken",
        "xsrftoken",
        "csrfmiddlewaretoken",
        "authenticitytoken",
        "requestverificationtoken",
        "pagetoken",
        "nextpagetoken",
        "prevpagetoken",
        "previouspagetoken",
        "continuationtoken",
        "nexttoken",
        "synctoken",
        "changetoken",  # Dataverse / SharePoint change tracking: a sync cursor
        "thoughtsignature",  # Gemini: the model's encrypted reasoning state, not a login
        "resumetoken",
        "paginationtoken",
        "pagingtoken",
        "cursortoken",
        "idempotencytoken",
        "clienttoken",
        "deltatoken",
        "skiptoken",
        "tokentype",
        "tokenendpoint",
        "tokenurl",
        "tokenuri",
        "secretname",
        "secretid",
        "secretarn",
        "passwordpolicy",
        # WebHDFS / Azure Data Lake: a file's write session and lease, not a login
        "filesessionid",
        "leaseid",
    }
)
#: Identifier fields (by :func:`field_key`) -> kind: a form's always, JSON's when known.
IDENTIFIER_FIELDS: Final = {
    "username": "username",
    "clientid": "client_key",
    "clientkey": "client_key",
}
#: Form fields (by :func:`field_key`) that make ``code`` an OAuth code.
OAUTH_CONTEXT: Final = frozenset(
    {"granttype", "redirecturi", "clientid", "state", "codeverifier", "responsetype"}
)
#: The fields of a form: :data:`SECRET_FIELDS`, :data:`IDENTIFIER_FIELDS` and ``code``
#: (kept for callers of the first catalogue; :func:`form_field_kind` is the rule).
FORM_FIELDS: Final = {**SECRET_FIELDS, **IDENTIFIER_FIELDS, "code": "code"}
#: The JSON keys of :data:`SECRET_FIELDS` (:func:`json_field_kind` is the rule).
JSON_FIELDS: Final = dict(SECRET_FIELDS)
#: JSON keys (by :func:`field_key`) replaced only when they hold a known value.
JSON_IDENTIFIERS: Final = dict(IDENTIFIER_FIELDS)

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
        "api_key",
        "secret",
        "session",
        "client_credentials",
        "user_credentials",
    }
)
#: Kinds that name an account rather than unlock it.
IDENTIFIER_KINDS: Final = frozenset({"username", "client_key"})

_NOT_SECRET_FIELD_SUFFIXES: Final = (
    "id",
    "ids",
    "uuid",
    "guid",
    "hash",
    "etag",
    "checksum",
    "digest",
    "sha",
    "sha1",
    "sha256",
    "sha512",
    "md5",
    "crc",
    "url",
    "uri",
    "href",
    "link",
    "path",
    "version",
    "date",
    "time",
    "timestamp",
    "at",
    "name",
    "type",
    "cursor",
    "nonce",
    "state",
)


@functools.lru_cache(maxsize=_NAMES)
def secret_field_kind(name: str) -> str | None:
    """The kind of a field named ``name`` (form, query or JSON) that holds a secret."""
    key = field_key(name)
    if not key or key in NOT_CREDENTIAL_FIELDS or "csrf" in key or "xsrf" in key:
        return None
    kind = SECRET_FIELDS.get(key)
    if kind is not None:
        return kind
    for suffix, suffix_kind in SECRET_FIELD_SUFFIXES:
        if key.endswith(suffix):
            return suffix_kind
    return None


@functools.lru_cache(maxsize=_NAMES)
def not_secret_field(name: str) -> bool:
    """Whether a field's name says its random-looking value is no secret (``*_id``,
    ``etag``, ``*Hash``, ``*Url`` ...): such values are not even suspicious."""
    key = field_key(name)
    return (
        key in NOT_CREDENTIAL_FIELDS
        or "csrf" in key
        or "xsrf" in key
        or key.endswith(_NOT_SECRET_FIELD_SUFFIXES)
    )


#: Query fields (by :func:`field_key`) that sign a URL: whoever holds the URL holds access
#: (pre-signed storage URLs). Only in query strings: a JSON "signature" is often text.
QUERY_SIGNATURES: Final = frozenset(
    {"signature", "sig", "xgoogsignature", "xamzsignature", "xmssignature"}
)


#: Short names of a password, a password only beside a user name in the same form or
#: query (QNAP's ``authLogin.cgi?user=…&pwd=…``): alone, ``pwd`` is often a directory.
SHORT_PASSWORD_FIELDS: Final = frozenset({"pwd", "pw"})
#: The user-name fields that make a short password name one.
USER_FIELDS: Final = frozenset({"user", "username", "login", "usr", "userid", "account"})


def form_field_kind(
    name: str, *, oauth: bool, query: bool = False, value: str | None = None
) -> str | None:
    """The kind of a form field, or ``None``; ``oauth``: the form carries an OAuth field;
    ``query``: the form is a query string (where ``key`` with a random-looking ``value``
    is an API key); ``client_id`` is none (public by design);
    :func:`value_field_kind` names more fields by their value."""
    key = field_key(name)
    if key == "code":
        return "code" if oauth else None
    if key == "key":
        return "api_key" if query and value is not None and looks_random(value) else None
    if query and key in QUERY_SIGNATURES:
        return "secret"
    if key == "clientid":
        # An OAuth client id is public by design (RFC 6749, 2.2: "not a secret"), in a
        # query (?client_id=GCM_ANDROID_DARK) or a form; replacing it changed what replay
        # matches on. A known one (BSS_CLIENT_KEY, the plugin's) is replaced as a known value.
        return None
    identifier = IDENTIFIER_FIELDS.get(key)
    kind = identifier or secret_field_kind(name)
    return kind or (value_field_kind(name, value) if value is not None else None)


def value_field_kind(name: str, value: str) -> str | None:
    """The kind of a field whose name alone does not make it a credential position but,
    holding a random-looking value, does: ``*sid`` (``ssid``, ``sessid``; not ``sid``
    alone, a resource id in many APIs) a session, ``*Signature`` (``UIDSignature``; a
    signature in text is prose) a secret, ``*CookieValue`` a cookie."""
    kind = value_field_name(name)
    if kind == "session" and _TWILIO_SID.fullmatch(value):
        return None  # Twilio's AC…/MG… ids: an account's name, in every URL it has
    return kind if kind is not None and looks_random(value) else None


_TWILIO_SID: Final = re.compile(r"[A-Z]{2}[0-9a-f]{32}")


@functools.lru_cache(maxsize=_NAMES)
def value_field_name(name: str) -> str | None:
    """The kind :func:`value_field_kind` gives ``name`` when its value looks random."""
    key = field_key(name)
    if key in NOT_CREDENTIAL_FIELDS:
        return None
    if key in SIGNATURE_WORDS:
        return "secret"
    if key == "sid" or not key.endswith(("sid", "signature", "cookievalue")):
        return None
    if key.endswith("sid"):
        # a word ending in "sid" (ssid, PHPSESSID), not an "Id" after a word ending in
        # "s": Salesforce's ApexClassId, a class_id
        words = [word.lower() for word in _WORDS.findall(name)]
        if words and words[-1].endswith("sid"):
            return "session"
        return "session" if words[-2:-1] in (["sess"], ["ses"], ["session"]) else None
    return "secret" if key.endswith("signature") else "cookie"


#: Fields (by :func:`field_key`) that are a signature, in English and in other languages
#: (STP's ``firma``): a credential when the value looks random (a replayable request
#: signature, a signed link's ``sig``).
SIGNATURE_WORDS: Final = frozenset({"sig", "firma", "assinatura", "signatur", "podpis"})


def json_field_kind(key: str) -> str | None:
    """The kind of a JSON key that is a credential position, or ``None``."""
    return secret_field_kind(key)


@functools.lru_cache(maxsize=_NAMES)
def json_identifier_kind(key: str) -> str | None:
    """The kind of a JSON key replaced only when it holds a known value, or ``None``."""
    return IDENTIFIER_FIELDS.get(field_key(key))


def json_credential_kind(path: Sequence[str | None]) -> str | None:
    """The kind of the JSON scalar at ``path`` (keys from the root, ``None`` for list items).

    A scalar is a credential under a credential key directly, as a list item under it, or
    under its ``value`` keys: ``{"password": x}``, ``{"token": {"value": x}}``,
    ``{"access_token": [x]}``.
    """
    if type(path) is tuple:
        return _path_kind(path)
    return _path_kind.__wrapped__(path)


@functools.lru_cache(maxsize=_NAMES)
def _path_kind(path: Sequence[str | None]) -> str | None:
    end = len(path)
    while end and (path[end - 1] is None or json_key_rule(path[end - 1] or "")[0]):
        end -= 1
    if not end:
        return None
    key = path[end - 1]
    if key is None:
        return None
    above = path[end - 2] if end >= 2 else None
    if above is not None and is_headers_key(above):
        return header_field_kind(key)
    return json_field_kind(key)


@functools.lru_cache(maxsize=_NAMES)
def is_headers_key(key: str) -> bool:
    """Whether a JSON key names an object of HTTP headers (``"headers": {...}``: an echo
    of a request, a log line, a HAR entry), whose keys are read as header names."""
    return field_key(key) == "headers"


@functools.lru_cache(maxsize=_NAMES)
def header_field_kind(name: str) -> str | None:
    """The kind of a key of an object of headers: a credential header's
    (``Authorization``, ``X-Api-Key`` …), else a credential field's."""
    if name.strip().lower() in AUTH_HEADERS:
        return "secret"
    return header_kind(name) or json_field_kind(name)


@functools.lru_cache(maxsize=_NAMES)
def json_key_rule(key: str) -> tuple[bool, str | None]:
    """(whether ``key`` is a ``value`` key, :func:`json_field_kind` of it): what
    :func:`json_credential_kind` reads of each key, for a walk that follows the kind down a
    document (a ``value`` key or a list item keeps the kind above it; any other key gives
    its own)."""
    return field_key(key) == "value", json_field_kind(key)
