"""Cassettes of other tools and shapes: read, audited, scrubbed in their own form (issue 12)."""

from __future__ import annotations

import base64
import gzip
import json
import os
from pathlib import Path

import pytest
import yaml
from cassette_data import cassette
from vcr.persisters.filesystem import FilesystemPersister
from vcr.serializers import jsonserializer, yamlserializer

from pytest_bss.cli import main
from pytest_bss.formats import find_cassettes, read_cassette

# Synthetic look-alikes, never real credentials.
TOKEN = "gho_" + "Ab3dE5gH7jK9mN1pQ3sT5vX7zB9dF1hJ3lN5"
PASSWORD = "correct-horse-battery-staple-0042"
PAST_NS = 1_000_000_000 * 1_000_000_000


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().out


def vcrpy_json(indent: int = 4) -> str:
    data = {
        "interactions": [
            {
                "response": {
                    "body": {"string": json.dumps({"access_token": TOKEN, "scope": "repo"})},
                    "headers": {"Content-Type": ["application/json"]},
                    "status": {"message": "OK", "code": 200},
                },
                "request": {
                    "uri": "https://api.example.test/login/oauth/access_token",
                    "method": "POST",
                    "headers": {"Accept": ["application/json"]},
                    "body": f"grant_type=password&username=me&password={PASSWORD}",
                },
            },
            {
                "request": {
                    "method": "GET",
                    "uri": "https://api.example.test/user",
                    "headers": {"Authorization": [f"token {TOKEN}"]},
                    "body": None,
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {},
                    "body": {"string": '{"login": "me"}'},
                },
            },
        ],
        "version": 1,
    }
    return json.dumps(data, indent=indent) + "\n"


def betamax_json() -> str:
    body = json.dumps({"access_token": TOKEN}).encode()
    data = {
        "http_interactions": [
            {
                "recorded_at": "2015-01-01T00:00:00",
                "request": {
                    "body": {"encoding": "utf-8", "string": ""},
                    "headers": {"Authorization": f"token {TOKEN}", "Accept": "*/*"},
                    "method": "GET",
                    "uri": "https://api.example.test/user",
                },
                "response": {
                    "body": {"encoding": "utf-8", "base64_string": base64.b64encode(body).decode()},
                    "headers": {"Content-Type": "application/json"},
                    "status": {"code": 200, "message": "OK"},
                    "url": "https://api.example.test/user",
                },
            }
        ],
        "recorded_with": "betamax/0.8.1",
    }
    return json.dumps(data)


PY2_YAML = f"""interactions:
- request:
    body: [[grant_type, password], [username, me], [password, {PASSWORD}]]
    headers:
      Content-Type: [!!python/unicode 'application/x-www-form-urlencoded']
    method: POST
    uri: https://api.example.test/oauth/token
  response:
    body: {{string: !!python/unicode '{{"access_token": "{TOKEN}"}}'}}
    headers:
      content-type: [application/json]
    status: {{code: 200, message: OK}}
version: 1
"""


def changed_lines(before: str, after: str) -> int:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    return sum(a != b for a, b in zip(old, new, strict=True))


def assert_clean(capsys: pytest.CaptureFixture[str], path: Path) -> None:
    status, out = run(capsys, "audit", str(path))
    assert status == 0, out
    text = path.read_text()
    assert TOKEN not in text
    assert PASSWORD not in text


def test_a_scrubbed_json_file_keeps_its_indentation_and_key_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "login.json"
    before = vcrpy_json(indent=4)
    path.write_text(before)

    status, out = run(capsys, "scrub", str(path))

    assert status == 0, out
    after = path.read_text()
    assert changed_lines(before, after) == 3  # the form, the token response, the header
    assert_clean(capsys, path)
    loaded = FilesystemPersister.load_cassette(str(path), jsonserializer)
    assert len(loaded[0]) == 2  # vcrpy still loads it


def test_a_file_with_nothing_to_replace_is_not_rewritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "clean.json"
    clean = vcrpy_json().replace(TOKEN, "<BSS_ACCESS_TOKEN_1>").replace(PASSWORD, "<BSS_PASSWORD>")
    path.write_text(clean.replace("username=me", "username=<BSS_USERNAME>"))
    os.utime(path, ns=(PAST_NS, PAST_NS))

    status, out = run(capsys, "scrub", str(path))

    assert status == 0, out
    assert "1 already clean" in out
    assert path.stat().st_mtime_ns == PAST_NS


def test_a_betamax_cassette_is_read_audited_and_scrubbed_as_betamax(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "github_user.json"
    path.write_text(betamax_json())
    file = read_cassette(path)
    assert (file.tool, len(file.data["interactions"])) == ("betamax", 1)

    status, out = run(capsys, "audit", str(path))
    assert status == 1
    assert "interaction 0: request.headers.Authorization" in out

    status, out = run(capsys, "scrub", str(path))

    assert status == 0, out
    document = json.loads(path.read_text())
    interaction = document["http_interactions"][0]
    assert interaction["recorded_at"] == "2015-01-01T00:00:00"
    assert interaction["request"]["headers"]["Authorization"].startswith("token <BSS_")
    body = base64.b64decode(interaction["response"]["body"]["base64_string"])
    assert TOKEN.encode() not in body
    assert json.loads(body)["access_token"].startswith("<BSS_ACCESS_TOKEN")
    assert_clean(capsys, path)


def test_a_python_2_era_yaml_cassette_with_form_pairs_is_read_and_scrubbed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.yaml"
    path.write_text(PY2_YAML)

    status, out = run(capsys, "audit", str(path))
    assert status == 1
    assert "interaction 0: request.body" in out

    status, out = run(capsys, "scrub", str(path))

    assert status == 0, out
    assert_clean(capsys, path)
    document = yaml.safe_load(path.read_text().replace("!!python/unicode ", ""))
    pairs = document["interactions"][0]["request"]["body"]
    assert pairs[0] == ["grant_type", "password"]  # still a list of pairs
    assert pairs[2] == ["password", "<BSS_PASSWORD>"]


def test_a_gzip_binary_body_is_scrubbed_and_still_loads_in_vcrpy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = gzip.compress(json.dumps({"access_token": TOKEN}).encode())
    data = {
        "interactions": [
            {
                "request": {
                    "method": "POST",
                    "uri": "https://h.test/token",
                    "body": None,
                    "headers": {},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"Content-Encoding": ["gzip"], "Content-Type": ["application/json"]},
                    "body": {"string": body},
                },
            }
        ],
        "version": 1,
    }
    path = tmp_path / "gzipped.yaml"
    path.write_text(yamlserializer.serialize(data))

    status, out = run(capsys, "scrub", str(path))

    assert status == 0, out
    assert_clean(capsys, path)
    requests, responses = FilesystemPersister.load_cassette(str(path), yamlserializer)
    assert len(requests) == len(responses) == 1


def test_a_folder_run_reads_suffixless_cassettes_and_lists_every_skipped_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "cassettes"
    folder.mkdir()
    (folder / "test_login").write_text(PY2_YAML)  # vcrpy's default name: no suffix
    (folder / "README.md").write_text("# Our cassettes\n")
    (folder / "settings.json").write_text('{"theme": "dark"}')

    files, skipped = find_cassettes([folder])
    status, out = run(capsys, "audit", str(folder))

    assert [p.name for p in files] == ["settings.json", "test_login"]
    assert [s.path.name for s in skipped] == ["README.md"]
    assert status == 1
    assert f"{folder / 'test_login'}: interaction 0: request.body" in out
    assert f"{folder / 'README.md'}: skipped (not a cassette: no 'interactions'" in out
    assert f"{folder / 'settings.json'}: skipped (not a cassette" in out
    assert out.splitlines()[-1].startswith("pytest-bss audit: ")
    assert "2 other files skipped" in out.splitlines()[-1]


# -- found by attacking scrub + audit: nothing in a file goes unread ------------------------

SHAPED = "ghp_" + "Qw9Er8Ty7Ui6Op5As4Df3Gh2Jk1Lz0Xc9Vb8"  # synthetic


def scrub_then_audit(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, int, str]:
    scrubbed, _ = run(capsys, "scrub", str(path))
    audited, out = run(capsys, "audit", str(path))
    return scrubbed, audited, out


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "dup.json",
            '{"version": 1, "interactions": [{"request": {"method": "GET", "uri": "http://h/",'
            ' "body": null, "headers": {}}, "response": {"status": {"code": 200, "message":'
            f' "OK"}}, "headers": {{}}, "body": {{"string": "{SHAPED}", "string": "ok"}}}}}}]}}',
        ),
        (
            "dup.yaml",
            "interactions:\n- request: {method: GET, uri: 'http://h/', body: null, headers: {}}\n"
            f"  response: {{status: {{code: 200, message: OK}}, headers: {{}}, body: {{string: {SHAPED}}},"
            " body: {string: ok}}\nversion: 1\n",
        ),
    ],
)
def test_every_value_of_a_repeated_key_is_read_and_scrubbed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str
) -> None:
    # vcrpy loads such a file (the last value wins): audit reads the value it drops too,
    # and scrub replaces it in place.
    path = tmp_path / name
    path.write_text(text)
    serializer = jsonserializer if name.endswith(".json") else yamlserializer
    loaded = vcrpy_view(path, serializer)

    audited_before, found = run(capsys, "audit", str(path))
    scrubbed, audited, out = scrub_then_audit(capsys, path)

    assert audited_before == 1
    assert "interaction 0: response.body: GitHub token" in found
    assert (scrubbed, audited) == (0, 0), out
    assert SHAPED not in path.read_text()
    assert path.read_text() == text.replace(SHAPED, "<BSS_ACCESS_TOKEN_1>")
    assert vcrpy_view(path, serializer) == loaded


def vcrpy_view(path: Path, serializer: object) -> object:
    requests, responses = FilesystemPersister.load_cassette(str(path), serializer)
    return [(r.method, r.uri, r.body, dict(r.headers)) for r in requests], responses


def test_a_repeated_key_read_three_ways(tmp_path: Path) -> None:
    path = tmp_path / "three.yaml"
    path.write_text(
        "interactions:\n- request: {method: GET, uri: 'http://h/', body: null,\n"
        "    headers: {X-Api-Key: [one], X-Api-Key: [two], X-Api-Key: [three]}}\n"
        "  response: {status: {code: 200, message: OK}, headers: {}, body: {string: ok}}\n"
        "version: 1\n"
    )

    file = read_cassette(path)

    seen = [
        read.data["interactions"][0]["request"]["headers"]["X-Api-Key"]
        for read in (file, *file.shadows)
    ]
    assert seen == [["three"], ["one"], ["two"]]


def test_a_credential_outside_the_interactions_is_found_and_scrubbed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(betamax_json())
    data["http_interactions"][0]["response"]["url"] = f"https://h.test/cb?access_token={TOKEN}"
    data["note"] = f"recorded with {SHAPED}"
    path = tmp_path / "betamax.json"
    path.write_text(json.dumps(data))

    status, out = run(capsys, "audit", str(path))
    assert status == 1
    assert "interaction 0: response.url: access_token (query field)" in out
    assert f"{path}: note: GitHub token" in out

    scrubbed, audited, _ = scrub_then_audit(capsys, path)

    assert (scrubbed, audited) == (0, 0)
    text = path.read_text()
    assert TOKEN not in text
    assert SHAPED not in text


def test_a_token_in_a_yaml_comment_is_found_and_scrubbed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "commented.yaml"
    path.write_text(f"# recorded with {SHAPED}\n" + PY2_YAML)

    status, out = run(capsys, "audit", str(path))
    assert status == 1
    assert "file text: GitHub token outside any value (a comment?)" in out

    scrub_then_audit(capsys, path)

    assert SHAPED not in path.read_text()


def test_json_nested_too_deep_to_parse_is_unreadable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "[" * 2000 + '{"password": "hunter2hunter2"}' + "]" * 2000
    data = json.loads(vcrpy_json())
    data["interactions"][1]["response"]["body"]["string"] = body
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(data))

    status, out = run(capsys, "audit", str(path))

    assert status == 1
    assert "JSON nested too deep to parse" in out


def test_a_parse_error_says_where_without_quoting_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tag.yaml"
    path.write_text(f"interactions:\n- request: !{SHAPED} x\n")

    status, out = run(capsys, "audit", str(path))

    assert status == 1
    assert "cannot be parsed (YAML error at line 2, column" in out
    assert SHAPED not in out


# -- bodies in the codings urllib3 asks for when their library is installed -----------------


def _compressed_cassette(path: Path, coding: str, body: bytes) -> None:
    data = cassette(
        uri="https://api.example.test/user",
        request_headers={"Accept-Encoding": ["gzip, deflate, br, zstd"]},
        response_headers={"Content-Encoding": [coding]},
        response_body=body,
    )
    path.write_text(yaml.safe_dump(data))


def _compress(coding: str, data: bytes) -> bytes:
    if coding == "br":
        return pytest.importorskip("brotli").compress(data)  # type: ignore[no-any-return]
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        zstd = pytest.importorskip("backports.zstd")
    return zstd.compress(data)  # type: ignore[no-any-return]


@pytest.mark.parametrize("coding", ["br", "zstd"])
def test_brotli_and_zstd_bodies_are_read_and_scrubbed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], coding: str
) -> None:
    path = tmp_path / f"{coding}.yaml"
    _compressed_cassette(path, coding, _compress(coding, json.dumps({"token": TOKEN}).encode()))

    audited_before, found = run(capsys, "audit", str(path))
    scrubbed, audited, out = scrub_then_audit(capsys, path)

    assert audited_before == 1
    assert "interaction 0: response.body: GitHub token" in found
    assert (scrubbed, audited) == (0, 0), out
    assert "<BSS_ACCESS_TOKEN_1>" in read_cassette(path).text


def test_a_body_in_a_coding_without_its_library_names_the_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from vcr import filters

    from pytest_bss import decoding

    monkeypatch.setattr(decoding, "_optional_decompressor", lambda coding: None)
    monkeypatch.delitem(filters.AVAILABLE_DECOMPRESSORS, "br", raising=False)
    path = tmp_path / "zstd.yaml"
    _compressed_cassette(path, "zstd", b"\x28\xb5\x2f\xfd" + bytes(range(40)))

    status, out = run(capsys, "audit", str(path))

    assert status == 1
    assert 'zstd-encoded; pip install "pytest-bss[compression]" reads it' in out
