"""The token flow only: :class:`Token`, freshness, :class:`PasswordGrant`, :class:`StaticToken`
and :class:`BssAuth`.

The tenant issues short-lived opaque bearer tokens through the OAuth 2.0 password grant and
documents no refresh token, so "refreshing" means running the password grant again. Whether
a token is fresh is a pure function of ``(token, now, leeway)``; the clock is injectable, so
nothing here needs real time to be tested.
"""

from __future__ import annotations

import base64
import functools
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol, runtime_checkable
from urllib.parse import urlencode, urlsplit

import requests
import requests.auth

from .config import BssConfig
from .exceptions import (
    BssAuthError,
    BssConnectionError,
    BssTimeoutError,
    BssTransportError,
    InvalidClientError,
    InvalidGrantError,
    TokenResponseError,
    UnsupportedGrantTypeError,
)

__all__ = [
    "FALLBACK_EXPIRES_IN",
    "BssAuth",
    "PasswordGrant",
    "StaticToken",
    "Token",
    "TokenSource",
    "is_fresh",
    "leeway_for",
]

logger = logging.getLogger("pytest_bss.auth")

_HIDDEN = "'***'"
_BASE_URL_HINT = "is BSS_BASE_URL right? it should be the base under which oauth/token lives"
_CLIENT_HINT = "check BSS_CLIENT_KEY and BSS_CLIENT_SECRET"
_USER_HINT = "check BSS_USERNAME and BSS_PASSWORD"
_OAUTH_HINT = (
    "check that OAuth 2.0 is enabled for the organisation "
    "(BSS > Setup > Administration > System Options > API Credentials)"
)
# Server text quoted in a message is capped so an HTML error page cannot flood a test report.
_MAX_SERVER_TEXT = 200
#: Seconds a token is taken to live when the token response has no ``expires_in``
#: (RFC 6749 makes it optional): the lifetime BSS issues (``"expires_in": 1799``, about
#: 30 minutes). Should a server's tokens die sooner, the API answers 401 and
#: :class:`BssAuth` renews the token and resends once.
FALLBACK_EXPIRES_IN: Final = 1799.0
# One auth-param of a WWW-Authenticate challenge (RFC 9110 section 11.2): name=token or
# name="quoted string".
_AUTH_PARAM = re.compile(r'([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')


@dataclass(frozen=True, repr=False)
class Token:
    """One bearer token as the token endpoint issued it.

    ``obtained_at`` is a reading of the clock that asked for it, taken before the request
    was sent, so the token is never believed to live longer than it does. ``repr()`` hides
    ``access_token`` and ``refresh_token``.
    """

    access_token: str
    token_type: str
    expires_in: float
    obtained_at: float
    refresh_token: str | None = None

    @property
    def expires_at(self) -> float:
        """The clock reading at which the server stops accepting the token."""
        return self.obtained_at + self.expires_in

    @classmethod
    def from_json(cls, data: object, *, obtained_at: float) -> Token:
        """Parse a decoded token response.

        Raises :class:`ValueError` whose message names the problem, never a value that
        could be a credential.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"the JSON is a {type(data).__name__}, not an object")
        access_token = data.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise ValueError("the JSON has no access_token")
        token_type = data.get("token_type")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            shown = _excerpt(token_type) if isinstance(token_type, str) else repr(token_type)
            raise ValueError(f"token_type is {shown}, expected 'bearer'")
        if data.get("expires_in") is None:
            expires_in: float | None = FALLBACK_EXPIRES_IN
            logger.debug("the token response has no expires_in; assuming %g s", expires_in)
        else:
            expires_in = _seconds(data.get("expires_in"))
        if expires_in is None:
            raise ValueError(
                f"expires_in is {_excerpt(repr(data.get('expires_in')))}, "
                "expected a positive number of seconds"
            )
        refresh_token = data.get("refresh_token")
        if not isinstance(refresh_token, str) or not refresh_token:
            refresh_token = None
        return cls(
            access_token=access_token,
            token_type=token_type,
            expires_in=expires_in,
            obtained_at=obtained_at,
            refresh_token=refresh_token,
        )

    def __repr__(self) -> str:
        refresh = "None" if self.refresh_token is None else _HIDDEN
        return (
            f"Token(access_token={_HIDDEN}, token_type={self.token_type!r}, "
            f"expires_in={self.expires_in!r}, obtained_at={self.obtained_at!r}, "
            f"refresh_token={refresh})"
        )

    __str__ = __repr__


def leeway_for(lifetime: float) -> float:
    """How long before expiry a token of ``lifetime`` seconds is renewed: 10 %, at most 60 s."""
    return min(60.0, 0.1 * lifetime)


def is_fresh(token: Token, now: float, leeway: float | None = None) -> bool:
    """Whether ``token`` may still be sent at clock reading ``now``.

    ``leeway`` (default :func:`leeway_for` the token's lifetime) keeps a margin for the
    request's travel time and for clock differences with the server.
    """
    if leeway is None:
        leeway = leeway_for(token.expires_in)
    return now < token.expires_at - leeway


@runtime_checkable
class TokenSource(Protocol):
    """Where :class:`BssAuth` gets its bearer tokens."""

    def get_token(self, *, stale: Token | None = None) -> Token:
        """A token to send now.

        ``stale`` is a token the server just refused: the source must not return it again
        unless it cannot do anything else (:class:`StaticToken`).
        """
        ...


class StaticToken:
    """Always the same token, never refreshed: for replaying recorded interactions."""

    def __init__(self, token: Token) -> None:
        self.token = token

    def get_token(self, *, stale: Token | None = None) -> Token:
        """The one token, whatever ``stale`` is."""
        return self.token

    def __repr__(self) -> str:
        return f"StaticToken({self.token!r})"


class PasswordGrant:
    """The OAuth 2.0 password grant against one tenant, cached and renewed ahead of expiry.

    Thread-safe: however many threads share it, each renewal makes one token request.
    ``on_token(token)`` is called with every new token before any thread can use it (it must
    not call back into this object). ``grant_count`` counts token requests made, failed ones
    included. A given ``session`` must not carry :class:`BssAuth` (it would ask this grant
    for a token to fetch a token); :meth:`close` leaves it open.
    """

    def __init__(
        self,
        config: BssConfig,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_token: Callable[[Token], None] | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.on_token = on_token
        self._owns_session = session is None
        self.session = requests.Session() if session is None else session
        self._token: Token | None = None
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._grant_count = 0

    @property
    def grant_count(self) -> int:
        """How many token requests this grant has made."""
        return self._grant_count

    @property
    def token(self) -> Token | None:
        """The cached token, fresh or not; ``None`` before the first grant."""
        return self._token

    def get_token(self, *, stale: Token | None = None) -> Token:
        """The cached token if it is fresh and not ``stale``, else a new one."""
        token = self._token
        if token is not None and self._usable(token, stale):
            return token
        with self._lock:
            # Another thread may have renewed while this one waited for the lock.
            token = self._token
            if token is not None and self._usable(token, stale):
                return token
            token = self._renew(token)
            if self.on_token is not None:
                self.on_token(token)
            self._token = token
            return token

    def fetch(self) -> Token:
        """Run the password grant: always exactly one token request."""
        return self._request_token("password")

    def refresh(self, token: Token) -> Token:
        """Run the ``refresh_token`` grant with ``token.refresh_token``: always exactly one
        token request.

        It takes the :class:`Token`, not the refresh token itself, so no frame on the way
        holds the secret in a string a traceback would print (its ``repr()`` hides it).
        """
        if token.refresh_token is None:
            raise ValueError("the token carries no refresh_token to redeem")
        return self._request_token("refresh_token", token)

    def close(self) -> None:
        """Close the HTTP session if this grant created it."""
        if self._owns_session:
            self.session.close()

    def __repr__(self) -> str:
        return f"PasswordGrant(base_url={self.config.base_url!r}, grant_count={self.grant_count})"

    def _usable(self, token: Token, stale: Token | None) -> bool:
        if stale is not None and token.access_token == stale.access_token:
            return False
        return is_fresh(token, self.clock())

    def _renew(self, previous: Token | None) -> Token:
        if previous is not None and previous.refresh_token is not None:
            try:
                return self.refresh(previous)
            except BssAuthError:
                # The tenant documents no refresh token; if one it issued is refused,
                # logging in again is always possible.
                logger.debug("refresh_token grant refused; falling back to the password grant")
        return self.fetch()

    def _request_token(self, grant_type: str, previous: Token | None = None) -> Token:
        # Credentials stay inside the expressions below (and on the config, the token and
        # the auth object, whose repr() hides them) and never become locals of this frame
        # or of the helpers it calls, so a traceback shown with --showlocals, --tb=long or
        # --full-trace cannot print them.
        url = self.config.token_url
        with self._count_lock:
            self._grant_count += 1
        obtained_at = self.clock()
        try:
            response = self.session.post(
                url,
                data=self._form(grant_type, previous),
                headers=_TOKEN_REQUEST_HEADERS,
                auth=_ClientCredentials(self.config),
                timeout=self.config.timeout,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise BssTimeoutError(
                f"The BSS tenant at {self.config.base_url} did not answer the token request "
                f"within {self.config.timeout:g} s: check that it is up, or raise BSS_TIMEOUT "
                f"({type(exc).__name__}: {exc})"
            ) from None
        except requests.ConnectionError as exc:
            raise BssConnectionError(
                f"Could not reach the BSS tenant at {self.config.base_url} for a token: "
                f"check BSS_BASE_URL and the network ({type(exc).__name__}: {exc})"
            ) from None
        except requests.RequestException as exc:
            # Also raised from None: the frames below hold the form and the Basic header.
            raise BssTransportError(
                f"The token request to the BSS tenant at {self.config.base_url} failed: "
                f"check BSS_BASE_URL and the network ({type(exc).__name__})"
            ) from None
        with response:
            logger.debug("POST %s -> %s", urlsplit(url).path, response.status_code)
            if response.status_code != 200:
                raise self._error(response, grant_type)
            try:
                data = response.json()
            except ValueError:
                raise TokenResponseError(
                    f"The BSS tenant at {self.config.base_url} answered the token request with "
                    f"{_content_type(response)} instead of a JSON token: {_BASE_URL_HINT}",
                    base_url=self.config.base_url,
                    status=response.status_code,
                ) from None
            try:
                return Token.from_json(data, obtained_at=obtained_at)
            except ValueError as exc:
                raise TokenResponseError(
                    f"The BSS tenant at {self.config.base_url} answered the token request with "
                    f"JSON that is not a usable token ({exc}): {_BASE_URL_HINT}",
                    base_url=self.config.base_url,
                    status=response.status_code,
                ) from None

    def _form(self, grant_type: str, previous: Token | None) -> str:
        # surrogateescape: a value read from an environment variable that was not valid
        # UTF-8 goes out as the bytes the user set.
        if previous is not None:
            return urlencode(
                {"grant_type": grant_type, "refresh_token": previous.refresh_token},
                errors="surrogateescape",
            )
        return urlencode(
            {
                "grant_type": grant_type,
                "username": self.config.username,
                "password": self.config.password,
            },
            errors="surrogateescape",
        )

    def _error(self, response: requests.Response, grant_type: str) -> BssAuthError:
        base = self.config.base_url
        status = response.status_code
        code, description = oauth_error(response)
        # The server's own text is quoted, but a credential it might echo is not.
        if code is not None:
            code = self.config.redact(code)
        if description is not None:
            description = self.config.redact(description)
        said = f": {description}" if description else ""
        if code == "invalid_client" or (code is None and _challenges_basic(response)):
            # RFC 6749 section 5.2: 400, or 401 with a WWW-Authenticate challenge.
            code = code or "invalid_client"
            return InvalidClientError(
                f"The BSS tenant at {base} refused the client credentials "
                f"({status} invalid_client{said}): {_CLIENT_HINT}",
                base_url=base,
                error=code,
                status=status,
            )
        if code == "invalid_grant":
            return InvalidGrantError(
                f"The BSS tenant at {base} refused the user's login "
                f"({status} invalid_grant{said}): {_USER_HINT}",
                description=description,
                base_url=base,
                error=code,
                status=status,
            )
        if code == "unsupported_grant_type":
            return UnsupportedGrantTypeError(
                f"The BSS tenant at {base} does not accept grant_type={grant_type} "
                f"({status} unsupported_grant_type{said}): {_OAUTH_HINT}",
                base_url=base,
                error=code,
                status=status,
            )
        if code is not None:
            hint = _CLIENT_HINT if status in (401, 403) else _OAUTH_HINT
            text = f"({status} {_excerpt(code)}{said}): {hint}"
        elif status == 404:
            text = f"(404 Not Found at POST {self.config.token_url}): {_BASE_URL_HINT}"
        elif 300 <= status < 400:
            location = response.headers.get("Location", "?")
            text = (
                f"({status} redirect to {_excerpt(location)}): set BSS_BASE_URL to the "
                "address it redirects to (https?)"
            )
        elif status in (401, 403):
            text = f"({status}): {_CLIENT_HINT}, and {_OAUTH_HINT}"
        elif status >= 500:
            text = f"({status}): the tenant failed; try again later or ask its administrator"
        else:
            text = f"(unexpected status {status}): {_BASE_URL_HINT}"
        return TokenResponseError(
            f"The BSS tenant at {base} did not issue a token {text}",
            base_url=base,
            error=code,
            status=status,
        )


class BssAuth(requests.auth.AuthBase):
    """Sends ``Authorization: Bearer <token>`` from a :class:`TokenSource`.

    On a 401 it asks the source for a token to replace the one that was refused and resends
    the request exactly once; a second 401 is returned as it is.
    """

    def __init__(self, source: TokenSource) -> None:
        self.source = source

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.source.get_token()
        r.headers["Authorization"] = _bearer(token)
        position = _body_position(r)
        # The token travels with this request's hook, not on self: threads share one BssAuth.
        hooks: list[Any] = r.hooks["response"]
        hooks.append(functools.partial(self._handle_401, token, position))
        return r

    def __repr__(self) -> str:
        return f"BssAuth({self.source!r})"

    def _handle_401(
        self, token: Token, position: int | None, r: requests.Response, **kwargs: Any
    ) -> requests.Response:
        if r.status_code != 401:
            return r
        path = urlsplit(r.request.url or "").path
        logger.debug("%s %s -> 401; renewing the token and resending once", r.request.method, path)
        new_token = self.source.get_token(stale=token)
        # Consume and release the refused response so the resend can reuse its connection.
        _ = r.content
        r.close()
        prep = r.request.copy()
        seek = getattr(prep.body, "seek", None)
        if position is not None and seek is not None:
            seek(position)
        prep.headers["Authorization"] = _bearer(new_token)
        # connection.send does not run response hooks, so the resend cannot trigger another.
        retried: requests.Response = r.connection.send(prep, **kwargs)
        retried.history.append(r)
        retried.request = prep
        logger.debug("%s %s -> %s (resent)", prep.method, path, retried.status_code)
        return retried


_TOKEN_REQUEST_HEADERS: Final = {
    "Content-Type": "application/x-www-form-urlencoded",
    "Accept": "application/json",
}


class _ClientCredentials(requests.auth.AuthBase):
    """``Authorization: Basic base64(client_key:client_secret)`` for the token request.

    Built here rather than by requests' ``auth=(key, secret)``, which raises on a value
    that is not Latin-1 with the secret in its frame. The pair is encoded as UTF-8 (RFC
    7617's only named charset, what ASP.NET/OWIN decodes and the tenant emulator expects;
    identical to requests' Latin-1 for the ASCII keys and secrets BSS issues). As an
    ``auth``, it also keeps a ``.netrc`` entry for the host from replacing the header.
    """

    def __init__(self, config: BssConfig) -> None:
        self.config = config

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = _basic(self.config)
        return r

    def __repr__(self) -> str:
        return f"_ClientCredentials(base_url={self.config.base_url!r})"


def _basic(config: BssConfig) -> str:
    return "Basic " + base64.b64encode(
        f"{config.client_key}:{config.client_secret}".encode("utf-8", "surrogateescape")
    ).decode("ascii")


def _bearer(token: Token) -> str:
    return f"Bearer {token.access_token}"


def _body_position(r: requests.PreparedRequest) -> int | None:
    tell = getattr(r.body, "tell", None)
    if tell is None:
        return None
    try:
        position = tell()
    except OSError:
        return None
    return position if isinstance(position, int) else None


def _seconds(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = float(value)
        except ValueError:
            return None
    else:
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def oauth_error(response: requests.Response) -> tuple[str | None, str | None]:
    """The OAuth ``error`` and ``error_description`` of an error response, each or both
    ``None``: from the JSON body (RFC 6749 section 5.2), else from the ``WWW-Authenticate``
    challenge (RFC 6750 section 3). Both are excerpts, not yet cleared of credentials."""
    code, description = _json_error(response)
    if code is None and description is None:
        code, description = _challenge_error(response.headers.get("WWW-Authenticate", ""))
    return (
        _excerpt(code) if code else None,
        _excerpt(description) if description else None,
    )


def _json_error(response: requests.Response) -> tuple[str | None, str | None]:
    try:
        data = response.json()
    except ValueError:
        return None, None
    if not isinstance(data, Mapping):
        return None, None
    code = data.get("error")
    description = data.get("error_description")
    return (
        code if isinstance(code, str) else None,
        description if isinstance(description, str) else None,
    )


def _challenge_error(header: str) -> tuple[str | None, str | None]:
    params: dict[str, str] = {}
    for name, quoted, bare in _AUTH_PARAM.findall(header):
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted else bare
        params.setdefault(name.lower(), value)
    return params.get("error"), params.get("error_description")


def _challenges_basic(response: requests.Response) -> bool:
    return response.status_code == 401 and bool(
        re.match(r"\s*basic\b", response.headers.get("WWW-Authenticate", ""), re.IGNORECASE)
    )


def _content_type(response: requests.Response) -> str:
    kind = response.headers.get("Content-Type", "").split(";")[0].strip()
    if not response.content:
        return "an empty body"
    return f"a {_excerpt(kind)} body" if kind else "a body without Content-Type"


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > _MAX_SERVER_TEXT:
        return text[: _MAX_SERVER_TEXT - 1] + "…"
    return text
