"""Personal data by its shape: validators, pseudonym marks and the free-text search.

What counts (for the free-text search, the write gate and ``pytest-bss audit
--personal-data``):

* an **e-mail address** outside the reserved domains (RFC 2606 and 6761:
  ``example.com``, ``example.org``, ``example.net`` and their subdomains, the ``.example``,
  ``.test``, ``.invalid`` and ``.localhost`` top-level domains), however its "@" is
  written (``%40``, ``&#64;``, ``&#x40;``, ``\\u0040``, full-width U+FF20);
* an **IBAN** (any case; groups apart by up to two spaces, no-break spaces or dashes)
  whose checksum and country format are valid (python-stdnum) and that is
  not a pseudonym (a pseudonymous IBAN's account part starts with ``0000``, or ``ZZZZ``
  where the country's format has letters: no bank has that code);
* a **card number**: 13 to 19 digits (up to two spaces or dashes between, or dots between
  groups of four), also a JSON number, Luhn-valid, in a card scheme's number range and
  length, and not on one of the schemes' or processors' published test numbers
  (:data:`TEST_CARD_PREFIXES`);
* a **phone number** written in international form (``+`` and the country code) that
  phonenumbers calls valid. Only the pseudonymiser looks for these: the gate and audit
  don't (an order number is too easily taken for a national phone number).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from .fields import Kind

__all__ = [
    "AT_SIGN",
    "GATED_KINDS",
    "RESERVED_EMAIL_DOMAINS",
    "TEST_CARD_PREFIXES",
    "TextMatch",
    "emails_in",
    "find_in_text",
    "is_card_number",
    "is_iban",
    "is_pseudonym_iban",
    "is_reserved_email",
    "is_test_card",
    "is_valid_phone",
    "personal_kind",
    "plain_email",
]

#: Domains no one can register: an address on them (or a subdomain) reaches no one.
RESERVED_EMAIL_DOMAINS: Final = ("example.com", "example.org", "example.net")
_RESERVED_TLDS: Final = ("example", "test", "invalid", "localhost")

#: Starts of the card numbers the schemes and payment processors publish for testing
#: (Visa 4111 1111 1111 1111, Mastercard 5555 5555 5555 4444, Amex 3782 822463 10005,
#: Discover 6011 1111 1111 1117, Diners 3056 930902 5904, JCB 3530 1113 3330 0000, ...).
TEST_CARD_PREFIXES: Final = (
    "411111",
    "401288",
    "424242",
    "400000",
    "555555",
    "510510",
    "222300",
    "378282",
    "371449",
    "601111",
    "601100",
    "305693",
    "353011",
    "356600",
    # Stripe, Braintree, Adyen and Checkout.com test numbers
    "400005",
    "400551",
    "400934",
    "401200",
    "421765",
    "450060",
    "520082",
    "362272",
    "362596",
    "620000",
    "222300",
)

#: The kinds the write gate and ``audit --personal-data`` look for.
GATED_KINDS: Final = frozenset({Kind.EMAIL, Kind.IBAN, Kind.CARD})

#: An "@" as URLs (``%40``), HTML (``&#64;``, ``&#x40;``), JSON escapes (``\\u0040``) and
#: full-width text write it.
AT_SIGN: Final = re.compile(r"@|%40|&#0*64;|&#[xX]0*40;|&commat;|\\u0040|\uff20|\ufe6b")
_AT_HINTS: Final = ("@", "%40", "&#", "&commat;", "\\u0040", "\uff20", "\ufe6b")
#: File types that look like top-level domains after an "@" (``logo@2x.png``, ``…@x.de.pdf``).
_FILE_TLDS: Final = "png|jpe?g|gif|svg|webp|ico|bmp|tiff?|pdf|css|js|json|xml|html?|txt|csv|zip"
# Letters and digits of any script (``jörg@bäckerei-müller.de``).
# The local part starts at a run of address characters, or just after a %XX escape (an
# address inside a percent-encoded URL: ``…%3Femail%3Djan%40…``).
_EMAIL = re.compile(
    r"(?:(?<![\w.%+\-])|(?<=%[0-9A-Fa-f]{2}))[\w.+\-]{1,64}(?:" + AT_SIGN.pattern + r")"
    r"(?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.)+(?!(?:"
    + _FILE_TLDS
    + r")(?![\w\-]))[^\W\d_]{2,24}(?![\w\-])",
    re.IGNORECASE,
)
# Any case; groups apart by up to two spaces, no-break spaces or dashes.
_SEP: Final = r"(?:-|[^\S\n\r]{1,3})?"  # a dash, or up to three spaces of any width
_IBAN = re.compile(
    rf"(?<![A-Za-z0-9])[A-Za-z]{{2}}\d{{2}}(?:{_SEP}[A-Za-z0-9]{{4}}){{2,7}}"
    rf"(?:{_SEP}[A-Za-z0-9]{{1,4}})?(?![A-Za-z0-9])"
)
_IBAN_TAIL: Final = re.compile(rf"{_SEP}[A-Za-z0-9]{{1,4}}$")
_CARD = re.compile(
    r"(?<![\d\-.])(?:(?:\d(?:[^\S\n\r]{1,3}|-{1,2})?){12,18}\d|\d{4}(?:\.\d{4}){2,3}(?:\.\d{1,3})?)(?![\d\-])"
)
#: The card schemes' number ranges and lengths (a 16-digit id with a date in front, or an
#: IMEI, passes Luhn one time in ten but starts like no card).
_CARD_SCHEMES: Final = re.compile(
    r"4(?:\d{12}|\d{15}|\d{18})"  # Visa
    r"|(?:5[1-5]\d\d|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)\d{12}"  # Mastercard
    r"|3[47]\d{13}"  # American Express
    r"|(?:6011|64[4-9]\d|65\d\d)\d{12,15}"  # Discover
    r"|3(?:0[0-5]|[689]\d)\d{11,16}"  # Diners Club
    r"|35(?:2[89]|[3-8]\d)\d{12,15}"  # JCB
    r"|62\d{14,17}"  # UnionPay
    r"|(?:5018|5020|5038|5893|6304|6759|676[1-3])\d{8,15}"  # Maestro
)
_PHONE = re.compile(r"(?<![\w+])\+\d(?:[ \-.()]{0,2}\d){6,16}(?!\d)")


def plain_email(address: str) -> str:
    """``address`` with its "@" written as "@" (:data:`AT_SIGN`)."""
    return address if "@" in address else AT_SIGN.sub("@", address, count=1)


def emails_in(text: str) -> list[re.Match[str]]:
    """Every e-mail address in ``text`` (reserved or not), however its "@" is written."""
    if not any(hint in text for hint in _AT_HINTS):
        return []
    return list(_EMAIL.finditer(text))


def is_reserved_email(address: str) -> bool:
    """Whether ``address``'s domain is reserved (it reaches no one)."""
    domain = plain_email(address).rpartition("@")[2].lower().rstrip(".")
    if domain.rpartition(".")[2] in _RESERVED_TLDS:
        return True
    return any(domain == d or domain.endswith("." + d) for d in RESERVED_EMAIL_DOMAINS)


def _compact(value: str) -> str:
    return re.sub(r"[\s\-.]", "", value)


def is_iban(value: str) -> bool:
    """Whether ``value`` is an IBAN: its country's length and format, a valid checksum.

    The national checks python-stdnum adds (a registered bank code ...) are left out: its
    registers are not complete, and a real IBAN must never pass for something else.
    """
    from stdnum import iban

    return bool(iban.is_valid(_compact(value).upper(), check_country=False))


def is_pseudonym_iban(value: str) -> bool:
    """Whether ``value`` carries the pseudonym mark (see the module docstring)."""
    bban = _compact(value).upper()[4:8]
    return len(bban) == 4 and all(ch in "0Z" for ch in bban)


def is_card_number(value: str) -> bool:
    """Whether ``value`` is a Luhn-valid number in a card scheme's range and length."""
    from stdnum import luhn

    digits = _compact(value)
    if not (digits.isdigit() and 13 <= len(digits) <= 19):
        return False
    if not _CARD_SCHEMES.fullmatch(digits):
        return False
    return bool(luhn.is_valid(digits))


def is_test_card(value: str) -> bool:
    """Whether ``value`` starts with a published test card number's prefix."""
    return _compact(value).startswith(TEST_CARD_PREFIXES)


def is_valid_phone(value: str) -> bool:
    """Whether ``value`` is a phone number in international form that phonenumbers accepts."""
    import phonenumbers

    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


def personal_kind(value: str) -> Kind | None:
    """The gated kind ``value`` (a whole string) is real personal data of, else None."""
    text = value.strip()
    if any(hint in text for hint in _AT_HINTS) and _EMAIL.fullmatch(text):
        return None if is_reserved_email(text) else Kind.EMAIL
    if _IBAN.fullmatch(text) and is_iban(text):
        return None if is_pseudonym_iban(text) else Kind.IBAN
    if _CARD.fullmatch(text) and is_card_number(text):
        return None if is_test_card(text) else Kind.CARD
    return None


@dataclass(frozen=True)
class TextMatch:
    """Personal data found in a text: where (``start``, ``end``) and of what kind."""

    start: int
    end: int
    kind: Kind

    def value(self, text: str) -> str:
        """The matched value itself."""
        return text[self.start : self.end]


def find_in_text(text: str, *, phones: bool = True) -> list[TextMatch]:
    """Real personal data in ``text``, in order, not overlapping.

    Reserved e-mail addresses, test card numbers and pseudonymous IBANs are not found;
    ``phones=False`` leaves phone numbers out (the gate's and audit's choice). Each span
    of text is one thing, the earliest and longest match, whether it is found or not: the
    digits of a pseudonymous IBAN (``AT48 0000 …``) or of a phone number in international
    form (``+49 1512 …``) are not also a card number, even when they pass Luhn.
    """
    # (match, whether it is found): the matches not found still take their span.
    spans: list[tuple[TextMatch, bool]] = []
    spans += [
        (TextMatch(m.start(), m.end(), Kind.EMAIL), not is_reserved_email(m[0]))
        for m in emails_in(text)
    ]
    if re.search(r"\d", text) is None:
        return [match for match, found in spans if found]
    for m in _IBAN.finditer(text):
        # The last group may be a word after the IBAN ("… 0130 00 to"): then without it.
        value = m[0] if is_iban(m[0]) else _IBAN_TAIL.sub("", m[0])
        if value != m[0] and not is_iban(value):
            continue
        match = TextMatch(m.start(), m.start() + len(value), Kind.IBAN)
        spans.append((match, not is_pseudonym_iban(value)))
    spans += [
        (TextMatch(m.start(), m.end(), Kind.CARD), not is_test_card(m[0]))
        for m in _CARD.finditer(text)
        if is_card_number(m[0])
    ]
    if "+" in text:
        spans += [
            (TextMatch(m.start(), m.end(), Kind.PHONE), phones)
            for m in _PHONE.finditer(text)
            if is_valid_phone(m[0])
        ]
    return [match for match, found in _without_overlaps(spans) if found]


def _without_overlaps(
    spans: list[tuple[TextMatch, bool]],
) -> Iterator[tuple[TextMatch, bool]]:
    end = -1
    for span in sorted(spans, key=lambda s: (s[0].start, -s[0].end)):
        if span[0].start >= end:
            end = span[0].end
            yield span
