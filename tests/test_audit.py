"""Unit tests of pytest_bss.audit: what the audit finds in cassette data, one case per test."""

from __future__ import annotations

import base64
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from cassette_data import cassette

from pytest_bss.audit import (
    Finding,
    audit_data,
    audit_file,
    audit_report,
    canary_secrets,
    cassette_files,
)
from pytest_bss.scrub import SecretSet

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
OPAQUE = "a1B2c3D4e5F6g7H8i9J0"


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
    data = cassette(
        response_headers={"Content-Encoding": ["compress"]}, response_body=b"\xff\x00\xfe"
    )

    assert found(data) == [
        "response.body: body that cannot be decoded (compress-encoded) (unreadable)"
    ]


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
        str(finding) == f"{path}: not a cassette: no 'interactions' (vcrpy) or 'http_interactions' "
        "(betamax) list (unreadable)"
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


# --- confidence levels, masked values, --strict, --format json|sarif ------------------

RANDOM = "q7Xr2Lk9Vb4Nz8Tw3Hs6Jd1Mf5Pc0Ga"


def test_a_random_value_in_an_unknown_field_is_suspicious_not_a_credential() -> None:
    data = cassette(response_body=json.dumps({"id": 1001, "blob": RANDOM}))

    (finding,) = audit_report(data, SecretSet()).findings

    assert (finding.confidence, finding.category, finding.kind) == (
        "suspicious",
        "suspicious",
        "high_entropy",
    )
    assert finding.what == "random-looking value in JSON field 'blob'"
    assert audit_data(data, SecretSet()) == []  # what scrub gates on: credentials only


@pytest.mark.parametrize(
    "data",
    [
        cassette(response_headers={"X-Mystery": [RANDOM]}),
        cassette(uri=f"https://api.example.test/x?opaque={RANDOM}"),
        cassette(request_body=f"a=1&opaque={RANDOM}"),
    ],
)
def test_random_values_in_unknown_headers_queries_and_forms_are_suspicious(
    data: dict[str, Any],
) -> None:
    assert [f.confidence for f in audit_report(data, SecretSet()).findings] == ["suspicious"]


@pytest.mark.parametrize(
    "data",
    [
        cassette(response_headers={"ETag": [RANDOM], "X-Request-Id": [RANDOM]}),
        cassette(response_body=json.dumps({"accountId": RANDOM, "contentHash": RANDOM})),
        cassette(response_body=json.dumps({"next": f"https://x.example.test/{RANDOM}"})),
    ],
)
def test_ids_hashes_and_urls_are_not_suspicious(data: dict[str, Any]) -> None:
    assert audit_report(data, SecretSet()).findings == []


def test_a_credential_and_a_random_value_in_one_place_is_one_credential_finding() -> None:
    data = cassette(response_body=json.dumps({"access_token": RANDOM, "blob": RANDOM}))

    findings = audit_report(data, SecretSet()).findings

    assert [(f.confidence, f.kind) for f in findings] == [("credential", "access_token")]


def write(tmp_path: Path, name: str, data: dict[str, Any]) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    from pytest_bss.cli import main

    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


@pytest.fixture
def no_canaries(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("BSS_CLIENT_KEY", "BSS_CLIENT_SECRET", "BSS_USERNAME", "BSS_PASSWORD"):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.usefixtures("no_canaries")
def test_suspicious_values_exit_0_unless_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "x.json", cassette(response_body=json.dumps({"blob": RANDOM})))

    status, out = run(capsys, "audit", str(path))
    strict, strict_out = run(capsys, "audit", "--strict", str(path))

    assert status == 0
    assert out.splitlines() == [
        f"{path}: interaction 0: response.body: random-looking value in JSON field 'blob' "
        "(suspicious)",
        "pytest-bss audit: 1 suspicious in 1 of 1 cassette (no BSS_* canaries set)",
    ]
    assert strict == 1
    assert strict_out.splitlines()[-1].startswith("pytest-bss audit: 1 suspicious (--strict)")
    assert RANDOM not in out + strict_out


@pytest.mark.usefixtures("no_canaries")
def test_masked_values_have_their_own_line_and_do_not_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = cassette(
        request_headers={"Authorization": ["Bearer <ACCESS_TOKEN>"], "Cookie": ["sid=****"]}
    )
    path = write(tmp_path, "x.json", data)

    status, out = run(capsys, "audit", str(path))

    assert status == 0
    assert out.splitlines() == [
        "masked by another tool: 2 values in 1 cassette (placeholders, not findings)",
        "pytest-bss audit: 1 cassette, no findings (no BSS_* canaries set)",
    ]


@pytest.mark.usefixtures("no_canaries")
def test_json_output_has_confidence_and_masked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = cassette(
        request_headers={"X-Api-Key": [RANDOM], "Authorization": ["Bearer REDACTED"]},
        response_body=json.dumps({"blob": RANDOM}),
    )
    path = write(tmp_path, "x.json", data)

    status, out = run(capsys, "audit", "--format", "json", str(path))

    report = json.loads(out)
    assert status == 1
    assert [(f["confidence"], f["kind"]) for f in report["findings"]] == [
        ("credential", "api_key"),
        ("suspicious", "high_entropy"),
    ]
    assert report["masked"] == [
        {
            "path": str(path),
            "interaction": 0,
            "place": "request.headers.Authorization",
            "what": "credential masked by another tool",
        }
    ]
    assert RANDOM not in out


@pytest.mark.usefixtures("no_canaries")
def test_sarif_output_has_one_result_per_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    data = cassette(
        request_headers={"X-Api-Key": [RANDOM]}, response_body=json.dumps({"blob": RANDOM})
    )
    write(tmp_path, "x.json", data)

    status, out = run(capsys, "audit", "--format", "sarif", "x.json")

    log = json.loads(out)
    assert status == 1
    assert log["version"] == "2.1.0"
    (sarif_run,) = log["runs"]
    assert sarif_run["tool"]["driver"]["name"] == "pytest-bss audit"
    assert {rule["id"] for rule in sarif_run["tool"]["driver"]["rules"]} == {
        "api_key",
        "high_entropy",
    }
    assert [(r["ruleId"], r["level"]) for r in sarif_run["results"]] == [
        ("api_key", "error"),
        ("high_entropy", "warning"),
    ]
    location = sarif_run["results"][0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "x.json"
    assert location["logicalLocations"][0]["fullyQualifiedName"] == (
        "interaction 0: request.headers.X-Api-Key"
    )
    assert RANDOM not in out


@pytest.mark.usefixtures("no_canaries")
def test_the_repositorys_own_cassettes_are_clean_even_when_strict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = Path(__file__).resolve().parents[1]

    status, out = run(capsys, "audit", "--strict", str(repo / "cassettes"))

    assert status == 0, out
    assert "masked" not in out


def test_an_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = run(capsys, "audit", "--format", "xml")

    assert status == 2
