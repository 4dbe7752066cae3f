"""The demo suite: real BSS calls through the plugin's fixtures.

`pytest tests/integration --bss-record --bss-emulator` records these against the
bundled tenant emulator into cassettes/; plain `pytest` replays them offline.
"""

from __future__ import annotations

import pytest

from pytest_bss import BssApiError, BssClient
from pytest_bss.auth import Token


def test_an_account_can_be_read_by_id(bss_client: BssClient) -> None:
    account = bss_client.get_json("api/accounts/1001")

    assert account["id"] == 1001
    assert account["name"]


def test_accounts_page_through_every_account(bss_client: BssClient) -> None:
    accounts = list(bss_client.paginate("api/accounts", page_size=20))

    ids = [account["id"] for account in accounts]
    assert len(ids) == len(set(ids)) > 20


def test_an_account_has_sync_options(bss_client: BssClient) -> None:
    options = bss_client.get_json("api/accounts/1001/syncoptions")

    assert options


def test_an_account_has_a_balance(bss_client: BssClient) -> None:
    balance = bss_client.get_json("api/accounts/1001/balance")

    assert {"balance", "debitInvoicesTotal", "paymentsTotal"} <= balance.keys()


def test_recent_invoices_come_newest_first(bss_client: BssClient) -> None:
    invoices = bss_client.get_json(
        "api/invoices", params={"sort": "invoiceDate", "order": "desc", "size": 5}
    )["data"]

    dates = [invoice["date"] for invoice in invoices]
    assert dates == sorted(dates, reverse=True)


def test_creating_an_account_answers_its_new_id(bss_client: BssClient) -> None:
    new_id = bss_client.json("POST", "api/accounts", json={"name": "Demo Widgets Ltd"})

    assert bss_client.get_json(f"api/accounts/{new_id}")["name"] == "Demo Widgets Ltd"


def test_a_subscription_lists_its_attributes(bss_client: BssClient) -> None:
    guid = "12e0c8b2-bad6-40fb-9948-8dec4f65d4d9"  # seeded by the emulator
    attributes = bss_client.get_json(f"api/subscriptions/{guid}/attributes")["attributes"]

    assert all({"id", "name", "value", "code"} <= item.keys() for item in attributes)


def test_an_unknown_account_is_a_404_with_the_servers_message(bss_client: BssClient) -> None:
    with pytest.raises(BssApiError) as caught:
        bss_client.get_json("api/accounts/999999")

    assert caught.value.status == 404
    assert caught.value.message


def test_the_session_token_is_a_bearer_token(bss_token: Token) -> None:
    assert bss_token.token_type.lower() == "bearer"
    assert bss_token.access_token
