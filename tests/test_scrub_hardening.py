"""Bodies the scrubber used not to read, paths that used to raise, and the length rule.

Each test reproduces a leak of the security issue (classes 2, 3a and 5) on the code before
the fix; credentials here are synthetic.
"""

from __future__ import annotations

import base64
import html
import json
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from pytest_bss.audit import audit_data, canary_secrets
from pytest_bss.scrub import (
    Leak,
    SecretSet,
    find_leaks,
    find_structural_leaks,
    scrub_interactions,
    scrub_request,
    scrub_response,
)

BASE = "http://127.0.0.1:5000/bsssmapi/"
TOKEN = "eyAccess-" + "Qw7_rT9-zX" * 8
REFRESH = "rf-" + "Lm4_Np8-Kd" * 8
PASSWORD = "S3cure!pass/word+long"
HTML_PASSWORD = "S3cure&\"pass<word>'long"
FIX = "record with a password of 16+ characters that does not occur in the tenant's data"


def request(uri: str = BASE + "api/accounts", body: Any = None, headers: Any = None) -> Any:
    return {"method": "POST", "uri": uri, "body": body, "headers": headers or {}}


def response(body: Any = "", headers: Any = None) -> Any:
    return {
        "status": {"code": 200, "message": "OK"},
        "headers": headers or {},
        "body": {"string": body},
    }


def cassette(*pairs: tuple[Any, Any]) -> dict[str, Any]:
    return {"version": 1, "interactions": [{"request": q, "response": r} for q, r in pairs]}


def everything(data: Any) -> str:
    if isinstance(data, dict):
        return " ".join(f"{everything(k)} {everything(v)}" for k, v in data.items())
    if isinstance(data, list | tuple):
        return " ".join(everything(item) for item in data)
    if isinstance(data, bytes):
        return data.decode("latin-1") + " " + data.decode("utf-8", "replace")
    return str(data)


def with_password() -> SecretSet:
    secrets = SecretSet()
    secrets.add("password", PASSWORD)
    return secrets


# --- bodies in encodings the scrubber did not read (class 2) ----------------------------


@pytest.mark.parametrize(
    ("codec", "charset"),
    [
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf-16le"),
        ("utf-16-be", "UTF-16BE"),
        ("utf-32", "utf-32"),
    ],
)
def test_a_utf_16_token_response_is_scrubbed_in_its_own_charset(codec: str, charset: str) -> None:
    body = json.dumps({"access_token": TOKEN, "refresh_token": REFRESH}).encode(codec)
    headers = {
        "Content-Type": [f"application/json; charset={charset}"],
        "Content-Length": [str(len(body))],
    }
    data = cassette((request(), response(body, headers)))

    scrubbed, _ = scrub_interactions(data, SecretSet())

    resp = scrubbed["interactions"][0]["response"]
    new = resp["body"]["string"]
    assert json.loads(new.decode(codec)) == {
        "access_token": "<BSS_ACCESS_TOKEN_1>",
        "refresh_token": "<BSS_REFRESH_TOKEN_1>",
    }
    assert resp["headers"]["Content-Length"] == [str(len(new))]
    assert find_leaks(scrubbed, SecretSet()) == []


def test_a_json_body_with_a_utf_8_bom_is_read_as_json() -> None:
    body = b"\xef\xbb\xbf" + json.dumps({"access_token": TOKEN, "refresh_token": REFRESH}).encode()
    data = cassette((request(), response(body, {"Content-Type": ["application/json"]})))

    assert find_structural_leaks(data)
    scrubbed, _ = scrub_interactions(data, SecretSet())

    new = scrubbed["interactions"][0]["response"]["body"]["string"]
    assert new.startswith(b"\xef\xbb\xbf")
    assert TOKEN not in everything(scrubbed)
    assert REFRESH not in everything(scrubbed)
    assert find_leaks(scrubbed, SecretSet()) == []


FORMS = {
    "hex": lambda v: v.encode().hex(),
    "hex-upper": lambda v: v.encode().hex().upper(),
    "html": html.escape,
    "html-no-quote": lambda v: html.escape(v, quote=False),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_hex_and_html_forms_of_a_known_value_are_replaced_and_found(form: str) -> None:
    written = FORMS[form](PASSWORD)
    data = cassette(
        (request(), response(f"<p>echo {written}</p>", {"Content-Type": ["text/html"]}))
    )

    assert find_leaks(data, with_password())
    scrubbed, count = scrub_interactions(data, with_password())

    assert written not in everything(scrubbed)
    assert count == 1
    assert find_leaks(scrubbed, with_password()) == []


def test_an_html_entity_form_the_scrubber_does_not_write_is_still_found() -> None:
    written = "".join(f"&#x{ord(c):x};" for c in PASSWORD)
    data = cassette((request(), response(f"<p>{written}</p>", {"Content-Type": ["text/html"]})))

    assert Leak(0, "response.body", "password", "html-escaped") in find_leaks(data, with_password())


@pytest.mark.parametrize(
    "document",
    [
        {"accessToken": TOKEN},
        {"refreshToken": TOKEN},
        {"idToken": TOKEN},
        {"AccessToken": TOKEN},
        {"access-token": TOKEN},
        {"clientSecret": TOKEN},
        {"Password": TOKEN},
        {"newPassword": TOKEN},
        {"token": {"value": TOKEN}},
        {"access_token": {"value": TOKEN, "expiresIn": 3600}},
        {"data": [{"refresh_token": [TOKEN]}]},
    ],
)
def test_token_fields_in_any_case_and_nested_values_are_scrubbed(document: Any) -> None:
    data = cassette(
        (request(), response(json.dumps(document), {"Content-Type": ["application/json"]}))
    )

    assert find_structural_leaks(data)
    scrubbed, _ = scrub_interactions(data, SecretSet())

    assert TOKEN not in everything(scrubbed)
    assert find_leaks(scrubbed, SecretSet()) == []
    json.loads(scrubbed["interactions"][0]["response"]["body"]["string"])


def test_json_nested_in_json_strings_is_scrubbed_at_any_depth() -> None:
    inner: Any = {"access_token": TOKEN}
    for _ in range(5):
        inner = {"payload": json.dumps(inner)}
    data = cassette(
        (request(), response(json.dumps(inner), {"Content-Type": ["application/json"]}))
    )

    assert find_structural_leaks(data)
    scrubbed, _ = scrub_interactions(data, SecretSet())

    assert TOKEN[:20] not in everything(scrubbed)
    assert find_leaks(scrubbed, SecretSet()) == []


def test_a_form_inside_a_json_string_is_scrubbed() -> None:
    form = urlencode({"grant_type": "password", "username": "someone", "password": PASSWORD})
    body = json.dumps({"log": {"request": form}})
    data = cassette((request(), response(body, {"Content-Type": ["application/json"]})))

    assert find_structural_leaks(data)
    scrubbed, _ = scrub_interactions(data, SecretSet())

    assert PASSWORD not in everything(scrubbed)
    assert quote(PASSWORD) not in everything(scrubbed)
    assert find_leaks(scrubbed, SecretSet()) == []


def multipart(
    fields: dict[str, str], boundary: str = "XyZ-boundary-42"
) -> tuple[bytes, dict[str, Any]]:
    lines = []
    for name, value in fields.items():
        lines += [f"--{boundary}", f'Content-Disposition: form-data; name="{name}"', "", value]
    body = "\r\n".join([*lines, f"--{boundary}--", ""]).encode()
    return body, {"Content-Type": [f"multipart/form-data; boundary={boundary}"]}


def test_credentials_in_a_multipart_form_are_scrubbed() -> None:
    body, headers = multipart({"username": "someone", "Password": PASSWORD, "note": "hello"})
    data = cassette((request(body=body, headers=headers), response()))

    assert Leak(0, "request.body", "password", "multipart field") in find_structural_leaks(data)
    scrubbed, count = scrub_interactions(data, SecretSet())

    new = scrubbed["interactions"][0]["request"]["body"].decode()
    assert PASSWORD not in new
    assert "someone" not in new
    assert "\r\n<BSS_PASSWORD>\r\n" in new
    assert "\r\nhello\r\n" in new
    assert count == 2
    assert find_leaks(scrubbed, SecretSet()) == []


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json; charset=x-no-such-charset", b'{"access_token": "x"}'),
        ("application/json", b'{"note": "\xff\xfe\xfa"}'),
        # zero bytes: UTF-16 under a UTF-8 label, not read as Latin-1 (where a credential
        # would not show)
        ("text/plain; charset=utf-8", b"\xc3\x28\x00b\x00r\x00o\x00k\x00e\x00n"),
        ("application/x-www-form-urlencoded", b"password=\xff"),
    ],
)
def test_a_text_body_that_cannot_be_decoded_is_refused(content_type: str, body: bytes) -> None:
    data = cassette((request(), response(body, {"Content-Type": [content_type]})))

    leaks = find_leaks(data, SecretSet())

    assert [leak.kind for leak in leaks] == ["unverifiable body"]


def test_a_text_body_its_declared_charset_cannot_read_is_read_as_latin_1() -> None:
    body = b"\xc3\x28 broken, token " + TOKEN.encode()
    data = cassette((request(), response(body, {"Content-Type": ["text/plain; charset=utf-8"]})))
    secrets = SecretSet()
    secrets.add("access_token", TOKEN)

    scrubbed, count = scrub_interactions(data, secrets)

    assert count == 1
    assert scrubbed["interactions"][0]["response"]["body"]["string"].startswith(b"\xc3\x28 broken")
    assert find_leaks(scrubbed, secrets) == []


def test_a_binary_body_is_not_refused() -> None:
    data = cassette(
        (request(), response(b"\x89PNG\r\n\x1a\n\xff\x00", {"Content-Type": ["image/png"]}))
    )
    assert find_leaks(data, with_password()) == []


# --- the scrubber never raises (class 3a) -------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["Basic jürgen:pässwörd", "Basic \u2603\u2603", "Basic ab\udc80", "Bearer \x00", "Basic ===="],
)
def test_a_malformed_authorization_is_replaced_without_raising(value: str) -> None:
    scrubbed, count = scrub_request(request(headers={"Authorization": [value]}), SecretSet())
    assert count == 1
    assert scrubbed["headers"]["Authorization"][0].split(" ", 1)[1].startswith("<BSS_")


@pytest.mark.parametrize(
    ("encoding", "body"), [("gzip", b"\x1f\x8b\x08 truncated"), ("zstd", b"(\xb5/\xfd\x00")]
)
def test_a_body_that_cannot_be_decompressed_stays_and_is_refused(
    encoding: str, body: bytes
) -> None:
    resp = response(body, {"Content-Encoding": [encoding], "Content-Type": ["application/json"]})
    scrubbed, _ = scrub_response(resp, SecretSet())
    assert scrubbed["body"]["string"] == body
    data = cassette((request(), resp))
    assert [leak.kind for leak in find_leaks(data, SecretSet())] == ["unverifiable body"]


# --- the length rule (class 5) ----------------------------------------------------------


def short(value: str = "hunter22") -> SecretSet:
    secrets = SecretSet()
    secrets.add("username", "api")
    secrets.add("password", value)
    return secrets


@pytest.mark.parametrize(
    ("value", "text", "form"),
    [
        ("hunter22", "xhunter22", "raw"),
        ("hunter22", "hunter221", "raw"),
        ("hunter22", "pw: hunter22.", "raw"),
        ("pw1", "/api/x?q=pw1", "raw"),
        ("pw1", "id=apw1b", "raw"),
        ("pa ss", "pa%20ss", "percent-encoded"),
        ("hunter22", "68756e7465723232", "hex"),
        ("hunter22", base64.b64encode(b"hunter22").decode(), "base64"),
        ("p&w<1>", "p&amp;w&lt;1&gt;", "html-escaped"),
    ],
)
def test_a_short_password_outside_credential_positions_is_kept_and_refused(
    value: str, text: str, form: str
) -> None:
    secrets = short(value)
    data = cassette((request(), response(text, {"Content-Type": ["text/plain"]})))

    scrubbed, count = scrub_interactions(data, secrets)
    leaks = find_leaks(scrubbed, secrets)

    assert scrubbed["interactions"][0]["response"]["body"]["string"] == text
    assert count == 0
    assert Leak(0, "response.body", "password", form) in leaks
    assert all(leak.fix == FIX for leak in leaks)


def test_a_short_password_that_is_a_word_of_the_tenant_is_not_replaced_there() -> None:
    secrets = short("Contoso1")
    body = json.dumps({"password": "Contoso1", "company": "Contoso1 Ltd"})
    data = cassette((request(), response(body, {"Content-Type": ["application/json"]})))

    scrubbed, _ = scrub_interactions(data, secrets)

    document = json.loads(scrubbed["interactions"][0]["response"]["body"]["string"])
    assert document == {"password": "<BSS_PASSWORD>", "company": "Contoso1 Ltd"}
    assert find_leaks(scrubbed, secrets) == [Leak(0, "response.body", "password", "raw")]


def test_a_short_password_in_its_credential_positions_only_is_clean() -> None:
    secrets = short("hunter22")
    body = urlencode({"grant_type": "password", "username": "api", "password": "hunter22"})
    data = cassette(
        (
            request(
                BASE + "oauth/token", body, {"Content-Type": ["application/x-www-form-urlencoded"]}
            ),
            response(),
        )
    )

    scrubbed, _ = scrub_interactions(data, secrets)

    assert scrubbed["interactions"][0]["request"]["body"] == (
        "grant_type=password&username=<BSS_USERNAME>&password=<BSS_PASSWORD>"
    )
    assert find_leaks(scrubbed, secrets) == []


def test_a_short_username_still_leaves_words_alone() -> None:
    data = cassette((request(BASE + "api/accounts"), response('{"href": "/api/accounts/1"}')))
    assert find_leaks(scrub_interactions(data, short())[0], short()) == []


def test_a_short_password_leak_names_the_fix_and_never_the_value() -> None:
    data = cassette((request(), response("xhunter22")))
    (leak,) = find_leaks(data, short("hunter22"))
    assert str(leak) == f"interaction 0: response.body: password (raw); {FIX}"
    assert "hunter22" not in repr(leak)


def test_the_audit_reports_a_short_password_like_the_leak_gate() -> None:
    data = cassette((request(), response("xhunter22")))
    findings = audit_data(data, canary_secrets({"BSS_PASSWORD": "hunter22"}))
    assert [(f.place, f.category) for f in findings] == [("response.body", "canary")]
    assert FIX in findings[0].what
    assert "hunter22" not in str(findings[0])
