"""Pseudonyms: format-preserving, consistent, and not reversible from the repository.

Each pseudonym is drawn from HMAC-SHA256 over (kind, real value) under the **pseudonym
key**, so the same real value gets the same pseudonym in every cassette, run and
re-recording made with the same key, and no one without the key can tell which real value
a pseudonym stands for (nor test a guess against it). The key, from :func:`pseudonym_key`:

* ``BSS_PSEUDONYM_KEY`` when it is set (any text; share it in the team's secret store to
  keep re-recordings diff-free across machines and client-secret rotations);
* else derived from the tenant's client secret and the base URL's host name
  (HMAC-SHA256 keyed by ``BSS_CLIENT_SECRET`` over the host): the recorder has both, the
  repository never holds the secret (credential scrubbing takes it out).

The rules, by kind:

* names: a first name, last name or full name from the lists in :mod:`.words` (a company
  keeps its legal form: ``… Ltd`` stays ``… Ltd``); all-capital or all-small values stay so;
* e-mail: ``<user>.<4 hex>@example.com`` (or ``.org``, ``.net``): reserved domains only;
* phone: a valid number of the same country and type (phonenumbers), written in the same
  form (``+44 20 …``, ``+442…`` or national);
* IBAN: same country and length, a valid checksum and national format (python-stdnum); the
  account part starts with ``0000`` (``ZZZZ`` where the format wants letters), the mark
  that tells a pseudonym from a real IBAN without the key;
* card number: same length and separators, Luhn-valid, on a published test BIN of the same
  scheme (Visa 411111, Mastercard 555555, Amex 378282, Discover 601111, Diners 305693, JCB
  353011). **The last four digits are kept** (PCI DSS lets them be shown), so a ``last4``
  field still matches; one middle digit makes the Luhn sum;
* VAT or tax number: the same country prefix and a number valid in its format
  (python-stdnum's national module) where one exists;
* BIC: the same country, another bank and location code;
* web site: ``https://www.<word><4 hex>.example.com``;
* street and city: from :mod:`.words`; postcode and anything else: letters become letters
  and digits digits, the rest kept (``SW1A 1AA`` → ``KD4F 7QP``).

The word lists are pytest-bss's own (not Faker's, which installs a pytest plugin that slows
every pytest start and changes its lists between versions).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from .detect import (
    AT_SIGN,
    RESERVED_EMAIL_DOMAINS,
    emails_in,
    is_card_number,
    is_iban,
    is_reserved_email,
    is_test_card,
    is_valid_phone,
)
from .fields import Kind
from .words import Words

__all__ = ["KEY_ENV", "Pseudonymiser", "pseudonym_key"]

#: The environment variable that sets the pseudonym key explicitly.
KEY_ENV: Final = "BSS_PSEUDONYM_KEY"

_COMPANY_FORMS: Final = re.compile(
    r"\s(Ltd\.?|Limited|LLC|Inc\.?|Corp\.?|GmbH|AG|S\.A\.|SA|S\.L\.|B\.V\.|BV|N\.V\.|"
    r"plc|PLC|Group|S\.r\.l\.|SRL|Oy|AB|A/S|Co\.)$"
)
#: Test BIN by the first digit of the real number (length → BIN for 3: Amex, Diners, JCB).
_TEST_BINS: Final = {"4": "411111", "5": "555555", "2": "555555", "6": "601111"}
_TEST_BINS_3: Final = {15: "378282", 14: "305693"}
_LETTERS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: The display name before an address: ``Jan Kowalski <``, ``"Kowalski, Jan" <``.
_DISPLAY_NAME: Final = re.compile(
    r'(?:^|(?<=[,;]))\s*(?:"(?P<quoted>[^"]*)"|(?P<plain>[^"<>@,;]+?))\s*<'
)


def pseudonym_key(
    *, client_secret: str = "", base_url: str = "", environ: Mapping[str, str] | None = None
) -> bytes | None:
    """The pseudonym key (see the module docstring); None when nothing gives one."""
    env = os.environ if environ is None else environ
    explicit = env.get(KEY_ENV, "")
    if explicit:
        return hashlib.sha256(b"pytest-bss pseudonym key\x00" + explicit.encode()).digest()
    if not client_secret:
        return None
    host = (urlsplit(base_url).hostname or "").lower()
    return hmac.new(
        client_secret.encode(), b"pytest-bss pseudonyms\x00" + host.encode(), hashlib.sha256
    ).digest()


class Pseudonymiser:
    """Turns real values into pseudonyms under one key; remembers what it gave out.

    :meth:`is_pseudonym` says whether a value is one this pseudonymiser produced (so a
    body that went through it once is left as it is the second time).
    """

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._memo: dict[tuple[Kind, str], str] = {}
        self._produced: set[str] = set()

    def given(self) -> dict[str, str]:
        """Every real value this pseudonymiser replaced, with its pseudonym."""
        return {value: pseudonym for (_, value), pseudonym in self._memo.items()}

    def is_pseudonym(self, value: str) -> bool:
        """Whether ``value`` came out of this pseudonymiser."""
        return value in self._produced

    def pseudonym(self, kind: Kind, value: str) -> str:
        """The pseudonym of ``value`` as personal data of ``kind`` (the module's rules)."""
        if not value.strip() or value in self._produced:
            return value
        memo_key = (kind, value)
        found = self._memo.get(memo_key)
        if found is None:
            found = self._make(kind, value)
            self._memo[memo_key] = found
            self._produced.add(found)
        return found

    # --- the draws --------------------------------------------------------------------

    def _digest(self, kind: str, value: str, counter: int = 0) -> bytes:
        message = f"{kind}\x00{value}\x00{counter}".encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def _fake(self, kind: str, value: str) -> Words:
        return Words(self._digest(kind, value))

    def _chars(self, kind: str, value: str, template: str, counter: int = 0) -> str:
        """``template`` with letters → letters and digits → digits, drawn from the key."""
        stream = self._stream(kind, value, counter)
        out = []
        for ch in template:
            if ch.isdigit():
                out.append(str(next(stream) % 10))
            elif ch.isascii() and ch.isalpha():
                letter = _LETTERS[next(stream) % 26]
                out.append(letter if ch.isupper() else letter.lower())
            else:
                out.append(ch)
        return "".join(out)

    def _stream(self, kind: str, value: str, counter: int) -> Any:
        block = 0
        while True:
            yield from self._digest(kind, value, counter * 1000 + block)
            block += 1

    def _make(self, kind: Kind, value: str) -> str:
        has_address = bool(emails_in(value))
        if kind is Kind.EMAIL and not has_address:
            return value  # "Always" under sendInvoiceByEmail: no address, nothing personal
        if kind not in (Kind.EMAIL, Kind.AUTO) and has_address:
            # an e-mail-to-fax address under "fax", an address under "address"
            return self._email(value) or self._chars("any", value, value)
        if kind is Kind.PHONE and not any(ch.isdigit() for ch in value):
            return value  # "mobile" under preferredPhone
        maker: Callable[[str], str | None] = getattr(self, f"_{kind.value}")
        try:
            made = maker(value)
        except Exception:  # a value no rule expects ("[none]" as a web site): drawn below
            made = None
        # None: the value is not of the kind's shape; letters and digits are drawn instead.
        return self._chars("any", value, value) if made is None else made

    # --- one rule a kind --------------------------------------------------------------

    def _auto(self, value: str) -> str | None:
        text = value.strip()
        if emails_in(text) and not is_reserved_email(text):
            return self._email(value)
        if is_iban(text):
            return self._iban(value)
        if is_card_number(text):
            return value if is_test_card(text) else self._card(value)
        if text.startswith("+") and is_valid_phone(text):
            return self._phone(value)
        return self._chars("auto", value, value)

    def _name(self, value: str) -> str | None:
        if _COMPANY_FORMS.search(value.strip()):
            return self._company(value)
        fake = self._fake("name", _fold(value))
        words = value.split()
        made = fake.first_name() if len(words) == 1 else f"{fake.first_name()} {fake.last_name()}"
        return _same_case(value, made)

    def _first_name(self, value: str) -> str | None:
        return _same_case(value, self._fake("first_name", _fold(value)).first_name())

    def _last_name(self, value: str) -> str | None:
        return _same_case(value, self._fake("last_name", _fold(value)).last_name())

    def _company(self, value: str) -> str | None:
        fake = self._fake("company", _fold(value))
        form = _COMPANY_FORMS.search(value.strip())
        if form:
            return _same_case(value, f"{fake.last_name()} {fake.word().title()} {form[1]}")
        return _same_case(value, fake.company())

    def _email(self, value: str) -> str | None:
        address = value.strip()
        matches = emails_in(address)
        if not matches:
            return None
        if len(matches) > 1 or matches[0][0] != address:
            return self._addresses(value, matches)
        return value.replace(address, self._address(address))

    def _address(self, address: str) -> str:
        """The pseudonym of one whole e-mail address (its "@" written as it was)."""
        at = AT_SIGN.search(address)
        if at is not None and at[0] != "@":  # %40, &#64; ...
            plain = address[: at.start()] + "@" + address[at.end() :]
            return self._address(plain).replace("@", at[0], 1)
        if is_reserved_email(address):
            return address
        digest = self._digest("email", address.lower())
        fake = self._fake("email", address.lower())
        user = re.sub(r"[^a-z0-9._]", "", fake.user_name().lower()) or "user"
        domain = RESERVED_EMAIL_DOMAINS[digest[0] % len(RESERVED_EMAIL_DOMAINS)]
        return f"{user}.{digest[1:3].hex()}@{domain}"

    def _addresses(self, value: str, matches: list[re.Match[str]]) -> str:
        """Several addresses, or one with a display name (``Jan Kowalski <jan@…>``): each
        address becomes its pseudonym, and a display name a name."""
        offset = value.index(matches[0].string)
        out, last = [], 0
        for match in matches:
            out += [value[last : offset + match.start()], self._address(match[0])]
            last = offset + match.end()
        out.append(value[last:])
        return _DISPLAY_NAME.sub(self._display_name, "".join(out))

    def _display_name(self, match: re.Match[str]) -> str:
        group = "quoted" if match["quoted"] is not None else "plain"
        name = match[group].strip()
        if not any(ch.isalpha() for ch in name):
            return match[0]
        start, end = (i - match.start() for i in match.span(group))
        text = match[0]
        return text[:start] + text[start:end].replace(name, self._name(name) or name) + text[end:]

    def _website(self, value: str) -> str | None:
        text = value.strip()
        parts = urlsplit(text if "://" in text else f"https://{text}")
        host = parts.hostname or ""
        if is_reserved_email(f"x@{host}"):
            return value
        fake = self._fake("website", host.lower())
        word = re.sub(r"[^a-z0-9]", "", fake.domain_word().lower()) or "site"
        tag = self._digest("website", host.lower())[:2].hex()
        new_host = f"www.{word}{tag}.example.com"
        if "://" not in text:
            return new_host
        return f"{parts.scheme}://{new_host}" + ("/" if text.endswith("/") else "")

    def _street(self, value: str) -> str | None:
        return self._fake("street", _fold(value)).street_address()

    def _city(self, value: str) -> str | None:
        return self._fake("city", _fold(value)).city()

    def _postcode(self, value: str) -> str | None:
        return self._chars("postcode", value.strip().upper(), value)

    def _phone(self, value: str) -> str | None:
        import phonenumbers
        from phonenumbers import PhoneNumberFormat

        text = value.strip()
        try:
            number = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            # Not a valid number: its digits are drawn, its country code kept.
            code, space, rest = text.partition(" ")
            if not (text.startswith("+") and space):
                return None
            return value.replace(text, f"{code} {self._chars('phone', text, rest)}")
        region = phonenumbers.region_code_for_number(number)
        kind = phonenumbers.number_type(number)
        national = str(number.national_number)
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        for counter in range(200):
            # Keep the first digits (the area or mobile prefix) half the time: a number
            # of the same type is then likely valid.
            keep = 3 if counter % 2 == 0 and len(national) > 6 else 0
            digits = national[:keep] + self._chars("phone", e164, national[keep:], counter)
            if digits[0] == "0":
                continue
            candidate = phonenumbers.parse(f"+{number.country_code}{digits}", None)
            if (
                candidate.national_number != number.national_number
                and phonenumbers.is_valid_number(candidate)
                and phonenumbers.region_code_for_number(candidate) == region
                and phonenumbers.number_type(candidate) == kind
            ):
                return value.replace(text, _phone_text(text, candidate))
        return None

    def _iban(self, value: str) -> str | None:
        from stdnum import iban

        text = value.strip()
        compact = re.sub(r"[\s\-.]", "", text).upper()
        if not is_iban(compact):
            return None
        groups = re.search(r"[\s\-]+", text)  # the separator between the groups, if any
        country, bban = compact[:2], compact[4:]
        mark = "".join("Z" if ch.isalpha() else "0" for ch in bban[:4])
        for counter in range(600):
            new_bban = mark + self._chars("iban", compact, bban[4:], counter)
            candidate = f"{country}{iban.calc_check_digits(f'{country}00{new_bban}')}{new_bban}"
            # Where the national check wants a registered bank code (Belgium ...), the
            # mark can't pass it: after 300 tries the checksum and format alone must.
            if candidate != compact and iban.is_valid(candidate, check_country=counter < 300):
                if groups:
                    candidate = groups[0].join(
                        candidate[i : i + 4] for i in range(0, len(candidate), 4)
                    )
                return value.replace(text, _same_case(text, candidate))
        return None

    def _bic(self, value: str) -> str | None:
        text = value.strip().upper()
        if not re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", text):
            return None
        bank = self._chars("bic", text, "AAAA")
        location = self._chars("bic", text, "A1", 1)
        branch = text[8:] if text[8:] in ("", "XXX") else self._chars("bic", text, "A1A", 2)
        return value.replace(value.strip(), f"{bank}{text[4:6]}{location}{branch}")

    def _card(self, value: str) -> str | None:
        from stdnum import luhn

        text = value.strip()
        digits = re.sub(r"\D", "", text)
        if not 13 <= len(digits) <= 19 or is_test_card(digits):
            return None
        if digits[0] == "3":
            bin_ = _TEST_BINS_3.get(len(digits), "353011")
        else:
            bin_ = _TEST_BINS.get(digits[0], "411111")
        middle_length = len(digits) - len(bin_) - 4
        if middle_length < 1:
            return None
        middle = self._chars("card", digits, "0" * middle_length)
        last4 = digits[-4:]
        for fix in "0123456789":
            candidate = bin_ + middle[:-1] + fix + last4
            if luhn.is_valid(candidate):
                break
        # Put the separators back where the real number had them.
        out, index = [], 0
        for ch in text:
            if ch.isdigit():
                out.append(candidate[index])
                index += 1
            else:
                out.append(ch)
        return value.replace(text, "".join(out))

    def _vat(self, value: str) -> str | None:
        text = value.strip()
        compact = re.sub(r"[\s.\-]", "", text).upper()
        prefix = compact[:2] if compact[:2].isalpha() else ""
        module = _vat_module(prefix)
        if module is None or not module.is_valid(compact):
            return value.replace(
                text, text[: len(prefix)] + self._chars("vat", compact, text[len(prefix) :])
            )
        body_template = text[len(prefix) :]
        candidate = text
        for counter in range(5000):  # France: 1 in 970 draws passes both its checks
            candidate = text[: len(prefix)] + self._chars("vat", compact, body_template, counter)
            if module.is_valid(candidate) and candidate != text:
                break
        return value.replace(text, candidate)


def _vat_module(prefix: str) -> Any:
    if not prefix:
        return None
    from stdnum.eu import vat as eu_vat

    if prefix.lower() in {cc.lower() for cc in eu_vat.MEMBER_STATES} or prefix == "EL":
        return eu_vat
    from stdnum.util import get_cc_module

    try:
        return get_cc_module(prefix.lower(), "vat")
    except Exception:  # no such country module
        return None


def _phone_text(original: str, number: Any) -> str:
    import phonenumbers
    from phonenumbers import PhoneNumberFormat

    if not original.startswith("+"):
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    if re.fullmatch(r"\+\d+", original):
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def _fold(value: str) -> str:
    return " ".join(value.split()).casefold()


def _same_case(original: str, made: str) -> str:
    if original.isupper():
        return made.upper()
    if original.islower():
        return made.lower()
    return made
