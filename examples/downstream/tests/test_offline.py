"""Cases a tenant will not produce on demand: stubbed with bss_mock, no cassette."""

from __future__ import annotations

import pytest
from pytest_bss import BssApiError, BssMock

from acme_billing import customer_names, find_account


def test_a_tenant_without_accounts_has_no_customer_names(bss_mock: BssMock) -> None:
    bss_mock.get("api/accounts", json={"data": [], "totalCount": 0})

    assert customer_names(bss_mock.client) == []


def test_a_rate_limit_is_not_mistaken_for_a_missing_account(bss_mock: BssMock) -> None:
    bss_mock.get("api/accounts/1001", status=403, json={"message": "Rate limit exceeded"})

    with pytest.raises(BssApiError) as caught:
        find_account(bss_mock.client, 1001)

    assert caught.value.status == 403
    assert bss_mock.token_calls == 1
