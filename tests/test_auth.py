"""Tests of pytest_bss.auth: the token flow, its errors and the retry-once on 401."""

from __future__ import annotations

import base64
import io
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, parse_qsl

import pytest
import requests
import responses

from pytest_bss.auth import (
    FALLBACK_EXPIRES_IN,
    BssAuth,
    PasswordGrant,
    StaticToken,
    Token,
    TokenSource,
    is_fresh,
    leeway_for,
)
from pytest_bss.config import BssConfig
from pytest_bss.exceptions import (
    BssAuthError,
    BssConnectionError,
    BssTimeoutError,
    BssTransportError,
    InvalidClientError,
    InvalidGrantError,
    TokenResponseError,
    UnsupportedGrantTypeError,
)
from pytest_bss.fake import TenantEmulator

# Distinctive synthetic credentials: any of them turning up in a message or log is a leak.
CLIENT_KEY = "KEY-7f3c9e1a-quokka"
CLIENT_SECRET = "SECRET/+b64ish=Zq9wombat=="
USERNAME = "user-numbat-314"
PASSWORD = "pw p+a/s=s!%&@ü€-echidna"
BASE_URL = "https://bss.example.test/bsssmapi/"
TOKEN_URL = BASE_URL + "oauth/token"
API_URL = BASE_URL + "api/accounts/1"
ACCESS_TOKEN_PREFIX = "ACCESS-TOKEN-platypus-"
LEAKABLE = (CLIENT_KEY, CLIENT_SECRET, USERNAME, PASSWORD, ACCESS_TOKEN_PREFIX)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class TokenServer:
    """A responses callback for oauth/token that issues numbered tokens."""

    def __init__(self, expires_in: float = 1799, **extra: Any) -> None:
        self.expires_in = expires_in
        self.extra = extra
        self.issued = 0

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.issued += 1
        body = {
            "access_token": f"{ACCESS_TOKEN_PREFIX}{self.issued}",
            "token_type": "bearer",
            "expires_in": self.expires_in,
            **self.extra,
        }
        return 200, {"Cache-Control": "no-cache"}, json.dumps(body)


@pytest.fixture
def config() -> BssConfig:
    return BssConfig(
        base_url=BASE_URL,
        client_key=CLIENT_KEY,
        client_secret=CLIENT_SECRET,
        username=USERNAME,
        password=PASSWORD,
        timeout=7.5,
    )


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def grant(config: BssConfig, clock: FakeClock) -> Iterator[PasswordGrant]:
    grant = PasswordGrant(config, clock=clock)
    try:
        yield grant
    finally:
        grant.close()


@pytest.fixture
def token_server(mocked: responses.RequestsMock) -> TokenServer:
    server = TokenServer()
    mocked.add_callback(responses.POST, TOKEN_URL, callback=server)
    return server


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def make_token(access_token: str = "tok", *, expires_in: float = 100.0, at: float = 0.0) -> Token:
    return Token(access_token, "bearer", expires_in, at)


def api_calls(mocked: responses.RequestsMock) -> list[Any]:
    return [call for call in mocked.calls if call.request.url == API_URL]


# --- Token, leeway_for, is_fresh -----------------------------------------------------------


def test_token_repr_hides_the_access_and_refresh_tokens() -> None:
    token = Token("ACCESS-secret-value", "bearer", 1799, 5.0, refresh_token="REFRESH-secret")

    shown = repr(token) + str(token)

    assert "ACCESS-secret-value" not in shown
    assert "REFRESH-secret" not in shown
    assert "expires_in=1799" in shown


def test_token_expires_at_is_obtained_at_plus_expires_in() -> None:
    assert make_token(expires_in=1799, at=100.0).expires_at == 1899.0


def test_token_from_json_reads_a_token_response() -> None:
    data = {"access_token": "abc", "token_type": "bearer", "expires_in": 1799}

    token = Token.from_json(data, obtained_at=42.0)

    assert token == Token("abc", "bearer", 1799.0, 42.0, None)


def test_token_from_json_keeps_a_refresh_token_when_the_server_sends_one() -> None:
    data = {"access_token": "a", "token_type": "Bearer", "expires_in": 60, "refresh_token": "r"}

    assert Token.from_json(data, obtained_at=0).refresh_token == "r"


@pytest.mark.parametrize(
    ("lifetime", "leeway"),
    [(1799, 60.0), (600, 60.0), (100, 10.0), (1, 0.1), (0, 0.0)],
)
def test_leeway_is_a_tenth_of_the_lifetime_capped_at_a_minute(
    lifetime: float, leeway: float
) -> None:
    assert leeway_for(lifetime) == pytest.approx(leeway)


@pytest.mark.parametrize(
    ("now", "fresh"),
    [(0.0, True), (1738.9, True), (1739.0, False), (1799.0, False), (5000.0, False)],
)
def test_is_fresh_until_the_leeway_before_expiry(now: float, fresh: bool) -> None:
    assert is_fresh(make_token(expires_in=1799, at=0.0), now) is fresh


@pytest.mark.parametrize(("now", "fresh"), [(94.9, True), (95.0, False)])
def test_is_fresh_honours_an_explicit_leeway(now: float, fresh: bool) -> None:
    assert is_fresh(make_token(expires_in=100, at=0.0), now, leeway=5.0) is fresh


# --- the token request ----------------------------------------------------------------------


def test_the_token_request_has_the_documented_shape(
    grant: PasswordGrant, token_server: TokenServer, mocked: responses.RequestsMock
) -> None:
    grant.fetch()

    (call,) = mocked.calls
    request = call.request
    expected_basic = base64.b64encode(f"{CLIENT_KEY}:{CLIENT_SECRET}".encode()).decode()
    assert request.method == "POST"
    assert request.url == TOKEN_URL
    assert request.headers["Authorization"] == f"Basic {expected_basic}"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["Accept"] == "application/json"
    assert parse_qsl(request.body, strict_parsing=True) == [
        ("grant_type", "password"),
        ("username", USERNAME),
        ("password", PASSWORD),
    ]
    assert request.req_kwargs["timeout"] == 7.5


def test_the_client_key_and_secret_never_go_in_the_form(
    grant: PasswordGrant, token_server: TokenServer, mocked: responses.RequestsMock
) -> None:
    grant.fetch()

    body = mocked.calls[0].request.body
    fields = parse_qs(body)
    assert not {"client_id", "client_secret"} & fields.keys()
    assert CLIENT_KEY not in body
    assert CLIENT_SECRET not in body


@pytest.mark.parametrize(
    "password",
    ["a+b", "a/b=c", "100%", "x&password=y", "!@#", "pässwörd€", "with space", "=+/" * 10],
)
def test_passwords_with_special_characters_are_form_encoded(
    config: BssConfig,
    mocked: responses.RequestsMock,
    token_server: TokenServer,
    password: str,
) -> None:
    tricky = BssConfig(
        base_url=BASE_URL,
        client_key=CLIENT_KEY,
        client_secret=CLIENT_SECRET,
        username=USERNAME,
        password=password,
    )
    grant = PasswordGrant(tricky)
    try:
        grant.fetch()
    finally:
        grant.close()

    assert parse_qs(mocked.calls[0].request.body)["password"] == [password]


def test_a_token_is_parsed_from_the_response_and_timestamped_before_the_request(
    grant: PasswordGrant, token_server: TokenServer, clock: FakeClock
) -> None:
    token = grant.fetch()

    assert token.access_token == f"{ACCESS_TOKEN_PREFIX}1"
    assert token.expires_in == 1799.0
    assert token.obtained_at == clock.now


def test_fetch_makes_a_request_every_time(grant: PasswordGrant, token_server: TokenServer) -> None:
    grant.fetch()
    grant.fetch()

    assert grant.grant_count == 2


# --- caching, refreshing, concurrency --------------------------------------------------------


def test_it_reuses_one_token_across_calls(grant: PasswordGrant, token_server: TokenServer) -> None:
    first = grant.get_token()
    second = grant.get_token()

    assert second is first
    assert grant.grant_count == 1


def test_it_keeps_the_token_until_the_leeway_before_expiry(
    grant: PasswordGrant, token_server: TokenServer, clock: FakeClock
) -> None:
    first = grant.get_token()
    clock.advance(1799 - 60 - 0.001)

    assert grant.get_token() is first


def test_it_refreshes_proactively_near_expiry(
    grant: PasswordGrant, token_server: TokenServer, clock: FakeClock
) -> None:
    first = grant.get_token()
    clock.advance(1799 - 60)

    second = grant.get_token()

    assert second.access_token != first.access_token
    assert grant.grant_count == 2


def test_a_stale_token_forces_a_refresh(grant: PasswordGrant, token_server: TokenServer) -> None:
    first = grant.get_token()

    second = grant.get_token(stale=first)

    assert second.access_token != first.access_token
    assert grant.grant_count == 2


def test_a_stale_token_already_replaced_returns_the_newer_one_without_a_request(
    grant: PasswordGrant, token_server: TokenServer
) -> None:
    first = grant.get_token()
    newer = grant.get_token(stale=first)

    assert grant.get_token(stale=first) is newer
    assert grant.grant_count == 2


def test_on_token_is_called_for_every_new_token(
    config: BssConfig, clock: FakeClock, token_server: TokenServer
) -> None:
    seen: list[Token] = []
    grant = PasswordGrant(config, clock=clock, on_token=seen.append)
    try:
        first = grant.get_token()
        grant.get_token()
        second = grant.get_token(stale=first)
    finally:
        grant.close()

    assert seen == [first, second]


def test_it_sends_through_the_session_it_is_given(
    config: BssConfig,
    token_server: TokenServer,
    mocked: responses.RequestsMock,
    session: requests.Session,
) -> None:
    session.headers["X-Marker"] = "given"
    grant = PasswordGrant(config, session=session)

    grant.fetch()

    assert mocked.calls[0].request.headers["X-Marker"] == "given"


def test_fetch_can_be_overridden_and_get_token_uses_it(config: BssConfig) -> None:
    class Canned(PasswordGrant):
        def fetch(self) -> Token:
            return make_token("canned", at=self.clock())

    grant = Canned(config, clock=FakeClock(0.0))
    try:
        assert grant.get_token().access_token == "canned"
    finally:
        grant.close()


class CountingLock:
    """A lock that lets a test wait until a number of threads are queuing for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrived = threading.Condition()
        self.arrivals = 0

    def __enter__(self) -> None:
        with self._arrived:
            self.arrivals += 1
            self._arrived.notify_all()
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def wait_for(self, arrivals: int) -> bool:
        with self._arrived:
            return self._arrived.wait_for(lambda: self.arrivals >= arrivals, timeout=10)


def test_threads_racing_for_the_first_token_make_one_request(
    grant: PasswordGrant, mocked: responses.RequestsMock
) -> None:
    threads = 16
    lock = CountingLock()
    grant._lock = lock  # type: ignore[assignment]
    server = TokenServer()

    def issue_when_everyone_waits(request: requests.PreparedRequest) -> Any:
        # Answer only once every thread has queued behind the one fetching.
        assert lock.wait_for(threads)
        return server(request)

    mocked.add_callback(responses.POST, TOKEN_URL, callback=issue_when_everyone_waits)
    results: list[Token] = []
    workers = [
        threading.Thread(target=lambda: results.append(grant.get_token())) for _ in range(16)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=10)

    assert len(results) == threads
    assert len({token.access_token for token in results}) == 1
    assert grant.grant_count == 1


# --- refresh_token, should a server ever send one --------------------------------------------


def test_it_tries_the_refresh_token_grant_first_when_the_server_issued_one(
    grant: PasswordGrant, mocked: responses.RequestsMock
) -> None:
    mocked.add_callback(responses.POST, TOKEN_URL, callback=TokenServer(refresh_token="RT-1"))
    first = grant.get_token()

    grant.get_token(stale=first)

    assert parse_qs(mocked.calls[1].request.body) == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["RT-1"],
    }


def test_it_falls_back_to_the_password_grant_when_the_refresh_token_is_refused(
    grant: PasswordGrant, mocked: responses.RequestsMock
) -> None:
    issue = TokenServer(refresh_token="RT-1")

    def refuse_refresh(request: requests.PreparedRequest) -> Any:
        if "grant_type=refresh_token" in str(request.body):
            return 400, {}, json.dumps({"error": "invalid_grant"})
        return issue(request)

    mocked.add_callback(responses.POST, TOKEN_URL, callback=refuse_refresh)
    first = grant.get_token()

    second = grant.get_token(stale=first)

    assert second.access_token == f"{ACCESS_TOKEN_PREFIX}2"
    assert parse_qs(mocked.calls[2].request.body)["grant_type"] == ["password"]
    assert grant.grant_count == 3


# --- errors ----------------------------------------------------------------------------------

HTML = "<!DOCTYPE html><html><head><title>Login</title></head><body>Sign in</body></html>"


def token_body(**fields: Any) -> str:
    body = {"access_token": ACCESS_TOKEN_PREFIX + "x", "token_type": "bearer", "expires_in": 1799}
    body.update(fields)
    return json.dumps({k: v for k, v in body.items() if v is not ...})


ERROR_CASES = [
    pytest.param(
        400,
        json.dumps({"error": "invalid_client"}),
        "application/json",
        InvalidClientError,
        ["invalid_client", "check BSS_CLIENT_KEY and BSS_CLIENT_SECRET"],
        id="invalid_client",
    ),
    pytest.param(
        400,
        json.dumps({"error": "invalid_grant", "error_description": "The user name is incorrect."}),
        "application/json",
        InvalidGrantError,
        ["invalid_grant", "The user name is incorrect.", "check BSS_USERNAME and BSS_PASSWORD"],
        id="invalid_grant",
    ),
    pytest.param(
        400,
        json.dumps({"error": "unsupported_grant_type"}),
        "application/json",
        UnsupportedGrantTypeError,
        ["unsupported_grant_type", "grant_type=password", "OAuth 2.0 is enabled"],
        id="unsupported_grant_type",
    ),
    pytest.param(
        400,
        json.dumps({"error": "invalid_request"}),
        "application/json",
        TokenResponseError,
        ["400 invalid_request"],
        id="other-oauth-error",
    ),
    pytest.param(
        200,
        HTML,
        "text/html",
        TokenResponseError,
        ["text/html", "is BSS_BASE_URL right?"],
        id="html",
    ),
    pytest.param(200, "", "application/json", TokenResponseError, ["empty body"], id="empty-body"),
    pytest.param(
        200,
        json.dumps({"token_type": "bearer", "expires_in": 1799}),
        "application/json",
        TokenResponseError,
        ["no access_token", "is BSS_BASE_URL right?"],
        id="no-access-token",
    ),
    pytest.param(
        200, json.dumps([1, 2]), "application/json", TokenResponseError, ["list"], id="json-list"
    ),
    pytest.param(
        200,
        token_body(token_type="mac"),
        "application/json",
        TokenResponseError,
        ["token_type is mac, expected 'bearer'"],
        id="wrong-token-type",
    ),
    *(
        pytest.param(
            200,
            token_body(expires_in=bad),
            "application/json",
            TokenResponseError,
            ["expires_in", "positive number of seconds"],
            id=f"expires_in={bad!r}",
        )
        for bad in (-5, 0, "soon", True, [1799])
    ),
    pytest.param(
        500,
        json.dumps({"message": "An error has occurred."}),
        "application/json",
        TokenResponseError,
        ["500", "try again later"],
        id="500",
    ),
    pytest.param(
        404,
        HTML,
        "text/html",
        TokenResponseError,
        [
            "404",
            "is BSS_BASE_URL right? it should be the base under which oauth/token lives",
        ],
        id="404",
    ),
    pytest.param(
        401, "", "text/plain", TokenResponseError, ["401", "BSS_CLIENT_KEY"], id="401-bare"
    ),
]


@pytest.mark.parametrize(("status", "body", "content_type", "error", "fragments"), ERROR_CASES)
def test_a_refused_or_unusable_token_response_raises_an_error_that_names_the_fix(
    grant: PasswordGrant,
    mocked: responses.RequestsMock,
    status: int,
    body: str,
    content_type: str,
    error: type[BssAuthError],
    fragments: list[str],
) -> None:
    mocked.add(responses.POST, TOKEN_URL, status=status, body=body, content_type=content_type)

    with pytest.raises(error) as caught:
        grant.get_token()

    message = str(caught.value)
    assert BASE_URL in message
    for fragment in fragments:
        assert fragment in message
    assert caught.value.base_url == BASE_URL
    assert caught.value.status == status


def test_invalid_grant_carries_the_servers_description(
    grant: PasswordGrant, mocked: responses.RequestsMock
) -> None:
    body = {"error": "invalid_grant", "error_description": "The user name is incorrect."}
    mocked.add(responses.POST, TOKEN_URL, status=400, json=body)

    with pytest.raises(InvalidGrantError) as caught:
        grant.fetch()

    assert caught.value.error == "invalid_grant"
    assert caught.value.description == "The user name is incorrect."


@pytest.mark.parametrize("expires_in", [..., None], ids=["absent", "null"])
def test_a_token_without_expires_in_lives_the_fallback_lifetime(
    grant: PasswordGrant, mocked: responses.RequestsMock, clock: FakeClock, expires_in: Any
) -> None:
    mocked.add(responses.POST, TOKEN_URL, body=token_body(expires_in=expires_in))

    token = grant.get_token()

    assert token.expires_in == FALLBACK_EXPIRES_IN == 1799.0
    clock.advance(FALLBACK_EXPIRES_IN - leeway_for(FALLBACK_EXPIRES_IN) - 1)
    assert grant.get_token() is token


@pytest.mark.parametrize("status", [400, 401])
def test_invalid_client_is_mapped_from_400_and_401(
    grant: PasswordGrant, mocked: responses.RequestsMock, status: int
) -> None:
    body = {"error": "invalid_client", "error_description": "Client authentication failed."}
    mocked.add(
        responses.POST,
        TOKEN_URL,
        status=status,
        json=body,
        headers={"WWW-Authenticate": 'Basic realm="bss"'},
    )

    with pytest.raises(InvalidClientError) as caught:
        grant.fetch()

    assert caught.value.status == status
    assert f"({status} invalid_client: Client authentication failed.)" in str(caught.value)


@pytest.mark.parametrize(
    ("challenge", "error", "shown"),
    [
        pytest.param(
            'Basic realm="bss", error="invalid_client", error_description="Unknown client"',
            InvalidClientError,
            "(401 invalid_client: Unknown client)",
            id="error-in-the-challenge",
        ),
        pytest.param('Basic realm="bss"', InvalidClientError, "(401 invalid_client)", id="basic"),
        pytest.param(
            'Bearer error="invalid_request", error_description="The \\"grant\\" is odd"',
            TokenResponseError,
            '(401 invalid_request: The "grant" is odd)',
            id="other-error",
        ),
    ],
)
def test_a_401_shows_the_oauth_error_of_its_www_authenticate_challenge(
    grant: PasswordGrant,
    mocked: responses.RequestsMock,
    challenge: str,
    error: type[BssAuthError],
    shown: str,
) -> None:
    mocked.add(responses.POST, TOKEN_URL, status=401, headers={"WWW-Authenticate": challenge})

    with pytest.raises(error) as caught:
        grant.fetch()

    assert shown in str(caught.value)


def test_an_oauth_error_in_the_challenge_never_echoes_a_credential(
    grant: PasswordGrant, mocked: responses.RequestsMock
) -> None:
    echoed = f"{CLIENT_KEY} with {CLIENT_SECRET} refused"
    challenge = f'Basic error="invalid_client", error_description="{echoed}"'
    mocked.add(responses.POST, TOKEN_URL, status=401, headers={"WWW-Authenticate": challenge})

    with pytest.raises(InvalidClientError) as caught:
        grant.fetch()

    assert "invalid_client: *** with *** refused" in str(caught.value)


@pytest.mark.parametrize(
    ("key", "secret"),
    [("KEY-1", "ascii/+secret=="), ("clé", "sécret"), ("KEY-1", "sécret€…")],
    ids=["ascii", "latin-1", "not-latin-1"],
)
def test_the_basic_pair_is_utf_8_and_as_requests_builds_it_for_ascii(
    mocked: responses.RequestsMock, token_server: TokenServer, key: str, secret: str
) -> None:
    config = BssConfig(BASE_URL, key, secret, USERNAME, PASSWORD)
    grant = PasswordGrant(config)
    try:
        grant.fetch()
    finally:
        grant.close()

    sent = mocked.calls[0].request.headers["Authorization"]
    assert sent == "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
    if key.isascii() and secret.isascii():
        assert sent == requests.auth._basic_auth_str(key, secret)


def test_a_client_secret_that_is_not_latin_1_logs_in_to_the_emulator() -> None:
    with TenantEmulator(client_key="clé-€", client_secret="sécret€…/+==") as emu:
        grant = PasswordGrant(emu.config())
        try:
            assert grant.get_token().token_type == "bearer"
        finally:
            grant.close()


def test_refresh_takes_the_token_and_needs_a_refresh_token(grant: PasswordGrant) -> None:
    with pytest.raises(ValueError, match="no refresh_token"):
        grant.refresh(make_token())


def test_a_redirect_is_reported_not_followed(
    grant: PasswordGrant, mocked: responses.RequestsMock
) -> None:
    https = "https://secure.example.test/bsssmapi/oauth/token"
    mocked.add(responses.POST, TOKEN_URL, status=301, headers={"Location": https})

    with pytest.raises(TokenResponseError, match="301 redirect to https://secure"):
        grant.fetch()

    assert len(mocked.calls) == 1


TRANSPORT_CASES = [
    pytest.param(
        requests.exceptions.ContentDecodingError("bad gzip"), BssTransportError, id="other"
    ),
    pytest.param(requests.ConnectTimeout("connect timed out"), BssTimeoutError, id="connect"),
    pytest.param(requests.ReadTimeout("read timed out"), BssTimeoutError, id="read"),
    pytest.param(requests.ConnectionError("Connection refused"), BssConnectionError, id="refused"),
]


@pytest.mark.parametrize(("raised", "error"), TRANSPORT_CASES)
def test_transport_failures_raise_the_projects_transport_errors(
    grant: PasswordGrant,
    mocked: responses.RequestsMock,
    raised: Exception,
    error: type[Exception],
) -> None:
    mocked.add(responses.POST, TOKEN_URL, body=raised)

    with pytest.raises(error) as caught:
        grant.fetch()

    assert BASE_URL in str(caught.value)


@pytest.mark.parametrize(
    ("raised", "requests_error"),
    [
        (requests.ReadTimeout("read timed out"), requests.Timeout),
        (requests.ConnectionError("Connection refused"), requests.ConnectionError),
    ],
)
def test_transport_errors_can_still_be_caught_as_requests_errors(
    grant: PasswordGrant,
    mocked: responses.RequestsMock,
    raised: Exception,
    requests_error: type[Exception],
) -> None:
    mocked.add(responses.POST, TOKEN_URL, body=raised)

    with pytest.raises(requests_error):
        grant.fetch()


def test_a_timeout_names_bss_timeout(grant: PasswordGrant, mocked: responses.RequestsMock) -> None:
    mocked.add(responses.POST, TOKEN_URL, body=requests.ReadTimeout("read timed out"))

    with pytest.raises(BssTimeoutError, match=r"within 7\.5 s.*BSS_TIMEOUT"):
        grant.fetch()


def test_failed_requests_count_as_grants(
    grant: PasswordGrant, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.POST, TOKEN_URL, status=500)

    with pytest.raises(TokenResponseError):
        grant.fetch()

    assert grant.grant_count == 1


def chain_text(error: BaseException) -> str:
    texts = []
    seen: BaseException | None = error
    while seen is not None:
        texts += [str(seen), repr(seen)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(texts)


@pytest.mark.parametrize(
    ("status", "body", "content_type", "error", "fragments"),
    [
        *ERROR_CASES,
        pytest.param(
            400,
            json.dumps(
                {
                    "error": "invalid_grant",
                    "error_description": f"{USERNAME} / {PASSWORD} / {CLIENT_SECRET} refused",
                }
            ),
            "application/json",
            InvalidGrantError,
            [],
            id="server-echoes-credentials",
        ),
    ],
)
def test_no_secret_appears_in_any_error_or_log_record(
    grant: PasswordGrant,
    mocked: responses.RequestsMock,
    caplog: pytest.LogCaptureFixture,
    status: int,
    body: str,
    content_type: str,
    error: type[BssAuthError],
    fragments: list[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    mocked.add(responses.POST, TOKEN_URL, status=status, body=body, content_type=content_type)

    with pytest.raises(error) as caught:
        grant.get_token()

    exposed = chain_text(caught.value) + "\n" + caplog.text
    exposed += "".join(str(getattr(caught.value, name, "")) for name in ("description", "error"))
    for secret in LEAKABLE:
        assert secret not in exposed


@pytest.mark.parametrize(("raised", "error"), TRANSPORT_CASES)
def test_no_secret_appears_in_transport_errors(
    grant: PasswordGrant,
    mocked: responses.RequestsMock,
    caplog: pytest.LogCaptureFixture,
    raised: Exception,
    error: type[Exception],
) -> None:
    caplog.set_level(logging.DEBUG)
    mocked.add(responses.POST, TOKEN_URL, body=raised)

    with pytest.raises(error) as caught:
        grant.fetch()

    exposed = chain_text(caught.value) + caplog.text
    for secret in LEAKABLE:
        assert secret not in exposed


def test_repr_of_the_grant_shows_no_secret(grant: PasswordGrant, token_server: TokenServer) -> None:
    grant.get_token()

    shown = repr(grant) + repr(grant.token) + repr(BssAuth(grant))

    for secret in LEAKABLE:
        assert secret not in shown


# --- StaticToken -----------------------------------------------------------------------------


def test_a_static_token_is_returned_forever() -> None:
    token = make_token(expires_in=1, at=0.0)
    source = StaticToken(token)

    assert source.get_token() is token
    assert source.get_token(stale=token) is token


def test_sources_satisfy_the_token_source_protocol(grant: PasswordGrant) -> None:
    assert isinstance(grant, TokenSource)
    assert isinstance(StaticToken(make_token()), TokenSource)


# --- BssAuth ---------------------------------------------------------------------------------


def test_it_sends_the_bearer_token(
    grant: PasswordGrant,
    token_server: TokenServer,
    mocked: responses.RequestsMock,
    session: requests.Session,
) -> None:
    mocked.get(API_URL, json={"id": 1})

    session.get(API_URL, auth=BssAuth(grant))

    assert api_calls(mocked)[0].request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN_PREFIX}1"


def test_it_retries_exactly_once_on_401_with_a_new_token(
    grant: PasswordGrant,
    token_server: TokenServer,
    mocked: responses.RequestsMock,
    session: requests.Session,
) -> None:
    mocked.get(API_URL, status=401, json={"message": "Authorization has been denied."})
    mocked.get(API_URL, json={"id": 1})

    response = session.get(API_URL, auth=BssAuth(grant))

    assert response.status_code == 200
    assert [c.request.headers["Authorization"] for c in api_calls(mocked)] == [
        f"Bearer {ACCESS_TOKEN_PREFIX}1",
        f"Bearer {ACCESS_TOKEN_PREFIX}2",
    ]
    assert [r.status_code for r in response.history] == [401]
    assert response.request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN_PREFIX}2"


def test_a_second_401_is_returned_to_the_caller_without_another_retry(
    grant: PasswordGrant,
    token_server: TokenServer,
    mocked: responses.RequestsMock,
    session: requests.Session,
) -> None:
    mocked.get(API_URL, status=401)

    response = session.get(API_URL, auth=BssAuth(grant))

    assert response.status_code == 401
    assert len(api_calls(mocked)) == 2
    assert grant.grant_count == 2


@pytest.mark.parametrize("status", [200, 400, 403, 404, 500])
def test_it_does_not_retry_other_statuses(
    grant: PasswordGrant,
    token_server: TokenServer,
    mocked: responses.RequestsMock,
    session: requests.Session,
    status: int,
) -> None:
    mocked.get(API_URL, status=status)

    session.get(API_URL, auth=BssAuth(grant))

    assert len(api_calls(mocked)) == 1


def test_with_a_static_token_it_resends_once_with_the_same_token(
    mocked: responses.RequestsMock, session: requests.Session
) -> None:
    mocked.get(API_URL, status=401)
    mocked.get(API_URL, json={"id": 1})

    response = session.get(API_URL, auth=BssAuth(StaticToken(make_token("replayed"))))

    assert response.status_code == 200
    assert [c.request.headers["Authorization"] for c in api_calls(mocked)] == [
        "Bearer replayed",
        "Bearer replayed",
    ]


def test_the_resend_carries_the_same_body(
    grant: PasswordGrant,
    token_server: TokenServer,
    mocked: responses.RequestsMock,
    session: requests.Session,
) -> None:
    mocked.post(API_URL, status=401)
    mocked.post(API_URL, json=7)

    session.post(API_URL, json={"name": "Acme"}, auth=BssAuth(grant))

    first, second = api_calls(mocked)
    assert second.request.body == first.request.body == b'{"name": "Acme"}'


def test_the_retry_is_logged_without_the_token(
    grant: PasswordGrant,
    token_server: TokenServer,
    mocked: responses.RequestsMock,
    session: requests.Session,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="pytest_bss")
    mocked.get(API_URL, status=401)

    session.get(API_URL, auth=BssAuth(grant))

    messages = [record.getMessage() for record in caplog.records]
    assert "GET /bsssmapi/api/accounts/1 -> 401; renewing the token and resending once" in messages
    for secret in LEAKABLE:
        assert secret not in caplog.text


# --- against the tenant emulator, over real HTTP ---------------------------------------------


@pytest.fixture
def tenant() -> Iterator[TenantEmulator]:
    with TenantEmulator() as emu:
        yield emu


@pytest.fixture
def live_grant(tenant: TenantEmulator) -> Iterator[PasswordGrant]:
    grant = PasswordGrant(tenant.config())
    try:
        yield grant
    finally:
        grant.close()


def test_the_emulator_grants_a_token_to_the_documented_request(
    tenant: TenantEmulator, live_grant: PasswordGrant
) -> None:
    token = live_grant.get_token()

    assert token.expires_in == 1799
    assert tenant.token_requests == 1


def test_a_user_whose_password_has_special_characters_logs_in(tenant: TenantEmulator) -> None:
    tenant.add_user("odd.user@example.com", PASSWORD)
    grant = PasswordGrant(tenant.config(username="odd.user@example.com", password=PASSWORD))
    try:
        assert grant.get_token().token_type == "bearer"
    finally:
        grant.close()


def test_a_refresh_token_from_a_server_that_issues_one_is_used() -> None:
    with TenantEmulator(issue_refresh_token=True) as emu:
        grant = PasswordGrant(emu.config())
        try:
            first = grant.get_token()
            # With the password changed on the server, only the refresh grant can succeed.
            emu.add_user(emu.username, "changed-on-the-server")
            second = grant.get_token(stale=first)
        finally:
            grant.close()

    assert second.access_token != first.access_token
    assert grant.grant_count == 2


def test_the_resend_rewinds_a_file_body(
    tenant: TenantEmulator, live_grant: PasswordGrant, session: requests.Session
) -> None:
    live_grant.get_token()
    tenant.expire_tokens()

    response = session.post(
        tenant.url + "api/accounts",
        data=io.BytesIO(b'{"name": "Rewound Ltd"}'),
        headers={"Content-Type": "application/json", "X-Api-Version": "latest"},
        auth=BssAuth(live_grant),
    )

    assert [r.status_code for r in response.history] == [401]
    assert tenant.data.accounts[response.json()]["name"] == "Rewound Ltd"
