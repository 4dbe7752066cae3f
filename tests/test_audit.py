"""Unit tests of pytest_bss.audit: what the audit finds in cassette data, one case per test."""

from __future__ import annotations

import base64
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_bss.audit import Finding, audit_data, audit_file, canary_secrets, cassette_files
from pytest_bss.scrub import SecretSet

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
OPAQUE = "a1B2c3D4e5F6g7H8i9J0"


def cassette(
    *,
    uri: str = "https://bss.tenant.invalid/api/accounts",
    request_headers: dict[str, list[str]] | None = None,
    request_body: Any = None,
    response_headers: dict[str, list[str]] | None = None,
    response_body: Any = "{}",
) -> dict[str, Any]:
    return {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "GET",
                    "uri": uri,
                    "body": request_body,
                    "headers": request_headers or {},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": response_headers or {},
                    "body": {"string": response_body},
                },
            }
        ],
    }


def found(data: dict[str, Any], secrets: SecretSet | None = None) -> list[str]:
    return [f"{f.place}: {f.what} ({f.category})" for f in audit_data(data, secrets or SecretSet())]


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (json.dumps({"note": f"call with Bearer {OPAQUE}"}), "Bearer token"),
        (
            json.dumps({"curl": "-H 'Authorization: Basic " + base64.b64encode(b"u:pw").decode()}),
            "Basic credentials",
        ),
        (json.dumps({"id": JWT}), "JWT"),
        (f"note={JWT}", "JWT"),
    ],
)
def test_credential_shapes_are_found_anywhere(body: str, what: str) -> None:
    assert found(cassette(response_body=body)) == [f"response.body: {what} (structural)"]


@pytest.mark.parametrize(
    "text",
    [
        "Use Bearer authentication",
        "Bearer YOUR_TOKEN_HERE",
        "Basic auth is not supported",
        "eyJhbGciOi.not-a-jwt.x",
        '{"token_type": "bearer", "expires_in": 1799}',
    ],
)
def test_prose_about_credentials_is_not_a_finding(text: str) -> None:
    assert found(cassette(response_body=text)) == []


def test_a_www_authenticate_challenge_is_not_a_finding() -> None:
    challenge = 'Bearer realm="bss", error="invalid_token"'
    assert found(cassette(response_headers={"WWW-Authenticate": [challenge]})) == []


def test_userinfo_in_the_request_uri_is_found() -> None:
    data = cassette(uri="https://svc:hunter2hunter2@bss.example.com/api/accounts")

    assert found(data) == ["request.uri: credentials in URL userinfo (structural)"]


def test_a_token_field_in_a_json_string_inside_a_form_value_is_found() -> None:
    inner = json.dumps({"refresh_token": OPAQUE})
    body = "state=x&data=" + inner.replace('"', "%22").replace(" ", "%20")

    result = found(cassette(request_body=body))

    assert "request.body: refresh_token in a JSON field (structural)" in result


def test_a_form_body_is_read_whatever_its_content_type_says() -> None:
    data = cassette(
        response_headers={"Content-Type": ["text/plain"]},
        response_body=f"access_token={OPAQUE}&token_type=bearer",
    )

    assert found(data) == ["response.body: access_token in a form field (structural)"]


def test_a_gzip_body_without_content_encoding_is_decompressed_and_checked() -> None:
    body = gzip.compress(json.dumps({"access_token": OPAQUE}).encode())

    assert found(cassette(response_body=body)) == [
        "response.body: access_token in a JSON field (structural)"
    ]


def test_a_body_in_an_encoding_that_cannot_be_undone_is_unreadable() -> None:
    data = cassette(response_headers={"Content-Encoding": ["zstd"]}, response_body=b"\xff\x00\xfe")

    assert found(data) == ["response.body: body that cannot be decoded (zstd-encoded) (unreadable)"]


def test_a_file_like_request_body_from_old_vcrpy_is_checked() -> None:
    data = cassette(request_body=io.BytesIO(b"grant_type=password&password=hunter22"))

    assert found(data) == ["request.body: password in a form field (structural)"]


def test_an_authorization_header_names_its_scheme() -> None:
    data = cassette(request_headers={"Authorization": [f"Digest {OPAQUE}"]})

    assert found(data) == ["request.headers.Authorization: Digest credentials (structural)"]


def test_canaries_are_the_bss_variables_that_are_set() -> None:
    secrets = canary_secrets({"BSS_PASSWORD": " hunter2-correct ", "BSS_USERNAME": ""})

    assert len(secrets) == 1
    assert "hunter2-correct" in secrets


def test_a_canary_is_found_in_free_text() -> None:
    secrets = canary_secrets({"BSS_CLIENT_SECRET": "s3cret-value-of-the-client"})
    data = cassette(response_body="echo: s3cret-value-of-the-client")

    assert found(data, secrets) == ["response.body: BSS_CLIENT_SECRET value, raw (canary)"]


def test_a_canary_is_found_inside_a_base64_pair_without_its_partner() -> None:
    secrets = canary_secrets({"BSS_PASSWORD": "zq"})  # no form of it shows in the pair
    pair = base64.b64encode(b"someone:zq").decode()

    result = found(cassette(response_body=json.dumps({"auth": pair})), secrets)

    assert result == ["response.body: BSS_PASSWORD value in a base64 user:password pair (canary)"]


def test_a_clean_cassette_has_no_finding() -> None:
    data = cassette(
        request_headers={"Authorization": ["Bearer <BSS_ACCESS_TOKEN_1>"]},
        response_headers={"Set-Cookie": ["session=<BSS_COOKIE_1>; Path=/"]},
        response_body=json.dumps({"access_token": "<BSS_ACCESS_TOKEN_1>", "id": 1001}),
    )

    assert found(data, canary_secrets({"BSS_PASSWORD": "hunter2-correct"})) == []


def test_a_finding_reads_path_interaction_place_what_and_category() -> None:
    finding = Finding(
        "cassettes/x.json", 2, "request.headers.Authorization", "Bearer token", "structural"
    )

    assert str(finding) == (
        "cassettes/x.json: interaction 2: request.headers.Authorization: Bearer token (structural)"
    )


def test_an_unparsable_file_never_shows_a_known_value(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{}")
    secrets = canary_secrets({"BSS_PASSWORD": "hunter2-correct"})

    (finding,) = audit_file(path, secrets)

    assert (finding.interaction, finding.category) == (None, "unreadable")
    assert (
        str(finding)
        == f"{path}: has no 'interactions' list; it is not a vcrpy cassette (unreadable)"
    )


def test_data_of_an_unexpected_shape_is_unreadable_not_a_crash() -> None:
    data = cassette()
    data["interactions"][0]["request"]["headers"] = "Authorization: Bearer x"

    assert found(data) == [": cannot be audited (AttributeError) (unreadable)"]


def test_cassette_files_walks_folders_and_keeps_named_files(tmp_path: Path) -> None:
    for name in ("a/1.json", "a/2.yaml", "a/3.yml", "a/notes.txt", "a/.x.json.123.tmp"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("")

    files = cassette_files([tmp_path / "a", tmp_path / "a" / "1.json"])

    assert [p.name for p in files] == ["1.json", "2.yaml", "3.yml"]


@pytest.mark.parametrize(
    ("name", "error"), [("missing.json", FileNotFoundError), ("x.txt", ValueError)]
)
def test_cassette_files_refuses_what_is_not_a_cassette(
    tmp_path: Path, name: str, error: type[Exception]
) -> None:
    (tmp_path / "x.txt").write_text("")

    with pytest.raises(error):
        cassette_files([tmp_path / name])
