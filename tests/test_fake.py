"""The tenant emulator, exercised over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import gzip
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.client import HTTPConnection, HTTPResponse
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
import pytest
import requests
from stdnum import iban, luhn

from pytest_bss.config import BssConfig
from pytest_bss.fake import (
    DEMO_CLIENT_KEY,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    TenantEmulator,
)
from pytest_bss.fake.data import PAYMENT_CARD_FIELDS, build_tenant
from pytest_bss.fake.server import ROUTES, Route, routes_markdown
from pytest_bss.personal.detect import is_reserved_email, personal_kind

ACCOUNT_FIELDS = [
    "id",
    "name",
    "code",
    "email",
    "phone",
    "webSite",
    "type",
    "industry",
    "creditLimit",
    "enableOrdering",
    "enableReselling",
    "description",
    "billingIban",
    "paymentCard",
]
INVOICE_FIELDS = [
    "id",
    "code",
    "billingAccountId",
    "stage",
    "totalAmount",
    "type",
    "date",
    "dueDate",
]
DENIED = {"message": "Authorization has been denied for this request."}
PASSWORD_GRANT = {"grant_type": "password", "username": DEMO_USERNAME, "password": DEMO_PASSWORD}
CLIENT = (DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET)
UNKNOWN_GUID = "00000000-0000-4000-8000-000000000000"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def emu() -> Iterator[TenantEmulator]:
    with TenantEmulator() as emulator:
        yield emulator


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def token_response(
    http: requests.Session,
    emu: TenantEmulator,
    data: Any = None,
    auth: Any = CLIENT,
    **kwargs: Any,
) -> requests.Response:
    form = PASSWORD_GRANT if data is None else data
    return http.post(emu.url + "oauth/token", data=form, auth=auth, timeout=5, **kwargs)


def get_token(http: requests.Session, emu: TenantEmulator) -> str:
    response = token_response(http, emu)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def api(
    http: requests.Session,
    emu: TenantEmulator,
    method: str,
    path: str,
    *,
    token: str | None = None,
    version: str | None = "latest",
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> requests.Response:
    sent = {"Accept": "application/json"}
    if version is not None:
        sent["X-Api-Version"] = version
    sent["Authorization"] = f"Bearer {token or get_token(http, emu)}"
    sent.update(headers or {})
    return http.request(method, emu.url + path, headers=sent, timeout=5, **kwargs)


# -- oauth/token -------------------------------------------------------------------------------


def test_a_password_grant_with_basic_client_auth_gets_an_opaque_bearer_token(
    http: requests.Session, emu: TenantEmulator
) -> None:
    response = token_response(http, emu)

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["access_token", "token_type", "expires_in"]
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 1799
    assert re.fullmatch(r"[A-Za-z0-9_-]{400,}", body["access_token"])


def test_the_token_response_forbids_caching(http: requests.Session, emu: TenantEmulator) -> None:
    response = token_response(http, emu)

    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Pragma"] == "no-cache"
    assert response.headers["Expires"] == "-1"
    assert response.headers["Content-Type"] == "application/json;charset=UTF-8"


def test_every_token_is_new(http: requests.Session, emu: TenantEmulator) -> None:
    assert get_token(http, emu) != get_token(http, emu)


def test_the_token_lifetime_follows_expires_in(http: requests.Session) -> None:
    with TenantEmulator(expires_in=60) as emulator:
        assert token_response(http, emulator).json()["expires_in"] == 60


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-authorization"),
        pytest.param(
            "Basic " + base64.b64encode(b"wrong:" + DEMO_CLIENT_SECRET.encode()).decode(),
            id="wrong-key",
        ),
        pytest.param(
            "Basic " + base64.b64encode(DEMO_CLIENT_KEY.encode() + b":wrong").decode(),
            id="wrong-secret",
        ),
        pytest.param("Basic " + base64.b64encode(DEMO_CLIENT_KEY.encode()).decode(), id="no-colon"),
        pytest.param("Basic not base64!", id="not-base64"),
        pytest.param("Bearer " + DEMO_CLIENT_SECRET, id="not-basic"),
    ],
)
def test_bad_client_credentials_get_invalid_client(
    http: requests.Session, emu: TenantEmulator, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = http.post(emu.url + "oauth/token", data=PASSWORD_GRANT, headers=headers, timeout=5)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_client"}


@pytest.mark.parametrize("field", ["client_id", "client_secret"])
def test_client_credentials_in_the_form_are_refused_even_beside_basic_auth(
    http: requests.Session, emu: TenantEmulator, field: str
) -> None:
    form = {**PASSWORD_GRANT, "client_id": DEMO_CLIENT_KEY, "client_secret": DEMO_CLIENT_SECRET}
    response = token_response(http, emu, data={**PASSWORD_GRANT, field: form[field]})

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_client"}


def test_client_credentials_only_in_the_form_are_refused(
    http: requests.Session, emu: TenantEmulator
) -> None:
    form = {**PASSWORD_GRANT, "client_id": DEMO_CLIENT_KEY, "client_secret": DEMO_CLIENT_SECRET}
    response = token_response(http, emu, data=form, auth=None)

    assert response.json() == {"error": "invalid_client"}


@pytest.mark.parametrize(
    "form",
    [
        pytest.param({**PASSWORD_GRANT, "password": "wrong"}, id="wrong-password"),
        pytest.param({**PASSWORD_GRANT, "password": DEMO_PASSWORD.upper()}, id="password-case"),
        pytest.param({**PASSWORD_GRANT, "username": "nobody@example.com"}, id="unknown-user"),
        pytest.param({"grant_type": "password", "username": DEMO_USERNAME}, id="no-password"),
        pytest.param({"grant_type": "password"}, id="no-user"),
    ],
)
def test_wrong_user_credentials_get_invalid_grant(
    http: requests.Session, emu: TenantEmulator, form: dict[str, str]
) -> None:
    response = token_response(http, emu, data=form)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "The user name or password is incorrect.",
    }


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(
            {**PASSWORD_GRANT, "grant_type": "client_credentials"}, id="client-credentials"
        ),
        pytest.param({"grant_type": "refresh_token", "refresh_token": "x"}, id="refresh-token"),
        pytest.param({**PASSWORD_GRANT, "grant_type": "authorization_code"}, id="code"),
        pytest.param({**PASSWORD_GRANT, "grant_type": "PASSWORD"}, id="upper-case"),
        pytest.param({"username": DEMO_USERNAME, "password": DEMO_PASSWORD}, id="missing"),
    ],
)
def test_other_grant_types_are_unsupported(
    http: requests.Session, emu: TenantEmulator, form: dict[str, str]
) -> None:
    response = token_response(http, emu, data=form)

    assert response.status_code == 400
    assert response.json() == {"error": "unsupported_grant_type"}


def test_a_json_token_request_is_not_a_password_grant(
    http: requests.Session, emu: TenantEmulator
) -> None:
    response = http.post(emu.url + "oauth/token", json=PASSWORD_GRANT, auth=CLIENT, timeout=5)

    assert response.json() == {"error": "unsupported_grant_type"}


def test_user_names_are_case_insensitive(http: requests.Session, emu: TenantEmulator) -> None:
    form = {**PASSWORD_GRANT, "username": DEMO_USERNAME.upper()}

    assert token_response(http, emu, data=form).status_code == 200


def test_an_added_user_can_log_in(http: requests.Session, emu: TenantEmulator) -> None:
    emu.add_user("second@example.com", "An0ther!pass")
    form = {"grant_type": "password", "username": "second@example.com", "password": "An0ther!pass"}

    assert token_response(http, emu, data=form).status_code == 200


def test_the_token_endpoint_only_takes_post(http: requests.Session, emu: TenantEmulator) -> None:
    response = http.get(emu.url + "oauth/token", auth=CLIENT, timeout=5)

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert "message" in response.json()


def test_other_credentials_can_be_configured(http: requests.Session) -> None:
    with TenantEmulator(client_key="k", client_secret="s", username="u", password="p") as emu:
        form = {"grant_type": "password", "username": "u", "password": "p"}

        assert token_response(http, emu, data=form, auth=("k", "s")).status_code == 200
        assert token_response(http, emu).json() == {"error": "invalid_client"}


def test_the_assumed_token_error_details_are_options(http: requests.Session) -> None:
    with TenantEmulator(invalid_client_status=401, invalid_grant_description="Nope.") as emu:
        assert token_response(http, emu, auth=("x", "y")).status_code == 401
        wrong = token_response(http, emu, data={**PASSWORD_GRANT, "password": "x"})
        assert wrong.json()["error_description"] == "Nope."


def test_no_refresh_token_is_issued_by_default(http: requests.Session, emu: TenantEmulator) -> None:
    assert "refresh_token" not in token_response(http, emu).json()


def test_an_optional_refresh_token_can_be_used_exactly_once(http: requests.Session) -> None:
    with TenantEmulator(issue_refresh_token=True) as emu:
        refresh_token = token_response(http, emu).json()["refresh_token"]
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}

        first = token_response(http, emu, data=form)
        again = token_response(http, emu, data=form)

    assert first.status_code == 200
    assert "access_token" in first.json()
    assert again.json() == {"error": "invalid_grant"}


# -- bearer tokens -----------------------------------------------------------------------------


def test_a_fresh_token_opens_the_api(http: requests.Session, emu: TenantEmulator) -> None:
    assert api(http, emu, "GET", "api/accounts/1001").status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="missing"),
        pytest.param("Bearer not-a-token-we-issued", id="unknown"),
        pytest.param("Bearer ", id="empty"),
        pytest.param("Basic " + base64.b64encode(b"a:b").decode(), id="basic"),
    ],
)
def test_api_calls_without_a_valid_bearer_are_denied(
    http: requests.Session, emu: TenantEmulator, authorization: str | None
) -> None:
    headers = {"X-Api-Version": "latest"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = http.get(emu.url + "api/accounts", headers=headers, timeout=5)

    assert response.status_code == 401
    assert response.json() == DENIED
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_expires_after_expires_in_on_the_injected_clock(
    http: requests.Session,
) -> None:
    clock = FakeClock()
    with TenantEmulator(clock=clock, expires_in=100) as emu:
        token = get_token(http, emu)
        clock.now += 99.9
        before = api(http, emu, "GET", "api/accounts/1001", token=token)
        clock.now += 0.1
        after = api(http, emu, "GET", "api/accounts/1001", token=token)

    assert before.status_code == 200
    assert after.status_code == 401
    assert after.json() == DENIED
    assert after.headers["WWW-Authenticate"] == "Bearer"


def test_expire_tokens_ends_every_issued_token(http: requests.Session, emu: TenantEmulator) -> None:
    tokens = [get_token(http, emu), get_token(http, emu)]

    emu.expire_tokens()

    for token in tokens:
        assert api(http, emu, "GET", "api/accounts/1001", token=token).status_code == 401


def test_a_token_issued_after_expire_tokens_works(
    http: requests.Session, emu: TenantEmulator
) -> None:
    get_token(http, emu)
    emu.expire_tokens()

    assert api(http, emu, "GET", "api/accounts/1001").status_code == 200


def test_issued_tokens_lists_every_token_oldest_first_even_expired(
    http: requests.Session, emu: TenantEmulator
) -> None:
    tokens = [get_token(http, emu), get_token(http, emu)]
    emu.expire_tokens()

    assert emu.issued_tokens() == tokens


def test_the_denied_message_is_an_option(http: requests.Session) -> None:
    with TenantEmulator(denied_message="Go away.") as emu:
        response = http.get(emu.url + "api/accounts", timeout=5)

    assert response.json() == {"message": "Go away."}


# -- versions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1", "1.0", "2", "2.0", "2.1", "2.2", "3.0", "latest"])
def test_known_api_versions_are_accepted(
    http: requests.Session, emu: TenantEmulator, version: str
) -> None:
    assert api(http, emu, "GET", "api/accounts/1001", version=version).status_code == 200


@pytest.mark.parametrize("version", ["4", "0.9", "3.1", "3", "v2", "", "newest"])
def test_unknown_api_versions_are_rejected(
    http: requests.Session, emu: TenantEmulator, version: str
) -> None:
    response = api(http, emu, "GET", "api/accounts/1001", version=version)

    assert response.status_code == 400
    assert f"API version '{version}'" in response.json()["message"]


@pytest.mark.parametrize("version", ["1", "2", "2.1", None])
def test_versions_before_2_2_and_no_version_answer_bare_lists(
    http: requests.Session, emu: TenantEmulator, version: str | None
) -> None:
    body = api(http, emu, "GET", "api/accounts", version=version).json()

    assert isinstance(body, list)
    assert len(body) == 25


@pytest.mark.parametrize("version", ["2.2", "3.0", "latest"])
def test_versions_from_2_2_wrap_lists_with_a_total_count(
    http: requests.Session, emu: TenantEmulator, version: str
) -> None:
    body = api(http, emu, "GET", "api/accounts", version=version).json()

    assert list(body) == ["data", "totalCount"]
    assert len(body["data"]) == 25
    assert body["totalCount"] == 57


def test_the_count_field_name_is_an_option(http: requests.Session) -> None:
    with TenantEmulator(count_field="total") as emu:
        body = api(http, emu, "GET", "api/accounts").json()

    assert body["total"] == 57


def test_the_default_api_version_is_an_option(http: requests.Session) -> None:
    with TenantEmulator(default_api_version="3.0") as emu:
        body = api(http, emu, "GET", "api/accounts", version=None).json()

    assert "data" in body


# -- routing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["API/ACCOUNTS/1001", "Api/Accounts/1001", "api/accounts/1001/", "api/aCCounts/1001"]
)
def test_api_routes_are_case_insensitive(
    http: requests.Session, emu: TenantEmulator, path: str
) -> None:
    response = api(http, emu, "GET", path)

    assert response.status_code == 200
    assert response.json()["id"] == 1001


@pytest.mark.parametrize("path", ["OAuth/Token", "OAUTH/TOKEN", "oauth/token/"])
def test_the_token_route_is_case_insensitive(
    http: requests.Session, emu: TenantEmulator, path: str
) -> None:
    response = http.post(emu.url + path, data=PASSWORD_GRANT, auth=CLIENT, timeout=5)

    assert response.status_code == 200


@pytest.mark.parametrize("base_path", ["/bsssmapi", "bsssmapi", "/bsssmapi/"])
def test_a_base_path_holds_both_token_and_api(http: requests.Session, base_path: str) -> None:
    with TenantEmulator(base_path=base_path) as emu:
        assert urlsplit(emu.url).path == "/bsssmapi/"
        assert api(http, emu, "GET", "api/accounts/1001").status_code == 200


@pytest.mark.parametrize("path", ["/api/accounts/1001", "/oauth/token", "/other/api/accounts"])
def test_paths_outside_the_base_path_are_not_found(http: requests.Session, path: str) -> None:
    with TenantEmulator(base_path="/BssSmApi") as emu:
        token = get_token(http, emu)
        root = emu.url.split("/BssSmApi/")[0]
        response = http.post(root + path, headers={"Authorization": f"Bearer {token}"}, timeout=5)

    assert response.status_code == 404
    assert "message" in response.json()


def test_the_base_path_itself_is_case_insensitive(http: requests.Session) -> None:
    with TenantEmulator(base_path="/bsssmapi") as emu:
        upper = emu.url.replace("/bsssmapi/", "/BSSSMAPI/")
        response = http.post(upper + "oauth/token", data=PASSWORD_GRANT, auth=CLIENT, timeout=5)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "api/nothing",
        "api/accounts/abc",
        "api/accounts/1001/unknown",
        "api/subscriptions/not-a-guid/attributes",
        "favicon.ico",
        "",
    ],
)
def test_unknown_routes_are_not_found_in_json(
    http: requests.Session, emu: TenantEmulator, path: str
) -> None:
    response = api(http, emu, "GET", path)

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["message"].startswith("No HTTP resource was found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "api/accounts/1001", "GET"),
        ("PUT", "api/accounts", "GET, POST"),
        ("GET", "api/contacts", "POST"),
        ("POST", "api/invoices", "GET"),
        ("PATCH", "api/accounts/1001/balance", "GET"),
    ],
)
def test_unsupported_verbs_on_known_routes_are_not_allowed(
    http: requests.Session, emu: TenantEmulator, method: str, path: str, allowed: str
) -> None:
    response = api(http, emu, method, path)

    assert response.status_code == 405
    assert response.headers["Allow"] == allowed
    assert response.json() == {
        "message": f"The requested resource does not support http method '{method}'."
    }


def test_an_unknown_http_method_gets_a_json_error(
    http: requests.Session, emu: TenantEmulator
) -> None:
    response = api(http, emu, "BREW", "api/accounts")

    assert response.status_code == 501
    assert "message" in response.json()


# -- accounts ----------------------------------------------------------------------------------


def test_an_account_has_the_camel_case_fields(http: requests.Session, emu: TenantEmulator) -> None:
    account = api(http, emu, "GET", "api/accounts/1001").json()

    assert list(account) == ACCOUNT_FIELDS
    assert account["id"] == 1001
    assert list(account["paymentCard"]) == list(PAYMENT_CARD_FIELDS)


def test_an_unknown_account_is_not_found(http: requests.Session, emu: TenantEmulator) -> None:
    response = api(http, emu, "GET", "api/accounts/999999")

    assert response.status_code == 404
    assert response.json() == {"message": "Account 999999 was not found."}


@pytest.mark.parametrize(
    ("params", "ids"),
    [
        ({}, list(range(1001, 1026))),
        ({"pageIndex": 2}, list(range(1026, 1051))),
        ({"pageIndex": 3}, list(range(1051, 1058))),
        ({"pageIndex": 4}, []),
        ({"pageIndex": 2, "pageSize": 10}, list(range(1011, 1021))),
        ({"PAGEINDEX": 1, "pagesize": 3}, [1001, 1002, 1003]),
    ],
)
def test_accounts_are_paged_from_page_one(
    http: requests.Session, emu: TenantEmulator, params: dict[str, int], ids: list[int]
) -> None:
    body = api(http, emu, "GET", "api/accounts", params=params).json()

    assert [account["id"] for account in body["data"]] == ids
    assert body["totalCount"] == 57


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"pageSize": "abc"}, "pageSize"),
        ({"pageSize": 0}, "pageSize"),
        ({"pageSize": 1001}, "pageSize"),
        ({"pageSize": ""}, "pageSize"),
        ({"pageSize": "2.5"}, "pageSize"),
        ({"pageIndex": 0}, "pageIndex"),
        ({"pageIndex": -1}, "pageIndex"),
        ({"pageIndex": "first"}, "pageIndex"),
    ],
)
def test_bad_paging_parameters_are_invalid(
    http: requests.Session, emu: TenantEmulator, params: dict[str, Any], field: str
) -> None:
    response = api(http, emu, "GET", "api/accounts", params=params)

    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "The request is invalid."
    assert list(body["modelState"]) == [field]
    assert isinstance(body["modelState"][field][0], str)


def test_the_largest_page_size_is_an_option(http: requests.Session) -> None:
    with TenantEmulator(max_page_size=10) as emu:
        response = api(http, emu, "GET", "api/accounts", params={"pageSize": 11})

    assert response.status_code == 400


def test_validation_errors_can_omit_model_state(http: requests.Session) -> None:
    with TenantEmulator(model_state=False) as emu:
        response = api(http, emu, "GET", "api/accounts", params={"pageSize": 0})

    assert response.json() == {"message": "The request is invalid."}


def test_the_accounts_option_sets_how_many_are_seeded(http: requests.Session) -> None:
    with TenantEmulator(accounts=3) as emu:
        body = api(http, emu, "GET", "api/accounts").json()

    assert [account["id"] for account in body["data"]] == [1001, 1002, 1003]


def test_posting_an_account_answers_its_new_integer_id(
    http: requests.Session, emu: TenantEmulator
) -> None:
    response = api(http, emu, "POST", "api/accounts", json={"name": "Created Ltd"})

    assert response.status_code == 200
    assert response.json() == 1058


def test_a_created_account_is_visible_to_later_gets(
    http: requests.Session, emu: TenantEmulator
) -> None:
    new = {"name": "Created Ltd", "email": "ops@created.example.com", "creditLimit": 500}
    account_id = api(http, emu, "POST", "api/accounts", json=new).json()

    account = api(http, emu, "GET", f"api/accounts/{account_id}").json()
    listed = api(http, emu, "GET", "api/accounts", params={"pageIndex": 3}).json()

    assert list(account) == ACCOUNT_FIELDS
    assert account["name"] == "Created Ltd"
    assert account["creditLimit"] == 500.0
    assert listed["totalCount"] == 58
    assert listed["data"][-1] == account


def test_account_json_keys_are_case_insensitive(
    http: requests.Session, emu: TenantEmulator
) -> None:
    new = {"NAME": "Loud Ltd", "WebSite": "https://loud.example.com", "enablereselling": True}
    account_id = api(http, emu, "POST", "api/accounts", json=new).json()

    account = api(http, emu, "GET", f"api/accounts/{account_id}").json()

    assert account["name"] == "Loud Ltd"
    assert account["webSite"] == "https://loud.example.com"
    assert account["enableReselling"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"email": "a@example.com"}, "name", id="no-name"),
        pytest.param({"name": "  "}, "name", id="blank-name"),
        pytest.param({"name": 42}, "name", id="number-name"),
        pytest.param({"name": "X", "creditLimit": "lots"}, "creditLimit", id="text-limit"),
        pytest.param({"name": "X", "enableOrdering": "yes"}, "enableOrdering", id="text-flag"),
        pytest.param(["name"], "account", id="json-list"),
    ],
)
def test_invalid_accounts_are_refused_with_model_state(
    http: requests.Session, emu: TenantEmulator, body: Any, field: str
) -> None:
    response = api(http, emu, "POST", "api/accounts", json=body)

    assert response.status_code == 400
    assert response.json()["message"] == "The request is invalid."
    assert list(response.json()["modelState"]) == [field]


def test_a_body_that_is_not_json_is_refused(http: requests.Session, emu: TenantEmulator) -> None:
    response = api(http, emu, "POST", "api/accounts", data=b"{name: nope")

    assert response.status_code == 400
    assert list(response.json()["modelState"]) == ["account"]


def test_an_account_can_be_created_with_billing_details(
    http: requests.Session, emu: TenantEmulator
) -> None:
    card = {"scheme": "Visa", "cardNumber": "4111111111111111", "holderName": "Ada Byron"}
    new = {"name": "Paying Ltd", "billingIban": "GB82WEST12345698765432", "paymentCard": card}
    account_id = api(http, emu, "POST", "api/accounts", json=new).json()

    account = api(http, emu, "GET", f"api/accounts/{account_id}").json()

    assert account["billingIban"] == "GB82WEST12345698765432"
    assert account["paymentCard"] == card


def test_a_payment_card_that_is_not_an_object_is_refused(
    http: requests.Session, emu: TenantEmulator
) -> None:
    body = {"name": "X", "paymentCard": "4111111111111111"}

    response = api(http, emu, "POST", "api/accounts", json=body)

    assert response.status_code == 400
    assert list(response.json()["modelState"]) == ["paymentCard"]


# -- seed data: personal-data-shaped, synthetic ------------------------------------------------

SEEDED = build_tenant(57, 0)


@pytest.mark.parametrize("account", SEEDED.accounts.values(), ids=lambda a: str(a["id"]))
def test_seeded_addresses_are_on_ordinary_domains_the_gate_takes_for_real(
    account: dict[str, Any],
) -> None:
    domain = account["email"].partition("@")[2]

    assert not is_reserved_email(account["email"])
    assert personal_kind(account["email"]) == "email"
    assert re.fullmatch(r"[a-z]+-mail\.(co\.uk|de|fr|nl|ie|it|at|gr)", domain)
    assert account["webSite"] == f"https://www.{domain}"


@pytest.mark.parametrize("account", SEEDED.accounts.values(), ids=lambda a: str(a["id"]))
def test_seeded_phone_numbers_are_valid_mobiles_written_as_phonenumbers_writes_them(
    account: dict[str, Any],
) -> None:
    number = phonenumbers.parse(account["phone"], None)
    tld = account["email"].rpartition(".")[2]

    assert phonenumbers.is_valid_number(number)
    assert phonenumbers.region_code_for_number(number) == {"uk": "GB"}.get(tld, tld.upper())
    assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    international = phonenumbers.PhoneNumberFormat.INTERNATIONAL
    assert phonenumbers.format_number(number, international) == account["phone"]


@pytest.mark.parametrize("account", SEEDED.accounts.values(), ids=lambda a: str(a["id"]))
def test_seeded_ibans_are_valid_for_the_accounts_country_and_no_pseudonyms(
    account: dict[str, Any],
) -> None:
    country = phonenumbers.region_code_for_number(phonenumbers.parse(account["phone"], None))

    assert iban.is_valid(account["billingIban"])  # with the national checks
    assert account["billingIban"][:2] == country
    assert personal_kind(account["billingIban"]) == "iban"


def test_most_seeded_accounts_have_a_card_on_file_outside_the_test_ranges() -> None:
    cards = [a["paymentCard"] for a in SEEDED.accounts.values() if a["paymentCard"]]

    assert len(SEEDED.accounts) / 2 < len(cards) < len(SEEDED.accounts)
    assert {card["scheme"] for card in cards} == {"Visa", "Mastercard", "American Express"}
    for card in cards:
        assert luhn.is_valid(card["cardNumber"])
        assert personal_kind(card["cardNumber"]) == "card"  # Luhn-valid, no test BIN
        assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", card["holderName"])


def test_subscription_admin_addresses_are_people_at_their_accounts_domain() -> None:
    for guid, attributes in SEEDED.subscriptions.items():
        account = SEEDED.accounts[SEEDED.subscription_accounts[guid]]
        admin = next(a["value"] for a in attributes if a["code"] == "ADMIN_EMAIL")

        assert re.fullmatch(
            r"[a-z]+\.[a-z]+@" + re.escape(account["email"].partition("@")[2]), admin
        )


def test_the_personal_values_do_not_move_the_other_seeded_data() -> None:
    # The personal values have their own random stream; these are the first seeded
    # invoice and 1001's sync options as they were before the values were added.
    assert (SEEDED.invoices[0]["billingAccountId"], SEEDED.invoices[0]["totalAmount"]) == (
        1013,
        3177.58,
    )
    assert SEEDED.sync_options[1001][0]["externalId"] == "23c6612f-4826-4673-a3a7-711a81332876"


# -- sync options and balance ------------------------------------------------------------------


def account_with_sync_options(emu: TenantEmulator) -> int:
    return next(i for i, options in emu.data.sync_options.items() if options)


def test_sync_options_are_listed_per_account(http: requests.Session, emu: TenantEmulator) -> None:
    account_id = account_with_sync_options(emu)

    body = api(http, emu, "GET", f"api/accounts/{account_id}/syncoptions").json()

    assert body["data"] == emu.data.sync_options[account_id]
    assert body["totalCount"] == len(body["data"])
    assert set(body["data"][0]) == {"systemCode", "externalId", "enabled", "lastSyncDate"}


def test_sync_options_are_a_bare_list_before_2_2(
    http: requests.Session, emu: TenantEmulator
) -> None:
    account_id = account_with_sync_options(emu)

    body = api(http, emu, "GET", f"api/accounts/{account_id}/syncOptions", version="2.1").json()

    assert body == emu.data.sync_options[account_id]


def test_one_systems_sync_options_are_found_by_code_in_any_case(
    http: requests.Session, emu: TenantEmulator
) -> None:
    account_id = account_with_sync_options(emu)
    option = emu.data.sync_options[account_id][0]
    path = f"api/accounts/{account_id}/syncoptions/{option['systemCode'].lower()}"

    assert api(http, emu, "GET", path).json() == option


@pytest.mark.parametrize(
    "path",
    [
        "api/accounts/{account}/syncoptions/NOSUCHSYSTEM",
        "api/accounts/999999/syncoptions",
        "api/accounts/999999/syncoptions/MSCSP",
        "api/accounts/999999/balance",
    ],
)
def test_sync_options_and_balance_of_unknown_things_are_not_found(
    http: requests.Session, emu: TenantEmulator, path: str
) -> None:
    response = api(http, emu, "GET", path.format(account=account_with_sync_options(emu)))

    assert response.status_code == 404
    assert list(response.json()) == ["message"]


def test_the_balance_adds_up(http: requests.Session, emu: TenantEmulator) -> None:
    account_id = next(i["billingAccountId"] for i in emu.data.invoices if i["stage"] == "Posted")

    balance = api(http, emu, "GET", f"api/accounts/{account_id}/balance").json()

    assert balance["accountId"] == account_id
    assert balance["debitInvoicesTotal"] > 0
    expected = (
        balance["debitInvoicesTotal"] - balance["creditInvoicesTotal"] - balance["paymentsTotal"]
    )
    assert balance["balance"] == pytest.approx(expected, abs=0.01)


def test_a_new_account_has_a_zero_balance(http: requests.Session, emu: TenantEmulator) -> None:
    account_id = api(http, emu, "POST", "api/accounts", json={"name": "New"}).json()

    balance = api(http, emu, "GET", f"api/accounts/{account_id}/balance").json()

    assert balance["balance"] == balance["paymentsTotal"] == balance["debitInvoicesTotal"] == 0


# -- invoices ----------------------------------------------------------------------------------


def test_invoices_come_wrapped_in_data_with_their_fields(
    http: requests.Session, emu: TenantEmulator
) -> None:
    body = api(http, emu, "GET", "api/invoices", version="1").json()

    assert list(body) == ["data"]
    assert len(body["data"]) == 25
    assert all(list(invoice) == INVOICE_FIELDS for invoice in body["data"])


def test_invoices_since_a_date_newest_first(http: requests.Session, emu: TenantEmulator) -> None:
    params = {"invoiceDate": "2025-06-01", "sort": "invoiceDate", "order": "desc", "size": 1000}

    data = api(http, emu, "GET", "api/invoices", params=params).json()["data"]

    dates = [invoice["date"] for invoice in data]
    assert dates == sorted(dates, reverse=True)
    assert min(dates) >= "2025-06-01"
    assert len(data) == sum(1 for i in emu.data.invoices if i["date"] >= "2025-06-01")


def test_invoice_size_limits_how_many_come_back(
    http: requests.Session, emu: TenantEmulator
) -> None:
    data = api(http, emu, "GET", "api/invoices", params={"size": 3}).json()["data"]

    assert [invoice["id"] for invoice in data] == [i["id"] for i in emu.data.invoices[:3]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"invoiceDate": "yesterday"}, "invoiceDate"),
        ({"sort": "colour"}, "sort"),
        ({"order": "sideways"}, "order"),
        ({"size": 0}, "size"),
        ({"size": "many"}, "size"),
    ],
)
def test_bad_invoice_parameters_are_invalid(
    http: requests.Session, emu: TenantEmulator, params: dict[str, Any], field: str
) -> None:
    response = api(http, emu, "GET", "api/invoices", params=params)

    assert response.status_code == 400
    assert list(response.json()["modelState"]) == [field]


# -- contacts and subscriptions ----------------------------------------------------------------


def test_posting_a_contact_answers_its_new_integer_id(
    http: requests.Session, emu: TenantEmulator
) -> None:
    contact = {"accountId": 1001, "firstName": "Ada", "lastName": "Byron", "EMAIL": "a@example.com"}

    response = api(http, emu, "POST", "api/contacts", json=contact)

    assert response.status_code == 200
    contact_id = response.json()
    assert isinstance(contact_id, int)
    assert emu.data.contacts[contact_id]["email"] == "a@example.com"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"email": "a@example.com"}, "lastName", id="no-last-name"),
        pytest.param({"lastName": "Byron"}, "email", id="no-email"),
        pytest.param(
            {"lastName": "B", "email": "e", "accountId": 999999}, "accountId", id="unknown-account"
        ),
        pytest.param(
            {"lastName": "B", "email": "e", "accountId": "1001"}, "accountId", id="text-account"
        ),
    ],
)
def test_invalid_contacts_are_refused_with_model_state(
    http: requests.Session, emu: TenantEmulator, body: dict[str, Any], field: str
) -> None:
    response = api(http, emu, "POST", "api/contacts", json=body)

    assert response.status_code == 400
    assert list(response.json()["modelState"]) == [field]


def test_subscription_attributes_are_listed(http: requests.Session, emu: TenantEmulator) -> None:
    guid, attributes = next(iter(emu.data.subscriptions.items()))

    body = api(http, emu, "GET", f"api/subscriptions/{guid.upper()}/attributes").json()

    assert body == {"attributes": attributes}
    assert all(set(a) == {"id", "name", "value", "code"} for a in attributes)


def test_an_unknown_subscription_is_not_found(http: requests.Session, emu: TenantEmulator) -> None:
    response = api(http, emu, "GET", f"api/subscriptions/{UNKNOWN_GUID}/attributes")

    assert response.status_code == 404
    assert response.json() == {"message": f"Subscription {UNKNOWN_GUID} was not found."}


# -- faults ------------------------------------------------------------------------------------


def test_a_fault_answers_once_then_the_api_is_back(
    http: requests.Session, emu: TenantEmulator
) -> None:
    token = get_token(http, emu)
    emu.inject_fault("api/accounts", status=500, body="<html>Server Error</html>")

    faulted = api(http, emu, "GET", "api/accounts/1001", token=token)
    normal = api(http, emu, "GET", "api/accounts/1001", token=token)

    assert faulted.status_code == 500
    assert faulted.headers["Content-Type"] == "text/html"
    assert faulted.text == "<html>Server Error</html>"
    assert normal.status_code == 200


def test_a_fault_answers_as_many_times_as_asked(
    http: requests.Session, emu: TenantEmulator
) -> None:
    token = get_token(http, emu)
    emu.inject_fault("API/Accounts", status=503, times=2)

    statuses = [api(http, emu, "GET", "api/accounts", token=token).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]


def test_a_fault_without_times_lasts_until_cleared(
    http: requests.Session, emu: TenantEmulator
) -> None:
    token = get_token(http, emu)
    emu.inject_fault("api/", status=403, body='{"message":"Rate limit"}', times=None)

    during = [api(http, emu, "GET", "api/invoices", token=token).status_code for _ in range(4)]
    emu.clear_faults()

    assert during == [403] * 4
    assert api(http, emu, "GET", "api/invoices", token=token).status_code == 200


def test_a_fault_only_matches_its_prefix(http: requests.Session, emu: TenantEmulator) -> None:
    token = get_token(http, emu)
    emu.inject_fault("api/invoices", status=500)

    assert api(http, emu, "GET", "api/accounts/1001", token=token).status_code == 200
    assert api(http, emu, "GET", "api/invoices", token=token).status_code == 500


def test_a_token_fault_can_send_json_without_an_access_token(
    http: requests.Session, emu: TenantEmulator
) -> None:
    emu.inject_fault(
        "oauth/token", status=200, body='{"token_type":"bearer"}', content_type="application/json"
    )

    response = token_response(http, emu)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"token_type": "bearer"}


def test_a_fault_can_deny_a_fresh_token(http: requests.Session, emu: TenantEmulator) -> None:
    token = get_token(http, emu)
    emu.inject_fault(
        "api/accounts",
        status=401,
        body='{"message":"Authorization has been denied for this request."}',
        content_type="application/json; charset=utf-8",
        headers={"WWW-Authenticate": "Bearer"},
    )

    denied = api(http, emu, "GET", "api/accounts/1001", token=token)
    retried = api(http, emu, "GET", "api/accounts/1001", token=token)

    assert denied.status_code == 401
    assert denied.headers["WWW-Authenticate"] == "Bearer"
    assert retried.status_code == 200


def test_a_delayed_fault_provokes_a_client_timeout(
    http: requests.Session, emu: TenantEmulator
) -> None:
    emu.inject_fault("oauth/token", status=200, delay=2.0)

    with pytest.raises(requests.Timeout):
        http.post(emu.url + "oauth/token", data=PASSWORD_GRANT, auth=CLIENT, timeout=0.2)


def test_a_fault_can_send_a_huge_body(http: requests.Session, emu: TenantEmulator) -> None:
    emu.inject_fault("api/accounts", status=200, body=b"x" * 5_000_000)

    response = api(http, emu, "GET", "api/accounts")

    assert len(response.content) == 5_000_000


def test_faulted_requests_still_count(http: requests.Session, emu: TenantEmulator) -> None:
    emu.inject_fault("oauth/token", times=None)
    emu.inject_fault("api/", times=None)

    token_response(http, emu)
    api(http, emu, "GET", "api/accounts", token="whatever")

    assert (emu.token_requests, emu.api_requests) == (1, 1)


@pytest.mark.parametrize(("times", "delay"), [(0, 0.0), (-1, 0.0), (1, -0.5)])
def test_impossible_faults_are_refused(emu: TenantEmulator, times: int, delay: float) -> None:
    with pytest.raises(ValueError, match="must"):
        emu.inject_fault("api/", times=times, delay=delay)


# -- gzip, cookies, keep-alive -----------------------------------------------------------------


def raw_get(emu: TenantEmulator, path: str, headers: dict[str, str]) -> HTTPResponse:
    parts = urlsplit(emu.url)
    connection = HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        connection.request("GET", parts.path + path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response
    finally:
        connection.close()


def test_gzip_compresses_the_token_response_when_accepted(http: requests.Session) -> None:
    with TenantEmulator(gzip=True) as emu:
        response = token_response(http, emu, stream=True)
        raw = response.raw.read(decode_content=False)
        response.close()

    assert response.headers["Content-Encoding"] == "gzip"
    assert b"access_token" in gzip.decompress(raw)
    assert int(response.headers["Content-Length"]) == len(raw)


def test_gzip_compresses_api_responses_when_accepted(http: requests.Session) -> None:
    with TenantEmulator(gzip=True) as emu:
        response = api(http, emu, "GET", "api/accounts")

    assert response.headers["Content-Encoding"] == "gzip"
    assert response.json()["totalCount"] == 57


@pytest.mark.parametrize("accept_encoding", ["identity", "gzip;q=0", "br", None])
def test_gzip_is_skipped_when_the_client_does_not_accept_it(
    accept_encoding: str | None,
) -> None:
    headers = {} if accept_encoding is None else {"Accept-Encoding": accept_encoding}
    with TenantEmulator(gzip=True) as emu:
        response = raw_get(emu, "api/nothing", headers)

    assert response.getheader("Content-Encoding") is None


def test_responses_are_not_compressed_by_default(
    http: requests.Session, emu: TenantEmulator
) -> None:
    assert "Content-Encoding" not in token_response(http, emu).headers


@pytest.mark.parametrize("path", ["oauth/token", "api/accounts/1001", "api/nothing"])
def test_the_session_cookie_option_sets_an_asp_net_cookie_on_every_response(
    http: requests.Session, path: str
) -> None:
    with TenantEmulator(session_cookie=True) as emu:
        response = raw_get(emu, path, {})

    cookie = response.getheader("Set-Cookie") or ""
    assert re.fullmatch(r"ASP\.NET_SessionId=[a-z0-5]{24}; path=/; HttpOnly", cookie)


def test_no_cookie_is_set_by_default(emu: TenantEmulator) -> None:
    assert raw_get(emu, "api/accounts", {}).getheader("Set-Cookie") is None


def test_one_connection_serves_many_requests(http: requests.Session, emu: TenantEmulator) -> None:
    headers = {"Authorization": f"Bearer {get_token(http, emu)}"}
    parts = urlsplit(emu.url)
    connection = HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        statuses, sockets = [], set()
        for method, path in [("GET", "api/accounts/1001"), ("DELETE", "api/x"), ("GET", "api")]:
            connection.request(method, parts.path + path, headers=headers)
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
            sockets.add(id(connection.sock))
    finally:
        connection.close()

    assert statuses == [200, 404, 404]
    assert len(sockets) == 1


# -- counters ----------------------------------------------------------------------------------


def test_the_counters_count_token_and_api_requests(
    http: requests.Session, emu: TenantEmulator
) -> None:
    token = get_token(http, emu)
    token_response(http, emu, auth=("bad", "client"))
    api(http, emu, "GET", "api/accounts", token=token)
    api(http, emu, "GET", "api/accounts", token="expired")
    http.get(emu.url + "elsewhere", timeout=5)

    assert (emu.token_requests, emu.api_requests) == (2, 2)


def test_reset_counts_starts_the_counters_again(
    http: requests.Session, emu: TenantEmulator
) -> None:
    api(http, emu, "GET", "api/accounts")

    emu.reset_counts()

    assert (emu.token_requests, emu.api_requests) == (0, 0)


def test_the_counters_are_exact_under_concurrent_requests(emu: TenantEmulator) -> None:
    def work(_: int) -> int:
        with requests.Session() as session:
            return api(session, emu, "GET", "api/accounts/1001").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(work, range(40)))

    assert statuses == [200] * 40
    assert (emu.token_requests, emu.api_requests) == (40, 40)


# -- determinism and lifecycle -----------------------------------------------------------------


def all_accounts(http: requests.Session, emu: TenantEmulator) -> Any:
    return api(http, emu, "GET", "api/accounts", params={"pageSize": 1000}).json()["data"]


def test_the_same_seed_gives_identical_data(http: requests.Session) -> None:
    with TenantEmulator(seed=7) as first, TenantEmulator(seed=7) as second:
        assert all_accounts(http, first) == all_accounts(http, second)
        assert first.data == second.data


def test_another_seed_gives_other_data(http: requests.Session) -> None:
    with TenantEmulator(seed=7) as first, TenantEmulator(seed=8) as second:
        assert all_accounts(http, first) != all_accounts(http, second)


def test_the_emulator_logs_nothing_per_request(
    http: requests.Session, emu: TenantEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    api(http, emu, "GET", "api/accounts")
    api(http, emu, "GET", "api/nothing")
    raw_get(emu, "api/accounts", {})

    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize(
    "options",
    [
        {"default_api_version": "4"},
        {"accounts": -1},
        {"max_page_size": 0},
        {"expires_in": -5},
        {"token_length": 0},
    ],
)
def test_impossible_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must"):
        TenantEmulator(**options)


def test_the_url_is_the_base_with_a_trailing_slash(emu: TenantEmulator) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", emu.url)


def test_the_url_needs_a_started_emulator() -> None:
    with pytest.raises(RuntimeError, match="start"):
        _ = TenantEmulator().url


def test_starting_twice_is_refused(emu: TenantEmulator) -> None:
    with pytest.raises(RuntimeError, match="already running"):
        emu.start()


def test_stop_releases_the_port_and_is_idempotent(http: requests.Session) -> None:
    emu = TenantEmulator().start()
    url = emu.url

    emu.stop()
    emu.stop()

    with pytest.raises(requests.ConnectionError):
        http.get(url + "api/accounts", timeout=2)


def test_config_carries_the_demo_credentials(emu: TenantEmulator) -> None:
    config = emu.config(api_version="2.1")

    assert isinstance(config, BssConfig)
    assert config.base_url == emu.url
    assert config.secrets() == {
        "client_key": DEMO_CLIENT_KEY,
        "client_secret": DEMO_CLIENT_SECRET,
        "username": DEMO_USERNAME,
        "password": DEMO_PASSWORD,
    }
    assert config.api_version == "2.1"


def test_the_demo_credentials_have_a_realistic_shape() -> None:
    assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", DEMO_CLIENT_KEY)
    assert len(DEMO_CLIENT_SECRET) == 44
    assert len(base64.b64decode(DEMO_CLIENT_SECRET, validate=True)) == 32
    assert set("/+=") <= set(DEMO_CLIENT_SECRET)
    assert DEMO_USERNAME == "demo.api@example.com"
    assert re.search(r"[^\w\s]", DEMO_PASSWORD)


def test_the_emulator_repr_shows_no_secret(emu: TenantEmulator) -> None:
    assert repr(emu) == f"<TenantEmulator {emu.url}>"


# -- python -m pytest_bss.fake -----------------------------------------------------------------


@contextmanager
def run_module(*args: str) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    """Run ``python -m pytest_bss.fake``; yield it and its exported settings; always kill it."""
    command = [sys.executable, "-m", "pytest_bss.fake", "--port", "0", *args]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        watchdog = threading.Timer(30, process.kill)  # never hang the suite on readline()
        watchdog.start()
        try:
            assert process.stdout is not None
            exported = {}
            for _ in range(5):
                word, assignment = shlex.split(process.stdout.readline())
                assert word == "export"
                name, _, value = assignment.partition("=")
                exported[name] = value
            yield process, exported
        finally:
            watchdog.cancel()
            if process.poll() is None:
                process.kill()


def test_the_module_prints_export_lines_for_its_url_and_demo_credentials(
    http: requests.Session,
) -> None:
    with run_module() as (_, exported):
        assert exported == {
            "BSS_BASE_URL": exported["BSS_BASE_URL"],
            "BSS_CLIENT_KEY": DEMO_CLIENT_KEY,
            "BSS_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "BSS_USERNAME": DEMO_USERNAME,
            "BSS_PASSWORD": DEMO_PASSWORD,
        }
        config = BssConfig.from_env(exported)
        response = http.post(
            config.token_url,
            data={
                "grant_type": "password",
                "username": config.username,
                "password": config.password,
            },
            auth=(config.client_key, config.client_secret),
            timeout=5,
        )

    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", exported["BSS_BASE_URL"])
    assert response.status_code == 200


def test_the_module_takes_base_path_and_expires_in(http: requests.Session) -> None:
    with run_module("--base-path", "/bsssmapi", "--expires-in", "60") as (_, exported):
        base = exported["BSS_BASE_URL"]
        response = http.post(base + "oauth/token", data=PASSWORD_GRANT, auth=CLIENT, timeout=5)

    assert base.endswith("/bsssmapi/")
    assert response.json()["expires_in"] == 60


def test_the_module_exits_cleanly_on_sigterm() -> None:
    with run_module() as (process, _):
        process.terminate()
        returncode = process.wait(timeout=10)

    assert returncode == 0


# -- the route table and docs/emulator.md ------------------------------------------------------

DOCS = Path(__file__).resolve().parents[1] / "docs" / "emulator.md"


def test_docs_emulator_md_shows_the_route_table_the_emulator_serves() -> None:
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("\n", text.index("<!-- routes:")) + 1
    end = text.index("<!-- end of routes -->")

    assert text[start:end] == routes_markdown(), (
        "docs/emulator.md is out of date: paste the output of `pytest-bss emulator --routes` "
        "between its route markers"
    )


def test_the_route_table_names_each_method_and_path_once_and_a_handler_for_it() -> None:
    assert len({(route.method, route.path) for route in ROUTES}) == len(ROUTES)
    for route in ROUTES:
        assert callable(getattr(TenantEmulator, route.handler)), route
        assert route.answers.strip(), route
        assert "\n" not in route.answers, route


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.method} {route.shown_path}")
def test_every_route_in_the_table_is_served(
    http: requests.Session, emu: TenantEmulator, route: Route
) -> None:
    account_id = next(i for i, options in emu.data.sync_options.items() if options)
    values = {
        "id": str(account_id),
        "system": emu.data.sync_options[account_id][0]["systemCode"],
        "guid": next(iter(emu.data.subscriptions)),
    }
    path = re.sub(r"\{(\w+)\}", lambda m: values[m[1]], route.shown_path)
    if route is ROUTES[0]:
        response = token_response(http, emu)
    elif route.method == "POST":
        body = {"name": "Route Ltd", "lastName": "Route", "email": "route@example.com"}
        response = api(http, emu, route.method, path, json=body)
    else:
        response = api(http, emu, route.method, path)

    assert response.status_code == 200, response.text


def test_a_method_the_table_does_not_list_for_a_path_is_405(
    http: requests.Session, emu: TenantEmulator
) -> None:
    response = api(http, emu, "DELETE", "api/invoices")

    assert response.status_code == 405
    listed = {route.method for route in ROUTES if route.shown_path == "api/invoices"}
    assert set(response.headers["Allow"].split(", ")) == listed
