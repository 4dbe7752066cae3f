"""Personal data: the field list, pseudonyms, free text, the write stage and its gate.

Every "real" value here is synthetic: made up, or a published specimen (IBAN registry
examples, a Luhn-valid number outside the test ranges generated for this file).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from stdnum import iban, luhn
from stdnum.eu import vat

from pytest_bss.config import BssConfig
from pytest_bss.exceptions import CassetteWriteError, PersonalDataError
from pytest_bss.fake import TenantEmulator
from pytest_bss.personal import (
    KeyRules,
    Kind,
    PersonalPolicy,
    Pseudonymiser,
    find_in_text,
    find_personal,
    personal_kind,
    pseudonym_key,
    pseudonymise_response,
    sent_values,
)
from pytest_bss.scrub import SecretSet
from pytest_bss.settings import merge_settings
from pytest_bss.write import WriteContext, prepare

KEY = b"synthetic pseudonym key for the tests, 32+ bytes long"
REAL_EMAIL = "jane.doe@contoso-mail.com"
REAL_IBAN = "DE89370400440532013000"  # the IBAN registry's German specimen
REAL_CARD = "4539148803436467"  # Luhn-valid, not a test BIN
REAL_PHONE = "+44 20 7946 0018"
REAL_VAT = "DE136695976"


@pytest.fixture
def pseudonymiser() -> Pseudonymiser:
    return Pseudonymiser(KEY)


def response(body: Any, headers: dict[str, list[str]] | None = None) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Type": ["application/json"], **(headers or {})},
        "body": {"string": text},
    }


def interaction(body: Any, *, request_body: Any = None, uri: str = "https://h/api/x") -> Any:
    return {
        "request": {
            "method": "POST" if request_body is not None else "GET",
            "uri": uri,
            "body": json.dumps(request_body) if request_body is not None else None,
            "headers": {},
        },
        "response": response(body),
    }


def body_of(message: dict[str, Any]) -> Any:
    return json.loads(message["body"]["string"])


# --- the field list -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        (("email",), Kind.EMAIL),
        (("billing_email",), Kind.EMAIL),
        (("contacts", "FirstName"), Kind.FIRST_NAME),
        (("billingAddress", "postalCode"), Kind.POSTCODE),
        (("paymentMethod", "iban"), Kind.IBAN),
        (("card", "cardNumber"), Kind.CARD),
        (("vatNumber",), Kind.VAT),
        (("mobilePhone",), Kind.PHONE),
    ],
)
def test_it_knows_the_personal_fields_of_bss_resources(path: tuple[str, ...], kind: Kind) -> None:
    assert KeyRules().kind(path) == kind


def test_a_name_is_personal_only_beside_other_personal_data() -> None:
    rules = KeyRules()
    assert rules.kind(("attributes", "name")) is None
    assert rules.kind(("name",), beside_personal=True) == Kind.NAME


def test_ini_rules_add_and_keep_fields() -> None:
    rules = KeyRules.parse(["customFields.nickname:first_name", "notes"], ["contactEmail"])
    assert rules.kind(("customFields", "nickname")) == Kind.FIRST_NAME
    assert rules.kind(("nickname",)) is None
    assert rules.kind(("notes",)) == Kind.AUTO
    assert rules.kind(("contactEmail",)) is None


def test_a_bad_kind_names_the_ini_key() -> None:
    with pytest.raises(ValueError, match="bss_personal_fields"):
        KeyRules.parse(["nickname:shoe_size"])


# --- pseudonyms -----------------------------------------------------------------------


def test_the_same_value_gets_the_same_pseudonym_across_runs() -> None:
    first, second = Pseudonymiser(KEY), Pseudonymiser(KEY)
    for kind, value in [(Kind.EMAIL, REAL_EMAIL), (Kind.IBAN, REAL_IBAN), (Kind.NAME, "Jane Doe")]:
        assert first.pseudonym(kind, value) == second.pseudonym(kind, value) != value


def test_another_key_gives_other_pseudonyms() -> None:
    other = Pseudonymiser(b"another key")
    assert other.pseudonym(Kind.EMAIL, REAL_EMAIL) != Pseudonymiser(KEY).pseudonym(
        Kind.EMAIL, REAL_EMAIL
    )


def test_an_email_pseudonym_is_on_a_reserved_domain(pseudonymiser: Pseudonymiser) -> None:
    made = pseudonymiser.pseudonym(Kind.EMAIL, REAL_EMAIL)
    assert made.rsplit("@", 1)[1] in ("example.com", "example.org", "example.net")


@pytest.mark.parametrize(
    "value",
    [REAL_IBAN, "GB82 WEST 1234 5698 7654 32", "FR1420041010050500013M02606", "NL91ABNA0417164300"],
)
def test_an_iban_pseudonym_keeps_country_length_and_a_valid_checksum(
    pseudonymiser: Pseudonymiser, value: str
) -> None:
    made = pseudonymiser.pseudonym(Kind.IBAN, value)
    assert iban.is_valid(made, check_country=False)
    assert made[:2] == value[:2]
    assert len(made) == len(value)
    assert made != value
    assert personal_kind(made) is None  # marked: the gate knows it for a pseudonym


def test_a_card_pseudonym_is_luhn_valid_on_a_test_bin_with_the_last_four_kept(
    pseudonymiser: Pseudonymiser,
) -> None:
    made = pseudonymiser.pseudonym(Kind.CARD, "4539 1488 0343 6467")
    digits = made.replace(" ", "")
    assert luhn.is_valid(digits)
    assert digits.startswith("411111")
    assert digits[-4:] == "6467"
    assert made.count(" ") == 3


@pytest.mark.parametrize("value", [REAL_PHONE, "+4915112345678", "+1 212 555 0100"])
def test_a_phone_pseudonym_is_a_valid_number_of_the_same_country(
    pseudonymiser: Pseudonymiser, value: str
) -> None:
    made = pseudonymiser.pseudonym(Kind.PHONE, value)
    real, fake = phonenumbers.parse(value), phonenumbers.parse(made)
    assert phonenumbers.is_valid_number(fake)
    assert made != value
    assert phonenumbers.region_code_for_number(fake) == phonenumbers.region_code_for_number(real)


@pytest.mark.parametrize("value", [REAL_VAT, "NL004495445B01", "FR40303265045"])
def test_a_vat_pseudonym_is_valid_in_its_country(pseudonymiser: Pseudonymiser, value: str) -> None:
    made = pseudonymiser.pseudonym(Kind.VAT, value)
    assert vat.is_valid(made)
    assert made[:2] == value[:2]
    assert made != value


def test_names_stay_names_and_companies_keep_their_legal_form(
    pseudonymiser: Pseudonymiser,
) -> None:
    assert pseudonymiser.pseudonym(Kind.NAME, "Northwind Cloud Ltd").endswith(" Ltd")
    person = pseudonymiser.pseudonym(Kind.NAME, "Jane Doe")
    assert len(person.split()) == 2
    assert person != "Jane Doe"


def test_the_key_comes_from_the_explicit_variable_or_the_client_secret() -> None:
    explicit = pseudonym_key(environ={"BSS_PSEUDONYM_KEY": "team secret"})
    derived = pseudonym_key(client_secret="s", base_url="https://a.example/x", environ={})
    assert explicit
    assert derived
    assert explicit != derived
    # the port is not part of it: the emulator's random port keeps its pseudonyms
    assert derived == pseudonym_key(
        client_secret="s", base_url="https://a.example:8443/", environ={}
    )
    assert pseudonym_key(environ={}) is None


# --- free text ---------------------------------------------------------------------------


def test_free_text_finds_each_kind_and_leaves_stand_ins() -> None:
    text = (
        f"Call {REAL_PHONE} or mail {REAL_EMAIL}; pay to {REAL_IBAN} with {REAL_CARD}. "
        "Stand-ins: ops@example.com, 4111 1111 1111 1111."
    )
    kinds = [match.kind for match in find_in_text(text)]
    assert kinds == [Kind.PHONE, Kind.EMAIL, Kind.IBAN, Kind.CARD]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("+49 1512 7715162", id="international-phone"),
        pytest.param("DK4300006283312581", id="pseudonymous-iban"),
    ],
)
def test_luhn_valid_digits_of_a_phone_or_an_iban_are_no_card_number(text: str) -> None:
    digits = "".join(ch for ch in text if ch.isdigit())
    assert personal_kind(digits) is Kind.CARD  # alone, these digits would be a card

    assert find_in_text(f"see {text}.", phones=False) == []
    assert [m.kind for m in find_in_text(f"see {text}.")] == (
        [Kind.PHONE] if text.startswith("+") else []
    )


def test_a_card_number_beside_a_phone_number_is_still_found() -> None:
    kinds = [m.kind for m in find_in_text(f"+49 1512 7715162 / {REAL_CARD}", phones=False)]

    assert kinds == [Kind.CARD]


# --- responses --------------------------------------------------------------------------


ACCOUNT = {
    "id": 1001,
    "name": "Jane Doe Consulting Ltd",
    "email": REAL_EMAIL,
    "phone": REAL_PHONE,
    "vatNumber": REAL_VAT,
    "description": f"Invoices to {REAL_EMAIL}, card {REAL_CARD}",
    "attributes": [{"name": "Region", "value": "West Europe"}],
}


def test_a_response_is_pseudonymised_field_by_field_and_in_free_text(
    pseudonymiser: Pseudonymiser,
) -> None:
    out, count = pseudonymise_response(
        response(ACCOUNT, {"Content-Length": [str(len(json.dumps(ACCOUNT)))]}), pseudonymiser
    )
    body = body_of(out)
    assert count == 6
    assert body["id"] == 1001
    assert body["attributes"] == ACCOUNT["attributes"]
    assert REAL_EMAIL not in json.dumps(body)
    assert REAL_CARD not in json.dumps(body)
    assert body["email"] in body["description"]  # the same value, the same pseudonym
    assert out["headers"]["Content-Length"] == [str(len(out["body"]["string"].encode()))]
    assert find_personal({"interactions": [{"request": {}, "response": out}]}) == []


def test_pseudonymising_twice_changes_nothing_more(pseudonymiser: Pseudonymiser) -> None:
    once, _ = pseudonymise_response(response(ACCOUNT), pseudonymiser)
    twice, count = pseudonymise_response(once, pseudonymiser)
    assert count == 0
    assert twice["body"] == once["body"]


def test_values_the_test_sent_are_kept(pseudonymiser: Pseudonymiser) -> None:
    sent = sent_values(
        {"uri": "https://h/api/accounts?email=" + REAL_EMAIL, "body": '{"name": "Jane Doe"}'}
    )
    out, _ = pseudonymise_response(
        response({"name": "Jane Doe", "email": REAL_EMAIL, "phone": REAL_PHONE}),
        pseudonymiser,
        sent=sent,
    )
    body = body_of(out)
    assert body["name"] == "Jane Doe"
    assert body["email"] == REAL_EMAIL
    assert body["phone"] != REAL_PHONE


def test_kept_fields_are_left_alone(pseudonymiser: Pseudonymiser) -> None:
    rules = KeyRules.parse(keep=["supportEmail"])
    out, _ = pseudonymise_response(
        response({"supportEmail": "help@vendor-mail.com"}), pseudonymiser, rules=rules
    )
    assert body_of(out) == {"supportEmail": "help@vendor-mail.com"}


# --- the write stage and its gate -----------------------------------------------------------


def context(tmp_path: Path, **kwargs: Any) -> WriteContext:
    return WriteContext(tmp_path / "c.json", SecretSet(), personal=PersonalPolicy(), **kwargs)


def test_the_stage_pseudonymises_what_this_run_recorded(tmp_path: Path) -> None:
    data = {"version": 1, "interactions": [interaction(ACCOUNT)]}
    out = prepare(data, context(tmp_path, **{"pseudonymiser": Pseudonymiser(KEY)}))
    assert REAL_EMAIL not in json.dumps(out)


@pytest.mark.parametrize(
    ("body", "place"),
    [
        ({"note": f"mail {REAL_EMAIL}"}, "interaction 0 response body note (an e-mail*"),
        ({"data": [{"bank": REAL_IBAN}]}, "interaction 0 response body data[0].bank (an IBAN*"),
        ({"x": REAL_CARD}, "interaction 0 response body x (a Luhn-valid card number*"),
    ],
)
def test_the_gate_refuses_what_still_looks_personal_naming_place_and_ini_key(
    tmp_path: Path, body: Any, place: str
) -> None:
    data = {"version": 1, "interactions": [interaction(body)]}
    with pytest.raises(PersonalDataError) as caught:
        prepare(data, context(tmp_path))  # no pseudonymiser: the gate alone
    assert isinstance(caught.value, CassetteWriteError)
    assert any(p.startswith(place.rstrip("*")) for p in caught.value.places)
    assert "bss_personal_keep" in str(caught.value)
    assert "bss_personal_fields" in str(caught.value)
    for value in (REAL_EMAIL, REAL_IBAN, REAL_CARD):
        assert value not in str(caught.value)


def test_the_gate_lets_test_data_and_stand_ins_through(tmp_path: Path) -> None:
    data = {
        "version": 1,
        "interactions": [
            interaction({"email": REAL_EMAIL}, request_body={"email": REAL_EMAIL}),
            interaction({"email": "a@example.org", "card": "4111111111111111"}),
        ],
    }
    prepare(data, context(tmp_path))


def test_switched_off_the_stage_passes_everything(tmp_path: Path) -> None:
    data = {"version": 1, "interactions": [interaction({"note": REAL_EMAIL})]}
    prepare(data, WriteContext(tmp_path / "c.json", SecretSet(), personal=PersonalPolicy(False)))


def test_the_settings_merge_the_personal_data_layers() -> None:
    settings = merge_settings(
        ini={"personal_data": "true", "personal_keep": ["a"]}, marker={"personal_data": False}
    )
    assert settings.personal_data is False
    assert settings.personal_keep == ("a",)


# --- end to end: record against a real HTTP server, then replay ----------------------------

E2E_TEST = """
import pytest

def test_reads_a_customer(bss_client):
    customer = bss_client.get_json("api/customers/7")
    assert "@example." in customer["email"]
    assert customer["name"] == "Jane Doe"  # sent in the query: test data, kept
    pytest.customer = customer

def test_reads_it_again(bss_client):
    customer = bss_client.get_json("api/customers/7")
    # same pseudonyms in another cassette
    assert customer["email"] == pytest.customer["email"]

@pytest.mark.bss(personal_data=False)
def test_sees_raw_data_when_switched_off(bss_client):
    assert bss_client.get_json("api/customers/7")["email"] == "{email}"
"""


def test_recording_writes_pseudonyms_the_test_saw_and_replay_passes(
    pytester: pytest.Pytester,
    emulator: TenantEmulator,
    export_tenant: Callable[[BssConfig], None],
) -> None:
    customer = {
        "name": "Jane Doe",
        "email": REAL_EMAIL,
        "phone": REAL_PHONE,
        "iban": REAL_IBAN,
        "note": f"card {REAL_CARD}",
    }
    emulator.inject_fault(
        "api/customers", status=200, body=json.dumps(customer),
        content_type="application/json", times=None,
    )  # fmt: skip
    export_tenant(emulator.config())
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_e2e=E2E_TEST.replace("{email}", REAL_EMAIL).replace(
            'get_json("api/customers/7")', 'get_json("api/customers/7", params={"q": "Jane Doe"})'
        )
    )
    pytester.runpytest("--bss-record", "-p", "no:randomly").assert_outcomes(passed=3)
    written = {p.name: p.read_text() for p in Path(pytester.path, "cassettes").rglob("*.json")}
    for name, text in written.items():
        if "switched_off" in name:
            continue
        for value in (REAL_EMAIL, REAL_IBAN, REAL_CARD, "7946 0018"):
            assert value not in text, (name, value)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=3)


SEEDED_E2E_TEST = """
import json

import phonenumbers
import pytest

from pytest_bss.personal.detect import is_pseudonym_iban, is_reserved_email, is_test_card

SEEDED = json.loads({seeded!r})


def check_seen(account):
    assert is_reserved_email(account["email"])
    assert is_pseudonym_iban(account["billingIban"])
    assert phonenumbers.is_valid_number(phonenumbers.parse(account["phone"], None))
    if account["paymentCard"]:
        assert is_test_card(account["paymentCard"]["cardNumber"])
    seen = [account["email"], account["phone"], account["billingIban"]]
    if account["paymentCard"]:
        seen.append(account["paymentCard"]["cardNumber"])
    assert not set(seen) & set(SEEDED["values"])


def test_pages_through_every_account(bss_client):
    accounts = bss_client.get_json("api/accounts", params={"pageSize": 100})["data"]
    for account in accounts:
        check_seen(account)
    pytest.first_listed = accounts[0]


def test_reads_one_account(bss_client):
    account = bss_client.get_json("api/accounts/1001")
    check_seen(account)
    assert account == pytest.first_listed  # list and detail pages: the same pseudonyms


def test_reads_a_subscriptions_admin_contact(bss_client):
    body = bss_client.get_json(f"api/subscriptions/{SEEDED['guid']}/attributes")
    admin = next(a["value"] for a in body["attributes"] if a["code"] == "ADMIN_EMAIL")
    assert is_reserved_email(admin)
    assert admin not in SEEDED["values"]
"""


def seeded_values(data: Any) -> list[str]:
    """The emulator's personal values (e-mails, phones, IBANs, cards) in the forms a
    cassette could hold them: as seeded, without spaces, JSON- and URL-escaped."""
    from urllib.parse import quote

    values = set()
    for account in data.accounts.values():
        values |= {account["email"], account["phone"], account["billingIban"]}
        values.add(account["webSite"].removeprefix("https://www."))  # the domain
        if account["paymentCard"]:
            values.add(account["paymentCard"]["cardNumber"])
    for attributes in data.subscriptions.values():
        values |= {a["value"] for a in attributes if a["code"] == "ADMIN_EMAIL"}
    forms = set()
    for value in values:
        compact = value.replace(" ", "")
        forms |= {value, compact, json.dumps(value)[1:-1], quote(value), quote(compact)}
    return sorted(forms)


def test_recording_the_emulators_seeded_data_writes_only_pseudonyms(
    pytester: pytest.Pytester,
    emulator: TenantEmulator,
    export_tenant: Callable[[BssConfig], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_bss.cli import main

    monkeypatch.delenv("BSS_PSEUDONYM_KEY", raising=False)  # the key from the client secret
    export_tenant(emulator.config())
    guid = next(iter(emulator.data.subscriptions))
    values = seeded_values(emulator.data)
    seeded = json.dumps({"values": values, "guid": guid})
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_seeded=SEEDED_E2E_TEST.replace("{seeded!r}", repr(seeded)))

    pytester.runpytest("--bss-record", "-p", "no:randomly").assert_outcomes(passed=3)
    cassettes = Path(pytester.path, "cassettes")
    written = {p.name: p.read_text() for p in sorted(cassettes.rglob("*.json"))}
    pytester.runpytest("--bss-record", "-p", "no:randomly").assert_outcomes(passed=3)
    rewritten = {p.name: p.read_text() for p in sorted(cassettes.rglob("*.json"))}
    emulator.stop()
    replayed = pytester.runpytest("-p", "no:randomly")

    assert len(written) == 4  # three tests and the shared token cassette
    leaked = [(name, v) for name, text in written.items() for v in values if v in text]
    assert leaked == []
    assert rewritten == written  # re-recording: no diff
    replayed.assert_outcomes(passed=3)
    assert main(["audit", "--personal-data", "--strict", str(cassettes)]) == 0


# -- the command: audit --personal-data, scrub --personal-data ------------------------------

FOREIGN = {
    "version": 1,
    "interactions": [
        {
            "request": {
                "method": "GET",
                "uri": "https://h.test/api/accounts/1",
                "body": None,
                "headers": {},
            },
            "response": {
                "status": {"code": 200, "message": "OK"},
                "headers": {"Content-Type": ["application/json"]},
                "body": {
                    "string": json.dumps(
                        {
                            "id": 1,
                            "name": "Jane Doe",
                            "email": "jane.doe@acme-widgets.com",
                            "iban": "DE89370400440532013000",
                            "note": "call jane.doe@acme-widgets.com",
                        }
                    )
                },
            },
        }
    ],
}


def test_audit_and_scrub_take_personal_data_from_any_cassette(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_bss.cli import main

    path = tmp_path / "foreign.json"
    path.write_text(json.dumps(FOREIGN, indent=4) + "\n")
    monkeypatch.setenv("BSS_PSEUDONYM_KEY", "synthetic-team-key")

    assert main(["audit", "--personal-data", str(path)]) == 1
    found = capsys.readouterr().out
    assert main(["scrub", "--personal-data", str(path)]) == 0
    capsys.readouterr()
    assert main(["audit", "--personal-data", str(path)]) == 0

    assert "an IBAN with a valid checksum (personal data)" in found
    assert "jane.doe@acme-widgets.com" not in found
    text = path.read_text()
    assert "jane.doe@acme-widgets.com" not in text
    assert "DE89370400440532013000" not in text
    body = json.loads(json.loads(text)["interactions"][0]["response"]["body"]["string"])
    assert body["email"].endswith(
        (
            ".example.com",
            ".example.org",
            ".example.net",
            "@example.com",
            "@example.org",
            "@example.net",
        )
    )
    assert body["note"] == f"call {body['email']}"  # the same value, the same pseudonym
    assert text.startswith('{\n    "version": 1')  # the file's own indentation


def test_scrub_personal_data_without_a_key_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_bss.cli import main

    for name in ("BSS_PSEUDONYM_KEY", "BSS_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "foreign.json"
    path.write_text(json.dumps(FOREIGN))

    assert main(["scrub", "--personal-data", str(path)]) == 2
    assert "BSS_PSEUDONYM_KEY" in capsys.readouterr().err
