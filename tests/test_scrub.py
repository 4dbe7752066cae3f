"""Unit tests of pytest_bss.scrub: one behaviour per test."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import re
import threading
import zlib
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, quote_plus, urlencode, urlsplit

import pytest

from pytest_bss.config import BssConfig
from pytest_bss.scrub import (
    NEUTRAL_BASE,
    Leak,
    SecretSet,
    find_leaks,
    find_structural_leaks,
    is_placeholder,
    scrub_interactions,
    scrub_request,
    scrub_response,
)

BASE = "http://127.0.0.1:5000/bsssmapi/"
CLIENT_KEY = "0f8fad5b-d9cb-469f-a165-70867728950e"
CLIENT_SECRET = "Q2xpZW50/U2VjcmV0+V2l0aFNsYXNoQW5kUGx1cz0x="
USERNAME = "api"
PASSWORD = "p+a/s=s!%&@wörd-16"
TOKEN = "wS3-" + "a1B2_c3D4-" * 42
TOKEN_2 = "Zq9_" + "x8Y7-w6V5_" * 42
BASIC = base64.b64encode(f"{CLIENT_KEY}:{CLIENT_SECRET}".encode()).decode()


def config() -> BssConfig:
    return BssConfig(
        base_url=BASE,
        client_key=CLIENT_KEY,
        client_secret=CLIENT_SECRET,
        username=USERNAME,
        password=PASSWORD,
    )


@pytest.fixture
def secrets() -> SecretSet:
    return SecretSet.from_config(config())


def request(
    uri: str = BASE + "api/accounts",
    body: str | bytes | None = None,
    headers: dict[str, list[str]] | None = None,
    method: str = "GET",
) -> dict[str, Any]:
    return {"method": method, "uri": uri, "body": body, "headers": headers or {}}


def response(
    body: str | bytes = "", headers: dict[str, list[str]] | None = None, status: int = 200
) -> dict[str, Any]:
    return {
        "status": {"code": status, "message": "OK"},
        "headers": headers or {},
        "body": {"string": body},
    }


def cassette(*pairs: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    return {"version": 1, "interactions": [{"request": q, "response": r} for q, r in pairs]}


def token_request() -> dict[str, Any]:
    return request(
        BASE + "oauth/token",
        urlencode({"grant_type": "password", "username": USERNAME, "password": PASSWORD}),
        {"Authorization": [f"Basic {BASIC}"], "Content-Type": [FORM]},
        method="POST",
    )


def token_response(token: str = TOKEN) -> dict[str, Any]:
    body = json.dumps({"access_token": token, "token_type": "bearer", "expires_in": 1799})
    return response(body, {"Content-Type": ["application/json"]})


FORM = "application/x-www-form-urlencoded"
JSON = {"Content-Type": ["application/json"]}
TEXT_LATIN_1 = {"Content-Type": ["text/plain; charset=iso-8859-1"]}


def response_text(resp: dict[str, Any]) -> str:
    body = resp["body"]["string"]
    return body.decode() if isinstance(body, bytes) else body


def everything(data: Any) -> str:
    """All text in a structure, bytes decoded, for plain substring checks."""
    if isinstance(data, dict):
        return " ".join(f"{everything(k)} {everything(v)}" for k, v in data.items())
    if isinstance(data, list | tuple):
        return " ".join(everything(item) for item in data)
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)


# --- placeholders and the SecretSet -----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<BSS_PASSWORD>", True),
        ("<BSS_ACCESS_TOKEN_12>", True),
        ("<BSS_CLIENT_CREDENTIALS>", True),
        ("Basic <BSS_CLIENT_CREDENTIALS>", False),
        ("<BSS_PASSWORD>x", False),
        ("%3CBSS_PASSWORD%3E", False),
        ("<bss_password>", False),
        ("", False),
        (None, False),
    ],
)
def test_is_placeholder_accepts_exactly_one_placeholder(value: object, expected: bool) -> None:
    assert is_placeholder(value) is expected


def test_tokens_are_numbered_in_the_order_they_are_first_added() -> None:
    secrets = SecretSet()
    assert secrets.add("access_token", TOKEN) == "<BSS_ACCESS_TOKEN_1>"
    assert secrets.add("access_token", TOKEN_2) == "<BSS_ACCESS_TOKEN_2>"
    assert secrets.add("refresh_token", "r" * 30) == "<BSS_REFRESH_TOKEN_1>"
    assert secrets.add("id_token", "i" * 30) == "<BSS_ID_TOKEN_1>"
    assert secrets.add("cookie", "c" * 30) == "<BSS_COOKIE_1>"


def test_adding_a_value_again_returns_the_placeholder_it_has() -> None:
    secrets = SecretSet()
    first = secrets.add("access_token", TOKEN)
    secrets.add("access_token", TOKEN_2)
    assert secrets.add("access_token", TOKEN) == first
    assert len(secrets) == 2


@pytest.mark.parametrize(
    ("kind", "placeholder"),
    [
        ("client_key", "<BSS_CLIENT_KEY>"),
        ("client_secret", "<BSS_CLIENT_SECRET>"),
        ("username", "<BSS_USERNAME>"),
        ("password", "<BSS_PASSWORD>"),
    ],
)
def test_credential_kinds_have_one_fixed_placeholder(kind: str, placeholder: str) -> None:
    secrets = SecretSet()
    assert secrets.add(kind, "first-value-1234") == placeholder
    assert secrets.add(kind, "second-value-5678") == placeholder


@pytest.mark.parametrize("value", ["", "<BSS_PASSWORD>", "<BSS_ACCESS_TOKEN_7>"])
def test_empty_values_and_placeholders_are_ignored(value: str) -> None:
    secrets = SecretSet()
    assert secrets.add("password", value) == value
    assert len(secrets) == 0


@pytest.mark.parametrize("kind", ["token", "Password", "apikey", ""])
def test_an_unknown_kind_is_refused(kind: str) -> None:
    with pytest.raises(ValueError, match="unknown secret kind"):
        SecretSet().add(kind, "some-value-123")


def test_from_config_adds_the_four_credentials() -> None:
    secrets = SecretSet.from_config(config())
    assert [
        secrets.placeholder_for(v) for v in (CLIENT_KEY, CLIENT_SECRET, USERNAME, PASSWORD)
    ] == [
        "<BSS_CLIENT_KEY>",
        "<BSS_CLIENT_SECRET>",
        "<BSS_USERNAME>",
        "<BSS_PASSWORD>",
    ]


def test_repr_of_a_secret_set_shows_no_value(secrets: SecretSet) -> None:
    assert PASSWORD not in repr(secrets)
    assert CLIENT_SECRET not in repr(secrets)
    assert repr(secrets) == "<SecretSet: 4 values>"


def test_concurrent_adds_number_every_token_once() -> None:
    secrets = SecretSet()
    tokens = [f"token-{i:04d}-{'x' * 20}" for i in range(200)]
    results: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for token in tokens:
            placeholder = secrets.add("access_token", token)
            with lock:
                results.append(placeholder)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {secrets.placeholder_for(t) for t in tokens} == {
        f"<BSS_ACCESS_TOKEN_{n}>" for n in range(1, 201)
    }
    assert len(results) == 800


def test_the_combined_pattern_is_cached_until_the_set_changes(secrets: SecretSet) -> None:
    first = secrets._matcher()
    assert secrets._matcher() is first
    secrets.add("access_token", TOKEN)
    assert secrets._matcher() is not first


def test_an_empty_set_has_no_pattern_to_run() -> None:
    assert SecretSet()._matcher() is None


# --- Authorization, Cookie, Set-Cookie ---------------------------------------------------


def test_basic_authorization_becomes_the_client_credentials_placeholder(
    secrets: SecretSet,
) -> None:
    scrubbed, _ = scrub_request(token_request(), secrets)
    assert scrubbed["headers"]["Authorization"] == ["Basic <BSS_CLIENT_CREDENTIALS>"]


def test_the_halves_of_an_unknown_basic_pair_are_registered() -> None:
    secrets = SecretSet()
    pair = base64.b64encode(b"other-client-key-1:other-secret-9876").decode()
    req = request(headers={"Authorization": [f"Basic {pair}"]})
    scrub_request(req, secrets)
    assert secrets.placeholder_for("other-client-key-1") == "<BSS_CLIENT_KEY>"
    assert secrets.placeholder_for("other-secret-9876") == "<BSS_CLIENT_SECRET>"


def test_a_bearer_token_gets_the_placeholder_of_that_token(secrets: SecretSet) -> None:
    secrets.add("access_token", TOKEN)
    req = request(headers={"Authorization": [f"Bearer {TOKEN_2}"]})
    scrubbed, count = scrub_request(req, secrets)
    assert scrubbed["headers"]["Authorization"] == ["Bearer <BSS_ACCESS_TOKEN_2>"]
    assert count == 1


def test_a_token_gets_the_same_placeholder_everywhere_it_appears(secrets: SecretSet) -> None:
    data = cassette(
        (request(BASE + f"api/accounts?debug={TOKEN}"), response("ok")),
        (token_request(), token_response()),
        (request(headers={"Authorization": [f"Bearer {TOKEN}"]}), response("ok")),
    )
    scrubbed, _ = scrub_interactions(data, secrets)
    first, second, third = scrubbed["interactions"]
    assert first["request"]["uri"].endswith("debug=%3CBSS_ACCESS_TOKEN_1%3E")
    assert json.loads(response_text(second["response"]))["access_token"] == "<BSS_ACCESS_TOKEN_1>"
    assert third["request"]["headers"]["Authorization"] == ["Bearer <BSS_ACCESS_TOKEN_1>"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            'Digest username="bob", response="6629fae49393a05397450978507c4ef1"',
            "Digest <BSS_SECRET_1>",
        ),
        ("Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "Token <BSS_ACCESS_TOKEN_1>"),
        (
            "NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==",
            "NTLM <BSS_SECRET_1>",
        ),
    ],
)
def test_other_authorization_schemes_keep_the_scheme_visible(value: str, expected: str) -> None:
    scrubbed, _ = scrub_request(request(headers={"Authorization": [value]}), SecretSet())
    assert scrubbed["headers"]["Authorization"] == [expected]


def test_an_authorization_without_a_scheme_is_replaced_whole() -> None:
    req = request(headers={"authorization": ["9944b09199c62bcf9418ad846dd0e4bb"]})
    scrubbed, _ = scrub_request(req, SecretSet())
    assert scrubbed["headers"]["authorization"] == ["<BSS_SECRET_1>"]


def test_the_parameters_of_an_authorization_value_are_known_values() -> None:
    token = "9f8e7d6c5b4a3f2efake1d0c9b8a7f6e5d4c3b2a"
    secrets = SecretSet()
    scrub_request(request(headers={"Authorization": [f'Token token="{token}"']}), secrets)
    assert secrets.replace(f"created with key {token}") == "created with key <BSS_ACCESS_TOKEN_2>"


def test_proxy_authorization_is_scrubbed_like_authorization() -> None:
    req = request(headers={"Proxy-Authorization": [f"Basic {BASIC}"]})
    scrubbed, _ = scrub_request(req, SecretSet())
    assert scrubbed["headers"]["Proxy-Authorization"] == ["Basic <BSS_CLIENT_CREDENTIALS>"]


def test_cookie_names_are_kept_and_values_replaced() -> None:
    req = request(headers={"Cookie": ["ASP.NET_SessionId=kx3vq1bz0w2; prefs=9f86d081884c"]})
    scrubbed, count = scrub_request(req, SecretSet())
    assert scrubbed["headers"]["Cookie"] == [
        "ASP.NET_SessionId=<BSS_COOKIE_1>; prefs=<BSS_COOKIE_2>"
    ]
    assert count == 2


def test_set_cookie_keeps_the_name_and_the_attributes() -> None:
    resp = response(
        headers={
            "Set-Cookie": [
                "ASP.NET_SessionId=kx3vq1bz0w2; path=/; HttpOnly; SameSite=Lax",
                ".ASPXAUTH=; expires=Thu, 01-Jan-1970 00:00:00 GMT; path=/",
            ]
        }
    )
    scrubbed, _ = scrub_response(resp, SecretSet())
    assert scrubbed["headers"]["Set-Cookie"] == [
        "ASP.NET_SessionId=<BSS_COOKIE_1>; path=/; HttpOnly; SameSite=Lax",
        ".ASPXAUTH=; expires=Thu, 01-Jan-1970 00:00:00 GMT; path=/",
    ]


def test_a_cookie_value_set_by_the_server_gets_the_same_placeholder_when_sent_back() -> None:
    data = cassette(
        (request(), response(headers={"Set-Cookie": ["sid=a1b2c3d4e5f6a7b8c9d0; path=/"]})),
        (request(headers={"Cookie": ["sid=a1b2c3d4e5f6a7b8c9d0"]}), response()),
    )
    scrubbed, _ = scrub_interactions(data, SecretSet())
    assert scrubbed["interactions"][1]["request"]["headers"]["Cookie"] == ["sid=<BSS_COOKIE_1>"]


def test_a_short_cookie_value_is_not_replaced_outside_cookie_headers() -> None:
    data = cassette(
        (request(headers={"Cookie": ["theme=enabled"]}), response('{"status": "enabled"}', JSON)),
    )
    scrubbed, _ = scrub_interactions(data, SecretSet())
    assert response_text(scrubbed["interactions"][0]["response"]) == '{"status": "enabled"}'


# --- form fields, query strings, JSON fields, userinfo ---------------------------------


@pytest.mark.parametrize(
    ("field", "placeholder"),
    [
        ("username", "<BSS_USERNAME>"),
        ("password", "<BSS_PASSWORD>"),
        ("client_key", "<BSS_CLIENT_KEY>"),
        ("client_secret", "<BSS_CLIENT_SECRET>"),
        ("access_token", "<BSS_ACCESS_TOKEN_1>"),
        ("refresh_token", "<BSS_REFRESH_TOKEN_1>"),
        ("id_token", "<BSS_ID_TOKEN_1>"),
    ],
)
def test_credential_form_fields_become_placeholders_in_a_form_body(
    field: str, placeholder: str
) -> None:
    req = request(
        body=urlencode({"grant_type": "x", field: "v4lue"}), headers={"Content-Type": [FORM]}
    )
    scrubbed, _ = scrub_request(req, SecretSet())
    assert parse_qs(scrubbed["body"])[field] == [placeholder]


@pytest.mark.parametrize("field", ["username", "password", "access_token", "client_secret"])
def test_credential_fields_in_a_query_string_become_placeholders(field: str) -> None:
    scrubbed, _ = scrub_request(request(BASE + f"api/x?a=1&{field}=v4lue&b=2"), SecretSet())
    query = dict(parse_qsl(urlsplit(scrubbed["uri"]).query))
    assert is_placeholder(query[field])
    assert (query["a"], query["b"]) == ("1", "2")


def test_a_scrubbed_form_body_stays_form_encoded(secrets: SecretSet) -> None:
    scrubbed, _ = scrub_request(token_request(), secrets)
    assert scrubbed["body"] == (
        "grant_type=password&username=<BSS_USERNAME>&password=<BSS_PASSWORD>"
    )


def test_a_form_body_without_content_type_is_still_recognised() -> None:
    scrubbed, _ = scrub_request(request(body="grant_type=password&password=hunter2"), SecretSet())
    assert scrubbed["body"] == "grant_type=password&password=<BSS_PASSWORD>"


@pytest.mark.parametrize(
    ("uri", "scrubbed"),
    [
        (
            BASE + "oauth/callback?code=Splx10BeZQQYbYS6WxSbIA&state=xyz",
            NEUTRAL_BASE + "oauth/callback?code=<BSS_CODE_1>&state=xyz",
        ),
        (BASE + "api/accounts?code=ACME", NEUTRAL_BASE + "api/accounts?code=ACME"),
    ],
)
def test_code_is_a_credential_only_beside_an_oauth_field(uri: str, scrubbed: str) -> None:
    assert scrub_request(request(uri), SecretSet(), base_urls=(BASE,))[0]["uri"] == scrubbed


def test_tokens_in_a_url_fragment_are_scrubbed() -> None:
    location = f"https://app.example/cb#access_token={TOKEN}&token_type=bearer"
    scrubbed, _ = scrub_response(response(headers={"Location": [location]}), SecretSet())
    assert scrubbed["headers"]["Location"] == [
        "https://app.example/cb#access_token=<BSS_ACCESS_TOKEN_1>&token_type=bearer"
    ]


@pytest.mark.parametrize(
    ("key", "placeholder"),
    [
        ("access_token", "<BSS_ACCESS_TOKEN_1>"),
        ("refresh_token", "<BSS_REFRESH_TOKEN_1>"),
        ("id_token", "<BSS_ID_TOKEN_1>"),
        ("password", "<BSS_PASSWORD>"),
        ("client_secret", "<BSS_CLIENT_SECRET>"),
        ("Password", "<BSS_PASSWORD>"),
    ],
)
def test_credential_json_keys_become_placeholders_at_any_depth(key: str, placeholder: str) -> None:
    body = json.dumps({"data": [{"user": {key: "s3cr3t-value"}}]})
    scrubbed, _ = scrub_response(response(body, {"Content-Type": ["text/plain"]}), SecretSet())
    assert json.loads(response_text(scrubbed))["data"][0]["user"][key] == placeholder


def test_a_numeric_json_password_becomes_a_placeholder_string() -> None:
    req = request(body='{"password": 12345678}', headers=JSON, method="POST")
    scrubbed, _ = scrub_request(req, SecretSet())
    assert json.loads(scrubbed["body"]) == {"password": "<BSS_PASSWORD>"}


def test_a_json_token_is_registered_before_other_interactions_are_scrubbed(
    secrets: SecretSet,
) -> None:
    data = cassette(
        (request(), response(f"cached token: {TOKEN}")),
        (token_request(), token_response()),
    )
    scrubbed, _ = scrub_interactions(data, secrets)
    assert response_text(scrubbed["interactions"][0]["response"]) == (
        "cached token: <BSS_ACCESS_TOKEN_1>"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [(USERNAME, "<BSS_USERNAME>"), ("someone-else", "someone-else")],
)
def test_a_json_username_is_replaced_only_when_it_is_a_known_value(
    secrets: SecretSet, name: str, expected: str
) -> None:
    body = json.dumps({"username": name})
    scrubbed, _ = scrub_response(response(body, JSON), secrets)
    assert json.loads(response_text(scrubbed))["username"] == expected


def test_json_formatting_outside_changed_strings_is_kept() -> None:
    body = '{\n  "token_type": "bearer",\n  "access_token":"abc123",\n  "n": 1.50\n}'
    scrubbed, _ = scrub_response(response(body, JSON), SecretSet())
    assert response_text(scrubbed) == body.replace('"abc123"', '"<BSS_ACCESS_TOKEN_1>"')


@pytest.mark.parametrize(
    "uri",
    ["https://bob:hunter2@bss.example/api/accounts", "https://bob@bss.example/api/accounts"],
)
def test_userinfo_is_removed_from_the_uri(uri: str) -> None:
    scrubbed, _ = scrub_request(request(uri), SecretSet())
    assert scrubbed["uri"] == "https://bss.example/api/accounts"


def test_userinfo_password_is_registered_for_its_other_appearances() -> None:
    req = request(
        "https://bob:hunter2-is-longer@bss.example/api",
        body="echo hunter2-is-longer",
        method="POST",
    )
    scrubbed, _ = scrub_request(req, SecretSet())
    assert scrubbed["body"] == "echo <BSS_PASSWORD>"


def test_userinfo_inside_a_json_string_is_removed() -> None:
    body = json.dumps({"endpoint": "ftp://bob:pw@files.example/in"})
    scrubbed, _ = scrub_response(response(body, JSON), SecretSet())
    assert json.loads(response_text(scrubbed)) == {"endpoint": "ftp://files.example/in"}


# --- known values in every form ----------------------------------------------------------


def _json_slash(value: str) -> str:
    return json.dumps(value)[1:-1].replace("/", "\\/")


def _lowercase_hex(value: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), quote(value, safe=""))


ENCODINGS = {
    "raw": lambda v: v,
    "quote-safe-empty": lambda v: quote(v, safe=""),
    "quote": quote,
    "quote_plus": quote_plus,
    "lowercase-hex": _lowercase_hex,
    "json-ascii": lambda v: json.dumps(v)[1:-1],
    "json-unicode": lambda v: json.dumps(v, ensure_ascii=False)[1:-1],
    "json-escaped-slash": _json_slash,
    "json-uppercase-u": lambda v: json.dumps(v)[1:-1].replace("\\u00f6", "\\u00F6"),
    "dotnet-json": lambda v: (
        json.dumps(v)[1:-1]
        .replace("+", "\\u002B")
        .replace("&", "\\u0026")
        .replace("\\u00f6", "\\u00F6")
    ),
    "base64": lambda v: base64.b64encode(v.encode()).decode(),
    "base64-unpadded": lambda v: base64.b64encode(v.encode()).decode().rstrip("="),
    "base64-urlsafe": lambda v: base64.urlsafe_b64encode(v.encode()).decode(),
    "base64-urlsafe-unpadded": lambda v: base64.urlsafe_b64encode(v.encode()).decode().rstrip("="),
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_the_password_is_replaced_in_every_form(secrets: SecretSet, encoding: str) -> None:
    written = ENCODINGS[encoding](PASSWORD)
    scrubbed, count = scrub_response(response(f"echo: {written} (end)"), secrets)
    assert written not in response_text(scrubbed)
    assert count == 1


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_a_scrubbed_form_leaves_no_leak(secrets: SecretSet, encoding: str) -> None:
    written = ENCODINGS[encoding](PASSWORD)
    data = cassette((request(), response(f"echo: {written} (end)")))
    assert find_leaks(data, secrets)
    assert find_leaks(scrub_interactions(data, secrets)[0], secrets) == []


def test_the_password_in_a_form_body_is_replaced(secrets: SecretSet) -> None:
    body = urlencode({"note": f"my password is {PASSWORD}!"})
    req = request(body=body, headers={"Content-Type": [FORM]}, method="POST")
    scrubbed, _ = scrub_request(req, secrets)
    assert parse_qs(scrubbed["body"])["note"] == ["my password is <BSS_PASSWORD>!"]


def test_the_password_in_a_json_body_is_replaced_and_the_body_still_parses(
    secrets: SecretSet,
) -> None:
    body = json.dumps({"note": f"pw={PASSWORD}", "url": "/api/accounts"}).replace("/", "\\/")
    scrubbed, _ = scrub_response(response(body, JSON), secrets)
    assert json.loads(response_text(scrubbed)) == {
        "note": "pw=<BSS_PASSWORD>",
        "url": "/api/accounts",
    }


def test_the_password_in_a_url_query_is_replaced(secrets: SecretSet) -> None:
    req = request(BASE + "api/search?" + urlencode({"q": PASSWORD, "page": 1}))
    scrubbed, _ = scrub_request(req, secrets, base_urls=(BASE,))
    assert scrubbed["uri"] == NEUTRAL_BASE + "api/search?q=%3CBSS_PASSWORD%3E&page=1"


def test_the_basic_pair_is_replaced_outside_the_authorization_header(secrets: SecretSet) -> None:
    scrubbed, _ = scrub_response(response(f"you sent {BASIC}"), secrets)
    assert response_text(scrubbed) == "you sent <BSS_CLIENT_CREDENTIALS>"


def test_a_latin_1_basic_pair_is_recognised() -> None:
    secrets = SecretSet()
    secrets.add("username", "jürgen")
    secrets.add("password", "pässwörd-länger")
    pair = base64.b64encode("jürgen:pässwörd-länger".encode("latin-1")).decode()
    scrubbed, _ = scrub_response(response(f"echo {pair}"), secrets)
    assert response_text(scrubbed) == "echo <BSS_USER_CREDENTIALS>"


def test_a_bytes_body_is_scrubbed_and_stays_bytes(secrets: SecretSet) -> None:
    req = request(body=f"pw {PASSWORD}".encode(), method="POST")
    scrubbed, _ = scrub_request(req, secrets)
    assert scrubbed["body"] == b"pw <BSS_PASSWORD>"


def test_an_undecodable_binary_body_is_searched_for_raw_bytes(secrets: SecretSet) -> None:
    secrets.add("access_token", TOKEN)
    body = b"\xff\xfe\x00" + TOKEN.encode() + b"\x80"
    scrubbed, count = scrub_response(response(body), secrets)
    assert scrubbed["body"]["string"] == b"\xff\xfe\x00<BSS_ACCESS_TOKEN_1>\x80"
    assert count == 1


def test_a_latin_1_body_is_searched_for_the_latin_1_bytes() -> None:
    secrets = SecretSet()
    secrets.add("password", "pässwörd-1-länger")
    body = "Passwort: pässwörd-1-länger.".encode("latin-1")
    scrubbed, count = scrub_response(response(body, TEXT_LATIN_1), secrets)
    assert (scrubbed["body"]["string"], count) == (b"Passwort: <BSS_PASSWORD>.", 1)


def test_find_leaks_sees_a_value_in_a_latin_1_body() -> None:
    secrets = SecretSet()
    secrets.add("password", "pässwörd-1-länger")
    data = cassette((request(), response("Passwort: pässwörd-1-länger.".encode("latin-1"))))
    assert find_leaks(data, secrets) == [Leak(0, "response.body", "password", "raw")]


def test_the_status_message_is_scrubbed(secrets: SecretSet) -> None:
    resp = response()
    resp["status"]["message"] = f"Bad password {PASSWORD}"
    scrubbed, _ = scrub_response(resp, secrets)
    assert scrubbed["status"] == {"code": 200, "message": "Bad password <BSS_PASSWORD>"}


QUOTED = 'pa"ss\\wo/rd-x-long'


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"a": QUOTED, QUOTED: [QUOTED, 1, None]}),
        json.dumps({"a": QUOTED}, ensure_ascii=False).replace("/", "\\/"),
        json.dumps([{"deep": [{"note": f"before {QUOTED} after"}]}], indent=2),
        json.dumps(QUOTED),
        json.dumps({"password": QUOTED, "echo": PASSWORD}),
    ],
)
def test_a_json_body_still_parses_after_scrubbing(secrets: SecretSet, body: str) -> None:
    secrets.add("password", QUOTED)
    scrubbed, count = scrub_response(response(body, JSON), secrets)
    assert QUOTED not in everything(json.loads(response_text(scrubbed)))
    assert count > 0


# --- the length rule --------------------------------------------------------------------


def test_the_api_username_does_not_touch_api_accounts(secrets: SecretSet) -> None:
    data = cassette(
        (request(BASE + "api/accounts?pageIndex=1"), response('{"href": "/api/accounts/1"}', JSON))
    )
    scrubbed, count = scrub_interactions(data, secrets, base_urls=(BASE,))
    interaction = scrubbed["interactions"][0]
    assert interaction["request"]["uri"] == NEUTRAL_BASE + "api/accounts?pageIndex=1"
    assert response_text(interaction["response"]) == '{"href": "/api/accounts/1"}'
    assert count == 0


def test_the_api_username_is_replaced_in_the_username_field(secrets: SecretSet) -> None:
    scrubbed, _ = scrub_request(token_request(), secrets)
    assert parse_qs(scrubbed["body"])["username"] == ["<BSS_USERNAME>"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pw hunter22.", "pw <BSS_USERNAME>."),
        ('"hunter22"', '"<BSS_USERNAME>"'),
        ("hunter22", "<BSS_USERNAME>"),
        ("x=%20hunter22%20", "x=%20%3CBSS_USERNAME%3E%20"),
        ("xhunter22", "xhunter22"),
        ("hunter221", "hunter221"),
        ("Hunter22", "Hunter22"),
    ],
)
def test_a_mid_length_identifier_is_replaced_only_between_non_alphanumerics(
    text: str, expected: str
) -> None:
    secrets = SecretSet()
    secrets.add("username", "hunter22")
    assert response_text(scrub_response(response(text), secrets)[0]) == expected


def test_a_long_value_is_replaced_even_inside_a_word() -> None:
    secrets = SecretSet()
    secrets.add("password", "correct-horse-battery")
    scrubbed, _ = scrub_response(response("xcorrect-horse-batteryx"), secrets)
    assert response_text(scrubbed) == "x<BSS_PASSWORD>x"


def test_a_short_identifier_is_left_alone_outside_credential_positions() -> None:
    secrets = SecretSet()
    secrets.add("username", "pw1")
    req = request(BASE + "api/x?q=pw1", body="grant_type=password&username=pw1", method="POST")
    scrubbed, _ = scrub_request(req, secrets)
    assert scrubbed["uri"] == BASE + "api/x?q=pw1"
    assert scrubbed["body"] == "grant_type=password&username=<BSS_USERNAME>"
    assert find_leaks(cassette((scrubbed, response())), secrets) == []


def test_a_value_inside_an_existing_placeholder_is_not_rewritten() -> None:
    secrets = SecretSet()
    secrets.add("password", "PASSWORD")
    scrubbed, count = scrub_response(response("<BSS_PASSWORD> %3CBSS_PASSWORD%3E"), secrets)
    assert response_text(scrubbed) == "<BSS_PASSWORD> %3CBSS_PASSWORD%3E"
    assert count == 0


def test_the_neutral_base_is_never_rewritten() -> None:
    secrets = SecretSet()
    secrets.add("password", "invalid")
    text = NEUTRAL_BASE + "api " + NEUTRAL_BASE.replace("/", "\\/")
    scrubbed, count = scrub_response(response(text), secrets)
    assert (response_text(scrubbed), count) == (text, 0)


def test_the_longest_value_wins_where_two_overlap() -> None:
    secrets = SecretSet()
    secrets.add("username", "john.smith")
    secrets.add("password", "john.smith.is-the-password")
    scrubbed, _ = scrub_response(response("john.smith.is-the-password"), secrets)
    assert response_text(scrubbed) == "<BSS_PASSWORD>"


# --- host neutralization ---------------------------------------------------------------


def test_a_uri_under_a_base_url_moves_to_the_neutral_base() -> None:
    req = request(BASE + "api/accounts?x=1")
    scrubbed, count = scrub_request(req, SecretSet(), base_urls=(BASE,))
    assert scrubbed["uri"] == "https://bss.tenant.invalid/api/accounts?x=1"
    assert count == 0


def test_a_base_url_in_headers_and_bodies_moves_to_the_neutral_base() -> None:
    body = json.dumps({"next": BASE + "api/accounts?pageIndex=2"}).replace("/", "\\/")
    resp = response(body, {"Location": [BASE + "api/accounts/7"], **JSON})
    scrubbed, _ = scrub_response(resp, SecretSet(), base_urls=(BASE,))
    assert scrubbed["headers"]["Location"] == [NEUTRAL_BASE + "api/accounts/7"]
    assert json.loads(response_text(scrubbed)) == {
        "next": NEUTRAL_BASE + "api/accounts?pageIndex=2"
    }


def test_a_uri_on_another_host_is_left_alone() -> None:
    uri = "https://login.example/api/accounts"
    assert scrub_request(request(uri), SecretSet(), base_urls=(BASE,))[0]["uri"] == uri


def test_a_base_url_without_trailing_slash_is_matched_as_a_directory() -> None:
    req = request(BASE + "api/x")
    scrubbed, _ = scrub_request(req, SecretSet(), base_urls=(BASE.rstrip("/"),))
    assert scrubbed["uri"] == NEUTRAL_BASE + "api/x"


# --- compression and Content-Length -----------------------------------------------------


def test_a_gzip_response_carrying_a_token_is_stored_decoded_and_scrubbed(
    secrets: SecretSet,
) -> None:
    raw = json.dumps({"access_token": TOKEN, "token_type": "bearer"}).encode()
    resp = response(
        gzip.compress(raw),
        {"Content-Encoding": ["gzip"], "Content-Length": ["99"], **JSON},
    )
    scrubbed, _ = scrub_response(resp, secrets)
    body = scrubbed["body"]["string"]
    assert json.loads(body) == {"access_token": "<BSS_ACCESS_TOKEN_1>", "token_type": "bearer"}
    assert "content-encoding" not in {k.lower() for k in scrubbed["headers"]}
    assert {k.lower(): v for k, v in scrubbed["headers"].items()}["content-length"] == [
        str(len(body))
    ]


def test_a_deflate_request_body_is_stored_decoded_and_scrubbed(secrets: SecretSet) -> None:
    raw = f"password={quote_plus(PASSWORD)}".encode()
    req = request(
        body=zlib.compress(raw),
        headers={"Content-Encoding": ["deflate"], "Content-Type": [FORM]},
        method="POST",
    )
    scrubbed, _ = scrub_request(req, secrets)
    assert scrubbed["body"] == b"password=<BSS_PASSWORD>"
    assert "Content-Encoding" not in scrubbed["headers"]
    assert scrubbed["headers"]["Content-Length"] == ["23"]


def test_content_length_follows_a_scrubbed_body(secrets: SecretSet) -> None:
    secrets.add("access_token", TOKEN)
    body = f"token {TOKEN}"
    resp = response(body, {"Content-Length": [str(len(body))]})
    scrubbed, _ = scrub_response(resp, secrets)
    assert scrubbed["headers"]["Content-Length"] == [str(len("token <BSS_ACCESS_TOKEN_1>"))]


# --- purity, counts, idempotence --------------------------------------------------------


def full_cassette() -> dict[str, Any]:
    return cassette(
        (token_request(), token_response()),
        (
            request(
                BASE + f"api/accounts?note={quote(PASSWORD)}",
                headers={
                    "Authorization": [f"Bearer {TOKEN}"],
                    "Cookie": ["sid=9f3a61c07be2d4458e1a"],
                },
            ),
            response(
                gzip.compress(json.dumps({"echo": PASSWORD, "t": TOKEN}).encode()),
                {"Content-Encoding": ["gzip"], "Set-Cookie": ["sid=9f3a61c07be2d4458e1a; path=/"]},
            ),
        ),
    )


def test_scrubbing_never_mutates_its_input(secrets: SecretSet) -> None:
    data = full_cassette()
    before = copy.deepcopy(data)
    scrub_interactions(data, secrets, base_urls=(BASE,))
    scrub_request(data["interactions"][0]["request"], secrets)
    scrub_response(data["interactions"][1]["response"], secrets)
    assert data == before


def test_scrub_interactions_counts_the_values_replaced(secrets: SecretSet) -> None:
    # Basic, username, password, access_token; Bearer, Cookie, query password;
    # Set-Cookie, echoed password, echoed token.
    assert scrub_interactions(full_cassette(), secrets, base_urls=(BASE,))[1] == 10


def test_scrubbing_scrubbed_data_changes_nothing_and_counts_zero(secrets: SecretSet) -> None:
    once, _ = scrub_interactions(full_cassette(), secrets, base_urls=(BASE,))
    twice, count = scrub_interactions(once, secrets, base_urls=(BASE,))
    assert twice == once
    assert count == 0


def test_scrubbed_data_has_no_leaks(secrets: SecretSet) -> None:
    scrubbed, _ = scrub_interactions(full_cassette(), secrets, base_urls=(BASE,))
    assert find_leaks(scrubbed, secrets) == []
    for secret in (CLIENT_KEY, CLIENT_SECRET, PASSWORD, TOKEN, BASIC):
        assert secret not in everything(scrubbed)


def test_other_top_level_keys_are_kept(secrets: SecretSet) -> None:
    data = {**cassette((request(), response())), "metadata": {"recorded": "2024-01-01"}}
    scrubbed, _ = scrub_interactions(data, secrets)
    assert scrubbed["version"] == 1
    assert scrubbed["metadata"] == {"recorded": "2024-01-01"}


# --- the leak check --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            cassette((request(), response()), (request(), response(f"x {quote(PASSWORD)} y"))),
            Leak(1, "response.body", "password", "percent-encoded"),
        ),
        (
            cassette((request(BASE + f"api/x?q={PASSWORD}"), response())),
            Leak(0, "request.uri", "password", "raw"),
        ),
        (
            cassette((request(headers={"X-Echo": [BASIC]}), response())),
            Leak(0, "request.headers.X-Echo", "client_credentials", "base64"),
        ),
        (
            cassette((request(), response(json.dumps({"m": PASSWORD}), JSON))),
            Leak(0, "response.body", "password", "json-escaped"),
        ),
        (
            cassette(
                (
                    request(),
                    response(gzip.compress(CLIENT_SECRET.encode()), {"Content-Encoding": ["gzip"]}),
                )
            ),
            Leak(0, "response.body", "client_secret", "raw"),
        ),
    ],
)
def test_find_leaks_names_the_place_and_the_form(
    secrets: SecretSet, data: dict[str, Any], expected: Leak
) -> None:
    assert expected in find_leaks(data, secrets)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            cassette((request(headers={"Authorization": ["Bearer abc"]}), response())),
            Leak(0, "request.headers.Authorization", "credentials", "authorization header"),
        ),
        (
            cassette((request(headers={"Cookie": ["a=<BSS_COOKIE_1>; b=x9y8"]}), response())),
            Leak(0, "request.headers.Cookie", "cookie", "cookie value"),
        ),
        (
            cassette((request(), response(headers={"Set-Cookie": ["sid=x; path=/"]}))),
            Leak(0, "response.headers.Set-Cookie", "cookie", "cookie value"),
        ),
        (
            cassette((request(body="grant_type=password&password=x", method="POST"), response())),
            Leak(0, "request.body", "password", "form field"),
        ),
        (
            cassette((request(BASE + "api/x?access_token=abc"), response())),
            Leak(0, "request.uri", "access_token", "query field"),
        ),
        (
            cassette((request(), response('{"a": [{"refresh_token": "r"}]}'))),
            Leak(0, "response.body", "refresh_token", "json field"),
        ),
        (
            cassette((request("https://u:p@host.example/"), response())),
            Leak(0, "request.uri", "userinfo", "url"),
        ),
        (
            cassette((request(), response(b"\x1b\x00\xff", {"Content-Encoding": ["compress"]}))),
            Leak(0, "response.body", "unverifiable body", "compress-encoded"),
        ),
    ],
)
def test_structural_leaks_need_no_known_value(data: dict[str, Any], expected: Leak) -> None:
    assert find_structural_leaks(data) == [expected]
    assert find_leaks(data, SecretSet()) == [expected]


def test_a_leak_never_shows_the_value(secrets: SecretSet) -> None:
    leaks = find_leaks(full_cassette(), secrets)
    assert leaks
    for leak in leaks:
        for secret in (CLIENT_KEY, CLIENT_SECRET, PASSWORD, TOKEN, BASIC, quote(PASSWORD)):
            assert secret not in str(leak)
            assert secret not in repr(leak)


def test_a_leak_reads_as_interaction_place_kind_and_form() -> None:
    leak = Leak(2, "response.body", "password", "percent-encoded")
    assert str(leak) == "interaction 2: response.body: password (percent-encoded)"


def test_find_leaks_applies_the_same_length_rule_as_the_scrubber(secrets: SecretSet) -> None:
    data = cassette((request(BASE + "api/accounts"), response("see /api/accounts")))
    assert find_leaks(data, secrets) == []


def test_interactions_are_numbered_from_zero(secrets: SecretSet) -> None:
    data = cassette((request(), response()), (request(), response(PASSWORD)))
    assert [leak.interaction for leak in find_leaks(data, secrets)] == [1]


def test_a_scrubbed_placeholder_in_a_credential_position_is_no_leak() -> None:
    data = cassette(
        (
            request(
                BASE + "api/x?password=%3CBSS_PASSWORD%3E",
                headers={"Authorization": ["Bearer <BSS_ACCESS_TOKEN_1>"]},
            ),
            response('{"access_token": "<BSS_ACCESS_TOKEN_1>"}'),
        )
    )
    assert find_structural_leaks(data) == []
