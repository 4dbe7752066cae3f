"""Random personal data anywhere in a response: pseudonymised, or the write refused (issue 15).

The values are made here, independently of pytest-bss's own generators: e-mail addresses
on ordinary domains, IBANs with a valid checksum (python-stdnum computes it), Luhn-valid
card numbers on non-test BINs. Each is put in a named field, a field of a made-up name, or
free text, at a random depth; the write path either writes a cassette that holds no form of
it or refuses with a message that holds none of it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iban as stdnum_iban
from stdnum import luhn

from pytest_bss.exceptions import PersonalDataError
from pytest_bss.personal import PersonalPolicy, Pseudonymiser
from pytest_bss.scrub import SecretSet
from pytest_bss.write import WriteContext, prepare

KEY = b"synthetic pseudonym key for the property test".ljust(32, b"!")

emails = st.builds(
    lambda user, host, tld: f"{user}@{host}.{tld}",
    st.from_regex(r"[a-z][a-z0-9.]{2,12}[a-z0-9]", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9-]{2,12}[a-z0-9]", fullmatch=True),
    st.sampled_from(["com", "net", "de", "co.uk", "fr", "io"]),
)


def _iban(country: str, digits: str) -> str:
    body = digits
    check = stdnum_iban.calc_check_digits(f"{country}00{body}")
    return f"{country}{check}{body}"


ibans = st.one_of(
    st.builds(_iban, st.just("DE"), st.from_regex(r"[1-9][0-9]{17}", fullmatch=True)),
    st.builds(_iban, st.just("NL"), st.from_regex(r"[A-Z]{4}[1-9][0-9]{9}", fullmatch=True)),
    st.builds(_iban, st.just("FR"), st.from_regex(r"[1-9][0-9]{22}", fullmatch=True)),
)


def _card(prefix: str, rest: str) -> str:
    number = prefix + rest
    return number + luhn.calc_check_digit(number)


cards = st.builds(
    _card,
    st.sampled_from(["4539", "4716", "5425", "2221"]),  # Visa and Mastercard, not test BINs
    st.from_regex(r"[0-9]{11}", fullmatch=True),
)
values = st.one_of(emails, ibans, cards)
places = st.sampled_from(["named", "free text", "unknown key"])
NAMED = {"email": "contactEmail", "iban": "billingIban", "card": "cardNumber"}


def _named_key(value: str) -> str:
    if "@" in value:
        return NAMED["email"]
    return NAMED["card"] if value.isdigit() else NAMED["iban"]


def _body(value: str, place: str, depth: int) -> Any:
    if place == "named":
        leaf: dict[str, Any] = {"id": 7, _named_key(value): value}
    elif place == "free text":
        leaf = {"id": 7, "note": f"Customer asked us to use {value} from now on."}
    else:
        leaf = {"id": 7, "x9": value}
    for _ in range(depth):
        leaf = {"data": [leaf]}
    return leaf


def _cassette(body: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "GET",
                    "uri": "https://h.test/api/x",
                    "body": None,
                    "headers": {},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["application/json"]},
                    "body": {"string": json.dumps(body)},
                },
            }
        ],
    }


def _forms(value: str) -> set[str]:
    compact = value.replace(" ", "")
    return {value, compact, json.dumps(value)[1:-1]}


@settings(max_examples=150, deadline=None)
@given(value=values, place=places, depth=st.integers(0, 4))
def test_personal_data_anywhere_is_pseudonymised_or_refused(
    tmp_path_factory: Any, value: str, place: str, depth: int
) -> None:
    path: Path = tmp_path_factory.mktemp("p") / "c.json"
    context = WriteContext(
        path, SecretSet(), personal=PersonalPolicy(), pseudonymiser=Pseudonymiser(KEY)
    )

    try:
        shown = json.dumps(prepare(_cassette(_body(value, place, depth)), context))
    except PersonalDataError as refused:
        shown = str(refused)  # refused: the message names places, never the value

    assert not any(form in shown for form in _forms(value))
