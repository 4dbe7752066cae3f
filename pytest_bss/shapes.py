"""Token shapes: credential formats found in any text, whatever field they are in.

GitHub, GitLab, Slack, Stripe, AWS, Google, npm, OpenAI, SendGrid, Okta ``SSWS``, Telegram
bot tokens, CAS tickets, JWTs, ``Bearer`` and ``Basic`` credentials, ``Authorization``
lines inside texts and PEM private keys (:data:`SHAPES`, :func:`find_shapes`). Part of the
one catalogue (:mod:`pytest_bss.catalogue`) that scrubbing and auditing both read.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from .catalogue import is_placeholder_value, looks_random, shannon_entropy

__all__ = ["SHAPES", "Shape", "basic_pair", "find_shapes", "mask_shapes", "placeholder_basic"]


@dataclass(frozen=True)
class Shape:
    """A token format found anywhere in a text.

    ``kind`` names the rule (the SARIF ``ruleId``), ``label`` is what a report says,
    ``secret_kind`` the kind the scrubber registers the value as; ``pattern``'s group
    ``value`` is the credential (or, with ``expand``, holds the credentials), and ``check``
    (when set) must accept each.
    """

    kind: str
    label: str
    secret_kind: str
    pattern: re.Pattern[str]
    check: Callable[[str], bool] | None = None
    #: When set, the values inside the matched ``value`` (the secret parameters of a line).
    expand: Callable[[str], Iterator[str]] | None = None


def _b64json(part: str) -> object:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _is_jwt(text: str) -> bool:
    header, payload = text.split(".")[:2]
    try:
        return isinstance(_b64json(header), dict) and isinstance(_b64json(payload), dict)
    except (ValueError, binascii.Error):
        return False


@functools.lru_cache(maxsize=16384)  # a page's words repeat, in each of its layers too
def basic_pair(text: str) -> str | None:
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


def _real_basic(text: str) -> bool:
    pair = basic_pair(text)
    return pair is not None and any(
        half and not is_placeholder_value(half) for half in pair.split(":", 1)
    )


def placeholder_basic(credentials: str) -> bool:
    """Whether Basic ``credentials`` encode a pair of placeholders (``user:passwd``,
    ``test:``): another tool's stand-in, like ``Bearer <TOKEN>``."""
    return basic_pair(credentials) is not None and not _real_basic(credentials)


def _real_bearer(token: str) -> bool:
    # Prose after "Bearer" ("Bearer authentication") is not a token; real ones carry digits.
    return len(token) >= 16 and (any(c.isdigit() for c in token) or len(token) >= 32)


def _token_like(token: str) -> bool:
    # "Authorization: application/json", "…: approved 2024-01-15T10:30:00Z": no token;
    # "SharedKey account01:42Zq…": judged after the account (its "01:42" is no time)
    return _not_example(token) and (looks_random(token) or looks_random(token.rpartition(":")[2]))


#: The parameters of an ``Authorization`` value that hold its secret, in a text.
_SECRET_PARAMETER: Final = re.compile(
    r"(?i)\b(?:token|oauth_token|signature|oauth_signature|response|key|apikey)"
    r"=(?:\\?\")?(?P<value>[^\"\\\r\n,\s]{8,})"
)


def _not_example(token: str) -> bool:
    return "EXAMPLE" not in token.upper()


def _random_enough(token: str) -> bool:
    return shannon_entropy(token) >= 3.0 and _not_example(token)


# A token may stand next to "-" or "_": pytest joins parametrize ids with "-"
# (test_api[ghp_…-200]), names join words with "_" (token_ghp_…, X-Token-ghp_…).
_B: Final = r"(?<![A-Za-z0-9])"  # the start of a token
_E: Final = r"(?![A-Za-z0-9])"  # its end

#: Every token shape, in the order reports list them.
SHAPES: Final = (
    Shape(
        "private_key",
        "private key",
        "secret",
        re.compile(
            # the body, then an END line; whitespace in one place only (no cubic retries)
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----\s*+"
            r"(?P<value>[A-Za-z0-9+/=\\][A-Za-z0-9+/=\\\s]{14,}[A-Za-z0-9+/=])"
            r"\s*-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----"
        ),
    ),
    Shape(
        "telegram_bot_token",
        "Telegram bot token",
        "access_token",
        re.compile(r"(?<=/bot)(?P<value>\d{6,12}:[A-Za-z0-9_\-]{30,40})(?![A-Za-z0-9_\-])"),
        _random_enough,
    ),
    Shape(
        # A resumable upload's session URI works like a token for that upload (Google's
        # documentation), whoever holds it.
        "gcs_upload_session",
        "Google Cloud Storage upload session",
        "session",
        # Google's name for it; S3's multipart id is "uploadId" (and needs a signature)
        re.compile(r"[?&]upload_id=(?P<value>[A-Za-z0-9_\-]{20,})"),
        _random_enough,
    ),
    Shape(
        "cas_ticket",
        "CAS service ticket",
        "access_token",
        re.compile(
            rf"{_B}(?P<value>(?:ST|PGT|TGT)-\d{{1,12}}-[A-Za-z0-9]{{12,}}(?:-[A-Za-z0-9.]+)?){_E}"
        ),
        _random_enough,
    ),
    Shape(
        "github_token",
        "GitHub token",
        "access_token",
        re.compile(rf"{_B}(?P<value>gh[pousr]_[A-Za-z0-9]{{36,251}}|github_pat_\w{{22,244}}){_E}"),
        _random_enough,
    ),
    Shape(
        "gitlab_token",
        "GitLab token",
        "access_token",
        re.compile(rf"{_B}(?P<value>gl(?:pat|dt|rt|ptt)-[A-Za-z0-9_\-]{{20,}}){_E}"),
        _random_enough,
    ),
    Shape(
        "slack_token",
        "Slack token",
        "access_token",
        re.compile(rf"{_B}(?P<value>xox[abposr]-[A-Za-z0-9\-]{{10,}}){_E}"),
        lambda v: len(v) >= 16 and any(c.isdigit() for c in v) and _random_enough(v[5:]),
    ),
    Shape(
        "stripe_key",
        "Stripe secret key",
        "api_key",
        re.compile(rf"{_B}(?P<value>(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{{16,}}){_E}"),
        lambda v: _random_enough(v[8:]),
    ),
    Shape(
        "aws_access_key_id",
        "AWS access key id",
        "api_key",
        re.compile(r"(?<![A-Z0-9])(?P<value>(?:AKIA|ASIA)[A-Z0-9]{16})(?![A-Z0-9])"),
        _not_example,
    ),
    Shape(
        "aws_secret_access_key",
        "AWS secret access key",
        "secret",
        re.compile(
            r"(?i:aws_?secret_?access_?key|secret_?access_?key)[\"'\\]*\s*[:=>]+\s*[\"'\\]*"
            r"(?P<value>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
        ),
        _random_enough,
    ),
    Shape(
        "google_api_key",
        "Google API key",
        "api_key",
        re.compile(rf"{_B}(?P<value>AIza[0-9A-Za-z_\-]{{35}}){_E}"),
        _not_example,
    ),
    Shape(
        "npm_token",
        "npm token",
        "access_token",
        re.compile(rf"{_B}(?P<value>npm_[A-Za-z0-9]{{36}}){_E}"),
        _random_enough,
    ),
    Shape(
        "openai_key",
        "OpenAI API key",
        "api_key",
        re.compile(rf"{_B}(?P<value>sk-(?:proj-|svcacct-)?[A-Za-z0-9_\-]{{32,}}){_E}"),
        _random_enough,
    ),
    Shape(
        "sendgrid_key",
        "SendGrid API key",
        "api_key",
        re.compile(rf"{_B}(?P<value>SG\.[A-Za-z0-9_\-]{{22}}\.[A-Za-z0-9_\-]{{43}}){_E}"),
    ),
    Shape(
        "okta_token",
        "Okta SSWS token",
        "api_key",
        re.compile(r"\bSSWS\s+(?P<value>[A-Za-z0-9_\-]{20,})"),
        _random_enough,
    ),
    Shape(
        "jwt",
        "JWT",
        "access_token",
        re.compile(r"\b(?P<value>eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*)"),
        _is_jwt,
    ),
    Shape(
        "bearer_token",
        "Bearer token",
        "access_token",
        re.compile(r"(?i)\bbearer\s+(?P<value>[A-Za-z0-9\-._~+/]+=*)"),
        _real_bearer,
    ),
    Shape(
        "basic_credentials",
        "Basic credentials",
        "secret",
        re.compile(r"(?i)\bbasic\s+(?P<value>[A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=])"),
        _real_basic,
    ),
    Shape(
        # An HTTP request written out in a text: a batch body's sub-requests, a logged
        # request, a curl command (-H 'Authorization: SharedKey account:c2ln…'); Bearer and
        # Basic values are their own shapes.
        "authorization_line",
        "Authorization value in a text",
        "secret",
        re.compile(
            r"(?i)(?:^|(?<=[\s'\"]))(?:proxy-)?authorization:[ \t]*"
            r"(?!(?:bearer|basic)\b)(?:[A-Za-z][\w-]*[ \t]+)?"
            r"(?P<value>[A-Za-z0-9+/=._~:\-]{16,})"
        ),
        _token_like,
    ),
    Shape(
        # The same, with parameters: Token token="…", OAuth oauth_token="…",
        # oauth_signature="…", Digest response="…", Signature signature="…"
        "authorization_parameter",
        "Authorization parameter in a text",
        "secret",
        re.compile(
            r"(?i)(?:^|(?<=[\s'\"]))(?:proxy-)?authorization:[ \t]*[A-Za-z][\w-]*[ \t]+"
            r"(?P<value>[^\r\n]*)"
        ),
        _random_enough,
        lambda line: (match["value"] for match in _SECRET_PARAMETER.finditer(line)),
    ),
)

#: Per shape, the words one of which its match holds (the lowercase ones looked for in
#: the lowercased text): in a large text, a shape whose words are absent is not searched
#: (each search tries every position; a base64 image holds some hint of some shape).
_SHAPE_WORDS: Final = {
    "private_key": (("PRIVATE KEY",), ()),
    "telegram_bot_token": (("/bot",), ()),
    "gcs_upload_session": (("upload_id=",), ()),
    "cas_ticket": (("ST-", "PGT-", "TGT-"), ()),
    "github_token": ((*(f"gh{c}_" for c in "pousr"), "github_pat_"), ()),
    "gitlab_token": (tuple(f"gl{prefix}-" for prefix in ("pat", "dt", "rt", "ptt")), ()),
    "slack_token": (tuple(f"xox{c}-" for c in "abposr"), ()),
    "stripe_key": (("_live_", "_test_"), ()),
    "aws_access_key_id": (("AKIA", "ASIA"), ()),
    "aws_secret_access_key": ((), ("secretaccesskey", "secret_accesskey", "secretaccess_key",
                                   "secret_access_key")),
    "google_api_key": (("AIza",), ()),
    "npm_token": (("npm_",), ()),
    "openai_key": (("sk-",), ()),
    "sendgrid_key": (("SG.",), ()),
    "okta_token": (("SSWS",), ()),
    "jwt": (("eyJ",), ()),
    "bearer_token": ((), ("bearer",)),
    "basic_credentials": ((), ("basic",)),
    "authorization_line": ((), ("authorization:",)),
    "authorization_parameter": ((), ("authorization:",)),
}  # fmt: skip


#: Any shape's words, for a short text (one search instead of a loop over the shapes).
_HINTS: Final = re.compile(
    "|".join(
        [re.escape(word) for words, _ in _SHAPE_WORDS.values() for word in words]
        + [f"(?i:{re.escape(word)})" for _, lower in _SHAPE_WORDS.values() for word in lower]
    )
)


@functools.lru_cache(maxsize=2)  # a large text is lowered once for _searched and _matches
def _lowered(text: str) -> str:
    """``text`` lowercased so that ``word in`` it whenever a case-blind pattern finds
    ``word`` in ``text``: the three characters outside ASCII that ``re`` matches to an ASCII
    letter but ``str.lower`` leaves elsewhere (found by trying every code point) folded."""
    low = text.lower()
    if text.isascii():
        return low
    return low.replace("\u0131", "i").replace("\u017f", "s").replace("i\u0307", "i")


def _searched(text: str) -> list[Shape]:
    """The shapes worth searching ``text`` for: all in a short text, else those whose
    words it holds."""
    if len(text) < 512:  # short: one search for any shape's words
        return list(SHAPES) if _HINTS.search(text) is not None else []
    low: str | None = None
    out = []
    for shape in SHAPES:
        words, lower = _SHAPE_WORDS.get(shape.kind, ((), ()))
        if not words and not lower:
            out.append(shape)  # a shape without words: always searched
            continue
        if any(word in text for word in words):
            out.append(shape)
            continue
        if lower:
            low = _lowered(text) if low is None else low
            if any(word in low for word in lower):
                out.append(shape)
    return out


#: The shapes whose every match starts with one of their words (:data:`_SHAPE_WORDS`): in
#: a large text they are tried where a word stands, not at every position (a pattern that
#: starts with a look-behind gets no literal-prefix search from ``re``: 3 MB of HTML took
#: a tenth of a second per shape).
_STARTS_WITH_WORD: Final = frozenset(
    {"cas_ticket", "github_token", "gitlab_token", "slack_token", "aws_access_key_id",
     "google_api_key", "npm_token", "openai_key", "sendgrid_key", "okta_token", "jwt",
     "bearer_token", "basic_credentials"}
)  # fmt: skip


def _matches(shape: Shape, text: str) -> Iterator[re.Match[str]]:
    """``shape.pattern.finditer(text)``, the same matches in the same order."""
    if len(text) < 512 or shape.kind not in _STARTS_WITH_WORD:
        return shape.pattern.finditer(text)
    words, lower = _SHAPE_WORDS[shape.kind]
    if lower and not text.isascii():  # where lowercasing may move a word
        return shape.pattern.finditer(text)
    haystack = _lowered(text) if lower else text  # ASCII here: the same positions
    starts = sorted({at for word in (lower or words) for at in _occurrences(haystack, word)})
    return _anchored(shape.pattern, text, starts)


def _occurrences(text: str, word: str) -> Iterator[int]:
    at = text.find(word)
    while at >= 0:
        yield at
        at = text.find(word, at + 1)


def _anchored(pattern: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    # finditer's matches when every match starts at one of ``starts``: the first match at
    # or after each, none overlapping (a look-behind still sees before the start)
    end = 0
    for start in starts:
        if start < end:
            continue
        match = pattern.match(text, start)
        if match is not None:
            yield match
            end = match.end()


def find_shapes(text: str) -> Iterator[tuple[Shape, str]]:
    """(shape, value) of every credential of a known shape in ``text`` that is not a
    placeholder (:func:`is_placeholder_value`)."""
    for shape in _searched(text):  # none in the common case
        for match in _matches(shape, text):
            values = shape.expand(match["value"]) if shape.expand else (match["value"],)
            for value in values:
                if is_placeholder_value(value):
                    continue
                if shape.check is None or shape.check(value):
                    yield shape, value


def mask_shapes(text: str) -> str:
    """``text`` with each token of a known shape in it written ``<kind>``: what a report
    shows of a file name (pytest-recording names cassettes after test ids)."""
    for shape, value in list(find_shapes(text)):
        text = text.replace(value, f"<{shape.kind}>")
    return text
