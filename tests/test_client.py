"""Tests of pytest_bss.client: URL joining, defaults, JSON errors, paging, and the whole
client against the bundled tenant emulator over real HTTP."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from pytest_bss.auth import BssAuth, PasswordGrant, StaticToken, Token
from pytest_bss.client import BssClient
from pytest_bss.config import BssConfig
from pytest_bss.exceptions import (
    BssApiError,
    BssConnectionError,
    BssTimeoutError,
    InvalidClientError,
    InvalidGrantError,
    TokenResponseError,
)
from pytest_bss.fake import TenantEmulator

# Distinctive synthetic credentials: any of them turning up in a message or log is a leak.
CLIENT_KEY = "KEY-0c1d2e3f-bilby"
CLIENT_SECRET = "SECRET/+b64ish=Kq7dingo=="
USERNAME = "user-wallaby-271"
PASSWORD = "pw p+a/s=s!%&@ü€-kookaburra"
BEARER = "ACCESS-TOKEN-cassowary"
LEAKABLE = (CLIENT_KEY, CLIENT_SECRET, USERNAME, PASSWORD, BEARER)

BASE_URL = "https://bss.example.test/bsssmapi/"
TOKEN_URL = BASE_URL + "oauth/token"


def make_config(**overrides: Any) -> BssConfig:
    values: dict[str, Any] = {
        "base_url": BASE_URL,
        "client_key": CLIENT_KEY,
        "client_secret": CLIENT_SECRET,
        "username": USERNAME,
        "password": PASSWORD,
        "api_version": "2.2",
        "timeout": 12.5,
    }
    values.update(overrides)
    return BssConfig(**values)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(
            TOKEN_URL,
            json={"access_token": BEARER, "token_type": "bearer", "expires_in": 1799},
        )
        yield rsps


@pytest.fixture
def client(mocked: responses.RequestsMock) -> Iterator[BssClient]:
    with BssClient(make_config()) as bss:
        yield bss


def api_calls(mocked: responses.RequestsMock) -> list[Any]:
    return [call for call in mocked.calls if call.request.url != TOKEN_URL]


def page_queries(mocked: responses.RequestsMock) -> list[tuple[str, str]]:
    queries = [parse_qs(urlsplit(call.request.url).query) for call in api_calls(mocked)]
    return [(q["pageIndex"][0], q["pageSize"][0]) for q in queries]


# --- construction ----------------------------------------------------------------------------


def test_by_default_it_logs_in_with_the_password_grant() -> None:
    with BssClient(make_config()) as bss:
        assert isinstance(bss.auth, BssAuth)
        assert isinstance(bss.token_source, PasswordGrant)


def test_it_uses_the_token_source_it_is_given() -> None:
    source = StaticToken(Token("t", "bearer", 60, 0))

    with BssClient(make_config(), token_source=source) as bss:
        assert isinstance(bss.auth, BssAuth)
        assert bss.auth.source is source
        assert bss.token_source is source


def test_it_uses_the_auth_it_is_given_as_is() -> None:
    auth = requests.auth.HTTPBasicAuth("a", "b")

    with BssClient(make_config(), auth=auth) as bss:
        assert bss.auth is auth
        assert bss.token_source is None


def test_it_learns_the_token_source_from_a_given_bss_auth() -> None:
    source = StaticToken(Token("t", "bearer", 60, 0))

    with BssClient(make_config(), auth=BssAuth(source)) as bss:
        assert bss.token_source is source


def test_its_base_url_is_the_configs() -> None:
    with BssClient(make_config(base_url="https://bss.example.test/bsssmapi")) as bss:
        assert bss.base_url == "https://bss.example.test/bsssmapi/"


# --- URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "url"),
    [
        ("api/accounts/1", BASE_URL + "api/accounts/1"),
        ("/api/accounts/1", BASE_URL + "api/accounts/1"),
        ("//api/accounts/1", BASE_URL + "api/accounts/1"),
        ("api/accounts?pageIndex=2", BASE_URL + "api/accounts?pageIndex=2"),
        ("", BASE_URL),
        ("https://other.example.test/x?y=1", "https://other.example.test/x?y=1"),
        ("http://127.0.0.1:9/api/accounts", "http://127.0.0.1:9/api/accounts"),
        ("HTTPS://bss.example.test/api", "HTTPS://bss.example.test/api"),
    ],
)
def test_relative_urls_join_under_the_base_and_absolute_ones_pass_through(
    path: str, url: str
) -> None:
    with BssClient(make_config()) as bss:
        assert bss.url_for(path) == url


@pytest.mark.parametrize("path", ["api/accounts/1", "/api/accounts/1"])
def test_a_leading_slash_does_not_escape_the_virtual_directory(
    client: BssClient, mocked: responses.RequestsMock, path: str
) -> None:
    mocked.get(BASE_URL + "api/accounts/1", json={"id": 1})

    client.get(path)

    assert api_calls(mocked)[0].request.url == "https://bss.example.test/bsssmapi/api/accounts/1"


def test_an_absolute_url_is_requested_untouched(
    client: BssClient, mocked: responses.RequestsMock
) -> None:
    mocked.get("https://billing.example.test/api/invoices", json={"data": []})

    client.get("https://billing.example.test/api/invoices")

    assert api_calls(mocked)[0].request.url == "https://billing.example.test/api/invoices"


# --- defaults --------------------------------------------------------------------------------


def test_every_request_sends_the_default_headers(
    client: BssClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(BASE_URL + "api/accounts/1", json={"id": 1})

    client.get("api/accounts/1")

    headers = api_calls(mocked)[0].request.headers
    assert headers["Accept"] == "application/json"
    assert headers["X-Api-Version"] == "2.2"
    assert headers["Authorization"] == f"Bearer {BEARER}"


def test_a_callers_header_wins_over_the_default(
    client: BssClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(BASE_URL + "api/accounts/1", json={"id": 1})

    client.get("api/accounts/1", headers={"X-Api-Version": "1"})

    assert api_calls(mocked)[0].request.headers["X-Api-Version"] == "1"


@pytest.mark.parametrize(
    ("given", "sent"), [({}, 12.5), ({"timeout": None}, 12.5), ({"timeout": 3}, 3)]
)
def test_the_configured_timeout_applies_unless_the_caller_gives_one(
    client: BssClient, mocked: responses.RequestsMock, given: dict[str, Any], sent: float
) -> None:
    mocked.get(BASE_URL + "api/accounts/1", json={"id": 1})

    client.get("api/accounts/1", **given)

    assert api_calls(mocked)[0].request.req_kwargs["timeout"] == sent


# --- json / get_json -------------------------------------------------------------------------


def test_get_json_returns_the_decoded_body(
    client: BssClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(BASE_URL + "api/accounts/1", json={"id": 1, "name": "Acme"})

    assert client.get_json("api/accounts/1") == {"id": 1, "name": "Acme"}


def test_json_sends_the_method_and_body(client: BssClient, mocked: responses.RequestsMock) -> None:
    mocked.post(BASE_URL + "api/accounts", json=58)

    assert client.json("POST", "api/accounts", json={"name": "Acme"}) == 58
    assert json.loads(api_calls(mocked)[0].request.body) == {"name": "Acme"}


def test_json_returns_none_for_an_empty_body(
    client: BssClient, mocked: responses.RequestsMock
) -> None:
    mocked.delete(BASE_URL + "api/accounts/1", status=204)

    assert client.json("DELETE", "api/accounts/1") is None


LONG = "x" * 5000
API_ERRORS = [
    pytest.param(
        404,
        json.dumps({"message": "Account 9 was not found."}),
        "application/json",
        "Account 9 was not found.",
        {},
        id="json-message",
    ),
    pytest.param(
        400,
        json.dumps(
            {"message": "The request is invalid.", "modelState": {"account.name": ["Required."]}}
        ),
        "application/json",
        "The request is invalid.",
        {"account.name": ["Required."]},
        id="model-state",
    ),
    pytest.param(
        400,
        json.dumps({"Message": "Bad.", "ModelState": {"x": "one problem"}}),
        "application/json",
        "Bad.",
        {"x": ["one problem"]},
        id="pascal-case",
    ),
    pytest.param(
        403, json.dumps("Rate limit hit."), "application/json", "Rate limit hit.", {}, id="string"
    ),
    pytest.param(
        500,
        "<html><head><title>Server Error</title></head><body>Oops</body></html>",
        "text/html",
        "Server Error Oops",
        {},
        id="html",
    ),
    pytest.param(503, "", "text/plain", None, {}, id="empty"),
    pytest.param(405, json.dumps([1]), "application/json", None, {}, id="json-list"),
]


@pytest.mark.parametrize(("status", "body", "content_type", "message", "model_state"), API_ERRORS)
def test_an_error_status_raises_bss_api_error_with_the_servers_words(
    client: BssClient,
    mocked: responses.RequestsMock,
    status: int,
    body: str,
    content_type: str,
    message: str | None,
    model_state: dict[str, list[str]],
) -> None:
    mocked.get(BASE_URL + "api/accounts/9", status=status, body=body, content_type=content_type)

    with pytest.raises(BssApiError) as caught:
        client.get_json("/api/accounts/9")

    error = caught.value
    assert (error.status, error.method, error.path) == (status, "GET", "api/accounts/9")
    assert error.message == message
    assert error.model_state == model_state


def test_the_error_names_the_method_and_path_but_not_the_host(
    client: BssClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(BASE_URL + "api/accounts", status=400, json={"message": "Invalid."})

    with pytest.raises(BssApiError) as caught:
        client.json("post", "api/accounts", params={"x": "1"}, json={})

    assert str(caught.value) == "POST api/accounts answered 400: Invalid."


@pytest.mark.parametrize(
    ("status", "body", "headers", "shown"),
    [
        pytest.param(
            401,
            {"message": "Authorization has been denied for this request."},
            {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'},
            "answered 401: Authorization has been denied for this request. "
            "(invalid_token: expired)",
            id="challenge",
        ),
        pytest.param(
            401,
            {"error": "invalid_token", "error_description": "The token is not valid."},
            {},
            "answered 401: invalid_token: The token is not valid.",
            id="body",
        ),
        pytest.param(
            400,
            {"error": "invalid_request"},
            {},
            "answered 400: invalid_request",
            id="400-body",
        ),
    ],
)
def test_an_oauth_error_in_the_body_or_challenge_is_shown(
    client: BssClient,
    mocked: responses.RequestsMock,
    status: int,
    body: dict[str, str],
    headers: dict[str, str],
    shown: str,
) -> None:
    mocked.get(BASE_URL + "api/accounts/1", status=status, json=body, headers=headers)

    with pytest.raises(BssApiError) as caught:
        client.get_json("api/accounts/1")

    assert str(caught.value).endswith(shown)
    assert caught.value.error == (body.get("error") or "invalid_token")


def test_an_oauth_error_never_echoes_the_bearer_or_a_credential(
    client: BssClient, mocked: responses.RequestsMock
) -> None:
    said = f"token {BEARER} of {USERNAME} expired"
    challenge = f'Bearer error="invalid_token", error_description="{said}"'
    mocked.get(
        BASE_URL + "api/accounts/1",
        status=401,
        json={"message": f"Denied for {BEARER}."},
        headers={"WWW-Authenticate": challenge},
    )

    with pytest.raises(BssApiError) as caught:
        client.get_json("api/accounts/1")

    text = str(caught.value)
    assert "Denied for ***. (invalid_token: token *** of *** expired)" in text
    for secret in LEAKABLE:
        assert secret not in text + repr(vars(caught.value))


def test_a_huge_error_body_is_cut_short(client: BssClient, mocked: responses.RequestsMock) -> None:
    mocked.get(BASE_URL + "api/accounts/1", status=500, body=LONG, content_type="text/plain")

    with pytest.raises(BssApiError) as caught:
        client.get_json("api/accounts/1")

    assert len(str(caught.value)) < 300


def test_a_success_that_is_not_json_raises_bss_api_error(
    client: BssClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(BASE_URL + "api/accounts/1", body="<html>login</html>", content_type="text/html")

    with pytest.raises(BssApiError, match="expected JSON, got text/html"):
        client.get_json("api/accounts/1")


@pytest.mark.parametrize(
    ("raised", "error"),
    [
        (requests.ReadTimeout("read timed out"), BssTimeoutError),
        (requests.ConnectionError("Connection reset"), BssConnectionError),
    ],
)
def test_transport_failures_of_api_calls_raise_the_projects_errors(
    client: BssClient,
    mocked: responses.RequestsMock,
    raised: Exception,
    error: type[Exception],
) -> None:
    mocked.get(BASE_URL + "api/accounts/1", body=raised)

    with pytest.raises(error, match=r"^GET api/accounts/1 .*bss\.example\.test/bsssmapi/"):
        client.get_json("api/accounts/1")


# --- paginate --------------------------------------------------------------------------------


def serve_pages(
    mocked: responses.RequestsMock, items: list[int], *, envelope: bool, **extra: Any
) -> None:
    def page(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = parse_qs(urlsplit(request.url).query)
        index, size = int(query["pageIndex"][0]), int(query["pageSize"][0])
        chunk = items[(index - 1) * size : index * size]
        body: Any = {"data": chunk, **extra} if envelope else chunk
        return 200, {}, json.dumps(body)

    mocked.add_callback(responses.GET, BASE_URL + "api/accounts", callback=page)


@pytest.mark.parametrize("envelope", [True, False], ids=["envelope", "bare-list"])
def test_paginate_yields_every_item_across_pages(
    client: BssClient, mocked: responses.RequestsMock, envelope: bool
) -> None:
    serve_pages(mocked, list(range(1, 8)), envelope=envelope)

    assert list(client.paginate("api/accounts", page_size=3)) == list(range(1, 8))
    assert page_queries(mocked) == [("1", "3"), ("2", "3"), ("3", "3")]


@pytest.mark.parametrize("envelope", [True, False], ids=["envelope", "bare-list"])
def test_paginate_stops_at_an_empty_page_when_the_last_page_was_full(
    client: BssClient, mocked: responses.RequestsMock, envelope: bool
) -> None:
    serve_pages(mocked, list(range(6)), envelope=envelope)

    assert len(list(client.paginate("api/accounts", page_size=3))) == 6
    assert len(api_calls(mocked)) == 3


def test_paginate_stops_when_total_count_is_reached(
    client: BssClient, mocked: responses.RequestsMock
) -> None:
    serve_pages(mocked, list(range(6)), envelope=True, totalCount=6)

    assert len(list(client.paginate("api/accounts", page_size=3))) == 6
    assert len(api_calls(mocked)) == 2


def test_paginate_asks_for_25_items_a_page_by_default(
    client: BssClient, mocked: responses.RequestsMock
) -> None:
    serve_pages(mocked, [], envelope=True)

    assert list(client.paginate("api/accounts")) == []
    assert page_queries(mocked) == [("1", "25")]


def test_paginate_stops_when_the_server_ignores_paging_and_sends_everything(
    client: BssClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(BASE_URL + "api/accounts", json=list(range(10)))

    assert list(client.paginate("api/accounts", page_size=3)) == list(range(10))
    assert len(api_calls(mocked)) == 1


def test_paginate_passes_the_callers_params_along(
    client: BssClient, mocked: responses.RequestsMock
) -> None:
    serve_pages(mocked, [], envelope=True)

    list(client.paginate("api/accounts", params={"type": "customer"}))

    query = parse_qs(urlsplit(api_calls(mocked)[0].request.url).query)
    assert query == {"type": ["customer"], "pageIndex": ["1"], "pageSize": ["25"]}


@pytest.mark.parametrize("page_size", [0, -1, 2.5, True, "25"])
def test_paginate_refuses_a_bad_page_size_at_the_call(client: BssClient, page_size: Any) -> None:
    with pytest.raises(ValueError, match="page_size must be a positive integer"):
        client.paginate("api/accounts", page_size=page_size)


@pytest.mark.parametrize("body", [{"items": []}, {"data": "x"}, 7, "page"])
def test_paginate_refuses_a_body_that_is_not_a_page(
    client: BssClient, mocked: responses.RequestsMock, body: Any
) -> None:
    mocked.get(BASE_URL + "api/accounts", json=body)

    with pytest.raises(BssApiError, match="expected a list or a data envelope"):
        list(client.paginate("api/accounts"))


def test_paginate_raises_the_api_error_of_a_failing_page(
    client: BssClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(BASE_URL + "api/accounts", status=400, json={"message": "pageSize is too big."})

    with pytest.raises(
        BssApiError, match=r"^GET api/accounts answered 400: pageSize is too big\.$"
    ):
        list(client.paginate("api/accounts"))


# --- logging ---------------------------------------------------------------------------------


def test_it_logs_method_path_and_status(
    client: BssClient, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pytest_bss.client")
    mocked.get(BASE_URL + "api/accounts/1", json={"id": 1})

    client.get("api/accounts/1")

    assert [r.getMessage() for r in caplog.records if r.name == "pytest_bss.client"] == [
        "GET api/accounts/1 -> 200"
    ]


def test_no_secret_appears_in_any_log_record_or_error(
    client: BssClient, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mocked.get(BASE_URL + "api/accounts/1", status=401, json={"message": "Denied."})
    mocked.get(BASE_URL + "api/accounts/2", body=requests.ConnectionError("reset"))

    errors: list[BaseException] = []
    for path in ("api/accounts/1", "api/accounts/2"):
        try:
            client.get_json(path)
        except Exception as error:
            errors.append(error)

    exposed = caplog.text + "".join(f"{e}{e!r}{e.__context__}" for e in errors)
    assert len(errors) == 2
    for secret in LEAKABLE:
        assert secret not in exposed


# --- against the tenant emulator, over real HTTP ---------------------------------------------


@pytest.fixture
def tenant() -> Iterator[TenantEmulator]:
    with TenantEmulator() as emu:
        yield emu


def first_account(emu: TenantEmulator) -> int:
    return min(emu.data.accounts)


def account_path(emu: TenantEmulator) -> str:
    return f"api/accounts/{first_account(emu)}"


@pytest.fixture
def live(tenant: TenantEmulator) -> Iterator[BssClient]:
    with BssClient(tenant.config()) as bss:
        yield bss


def test_it_reuses_one_token_across_api_calls(live: BssClient, tenant: TenantEmulator) -> None:
    for account_id in sorted(tenant.data.accounts)[:5]:
        live.get_json(f"api/accounts/{account_id}")

    assert tenant.token_requests == 1
    assert tenant.api_requests == 5


def test_it_reads_an_account(live: BssClient, tenant: TenantEmulator) -> None:
    account_id = first_account(tenant)

    assert live.get_json(f"api/accounts/{account_id}")["id"] == account_id


def test_an_unknown_account_raises_404_with_the_servers_message(live: BssClient) -> None:
    with pytest.raises(BssApiError) as caught:
        live.get_json("api/accounts/999999")

    assert (caught.value.status, caught.value.path) == (404, "api/accounts/999999")
    assert caught.value.message == "Account 999999 was not found."


def test_validation_errors_carry_the_model_state(live: BssClient) -> None:
    with pytest.raises(BssApiError) as caught:
        live.json("POST", "api/accounts", json={"name": ""})

    assert caught.value.status == 400
    assert "name" in caught.value.model_state


@pytest.mark.parametrize(
    ("version", "page_size"), [("latest", 10), ("2.2", 57), ("2", 10), ("1", 19)]
)
def test_it_pages_through_every_account(
    tenant: TenantEmulator, version: str, page_size: int
) -> None:
    with BssClient(tenant.config(api_version=version)) as bss:
        ids = [account["id"] for account in bss.paginate("api/accounts", page_size=page_size)]

    assert len(ids) == len(set(ids)) == len(tenant.data.accounts)


def test_it_stops_paging_on_total_count_without_an_extra_request(
    tenant: TenantEmulator, live: BssClient
) -> None:
    list(live.paginate("api/accounts", page_size=19))

    assert tenant.api_requests == 3


def test_a_bare_list_needs_an_empty_page_to_end_on_a_full_one(tenant: TenantEmulator) -> None:
    with BssClient(tenant.config(api_version="1")) as bss:
        list(bss.paginate("api/accounts", page_size=19))

    assert tenant.api_requests == 4


def test_a_virtual_directory_is_kept_for_every_path_form() -> None:
    with TenantEmulator(base_path="/bsssmapi") as emu, BssClient(emu.config()) as bss:
        first = first_account(emu)
        assert emu.url.endswith("/bsssmapi/")
        assert bss.get_json(f"api/accounts/{first}")["id"] == first
        assert bss.get_json(f"/api/accounts/{first + 1}")["id"] == first + 1
        assert bss.get_json(f"{emu.url}api/accounts/{first + 2}")["id"] == first + 2


def test_an_expired_token_is_renewed_and_the_call_succeeds(
    live: BssClient, tenant: TenantEmulator
) -> None:
    live.get_json(account_path(tenant))
    tenant.expire_tokens()

    response = live.get(account_path(tenant))

    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert tenant.token_requests == 2


def test_a_401_on_the_retry_reaches_the_caller_after_one_resend(
    live: BssClient, tenant: TenantEmulator
) -> None:
    live.get_json(account_path(tenant))
    tenant.reset_counts()
    tenant.inject_fault("api/accounts", status=401, body='{"message": "Denied."}', times=2)

    with pytest.raises(BssApiError) as caught:
        live.get_json(account_path(tenant))

    assert caught.value.status == 401
    assert tenant.api_requests == 2
    assert tenant.token_requests == 1


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"password": "wrong-password"}, InvalidGrantError),
        ({"username": "nobody@example.com"}, InvalidGrantError),
        ({"client_secret": "wrong-secret"}, InvalidClientError),
        ({"client_key": "wrong-key"}, InvalidClientError),
    ],
)
def test_wrong_credentials_raise_the_matching_auth_error(
    tenant: TenantEmulator, overrides: dict[str, str], error: type[Exception]
) -> None:
    with BssClient(tenant.config(**overrides)) as bss, pytest.raises(error) as caught:
        bss.get_json("api/accounts/1")

    assert tenant.url in str(caught.value)
    for value in tenant.config(**overrides).secrets().values():
        assert value not in str(caught.value)


def test_a_token_endpoint_that_answers_html_raises_token_response_error(
    live: BssClient, tenant: TenantEmulator
) -> None:
    tenant.inject_fault("oauth/token", status=200, body="<html>portal</html>")

    with pytest.raises(TokenResponseError, match="text/html"):
        live.get_json(account_path(tenant))


def test_a_base_url_that_misses_the_virtual_directory_gets_the_base_url_hint() -> None:
    with TenantEmulator(base_path="/bsssmapi") as emu:
        config = emu.config(base_url=emu.url.removesuffix("bsssmapi/"))
        with BssClient(config) as bss, pytest.raises(TokenResponseError) as caught:
            bss.get_json("api/accounts/1")

    assert "is BSS_BASE_URL right? it should be the base under which oauth/token lives" in str(
        caught.value
    )


def test_a_slow_tenant_raises_a_timeout_naming_bss_timeout(tenant: TenantEmulator) -> None:
    tenant.inject_fault("api/accounts", delay=2.0)

    with BssClient(tenant.config(timeout=0.2)) as bss, pytest.raises(BssTimeoutError) as caught:
        bss.get_json("api/accounts/1")

    assert "BSS_TIMEOUT" in str(caught.value)


def test_an_unreachable_tenant_raises_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port just released.
    config = make_config(base_url=f"http://127.0.0.1:{port}/")
    with (
        BssClient(config) as bss,
        pytest.raises(BssConnectionError, match="BSS_BASE_URL") as caught,
    ):
        bss.get_json("api/accounts/1")

    for secret in LEAKABLE:
        assert secret not in str(caught.value)


def test_no_secret_reaches_the_logs_of_a_full_session(
    tenant: TenantEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    issued: list[Token] = []
    config = tenant.config()
    grant = PasswordGrant(config, on_token=issued.append)
    with BssClient(config, token_source=grant) as bss:
        bss.get_json(account_path(tenant))
        tenant.expire_tokens()
        list(bss.paginate("api/accounts", page_size=50))
        with pytest.raises(BssApiError):
            bss.get_json("api/accounts/999999")
    grant.close()

    secrets = [*config.secrets().values(), *(token.access_token for token in issued)]
    assert len(issued) == 2
    for secret in secrets:
        assert secret not in caplog.text


def test_sixteen_threads_share_one_client_through_token_expiry() -> None:
    threads, duration, lifetime = 16, 3.0, 1
    responses_seen: list[int] = []
    failures: list[BaseException] = []
    with TenantEmulator(expires_in=lifetime) as emu, BssClient(emu.config()) as bss:
        # One pooled connection per thread, so the test measures tokens, not reconnects.
        bss.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=threads))
        path = account_path(emu)
        start = time.monotonic()
        deadline = start + duration

        def hammer() -> None:
            try:
                while time.monotonic() < deadline:
                    responses_seen.append(bss.get(path).status_code)
            except BaseException as error:  # any failure must reach the assertions below
                failures.append(error)

        workers = [threading.Thread(target=hammer) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=duration + 30)
        elapsed = time.monotonic() - start
        token_requests = emu.token_requests

    assert failures == []
    assert set(responses_seen) == {200}
    # Each token is renewed 10 % before its 1 s lifetime ends, never earlier.
    assert int(elapsed) <= token_requests <= 1 + elapsed / (0.9 * lifetime)
