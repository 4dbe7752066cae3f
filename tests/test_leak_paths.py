"""Ordinary test idioms that once put a credential on disk or in the output (issue 11).

Each test records against the tenant emulator with awkward credentials, the way a user's
suite would, then looks for every independent written form of every credential in
everything the run left: cassettes, .pytest_cache, junit XML, the log file, the terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from leak_forms import assert_no_credential, everything_written

from pytest_bss.config import BssConfig
from pytest_bss.fake import TenantEmulator

# Synthetic, deliberately awkward: non-ASCII, and the characters URL and form encoders touch.
PASSWORD = "Pässwörd/+=!%&@:-synthetic-0042"
CLIENT_SECRET = "cl!ent/Secret+=%&@:synthetic-0042"


@pytest.fixture
def awkward_tenant(export_tenant: Callable[[BssConfig], None]) -> Iterator[TenantEmulator]:
    with TenantEmulator(password=PASSWORD, client_secret=CLIENT_SECRET) as emu:
        export_tenant(emu.config())
        yield emu


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\n")
    return pytester


def credentials(emu: TenantEmulator) -> list[str]:
    config = emu.config()
    return [
        config.password,
        config.client_secret,
        f"{config.client_key}:{config.client_secret}",
        f"{config.username}:{config.password}",
        *emu.issued_tokens(),
    ]


def issued_token(project: pytest.Pytester) -> str:
    """The token a test of the inner run wrote to issued.txt (the file is removed: it is
    not one of the run's outputs)."""
    path = project.path / "issued.txt"
    token = path.read_text()
    path.unlink()
    return token


# -- class 1: values that are not str ------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_bytes_headers_and_file_or_generator_bodies_are_scrubbed(
    project: pytest.Pytester, awkward_tenant: TenantEmulator, fmt: str
) -> None:
    project.makeini(f"[pytest]\nbss_cassette_format = {fmt}\n")
    project.makepyfile(
        test_own_client="""
        import base64, io, os
        import requests

        def test_own_requests(bss_cassette, bss_config, bss_token):
            base = bss_config.base_url
            with requests.Session() as http:
                token = bss_token.access_token.encode()
                http.get(base + "api/accounts/1001", headers={"Authorization": b"Bearer " + token})
                pair = f"{bss_config.client_key}:{bss_config.client_secret}".encode()
                form = f"grant_type=password&password={os.environ['BSS_PASSWORD']}".encode()
                basic = {"Authorization": b"Basic " + base64.b64encode(pair)}
                http.post(base + "oauth/token", headers=basic, data=io.BytesIO(form))
            with requests.Session() as http:
                http.post(base + "oauth/token", headers=basic, data=iter([form[:9], form[9:]]))
        """
    )

    result = project.runpytest("--bss-record", "-p", "no:randomly")

    result.assert_outcomes(passed=1)
    cassette = next((project.path / "cassettes" / "test_own_client").iterdir())
    text = cassette.read_text()
    assert "!!python" not in text
    assert "<BSS_ACCESS_TOKEN_1>" in text
    assert "<BSS_CLIENT_CREDENTIALS>" in text
    assert_no_credential(
        everything_written(project.path, result.stdout.str()), credentials(awkward_tenant)
    )


def test_a_body_no_cassette_can_hold_is_refused_with_the_fix(
    project: pytest.Pytester, awkward_tenant: TenantEmulator
) -> None:
    project.makeconftest(
        """
        import pytest

        @pytest.fixture
        def bss_vcr_config():
            def odd(request):
                request.body = object()  # a user filter that leaves something unreadable
                return request
            return {"before_record_request": odd}
        """
    )
    project.makepyfile(
        test_odd="""
        def test_reads(bss_client):
            bss_client.get_json("api/accounts/1001")
        """
    )

    result = project.runpytest("--bss-record")

    assert result.ret != 0
    result.stdout.fnmatch_lines(["*request.body is a object*"])
    assert not (project.path / "cassettes" / "test_odd").exists()


# -- class 3 and 6: secrets in reports, logs and the terminal ---------------------------

FAILING = """
import logging
import pathlib

import requests

def test_fails_with_secrets_everywhere(bss_client, bss_config, bss_token, bss_cassette):
    token = bss_token.access_token
    pathlib.Path("issued.txt").write_text(token)
    print("password is", bss_config.password, "token is", token)
    logging.getLogger("user").warning("logging in as %s with %s", bss_config.username, bss_config.password)
    requests.get(bss_config.base_url + "api/accounts/1001?access_token=" + token, timeout=5)
    config = bss_config
    pair = (config.client_key, config.client_secret)
    assert token == "x" + config.password, pair
"""


@pytest.mark.parametrize(
    "flags",
    [
        ["-l", "--tb=long", "-vv"],
        ["--full-trace", "-rA"],
        ["--log-cli-level=DEBUG", "--tb=native"],
    ],
    ids=["locals", "full-trace", "live-log"],
)
def test_reports_logs_and_junit_hold_no_credential(
    project: pytest.Pytester, awkward_tenant: TenantEmulator, flags: list[str]
) -> None:
    project.makepyfile(test_fails=FAILING)

    result = project.runpytest(
        "--bss-record",
        "--junitxml=junit.xml",
        "--log-file=run.log",
        "--log-file-level=DEBUG",
        "--log-level=DEBUG",
        *flags,
    )

    result.assert_outcomes(failed=1)
    output = result.stdout.str() + result.stderr.str()
    assert "<BSS_PASSWORD>" in output  # redacted, not missing: the report is still useful
    token = issued_token(project)
    assert_no_credential(
        everything_written(project.path, output), [*credentials(awkward_tenant), token]
    )


def test_once_mode_refusal_names_the_request_without_its_token(
    project: pytest.Pytester, awkward_tenant: TenantEmulator
) -> None:
    project.makepyfile(
        test_once="""
        import pathlib

        def test_reads(bss_client, bss_token):
            pathlib.Path("issued.txt").write_text(bss_token.access_token)
            bss_client.get_json("api/accounts/1001", params={"access_token": bss_token.access_token})
        """
    )
    project.runpytest("--bss-record").assert_outcomes(passed=1)
    project.makepyfile(
        test_once="""
        def test_reads(bss_client, bss_token):
            bss_client.get_json("api/accounts/1002", params={"access_token": bss_token.access_token})
        """
    )

    result = project.runpytest("--bss-record-mode=once", "-l")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*CannotOverwriteExistingCassetteException*"])
    token = issued_token(project)
    assert_no_credential(result.stdout.str(), [*credentials(awkward_tenant), token])


# -- class 4: credentials in test ids ---------------------------------------------------


@pytest.mark.parametrize(
    "value", [PASSWORD, "plain-ascii-" + PASSWORD[-4:]], ids=["non-ascii", "ascii"]
)
def test_an_id_holding_a_credential_is_refused_before_anything_is_written(
    project: pytest.Pytester, export_tenant: Callable[[BssConfig], None], value: str
) -> None:
    with TenantEmulator(password=value) as emu:
        export_tenant(emu.config())
        project.makepyfile(
            test_ids=f"""
            import pytest

            @pytest.mark.parametrize("secret", [{value!r}, "other"])
            def test_login(bss_client, secret):
                pass
            """
        )

        result = project.runpytest("--bss-record", "--junitxml=junit.xml")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_ids.py::test_login*holds the password of the tenant"])
    assert_no_credential(
        everything_written(project.path, result.stdout.str(), result.stderr.str()), [value]
    )
    assert not (project.path / "cassettes" / "test_ids").exists()


@pytest.mark.parametrize("xdist", [False, True], ids=["one-process", "xdist"])
def test_ids_are_checked_in_replay_too_when_credentials_are_set(
    project: pytest.Pytester, awkward_tenant: TenantEmulator, xdist: bool
) -> None:
    project.makepyfile(
        test_ids=f"""
        import pytest

        @pytest.mark.parametrize("secret", [{PASSWORD!r}])
        def test_login(secret):
            pass

        def test_other():
            pass
        """
    )

    if xdist:
        result = project.runpytest_subprocess("-n", "2", "--junitxml=junit.xml")
    else:
        result = project.runpytest("--junitxml=junit.xml")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "holds the password of the tenant" in result.stdout.str() + result.stderr.str()
    assert_no_credential(
        everything_written(project.path, result.stdout.str(), result.stderr.str()), [PASSWORD]
    )


# -- found by attacking the change: the forms Python shows, and what junit reads --------


def test_xfail_reasons_properties_and_python_escapes_are_redacted(
    project: pytest.Pytester, awkward_tenant: TenantEmulator
) -> None:
    project.makepyfile(
        test_python_forms="""
        import logging
        import os

        import pytest

        def test_xfails(bss_config, record_property):
            record_property("pw", bss_config.password)
            pytest.xfail(f"reason {bss_config.password}")

        def test_vv(bss_config):
            raw = bss_config.password.encode()
            logging.getLogger("user").warning("%r", raw)
            assert bss_config.password == raw
        """
    )

    result = project.runpytest(
        "--bss-record", "-vv", "-l", "-rxf", "--junitxml=junit.xml", "-o", "junit_family=xunit1"
    )

    result.assert_outcomes(failed=1, xfailed=1)
    output = result.stdout.str() + result.stderr.str()
    assert_no_credential(everything_written(project.path, output), [PASSWORD])
    escapes = {PASSWORD.encode("unicode_escape").decode(), repr(PASSWORD.encode())[2:-1]}
    for form in escapes:
        assert form not in everything_written(project.path, output)


def test_an_id_made_of_the_credentials_bytes_is_refused(
    project: pytest.Pytester, awkward_tenant: TenantEmulator
) -> None:
    project.makepyfile(
        test_bytes_id="""
        import os

        import pytest

        @pytest.mark.parametrize("raw", [os.environ["BSS_PASSWORD"].encode()])
        def test_bytes_id(raw):
            pass
        """
    )

    result = project.runpytest("--bss-record")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    written = everything_written(project.path, result.stdout.str(), result.stderr.str())
    assert repr(PASSWORD.encode())[2:-1] not in written


# -- found by attacking the change again: cut values, junit properties, xdist warnings ---

#: Any piece of a credential this long that shows up anywhere is a leak, however it was cut.
PIECE = 12


def assert_no_piece(text: str, values: list[str]) -> None:
    """No run of ``PIECE`` characters of any value (nor of any of its lines) is in ``text``."""
    for value in values:
        for line in value.splitlines():
            for start in range(len(line) - PIECE + 1):
                assert line[start : start + PIECE] not in text, (
                    f"{PIECE} characters of a credential ({len(value)} chars) were written"
                )


CUT_VALUES = """
import pathlib

def test_bytes_diff(bss_token):
    pathlib.Path("issued.txt").write_text(bss_token.access_token)
    raw = ("x" * 37 + bss_token.access_token + " tail" * 20).encode()
    assert raw == b"other"

def test_text_diff(bss_config):
    text = "words " * 7 + bss_config.password + " more words" * 10
    assert text == "other"

def test_locals(bss_config):
    text = "words " * 7 + bss_config.password + " more words" * 10
    assert not text
"""


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple synthetic 0042",
        "two lines\nof a synthetic password 0042",
        "correct horse's battery staple synthetic 0042",
    ],
    ids=["spaces", "newline", "quote"],
)
@pytest.mark.parametrize("flags", [["-vv", "-l"], []], ids=["vv-locals", "default"])
def test_values_cut_by_pprint_or_diffs_are_not_shown(
    project: pytest.Pytester,
    export_tenant: Callable[[BssConfig], None],
    password: str,
    flags: list[str],
) -> None:
    with TenantEmulator(password=password) as emu:
        export_tenant(emu.config())
        project.makepyfile(test_cut=CUT_VALUES)
        result = project.runpytest("--bss-record", "--junitxml=junit.xml", *flags)
        known = credentials(emu)

    result.assert_outcomes(failed=3)
    output = result.stdout.str() + result.stderr.str()
    token = issued_token(project)
    assert_no_piece(everything_written(project.path, output), [*known, token])
    assert "<BSS_PASSWORD>" in output or "withheld" in output


def test_junit_properties_of_any_type_hold_no_credential(
    project: pytest.Pytester, awkward_tenant: TenantEmulator
) -> None:
    project.makepyfile(
        test_props="""
        def test_props(bss_config, record_property, record_testsuite_property):
            record_property("raw", bss_config.password.encode())
            record_property("mapping", {"password": bss_config.password})
            record_testsuite_property("suite", bss_config.password)
        """
    )

    result = project.runpytest("--bss-record", "--junitxml=junit.xml", "-o", "junit_family=xunit1")

    result.assert_outcomes(passed=1)
    junit = (project.path / "junit.xml").read_text()
    assert junit.count("BSS_PASSWORD") == 3
    assert_no_credential(everything_written(project.path, result.stdout.str()), [PASSWORD])
    for form in (repr(PASSWORD.encode())[2:-1], PASSWORD.encode("unicode_escape").decode()):
        assert form not in junit


def test_warnings_of_xdist_workers_hold_no_token(
    project: pytest.Pytester, awkward_tenant: TenantEmulator
) -> None:
    project.makepyfile(
        test_warns="""
        import pathlib
        import warnings

        def test_warns(bss_token):
            pathlib.Path("issued.txt").write_text(bss_token.access_token)
            warnings.warn(f"careful with {bss_token.access_token}")
        """
    )

    result = project.runpytest_subprocess("--bss-record", "-n", "2", "-p", "xdist")

    result.assert_outcomes(passed=1, warnings=1)
    output = result.stdout.str() + result.stderr.str()
    assert "careful with <BSS_ACCESS_TOKEN" in output
    token = issued_token(project)
    assert_no_credential(everything_written(project.path, output), [token])


def test_a_credential_used_as_a_header_name_is_scrubbed_and_found(
    project: pytest.Pytester, awkward_tenant: TenantEmulator
) -> None:
    project.makepyfile(
        test_header_name="""
        import pathlib
        import requests

        def test_odd_header(bss_cassette, bss_config, bss_token):
            token = bss_token.access_token
            pathlib.Path("issued.txt").write_text(token)
            requests.get(bss_config.base_url + "api/accounts/1001", headers={token: "1"}, timeout=5)
        """
    )

    result = project.runpytest("--bss-record")

    result.assert_outcomes(passed=1)
    token = issued_token(project)
    assert_no_credential(everything_written(project.path, result.stdout.str()), [token])
    cassette = next((project.path / "cassettes" / "test_header_name").iterdir())
    assert "<BSS_ACCESS_TOKEN_1>" in cassette.read_text()


def test_leak_check_and_audit_read_header_names() -> None:
    from pytest_bss.audit import audit_data
    from pytest_bss.scrub import SecretSet, find_leaks

    token = "tok-" + "Q" * 28
    secrets = SecretSet()
    secrets.add("access_token", token)
    data = {
        "version": 1,
        "interactions": [
            {
                "request": {"method": "GET", "uri": "http://h/", "body": None, "headers": {}},
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {token: ["1"]},
                    "body": {"string": ""},
                },
            }
        ],
    }

    leaks = find_leaks(data, secrets)

    assert [leak.place for leak in leaks] == ["response.headers (name 1)"]
    assert token not in str(leaks)
    findings = audit_data(data, secrets)
    assert {finding.place for finding in findings} == {"response.headers (name 1)"}


def test_a_cassette_name_holding_a_credential_is_refused(
    project: pytest.Pytester, awkward_tenant: TenantEmulator
) -> None:
    project.makepyfile(
        test_named="""
        import os
        import pytest

        @pytest.mark.bss(cassette="shared/" + os.environ["BSS_PASSWORD"])
        def test_named(bss_client):
            bss_client.get_json("api/accounts/1001")
        """
    )

    result = project.runpytest("--bss-record")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_named*bss(cassette=…) holds the password of the tenant"])
    assert not (project.path / "cassettes").exists()
    assert_no_credential(
        everything_written(project.path, result.stdout.str(), result.stderr.str()), [PASSWORD]
    )


def test_a_chunk_that_ends_in_an_escaped_backslash_is_joined_too() -> None:
    from pytest_bss.reports import Redactor, redact_text

    secret = "back\\slash\\synthetic\\0042\\abcdef\\z"
    shown = repr(secret.encode())[2:-1]  # back\\\\slash...
    cut = len(shown) // 2
    while shown[cut - 1] != "\\":
        cut += 1
    text = f"raw = (b'xx{shown[:cut]}'\n b'{shown[cut:]}yy')"
    redact = Redactor(lambda: [(secret, "<BSS_PASSWORD>")])

    assert redact_text(text, redact) == "raw = (b'xx<BSS_PASSWORD>yy')"


FORMS_PYTHON_SHOWS = """
import json
import pathlib
import re

import pytest

def test_json_repr(bss_config):
    assert json.dumps({"password": bss_config.password}) == "{}"

def test_re_escape(bss_config):
    with pytest.raises(ValueError, match=re.escape(bss_config.password)):
        raise ValueError("login failed")

def test_requoted(bss_client, bss_config):
    response = bss_client.get(f"api/accounts?search={bss_config.password}")
    assert response.status_code == 599, response.url

@pytest.mark.filterwarnings("ignore::pytest.PytestExperimentalApiWarning")
def test_attribute(bss_config, record_xml_attribute):
    record_xml_attribute("secret", bss_config.client_secret)
"""


def test_forms_python_and_requests_show_are_redacted(
    project: pytest.Pytester, awkward_tenant: TenantEmulator
) -> None:
    import json
    import re

    from requests.utils import requote_uri

    project.makepyfile(test_forms=FORMS_PYTHON_SHOWS)

    result = project.runpytest(
        "--bss-record", "--junitxml=junit.xml", "-o", "junit_family=xunit1", "-p", "no:randomly"
    )

    result.assert_outcomes(failed=3, passed=1)
    written = everything_written(project.path, result.stdout.str(), result.stderr.str())
    shown = {
        repr(json.dumps(PASSWORD))[2:-2],  # the repr of a JSON body
        repr(re.escape(PASSWORD))[1:-1],
        requote_uri(f"http://h/?search={PASSWORD}").split("=", 1)[1],
        CLIENT_SECRET,
    }
    for form in shown:
        assert form not in written
    assert_no_credential(written, credentials(awkward_tenant))


def test_a_json_escaped_credential_in_an_id_is_refused(
    project: pytest.Pytester, awkward_tenant: TenantEmulator
) -> None:
    project.makepyfile(
        test_json_id="""
        import json, os
        import pytest

        @pytest.mark.parametrize("body", [json.dumps({"password": os.environ["BSS_PASSWORD"]})])
        def test_login_body(body):
            pass
        """
    )

    result = project.runpytest("--junitxml=junit.xml")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "holds the password of the tenant" in result.stderr.str()


@pytest.mark.skipif(
    int(pytest.__version__.split(".")[0]) < 9, reason="subtests are built in from pytest 9"
)
def test_subtests_of_xdist_workers_hold_no_token(
    project: pytest.Pytester, awkward_tenant: TenantEmulator
) -> None:
    project.makepyfile(
        test_sub="""
        import pathlib

        def test_sub(bss_token, bss_config, subtests):
            pathlib.Path("issued.txt").write_text(bss_token.access_token)
            with subtests.test(msg=f"token {bss_token.access_token}", value=bss_config.password):
                assert False
        """
    )

    result = project.runpytest_subprocess("--bss-record", "-n", "2", "-p", "xdist")

    output = result.stdout.str() + result.stderr.str()
    assert "SUBFAIL" in output
    token = issued_token(project)
    assert_no_credential(everything_written(project.path, output), [token, PASSWORD])
    assert repr(repr(PASSWORD))[1:-1] not in output
