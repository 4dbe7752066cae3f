"""pytest-bss next to the plugins its users already have.

pytest-recording, pytest-socket, pytest-randomly and pytest-xdist are optional here:
each test asks for the plugins it is about with ``pytest.importorskip``, so the file
skips what is missing instead of failing. Every run goes through a fresh pytest
process: these plugins patch sockets, vcrpy and the random state, which must not
leak between runs. What does not change between tests (the recorded cassettes, the
names each plugin registers) is made once per module.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BSS_TESTS = """
    def test_an_account_can_be_read(bss_client):
        assert bss_client.get_json("api/accounts/1001")["id"] == 1001


    def test_an_account_has_a_balance(bss_client):
        assert "balance" in bss_client.get_json("api/accounts/1001/balance")


    def test_the_session_token_is_a_bearer_token(bss_token):
        assert bss_token.token_type.lower() == "bearer"
"""
BSS_TEST_COUNT = 3

# pytest-recording's own test and its cassette, written by hand: what matters is
# that both plugins replay in one run, not what pytest-recording records.
VCR_TEST = """
    import pytest
    import requests


    @pytest.mark.vcr
    def test_a_pytest_recording_cassette_replays():
        assert requests.get("http://example.invalid/hello", timeout=5).text == "hello"
"""
VCR_CASSETTE = """
    interactions:
    - request:
        body: null
        headers: {}
        method: GET
        uri: http://example.invalid/hello
      response:
        body: {string: hello}
        headers:
          Content-Type: [text/plain]
        status: {code: 200, message: OK}
    version: 1
"""

# Passes only if something really blocks the network: pytest-socket and
# pytest-recording's --block-network both raise a RuntimeError subclass.
NETWORK_IS_BLOCKED_TEST = """
    import socket

    import pytest


    def test_the_network_is_really_blocked():
        with pytest.raises(RuntimeError):
            socket.create_connection(("192.0.2.1", 9), timeout=0.5)
"""


def _pytest(cwd: Path, *args: str, autoload: bool = True) -> list[str]:
    """Run a fresh pytest in ``cwd`` and return its output lines; fail on a non-zero exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    if not autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.splitlines()


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the bss tests and the cassettes just recorded for them (once per module)."""
    folder = tmp_path_factory.mktemp("recording")
    (folder / "test_bss.py").write_text(textwrap.dedent(BSS_TESTS))
    _pytest(folder, "--bss-record", "--bss-emulator", "-p", "no:randomly")
    return folder


@pytest.fixture
def recorded_suite(pytester: pytest.Pytester, recording: Path) -> pytest.Pytester:
    """A suite of bss_client tests whose cassettes were recorded against the emulator."""
    pytester.makepyfile(test_bss=BSS_TESTS)
    shutil.copytree(recording / "cassettes", pytester.path / "cassettes")
    return pytester


def _add_vcr_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_vcr=VCR_TEST)
    cassette = (
        pytester.path / "cassettes" / "test_vcr" / "test_a_pytest_recording_cassette_replays.yaml"
    )
    cassette.parent.mkdir(parents=True, exist_ok=True)
    cassette.write_text(textwrap.dedent(VCR_CASSETTE))


def test_a_pytest_recording_test_and_a_bss_test_replay_in_one_suite(
    recorded_suite: pytest.Pytester,
) -> None:
    pytest.importorskip("pytest_recording")
    _add_vcr_test(recorded_suite)

    result = recorded_suite.runpytest_subprocess("-p", "no:randomly", timeout=60)

    result.assert_outcomes(passed=BSS_TEST_COUNT + 1)
    result.stdout.fnmatch_lines(["pytest-bss: 2 cassettes replayed (*), 0 recorded *"])


@pytest.mark.parametrize(
    ("module", "args"),
    [
        pytest.param("pytest_socket", ["--disable-socket"], id="pytest-socket"),
        pytest.param(
            "pytest_socket",
            ["--disable-socket", "--allow-hosts=127.0.0.1"],
            id="pytest-socket-allowing-localhost",
        ),
        pytest.param("pytest_recording", ["--block-network"], id="pytest-recording"),
    ],
)
def test_replay_opens_no_socket_at_all(
    recorded_suite: pytest.Pytester, module: str, args: list[str]
) -> None:
    pytest.importorskip(module)
    recorded_suite.makepyfile(test_blocked=NETWORK_IS_BLOCKED_TEST)

    result = recorded_suite.runpytest_subprocess(*args, "-p", "no:randomly", timeout=60)

    result.assert_outcomes(passed=BSS_TEST_COUNT + 1)


def _test_order(outlines: list[str]) -> list[str]:
    return [m[1] for line in outlines if (m := re.match(r"^(\S+::\S+) PASSED", line))]


def test_random_order_replays_whatever_the_seed(recorded_suite: pytest.Pytester) -> None:
    pytest.importorskip("pytest_randomly")

    orders = []
    for seed in (1, 2, 3):
        result = recorded_suite.runpytest_subprocess(
            "-p", "randomly", f"--randomly-seed={seed}", "-v", timeout=60
        )
        result.assert_outcomes(passed=BSS_TEST_COUNT)
        result.stdout.fnmatch_lines([f"Using --randomly-seed={seed}"])
        orders.append(_test_order(result.outlines))

    assert len({tuple(order) for order in orders}) > 1, "the seeds did not change the order"


def test_two_xdist_workers_replay_and_the_summary_counts_both(
    recorded_suite: pytest.Pytester,
) -> None:
    pytest.importorskip("xdist")

    result = recorded_suite.runpytest_subprocess("-n", "2", timeout=60)

    result.assert_outcomes(passed=BSS_TEST_COUNT)
    result.stdout.fnmatch_lines(["pytest-bss: 2 cassettes replayed (*), 0 recorded *"])


# -- names ------------------------------------------------------------------------

PLUGINS = {
    "pytest-bss": "pytest_bss.plugin",
    "pytest-recording": "pytest_recording.plugin",
    "pytest-socket": "pytest_socket",
    "pytest-randomly": "pytest_randomly",
    "pytest-xdist": "xdist.plugin",
}
_FIXTURE = re.compile(r"^([A-Za-z_]\w*)(?: \[\w+ scope\])?(?: -- .*)?$")
_MARKER = re.compile(r"^@pytest\.mark\.(\w+)")
_INI_KEY = re.compile(r"^  (\w+) \([\w-]+\):")
_OPTION = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")


def _names(folder: Path, plugin: str | None) -> dict[str, set[str]]:
    """What a pytest that loads only ``plugin`` shows in --fixtures, --markers and --help."""
    load = ["-p", plugin] if plugin else []
    help_lines = _pytest(folder, *load, "--help", autoload=False)
    ini_start = next(i for i, line in enumerate(help_lines) if line.startswith("[pytest]"))
    options = {
        name
        for line in help_lines[:ini_start]
        if line.strip().startswith("-")
        for name in _OPTION.findall(re.split(r"\s{2,}", line.strip())[0])
    }
    fixtures = _pytest(folder, *load, "--fixtures", autoload=False)
    markers = _pytest(folder, *load, "--markers", autoload=False)
    return {
        "fixture": {m[1] for line in fixtures if (m := _FIXTURE.match(line))},
        "marker": {m[1] for line in markers if (m := _MARKER.match(line))},
        "option": options,
        "ini key": {m[1] for line in help_lines[ini_start:] if (m := _INI_KEY.match(line))},
    }


@pytest.fixture(scope="module")
def names_by_plugin(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, set[str]]]:
    """The fixture, marker, option and ini names each installed plugin adds to bare pytest."""
    installed = {}
    for name, module in PLUGINS.items():
        try:
            __import__(module)
        except ImportError:
            continue
        installed[name] = module
    if len(installed) < 2:
        pytest.skip("none of the other plugins is installed")
    folder = tmp_path_factory.mktemp("names")
    bare = _names(folder, None)
    return {
        name: {kind: found - bare[kind] for kind, found in _names(folder, module).items()}
        for name, module in installed.items()
    }


def test_no_two_plugins_register_the_same_name(
    names_by_plugin: dict[str, dict[str, set[str]]],
) -> None:
    clashes = [
        f"{kind} {sorted(names[kind] & other[kind])}: {name} and {other_name}"
        for (name, names), (other_name, other) in itertools.combinations(names_by_plugin.items(), 2)
        for kind in names
        if names[kind] & other[kind]
    ]

    assert clashes == []


def test_every_name_pytest_bss_registers_carries_its_prefix(
    names_by_plugin: dict[str, dict[str, set[str]]],
) -> None:
    bss = names_by_plugin["pytest-bss"]

    assert bss["fixture"] == {
        "bss_cassette",
        "bss_client",
        "bss_config",
        "bss_mock",
        "bss_mode",
        "bss_token",
        "bss_vcr_config",
    }
    assert bss["marker"] == {"bss"}
    assert all(option.startswith("--bss-") for option in bss["option"])
    assert all(key.startswith("bss_") for key in bss["ini key"])
