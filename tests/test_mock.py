"""bss_mock: responses with the token endpoint stubbed and paths relative to the base URL."""

from __future__ import annotations

import pytest
import requests

from pytest_bss import BssApiError, BssMock


def test_a_route_is_added_relative_to_the_base_url(bss_mock: BssMock) -> None:
    bss_mock.get("api/accounts/1", json={"id": 1, "name": "Widgets"})

    assert bss_mock.client.get_json("api/accounts/1") == {"id": 1, "name": "Widgets"}
    assert bss_mock.calls[-1].request.url == "https://bss.tenant.invalid/api/accounts/1"


def test_the_client_logs_in_once_through_the_stubbed_token_endpoint(bss_mock: BssMock) -> None:
    bss_mock.get("api/accounts/1", json={"id": 1})
    bss_mock.get("api/accounts/2", json={"id": 2})

    bss_mock.client.get_json("api/accounts/1")
    bss_mock.client.get_json("api/accounts/2")

    assert bss_mock.token_calls == 1
    assert bss_mock.calls[-1].request.headers["Authorization"] == "Bearer mock-access-token"


def test_an_error_route_surfaces_as_a_bss_api_error(bss_mock: BssMock) -> None:
    bss_mock.get("api/accounts/9", status=404, json={"message": "Account 9 was not found."})

    with pytest.raises(BssApiError) as caught:
        bss_mock.client.get_json("api/accounts/9")

    assert (caught.value.status, caught.value.message) == (404, "Account 9 was not found.")


def test_an_unmocked_request_fails_instead_of_reaching_the_network(bss_mock: BssMock) -> None:
    with pytest.raises(requests.ConnectionError):
        bss_mock.client.get("api/accounts/1")


def test_leading_slashes_and_other_verbs_are_accepted(bss_mock: BssMock) -> None:
    bss_mock.post("/api/accounts", json=1058)
    bss_mock.put("api/accounts/1058", json={"id": 1058})
    bss_mock.delete("api/accounts/1058", status=204)

    assert bss_mock.client.json("POST", "api/accounts", json={"name": "x"}) == 1058
    assert bss_mock.client.json("PUT", "api/accounts/1058", json={"name": "y"}) == {"id": 1058}
    assert bss_mock.client.delete("api/accounts/1058").status_code == 204


def test_the_mock_stops_when_the_block_ends() -> None:
    original = requests.adapters.HTTPAdapter.send

    with BssMock() as mock:
        mock.get("api/accounts/1", json={})
        assert requests.adapters.HTTPAdapter.send is not original

    assert requests.adapters.HTTPAdapter.send is original
