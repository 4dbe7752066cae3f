"""Unit tests of pytest_bss.catalogue: every entry, positive and negative.

Every credential here is a synthetic look-alike of the right shape, built by
concatenation so that no secret scanner mistakes this file for a leak.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cassette_data import cassette

from pytest_bss.audit import audit_data, audit_report
from pytest_bss.catalogue import (
    cookie_kind,
    form_field_kind,
    header_kind,
    is_masked,
    is_placeholder_value,
    json_field_kind,
    looks_random,
    not_secret_field,
    secret_field_kind,
)
from pytest_bss.scrub import SecretSet, find_structural_leaks, scrub_interactions
from pytest_bss.shapes import find_shapes

RANDOM = "q7Xr2Lk9Vb4Nz8Tw3Hs6Jd1Mf5Pc0Ga"  # 31 mixed characters, no known shape
B62 = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # 36


def jwt() -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': '1001'})}.c2lnbmF0dXJlLXg5"


SHAPED = {
    "github_token": "gh" + "p_" + B62,
    "gitlab_token": "gl" + "pat-" + "x7Yz2Wq9Rt4Uv8Po3Lk1",
    "slack_token": "xo" + "xb-" + "1234567890-0987654321-" + "aB3dE5fG7hJ9kL1m",
    "stripe_key": "sk" + "_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "aws_access_key_id": "AK" + "IA" + "Q3EGRT7WZB4NXK2P",
    "google_api_key": "AI" + "za" + "SyD4x9Kq2Lm7Nv3Bc8Xz1Wq5Er6Ty0Ui9Op",
    "npm_token": "np" + "m_" + B62,
    "sendgrid_key": "SG" + "." + "aB3dE5fG7hJ9kL1mN2pQ4r" + "." + RANDOM + "Zy9Xw8Vu7Ts9",
    "jwt": jwt(),
}


# --- placeholders ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "<ACCESS_TOKEN>",
        "<your-api-key>",
        "[REDACTED]",
        "[FILTERED]",
        "{{token}}",
        "${API_KEY}",
        "$GITHUB_TOKEN",
        "xxx",
        "XXXX-XXXX",
        "****",
        "***",
        "****1234",
        "REDACTED",
        "SANITIZED_ACCESS_TOKEN",
        "myAPIToken",
        "YOUR_TOKEN_HERE",
        "token",
        "dummy",
        "fake",
        "test",
        "secret",
        "password",
        "foo",
        "0000",
        "changeme",
    ],
)
def test_another_tools_placeholder_is_masked(value: str) -> None:
    assert is_masked(value)


@pytest.mark.parametrize(
    "value",
    [
        "hunter2",
        "Summer2024",
        "abc123",
        RANDOM,
        "Corr3ct-Horse/Battery+Staple",
        "s3cret",
        "<BSS_PASSWORD>",  # ours: not "masked by another tool"
        "",
        "====",
    ],
)
def test_a_value_that_is_not_another_tools_placeholder_is_not_masked(value: str) -> None:
    assert not is_masked(value)


def test_placeholder_words_do_not_mask_a_user_name() -> None:
    assert is_placeholder_value("test")
    assert not is_placeholder_value("test", words=False)
    assert is_placeholder_value("<USERNAME>", words=False)


@pytest.mark.parametrize("value", ["", "  ", None, True, "<BSS_ACCESS_TOKEN_1>", "REDACTED"])
def test_empty_ours_and_masked_values_are_no_credential(value: object) -> None:
    assert is_placeholder_value(value)


# --- randomness -----------------------------------------------------------------------


@pytest.mark.parametrize("value", [RANDOM, "9f86d081884c7d659a2feaa0c55ad015", B62])
def test_generated_secrets_look_random(value: str) -> None:
    assert looks_random(value)


@pytest.mark.parametrize(
    "value",
    [
        "7c9e6679-7425-40de-944b-e07fc1f90ae7",  # a UUID: an id
        "2026-12-01T22:29:10Z",
        "debitInvoicesTotal",
        "application/json",
        "https://bss.tenant.invalid/api/x",
        "short1A",
        "1234567890123456789",
        "ACC-0001",
        "GB82WEST12345698765432",  # an IBAN: personal data, judged by audit --personal-data
        "DE88000031237370044941",  # a pseudonymous one
    ],
)
def test_ids_dates_words_and_urls_do_not_look_random(value: str) -> None:
    assert not looks_random(value)


# --- headers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("X-Api-Key", "api_key"),
        ("Api-Key", "api_key"),
        ("x-goog-api-key", "api_key"),
        ("Ocp-Apim-Subscription-Key", "api_key"),
        ("Private-Token", "api_key"),
        ("X-Auth-Token", "access_token"),
        ("X-Access-Token", "access_token"),
        ("X-Vault-Token", "access_token"),
        ("X-Shopify-Access-Token", "access_token"),
        ("x-amz-security-token", "session"),
        ("X-SecurityCenter", "session"),
        ("X-Tableau-Auth", "session"),
        ("X-Emby-Session", "session"),
        ("X-Webhook-Secret", "api_key"),
    ],
)
def test_token_headers_are_credential_positions(name: str, kind: str) -> None:
    assert header_kind(name) == kind


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",  # scheme + credentials: its own rule
        "Cookie",
        "X-CSRF-Token",
        "X-XSRF-TOKEN",
        "X-Request-Id",
        "X-Api-Version",
        "ETag",
        "Content-Type",
        "X-Next-Page-Token",
        "X-RateLimit-Remaining",
    ],
)
def test_other_headers_are_not_token_headers(name: str) -> None:
    assert header_kind(name) is None


# --- cookies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("session", "abc"),
        ("sessionid", "k3x9"),
        ("sid", "x"),
        ("JSESSIONID", "0A1B2C3D"),
        ("connect.sid", "s%3Aabc.def"),
        ("_myapp_session", "v1"),
        (".ASPXAUTH", "0102"),
        ("auth_token", "zz9"),
    ],
)
def test_credential_cookies_by_name(name: str, value: str) -> None:
    assert cookie_kind(name, value) == "credential"


def test_a_random_cookie_of_another_name_is_a_credential_unless_it_names_a_visitor() -> None:
    assert cookie_kind("prefs", RANDOM) == "credential"
    assert cookie_kind("esctx", RANDOM) == "credential"  # Microsoft's sign-in session context
    assert cookie_kind("dzr_uniq_id", RANDOM) == "tracking"  # a visitor id
    assert cookie_kind("visitor_id", RANDOM) == "tracking"
    assert cookie_kind("ADRUM_BT", RANDOM) == "tracking"  # AppDynamics
    assert cookie_kind("session_uuid", RANDOM) == "credential"  # a session's word wins


@pytest.mark.parametrize(
    "name",
    [
        "__cfduid",
        "__cf_bm",
        "AWSALB",
        "AWSALBCORS",
        "_ga",
        "_ga_ABC123",
        "_gid",
        "_gat",
        "NID",
        "ARRAffinity",
        "BIGipServerpool",
        "csrftoken",
        "XSRF-TOKEN",
    ],
)
def test_tracking_routing_and_csrf_cookies_are_never_credentials(name: str) -> None:
    assert cookie_kind(name, RANDOM) == "tracking"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("lang", "english", "other"),
        ("lang", "en", None),  # too short to hide anything
        ("Path", "/", None),  # a Set-Cookie attribute sent back in a Cookie header
        ("session", "REDACTED", "masked"),
        ("session", "<BSS_COOKIE_1>", None),
        ("session", "", None),
    ],
)
def test_other_cookies(name: str, value: str, expected: str | None) -> None:
    assert cookie_kind(name, value) == expected


# --- fields ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("password", "password"),
        ("passwd", "password"),
        ("newPassword", "password"),
        ("tempPassword", "password"),
        ("client_secret", "client_secret"),
        ("secret", "secret"),
        ("webhook_secret", "secret"),
        ("aws_secret_access_key", "secret"),
        ("token", "access_token"),
        ("access_token", "access_token"),
        ("authToken", "access_token"),
        ("session_token", "access_token"),
        ("refresh_token", "refresh_token"),
        ("id_token", "id_token"),
        ("api_key", "api_key"),
        ("apikey", "api_key"),
        ("apiKey", "api_key"),
        ("X-Api-Key", "api_key"),
        ("device_code", "code"),
        ("user_code", "code"),
        ("private_key", "secret"),
        ("sessionId", "session"),
    ],
)
def test_secret_fields_by_name_and_suffix(name: str, kind: str) -> None:
    assert secret_field_kind(name) == kind
    assert json_field_kind(name) == kind


@pytest.mark.parametrize(
    "name",
    [
        "code",  # BSS account codes
        "id",
        "name",
        "token_type",
        "expires_in",
        "csrf_token",
        "csrfmiddlewaretoken",
        "authenticity_token",
        "nextPageToken",
        "NextToken",
        "continuationToken",
        "max_tokens",
        "secretName",
        "key",  # only in a query string, with a random value
        "X-Request-Id",
        "ETag",
    ],
)
def test_fields_that_are_not_secrets(name: str) -> None:
    assert secret_field_kind(name) is None


def test_key_is_an_api_key_only_in_a_query_and_only_when_random() -> None:
    assert form_field_kind("key", oauth=False, query=True, value=RANDOM) == "api_key"
    assert form_field_kind("key", oauth=False, query=True, value="name") is None
    assert form_field_kind("key", oauth=False, query=False, value=RANDOM) is None


def test_code_is_a_credential_only_in_an_oauth_form() -> None:
    assert form_field_kind("code", oauth=True) == "code"
    assert form_field_kind("code", oauth=False) is None


@pytest.mark.parametrize("name", ["id", "accountId", "etag", "contentHash", "webSite", "nextUrl"])
def test_id_hash_and_url_fields_are_not_even_suspicious(name: str) -> None:
    assert not_secret_field(name) or name == "webSite"


# --- shapes ---------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "value"), list(SHAPED.items()))
def test_token_shapes_are_found_in_any_text(kind: str, value: str) -> None:
    text = f"<html><p>leaked: {value} (see patch)</p></html>"

    assert [(shape.kind, found) for shape, found in find_shapes(text)] == [(kind, value)]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"curl -H 'Authorization: Bearer {RANDOM}'", "bearer_token"),
        ("Basic " + base64.b64encode(b"svc-user:Q9z!x7Lp").decode(), "basic_credentials"),
        (
            "aws_secret_access_key = " + "wJalrXUtnFEMI" + "/K7MDENG/bPxRfiCYzq8Xw3Lk9V",
            "aws_secret_access_key",
        ),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA"
            + RANDOM
            + "\n-----END RSA PRIVATE KEY-----",
            "private_key",
        ),
        ("SSWS " + "00" + RANDOM, "okta_token"),
    ],
)
def test_scheme_and_context_shapes_are_found(text: str, kind: str) -> None:
    assert kind in {shape.kind for shape, _ in find_shapes(text)}


@pytest.mark.parametrize(
    "text",
    [
        "Use Bearer authentication",
        "Bearer <ACCESS_TOKEN>",
        "Bearer YOUR_TOKEN_HERE",
        "SSWS myAPIToken",
        "Basic " + base64.b64encode(b"user:password").decode(),
        "AK" + "IA" + "IOSFODNN7EXAMPLE",  # AWS's documentation example
        "ghp_" + "x" * 36,
        "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
        "task-list sk-learn",
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOC\n-----END PUBLIC KEY-----",
    ],
)
def test_prose_placeholders_and_examples_are_not_shapes(text: str) -> None:
    assert list(find_shapes(text)) == []


# --- scrub and audit agree ------------------------------------------------------------


CREDENTIAL_CASSETTES = {
    "x-api-key": cassette(request_headers={"X-Api-Key": [RANDOM]}),
    "x-auth-token, short": cassette(request_headers={"X-Auth-Token": ["k9"]}),
    "x-tableau-auth": cassette(response_headers={"X-Tableau-Auth": ["Zq8" + RANDOM]}),
    "amz security token": cassette(request_headers={"x-amz-security-token": [RANDOM + "=="]}),
    "session cookie": cassette(response_headers={"Set-Cookie": ["sessionid=k3x9; Path=/"]}),
    "query api_key": cassette(uri=f"https://api.example.test/v1/x?api_key={RANDOM}&q=1"),
    "query key": cassette(uri=f"https://maps.example.test/geo?key={RANDOM}"),
    "query access_token": cassette(uri="https://api.example.test/me?access_token=t0k3n9"),
    "form client_secret": cassette(request_body="client_id=app&client_secret=Qx9zL2"),
    "json apiKey": cassette(response_body=json.dumps({"apiKey": "k-9z"})),
    "json tempPassword": cassette(response_body=json.dumps({"user": {"tempPassword": "Q1w"}})),
    "json webhook secret": cassette(response_body=json.dumps({"signing_secret": "Zz9"})),
    "json device_code": cassette(response_body=json.dumps({"device_code": "GmRh-mJx"})),
    "json authToken": cassette(response_body=json.dumps({"authToken": "9x"})),
    "url in json": cassette(
        response_body=json.dumps({"next": "https://x.example.test/?access_token=Zk9q2"})
    ),
    **{
        f"shape {kind}": cassette(response_body=f"<pre>diff\n+ value: {value}\n</pre>")
        for kind, value in SHAPED.items()
    },
    "shape in a header": cassette(response_headers={"X-Debug": [f"key {SHAPED['github_token']}"]}),
    "shape percent-encoded in the uri": cassette(
        uri="https://x.example.test/cb?note=Basic%20"
        + base64.b64encode(b"svc-user:Q9z!x7Lp").decode().replace("=", "%3D")
    ),
}


@pytest.mark.parametrize("data", CREDENTIAL_CASSETTES.values(), ids=CREDENTIAL_CASSETTES.keys())
def test_audit_finds_a_credential_and_scrub_removes_it(data: dict[str, Any]) -> None:
    assert [f.confidence for f in audit_data(data, SecretSet())] != []

    scrubbed, count = scrub_interactions(data, SecretSet())

    assert count >= 1
    assert audit_data(scrubbed, SecretSet()) == []
    assert find_structural_leaks(scrubbed) == []
    assert RANDOM not in json.dumps(scrubbed)


def test_a_random_cookie_of_an_unknown_name_is_found_and_scrub_removes_it() -> None:
    data = cassette(request_headers={"Cookie": [f"_ga=GA1.2.3; prefs={RANDOM}"]})

    scrubbed, count = scrub_interactions(data, SecretSet())

    assert [(f.place, f.what) for f in audit_data(data, SecretSet())] == [
        ("request.headers.Cookie", "cookie value")
    ]
    assert count == 1
    assert audit_data(scrubbed, SecretSet()) == []
    assert RANDOM not in json.dumps(scrubbed)


CLEAN_CASSETTES = {
    "placeholders of other tools": cassette(
        request_headers={
            "Authorization": ["Bearer <ACCESS_TOKEN>"],
            "X-Api-Key": ["REDACTED"],
            "Cookie": ["session=****"],
        },
        uri="https://api.example.test/v1/x?api_key=XXXX&key=abc",
        response_body=json.dumps(
            {"access_token": "SANITIZED_TOKEN", "password": "[FILTERED]", "secret": "dummy"}
        ),
    ),
    "okta placeholder": cassette(request_headers={"Authorization": ["SSWS myAPIToken"]}),
    "tracking cookies": cassette(
        response_headers={
            "Set-Cookie": [
                f"__cfduid={RANDOM}; path=/",
                f"AWSALB={RANDOM}; Path=/",
                f"AWSALBCORS={RANDOM}; SameSite=None",
                f"_ga={RANDOM}",
            ]
        }
    ),
    "csrf": cassette(
        request_headers={"X-CSRF-Token": [RANDOM]},
        request_body=f"csrfmiddlewaretoken={RANDOM}&name=x",
    ),
    "bss ordinary fields": cassette(
        response_headers={"X-Request-Id": [RANDOM], "ETag": [f'"{RANDOM}"']},
        response_body=json.dumps(
            {
                "id": 1001,
                "code": "ACC-0001",
                "name": "Contoso Ltd",
                "totalAmount": 1250.5,
                "subscriptionId": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                "token_type": "bearer",
                "expires_in": 1799,
                "nextPageToken": RANDOM,
            }
        ),
    ),
}


@pytest.mark.parametrize("data", CLEAN_CASSETTES.values(), ids=CLEAN_CASSETTES.keys())
def test_placeholders_tracking_cookies_and_ordinary_fields_are_not_findings(
    data: dict[str, Any],
) -> None:
    assert audit_report(data, SecretSet()).findings == []


def test_values_masked_by_another_tool_are_counted_not_found() -> None:
    report = audit_report(CLEAN_CASSETTES["placeholders of other tools"], SecretSet())

    assert report.findings == []
    assert len(report.masked) == 7
    assert {m.place for m in report.masked} >= {
        "request.headers.Authorization",
        "request.headers.X-Api-Key",
        "request.headers.Cookie",
        "request.uri",
        "response.body",
    }
