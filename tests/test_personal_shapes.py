"""Personal data in the shapes ordinary responses give it (the review of issue 15):
an "@" written as ``%40`` or ``&#64;``, IBANs in any case and spacing, card numbers as
JSON numbers, JSON inside JSON strings, several addresses in one e-mail field, bodies in
UTF-16 without a mark, old and stacked content codings.

Every value is synthetic (made up, or a published specimen).
"""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import pytest
from stdnum import iban, luhn

from pytest_bss.decoding import body_text, decode_message, decompress
from pytest_bss.personal import Kind, Pseudonymiser, find_in_text, find_personal
from pytest_bss.personal.bodies import pseudonymise_response
from pytest_bss.personal.detect import is_reserved_email

KEY = b"synthetic pseudonym key for the shape tests, 32+ bytes"
EMAIL = "jan.kowalski@northwind-mail.de"
IBAN = "DE89370400440532013000"  # the IBAN registry's German specimen
CARD = "4929123456781236"  # Luhn-valid, not a test BIN


def response(body: Any, content_type: str = "application/json") -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    return {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Type": [content_type]},
        "body": {"string": text},
    }


def cassette(*responses: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": "GET",
        "uri": "https://h.invalid/api/x",
        "body": None,
        "headers": {},
    }
    return {"interactions": [{"request": request, "response": r} for r in responses]}


def pseudonymised(body: Any, content_type: str = "application/json") -> str:
    out, _ = pseudonymise_response(response(body, content_type), Pseudonymiser(KEY))
    text: str = out["body"]["string"]
    return text


@pytest.mark.parametrize(
    ("text", "kind", "found"),
    [
        (
            "?email=jan.kowalski%40northwind-mail.de&page=2",
            Kind.EMAIL,
            "jan.kowalski%40northwind-mail.de",
        ),
        (
            "mailto:jan.kowalski&#64;northwind-mail.de",
            Kind.EMAIL,
            "jan.kowalski&#64;northwind-mail.de",
        ),
        ("write to jan&#x40;nw-mail.de", Kind.EMAIL, "jan&#x40;nw-mail.de"),
        ('{\\"email\\":\\"jan\\u0040nw-mail.de\\"}', Kind.EMAIL, "jan\\u0040nw-mail.de"),
        ("pay to de89370400440532013000", Kind.IBAN, "de89370400440532013000"),
        ("DE89  3704 0044 0532 0130 00", Kind.IBAN, "DE89  3704 0044 0532 0130 00"),
        ("DE89-3704-0044-0532-0130-00", Kind.IBAN, "DE89-3704-0044-0532-0130-00"),
        ("DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000", Kind.IBAN, None),
        ("gb82west12345698765432", Kind.IBAN, "gb82west12345698765432"),
        ("4929.1234.5678.1236", Kind.CARD, "4929.1234.5678.1236"),
        ("card 4929  1234  5678  1236 exp", Kind.CARD, "4929  1234  5678  1236"),
    ],
)
def test_the_free_text_search_reads_every_ordinary_spelling(
    text: str, kind: Kind, found: str | None
) -> None:
    matches = find_in_text(text)
    assert [m.kind for m in matches] == [kind]
    assert matches[0].value(text) == (found or text)


def test_reserved_addresses_stay_reserved_however_the_at_is_written() -> None:
    assert find_in_text("a%40example.com b&#64;mail.example") == []
    assert is_reserved_email("jan%40example.org")


def test_an_escaped_address_gets_the_plain_ones_pseudonym_written_the_same_way() -> None:
    pseudonymiser = Pseudonymiser(KEY)
    plain = pseudonymiser.pseudonym(Kind.EMAIL, EMAIL)
    assert pseudonymiser.pseudonym(Kind.EMAIL, EMAIL.replace("@", "%40")) == plain.replace(
        "@", "%40"
    )
    assert pseudonymiser.pseudonym(Kind.AUTO, EMAIL.replace("@", "&#64;")) == plain.replace(
        "@", "&#64;"
    )


def test_a_link_with_an_escaped_address_is_pseudonymised_and_the_gate_agrees() -> None:
    body = {"next": f"https://tenant.invalid/api/accounts?email={EMAIL.replace('@', '%40')}"}
    assert find_personal(cassette(response(body)))  # the gate sees the real address
    text = pseudonymised(body)
    assert "kowalski" not in text
    assert "%40example." in text
    assert find_personal(cassette(response(text))) == []


@pytest.mark.parametrize(
    "value",
    [
        f"{EMAIL}; eva.kowalski@northwind-mail.de",
        f"Jan Kowalski <{EMAIL}>",
        f'"Kowalski, Jan" <{EMAIL}>, Eva Kowalski <eva@northwind-mail.de>',
        f"{EMAIL} (work)",
    ],
)
def test_an_email_field_with_several_addresses_or_a_display_name_is_pseudonymised(
    value: str,
) -> None:
    text = pseudonymised({"billingEmail": value})
    assert "Kowalski" not in text
    assert "kowalski" not in text
    assert find_personal(cassette(response(text))) == []
    assert json.loads(text)["billingEmail"].count("@example.") == value.count("@")


def test_card_numbers_as_json_numbers_are_pseudonymised_and_gated() -> None:
    body = {"cardNumber": int(CARD), "ref": float(CARD), "id": 1234567, "amount": 12.5}
    assert {f.place.rsplit(" ", 1)[-1] for f in find_personal(cassette(response(body)))} == {
        "cardNumber",
        "ref",
    }
    new = json.loads(pseudonymised(body))
    assert isinstance(new["cardNumber"], int)
    assert isinstance(new["ref"], float)
    card = str(new["cardNumber"])
    assert card != CARD
    assert card[-4:] == CARD[-4:]
    assert luhn.is_valid(card)
    assert (new["id"], new["amount"]) == (1234567, 12.5)
    assert find_personal(cassette(response(new))) == []


def test_phone_numbers_as_json_numbers_are_pseudonymised_in_phone_fields() -> None:
    new = json.loads(pseudonymised({"phone": 447712345678, "mobile": 4915123456789}))
    assert isinstance(new["phone"], int)
    assert new["phone"] != 447712345678
    assert isinstance(new["mobile"], int)
    assert new["mobile"] != 4915123456789


def test_json_inside_a_json_string_is_walked_with_its_keys() -> None:
    inner = {"contact": {"firstName": "Aoife", "phone": "+44 7700 900123", "email": EMAIL}}
    body = {"payload": json.dumps(inner)}
    new = json.loads(json.loads(pseudonymised(body))["payload"])["contact"]
    assert new["firstName"] != "Aoife"
    assert new["phone"] != "+44 7700 900123"
    assert new["email"].endswith((".example.com", "@example.com", "@example.org", "@example.net"))


def test_ibans_keep_their_case_and_separators() -> None:
    pseudonymiser = Pseudonymiser(KEY)
    for value in (IBAN.lower(), "DE89-3704-0044-0532-0130-00", "DE89  3704 0044 0532 0130 00"):
        new = pseudonymiser.pseudonym(Kind.IBAN, value)
        assert new != value
        assert len(new) == len(value) or "  " in value
        assert iban.is_valid(new.replace("-", "").replace(" ", "").upper())
        assert new.islower() == value.islower()


def test_a_utf16_body_without_a_mark_is_read_as_utf16() -> None:
    raw = json.dumps({"email": EMAIL}).encode("utf-16-le")
    text = body_text(raw, {"Content-Type": ["application/json"]})
    assert text is not None
    assert text.text == json.dumps({"email": EMAIL})
    assert text.encode(text.text) == raw
    binary = body_text(raw, {"Content-Type": ["image/png"]})  # no guess for a non-text type
    assert binary is None or "\x00" in binary.text


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("x-gzip", gzip.compress),
        ("gzip, deflate", lambda b: zlib.compress(gzip.compress(b))),
        ("identity, gzip", gzip.compress),
    ],
)
def test_old_and_stacked_content_codings_are_undone(coding: str, compress: Any) -> None:
    raw = json.dumps({"email": EMAIL}).encode()
    assert decompress(compress(raw), coding) == raw
    message = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Type": ["application/json"], "Content-Encoding": [coding]},
        "body": {"string": compress(raw)},
    }
    decoded = decode_message(message, is_request=False)
    assert decoded["body"]["string"] == raw
    assert "Content-Encoding" not in decoded["headers"]


def test_an_unknown_coding_is_left_alone() -> None:
    assert decompress(b"abc", "zstd-unknown") is None
    assert decompress(b"abc", "") is None


def test_values_already_no_ones_are_kept_whatever_the_key() -> None:
    first = Pseudonymiser(KEY).pseudonym(Kind.IBAN, IBAN)
    body = {"billingIban": first, "cardNumber": "4111 1111 1111 1111"}
    other = Pseudonymiser(b"another synthetic key, 32 bytes or more!")
    out, count = pseudonymise_response(response(body), other)
    assert count == 0
    assert json.loads(out["body"]["string"]) == body


def test_a_rewritten_json_body_changes_only_the_personal_values() -> None:
    text = (
        '{"amount": 1.10, "big": 1E5, "url": "https:\\/\\/x.invalid\\/a",'
        f'  "email" : "{EMAIL}", "n": null, "ok": true}}'
    )
    new = pseudonymised(text)
    assert EMAIL not in new
    address = json.loads(new)["email"]
    assert new == text.replace(EMAIL, address)


def test_a_json_body_with_a_duplicate_key_is_written_out_again() -> None:
    new = pseudonymised(f'{{"email": "a@example.com", "email": "{EMAIL}"}}')
    assert EMAIL not in new
    assert json.loads(new)["email"].endswith((".com", ".org", ".net"))


def test_addresses_in_any_script_are_found() -> None:
    text = "write to jörg.müller@bäckerei-müller.de today"
    assert [m.value(text) for m in find_in_text(text)] == ["jörg.müller@bäckerei-müller.de"]
    note = json.loads(pseudonymised({"note": text}))["note"]
    assert "müller" not in note
    assert note.startswith("write to ")


def test_a_text_body_without_a_charset_that_is_not_utf8_is_read_as_latin1() -> None:
    raw = f"Kontakt: {EMAIL} - Grüße".encode("latin-1")
    text = body_text(raw, {"Content-Type": ["text/plain"]})
    assert text is not None
    assert text.charset == "latin-1"
    assert text.encode(text.text) == raw
    assert body_text(raw, {"Content-Type": ["application/json"]}) is None  # not text/*


def gate(body: Any) -> list[str]:
    return [str(f) for f in find_personal(cassette(response(body)))]


def test_personal_data_used_as_a_json_key_is_found_and_never_shown() -> None:
    body = f'{{"deliveryStatus": {{"{EMAIL}": "delivered"}}, "balances": {{"{IBAN}": 12.5}}}}'
    found = gate(body)
    assert len(found) == 2
    assert all("(a key)" in place and EMAIL not in place for place in found)
    new = pseudonymised(body)
    assert EMAIL not in new
    assert IBAN not in new
    assert gate(new) == []


def test_a_duplicate_key_holding_the_real_value_first_is_found_and_pseudonymised() -> None:
    body = f'{{"id": 7, "email": "{EMAIL}", "email": "billing@example.com"}}'
    assert gate(body)
    new = pseudonymised(body)
    assert EMAIL not in new
    assert gate(new) == []


def test_an_address_deep_in_a_percent_encoded_url_is_found() -> None:
    url = (
        "https://portal.acme.invalid/login?returnUrl=https%3A%2F%2Fbilling.acme.invalid"
        "%2Fcontacts%3Femail%3Djan.kowalski%40northwind-mail.de"
    )
    assert gate({"next": url})
    new = json.loads(pseudonymised({"next": url}))["next"]
    assert new.startswith(url[: url.index("jan.")])
    assert "kowalski" not in new


@pytest.mark.parametrize(
    "value",
    [
        "4929\u00a01234\u00a05678\u00a01236",
        "4929\u202f1234\u202f5678\u202f1236",
        "4929\t1234\t5678\t1236",
    ],
)
def test_cards_with_any_kind_of_space_are_found(value: str) -> None:
    assert [m.kind for m in find_in_text(f"Karte {value}")] == [Kind.CARD]


@pytest.mark.parametrize(
    "value",
    [
        "2024053100000006",  # a date-prefixed id that passes Luhn
        "356938035643809",  # an IMEI
        "4000056655665556",  # Stripe's test Visa debit
        "36259600000004",  # Braintree's test Diners
    ],
)
def test_numbers_that_are_no_card_in_use_are_kept(value: str) -> None:
    body = {"orderId": int(value), "ref": value}
    assert pseudonymised(body) == json.dumps(body)


def test_file_names_are_no_email_addresses() -> None:
    text = "https://cdn.invalid/img/logo@2x.png and statement_jan@northwind-mail.de.pdf"
    assert [m.value(text) for m in find_in_text(text)] == ["statement_jan@northwind-mail.de"]


def test_fields_named_for_a_kind_but_holding_something_else() -> None:
    body = {
        "fax": "jan.kowalski@fax.northwind-mail.de",  # e-mail to fax
        "sendInvoiceByEmail": "Always",
        "preferredPhone": "mobile",
        "webSite": "[none]",
    }
    new = json.loads(pseudonymised(body))
    assert new["fax"].endswith(("@example.com", "@example.org", "@example.net"))
    assert (new["sendInvoiceByEmail"], new["preferredPhone"]) == ("Always", "mobile")
    assert gate(new) == []


def test_a_name_beside_an_address_object_or_a_display_name_is_pseudonymised() -> None:
    new = json.loads(
        pseudonymised(
            {
                "name": "Jan Kowalski",
                "billingAddress": {"city": "Gdansk"},
                "owner": {"displayName": "Eva Kowalski"},
            }
        )
    )
    assert new["name"] != "Jan Kowalski"
    assert new["owner"]["displayName"] != "Eva Kowalski"
