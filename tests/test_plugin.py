"""End to end through pytester: record against the emulator, replay without it."""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from pytest_bss.config import BssConfig
from pytest_bss.fake import TenantEmulator

SUITE = """
import time
import pytest

def test_reads_an_account(bss_client):
    assert bss_client.get_json("api/accounts/1001")["id"] == 1001

def test_pages_accounts(bss_client):
    assert len(list(bss_client.paginate("api/accounts", page_size=10))) > 10

@pytest.mark.parametrize("account_id", [1002, 1003])
def test_reads_more_accounts(bss_client, account_id):
    assert bss_client.get_json(f"api/accounts/{account_id}")["id"] == account_id
"""


def forms_of(value: str) -> set[str]:
    """The ways a credential can be written down that a leak would show."""
    forms = {
        value,
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        json.dumps(value)[1:-1].replace("/", "\\/"),
        base64.b64encode(value.encode()).decode(),
        base64.urlsafe_b64encode(value.encode()).decode().rstrip("="),
    }
    return {form for form in forms if len(form) >= 6}


def files_holding(root: Path, values: list[str]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if not path.is_file() or ".pytest_cache" in path.parts or path.suffix == ".pyc":
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        for value in values:
            if any(form in text for form in forms_of(value)):
                found.append(f"{path.relative_to(root)} holds a form of a credential")
    return found


def cassettes(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in (root / "cassettes").rglob("*.json"))


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_suite=SUITE)
    return pytester


def test_recording_writes_one_cassette_per_test_and_the_auth_cassette(
    suite: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    result = suite.runpytest("--bss-record")

    result.assert_outcomes(passed=4)
    assert cassettes(suite.path) == [
        "cassettes/bss_auth.json",
        "cassettes/test_suite/test_pages_accounts.json",
        "cassettes/test_suite/test_reads_an_account.json",
        "cassettes/test_suite/test_reads_more_accounts[1002].json",
        "cassettes/test_suite/test_reads_more_accounts[1003].json",
    ]
    assert tenant_env.token_requests == 1


def test_replay_passes_with_the_tenant_stopped_and_no_bss_variables(
    suite: pytest.Pytester, tenant_env: TenantEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite.runpytest("--bss-record").assert_outcomes(passed=4)
    tenant_env.stop()
    for name in (
        "BSS_BASE_URL",
        "BSS_CLIENT_KEY",
        "BSS_CLIENT_SECRET",
        "BSS_USERNAME",
        "BSS_PASSWORD",
    ):
        monkeypatch.delenv(name)

    result = suite.runpytest()

    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["pytest-bss: 4 cassettes replayed (*), 0 recorded*"])


@pytest.mark.parametrize(
    ("args", "passed"),
    [
        (["-k", "more_accounts and 1003"], 1),
        (["-k", "pages"], 1),
        (["-p", "tests_reverse"], 4),
    ],
    ids=["subset", "one-test", "reverse-order"],
)
def test_replay_passes_in_any_order_and_subset(
    suite: pytest.Pytester, tenant_env: TenantEmulator, args: list[str], passed: int
) -> None:
    suite.runpytest("--bss-record").assert_outcomes(passed=4)
    tenant_env.stop()
    suite.makepyfile(
        tests_reverse="def pytest_collection_modifyitems(items):\n    items.reverse()\n"
    )
    suite.syspathinsert()

    suite.runpytest(*args).assert_outcomes(passed=passed)


def test_replay_passes_under_xdist(suite: pytest.Pytester, tenant_env: TenantEmulator) -> None:
    pytest.importorskip("xdist")
    suite.runpytest("--bss-record").assert_outcomes(passed=4)
    tenant_env.stop()

    result = suite.runpytest_subprocess("-n", "2")

    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["pytest-bss: 4 cassettes replayed*"])


def test_recording_leaves_no_credential_on_disk_even_for_gzip_and_hostile_passwords(
    pytester: pytest.Pytester, export_tenant: Callable[[BssConfig], None]
) -> None:
    password = "p+a/s=s!w%o&r@d-ünï¢ødé"
    with TenantEmulator(gzip=True, session_cookie=True) as emu:
        emu.add_user("gzip.user@example.com", password)
        config = emu.config(username="gzip.user@example.com", password=password)
        export_tenant(config)
        pytester.makeini("[pytest]\n")
        pytester.makepyfile(test_suite=SUITE)

        result = pytester.runpytest(
            "--bss-record", "--log-level=DEBUG", "-o", "log_cli=true", "-rA", "-s"
        )
        result.assert_outcomes(passed=4)
        tokens = emu.issued_tokens()

    secrets = [config.client_key, config.client_secret, config.username, password, *tokens]
    assert tokens
    assert files_holding(pytester.path, secrets) == []
    output = "\n".join(result.outlines + result.errlines)
    assert "DEBUG" in output  # the logs were shown ...
    assert not [s for s in secrets for form in forms_of(s) if form in output]  # ... clean


def test_recording_without_bss_variables_is_a_usage_error_naming_them(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "BSS_BASE_URL",
        "BSS_CLIENT_KEY",
        "BSS_CLIENT_SECRET",
        "BSS_USERNAME",
        "BSS_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)

    result = suite.runpytest("--bss-record")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --bss-record needs a tenant: Missing BSS settings: BSS_BASE_URL, BSS_CLIENT_KEY, "
            "BSS_CLIENT_SECRET, BSS_USERNAME, BSS_PASSWORD*"
        ]
    )


def test_a_missing_cassette_says_so_and_gives_the_record_command(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_missing="def test_one(bss_client):\n    bss_client.get_json('api/accounts/1001')\n"
    )
    (suite.path / "cassettes").mkdir()
    (suite.path / "cassettes" / "bss_auth.json").write_text(AUTH_CASSETTE)

    result = suite.runpytest("test_missing.py")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*CassetteMissingError: No cassette for test_missing.py::test_one: "
            "*cassettes/test_missing/test_one.json does not exist*",
            "*pytest --bss-record 'test_missing.py::test_one'",
        ]
    )


def test_an_unrecorded_request_names_the_nearest_recorded_ones(
    suite: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    suite.runpytest("--bss-record", "-k", "reads_an_account").assert_outcomes(passed=1)
    suite.makepyfile(
        test_suite=SUITE.replace(
            '"api/accounts/1001")["id"] == 1001', '"api/accounts/1004")["id"] == 1004'
        )
    )

    result = suite.runpytest("-k", "reads_an_account")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*RequestNotRecordedError: GET api/accounts/1004 was not recorded in *test_reads_an_account.json*",
            "Nearest recorded requests:",
            "  GET api/accounts/1001  (differs in path)",
            "*pytest --bss-record 'test_suite.py::test_reads_an_account'",
        ]
    )


@pytest.mark.parametrize("tb", ["auto", "line"])
def test_a_cassette_error_is_its_message_in_the_summary_line_and_junit(
    suite: pytest.Pytester, tenant_env: TenantEmulator, monkeypatch: pytest.MonkeyPatch, tb: str
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    suite.runpytest("--bss-record", "-k", "reads_an_account").assert_outcomes(passed=1)
    suite.makepyfile(
        test_suite=SUITE.replace(
            '"api/accounts/1001")["id"] == 1001', '"api/accounts/1004")["id"] == 1004'
        )
    )

    result = suite.runpytest("-k", "reads_an_account", "-rf", f"--tb={tb}", "--junitxml=junit.xml")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["FAILED test_suite.py::test_reads_an_account - RequestNotRecordedError: GET api/acc*"]
    )
    assert "Traceback" not in result.stdout.str()
    junit = (suite.path / "junit.xml").read_text()
    assert 'message="RequestNotRecordedError: GET api/accounts/1004 was not recorded' in junit


def test_a_request_made_more_often_than_recorded_says_it_was_already_played(
    suite: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    suite.runpytest("--bss-record", "-k", "reads_an_account").assert_outcomes(passed=1)
    suite.makepyfile(
        test_suite="def test_reads_an_account(bss_client):\n"
        "    for _ in range(2):\n"
        "        bss_client.get_json('api/accounts/1001')\n"
    )

    result = suite.runpytest()

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*RequestAlreadyPlayedError: GET api/accounts/1001 was recorded in *, "
            "but its 1 recorded response(s) were already played*",
            "*pytest --bss-record 'test_suite.py::test_reads_an_account'",
        ]
    )


def test_a_test_that_fails_while_recording_keeps_its_old_cassette(
    suite: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    suite.runpytest("--bss-record").assert_outcomes(passed=4)
    cassette = suite.path / "cassettes" / "test_suite" / "test_reads_an_account.json"
    before = cassette.read_bytes()
    suite.makepyfile(
        test_suite="def test_reads_an_account(bss_client):\n"
        "    bss_client.get_json('api/accounts/1002')\n"
        "    assert False, 'broken while recording'\n"
    )

    result = suite.runpytest("--bss-record")

    result.assert_outcomes(failed=1)
    assert cassette.read_bytes() == before
    result.stdout.fnmatch_lines(
        [
            "pytest-bss: not saved because its test failed, the old cassette was kept: *test_reads_an_account.json"
        ]
    )


def test_a_refused_write_leaves_the_old_cassette_intact(
    suite: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    suite.runpytest("--bss-record").assert_outcomes(passed=4)
    cassette = suite.path / "cassettes" / "test_suite" / "test_reads_an_account.json"
    before = cassette.read_bytes()
    # A stage that puts a credential back after scrubbing: the leak gate must catch it.
    suite.makeconftest(
        "import os\n"
        "import pytest\n"
        "import pytest_bss.write as write\n"
        "def leak(data, context):\n"
        "    headers = data['interactions'][0]['response']['headers']\n"
        "    headers['X-Echo'] = [os.environ['BSS_PASSWORD']]\n"
        "    return data\n"
        "@pytest.fixture(autouse=True, scope='session')\n"
        "def buggy_stage():\n"
        "    with pytest.MonkeyPatch.context() as mp:\n"
        "        mp.setattr(write, 'STAGES', (*write.STAGES[:-1], leak, write.STAGES[-1]))\n"
        "        yield\n"
    )

    original = http.client.HTTPConnection
    result = suite.runpytest("--bss-record", "-k", "reads_an_account")

    assert http.client.HTTPConnection is original  # the refusal left nothing patched
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        ["*Refused to write cassette *: a credential survived scrubbing at"]
    )
    assert cassette.read_bytes() == before
    result.stdout.no_fnmatch_line(f"*{tenant_env.config().password}*")


def test_recording_across_token_expiry_still_replays(
    pytester: pytest.Pytester, export_tenant: Callable[[BssConfig], None]
) -> None:
    with TenantEmulator() as emu:
        config = emu.config()
        export_tenant(config)
        pytester.makeini("[pytest]\n")
        # The token client's clock, moved by the test: no sleeping, no timing margins.
        pytester.makeconftest(
            "import pytest\n"
            "import pytest_bss.auth as auth\n"
            "class Clock:\n"
            "    now = 1000.0\n"
            "    def __call__(self):\n"
            "        return self.now\n"
            "@pytest.fixture(scope='session', autouse=True)\n"
            "def token_clock():\n"
            "    clock = Clock()\n"
            "    original = auth.PasswordGrant.__init__\n"
            "    def init(self, config, **kwargs):\n"
            "        original(self, config, **{'clock': clock, **kwargs})\n"
            "    with pytest.MonkeyPatch.context() as mp:\n"
            "        mp.setattr(auth.PasswordGrant, '__init__', init)\n"
            "        yield clock\n"
        )
        pytester.makepyfile(
            test_slow="def test_slow(bss_client, token_clock):\n"
            "    bss_client.get_json('api/accounts/1001')\n"
            "    token_clock.now += 3600  # the session's token has expired\n"
            "    bss_client.get_json('api/accounts/1002')\n"
        )
        pytester.runpytest("--bss-record").assert_outcomes(passed=1)
        assert emu.token_requests == 2

    pytester.runpytest().assert_outcomes(passed=1)


def test_the_plugin_registers_its_options_markers_and_fixtures(pytester: pytest.Pytester) -> None:
    help_result = pytester.runpytest("--help")
    help_result.stdout.fnmatch_lines(["pytest-bss*", "*--bss-record *", "*--bss-record-mode*"])

    markers = pytester.runpytest("--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.bss(*"])

    fixtures = pytester.runpytest("--fixtures")
    for name in (
        "bss_client",
        "bss_token",
        "bss_config",
        "bss_cassette",
        "bss_mode",
        "bss_vcr_config",
        "bss_mock",
    ):
        fixtures.stdout.fnmatch_lines([f"{name}*", "    *"])


AUTH_CASSETTE = json.dumps(
    {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": "https://bss.tenant.invalid/oauth/token",
                    "body": "grant_type=password&username=%3CBSS_USERNAME%3E&password=%3CBSS_PASSWORD%3E",
                    "headers": {"Authorization": ["Basic <BSS_CLIENT_CREDENTIALS>"]},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["application/json"]},
                    "body": {
                        "string": '{"access_token": "<BSS_ACCESS_TOKEN_1>", "token_type": "bearer", "expires_in": 1799}'
                    },
                },
            }
        ],
    }
)
