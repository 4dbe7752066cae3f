"""What real cassettes of projects the audit had never seen taught it (issue 12).

Each test is one finding of the held-out sets (docs/cli.md, "Held-out measurement"), in
a hand-built cassette of the same shape: a credential the audit missed, a value it called
a credential that was none, or a scrub that changed what replay matches on.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cassette_data import cassette

from pytest_bss.audit import audit_data, audit_report
from pytest_bss.catalogue import is_placeholder_value, looks_random, secret_field_kind
from pytest_bss.leaks import find_structural_leaks
from pytest_bss.scrub import SecretSet, scrub_interactions

# Synthetic look-alikes, never real credentials.
KEY = "Wq3Zr7Lm9Xw4Tb6Nc8Hd1Jp3Vf5Gk2Sa0Ye8Ui6Oo4Pr2Ql0Mn8Bv6Cx4Zz2Aa0Q="
SIGNATURE = "c2ln9Zr7Lm9Xw4Tb6Nc8Hd1Jp3Vf5Gk2Sa0Ye8Ui6="
DIGEST = (
    'Digest username="user", realm="me@example.test", nonce="ad49767e1b450af7af35d21da282cbee",'
    ' uri="/digest-auth/auth/user/passwd", response="b7d1a82d44769fc43b2bc823bb27813b",'
    ' opaque="8202f396ae9e04ba77f99a024a8cf5eb", qop="auth", nc=00000001, cnonce="75bdd2263bb91c0a"'
)


def credentials(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.place, f.what) for f in audit_data(data, SecretSet())]


def clean_after_scrub(data: dict[str, Any]) -> dict[str, Any]:
    scrubbed, count = scrub_interactions(data, SecretSet())
    assert count >= 1
    assert audit_data(scrubbed, SecretSet()) == []
    assert find_structural_leaks(scrubbed) == []
    return scrubbed


def test_a_digest_header_hides_its_response_and_keeps_the_uri_replay_matches_on() -> None:
    data = cassette(
        uri="https://httpbin.example.test/digest-auth/auth/user/passwd",
        request_headers={"Authorization": [DIGEST]},
        response_headers={
            "WWW-Authenticate": ['Digest nonce="ad49767e1b450af7af35d21da282cbee", qop=auth']
        },
    )

    scrubbed = clean_after_scrub(data)

    interaction = scrubbed["interactions"][0]
    assert interaction["request"]["uri"] == data["interactions"][0]["request"]["uri"]
    assert interaction["response"]["headers"] == data["interactions"][0]["response"]["headers"]
    assert "b7d1a82d44769fc43b2bc823bb27813b" not in json.dumps(scrubbed)


def test_a_link_under_a_secret_name_is_no_secret_but_its_query_is_read() -> None:
    emoji = "https://github.githubassets.example.test/images/icons/emoji/secret.png?v5"
    signed = f"https://storage.example.test/f.bin?sig={SIGNATURE}"

    assert credentials(cassette(response_body=json.dumps({"secret": emoji}))) == []
    data = cassette(response_body=json.dumps({"secret": signed}))
    assert credentials(data) == [("response.body", "secret in the query string")]
    assert SIGNATURE not in json.dumps(clean_after_scrub(data))


@pytest.mark.parametrize("value", ["sécret", "FAKE-tökén", "dümmy"])
def test_placeholder_words_with_accents_are_placeholders(value: str) -> None:
    assert is_placeholder_value(value)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("UserDelegationKey", "secret"),
        ("accountKey", "secret"),
        ("AccessKey", "secret"),
        ("signing_key", "secret"),
        ("primaryKey", None),
        ("sortKey", None),
        ("key", None),
        ("idempotencyKey", None),
    ],
)
def test_keys_that_sign_or_open_an_account(name: str, kind: str | None) -> None:
    assert secret_field_kind(name) == kind


def test_a_delegation_key_in_xml_is_found_and_scrubbed() -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8"?><UserDelegationKey><SignedOid>'
        "00000000-0000-0000-0000-000000000000</SignedOid><SignedService>b</SignedService>"
        f"<SignedVersion>2020-02-10</SignedVersion><Value>{KEY}</Value></UserDelegationKey>"
    )
    data = cassette(response_body=body, response_headers={"Content-Type": ["application/xml"]})

    assert credentials(data) == [("response.body", "secret (xml field)")]
    assert KEY not in json.dumps(clean_after_scrub(data))


@pytest.mark.parametrize(
    "body",
    [
        # a batch request's sub-requests (Azure Blob batch, OData $batch)
        "--batch_1\r\nContent-Type: application/http\r\n\r\nDELETE /c/b HTTP/1.1\r\n"
        f"x-ms-date: Tue, 01 Jan 2030 00:00:00 GMT\r\nAuthorization: SharedKey acct:{SIGNATURE}"
        "\r\nContent-Length: 0\r\n\r\n--batch_1--\r\n",
        f"curl -H 'Authorization: HMAC-SHA256 {SIGNATURE}' https://api.example.test/",
    ],
)
def test_an_authorization_line_inside_a_text_is_found_and_scrubbed(body: str) -> None:
    data = cassette(request_body=body)

    assert credentials(data) == [("request.body", "Authorization value in a text")]
    assert SIGNATURE not in json.dumps(clean_after_scrub(data))


def test_prose_about_authorization_is_no_credential() -> None:
    prose = "Authorization: required for this endpoint, see the documentation page"

    assert credentials(cassette(response_body=prose)) == []


def test_a_media_type_is_not_random() -> None:
    data = cassette(request_headers={"Accept": ["application/vnd.github.v3.full+json"]})

    assert not looks_random("application/vnd.github.v3.full+json")
    assert audit_report(data, SecretSet()).findings == []


# -- set C ---------------------------------------------------------------------------------


def test_a_basic_pair_of_placeholders_is_another_tools_placeholder() -> None:
    demo = base64.b64encode(b"user:passwd").decode()  # httpbin's documented demo account
    real = base64.b64encode(b"user:Qx7-vR2p!kL9").decode()

    assert credentials(cassette(request_headers={"Authorization": [f"Basic {demo}"]})) == []
    assert credentials(cassette(request_headers={"Authorization": [f"Basic {real}"]})) == [
        ("request.headers.Authorization", "Basic credentials")
    ]


def test_a_vendor_named_placeholder_token() -> None:
    data = cassette(request_headers={"X-Vault-Token": ["my_vault_token"]})

    assert credentials(data) == []


def test_a_gcs_resumable_upload_session_is_found_and_scrubbed() -> None:
    session = "ADPycdtV4kQ7wXz9Lm2Nb8Rt6Yp3Hs1Jd5Fg0Ka7Qw"
    location = (
        "https://storage.googleapis.com/upload/storage/v1/b/bucket/o"
        f"?uploadType=resumable&name=f.bin&upload_id={session}"
    )
    data = cassette(uri=location, response_headers={"Location": [location]})

    assert ("request.uri", "Google Cloud Storage upload session") in credentials(data)
    assert session not in json.dumps(clean_after_scrub(data))


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("<r><ssid>8ff6da72388dbce88e48e0c6e95c332a</ssid></r>", True),
        ("<r><ssid>HomeNetwork</ssid></r>", False),  # a Wi-Fi network's name
        ("<r><sid>AC8ff6da72388dbce88e48e0c6e95c332a</sid></r>", False),  # a resource id
    ],
)
def test_a_session_id_named_sid(body: str, found: bool) -> None:
    data = cassette(response_body=body, response_headers={"Content-Type": ["text/xml"]})

    assert (credentials(data) == [("response.body", "session (xml field)")]) is found
