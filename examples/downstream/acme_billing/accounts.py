"""Account helpers: what a billing integration asks of the BSS API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_bss import BssApiError, BssClient

__all__ = ["Account", "customer_names", "find_account", "open_account", "synced_systems"]

_NOT_FOUND = 404


@dataclass(frozen=True)
class Account:
    """The fields of a BSS account this integration uses."""

    id: int
    name: str
    email: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Account:
        return cls(id=int(data["id"]), name=str(data["name"]), email=data.get("email"))


def customer_names(client: BssClient, *, page_size: int = 25) -> list[str]:
    """The names of every customer account (resellers and partners left out), in id order."""
    return [
        account["name"]
        for account in client.paginate("api/accounts", page_size=page_size)
        if account.get("type") == "Customer"
    ]


def synced_systems(client: BssClient, account_id: int) -> list[str]:
    """The codes of the external systems an account is kept in sync with, sorted."""
    options = client.get_json(f"api/accounts/{account_id}/syncoptions")
    items = options["data"] if isinstance(options, dict) else options
    return sorted(item["systemCode"] for item in items if item.get("enabled"))


def find_account(client: BssClient, account_id: int) -> Account | None:
    """The account with this id, or ``None`` if the tenant has none."""
    try:
        return Account.from_json(client.get_json(f"api/accounts/{account_id}"))
    except BssApiError as exc:
        if exc.status == _NOT_FOUND:
            return None
        raise


def open_account(client: BssClient, name: str, *, email: str | None = None) -> Account:
    """Create a customer account and read it back."""
    body: dict[str, Any] = {"name": name, "type": "Customer"}
    if email is not None:
        body["email"] = email
    new_id = int(client.json("POST", "api/accounts", json=body))
    account = find_account(client, new_id)
    if account is None:
        raise LookupError(f"account {new_id} was created but cannot be read back")
    return account
