"""The emulated tenant's records: seeded, deterministic, mutable by POSTs.

Everything is derived from ``random.Random(seed)`` and fixed calendar dates,
so two tenants built with the same ``(accounts, seed)`` hold identical data
on every run and every machine.

**Personal-data-shaped, and synthetic.** The accounts look like a real tenant's, so
that recording against the emulator exercises the pseudonymisation of
:mod:`pytest_bss.personal` end to end: e-mail addresses and web sites on
ordinary-looking domains (``billing@northwindcloud-mail.de``), mobile numbers that
phonenumbers accepts for the account's country, an IBAN in that country's format with
a valid checksum (``billingIban``) and, for most accounts, a Luhn-valid card number on a
BIN outside the published test ranges (``paymentCard``). Every value is made up: the
domains (``<company>-mail.<country TLD>``) belong to no one we know of and the emulator
sends nothing to them, the card numbers and IBANs are drawn at random with only their
check digits computed, and the names are invented. ``billingIban`` and ``paymentCard``
are an extension: nothing public says where the BSS API holds an account's bank and
card details. The templates below are library-free (the check digits are arithmetic),
so a new phonenumbers or python-stdnum cannot change the data; tests check that both
libraries accept it.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..personal.detect import TEST_CARD_PREFIXES

__all__ = [
    "ACCOUNT_FIELDS",
    "CONTACT_FIELDS",
    "INVOICE_SORT_KEYS",
    "PAYMENT_CARD_FIELDS",
    "TenantData",
    "build_tenant",
    "new_account",
]

#: Account fields, in the order the API answers them.
ACCOUNT_FIELDS = (
    "id",
    "name",
    "code",
    "email",
    "phone",
    "webSite",
    "type",
    "industry",
    "creditLimit",
    "enableOrdering",
    "enableReselling",
    "description",
    # Extension (see the module docstring): where nothing public says.
    "billingIban",
    "paymentCard",
)
#: ``paymentCard`` fields (the account's card on file), in the order the API answers them.
PAYMENT_CARD_FIELDS = ("scheme", "cardNumber", "holderName", "expiryMonth", "expiryYear")
#: Contact fields, in the order they are stored.
CONTACT_FIELDS = ("id", "accountId", "firstName", "lastName", "email", "phone", "jobTitle")
#: ``sort`` values ``GET api/invoices`` understands (lower case) -> invoice field.
INVOICE_SORT_KEYS = {
    "invoicedate": "date",
    "date": "date",
    "duedate": "dueDate",
    "id": "id",
    "code": "code",
    "totalamount": "totalAmount",
}

FIRST_ACCOUNT_ID = 1001
FIRST_INVOICE_ID = 50001
FIRST_CONTACT_ID = 3001
_EPOCH = datetime(2024, 1, 1)
_PREFIXES = (
    "Northwind", "Contoso", "Fabrikam", "Tailspin", "Adventure", "Litware", "Proseware",
    "Wingtip", "Lucerne", "Humongous", "Coho", "Alpine", "Blue Yonder", "Fourth Coffee",
    "Margie's", "Trey", "Woodgrove", "Graphic", "Wide World", "Southridge",
)  # fmt: skip
_MIDDLES = (
    "Cloud", "Data", "Systems", "Networks", "Software", "Media", "Logistics", "Health",
    "Energy", "Retail", "Labs", "Consulting",
)  # fmt: skip
_SUFFIXES = ("Ltd", "S.A.", "GmbH", "Inc.", "LLC", "B.V.", "Group")
_TYPES = ("Customer", "Customer", "Customer", "Reseller", "Partner")
_INDUSTRIES = (
    "Information Technology", "Healthcare", "Retail", "Manufacturing", "Education",
    "Finance", "Hospitality", "Logistics", "Telecommunications", "Public Sector",
)  # fmt: skip
_SYSTEMS = ("MSCSP", "ACRONIS", "AZURE", "GOOGLE", "DROPBOX", "ERP")
_STAGES = ("Draft", "Posted", "Posted", "Paid", "Paid", "Paid", "Cancelled")
_ATTRIBUTES = (
    ("Tenant Domain", "TENANT_DOMAIN"),
    ("Seats", "SEATS"),
    ("Billing Cycle", "BILLING_CYCLE"),
    ("Region", "REGION"),
    ("Admin E-mail", "ADMIN_EMAIL"),
)
_REGIONS = ("West Europe", "North Europe", "East US", "Southeast Asia")


@dataclass(frozen=True)
class _Country:
    tld: str
    #: An international mobile number as phonenumbers writes it; ``#`` is a drawn digit.
    phone: str
    #: The IBAN registry's BBAN structure: (count, ``n`` digit / ``a`` letter), in order.
    bban: tuple[tuple[int, str], ...]


# ISO country code -> how its accounts' personal values look. No country with a national
# IBAN check beyond the checksum (Belgium, Spain): their bank codes would have to be real.
_COUNTRIES = {
    "GB": _Country("co.uk", "+44 771# ######", ((4, "a"), (14, "n"))),
    "DE": _Country("de", "+49 1512 #######", ((18, "n"),)),
    "FR": _Country("fr", "+33 6 1# ## ## ##", ((23, "n"),)),
    "NL": _Country("nl", "+31 6 2#######", ((4, "a"), (10, "n"))),
    "IE": _Country("ie", "+353 87 ### ####", ((4, "a"), (14, "n"))),
    "IT": _Country("it", "+39 347 ### ####", ((1, "a"), (22, "n"))),
    "AT": _Country("at", "+43 664 #######", ((16, "n"),)),
    "GR": _Country("gr", "+30 69# ### ####", ((23, "n"),)),
}
# Card schemes: (name, first digits to draw from, length).
_CARD_SCHEMES = (
    ("Visa", ("4",), 16),
    ("Visa", ("4",), 16),
    ("Mastercard", ("51", "52", "53", "54", "55"), 16),
    ("American Express", ("34", "37"), 15),
)
# Holders of the cards on file and the subscriptions' admin contacts; invented, and none
# is in the pseudonyms' word lists, so a test can tell a seeded name from a pseudonym.
_FIRST_NAMES = (
    "Aoife", "Bastian", "Camille", "Dimitra", "Eoin", "Frieda", "Giulia", "Hendrik",
    "Isolde", "Jakob", "Katerina", "Lorenzo", "Margot", "Niamh", "Oskar", "Pieter",
    "Rhiannon", "Stavros", "Tamsin", "Ulrike",
)  # fmt: skip
_LAST_NAMES = (
    "Brennan", "Dekker", "Ferrante", "Gallagher", "Huber", "Janssen", "Kowalczyk",
    "Lefebvre", "Mavros", "Nakamura", "Oberhauser", "Papadakis", "Renard", "Sutherland",
    "Thornbury", "Visser", "Whitfield", "Zografos",
)  # fmt: skip


@dataclass
class TenantData:
    """The records one emulated tenant holds (JSON-ready dicts, camelCase keys).

    ``accounts`` maps id to account, ``sync_options`` account id to its options,
    ``invoices`` lists every invoice in id order, ``payments`` maps account id to
    the total paid, ``subscriptions`` maps a lower-case GUID to its attributes
    and ``subscription_accounts`` to its account id; ``contacts`` holds the
    contacts created through the API. Treat it as read-only outside the emulator.
    """

    accounts: dict[int, dict[str, Any]] = field(default_factory=dict)
    sync_options: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    payments: dict[int, float] = field(default_factory=dict)
    subscriptions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    subscription_accounts: dict[str, int] = field(default_factory=dict)
    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)

    def next_account_id(self) -> int:
        """The id the next created account gets."""
        return max(self.accounts, default=FIRST_ACCOUNT_ID - 1) + 1

    def next_contact_id(self) -> int:
        """The id the next created contact gets."""
        return max(self.contacts, default=FIRST_CONTACT_ID - 1) + 1

    def balance(self, account_id: int) -> dict[str, Any]:
        """The Billing API balance of one account, derived from its invoices."""
        debit = credit = 0.0
        for invoice in self.invoices:
            if invoice["billingAccountId"] != account_id or invoice["stage"] in (
                "Draft",
                "Cancelled",
            ):
                continue
            if invoice["type"] == "Invoice":
                debit += invoice["totalAmount"]
            else:
                credit += invoice["totalAmount"]
        paid = self.payments.get(account_id, 0.0)
        return {
            "accountId": account_id,
            "balance": round(debit - credit - paid, 2),
            "debitInvoicesTotal": round(debit, 2),
            "creditInvoicesTotal": round(credit, 2),
            "paymentsTotal": round(paid, 2),
            "currencyCode": "EUR",
        }


def build_tenant(accounts: int, seed: int) -> TenantData:
    """Seed a tenant with ``accounts`` accounts and their invoices, options and subscriptions."""
    rng = random.Random(seed)
    # The personal values have their own stream: drawing them does not move anything
    # else (ids, sync options, invoices), which tests and cassettes rely on.
    personal = random.Random(f"pytest-bss personal data {seed}")
    data = TenantData()
    names: set[str] = set()
    for offset in range(accounts):
        account_id = FIRST_ACCOUNT_ID + offset
        account, admin_email = _account(rng, personal, account_id, names)
        data.accounts[account_id] = account
        data.sync_options[account_id] = _sync_options(rng)
        for guid, attributes in _subscriptions(rng, account, admin_email):
            data.subscriptions[guid] = attributes
            data.subscription_accounts[guid] = account_id
    _seed_invoices(rng, data)
    return data


def new_account(account_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """An account created through the API: ``values`` (camelCase) over the defaults."""
    account: dict[str, Any] = {
        "id": account_id,
        "name": "",
        "code": f"ACC{account_id:05d}",
        "email": None,
        "phone": None,
        "webSite": None,
        "type": "Customer",
        "industry": None,
        "creditLimit": 0.0,
        "enableOrdering": True,
        "enableReselling": False,
        "description": None,
        "billingIban": None,
        "paymentCard": None,
    }
    account.update({k: v for k, v in values.items() if k != "id"})
    return account


def _account(
    rng: random.Random, personal: random.Random, account_id: int, taken: set[str]
) -> tuple[dict[str, Any], str]:
    """A seeded account, and the e-mail address of its admin contact."""
    while True:
        stem = f"{rng.choice(_PREFIXES)} {rng.choice(_MIDDLES)}"
        name = f"{stem} {rng.choice(_SUFFIXES)}"
        if name not in taken:
            taken.add(name)
            break
    slug = "".join(ch for ch in stem.lower() if ch.isalnum())
    kind = rng.choice(_TYPES)
    # This draw once made a 555 phone number; it now picks the country, in its old place.
    code = sorted(_COUNTRIES)[rng.randrange(100) % len(_COUNTRIES)]
    country = _COUNTRIES[code]
    domain = f"{slug}-mail.{country.tld}"
    first, last = personal.choice(_FIRST_NAMES), personal.choice(_LAST_NAMES)
    account = {
        "id": account_id,
        "name": name,
        "code": f"ACC{account_id:05d}",
        "email": f"billing@{domain}",
        "phone": _digits(personal, country.phone),
        "webSite": f"https://www.{domain}",
        "type": kind,
        "industry": rng.choice(_INDUSTRIES),
        "creditLimit": float(rng.randrange(0, 50_001, 500)),
        "enableOrdering": rng.random() < 0.9,
        "enableReselling": kind != "Customer",
        "description": f"Demo {kind.lower()} account seeded by the pytest-bss tenant emulator.",
        "billingIban": _iban(personal, code, country),
        "paymentCard": None,
    }
    if personal.random() < 0.75:  # the others pay by direct debit
        account["paymentCard"] = _payment_card(personal, f"{first} {last}")
    return account, f"{first}.{last}@{domain}".lower()


def _digits(rng: random.Random, template: str) -> str:
    return "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in template)


def _iban(rng: random.Random, code: str, country: _Country) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXY"
    chars = [
        rng.choice(letters if cls == "a" else "0123456789")
        for count, cls in country.bban
        for _ in range(count)
    ]
    if chars[0] == "0":  # 0000 (or ZZZZ: no Z drawn) at the start marks a pseudonym
        chars[0] = rng.choice("123456789")
    bban = "".join(chars)
    # ISO 7064 MOD 97-10, as python-stdnum's iban.calc_check_digits computes it.
    number = int("".join(str(int(ch, 36)) for ch in f"{bban}{code}00"))
    return f"{code}{98 - number % 97:02d}{bban}"


def _payment_card(rng: random.Random, holder: str) -> dict[str, Any]:
    scheme, starts, length = rng.choice(_CARD_SCHEMES)
    while True:
        body = rng.choice(starts)
        body += "".join(str(rng.randrange(10)) for _ in range(length - 1 - len(body)))
        if not body.startswith(TEST_CARD_PREFIXES):  # the gate must take it for real
            break
    return {
        "scheme": scheme,
        "cardNumber": body + _luhn_digit(body),
        "holderName": holder,
        "expiryMonth": rng.randrange(1, 13),
        "expiryYear": rng.randrange(2026, 2031),
    }


def _luhn_digit(body: str) -> str:
    total = 0
    for index, ch in enumerate(reversed(body)):
        digit = int(ch) * (2 if index % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return str(-total % 10)


def _sync_options(rng: random.Random) -> list[dict[str, Any]]:
    options = []
    for system in sorted(rng.sample(_SYSTEMS, rng.randrange(0, 4))):
        synced = _EPOCH + timedelta(days=rng.randrange(700), seconds=rng.randrange(86_400))
        options.append(
            {
                "systemCode": system,
                "externalId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "enabled": rng.random() < 0.8,
                "lastSyncDate": _iso(synced),
            }
        )
    return options


def _subscriptions(
    rng: random.Random, account: dict[str, Any], admin_email: str
) -> list[tuple[str, list[dict[str, Any]]]]:
    subscriptions = []
    slug = account["webSite"].removeprefix("https://www.").partition("-mail.")[0]
    for _ in range(rng.randrange(0, 4)):
        guid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        values = {
            "TENANT_DOMAIN": f"{slug}.onmicrosoft.example",
            "SEATS": str(rng.randrange(1, 251)),
            "BILLING_CYCLE": rng.choice(("Monthly", "Annual")),
            "REGION": rng.choice(_REGIONS),
            "ADMIN_EMAIL": admin_email,
        }
        attributes = [
            {"id": number, "name": name, "value": values[code], "code": code}
            for number, (name, code) in enumerate(_ATTRIBUTES, start=1)
        ]
        subscriptions.append((guid, attributes))
    return subscriptions


def _seed_invoices(rng: random.Random, data: TenantData) -> None:
    drafts: list[tuple[datetime, int, str, float]] = []
    for account_id in data.accounts:
        for _ in range(rng.randrange(0, 7)):
            day = _EPOCH + timedelta(days=rng.randrange(730))
            kind = "CreditNote" if rng.random() < 0.15 else "Invoice"
            drafts.append((day, account_id, kind, round(rng.uniform(20, 5000), 2)))
    drafts.sort(key=lambda d: (d[0], d[1]))
    for number, (day, account_id, kind, amount) in enumerate(drafts):
        invoice_id = FIRST_INVOICE_ID + number
        prefix = "CN" if kind == "CreditNote" else "INV"
        data.invoices.append(
            {
                "id": invoice_id,
                "code": f"{prefix}-{day.year}-{invoice_id:06d}",
                "billingAccountId": account_id,
                "stage": rng.choice(_STAGES),
                "totalAmount": amount,
                "type": kind,
                "date": _iso(day),
                "dueDate": _iso(day + timedelta(days=30)),
            }
        )
    for account_id in data.accounts:
        owed = data.balance(account_id)["debitInvoicesTotal"]
        data.payments[account_id] = round(owed * rng.choice((0.0, 0.5, 0.8, 1.0)), 2)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")
