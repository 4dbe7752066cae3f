"""The emulator's API revisions (issue 14, item 4), over real HTTP on 127.0.0.1."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from test_fake import api, get_token, run_module

from pytest_bss.fake import TenantEmulator
from pytest_bss.fake.revisions import (
    NEWEST_VERSIONS,
    REVISIONS,
    Drift,
    DriftKind,
    apply_drifts,
    revisions_markdown,
)
from pytest_bss.fake.server import ROUTES, Route

LATER = [revision for revision in sorted(REVISIONS) if revision > 1]
PINNED = ["1", "2", "2.1", "2.2", "3.0"]
GET_ROUTES = [route for route in ROUTES if route.method == "GET"]
DOCS = Path(__file__).resolve().parents[1] / "docs" / "emulator.md"


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def today() -> Iterator[TenantEmulator]:
    with TenantEmulator() as emulator:
        yield emulator


@pytest.fixture
def drifted() -> Iterator[TenantEmulator]:
    with TenantEmulator(api_revision=2) as emulator:
        yield emulator


def get(
    http: requests.Session, emu: TenantEmulator, path: str, version: str = "latest"
) -> requests.Response:
    return api(http, emu, "GET", path, version=version)


def concrete(route: Route, emu: TenantEmulator) -> str:
    """A path for ``route`` that answers 200 in revision 1."""
    account_id = next(i for i, options in emu.data.sync_options.items() if options)
    values = {
        "id": str(account_id),
        "system": emu.data.sync_options[account_id][0]["systemCode"],
        "guid": next(iter(emu.data.subscriptions)),
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m[1]], route.shown_path)


def shape(value: Any, path: str = "$") -> dict[str, set[str]]:
    """JSON path (``[*]`` for list items) -> the JSON types found there."""
    kind = {bool: "boolean", int: "number", float: "number", str: "string", type(None): "null"}
    if isinstance(value, dict):
        found: dict[str, set[str]] = {path: {"object"}}
        for key, item in value.items():
            for sub, types in shape(item, f"{path}.{key}").items():
                found.setdefault(sub, set()).update(types)
        return found
    if isinstance(value, list):
        found = {path: {"array"}}
        for item in value:
            for sub, types in shape(item, f"{path}[*]").items():
                found.setdefault(sub, set()).update(types)
        return found
    return {path: {kind[type(value)]}}


def renamed(drift: Drift) -> str:
    return drift.json_path.rpartition(".")[0] + "." + drift.after


# -- revision 1 --------------------------------------------------------------------------------


def test_revision_1_is_the_default_and_has_no_drift() -> None:
    assert TenantEmulator().api_revision == 1
    assert REVISIONS[1] == ()
    assert NEWEST_VERSIONS[1] == "3.0"


def test_revision_1_does_not_know_the_newer_version(
    http: requests.Session, today: TenantEmulator
) -> None:
    response = get(http, today, "api/accounts/1001", version=NEWEST_VERSIONS[2])

    assert response.status_code == 400
    assert "does not support the API version '4.0'" in response.json()["message"]


@pytest.mark.parametrize("revision", [0, max(REVISIONS) + 1])
def test_an_unknown_revision_is_refused_naming_the_known_ones(revision: int) -> None:
    with pytest.raises(ValueError, match=r"api_revision must be one of 1, 2, got"):
        TenantEmulator(api_revision=revision)


def test_the_newer_version_is_a_default_only_from_its_revision_on() -> None:
    with pytest.raises(ValueError, match="default_api_version must be one of"):
        TenantEmulator(default_api_version="4.0")

    assert TenantEmulator(api_revision=2, default_api_version="4.0").default_api_version == "4.0"


# -- revision 2, drift by drift ----------------------------------------------------------------


def test_revision_2_accounts_gain_a_currency_code(
    http: requests.Session, today: TenantEmulator, drifted: TenantEmulator
) -> None:
    before = get(http, today, "api/accounts/1001").json()
    after = get(http, drifted, "api/accounts/1001").json()

    assert after == {**before, "currencyCode": "EUR"}
    assert list(after)[-1] == "currencyCode"


def test_revision_2_lists_accounts_with_a_currency_code_each(
    http: requests.Session, drifted: TenantEmulator
) -> None:
    body = get(http, drifted, "api/accounts?pageSize=3").json()

    assert [account["currencyCode"] for account in body["data"]] == ["EUR"] * 3


def test_revision_2_invoices_rename_billing_account_id_to_account_id_in_place(
    http: requests.Session, today: TenantEmulator, drifted: TenantEmulator
) -> None:
    before = get(http, today, "api/invoices?size=5").json()["data"]
    after = get(http, drifted, "api/invoices?size=5").json()["data"]

    for old, new in zip(before, after, strict=True):
        assert list(new) == ["accountId" if key == "billingAccountId" else key for key in old]
        assert new["accountId"] == old["billingAccountId"]


def test_revision_2_balance_amounts_are_decimal_strings(
    http: requests.Session, today: TenantEmulator, drifted: TenantEmulator
) -> None:
    account_id = next(i["billingAccountId"] for i in today.data.invoices if i["stage"] == "Paid")
    path = f"api/accounts/{account_id}/balance"
    before = get(http, today, path).json()
    after = get(http, drifted, path).json()

    amounts = ["balance", "debitInvoicesTotal", "creditInvoicesTotal", "paymentsTotal"]
    assert after == {**before, **{name: f"{before[name]:.2f}" for name in amounts}}
    assert float(after["debitInvoicesTotal"]) > 0


def test_revision_2_no_longer_serves_one_sync_option_before_asking_for_a_token(
    http: requests.Session, drifted: TenantEmulator
) -> None:
    account_id = next(i for i, options in drifted.data.sync_options.items() if options)
    system = drifted.data.sync_options[account_id][0]["systemCode"]
    path = f"api/accounts/{account_id}/syncoptions/{system}"

    with_token = get(http, drifted, path)
    without = http.get(drifted.url + path, headers={"X-Api-Version": "latest"}, timeout=5)

    for response in (with_token, without):
        assert response.status_code == 404
        assert response.json() == {
            "message": f"No HTTP resource was found that matches the request URI '{response.url}'."
        }
    assert get(http, drifted, f"api/accounts/{account_id}/syncoptions").status_code == 200


def test_revision_2_answers_its_new_version_number_like_latest(
    http: requests.Session, drifted: TenantEmulator
) -> None:
    token = get_token(http, drifted)
    latest = api(http, drifted, "GET", "api/accounts/1001", token=token)
    numbered = api(http, drifted, "GET", "api/accounts/1001", token=token, version="4.0")

    assert numbered.content == latest.content
    assert "currencyCode" in numbered.json()


@pytest.mark.parametrize("version", PINNED)
def test_revision_2_answers_pinned_versions_byte_for_byte_as_revision_1(
    http: requests.Session, today: TenantEmulator, drifted: TenantEmulator, version: str
) -> None:
    for route in GET_ROUTES:
        path = concrete(route, today)
        before = get(http, today, path, version=version)
        after = get(http, drifted, path, version=version)

        assert (after.status_code, after.content) == (before.status_code, before.content), path


def test_revision_2_leaves_errors_alone(
    http: requests.Session, today: TenantEmulator, drifted: TenantEmulator
) -> None:
    before = get(http, today, "api/accounts/999999/balance")
    after = get(http, drifted, "api/accounts/999999/balance")

    assert (after.status_code, after.content) == (404, before.content)


# -- the REVISIONS table is the behaviour --------------------------------------------------------


@pytest.mark.parametrize("revision", LATER)
def test_every_drift_names_a_route_of_the_route_table(revision: int) -> None:
    endpoints = {(route.method, route.shown_path) for route in ROUTES}
    for drift in REVISIONS[revision]:
        assert (drift.method, drift.route) in endpoints, drift
        assert (drift.json_path == "") == (drift.kind is DriftKind.ENDPOINT_GONE), drift


def test_the_table_shows_each_kind_of_drift() -> None:
    assert {drift.kind for drift in REVISIONS[2]} == set(DriftKind)


@pytest.mark.parametrize("revision", LATER)
@pytest.mark.parametrize("route", GET_ROUTES, ids=lambda route: f"GET {route.shown_path}")
def test_each_answer_changes_exactly_as_the_table_says(
    http: requests.Session, revision: int, route: Route
) -> None:
    with TenantEmulator() as first, TenantEmulator(api_revision=revision) as later:
        path = concrete(route, first)
        before = get(http, first, path)
        after = get(http, later, path)
    drifts = [d for d in REVISIONS[revision] if (d.method, d.route) == ("GET", route.shown_path)]
    assert before.status_code == 200, before.text

    if any(drift.kind is DriftKind.ENDPOINT_GONE for drift in drifts):
        assert after.status_code == int(drifts[0].after)
        return
    assert after.status_code == 200, after.text
    old, new = shape(before.json()), shape(after.json())
    expected_added: dict[str, set[str]] = {}
    expected_removed: set[str] = set()
    expected_changed: dict[str, tuple[set[str], set[str]]] = {}
    for drift in drifts:
        if drift.kind is DriftKind.FIELD_ADDED:
            expected_added[drift.json_path] = {drift.after}
        elif drift.kind is DriftKind.FIELD_RENAMED:
            expected_removed.add(drift.json_path)
            expected_added[renamed(drift)] = old[drift.json_path]
        else:
            expected_changed[drift.json_path] = ({drift.before}, {drift.after})
    assert {p: new[p] for p in new.keys() - old.keys()} == expected_added
    assert old.keys() - new.keys() == expected_removed
    assert {
        p: (old[p], new[p]) for p in old.keys() & new.keys() if old[p] != new[p]
    } == expected_changed


def test_applying_no_drift_changes_nothing() -> None:
    body = {"data": [{"id": 1, "totalAmount": 2.5}]}

    assert apply_drifts(body, ()) == {"data": [{"id": 1, "totalAmount": 2.5}]}


def test_a_json_path_beyond_dots_and_stars_is_refused() -> None:
    drift = Drift("GET", "api/invoices", DriftKind.FIELD_ADDED, "$.data[0].x", "", "string")

    with pytest.raises(ValueError, match="unsupported JSON path"):
        apply_drifts({"data": []}, [drift])


def test_docs_emulator_md_shows_the_revision_table() -> None:
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("\n", text.index("<!-- revisions:")) + 1
    end = text.index("<!-- end of revisions -->")

    assert text[start:end] == revisions_markdown(), (
        "docs/emulator.md is out of date: paste the output of `pytest-bss emulator --revisions` "
        "between its revision markers"
    )


# -- python -m pytest_bss.fake --api-revision ----------------------------------------------------


def test_the_module_serves_the_revision_it_is_asked_for(http: requests.Session) -> None:
    with run_module("--api-revision", "2") as (_, exported):
        base = exported["BSS_BASE_URL"]
        token = http.post(
            base + "oauth/token",
            data={
                "grant_type": "password",
                "username": exported["BSS_USERNAME"],
                "password": exported["BSS_PASSWORD"],
            },
            auth=(exported["BSS_CLIENT_KEY"], exported["BSS_CLIENT_SECRET"]),
            timeout=5,
        ).json()["access_token"]
        response = http.get(
            base + "api/accounts/1001",
            headers={"Authorization": f"Bearer {token}", "X-Api-Version": "latest"},
            timeout=5,
        )

    assert response.json()["currencyCode"] == "EUR"


def test_the_module_refuses_an_unknown_revision() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest_bss.fake", "--api-revision", "9"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 2
    assert "--api-revision: invalid choice: 9 (choose from 1, 2)" in result.stderr
    assert result.stdout == ""
