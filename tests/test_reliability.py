"""Reliability end to end: pytest-xdist, threads, interrupts, broken cassettes, hostile tenants.

Every test here runs pytest-bss the way a user does (pytester, real HTTP to the tenant
emulator on 127.0.0.1) and then looks at the cassette files on disk. Each one is bounded:
subprocesses have timeouts and loops have a fixed number of rounds.
"""

from __future__ import annotations

import base64
import functools
import json
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from child_signals import default_sigint

from pytest_bss.cassettes import load_cassette_data
from pytest_bss.fake import TenantEmulator

NEUTRAL = "https://bss.tenant.invalid/"
BSS_VARIABLES = (
    "BSS_BASE_URL",
    "BSS_CLIENT_KEY",
    "BSS_CLIENT_SECRET",
    "BSS_USERNAME",
    "BSS_PASSWORD",
)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root/cassettes`` (hidden ones too), by relative path."""
    folder = root / "cassettes"
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def uris(path: Path) -> list[str]:
    return [i["request"]["uri"] for i in load_cassette_data(path)["interactions"]]


def credential_forms(emulator: TenantEmulator) -> set[str]:
    config = emulator.config()
    values = [config.client_key, config.client_secret, config.username, config.password]
    values += emulator.issued_tokens()
    forms = set()
    for value in values:
        forms |= {value, quote(value, safe=""), quote_plus(value)}
        forms.add(base64.b64encode(value.encode()).decode())
    forms.add(base64.b64encode(f"{config.client_key}:{config.client_secret}".encode()).decode())
    return forms


def output_of(result: pytest.RunResult) -> str:
    return "\n".join(result.outlines + result.errlines)


def forget_the_tenant(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in BSS_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\n")
    return pytester


# ---------------------------------------------------------------------------
# pytest-xdist

OWN_TESTS = 8
SHARED_TESTS = 4
XDIST_SUITE = f"""
import pytest

@pytest.mark.parametrize("n", range({OWN_TESTS}))
def test_own(bss_client, n):
    assert bss_client.get_json(f"api/accounts/{{1001 + n}}")["id"] == 1001 + n

@pytest.mark.bss(cassette="shared")
@pytest.mark.parametrize("n", range({SHARED_TESTS}))
def test_shared(bss_client, n):
    assert bss_client.get_json(f"api/accounts/{{1021 + n}}")["id"] == 1021 + n
"""


def test_recording_under_xdist_writes_every_cassette_whole_and_replays_under_xdist(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    pytest.importorskip("xdist")
    project.makepyfile(test_rel_xdist=XDIST_SUITE)

    recorded = project.runpytest_subprocess("-n", "4", "-v", "--bss-record", timeout=120)

    recorded.assert_outcomes(passed=OWN_TESTS + SHARED_TESTS)
    folder = project.path / "cassettes"
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == sorted(
        ["bss_auth.json", "shared.json"]
        + [f"test_rel_xdist/test_own[{n}].json" for n in range(OWN_TESTS)]
    )
    for n in range(OWN_TESTS):
        own = folder / "test_rel_xdist" / f"test_own[{n}].json"
        assert uris(own) == [f"{NEUTRAL}api/accounts/{1001 + n}"]
    assert sorted(uris(folder / "shared.json")) == [
        f"{NEUTRAL}api/accounts/{1021 + n}" for n in range(SHARED_TESTS)
    ]
    assert uris(folder / "bss_auth.json") == [f"{NEUTRAL}oauth/token"]
    workers = set(re.findall(r"\[(gw\d+)\].* PASSED", str(recorded.stdout)))
    assert 1 <= len(workers) <= 4
    assert tenant_env.token_requests == len(workers)  # one password grant per worker

    tenant_env.stop()
    replayed = project.runpytest_subprocess("-n", "4", timeout=120)

    replayed.assert_outcomes(passed=OWN_TESTS + SHARED_TESTS)


# ---------------------------------------------------------------------------
# Threads

THREADED_SUITE = """
import json
from concurrent.futures import ThreadPoolExecutor

def test_distinct_requests_from_16_threads(bss_client):
    ids = list(range(1001, 1033))
    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(lambda i: bss_client.get_json(f"api/accounts/{i}")["id"], ids))
    assert got == ids

def test_identical_requests_from_16_threads(bss_client):
    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(lambda _: bss_client.get_json("api/accounts/1001")["id"], range(32)))
    assert got == [1001] * 32

def test_identical_posts_from_16_threads_get_one_recorded_answer_each(bss_client, bss_cassette):
    def create(_):
        return bss_client.json("POST", "api/accounts", json={"name": "Threads Ltd"})

    with ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(create, range(16)))
    recorded = [json.loads(response["body"]["string"]) for response in bss_cassette.responses]
    assert len(set(ids)) == 16
    assert sorted(ids) == sorted(recorded)
"""


def test_sixteen_threads_record_every_request_and_replay_them(
    project: pytest.Pytester, tenant_env: TenantEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(test_rel_threads=THREADED_SUITE)

    project.runpytest("--bss-record").assert_outcomes(passed=3)

    folder = project.path / "cassettes" / "test_rel_threads"
    assert sorted(uris(folder / "test_distinct_requests_from_16_threads.json")) == sorted(
        f"{NEUTRAL}api/accounts/{n}" for n in range(1001, 1033)
    )
    assert len(uris(folder / "test_identical_requests_from_16_threads.json")) == 32
    assert tenant_env.api_requests == 32 + 32 + 16
    tenant_env.stop()
    forget_the_tenant(monkeypatch)
    for _ in range(3):  # races show up in some runs only
        replayed = project.runpytest()
        replayed.assert_outcomes(passed=3)
        replayed.stdout.fnmatch_lines(["pytest-bss: 3 cassettes replayed (80 interactions)*"])


# ---------------------------------------------------------------------------
# Interrupts

SLOW_SUITE = """
import pytest

@pytest.mark.parametrize("n", range(6))
def test_pages_accounts(bss_client, n):
    bss_client.get_json("api/slow")
    assert len(list(bss_client.paginate("api/accounts", page_size=5 + n))) == 57
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_recording_killed_at_any_moment_leaves_each_cassette_as_it_was_or_complete(
    project: pytest.Pytester,
    tenant_env: TenantEmulator,
    monkeypatch: pytest.MonkeyPatch,
    sig: signal.Signals,
) -> None:
    project.makepyfile(test_rel_slow=SLOW_SUITE)
    tenant_env.inject_fault(
        "api/slow", status=200, body="{}", content_type="application/json", delay=0.1, times=None
    )
    # The good cassettes are recorded with API version 2.1 (bare lists); the runs that
    # get killed record "latest" (envelopes), so a cassette is visibly old or new.
    monkeypatch.setenv("BSS_API_VERSION", "2.1")
    started = time.monotonic()
    project.runpytest_subprocess("--bss-record", timeout=120).assert_outcomes(passed=6)
    duration = time.monotonic() - started
    monkeypatch.delenv("BSS_API_VERSION")
    before = snapshot(project.path)
    expected = {name: len(json.loads(data)["interactions"]) for name, data in before.items()}
    # Kill moments from startup through the saves. How long a run takes varies with the
    # machine's load, so the moment adapts: a run that ended before its signal moves the
    # next kill earlier, a kill that landed before any cassette was written moves it later.
    # Every run, whenever it was killed, must leave each cassette as it was or complete.
    rng = random.Random(int(sig))
    moment = 0.5 * duration
    rewritten: set[str] = set()
    interrupted = 0
    for attempt in range(12):
        with subprocess.Popen(
            [sys.executable, "-m", "pytest", "--bss-record", "-p", "no:cacheprovider"],
            cwd=project.path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=default_sigint,  # not inherited ignored from a background shell
        ) as run:
            try:
                time.sleep(moment)
                run.send_signal(sig)
                was_interrupted = run.wait(timeout=30) != 0
            finally:
                run.kill()
                run.wait(timeout=30)
        interrupted += was_interrupted
        after = snapshot(project.path)

        changed = set()
        for name, data in after.items():
            if Path(name).name.startswith("."):
                assert name.endswith(".tmp"), f"{name} after a kill at {moment:.2f} s"
                continue
            assert data, f"{name} is empty after a kill at {moment:.2f} s"
            if data != before[name]:
                interactions = load_cassette_data(project.path / "cassettes" / name)
                assert len(interactions["interactions"]) == expected[name], name
                changed.add(name)
        assert {n for n in after if not Path(n).name.startswith(".")} == set(before)
        rewritten |= changed
        if attempt >= 4 and interrupted and rewritten:
            break
        if not was_interrupted:
            moment *= rng.uniform(0.5, 0.8)  # the run ended first: kill earlier
        elif not changed:
            moment *= rng.uniform(1.2, 1.5)  # nothing written yet: kill later
        else:
            moment *= rng.uniform(0.8, 1.2)
    assert interrupted, "every run ended before its signal"
    assert rewritten, "no kill landed after a cassette was written"

    tenant_env.stop()
    forget_the_tenant(monkeypatch)
    project.runpytest_subprocess(timeout=120).assert_outcomes(passed=6)


# ---------------------------------------------------------------------------
# Broken and hostile cassettes

ONE_TEST = """
def test_reads_an_account(bss_client):
    assert bss_client.get_json("api/accounts/1001")["id"] == 1001
"""

AUTH_CASSETTE = json.dumps(
    {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": f"{NEUTRAL}oauth/token",
                    "body": "grant_type=password&username=%3CBSS_USERNAME%3E&password=%3CBSS_PASSWORD%3E",
                    "headers": {"Authorization": ["Basic <BSS_CLIENT_CREDENTIALS>"]},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["application/json"]},
                    "body": {
                        "string": '{"access_token": "<BSS_ACCESS_TOKEN_1>", '
                        '"token_type": "bearer", "expires_in": 1799}'
                    },
                },
            }
        ],
    }
)
GOOD_TEST_CASSETTE = json.dumps(
    {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": "GET",
                    "uri": f"{NEUTRAL}api/accounts/1001",
                    "body": None,
                    "headers": {"Authorization": ["Bearer <BSS_ACCESS_TOKEN_1>"]},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Type": ["application/json"]},
                    "body": {"string": '{"id": 1001}'},
                },
            }
        ],
    }
)
# "{touched}" becomes a path under the test's folder: running the tag would create it.
BROKEN_CASSETTES = {
    "empty": ("json", b"", " is empty"),
    "truncated-json": ("json", GOOD_TEST_CASSETTE.encode()[:200], " cannot be parsed (*)"),
    "truncated-yaml": (
        "yaml",
        b"version: 1\ninteractions:\n- request:\n    method: 'GET\n",
        " cannot be parsed (*)",
    ),
    "other-format-version": (
        "json",
        GOOD_TEST_CASSETTE.replace('"version": 1', '"version": 7').encode(),
        " is in format version 7; pytest-bss reads version 1.*",
    ),
    "not-utf8": (
        "json",
        GOOD_TEST_CASSETTE.encode().replace(b"1001}", b"\xff\xfe}"),
        " is not UTF-8 text",
    ),
    "python-object-tag": (
        "yaml",
        b"version: 1\ninteractions: !!python/object/apply:os.mkdir ['{touched}']\n",
        " cannot be parsed (*python/object/apply:os.mkdir*)",
    ),
    "no-interactions": ("json", b'{"version": 1}', " has no 'interactions' list*"),
    "interaction-without-response": (
        "json",
        json.dumps(
            {
                "version": 1,
                "interactions": [
                    {"request": json.loads(GOOD_TEST_CASSETTE)["interactions"][0]["request"]}
                ],
            }
        ).encode(),
        ": interaction 0 is missing its request or response.*",
    ),
    "response-status-not-a-mapping": (
        "json",
        GOOD_TEST_CASSETTE.replace('{"code": 200, "message": "OK"}', "200").encode(),
        ": interaction 0 is malformed (response status must be {code: int, message: str}).*",
    ),
}


def write_broken(project: pytest.Pytester, suffix: str, content: bytes) -> Path:
    cassette = project.path / "cassettes" / "test_rel_broken" / f"test_reads_an_account.{suffix}"
    cassette.parent.mkdir(parents=True, exist_ok=True)
    cassette.write_bytes(content.replace(b"{touched}", str(project.path / "touched").encode()))
    (project.path / "cassettes" / "bss_auth.json").write_text(AUTH_CASSETTE)
    project.makepyfile(test_rel_broken=ONE_TEST)
    return cassette


def assert_one_clean_error(result: pytest.RunResult, line: str) -> None:
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([line])
    # The message is the whole report: no traceback, no frames of vcrpy or pytest-bss.
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*site-packages*")
    result.stdout.no_fnmatch_line("*pytest_bss/*.py*")


@pytest.mark.parametrize(
    ("suffix", "content", "problem"), BROKEN_CASSETTES.values(), ids=BROKEN_CASSETTES.keys()
)
def test_replaying_a_broken_cassette_is_one_error_naming_the_file_and_the_fix(
    project: pytest.Pytester, suffix: str, content: bytes, problem: str
) -> None:
    cassette = write_broken(project, suffix, content)
    before = cassette.read_bytes()

    result = project.runpytest()

    assert_one_clean_error(result, f"Cassette {cassette}{problem}*--bss-record*")
    assert cassette.read_bytes() == before
    assert not (project.path / "touched").exists()


@pytest.mark.parametrize("mode", ["once", "new_episodes", "all"])
@pytest.mark.parametrize(
    ("suffix", "content", "problem"), BROKEN_CASSETTES.values(), ids=BROKEN_CASSETTES.keys()
)
def test_a_record_mode_that_reads_cassettes_never_overwrites_a_broken_one(
    project: pytest.Pytester,
    tenant_env: TenantEmulator,
    mode: str,
    suffix: str,
    content: bytes,
    problem: str,
) -> None:
    cassette = write_broken(project, suffix, content)
    before = cassette.read_bytes()

    result = project.runpytest(f"--bss-record-mode={mode}")

    assert_one_clean_error(result, f"Cassette {cassette}{problem}*--bss-record*")
    assert cassette.read_bytes() == before
    assert tenant_env.api_requests == 0
    assert not (project.path / "touched").exists()


@pytest.mark.parametrize("content", [b"", b'{"version": 1, "interac'], ids=["empty", "truncated"])
def test_a_broken_auth_cassette_is_an_error_naming_it(
    project: pytest.Pytester, content: bytes
) -> None:
    write_broken(project, "json", GOOD_TEST_CASSETTE.encode())
    auth = project.path / "cassettes" / "bss_auth.json"
    auth.write_bytes(content)

    result = project.runpytest()

    assert_one_clean_error(result, f"bss_token: Cassette {auth} *--bss-record*")
    assert auth.read_bytes() == content


def test_rerecording_replaces_a_broken_cassette_as_its_error_message_says(
    project: pytest.Pytester, tenant_env: TenantEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    cassette = write_broken(project, "json", b'{"version": 1, "interac')

    project.runpytest("--bss-record").assert_outcomes(passed=1)

    assert uris(cassette) == [f"{NEUTRAL}api/accounts/1001"]
    tenant_env.stop()
    forget_the_tenant(monkeypatch)
    project.runpytest().assert_outcomes(passed=1)


def deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


# Wrong types, and right types with wrong values, for every place of a cassette.
HOSTILE_VALUES: tuple[Any, ...] = (
    None,
    True,
    0,
    -1,
    10**30,
    1.5,
    "",
    "x",
    "http://[::1/api/accounts/1001",
    [],
    ["x"],
    [None],
    [[["x"]]],
    {},
    {"x": 1},
    {"base64": "%%junk%%"},
    deep(300),
)


def places(value: Any, where: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path to every value inside ``value``, the whole included."""
    yield where
    if isinstance(value, dict):
        for key, child in value.items():
            yield from places(child, (*where, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from places(child, (*where, index))


def replaced(data: Any, where: tuple[Any, ...], value: Any) -> Any:
    if not where:
        return value
    copy = data.copy()
    copy[where[0]] = replaced(data[where[0]], where[1:], value)
    return copy


def malformed_cassettes() -> list[tuple[str, str]]:
    """(suffix, text) of cassettes that parse but are hostile, good and bad mixed."""
    good = json.loads(GOOD_TEST_CASSETTE)
    out = [
        ("json", json.dumps(replaced(good, where, value)))
        for where in places(good)
        for value in HOSTILE_VALUES
    ]
    # a key vcrpy never writes, at every level
    out += [
        ("json", json.dumps(replaced(good, where, {**value, "extra": deep(300)})))
        for where in places(good)
        if isinstance(value := functools.reduce(lambda d, k: d[k], where, good), dict)
    ]
    # YAML can say what JSON cannot: keys that are not text, bytes, Python tags
    request, response = ("{method: GET, uri: '" + NEUTRAL + "api/accounts/1001'}", "{}")
    out += [
        ("yaml", f"version: 1\ninteractions:\n- {{request: {request}, response: {text}}}\n")
        for text in (
            "{status: {code: 200, message: OK}, body: {string: ''}, headers: {1: [x]}}",
            "{status: {code: 200, message: OK}, body: {string: ''}, headers: {null: x}}",
            "{status: {code: 200, message: OK}, body: {string: !!binary 'AAEC'}, headers: {}}",
            "{status: {code: !!python/tuple [200], message: OK}, body: {string: ''}}",
            "{status: {200: code, message: OK}, body: {string: ''}}",
            "{status: {code: 200, message: !!binary 'T0s='}, body: {string: ''}}",
            "{status: {code: 200, message: OK}, body: {string: 2024-01-01}}",
            "{status: {code: 200, message: 2024-01-01}, body: {string: ''}}",
            "{status: {code: 200, message: OK}, body: !!set {string}}",
        )
    ]
    out += [
        ("yaml", f"version: 1\ninteractions:\n- {{request: {text}, response: {response}}}\n")
        for text in (
            "{method: GET, uri: !!binary 'aHR0cDovL3g='}",
            "{method: GET, uri: u, body: !!python/object/apply:builtins.iter {args: [[1, 2]]}}",
            "{method: GET, uri: u, body: !!python/object/new:_io.BytesIO {state: [[1]]}}",
            "{method: GET, uri: u, headers: {[a]: b}}",
            "{method: 2024-01-01, uri: u}",
        )
    ]
    return out


def test_any_malformed_cassette_is_one_clean_error_naming_it_never_a_traceback(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # whole messages in the short summary
    cases = malformed_cassettes()
    folder = project.path / "cassettes" / "test_rel_malformed"
    folder.mkdir(parents=True)
    (project.path / "cassettes" / "bss_auth.json").write_text(AUTH_CASSETTE)
    for number, (suffix, text) in enumerate(cases):
        (folder / f"test_case_{number}.{suffix}").write_text(text)
    project.makepyfile(
        test_rel_malformed="\n".join(
            f"def test_case_{number}(bss_client):\n"
            '    bss_client.get("api/accounts/1001").content\n'
            for number in range(len(cases))
        )
    )

    result = project.runpytest("-p", "no:randomly", "-rfE")

    output = output_of(result)
    for hint in ("Traceback", "site-packages", "/lib/python", "pytest_bss/", "INTERNALERROR"):
        assert hint not in output
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) + outcomes.get("errors", 0) == len(
        cases
    )
    # Every case that did not pass is summed up by one line naming its cassette: the
    # cassette cannot be read, or (a well-formed cassette of other requests) it does
    # not hold the test's request.
    refused = 0
    for line in result.outlines:
        if line.startswith(("FAILED", "ERROR")):
            test, message = line.split(" - ", 1)
            cassette = f"{folder}/{test.rpartition('::')[2]}."
            if message.startswith("Failed: Cassette "):
                refused += 1
                assert message.startswith(f"Failed: Cassette {cassette}"), line
                assert message.endswith(" again with --bss-record."), line
            else:
                assert message.startswith("RequestNotRecordedError: "), line
                assert f" was not recorded in {cassette}" in message, line
    assert refused > len(cases) * 3 // 4


# ---------------------------------------------------------------------------
# Hostile tenants while recording

HTML = "<html><body><form action='/login'>Sign in</form></body></html>"
TENANT_FAULTS = {
    "token-endpoint-answers-html": (
        dict(path_prefix="oauth/token", status=200, body=HTML, content_type="text/html"),
        "bss_token: The BSS tenant at * answered the token request with a text/html body "
        "instead of a JSON token: is BSS_BASE_URL right?*",
    ),
    "token-endpoint-fails": (
        dict(path_prefix="oauth/token", status=500, body=HTML),
        "bss_token: The BSS tenant at * did not issue a token (500): the tenant failed;*",
    ),
    "token-without-access-token": (
        dict(
            path_prefix="oauth/token",
            status=200,
            body='{"token_type": "bearer", "expires_in": 1799}',
            content_type="application/json",
        ),
        "bss_token: * answered the token request with JSON that is not a usable token "
        "(the JSON has no access_token)*",
    ),
    "token-endpoint-times-out": (
        dict(path_prefix="oauth/token", status=200, delay=5),
        "bss_token: The BSS tenant at * did not answer the token request within 0.5 s: "
        "check that it is up, or raise BSS_TIMEOUT*",
    ),
    "api-times-out": (
        dict(path_prefix="api/accounts/1001", status=200, delay=5),
        "*GET api/accounts/1001 got no answer from the BSS tenant at * within the timeout: "
        "check that it is up, or raise BSS_TIMEOUT*",
    ),
    "api-answers-401-even-to-a-fresh-token": (
        dict(
            path_prefix="api/accounts",
            status=401,
            body='{"message": "Authorization has been denied for this request."}',
            content_type="application/json",
            times=None,
        ),
        "*BssApiError: GET api/accounts/1001 answered 401: Authorization has been denied*",
    ),
    "api-answers-a-5-mb-error-page": (
        dict(path_prefix="api/accounts/1001", status=500, body="<p>error</p>" * 450_000),
        "*BssApiError: GET api/accounts/1001 answered 500: error error error*…",
    ),
}


TENANT_CASSETTE = "test_rel_tenant/test_reads_an_account.json"


def recorded_project(project: pytest.Pytester) -> dict[str, bytes]:
    project.makepyfile(test_rel_tenant=ONE_TEST)
    project.runpytest("--bss-record").assert_outcomes(passed=1)
    return snapshot(project.path)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        pytest.param(
            *value,
            id=key,
        )
        for key, value in TENANT_FAULTS.items()
    ],
)
def test_a_hostile_tenant_fails_the_test_clearly_and_leaves_the_cassettes_as_they_were(
    project: pytest.Pytester,
    tenant_env: TenantEmulator,
    monkeypatch: pytest.MonkeyPatch,
    fault: dict[str, object],
    message: str,
) -> None:
    before = recorded_project(project)
    monkeypatch.setenv("BSS_TIMEOUT", "0.5")
    tenant_env.inject_fault(**fault)  # type: ignore[arg-type]

    result = project.runpytest("--bss-record")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([message])
    output = output_of(result)
    assert [form for form in credential_forms(tenant_env) if form in output] == []
    assert len(output) < 20_000
    after = snapshot(project.path)
    assert after.pop(TENANT_CASSETTE) == before.pop(TENANT_CASSETTE)
    if fault["path_prefix"] == "oauth/token":
        assert after == before  # the failed grant did not replace the auth cassette
    else:  # the grant worked and was recorded again; the old cassette is kept
        assert uris(project.path / "cassettes" / "bss_auth.json") == [f"{NEUTRAL}oauth/token"]
    tenant_env.stop()
    forget_the_tenant(monkeypatch)
    project.runpytest().assert_outcomes(passed=1)


def test_a_tenant_that_is_down_fails_the_test_naming_the_url_to_check(
    project: pytest.Pytester, tenant_env: TenantEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = recorded_project(project)
    tenant_env.stop()

    result = project.runpytest("--bss-record")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["bss_token: Could not reach the BSS tenant at * for a token: check BSS_BASE_URL*"]
    )
    assert snapshot(project.path) == before


def test_a_401_to_a_fresh_token_is_retried_exactly_once(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    recorded_project(project)
    tenant_env.reset_counts()
    tenant_env.inject_fault("api/accounts", status=401, times=None)

    project.runpytest("--bss-record").assert_outcomes(failed=1)

    assert tenant_env.api_requests == 2  # the request and one retry
    assert tenant_env.token_requests == 2  # the session's grant and one renewal


def test_a_5_mb_response_records_and_replays(
    project: pytest.Pytester, tenant_env: TenantEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    blob = "x" * 5_000_000
    body = json.dumps({"id": 1001, "notes": blob})
    tenant_env.inject_fault(
        "api/accounts/1001", status=200, body=body, content_type="application/json"
    )
    project.makepyfile(test_rel_huge=ONE_TEST)

    project.runpytest_subprocess("--bss-record", timeout=30).assert_outcomes(passed=1)

    cassette = project.path / "cassettes" / "test_rel_huge" / "test_reads_an_account.json"
    response = load_cassette_data(cassette)["interactions"][0]["response"]
    assert json.loads(response["body"]["string"])["notes"] == blob
    tenant_env.stop()
    forget_the_tenant(monkeypatch)
    project.runpytest_subprocess(timeout=60).assert_outcomes(passed=1)
