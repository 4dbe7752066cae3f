"""The pytest-bss command, end to end: cassettes written by plain vcrpy, audited and scrubbed."""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import requests
import vcr
from vcr.serializers import jsonserializer, yamlserializer

from pytest_bss.cli import main
from pytest_bss.client import BssClient
from pytest_bss.fake import (
    DEMO_CLIENT_KEY,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    TenantEmulator,
)

REPO = Path(__file__).resolve().parents[1]
DEMO_ENV = {
    "BSS_CLIENT_KEY": DEMO_CLIENT_KEY,
    "BSS_CLIENT_SECRET": DEMO_CLIENT_SECRET,
    "BSS_USERNAME": DEMO_USERNAME,
    "BSS_PASSWORD": DEMO_PASSWORD,
}
GZIP_TOKEN = "gz-9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c"
SESSION = "s3ss10n-8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a"
ESCAPED_TOKEN = "Tok/en+ZmFrZS1vcGFxdWUtdG9rZW4/9z8y7x"
PASSPHRASE = " ".join(["correct", "horse", "battery", "staple"] * 4) + " 42"
USERINFO_PASSWORD = "hook-pa55word-7Y6x"
NESTED_TOKEN = "nested-4b3a2f1e0d9c8b7a6f5e4d3c"


class Handler(BaseHTTPRequestHandler):
    """A tiny origin server whose answers carry credentials the way real APIs do."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.answer()

    def do_POST(self) -> None:
        self.answer()

    def answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers: dict[str, str] = {"Content-Type": "application/json"}
        status = 200
        if self.path == "/token":  # compressed: plain vcrpy keeps it as !!binary
            body = gzip.compress(json.dumps({"access_token": GZIP_TOKEN}).encode())
            headers["Content-Encoding"] = "gzip"
        elif self.path == "/login":
            body = b'{"ok": true}'
            headers["Set-Cookie"] = f"session={SESSION}; Path=/; HttpOnly"
        elif self.path == "/escaped":  # as System.Text.Json writes it
            escaped = ESCAPED_TOKEN.replace("/", "\\/").replace("+", "\\u002B")
            body = f'{{"access_token":"{escaped}","token_type":"bearer"}}'.encode()
        elif self.path == "/profile":
            body = json.dumps({"user": "demo", "password": PASSPHRASE}).encode()
        elif self.path == "/hook":
            status = 302
            port = self.server.server_address[1]
            headers["Location"] = f"http://svc:{USERINFO_PASSWORD}@127.0.0.1:{port}/next"
            body = b"{}"
        elif self.path == "/nested":  # a JSON document inside a JSON string
            body = json.dumps({"result": json.dumps({"access_token": NESTED_TOKEN})}).encode()
        else:
            body = b'{"ok": true}'
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(autouse=True)
def no_canaries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests set the BSS_* variables they want; none leak in from the shell."""
    for var in DEMO_ENV:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    """The base URL of a local origin server (127.0.0.1 only)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Case:
    """A cassette written by plain vcrpy, what the audit must say, and how to replay it."""

    name: str
    path: Path
    expected: list[str]
    secrets: list[str]
    play: Callable[[], Any]
    env: dict[str, str] = field(default_factory=dict)


def record(path: Path, play: Callable[[], Any], **options: Any) -> Path:
    with vcr.VCR(**options).use_cassette(str(path)):
        play()
    return path


@pytest.fixture(scope="module")
def cases(origin: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    """Every case, recorded once per module by plain vcrpy with no scrubbing."""
    folder = tmp_path_factory.mktemp("plain-vcrpy")
    found: dict[str, Case] = {}

    with TenantEmulator() as emulator:
        config = emulator.config()

        def bss_session() -> Any:
            return BssClient(config).get_json("api/accounts/1001")

        bss = record(folder / "bss_session.yaml", bss_session)
        token = emulator.issued_tokens()[0]
    demo = [DEMO_CLIENT_KEY, DEMO_CLIENT_SECRET, DEMO_PASSWORD, token]
    found["basic pair"] = Case(
        "basic pair",
        bss,
        [
            "interaction 0: request.headers.Authorization: Basic credentials (structural)",
            "interaction 0: request.headers.Authorization: "
            "BSS_CLIENT_SECRET value in a base64 user:password pair (canary)",
        ],
        demo,
        bss_session,
        DEMO_ENV,
    )
    found["bearer header"] = Case(
        "bearer header",
        bss,
        ["interaction 1: request.headers.Authorization: Bearer token (structural)"],
        demo,
        bss_session,
    )
    found["percent-encoded password"] = Case(
        "percent-encoded password",
        bss,
        [
            "interaction 0: request.body: password in a form field (structural)",
            "interaction 0: request.body: BSS_PASSWORD value, percent-encoded (canary)",
        ],
        demo,
        bss_session,
        DEMO_ENV,
    )

    def gzip_token() -> Any:
        with urllib.request.urlopen(f"{origin}/token") as answer:  # noqa: S310 - 127.0.0.1
            raw = answer.read()
        return json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)

    def plain(path: str) -> Callable[[], Any]:
        def play() -> Any:
            answer = requests.get(origin + path, allow_redirects=False, timeout=5)
            return answer.status_code, answer.headers.get("Location"), answer.json()

        return play

    for name, path, expected, secret in (
        (
            "gzip token stored as binary",
            "/token",
            "interaction 0: response.body: access_token in a JSON field (structural)",
            GZIP_TOKEN,
        ),
        (
            "set-cookie session",
            "/login",
            "interaction 0: response.headers.Set-Cookie: cookie value (structural)",
            SESSION,
        ),
        (
            "json-escaped token",
            "/escaped",
            "interaction 0: response.body: access_token in a JSON field (structural)",
            ESCAPED_TOKEN,
        ),
        (
            "secret folded across yaml lines",
            "/profile",
            "interaction 0: response.body: password in a JSON field (structural)",
            PASSPHRASE,
        ),
        (
            "url userinfo",
            "/hook",
            "interaction 0: response.headers.Location: credentials in URL userinfo (structural)",
            USERINFO_PASSWORD,
        ),
    ):
        play = gzip_token if path == "/token" else plain(path)
        file = record(folder / f"{path.strip('/')}.yaml", play)
        found[name] = Case(name, file, [expected], [secret], play)
    found["secret folded across yaml lines"].env = {"BSS_PASSWORD": PASSPHRASE}
    found["secret folded across yaml lines"].expected.append(
        "interaction 0: response.body: BSS_PASSWORD value, raw (canary)"
    )
    found["nested json token"] = Case(
        "nested json token",
        record(folder / "nested.yaml", plain("/nested")),
        ["interaction 0: response.body: access_token in a JSON field (structural)"],
        [NESTED_TOKEN],
        plain("/nested"),
    )
    found["json serializer"] = Case(
        "json serializer",
        record(folder / "login.json", plain("/login"), serializer="json"),
        ["interaction 0: response.headers.Set-Cookie: cookie value (structural)"],
        [SESSION],
        plain("/login"),
    )
    return found


FIXABLE = [
    "basic pair",
    "bearer header",
    "percent-encoded password",
    "gzip token stored as binary",
    "set-cookie session",
    "json-escaped token",
    "secret folded across yaml lines",
    "url userinfo",
]


@pytest.fixture(params=FIXABLE)
def case(
    request: pytest.FixtureRequest,
    cases: dict[str, Case],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Case:
    """One of the cases, its cassette copied to tmp_path and its BSS_* variables set."""
    chosen = cases[request.param]
    for var, value in chosen.env.items():
        monkeypatch.setenv(var, value)
    copy = tmp_path / chosen.path.name
    shutil.copyfile(chosen.path, copy)
    return Case(chosen.name, copy, chosen.expected, chosen.secrets, chosen.play, chosen.env)


def forms_of(value: str) -> set[str]:
    """The ways a credential could show in output."""
    return {
        value,
        quote(value, safe=""),
        quote_plus(value),
        json.dumps(value)[1:-1],
        base64.b64encode(value.encode()).decode().rstrip("="),
    }


def count_cassettes(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.suffix in (".json", ".yaml", ".yml"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def replay(cassette: Path, play: Callable[[], Any]) -> Any:
    serializer = "json" if cassette.suffix == ".json" else "yaml"
    with vcr.VCR(record_mode="none", serializer=serializer).use_cassette(str(cassette)) as tape:
        result = play()
        assert tape.play_count == len(tape.data)
    return result


# --- audit ------------------------------------------------------------------------------


def test_the_recordings_hide_their_secrets_from_a_plain_text_scan(cases: dict[str, Case]) -> None:
    text = {name: case.path.read_text() for name, case in cases.items()}
    assert "!!binary" in text["gzip token stored as binary"]
    assert GZIP_TOKEN not in text["gzip token stored as binary"]
    assert ESCAPED_TOKEN not in text["json-escaped token"]
    assert PASSPHRASE not in text["secret folded across yaml lines"]
    assert DEMO_PASSWORD not in text["percent-encoded password"]


def test_the_audit_finds_each_credential_in_a_plain_vcrpy_cassette(
    case: Case, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys, "audit", str(case.path))

    assert status == 1
    lines = out.splitlines()
    for expected in case.expected:
        assert f"{case.path}: {expected}" in lines


def test_no_finding_line_holds_the_secret(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    _, text = run(capsys, "audit", str(case.path))
    _, as_json = run(capsys, "audit", "--format", "json", str(case.path))

    for secret in case.secrets:
        for form in forms_of(secret):
            assert form not in text
            assert form not in as_json


def test_the_audit_finds_a_token_inside_a_json_string(
    cases: dict[str, Case], capsys: pytest.CaptureFixture[str]
) -> None:
    nested = cases["nested json token"]

    status, out = run(capsys, "audit", str(nested.path))

    assert status == 1
    assert f"{nested.path}: {nested.expected[0]}" in out.splitlines()
    assert NESTED_TOKEN not in out


def test_the_projects_own_cassettes_pass_the_audit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for var, value in DEMO_ENV.items():  # the credentials they were recorded with
        monkeypatch.setenv(var, value)

    status, out = run(capsys, "audit", str(REPO / "cassettes"))

    assert status == 0, out
    assert out.strip().endswith(
        "no findings (checked for BSS_CLIENT_KEY, BSS_CLIENT_SECRET, BSS_USERNAME, BSS_PASSWORD)"
    )


@pytest.fixture
def recorded_suite(pytester: pytest.Pytester, tenant_env: TenantEmulator) -> pytest.Pytester:
    """A one-test suite whose cassettes the plugin just recorded against the emulator."""
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_suite="""
        def test_reads_an_account(bss_client):
            assert bss_client.get_json("api/accounts/1001")["id"] == 1001
        """
    )
    pytester.runpytest("--bss-record").assert_outcomes(passed=1)
    return pytester


def test_cassettes_the_plugin_records_pass_the_audit(
    recorded_suite: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys, "audit", str(recorded_suite.path / "cassettes"))

    assert status == 0, out
    assert "2 cassettes, no findings" in out


def test_the_default_path_is_the_cassettes_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "cassettes", tmp_path / "cassettes")
    monkeypatch.chdir(tmp_path)

    status, out = run(capsys, "audit")

    assert status == 0
    assert f"{count_cassettes(tmp_path / 'cassettes')} cassettes, no findings" in out


def test_without_a_path_audit_and_scrub_take_the_configured_cassette_dir_from_a_subfolder(
    cases: dict[str, Case],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nbss_cassette_dir = "tests/tapes"\n'
    )
    (tmp_path / "tests" / "tapes").mkdir(parents=True)
    leaky = tmp_path / "tests" / "tapes" / "login.yaml"
    shutil.copyfile(cases["set-cookie session"].path, leaky)
    (tmp_path / "cassettes").mkdir()  # not the configured folder: never looked at
    monkeypatch.chdir(tmp_path / "tests")

    audited = run(capsys, "audit")
    scrubbed = run(capsys, "scrub")
    audited_again = run(capsys, "audit")

    assert audited[0] == 1
    assert "1 cassette" in audited[1].splitlines()[-1]
    assert scrubbed[0] == 0
    assert scrubbed[1].splitlines() == [
        f"{leaky}: rewritten (1 value replaced)",
        "pytest-bss scrub: 1 rewritten, 0 already clean, 0 refused",
    ]
    assert SESSION not in leaky.read_text()
    assert audited_again[0] == 0


def test_without_a_path_and_no_cassette_dir_audit_says_which_setting_to_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tox.ini").write_text("[pytest]\nbss_cassette_dir = missing\n")
    monkeypatch.chdir(tmp_path)

    status, out = run(capsys, "audit")

    assert status == 2
    assert "no cassette folder missing" in out
    assert "bss_cassette_dir in tox.ini" in out


def test_version_is_the_installed_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    status, out = run(capsys, "--version")

    assert (status, out) == (0, f"pytest-bss {version('pytest-bss')}\n")


def test_emulator_routes_prints_the_route_table(capsys: pytest.CaptureFixture[str]) -> None:
    from pytest_bss.fake.server import ROUTES, routes_markdown

    status, out = run(capsys, "emulator", "--routes")

    assert (status, out) == (0, routes_markdown())
    assert len(out.splitlines()) == 2 + len(ROUTES)


def test_emulator_revisions_prints_what_each_api_revision_changes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pytest_bss.fake.revisions import REVISIONS, revisions_markdown

    status, out = run(capsys, "emulator", "--revisions")

    assert (status, out) == (0, revisions_markdown())
    assert len(out.splitlines()) == 2 + sum(len(drifts) for drifts in REVISIONS.values())


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "is empty"),
        ("{not json", "cannot be parsed"),
        ('{"version": 1}', "has no 'interactions' list"),
        ('{"version": 1, "interactions": "none"}', "has no 'interactions' list"),
    ],
)
def test_a_file_that_cannot_be_parsed_is_a_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, reason: str
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(content)

    status, out = run(capsys, "audit", str(tmp_path))

    assert status == 1
    assert out.splitlines()[0].startswith(f"{broken}: {reason}")
    assert out.splitlines()[0].endswith("(unreadable)")


def test_a_yaml_cassette_with_a_python_tag_is_refused_not_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "ran"
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(f"!!python/object/apply:os.system ['touch {marker}']\n")

    status, out = run(capsys, "audit", str(hostile))

    assert status == 1
    assert "(unreadable)" in out
    assert not marker.exists()


def test_json_output_lists_every_finding(
    cases: dict[str, Case], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BSS_PASSWORD", DEMO_PASSWORD)
    path = cases["basic pair"].path

    status, out = run(capsys, "audit", "--format", "json", str(path))

    report = json.loads(out)
    assert status == 1
    assert report["cassettes"] == 1
    assert report["canaries"] == ["BSS_PASSWORD"]
    assert {
        "path": str(path),
        "interaction": 1,
        "place": "request.headers.Authorization",
        "what": "Bearer token",
        "category": "structural",
        "confidence": "credential",
        "kind": "authorization",
    } in report["findings"]


def test_json_output_of_a_clean_run_is_an_empty_list(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, "audit", "--format", "json", str(REPO / "cassettes"))

    assert (status, json.loads(out)["findings"]) == (0, [])


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["audit", "no/such/folder"],
        ["audit", "--format", "xml"],
        ["audit", "pyproject.toml"],
        ["emulator"],
        ["launch"],
    ],
)
def test_usage_errors_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)

    status, out = run(capsys, *argv)

    assert status == 2
    assert "error" in out


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, "--help")

    assert status == 0
    assert all(command in out for command in ("audit", "scrub", "unused"))


def test_python_dash_m_runs_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest_bss", "audit", str(REPO / "cassettes")],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("BSS_")},
    )

    assert done.returncode == 0, done.stderr
    assert "no findings" in done.stdout


# --- scrub ------------------------------------------------------------------------------


def test_scrub_makes_each_cassette_pass_the_audit_and_it_still_replays(
    case: Case, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys, "scrub", str(case.path))

    assert status == 0, out
    assert run(capsys, "audit", str(case.path))[0] == 0
    replay(case.path, case.play)
    text = case.path.read_text()
    for secret in case.secrets:
        assert not any(form in text for form in forms_of(secret) if len(form) >= 6)
        assert secret not in out


def test_a_scrubbed_yaml_cassette_stays_yaml_that_vcrpy_loads(
    cases: dict[str, Case], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "token.yaml"
    shutil.copyfile(cases["gzip token stored as binary"].path, path)

    run(capsys, "scrub", str(path))

    data = yamlserializer.deserialize(path.read_text())
    response = data["interactions"][0]["response"]
    assert json.loads(response["body"]["string"]) == {"access_token": "<BSS_ACCESS_TOKEN_1>"}
    assert "Content-Encoding" not in response["headers"]


def test_a_scrubbed_json_cassette_stays_json_that_vcrpy_loads(
    cases: dict[str, Case], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = cases["json serializer"]
    path = tmp_path / "login.json"
    shutil.copyfile(case.path, path)

    assert run(capsys, "scrub", str(path))[0] == 0

    data = jsonserializer.deserialize(path.read_text())
    assert data["interactions"][0]["response"]["headers"]["Set-Cookie"] == [
        "session=<BSS_COOKIE_1>; Path=/; HttpOnly"
    ]
    assert replay(path, case.play)[0] == 200


def test_scrub_check_reports_and_writes_nothing(
    case: Case, capsys: pytest.CaptureFixture[str]
) -> None:
    before = case.path.read_bytes()

    status, out = run(capsys, "scrub", "--check", str(case.path))

    assert status == 1
    assert f"{case.path}: would be rewritten" in out
    assert case.path.read_bytes() == before


def test_scrub_check_on_a_clean_folder_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "cassettes", tmp_path / "cassettes")

    status, out = run(capsys, "scrub", "--check", str(tmp_path / "cassettes"))

    clean = count_cassettes(tmp_path / "cassettes")
    assert status == 0
    assert (
        out.strip() == f"pytest-bss scrub: 0 would be rewritten, {clean} already clean, 0 refused"
    )


def test_scrub_leaves_a_clean_cassette_byte_for_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "cassettes", tmp_path / "cassettes")
    before = {p: p.read_bytes() for p in (tmp_path / "cassettes").rglob("*.json")}

    assert run(capsys, "scrub", str(tmp_path / "cassettes"))[0] == 0

    assert {p: p.read_bytes() for p in before} == before


def test_scrub_refuses_a_file_that_would_still_fail_the_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A body in a compression nobody here can undo: scrub can't clean it and the audit
    # can't check it, so the file must be left as it is and the command fail.
    path = tmp_path / "zstd.json"
    body = b"\x28\xb5\x2f\xfd\xff\x00" + NESTED_TOKEN.encode()
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "interactions": [
                    {
                        "request": {
                            "method": "GET",
                            "uri": "https://h/t",
                            "body": None,
                            "headers": {},
                        },
                        "response": {
                            "status": {"code": 200, "message": "OK"},
                            "headers": {
                                "Content-Type": ["application/json"],
                                "Content-Encoding": ["zstd"],
                            },
                            "body": {"string": {"base64": base64.b64encode(body).decode()}},
                        },
                    }
                ],
            },
            indent=2,
        )
    )
    before = path.read_bytes()

    status, out = run(capsys, "scrub", str(path))

    assert status == 1
    assert f"{path}: refused: it would still fail the audit" in out
    assert NESTED_TOKEN not in out
    assert path.read_bytes() == before


def test_scrub_refuses_an_unreadable_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("interactions: [\n")

    status, out = run(capsys, "scrub", str(broken))

    assert status == 1
    assert f"{broken}: refused: cannot be parsed" in out
    assert broken.read_text() == "interactions: [\n"


# A YAML "billion laughs": under 1 KB, its aliases expand to 10**10 strings.
ALIAS_BOMB = "\n".join(
    [
        "l0: &l0 [" + ", ".join(["lol"] * 10) + "]",
        *(f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]" for n in range(1, 10)),
        "version: 1",
        "interactions:",
        "- request: {method: GET, uri: 'https://bss.tenant.invalid/a', headers: {}}",
        "  response: {status: {code: 200, message: OK}, body: {string: ''}, lol: *l9}",
    ]
)


@pytest.mark.parametrize("command", [["scrub", "--check"], ["scrub"], ["audit"]])
def test_a_yaml_alias_bomb_is_refused_in_one_line_not_expanded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(ALIAS_BOMB)
    started = time.perf_counter()

    status, out = run(capsys, *command, str(bomb))

    assert time.perf_counter() - started < 5
    assert status == 1
    (line,) = [line for line in out.splitlines() if line.startswith(str(bomb))]
    assert "expands to more than 10,000,000 values through its YAML aliases" in line
    assert bomb.read_text() == ALIAS_BOMB


def test_a_value_found_in_one_file_is_scrubbed_from_the_others(
    cases: dict[str, Case], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "a_login.yaml"
    shutil.copyfile(cases["set-cookie session"].path, first)
    second = tmp_path / "b_echo.yaml"
    data = yamlserializer.deserialize(first.read_text())
    data["interactions"][0]["response"]["headers"].pop("Set-Cookie")
    data["interactions"][0]["response"]["body"]["string"] = json.dumps({"seen": SESSION})
    second.write_text(yamlserializer.serialize(data))

    assert run(capsys, "scrub", str(first), str(second))[0] == 0

    assert SESSION not in second.read_text()
    assert "<BSS_COOKIE_1>" in second.read_text()


# --- unused -----------------------------------------------------------------------------


def write_run(
    rootdir: Path,
    used: list[str],
    *,
    args: list[str] | None = None,
    deselected: int = 0,
    exitstatus: int = 0,
) -> Path:
    """Cassettes on disk, and the cache entry the plugin leaves after a replay run."""
    cassette_dir = rootdir / "cassettes"
    for name in ("bss_auth.json", "mod/test_a.json", "mod/test_b.json", "old/test_c.yaml"):
        (cassette_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (cassette_dir / name).write_text("{}")
    entry = rootdir / ".pytest_cache" / "v" / "bss" / "used"
    entry.parent.mkdir(parents=True)
    entry.write_text(
        json.dumps(
            {
                "cassette_dir": str(cassette_dir),
                "used": [str(cassette_dir / name) for name in used],
                "args": args if args is not None else [str(rootdir)],
                "deselected": deselected,
                "exitstatus": exitstatus,
            }
        )
    )
    return cassette_dir


def test_unused_lists_what_the_last_run_did_not_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette_dir = write_run(tmp_path, ["mod/test_a.json"])

    status, out = run(capsys, "unused", "--rootdir", str(tmp_path))

    assert status == 1
    assert out.splitlines() == [
        str(cassette_dir / "mod/test_b.json"),
        str(cassette_dir / "old/test_c.yaml"),
        "pytest-bss unused: 2 of 4 cassettes not used by the last replay run",
    ]


def test_unused_delete_removes_them_and_their_empty_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette_dir = write_run(tmp_path, ["mod/test_a.json"])

    status, out = run(capsys, "unused", "--rootdir", str(tmp_path), "--delete")

    assert status == 0
    assert sorted(str(p.relative_to(cassette_dir)) for p in cassette_dir.rglob("*")) == [
        "bss_auth.json",
        "mod",
        "mod/test_a.json",
    ]
    assert "pytest-bss unused: 2 of 4 cassettes deleted" in out


def test_nothing_unused_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_run(tmp_path, ["mod/test_a.json", "mod/test_b.json", "old/test_c.yaml"])

    assert run(capsys, "unused", "--rootdir", str(tmp_path))[0] == 0


def test_unused_without_a_recorded_run_says_how_to_make_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys, "unused", "--rootdir", str(tmp_path))

    assert status == 2
    assert "no record of a replay run" in out
    assert "(`pytest`)" in out


@pytest.mark.parametrize(
    ("run_options", "reason"),
    [
        ({"deselected": 3}, "3 tests deselected"),
        ({"exitstatus": 1}, "exit status 1"),
        ({"args": ["tests/test_x.py::test_y"]}, "it ran only tests/test_x.py::test_y"),
    ],
)
def test_after_a_partial_run_unused_warns_and_refuses_to_delete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], run_options: Any, reason: str
) -> None:
    cassette_dir = write_run(tmp_path, ["mod/test_a.json"], **run_options)

    status, out = run(capsys, "unused", "--rootdir", str(tmp_path), "--delete")

    assert status == 2
    assert f"the last replay run was partial ({reason})" in out
    assert "refusing to delete" in out
    assert (cassette_dir / "mod/test_b.json").exists()


def test_force_deletes_after_a_partial_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette_dir = write_run(tmp_path, ["mod/test_a.json"], deselected=1)

    status, _ = run(capsys, "unused", "--rootdir", str(tmp_path), "--delete", "--force")

    assert status == 0
    assert not (cassette_dir / "mod/test_b.json").exists()


def test_a_run_of_the_configured_testpaths_is_the_whole_suite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    (tmp_path / "tests").mkdir()
    write_run(tmp_path, ["mod/test_a.json"], args=["tests"])

    status, out = run(capsys, "unused", "--rootdir", str(tmp_path), "--delete")

    assert status == 0
    assert "partial" not in out


def test_unused_reads_what_a_real_replay_run_recorded(
    recorded_suite: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester = recorded_suite
    stale = pytester.path / "cassettes" / "test_gone" / "test_removed_long_ago.json"
    stale.parent.mkdir()
    shutil.copyfile(
        pytester.path / "cassettes" / "test_suite" / "test_reads_an_account.json", stale
    )
    pytester.runpytest().assert_outcomes(passed=1)
    capsys.readouterr()

    status, out = run(capsys, "unused", "--rootdir", str(pytester.path))

    assert status == 1
    assert out.splitlines() == [
        "cassettes/test_gone/test_removed_long_ago.json",  # relative to the current folder
        "pytest-bss unused: 1 of 3 cassettes not used by the last replay run",
    ]


def test_unused_delete_refuses_a_cache_that_names_another_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    write_run(project, ["mod/test_a.json"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.json").write_text("{}")
    entry = project / ".pytest_cache" / "v" / "bss" / "used"
    entry.write_text(json.dumps({**json.loads(entry.read_text()), "cassette_dir": str(elsewhere)}))

    status, out = run(capsys, "unused", "--rootdir", str(project), "--delete")

    assert status == 2
    assert "bss_cassette_dir" in out
    assert (elsewhere / "precious.json").exists()
    assert count_cassettes(project / "cassettes") == 4


def test_unused_reads_the_cassette_folder_from_the_projects_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nbss_cassette_dir = "tapes"\n'
    )
    write_run(tmp_path, ["mod/test_a.json"])
    (tmp_path / "cassettes").rename(tmp_path / "tapes")
    entry = tmp_path / ".pytest_cache" / "v" / "bss" / "used"
    entry.write_text(entry.read_text().replace("/cassettes", "/tapes"))

    status, out = run(capsys, "unused", "--rootdir", str(tmp_path), "--delete")

    assert status == 0
    assert "pytest-bss unused: 2 of 4 cassettes deleted" in out
    assert count_cassettes(tmp_path / "tapes") == 2


def test_unused_without_rootdir_finds_the_project_and_its_cache_dir_from_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, ["mod/test_a.json"])
    (tmp_path / ".pytest_cache").rename(tmp_path / "build_cache")
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\ncache_dir = build_cache\n")
    (tmp_path / "tests").mkdir()
    monkeypatch.chdir(tmp_path / "tests")

    status, out = run(capsys, "unused")

    assert status == 1
    assert (
        out.splitlines()[-1]
        == "pytest-bss unused: 2 of 4 cassettes not used by the last replay run"
    )


def test_unused_delete_never_follows_a_symlink_out_of_the_cassette_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "project"
    cassette_dir = write_run(project, ["mod/test_a.json", "mod/test_b.json", "old/test_c.yaml"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.json").write_text("{}")
    (cassette_dir / "linked").symlink_to(elsewhere, target_is_directory=True)
    (cassette_dir / "link.json").symlink_to(elsewhere / "precious.json")

    run(capsys, "unused", "--rootdir", str(project), "--delete")

    assert (elsewhere / "precious.json").read_text() == "{}"


def test_unused_delete_refuses_a_cassette_folder_that_links_out_of_the_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    write_run(elsewhere, [])
    project = tmp_path / "project"
    (project / ".pytest_cache").mkdir(parents=True)
    (project / "cassettes").symlink_to(elsewhere / "cassettes", target_is_directory=True)
    shutil.copytree(elsewhere / ".pytest_cache", project / ".pytest_cache", dirs_exist_ok=True)

    status, out = run(capsys, "unused", "--rootdir", str(project), "--delete")

    assert status == 2
    assert "refusing to delete" in out
    assert count_cassettes(elsewhere / "cassettes") == 4


# --- pre-commit -------------------------------------------------------------------------


def test_the_pre_commit_hook_audits_the_configured_cassette_dir_when_json_or_yaml_changes() -> None:
    import re

    hooks = yamlserializer.deserialize((REPO / ".pre-commit-hooks.yaml").read_text())
    (hook,) = [h for h in hooks if h["id"] == "pytest-bss-audit"]
    assert hook["entry"] == "pytest-bss audit"
    assert hook["language"] == "python"
    # No file names: `pytest-bss audit` alone reads bss_cassette_dir (tested above).
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    assert files.search("cassettes/tests.test_x/test_y.json")
    assert files.search("tests/tapes/test_module/test_z.yaml")
    assert not files.search("tests/test_x.py")


def test_the_documented_local_hook_is_the_published_hook_run_from_the_project_env() -> None:
    import re

    text = (REPO / "docs" / "install.md").read_text()
    (block,) = re.findall(r"```yaml\n(repos:\n  - repo: local\n.*?)```", text, re.S)
    (local,) = yamlserializer.deserialize(block)["repos"][0]["hooks"]
    (published,) = yamlserializer.deserialize((REPO / ".pre-commit-hooks.yaml").read_text())

    assert local["language"] == "system"
    for key in ("id", "entry", "pass_filenames", "files", "require_serial"):
        assert local[key] == published[key], key
    assert "OWNER" not in text
