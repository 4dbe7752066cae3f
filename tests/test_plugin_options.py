"""The plugin's options, ini keys, marker, fixtures and hook, end to end through pytester."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_bss.config import BssConfig
from pytest_bss.fake import TenantEmulator

ONE_TEST = """
def test_reads_an_account(bss_client):
    assert bss_client.get_json("api/accounts/1001")["id"] == 1001
"""


def interactions(path: Path) -> list[dict[str, object]]:
    return json.loads(path.read_text())["interactions"]  # type: ignore[no-any-return]


def uris(path: Path) -> list[str]:
    return [i["request"]["uri"] for i in interactions(path)]  # type: ignore[index]


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\n")
    return pytester


def test_two_tests_can_share_a_named_cassette(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makepyfile(
        test_shared="""
        import pytest

        @pytest.mark.bss(cassette="accounts/shared")
        def test_first(bss_client):
            bss_client.get_json("api/accounts/1001")

        @pytest.mark.bss("accounts/shared")
        def test_second(bss_client):
            bss_client.get_json("api/accounts/1002")
        """
    )

    project.runpytest("--bss-record", "-p", "no:randomly").assert_outcomes(passed=2)
    tenant_env.stop()

    shared = project.path / "cassettes" / "accounts" / "shared.json"
    assert uris(shared) == [
        "https://bss.tenant.invalid/api/accounts/1001",
        "https://bss.tenant.invalid/api/accounts/1002",
    ]
    project.runpytest().assert_outcomes(passed=2)


def test_the_cassette_dir_comes_from_the_ini_and_the_command_line_wins(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makeini("[pytest]\nbss_cassette_dir = recordings\n")
    project.makepyfile(test_one=ONE_TEST)

    project.runpytest("--bss-record").assert_outcomes(passed=1)
    project.runpytest("--bss-record", "--bss-cassette-dir", "elsewhere").assert_outcomes(passed=1)

    assert (project.path / "recordings" / "test_one" / "test_reads_an_account.json").is_file()
    assert (project.path / "elsewhere" / "test_one" / "test_reads_an_account.json").is_file()
    assert not (project.path / "cassettes").exists()


def test_yaml_cassettes_can_be_chosen_and_replay(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makeini("[pytest]\nbss_cassette_format = yaml\n")
    project.makepyfile(test_one=ONE_TEST)

    project.runpytest("--bss-record").assert_outcomes(passed=1)
    tenant_env.stop()

    assert (project.path / "cassettes" / "test_one" / "test_reads_an_account.yaml").is_file()
    assert (project.path / "cassettes" / "bss_auth.yaml").is_file()
    project.runpytest().assert_outcomes(passed=1)


def test_a_tenant_under_a_virtual_directory_records_neutral_urls(
    project: pytest.Pytester, export_tenant: Callable[[BssConfig], None]
) -> None:
    project.makepyfile(test_one=ONE_TEST)
    with TenantEmulator(base_path="/bsssmapi") as emu:
        config = emu.config()
        export_tenant(config)
        project.runpytest("--bss-record").assert_outcomes(passed=1)

    cassette = project.path / "cassettes" / "test_one" / "test_reads_an_account.json"
    assert uris(cassette) == ["https://bss.tenant.invalid/api/accounts/1001"]
    assert "127.0.0.1" not in cassette.read_text()
    project.runpytest().assert_outcomes(passed=1)


def test_record_mode_once_records_only_what_is_missing(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makepyfile(test_one=ONE_TEST)

    project.runpytest("--bss-record-mode", "once").assert_outcomes(passed=1)
    calls_after_first = tenant_env.api_requests
    project.runpytest("--bss-record-mode", "once").assert_outcomes(passed=1)

    assert calls_after_first == 1
    assert tenant_env.api_requests == 1  # the second run replayed the cassette


def test_record_mode_new_episodes_appends_new_requests(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makepyfile(test_one=ONE_TEST)
    project.runpytest("--bss-record").assert_outcomes(passed=1)
    project.makepyfile(
        test_one=ONE_TEST + '    assert bss_client.get_json("api/accounts/1002")["id"] == 1002\n'
    )

    project.runpytest("--bss-record-mode", "new_episodes").assert_outcomes(passed=1)

    cassette = project.path / "cassettes" / "test_one" / "test_reads_an_account.json"
    assert [u.rsplit("/", 1)[1] for u in uris(cassette)] == ["1001", "1002"]


def test_rerecording_replaces_the_whole_cassette(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makepyfile(
        test_one=ONE_TEST + '    assert bss_client.get_json("api/accounts/1002")["id"] == 1002\n'
    )
    project.runpytest("--bss-record").assert_outcomes(passed=1)
    project.makepyfile(test_one=ONE_TEST)

    project.runpytest("--bss-record").assert_outcomes(passed=1)

    cassette = project.path / "cassettes" / "test_one" / "test_reads_an_account.json"
    assert uris(cassette) == ["https://bss.tenant.invalid/api/accounts/1001"]


def test_a_credential_in_a_test_id_is_refused_while_recording(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    password = tenant_env.config().password
    project.makepyfile(
        test_ids=f"""
        import pytest

        @pytest.mark.parametrize("secret", [{password!r}])
        def test_login(bss_client, secret):
            pass
        """
    )

    result = project.runpytest("--bss-record")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*test_ids.py::test_login*holds the password of the tenant", "*ids=*"]
    )
    assert not (project.path / "cassettes" / "test_ids").exists()


def test_bss_vcr_config_adds_options_but_cannot_switch_scrubbing_off(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makeconftest(
        """
        import pytest

        @pytest.fixture
        def bss_vcr_config():
            # A user hook that tries to undo scrubbing by keeping the request as it is.
            return {
                "before_record_request": lambda request: request,
                "filter_headers": [("User-Agent", "tests")],
            }
        """
    )
    project.makepyfile(test_one=ONE_TEST)

    project.runpytest("--bss-record").assert_outcomes(passed=1)

    request = interactions(project.path / "cassettes" / "test_one" / "test_reads_an_account.json")[
        0
    ]["request"]
    assert request["headers"]["Authorization"] == ["Bearer <BSS_ACCESS_TOKEN_1>"]  # type: ignore[index]
    assert request["headers"]["User-Agent"] == ["tests"]  # type: ignore[index]


def test_bss_vcr_config_may_not_set_what_the_plugin_manages(project: pytest.Pytester) -> None:
    project.makeconftest(
        """
        import pytest

        @pytest.fixture
        def bss_vcr_config():
            return {"record_mode": "all"}
        """
    )
    project.makepyfile(test_one="def test_one(bss_cassette):\n    pass\n")

    result = project.runpytest()

    assert result.ret != 0
    result.stdout.fnmatch_lines(["*bss_vcr_config may not set record_mode*--bss-record-mode*"])


def test_the_configure_vcr_hook_can_register_a_matcher(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makeconftest(
        """
        seen = []

        def pytest_bss_configure_vcr(config, vcr):
            vcr.register_matcher("always", lambda r1, r2: True)
            seen.append(vcr)

        def pytest_sessionfinish(session):
            print(f"configured {len(seen)} vcr objects")
        """
    )
    project.makepyfile(
        test_one="""
        import pytest

        @pytest.mark.bss(match_on=["method", "path", "always"])
        def test_reads_an_account(bss_client):
            assert bss_client.get_json("api/accounts/1001")["id"] == 1001
        """
    )

    project.runpytest("--bss-record", "-s").assert_outcomes(passed=1)
    result = project.runpytest("-s")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*configured 2 vcr objects*"])


def test_the_marker_passes_strict_markers_and_bss_mode_says_replay(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_mode="""
        import pytest

        @pytest.mark.bss(cassette="unused")
        def test_mode(bss_mode):
            assert bss_mode == "replay"
        """
    )

    project.runpytest("--strict-markers").assert_outcomes(passed=1)


def test_an_unknown_marker_argument_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_bad="""
        import pytest

        @pytest.mark.bss(casette="typo")
        def test_bad(bss_cassette):
            pass
        """
    )

    result = project.runpytest()

    assert result.ret != 0
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.bss takes cassette=, match_on=, allow_playback_repeats=, verify_values= and personal_data=*"
        ]
    )


def test_bss_cassette_tells_what_was_played(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makepyfile(
        test_played="""
        def test_played(bss_client, bss_cassette):
            bss_client.get_json("api/accounts/1001")
            bss_client.get_json("api/accounts/1002")
            if bss_cassette.record_mode == "none":
                assert bss_cassette.play_count == 2
                assert bss_cassette.all_played
            assert [r.path for r in bss_cassette.requests] == ["/api/accounts/1001", "/api/accounts/1002"]
        """
    )

    project.runpytest("--bss-record").assert_outcomes(passed=1)
    project.runpytest().assert_outcomes(passed=1)


def test_bss_config_is_the_neutral_placeholder_tenant_during_replay(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_replay_config="""
        def test_config(bss_config):
            assert bss_config.base_url == "https://bss.tenant.invalid/"
            assert bss_config.password == "<BSS_PASSWORD>"
        """
    )

    project.runpytest().assert_outcomes(passed=1)


def test_a_bad_record_mode_in_the_ini_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nbss_record_mode = sometimes\n")

    result = project.runpytest()

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: bss record mode must be one of none, once, new_episodes, all, rewrite*"]
    )


def test_replay_works_without_the_cache_provider(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makepyfile(test_one=ONE_TEST)
    project.runpytest("--bss-record", "-p", "no:cacheprovider").assert_outcomes(passed=1)

    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_request_outside_any_cassette_fails_with_the_fix_instead_of_asking_dns(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_outside="""
        from pytest_bss import BssClient

        def test_own_client(bss_config):
            with BssClient(bss_config) as client:
                client.get_json("api/accounts/1001")
        """
    )

    result = project.runpytest()

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*RequestOutsideCassetteError: A request to the replay tenant (bss.tenant.invalid) "
            "was made outside any cassette*bss_cassette*"
        ]
    )


def test_the_emulator_without_recording_is_a_usage_error_naming_the_command(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(test_one=ONE_TEST)

    result = project.runpytest("--bss-emulator")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --bss-emulator only applies while recording; this run replays cassettes.",
            "Record against the bundled emulator with: pytest --bss-record --bss-emulator",
        ]
    )


@pytest.mark.parametrize(
    ("ini", "args"),
    [("", ["--bss-record-mode", "once"]), ("bss_record_mode = new_episodes\n", [])],
    ids=["command-line", "ini"],
)
def test_the_emulator_records_in_any_record_mode(
    project: pytest.Pytester, ini: str, args: list[str]
) -> None:
    project.makeini(f"[pytest]\n{ini}")
    project.makepyfile(test_one=ONE_TEST)

    project.runpytest("--bss-emulator", *args).assert_outcomes(passed=1)

    assert (project.path / "cassettes" / "test_one" / "test_reads_an_account.json").is_file()


def test_the_emulator_records_as_the_api_revision_asked_for(project: pytest.Pytester) -> None:
    project.makepyfile(test_one=ONE_TEST)

    project.runpytest(
        "--bss-record", "--bss-emulator", "--bss-emulator-revision", "2"
    ).assert_outcomes(passed=1)

    cassette = project.path / "cassettes" / "test_one" / "test_reads_an_account.json"
    (account,) = interactions(cassette)
    assert json.loads(account["response"]["body"]["string"])["currencyCode"] == "EUR"  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "lines"),
    [
        (
            ["--bss-record", "--bss-emulator-revision", "2"],
            [
                "ERROR: --bss-emulator-revision only applies to the bundled emulator.",
                "Record against it with: pytest --bss-record --bss-emulator "
                "--bss-emulator-revision 2",
            ],
        ),
        (
            ["--bss-record", "--bss-emulator", "--bss-emulator-revision", "9"],
            [
                "ERROR: --bss-emulator-revision 9: the emulator knows API revisions 1, 2 "
                "(docs/emulator.md, 'API revisions')."
            ],
        ),
    ],
    ids=["without-the-emulator", "unknown-revision"],
)
def test_a_misused_emulator_revision_is_a_usage_error_naming_the_fix(
    project: pytest.Pytester, args: list[str], lines: list[str]
) -> None:
    project.makepyfile(test_one=ONE_TEST)

    result = project.runpytest(*args)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(lines)
