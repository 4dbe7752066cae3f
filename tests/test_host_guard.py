"""Requests to the tenant outside any cassette: refused while recording and replaying."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from pytest_bss.exceptions import RequestOutsideCassetteError
from pytest_bss.fake import TenantEmulator
from pytest_bss.host_guard import HostGuard, host_and_port

OWN_CLIENT = """
from pytest_bss import BssClient

def test_own_client(bss_config):
    with BssClient(bss_config) as client:
        client.get_json("api/accounts/1001")
"""

REFUSED = (
    "RequestOutsideCassetteError: A request to the tenant (127.0.0.1:*) was made outside "
    "any cassette during test_own.py::test_own_client (call) while recording: nothing "
    "records it, so the next replay of this test would fail. Use the bss_client fixture, "
    "or add bss_cassette to the arguments of a test that builds its own BssClient or "
    "requests.Session, then record again."
)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\n")
    return pytester


@pytest.fixture
def guard() -> Iterator[HostGuard]:
    refusing = HostGuard(lambda place, test: f"refused {place}", refuse_now=lambda: True)
    try:
        yield refusing
    finally:
        refusing.remove()


# ---------------------------------------------------------------------------
# The guard itself


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://bss.example.com/", ("bss.example.com", 443)),
        ("http://127.0.0.1:8765/bsssmapi/", ("127.0.0.1", 8765)),
        ("HTTPS://BSS.Example.COM./", ("bss.example.com", 443)),
        ("http://[::1]:81/", ("::1", 81)),
    ],
    ids=["https-default-port", "port-and-virtual-directory", "case-and-dot", "ipv6"],
)
def test_host_and_port_reads_a_base_url(url: str, expected: tuple[str, int]) -> None:
    assert host_and_port(url) == expected


def test_the_guard_refuses_the_guarded_host_and_port_and_remembers_it(guard: HostGuard) -> None:
    guard.guard("127.0.0.1", 8765)

    with pytest.raises(RequestOutsideCassetteError, match=r"refused 127\.0\.0\.1:8765"):
        socket.getaddrinfo("127.0.0.1", 8765)

    assert guard.take_refused() == ["refused 127.0.0.1:8765"]
    assert guard.take_refused() == []


@pytest.mark.parametrize(
    ("guarded", "host", "port"),
    [("127.0.0.1", "127.0.0.1", 8766), ("bss.example.com", "127.0.0.1", 8765)],
    ids=["other-port", "other-host"],
)
def test_the_guard_lets_other_hosts_and_ports_through(
    guard: HostGuard, guarded: str, host: str, port: int
) -> None:
    guard.guard(guarded, 8765)

    assert socket.getaddrinfo(host, port)
    assert guard.take_refused() == []


@pytest.mark.parametrize("host", ["localhost", "127.0.0.2", "::1"])
def test_a_loopback_tenant_is_guarded_under_every_spelling_of_this_machine(
    guard: HostGuard, host: str
) -> None:
    guard.guard("127.0.0.1", 8765)

    with pytest.raises(RequestOutsideCassetteError):
        socket.getaddrinfo(host, 8765)


def test_the_guard_lets_the_tenant_through_while_it_should_not_refuse() -> None:
    refusing = False
    guard = HostGuard(lambda place, test: place, refuse_now=lambda: refusing)
    guard.guard("127.0.0.1", 8765)
    try:
        assert socket.getaddrinfo("127.0.0.1", 8765)
        refusing = True
        with pytest.raises(RequestOutsideCassetteError):
            socket.getaddrinfo("127.0.0.1", "8765")
    finally:
        guard.remove()


def test_removing_the_guard_restores_getaddrinfo() -> None:
    original = socket.getaddrinfo
    guard = HostGuard(lambda place, test: place, refuse_now=lambda: True)
    guard.guard("127.0.0.1")

    guard.remove()

    assert socket.getaddrinfo is original


# ---------------------------------------------------------------------------
# While recording


@pytest.mark.parametrize("tenant", ["bss-variables", "bss-emulator"])
def test_recording_refuses_a_request_to_the_tenant_outside_any_cassette_naming_the_fix(
    project: pytest.Pytester, emulator: TenantEmulator, export_tenant: object, tenant: str
) -> None:
    project.makepyfile(test_own=OWN_CLIENT)
    if tenant == "bss-variables":
        export_tenant(emulator.config())  # type: ignore[operator]
        args = ["--bss-record"]
    else:
        args = ["--bss-record", "--bss-emulator"]

    result = project.runpytest(*args)

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([REFUSED, "(docs/recording.md: 'Request outside any cassette')"])
    assert "Traceback" not in result.stdout.str()
    assert not (project.path / "cassettes" / "test_own").exists()
    assert emulator.api_requests == 0


def test_recording_refuses_a_request_from_a_test_that_uses_no_pytest_bss_fixture(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makepyfile(
        test_plain="""
        import requests
        from pytest_bss import BssConfig

        def test_plain():
            requests.get(BssConfig.from_env().base_url + "api/accounts/1001", timeout=5)
        """
    )

    result = project.runpytest("--bss-record")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["RequestOutsideCassetteError: A request to the tenant *"])
    assert tenant_env.api_requests == 0


@pytest.mark.parametrize("mode", ["record", "replay"])
def test_a_refused_request_fails_the_test_even_when_the_test_swallows_the_error(
    project: pytest.Pytester, tenant_env: TenantEmulator, mode: str
) -> None:
    project.makepyfile(
        test_swallow="""
        import requests

        def test_swallow(bss_config):
            try:
                requests.get(bss_config.base_url + "api/accounts/1001", timeout=5)
            except Exception:
                pass
        """
    )

    result = project.runpytest(*(["--bss-record"] if mode == "record" else []))

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "RequestOutsideCassetteError: A request to the *tenant (*) was made outside any cassette*",
            "(The test caught this error, so pytest-bss fails the test itself.)",
        ]
    )


def test_the_fix_in_the_message_records_and_replays(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makepyfile(
        test_own=OWN_CLIENT.replace("client(bss_config)", "client(bss_config, bss_cassette)")
    )

    project.runpytest("--bss-record").assert_outcomes(passed=1)
    tenant_env.stop()

    project.runpytest().assert_outcomes(passed=1)


def test_recording_lets_requests_to_other_hosts_through(
    project: pytest.Pytester, tenant_env: TenantEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TenantEmulator() as other:
        monkeypatch.setenv("OTHER_SERVICE", other.url)
        project.makepyfile(
            test_other="""
            import os
            import requests

            def test_other(bss_client):
                bss_client.get_json("api/accounts/1001")
                requests.get(os.environ["OTHER_SERVICE"] + "api/accounts/1001", timeout=5)
            """
        )

        result = project.runpytest("--bss-record")

    result.assert_outcomes(passed=1)
