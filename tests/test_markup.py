"""Credentials in XML bodies: SOAP, XML-RPC, attributes (issue 12, held-out set A)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from cassette_data import cassette

from pytest_bss.cli import main
from pytest_bss.markup import escape_placeholders, looks_like_xml, xml_credentials

# Synthetic look-alikes, never real credentials.
PASSWORD = "Vrelk!47"
COOKIE = "5d9a3c1e7b2f4a6c8e0d2b4f6a8c0e2d4f6a8c0e"
API_KEY = "kq7Zr2Lm9Xw4Tb6Nc8Hd1Jp3"

SOAP_LOGIN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
    "<soapenv:Header><vcSessionCookie>" + COOKIE + "</vcSessionCookie></soapenv:Header>"
    '<soapenv:Body><Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager'
    "</_this><userName>Administrator@vsphere.local</userName>"
    f"<password>{PASSWORD}</password></Login></soapenv:Body></soapenv:Envelope>"
)
XML_RPC = (
    "<?xml version='1.0'?><methodCall><methodName>auth.login</methodName><params><param>"
    "<value><struct><member><name>username</name><value><string>bob</string></value></member>"
    f"<member><name>api_key</name><value><string>{API_KEY}</string></value></member>"
    "</struct></value></param></params></methodCall>"
)


def found(text: str) -> list[tuple[str, str]]:
    return [(kind, value) for _, _, kind, value in xml_credentials(text)]


def test_soap_elements_are_read_by_their_names() -> None:
    assert found(SOAP_LOGIN) == [("session", COOKIE), ("password", PASSWORD)]


def test_xml_rpc_members_are_read_as_the_field_they_name() -> None:
    assert found(XML_RPC) == [("api_key", API_KEY)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('<Credentials user="bob" password="p&amp;ss-w0rd"/>', [("password", "p&ss-w0rd")]),
        (f"<a><token><![CDATA[{API_KEY}]]></token></a>", [("access_token", API_KEY)]),
        (f"<a><ns1:apiKey><value>{API_KEY}</value></ns1:apiKey></a>", [("api_key", API_KEY)]),
        ("<a><password>&lt;BSS_PASSWORD&gt;</password><password>****</password></a>", []),
        ("<a><token_type>bearer</token_type><passwordPolicy>x</passwordPolicy></a>", []),
        (f"<a><password>{PASSWORD}</password", []),  # cut short: no closing tag
    ],
)
def test_attributes_cdata_namespaces_and_placeholders(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(text) == expected


def test_html_is_no_xml() -> None:
    page = '<!DOCTYPE html><html><body><div data-token="q1w2e3r4t5y6u7i8"></div></body></html>'

    assert not looks_like_xml(page)
    assert looks_like_xml(SOAP_LOGIN)
    assert not looks_like_xml('{"a": "<b></b>"}')


def test_entities_are_never_expanded() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><r><password>&b;&b;</password></r>'
    )

    assert found(bomb) == [("password", "&b;&b;")]  # read as written: no expansion


def test_placeholders_are_escaped_in_xml() -> None:
    text = escape_placeholders(f"<a><password><BSS_PASSWORD></password><p>{PASSWORD}</p></a>")

    assert text == f"<a><password>&lt;BSS_PASSWORD&gt;</password><p>{PASSWORD}</p></a>"


def soap_cassette(path: Path) -> None:
    data = cassette(
        method="POST",
        uri="https://vcenter.example.test/sdk",
        request_headers={"Content-Type": ["text/xml; charset=UTF-8"]},
        request_body=SOAP_LOGIN,
        response_headers={"Content-Type": ["text/xml"]},
        response_body=XML_RPC,
    )
    path.write_text(yaml.safe_dump(data))


def test_audit_finds_xml_credentials_and_scrub_keeps_the_xml_well_formed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "soap.yaml"
    soap_cassette(path)

    audited = main(["audit", str(path)])
    report = capsys.readouterr().out
    scrubbed = main(["scrub", str(path)])
    after = main(["audit", str(path)])
    capsys.readouterr()

    assert audited == 1
    assert "interaction 0: request.body: password (xml field)" in report
    assert "interaction 0: response.body: api_key (xml field)" in report
    assert (scrubbed, after) == (0, 0)
    interaction = yaml.safe_load(path.read_text())["interactions"][0]
    request_body = interaction["request"]["body"]
    response_body = interaction["response"]["body"]["string"]
    for secret in (PASSWORD, COOKIE, API_KEY):
        assert secret not in request_body + response_body
    ET.fromstring(request_body.encode())  # noqa: S314 - our own text; still XML
    ET.fromstring(response_body.encode())  # noqa: S314
    assert "<password>&lt;BSS_PASSWORD&gt;</password>" in request_body
