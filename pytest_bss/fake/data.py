"""The emulated tenant's records: seeded, deterministic, mutable by POSTs.

Everything is derived from ``random.Random(seed)`` and fixed calendar dates,
so two tenants built with the same ``(accounts, seed)`` hold identical data
on every run and every machine. Names, e-mail addresses and web sites use the
reserved ``example`` domains and 555 phone numbers: nothing here is real.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "ACCOUNT_FIELDS",
    "CONTACT_FIELDS",
    "INVOICE_SORT_KEYS",
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
)
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
    data = TenantData()
    names: set[str] = set()
    for offset in range(accounts):
        account_id = FIRST_ACCOUNT_ID + offset
        data.accounts[account_id] = _account(rng, account_id, names)
        data.sync_options[account_id] = _sync_options(rng)
        for guid, attributes in _subscriptions(rng, data.accounts[account_id]):
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
    }
    account.update({k: v for k, v in values.items() if k != "id"})
    return account


def _account(rng: random.Random, account_id: int, taken: set[str]) -> dict[str, Any]:
    while True:
        stem = f"{rng.choice(_PREFIXES)} {rng.choice(_MIDDLES)}"
        name = f"{stem} {rng.choice(_SUFFIXES)}"
        if name not in taken:
            taken.add(name)
            break
    slug = "".join(ch for ch in stem.lower() if ch.isalnum())
    kind = rng.choice(_TYPES)
    return {
        "id": account_id,
        "name": name,
        "code": f"ACC{account_id:05d}",
        "email": f"billing@{slug}.example.com",
        "phone": f"+1 555 01{rng.randrange(100):02d}",
        "webSite": f"https://www.{slug}.example.com",
        "type": kind,
        "industry": rng.choice(_INDUSTRIES),
        "creditLimit": float(rng.randrange(0, 50_001, 500)),
        "enableOrdering": rng.random() < 0.9,
        "enableReselling": kind != "Customer",
        "description": f"Demo {kind.lower()} account seeded by the pytest-bss tenant emulator.",
    }


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
    rng: random.Random, account: dict[str, Any]
) -> list[tuple[str, list[dict[str, Any]]]]:
    subscriptions = []
    for _ in range(rng.randrange(0, 4)):
        guid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        host = account["webSite"].removeprefix("https://www.")
        values = {
            "TENANT_DOMAIN": host.replace(".example.com", ".onmicrosoft.example"),
            "SEATS": str(rng.randrange(1, 251)),
            "BILLING_CYCLE": rng.choice(("Monthly", "Annual")),
            "REGION": rng.choice(_REGIONS),
            "ADMIN_EMAIL": f"admin@{host}",
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
