"""acme_billing against recorded BSS traffic: each test replays its own cassette.

Recorded with `pytest --bss-record --bss-emulator`; plain `pytest` replays offline.
"""

from __future__ import annotations

import pytest
from pytest_bss import BssCassette, BssClient

from acme_billing import customer_names, find_account, open_account, synced_systems


def test_customer_names_come_from_every_page(
    bss_client: BssClient, bss_cassette: BssCassette
) -> None:
    names = customer_names(bss_client, page_size=20)

    assert len(names) > 20  # more than one page of customers
    assert len(bss_cassette.requests) > 1  # ...fetched one page per request


def test_an_account_is_synced_with_its_external_systems(bss_client: BssClient) -> None:
    systems = synced_systems(bss_client, 1001)

    assert systems == sorted(systems)
    assert all(code.isupper() for code in systems)


# The POST body is what this test is about, so replay matches it too.
@pytest.mark.bss(match_on=["method", "path", "query", "body"])
def test_opening_an_account_reads_it_back(bss_client: BssClient) -> None:
    account = open_account(bss_client, "Acme Widgets Ltd", email="billing@acme.example")

    assert account.name == "Acme Widgets Ltd"
    assert account.email == "billing@acme.example"


def test_an_unknown_account_is_none(bss_client: BssClient, bss_cassette: BssCassette) -> None:
    assert find_account(bss_client, 999999) is None
    assert bss_cassette.responses[0]["status"]["code"] == 404
