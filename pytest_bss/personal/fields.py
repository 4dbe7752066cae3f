"""Which JSON fields of BSS resources hold personal data, and of what kind.

A field is found by its key, compared without case, ``_`` or ``-`` (``firstName``,
``first_name`` and ``FIRST-NAME`` are one key). The list, by resource:

========================  ====================================================  ==========
resource                  keys                                                  kind
========================  ====================================================  ==========
accounts, contacts,       ``firstName givenName middleName lastName surname      name
users, billing            familyName fullName contactName customerName
addresses, payment        billingName accountHolder(Name) holderName cardHolder
methods                   cardHolderName nameOnCard attention recipient``
                          ``companyName legalName``                              company
                          ``name`` — only in an object that also holds one of    name or
                          the other personal keys (an account, a contact), so    company
                          ``{"name": "Region", "value": …}`` is left alone
                          ``email emailAddress`` and any key ending in ``email`` email
                          / ``emailAddress`` (``billingEmail``, ``adminEmail``)
                          ``phone phoneNumber telephone mobile fax`` and keys    phone
                          ending in ``phone`` / ``phoneNumber`` / ``mobile`` /
                          ``fax``
                          ``webSite homepage``                                   website
billing and postal        ``street streetAddress address address1..3            street
addresses                 addressLine1..3 line1..3 building``
                          ``city town``                                          city
                          ``postcode postalCode zip zipCode``                    postcode
accounts, invoices        ``vat vatNumber vatId vatRegistrationNumber taxNumber  vat
(the customer's tax id)   taxId taxIdentificationNumber taxRegistrationNumber
                          tin``
payment methods           ``iban bankAccountIban`` and keys ending in ``iban``  iban
                          ``bic swift swiftCode bicCode``                        bic
                          ``cardNumber creditCardNumber pan`` and keys ending    card
                          in ``cardNumber``
========================  ====================================================  ==========

Country, state, currency, ids and codes are not on the list: alone they identify no one.
Every other string of a response body is searched for free-text personal data (an
e-mail address, an IBAN with a valid checksum, a Luhn-valid card number, a phone number
in international form; :mod:`.detect`).

``bss_personal_fields`` adds keys (``pattern`` or ``pattern:kind``) and
``bss_personal_keep`` takes keys off (its fields are neither pseudonymised nor checked
by the write gate). A pattern is a key (``*`` and ``?`` as in shell globs) or a dotted
path of keys that must end the field's path (``billingAddress.line*``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Final

__all__ = ["FIELDS", "SUFFIXES", "KeyRules", "Kind", "field_key"]


class Kind(enum.StrEnum):
    """The kinds of personal data; each has its own pseudonym rule (:mod:`.pseudonyms`)."""

    NAME = "name"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    COMPANY = "company"
    EMAIL = "email"
    PHONE = "phone"
    WEBSITE = "website"
    STREET = "street"
    CITY = "city"
    POSTCODE = "postcode"
    VAT = "vat"
    IBAN = "iban"
    BIC = "bic"
    CARD = "card"
    #: what the value looks like decides (an e-mail, IBAN, card, phone), else letters
    #: become letters and digits digits
    AUTO = "auto"


def field_key(key: str) -> str:
    """``key`` as it is compared: lower case, without ``_``, ``-`` and spaces."""
    return re.sub(r"[\s_\-]", "", key).lower()


def _keys(kind: Kind, names: str) -> dict[str, Kind]:
    return {field_key(name): kind for name in names.split()}


#: Personal-data keys (as :func:`field_key` gives them) and their kind.
FIELDS: Final[dict[str, Kind]] = {
    **_keys(Kind.FIRST_NAME, "firstName givenName middleName"),
    **_keys(Kind.LAST_NAME, "lastName surname familyName"),
    **_keys(
        Kind.NAME,
        "fullName displayName contactName customerName billingName accountHolder "
        "accountHolderName holderName cardHolder cardHolderName nameOnCard attention recipient",
    ),
    **_keys(Kind.COMPANY, "companyName legalName"),
    **_keys(Kind.EMAIL, "email emailAddress"),
    **_keys(Kind.PHONE, "phone phoneNumber telephone mobile mobileNumber fax faxNumber"),
    **_keys(Kind.WEBSITE, "webSite homepage"),
    **_keys(
        Kind.STREET,
        "street streetAddress address address1 address2 address3 addressLine1 addressLine2 "
        "addressLine3 line1 line2 line3 building",
    ),
    **_keys(Kind.CITY, "city town"),
    **_keys(Kind.POSTCODE, "postcode postalCode zip zipCode"),
    **_keys(
        Kind.VAT,
        "vat vatNumber vatId vatRegistrationNumber taxNumber taxId taxIdentificationNumber "
        "taxRegistrationNumber tin",
    ),
    **_keys(Kind.IBAN, "iban bankAccountIban"),
    **_keys(Kind.BIC, "bic swift swiftCode bicCode"),
    **_keys(Kind.CARD, "cardNumber creditCardNumber pan"),
}

#: Key endings (as :func:`field_key` gives them) that make a key personal: ``adminEmail``.
SUFFIXES: Final[tuple[tuple[str, Kind], ...]] = (
    ("emailaddress", Kind.EMAIL),
    ("email", Kind.EMAIL),
    ("phonenumber", Kind.PHONE),
    ("phone", Kind.PHONE),
    ("mobile", Kind.PHONE),
    ("fax", Kind.PHONE),
    ("iban", Kind.IBAN),
    ("cardnumber", Kind.CARD),
)

#: The key that is personal only beside another personal key (an account's or contact's).
CONTEXT_NAME: Final = "name"


@dataclass(frozen=True)
class _Pattern:
    segments: tuple[str, ...]
    kind: Kind

    def matches(self, path: Sequence[str]) -> bool:
        if len(path) < len(self.segments):
            return False
        tail = path[len(path) - len(self.segments) :]
        return all(
            fnmatchcase(key, pattern) for key, pattern in zip(tail, self.segments, strict=True)
        )


def _pattern(entry: str, kind: Kind) -> _Pattern:
    return _Pattern(tuple(field_key(part) for part in entry.split(".")), kind)


@dataclass(frozen=True)
class KeyRules:
    """The built-in field list with ``bss_personal_fields`` added and ``bss_personal_keep``
    taken off (entries as in the module docstring)."""

    added: tuple[_Pattern, ...] = ()
    kept: tuple[_Pattern, ...] = ()
    _cache: dict[tuple[str, ...], Kind | None] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def parse(cls, fields: Iterable[str] = (), keep: Iterable[str] = ()) -> KeyRules:
        """Rules from ini entries; raises ``ValueError`` naming a bad entry."""
        added = []
        for entry in fields:
            entry = entry.strip()
            if not entry:
                continue
            pattern, _, kind = entry.partition(":")
            try:
                added.append(_pattern(pattern.strip(), Kind(kind.strip().lower() or "auto")))
            except ValueError:
                kinds = ", ".join(k.value for k in Kind)
                raise ValueError(
                    f"bss_personal_fields: {entry!r} names no kind; use pattern or "
                    f"pattern:kind with kind one of {kinds}"
                ) from None
        kept = [_pattern(entry.strip(), Kind.AUTO) for entry in keep if entry.strip()]
        return cls(tuple(added), tuple(kept))

    def is_kept(self, path: Sequence[str]) -> bool:
        """Whether ``bss_personal_keep`` takes the field at ``path`` (keys) off the list."""
        keys = [field_key(key) for key in path]
        return any(pattern.matches(keys) for pattern in self.kept)

    def kind(self, path: Sequence[str], *, beside_personal: bool = False) -> Kind | None:
        """The kind of the field at ``path`` (its keys from the root), or None if not personal.

        ``beside_personal``: the field's object holds another personal key (then ``name``
        counts).
        """
        keys = tuple(field_key(key) for key in path)
        if not keys:
            return None
        cache_key = (*keys, "\x00" if beside_personal else "")
        if cache_key in self._cache:
            return self._cache[cache_key]
        result = self._kind(keys, beside_personal)
        self._cache[cache_key] = result
        return result

    def _kind(self, keys: tuple[str, ...], beside_personal: bool) -> Kind | None:
        if any(pattern.matches(keys) for pattern in self.kept):
            return None
        for pattern in self.added:
            if pattern.matches(keys):
                return pattern.kind
        key = keys[-1]
        if key in FIELDS:
            return FIELDS[key]
        for suffix, kind in SUFFIXES:
            if key.endswith(suffix):
                return kind
        if key == CONTEXT_NAME and beside_personal:
            return Kind.NAME
        return None
