"""What a review of ``scrub`` and ``audit`` on ordinary cassettes found (issue 12), kept fixed:
credentials in every ``Authorization`` scheme learned, one run's files scrubbed whatever
their order, links followed, tokens in binary bodies, header names and file names found,
minified and BOM files read, raw deflate decoded, line ends and marks kept.

Every credential here is synthetic (it holds "fake" where a shape allows).
"""

from __future__ import annotations

import base64
import json
import os
import zlib
from pathlib import Path
from typing import Any

import pytest
from vcr.persisters.filesystem import FilesystemPersister
from vcr.serializers import jsonserializer, yamlserializer

from pytest_bss.catalogue import header_kind
from pytest_bss.cli import main

TOKEN = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
GITHUB = "ghp_fakeQ7wZ3LmN2xPr9KtV5bYc8DhJ4sFg6Ae1"
SESSION = "Tk9Kq2fakeLm8Xp3Wn7Tb4Vc"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().out


def interaction(
    *, headers: dict[str, Any] | None = None, body: Any = "ok", content_type: str = ""
) -> dict[str, Any]:
    response_headers = {"Content-Type": [content_type]} if content_type else {}
    return {
        "request": {
            "method": "GET",
            "uri": "https://api.example.invalid/x",
            "body": None,
            "headers": headers or {},
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": response_headers,
            "body": {"string": body},
        },
    }


def assert_scrubbed_clean(capsys: pytest.CaptureFixture[str], path: Path, value: str) -> None:
    """``scrub`` rewrites ``path`` without ``value``, and ``audit`` then passes it."""
    status, out = run(capsys, "scrub", str(path))
    assert status == 0, out
    assert value not in path.read_text()
    assert run(capsys, "audit", str(path))[0] == 0


def write(path: Path, *interactions: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yamlserializer.serialize({"version": 1, "interactions": list(interactions)}))
    return path


@pytest.mark.parametrize("scheme", ["Token", "token", "Bot", "ApiKey", "Digest", ""])
def test_the_value_of_any_authorization_scheme_is_replaced_wherever_it_appears(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], scheme: str
) -> None:
    path = write(
        tmp_path / "login.yaml",
        interaction(body=json.dumps({"key": TOKEN}), content_type="application/json"),
        interaction(headers={"Authorization": [f"{scheme} {TOKEN}".strip()]}),
    )

    assert_scrubbed_clean(capsys, path, TOKEN)


def test_a_token_learned_in_one_file_is_replaced_in_files_that_come_before_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    early = write(tmp_path / "a_profile.yaml", interaction(body=f"your session is {SESSION}"))
    write(tmp_path / "b_login.yaml", interaction(headers={"Authorization": [f"Bearer {SESSION}"]}))

    status, out = run(capsys, "scrub", str(tmp_path))

    assert status == 0, out
    assert SESSION not in early.read_text()
    assert "2 rewritten" in out


def test_scrub_writes_through_a_link_and_keeps_the_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = write(tmp_path / "outside" / "real.yaml", interaction(headers={"X-Api-Key": [TOKEN]}))
    (tmp_path / "cas").mkdir()
    link = tmp_path / "cas" / "link.yaml"
    link.symlink_to(real)

    status, out = run(capsys, "scrub", str(tmp_path / "cas"))

    assert status == 0, out
    assert link.is_symlink()
    assert TOKEN not in real.read_text()


def test_a_linked_folder_is_read_and_a_broken_link_is_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "shared" / "s.yaml", interaction(headers={"X-Api-Key": [TOKEN]}))
    (tmp_path / "cas").mkdir()
    (tmp_path / "cas" / "shared").symlink_to(tmp_path / "shared", target_is_directory=True)
    (tmp_path / "cas" / "loop").symlink_to(tmp_path / "cas", target_is_directory=True)
    (tmp_path / "cas" / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")

    status, out = run(capsys, "audit", str(tmp_path / "cas"))

    assert status == 1
    assert "shared/s.yaml: interaction 0: request.headers.X-Api-Key" in out
    assert "gone.yaml: skipped (a broken symbolic link)" in out


def test_a_token_in_binary_data_or_a_header_name_is_found_and_scrubbed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blob = b"\x00\x01\xff" + GITHUB.encode() + b"\x00"
    path = write(
        tmp_path / "binary.yaml",
        interaction(body=blob, content_type="application/octet-stream"),
        interaction(headers={GITHUB: ["1"]}),
    )

    status, out = run(capsys, "audit", str(path))
    assert status == 1
    assert "response.body: GitHub token in binary data" in out
    assert "request.headers (name 1): GitHub token" in out
    assert GITHUB not in out

    status, out = run(capsys, "scrub", str(path))
    assert status == 0, out
    data = yamlserializer.deserialize(path.read_text())
    assert GITHUB.encode() not in data["interactions"][0]["response"]["body"]["string"]
    assert data["interactions"][0]["response"]["body"]["string"].startswith(b"\x00\x01\xff<BSS_")
    assert GITHUB not in json.dumps(list(data["interactions"][1]["request"]["headers"]))


def test_a_token_in_a_file_name_is_a_finding_and_never_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / f"test_x[{GITHUB}].yaml", interaction())

    for report in ("text", "json", "sarif"):
        status, out = run(capsys, "audit", "--format", report, str(path))
        assert status == 1
        assert GITHUB not in out
        assert "github_token" in out


@pytest.mark.parametrize(
    "text",
    [
        '{"interactions": [], "version": 1}',  # minified JSON
        '{"http_interactions": [], "recorded_with": "betamax"}',
        "\ufeffinteractions: []\nversion: 1\n",  # a YAML file with a byte-order mark
    ],
)
def test_a_file_without_a_suffix_is_read_by_its_content(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    (tmp_path / "test_login").write_text(text)

    status, out = run(capsys, "audit", str(tmp_path))

    assert status == 0, out
    assert "skipped" not in out
    assert "1 cassette" in out


def test_a_raw_deflate_body_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = compressor.compress(json.dumps({"access_token": TOKEN}).encode()) + compressor.flush()
    item = interaction(body=raw, content_type="application/json")
    item["response"]["headers"]["Content-Encoding"] = ["deflate"]
    path = write(tmp_path / "iis.yaml", item)

    status, out = run(capsys, "audit", str(path))

    assert status == 1
    assert "access_token in a JSON field" in out
    assert "unreadable" not in out


def test_line_ends_and_a_byte_order_mark_are_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = {
        "version": 1,
        "interactions": [interaction(headers={"Authorization": [f"Token {TOKEN}"]})],
    }
    windows = tmp_path / "windows.json"
    windows.write_bytes(json.dumps(data, indent=2).replace("\n", "\r\n").encode())
    marked = tmp_path / "marked.yaml"
    marked.write_bytes(
        ("\ufeff" + yamlserializer.serialize(data)).replace("\n", "\r\n").encode("utf-8")
    )

    status, out = run(capsys, "scrub", str(tmp_path))

    assert status == 0, out
    assert "2 rewritten" in out
    for path, start in ((windows, b"{\r\n"), (marked, b"\xef\xbb\xbf")):
        raw = path.read_bytes()
        assert raw.startswith(start)
        assert raw.count(b"\n") == raw.count(b"\r\n")
        assert TOKEN.encode() not in raw
    assert len(FilesystemPersister.load_cassette(str(windows), jsonserializer)[0]) == 1
    assert len(FilesystemPersister.load_cassette(str(marked), yamlserializer)[0]) == 1


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("DD-API-KEY", "api_key"),
        ("DD-APPLICATION-KEY", "api_key"),
        ("X-RapidAPI-Key", "api_key"),
        ("X-CMC_PRO_API_KEY", "api_key"),
        ("Circle-Token", "access_token"),
        ("Api-Token", "access_token"),
        ("Token", "access_token"),
        ("Secret-Key", "api_key"),
        ("X-Consumer-Key", "api_key"),
        ("Authentication", "access_token"),
        ("Sec-WebSocket-Key", None),
        ("Idempotency-Key", None),
        ("Continuation-Token", None),
        ("X-CSRF-Token", None),
    ],
)
def test_vendor_token_headers_are_credential_positions(name: str, kind: str | None) -> None:
    assert header_kind(name) == kind


def test_interrupting_the_command_exits_130_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "a.yaml", interaction(headers={"X-Api-Key": [TOKEN]}))
    before = path.read_bytes()

    def interrupt(*args: object, **kwargs: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr("pytest_bss.cli._scrub_file", interrupt)
    status = main(["scrub", str(path)])

    assert status == 130
    assert "interrupted" in capsys.readouterr().err
    assert path.read_bytes() == before
    assert not [p for p in os.listdir(tmp_path) if p != "a.yaml"]


def test_base64_of_the_binary_blob_is_what_vcrpy_reads_back() -> None:
    # the !!binary body above is vcrpy's own YAML for bytes (a guard on the test itself)
    blob = b"\x00" + GITHUB.encode()
    text = yamlserializer.serialize({"interactions": [interaction(body=blob)], "version": 1})
    assert base64.b64encode(blob).decode()[:20] in text.replace("\n", "").replace(" ", "")


# --- the second round ---------------------------------------------------------------------


def test_a_token_next_to_a_dash_or_an_underscore_is_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / f"test_api[{GITHUB}-200].yaml",
        interaction(headers={f"X-Token-{GITHUB}": ["1"]}, body=f"deploy key: bob-{GITHUB}"),
    )

    status, out = run(capsys, "audit", str(path))

    assert status == 1
    assert GITHUB not in out
    assert "file name: GitHub token" in out
    assert "request.headers (name 1): GitHub token" in out
    assert "response.body: GitHub token" in out


def test_a_body_compressed_without_a_content_encoding_is_searched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import gzip

    body = gzip.compress(f"GITHUB_TOKEN={GITHUB}\n".encode())
    path = write(tmp_path / "export.yaml", interaction(body=body, content_type="application/gzip"))
    before = path.read_bytes()

    status, out = run(capsys, "audit", str(path))
    assert status == 1
    assert "GitHub token in compressed data" in out

    status, out = run(capsys, "scrub", str(path))  # it cannot rewrite inside the gzip: refused
    assert status == 1
    assert "refused" in out
    assert path.read_bytes() == before


def test_a_known_value_in_a_file_name_is_a_finding_and_never_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "a_login.yaml", interaction(headers={"Authorization": [f"Token {TOKEN}"]}))
    named = write(tmp_path / f"test_repo[{TOKEN}].yaml", interaction())

    status, out = run(capsys, "scrub", str(tmp_path))

    assert status == 1
    assert TOKEN not in out
    assert "test_repo[<BSS_ACCESS_TOKEN_1>].yaml: refused" in out
    assert named.exists()


def test_a_folder_that_cannot_be_listed_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_bss import formats

    write(tmp_path / "a.yaml", interaction())
    walk = os.walk

    def failing_walk(top: str, **kwargs: Any) -> Any:
        yield from walk(top, followlinks=kwargs.get("followlinks", False))
        error = PermissionError(13, "Permission denied")
        error.filename = str(Path(top) / "locked")
        kwargs["onerror"](error)

    monkeypatch.setattr(formats.os, "walk", failing_walk)
    files, skipped = formats.find_cassettes([tmp_path])

    assert files == [tmp_path / "a.yaml"]
    assert [str(s) for s in skipped] == [
        f"{tmp_path / 'locked'}: skipped (a folder that cannot be read (Permission denied))"
    ]


def test_a_file_name_that_is_not_utf8_does_not_stop_a_scrub(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = Path(os.fsdecode(os.fsencode(tmp_path) + b"/b\xe9.yaml"))
    write(odd, interaction(headers={"X-Api-Key": [TOKEN]}))
    after = write(tmp_path / "c.yaml", interaction(headers={"X-Api-Key": [TOKEN]}))

    status, out = run(capsys, "scrub", str(tmp_path))

    assert status == 0, out
    assert TOKEN not in after.read_text()
    assert TOKEN not in odd.read_text()


def test_a_credential_in_a_link_header_or_an_html_link_is_found_and_scrubbed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = f'<https://api.example.invalid/x?page=2&access_token={TOKEN}>; rel="next"'
    header = interaction(body="[]", content_type="application/json")
    header["response"]["headers"]["Link"] = [link]
    page = interaction(
        body=f'<a href="https://x.invalid/reset?token={TOKEN}&amp;u=1">reset</a>',
        content_type="text/html",
    )
    path = write(tmp_path / "links.yaml", header, page)

    status, out = run(capsys, "audit", str(path))
    assert status == 1
    assert "response.headers.Link: access_token in the query string" in out
    assert "interaction 1: response.body: access_token in the query string" in out

    assert_scrubbed_clean(capsys, path, TOKEN)


def test_headers_as_pairs_and_extra_body_keys_are_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(
        "interactions:\n- request:\n    body: null\n"
        f'    headers: [[Authorization, "Token {TOKEN}"], [Accept, "*/*"]]\n'
        "    method: GET\n    uri: https://api.example.invalid/x\n"
        f"  response:\n    body: {{string: ok, encoding: utf-8, data: {GITHUB}}}\n"
        "    headers: {}\n    status: {code: 200, message: OK}\nversion: 1\n"
    )
    before = path.read_text()

    status, out = run(capsys, "audit", str(path))
    assert status == 1
    assert "request.headers.Authorization" in out
    assert "response.body.data: GitHub token" in out

    status, out = run(capsys, "scrub", str(path))
    assert status == 0, out
    after = path.read_text()
    assert TOKEN not in after
    assert GITHUB not in after
    assert len(after.splitlines()) == len(before.splitlines())
    assert len(FilesystemPersister.load_cassette(str(path), yamlserializer)[0]) == 1


# --- the held-out corpus (29 real cassettes of 6 other projects) -------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "https://api.telegram.org/bot7617087239:VBfake54YHvSdKYubFp4DEpoG7eNnEt9EwM/getMe",
            "telegram_bot_token",
        ),
        ("?ticket=ST-097904-fakeRZQEfBZhm4VCxZ8u-sso&login-url=x", "cas_ticket"),
        ('{"serviceTicketId": "ST-123456-fakeAbCdEfGhIjKl12-cas"}', "cas_ticket"),
    ],
)
def test_telegram_bot_tokens_and_cas_tickets_are_token_shapes(text: str, kind: str) -> None:
    from pytest_bss.shapes import find_shapes

    assert [shape.kind for shape, _ in find_shapes(text)] == [kind]


def test_a_header_value_stored_as_bytes_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    oauth = f'OAuth oauth_consumer_key="fake-key", oauth_token="{TOKEN}", oauth_signature="x"'
    path = write(tmp_path / "oauth1.yaml", interaction(headers={"Authorization": [oauth.encode()]}))
    assert "!!binary" in path.read_text()

    status, out = run(capsys, "audit", str(path))
    assert status == 1
    assert "request.headers.Authorization" in out

    status, out = run(capsys, "scrub", str(path))
    assert status == 0, out
    requests, _ = FilesystemPersister.load_cassette(str(path), yamlserializer)
    assert TOKEN not in str(requests[0].headers)
    assert TOKEN not in path.read_text()
    assert run(capsys, "audit", str(path))[0] == 0


def test_a_public_oauth_client_id_in_a_query_is_no_credential() -> None:
    from pytest_bss.decoding import form_credentials

    assert list(form_credentials("clientId=GCM_ANDROID_DARK&locale=en", query=True)) == []
    # a random-looking one too (a Cognito app client id): public by design, RFC 6749, 2.2
    assert list(form_credentials(f"client_id={TOKEN}", query=True)) == []
    found = list(form_credentials(f"client_id={TOKEN}&client_secret={TOKEN}", query=False))
    assert [kind for _, kind, _ in found] == ["client_secret"]


def test_the_git_diff_driver_title_masks_a_token_in_a_file_name() -> None:
    from pytest_bss.gitdriver import GitDiffArgs

    name = f"cassettes/test_x[{GITHUB}].yaml"
    args = GitDiffArgs.parse([name, "/dev/null", "0" * 40, "100644", "/tmp/b", "1" * 40, "100644"])
    assert args is not None
    assert GITHUB not in args.title
    assert "test_x[<github_token>].yaml" in args.title
