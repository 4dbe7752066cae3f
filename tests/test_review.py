"""Reviewing cassettes: `pytest-bss show`, `pytest-bss diff` and the git driver (docs/cli.md)."""

from __future__ import annotations

import copy
import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_bss.cli import main
from pytest_bss.gitdriver import GitDiffArgs, attributes_line, driver_config
from pytest_bss.review import Change, redacted, semantic_diff, transcript
from pytest_bss.scrub import SecretSet

ACCOUNT = {"id": 1001, "name": "Northwind Cloud Ltd", "industry": "Retail", "creditLimit": 500.0}


def exchange(
    path: str = "api/accounts/1001",
    body: Any = ACCOUNT,
    *,
    method: str = "GET",
    status: int = 200,
    message: str = "OK",
    request_body: Any = None,
    **headers: str,
) -> dict[str, Any]:
    """One interaction as vcrpy saves it; ``body`` is dumped as JSON unless it is text or bytes."""
    text = body if isinstance(body, str | bytes) else json.dumps(body)
    response_headers = {"Content-Type": ["application/json; charset=utf-8"]}
    response_headers.update({name.replace("_", "-"): [value] for name, value in headers.items()})
    return {
        "request": {
            "method": method,
            "uri": f"https://bss.tenant.invalid/{path}",
            "body": request_body,
            "headers": {"Accept": ["application/json"], "X-Api-Version": ["latest"]},
        },
        "response": {
            "status": {"code": status, "message": message},
            "headers": response_headers,
            "body": {"string": text},
        },
    }


def cassette(*interactions: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "interactions": list(interactions)}


def lines(changes: list[Change]) -> list[str]:
    return [str(change) for change in changes]


def write(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=4), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


# --- transcript -----------------------------------------------------------------------------


def test_a_transcript_heads_each_interaction_with_method_path_and_status() -> None:
    data = cassette(
        exchange(), exchange("api/accounts/9", {"message": "no"}, status=404, message="Not Found")
    )

    out = transcript(data).splitlines()

    assert out[0] == "#0  GET /api/accounts/1001  →  200 OK"
    assert "#1  GET /api/accounts/9  →  404 Not Found" in out


def test_a_transcript_shows_the_request_and_response_headers() -> None:
    out = transcript(cassette(exchange(X_Request_Id="r-1"))).splitlines()

    assert out[1:5] == [
        "> GET https://bss.tenant.invalid/api/accounts/1001",
        "> Accept: application/json",
        "> X-Api-Version: latest",
        "< 200 OK",
    ]
    assert "< X-Request-Id: r-1" in out


def test_json_bodies_are_pretty_printed_with_their_keys_in_file_order() -> None:
    body = '{"zeta": 1, "alpha": {"b": [1, 2], "a": null}}'

    out = transcript(cassette(exchange(body=body)))

    assert out.endswith(
        "<\n"
        "< {\n"
        '<   "zeta": 1,\n'
        '<   "alpha": {\n'
        '<     "b": [\n'
        "<       1,\n"
        "<       2\n"
        "<     ],\n"
        '<     "a": null\n'
        "<   }\n"
        "< }\n"
    )


def test_a_text_body_is_shown_as_text_and_a_form_body_as_it_was_sent() -> None:
    interaction = exchange(body="plain words\nsecond line", method="POST", request_body="a=1&b=2")
    interaction["response"]["headers"]["Content-Type"] = ["text/plain"]

    out = transcript(cassette(interaction)).splitlines()

    assert "> a=1&b=2" in out
    assert out[-2:] == ["< plain words", "< second line"]


def test_a_binary_body_is_shown_by_its_size_and_type() -> None:
    interaction = exchange(body=b"\x89PNG\r\n\x1a\n\x00\xff\xfe" * 10)
    interaction["response"]["headers"]["Content-Type"] = ["image/png"]

    assert transcript(cassette(interaction)).splitlines()[-1] == "< <110 bytes, image/png>"


def test_a_compressed_body_is_shown_decompressed() -> None:
    interaction = exchange(body=gzip.compress(json.dumps({"id": 7}).encode()))
    interaction["response"]["headers"]["Content-Encoding"] = ["gzip"]

    out = transcript(cassette(interaction))

    assert '<   "id": 7' in out
    assert "Content-Encoding" not in out


def test_a_long_body_is_trimmed_with_a_count_of_what_was_left_out() -> None:
    body = {"data": list(range(100))}

    out = transcript(cassette(exchange(body=body)), max_body=5).splitlines()

    assert out[-6:] == [
        "< {",
        '<   "data": [',
        "<     0,",
        "<     1,",
        "<     2,",
        "< … (99 more lines)",
    ]
    assert transcript(cassette(exchange(body=body)), max_body=None).count("\n<     ") == 100


def test_a_cassette_without_interactions_says_so() -> None:
    assert transcript(cassette()) == "(no interactions)\n"


def test_redaction_replaces_a_credential_a_foreign_cassette_still_holds() -> None:
    interaction = exchange(body={"access_token": "eyJraWQiOiJhIn0.real-looking-token-value-123"})
    interaction["request"]["headers"]["Authorization"] = ["Bearer 9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c"]

    out = transcript(redacted(cassette(interaction), SecretSet()))

    assert "9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c" not in out
    assert "real-looking-token-value-123" not in out
    assert "> Authorization: Bearer <BSS_" in out


# --- semantic diff --------------------------------------------------------------------------


def test_identical_cassettes_have_no_changes() -> None:
    assert semantic_diff(cassette(exchange()), cassette(exchange())) == []


def test_one_changed_field_is_one_change_with_its_json_path() -> None:
    changed = {**ACCOUNT, "industry": "Finance"}

    changes = semantic_diff(cassette(exchange()), cassette(exchange(body=changed)))

    assert lines(changes) == [
        '#0  GET /api/accounts/1001  response.body $.industry: "Retail" → "Finance"'
    ]
    assert changes[0].as_dict()["old"] == "Retail"


def test_fields_added_and_removed_are_named() -> None:
    new = {key: value for key, value in ACCOUNT.items() if key != "creditLimit"}
    new["rating"] = {"score": 4}

    assert lines(semantic_diff(cassette(exchange()), cassette(exchange(body=new)))) == [
        "#0  GET /api/accounts/1001  response.body $.creditLimit: removed 500.0",
        '#0  GET /api/accounts/1001  response.body $.rating: added {"score": 4}',
    ]


@pytest.mark.parametrize(
    ("old", "new", "shown"),
    [
        (1, 1.0, "1 → 1.0"),
        (1, True, "1 → true"),
        ("1", 1, '"1" → 1'),
        ({"a": 1}, [1], '{"a": 1} → [1]'),
    ],
)
def test_a_change_of_type_is_a_change(old: Any, new: Any, shown: str) -> None:
    (change,) = semantic_diff(
        cassette(exchange(body={"v": old})), cassette(exchange(body={"v": new}))
    )

    assert str(change).endswith(f"$.v: {shown}")


def test_key_order_and_formatting_are_no_change() -> None:
    old = exchange(body='{"a": 1, "b": 2}')
    new = exchange(body='{"b":2,"a":1}')

    assert semantic_diff(cassette(old), cassette(new)) == []


def test_status_and_content_type_changes_are_reported() -> None:
    new = exchange(body={"message": "gone"}, status=404, message="Not Found")
    new["response"]["headers"]["Content-Type"] = ["application/problem+json"]

    out = lines(semantic_diff(cassette(exchange()), cassette(new)))

    assert out[:2] == [
        "#0  GET /api/accounts/1001  response.status: 200 OK → 404 Not Found",
        "#0  GET /api/accounts/1001  response.content-type: application/json; charset=utf-8 "
        "→ application/problem+json",
    ]


def test_headers_added_removed_and_changed_are_reported_but_not_content_length() -> None:
    old = exchange(X_Api_Version="2.2", X_Old="x", Content_Length="10")
    new = exchange(X_Api_Version="3.0", X_New="y", Content_Length="99")

    assert lines(semantic_diff(cassette(old), cassette(new))) == [
        "#0  GET /api/accounts/1001  response.header X-Old: removed x",
        "#0  GET /api/accounts/1001  response.header X-Api-Version: 2.2 → 3.0",
        "#0  GET /api/accounts/1001  response.header X-New: added y",
    ]


def test_volatile_headers_are_ignored_unless_asked_for() -> None:
    old = exchange(Date="Mon, 30 Nov 2026 09:00:00 GMT", X_Request_Id="a")
    new = exchange(Date="Tue, 01 Dec 2026 10:00:00 GMT", X_Request_Id="b")

    assert semantic_diff(cassette(old), cassette(new)) == []
    assert len(semantic_diff(cassette(old), cassette(new), volatile=())) == 2
    assert lines(semantic_diff(cassette(old), cassette(new), volatile=["X-Request-Id"])) == [
        "#0  GET /api/accounts/1001  response.header Date: Mon, 30 Nov 2026 09:00:00 GMT → "
        "Tue, 01 Dec 2026 10:00:00 GMT"
    ]


def test_a_volatile_attribute_is_masked_and_the_rest_of_the_header_compared() -> None:
    old = exchange(Set_Cookie="s=1; Expires=Mon, 30 Nov 2026 09:00:00 GMT; Path=/")
    same = exchange(Set_Cookie="s=1; Expires=Tue, 01 Dec 2026 10:00:00 GMT; Path=/")
    moved = exchange(Set_Cookie="s=1; Expires=Tue, 01 Dec 2026 10:00:00 GMT; Path=/api")

    assert semantic_diff(cassette(old), cassette(same)) == []
    (change,) = semantic_diff(cassette(old), cassette(moved))
    assert change.where == "response.header Set-Cookie"
    assert change.new == "s=1; Expires=Tue, 01 Dec 2026 10:00:00 GMT; Path=/api"


def test_interactions_pair_by_method_path_and_query_whatever_the_host_and_query_order() -> None:
    old = exchange("api/accounts?pageIndex=1&pageSize=20")
    new = exchange("api/accounts?pageSize=20&pageIndex=1")
    new["request"]["uri"] = new["request"]["uri"].replace("bss.tenant.invalid", "127.0.0.1:8080")

    assert semantic_diff(cassette(old), cassette(new)) == []


def test_added_and_removed_interactions_are_listed_where_they_stood() -> None:
    old = cassette(exchange("api/a"), exchange("api/b"), exchange("api/c"))
    new = cassette(
        exchange("api/a"),
        exchange("api/c"),
        exchange("api/d", method="POST", status=201, message="Created"),
    )

    assert lines(semantic_diff(old, new)) == [
        "#1  GET /api/b  removed (200 OK)",
        "#2  POST /api/d  added (201 Created)",
    ]


def test_duplicates_pair_in_order() -> None:
    first, second = exchange(body={"n": 1}), exchange(body={"n": 2})
    old = cassette(first, second)
    new = cassette(copy.deepcopy(first), exchange(body={"n": 3}), exchange(body={"n": 4}))

    assert lines(semantic_diff(old, new)) == [
        "#1  GET /api/accounts/1001  response.body $.n: 2 → 3",
        "#2  GET /api/accounts/1001  added (200 OK)",
    ]


def test_a_change_repeated_across_list_items_is_one_line() -> None:
    old = {"data": [{"id": i, "status": "ACTIVE"} for i in range(40)]}
    new = copy.deepcopy(old)
    for item in new["data"][:12]:
        item["status"] = "SUSPENDED"
    new["data"][20]["status"] = "CLOSED"

    assert lines(semantic_diff(cassette(exchange(body=old)), cassette(exchange(body=new)))) == [
        '#0  GET /api/accounts/1001  response.body $.data[*].status: "ACTIVE" → "SUSPENDED" '
        "(in 12 items)",
        '#0  GET /api/accounts/1001  response.body $.data[20].status: "ACTIVE" → "CLOSED"',
    ]


def test_many_different_changes_under_one_path_are_summarised() -> None:
    old = {"data": [{"id": i, "balance": i} for i in range(30)]}
    new = {"data": [{"id": i, "balance": i * 2 + 1} for i in range(30)]}

    (change,) = semantic_diff(cassette(exchange(body=old)), cassette(exchange(body=new)))

    assert str(change) == (
        "#0  GET /api/accounts/1001  response.body $.data[*].balance: changed in 30 items, "
        "e.g. $.data[0].balance: 0 → 1"
    )


def test_a_list_that_grew_or_shrank_names_the_items() -> None:
    old = {"data": [{"id": 1}, {"id": 2}]}
    grown = {"data": [{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}]}

    assert lines(semantic_diff(cassette(exchange(body=old)), cassette(exchange(body=grown)))) == [
        '#0  GET /api/accounts/1001  response.body $.data[2:4]: added [{"id": 3}, {"id": 4}]'
    ]
    assert lines(semantic_diff(cassette(exchange(body=grown)), cassette(exchange(body=old))))[
        0
    ].endswith('$.data[2:4]: removed [{"id": 3}, {"id": 4}]')


def test_a_long_list_of_values_says_what_was_added_and_removed() -> None:
    old = {"codes": [f"CODE-{i:04d}" for i in range(30)]}
    new = {"codes": [*old["codes"][1:], "CODE-9999"]}

    (change,) = semantic_diff(cassette(exchange(body=old)), cassette(exchange(body=new)))

    assert str(change).endswith(
        '$.codes: [… 30 items] → [… 30 items] (1 added: "CODE-9999"; 1 removed: "CODE-0000")'
    )


def test_a_request_body_change_is_reported_too() -> None:
    old = exchange(method="POST", request_body='{"name": "A"}')
    new = exchange(method="POST", request_body='{"name": "B"}')

    assert lines(semantic_diff(cassette(old), cassette(new))) == [
        '#0  POST /api/accounts/1001  request.body $.name: "A" → "B"'
    ]


def test_a_text_body_change_is_one_line() -> None:
    assert lines(semantic_diff(cassette(exchange(body="ok")), cassette(exchange(body="fine")))) == [
        '#0  GET /api/accounts/1001  response.body: "ok" → "fine"'
    ]


# --- git arguments --------------------------------------------------------------------------


def test_git_passes_seven_arguments_and_dev_null_for_a_missing_side() -> None:
    args = ["c/a.json", "/dev/null", ".", ".", "/tmp/new.json", "abc123", "100644"]

    parsed = GitDiffArgs.parse(args)

    assert parsed == GitDiffArgs("c/a.json", None, Path("/tmp/new.json"))
    assert parsed.title == "diff --bss-cassette a/c/a.json b/c/a.json"
    assert GitDiffArgs.parse(args[:2]) is None


def test_the_attributes_line_names_the_cassette_folder_of_the_repository(tmp_path: Path) -> None:
    assert attributes_line(tmp_path, tmp_path / "cassettes") == "cassettes/** diff=bss-cassette"
    assert (
        attributes_line(tmp_path, tmp_path / "tests" / "tapes")
        == "tests/tapes/** diff=bss-cassette"
    )
    assert (
        attributes_line(tmp_path / "repo", tmp_path / "elsewhere")
        == "cassettes/** diff=bss-cassette"
    )


# --- the commands ---------------------------------------------------------------------------


def test_show_prints_the_transcript(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "a.json", cassette(exchange(body={"data": list(range(60))})))

    status, out = run(capsys, "show", str(path))

    assert status == 0
    assert out.splitlines()[0] == "#0  GET /api/accounts/1001  →  200 OK"
    assert out.splitlines()[-1] == "< … (24 more lines)"  # 40 of 64 lines by default
    assert run(capsys, "show", "--max-body", "2", str(path))[1].splitlines()[-1] == (
        "< … (62 more lines)"
    )
    assert "more lines" not in run(capsys, "show", "--no-trim", str(path))[1]


def test_show_reads_yaml_and_betamax_cassettes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    betamax = {
        "http_interactions": [
            {
                "request": {
                    "method": "GET",
                    "uri": "https://x.invalid/api/ping",
                    "headers": {},
                    "body": {"string": ""},
                },
                "response": {
                    "status": {"code": 204, "message": "No Content"},
                    "headers": {},
                    "body": {"string": ""},
                },
            }
        ]
    }
    path = tmp_path / "betamax.json"
    path.write_text(json.dumps(betamax), encoding="utf-8")

    status, out = run(capsys, "show", str(path))

    assert (status, out.splitlines()[0]) == (0, "#0  GET /api/ping  →  204 No Content")


@pytest.mark.parametrize("content", [None, "not json {", '{"something": "else"}'])
def test_show_of_a_file_that_is_no_cassette_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None
) -> None:
    path = tmp_path / "x.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")

    status, out = run(capsys, "show", str(path))

    assert status == 2
    assert out.startswith("pytest-bss show: error: ")


def test_show_for_git_prints_a_file_that_is_no_cassette_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "notes.json"
    path.write_text("<<<<<<< HEAD\nmerge conflict\n", encoding="utf-8")

    status, out = run(capsys, "show", "--textconv", str(path))

    assert status == 0
    assert out.splitlines()[1:] == ["<<<<<<< HEAD", "merge conflict"]


def test_show_never_prints_a_bss_value_that_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    password = "pa55-W0rd-never-printed"
    monkeypatch.setenv("BSS_PASSWORD", password)
    interaction = exchange(body={"note": f"the password is {password}"})
    path = write(tmp_path / "leaky.json", cassette(interaction))

    status, out = run(capsys, "show", str(path))

    assert status == 0
    assert password not in out
    assert "the password is <BSS_PASSWORD>" in out


def test_the_same_cassette_in_json_and_in_yaml_has_no_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from vcr.serializers import yamlserializer

    data = cassette(exchange(), exchange("api/b", body="text", method="POST", request_body="a=1"))
    json_file = write(tmp_path / "c.json", data)
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text(yamlserializer.serialize(data), encoding="utf-8")

    assert run(capsys, "diff", str(json_file), str(yaml_file)) == (0, "")


def test_diff_exits_0_without_change_1_with_changes_and_2_on_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = write(tmp_path / "old.json", cassette(exchange(Date="Mon, 30 Nov 2026 09:00:00 GMT")))
    same = write(tmp_path / "same.json", cassette(exchange(Date="Tue, 01 Dec 2026 10:00:00 GMT")))
    new = write(tmp_path / "new.json", cassette(exchange(body={**ACCOUNT, "name": "Contoso"})))

    assert run(capsys, "diff", str(old), str(same)) == (0, "")
    assert run(capsys, "diff", str(old), str(new)) == (
        1,
        '#0  GET /api/accounts/1001  response.body $.name: "Northwind Cloud Ltd" → "Contoso"\n',
    )
    assert run(capsys, "diff", str(old))[0] == 2
    assert run(capsys, "diff", str(old), str(tmp_path / "missing.json"))[0] == 2


def test_diff_as_json_lists_every_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = write(tmp_path / "old.json", cassette(exchange()))
    new = write(
        tmp_path / "new.json", cassette(exchange(status=500, message="Internal Server Error"))
    )

    status, out = run(capsys, "diff", "--format", "json", str(old), str(new))

    assert status == 1
    (change,) = json.loads(out)["changes"]
    assert change["where"] == "response.status"
    assert (change["old"], change["new"]) == ("200 OK", "500 Internal Server Error")


def test_diff_compares_the_volatile_headers_the_project_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old = write(tmp_path / "old.json", cassette(exchange(Date="Mon", X_Trace="1")))
    new = write(tmp_path / "new.json", cassette(exchange(Date="Tue", X_Trace="2")))
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nbss_volatile_headers =\n    X-Trace\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)

    status, out = run(capsys, "diff", str(old), str(new))

    assert (status, out) == (1, "#0  GET /api/accounts/1001  response.header Date: Mon → Tue\n")
    assert run(capsys, "diff", "--all-headers", str(old), str(new))[1].count("\n") == 2


def test_diff_takes_the_seven_arguments_git_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = write(tmp_path / "old.json", cassette(exchange()))
    new = write(tmp_path / "new.json", cassette(exchange(), exchange("api/b")))
    git_args = ["cassettes/t.json", str(old), "a" * 40, "100644", str(new), "b" * 40, "100644"]

    status, out = run(capsys, "diff", *git_args)

    assert status == 0  # git stops at any other status
    assert out.splitlines() == [
        "diff --bss-cassette a/cassettes/t.json b/cassettes/t.json",
        "#1  GET /api/b  added (200 OK)",
    ]
    added = ["cassettes/t.json", "/dev/null", ".", ".", str(old), "b" * 40, "100644"]
    assert (
        run(capsys, "diff", *added)[1].splitlines()[1]
        == "#0  GET /api/accounts/1001  added (200 OK)"
    )
    unchanged = run(capsys, "diff", *git_args[:4], *git_args[1:4])
    assert unchanged == (
        0,
        "diff --bss-cassette a/cassettes/t.json b/cassettes/t.json (no semantic change)\n",
    )


def test_usage_lists_the_review_commands(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, "--help")

    assert status == 0
    for command in ("show", "diff", "git-setup"):
        assert command in out


# --- end to end: a re-recording against the emulator ---------------------------------------

SUITE = """
def test_reads_an_account(bss_client):
    assert bss_client.get_json("api/accounts/1001")["id"] == 1001

def test_pages_accounts(bss_client):
    assert len(list(bss_client.paginate("api/accounts", page_size=25))) > 25
"""

#: A conftest that changes one field of the emulator's data for the run it is in.
DRIFT = """
from pytest_bss.fake import server

def pytest_configure(config):
    original = server.build_tenant

    def build(accounts, seed):
        data = original(accounts, seed)
        data.accounts[1001]["industry"] = "Drifted Industry"
        return data

    server.build_tenant = build
    config.add_cleanup(lambda: setattr(server, "build_tenant", original))
"""


def test_diff_of_a_rerecording_with_one_changed_field_prints_that_field_and_nothing_else(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_suite=SUITE)
    pytester.runpytest("--bss-record", "--bss-emulator").assert_outcomes(passed=2)
    folder = pytester.path / "cassettes"
    before = pytester.path / "before"
    shutil.copytree(folder, before)
    pytester.makeconftest(DRIFT)

    pytester.runpytest("--bss-record", "--bss-emulator").assert_outcomes(passed=2)

    out = {}
    for path in sorted(folder.rglob("*.json")):
        relative = path.relative_to(folder)
        out[str(relative)] = run(capsys, "diff", str(before / relative), str(path))
    account = next(name for name in out if name.endswith("test_reads_an_account.json"))
    pages = next(name for name in out if name.endswith("test_pages_accounts.json"))
    old_industry = json.loads(
        json.loads((before / account).read_text())["interactions"][0]["response"]["body"]["string"]
    )["industry"]
    assert out.pop(account) == (
        1,
        f'#0  GET /api/accounts/1001  response.body $.industry: "{old_industry}" → '
        '"Drifted Industry"\n',
    )
    assert out.pop(pages) == (
        1,
        "#0  GET /api/accounts?pageIndex=1&pageSize=25  response.body $.data[0].industry: "
        f'"{old_industry}" → "Drifted Industry"\n',
    )
    assert set(out.values()) == {(0, "")}  # the token exchange: nothing changed


# --- git ------------------------------------------------------------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty git repository as the current folder, away from the user's git config,
    with this environment's pytest-bss first on PATH (git runs the driver)."""
    root = tmp_path / "repo"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_EXTERNAL_DIFF", "GIT_PAGER", "PAGER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    git(root, "init", "-q")
    git(root, "config", "user.name", "Reviewer")
    git(root, "config", "user.email", "reviewer@example.invalid")
    return root


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


@needs_git
def test_git_setup_configures_the_driver_and_says_the_attributes_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys, "git-setup")

    assert status == 0
    assert "set: diff.bss-cassette.textconv = pytest-bss show --textconv" in out
    assert out.splitlines()[-1].endswith(": cassettes/** diff=bss-cassette") or (
        "cassettes/** diff=bss-cassette" in out
    )
    assert git(repo, "config", "--get", "diff.bss-cassette.textconv").strip() == (
        "pytest-bss show --textconv"
    )
    assert not (repo / ".gitattributes").exists()


@needs_git
def test_git_setup_is_idempotent_and_writes_the_attributes_line_once(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".gitattributes").write_text("*.png binary", encoding="utf-8")
    run(capsys, "git-setup", "--write-gitattributes")
    config = (repo / ".git" / "config").read_text()

    status, out = run(capsys, "git-setup", "--write-gitattributes")

    assert status == 0
    assert "set:" not in out
    assert (repo / ".git" / "config").read_text() == config
    assert (repo / ".gitattributes").read_text() == "*.png binary\ncassettes/** diff=bss-cassette\n"


def test_git_setup_outside_a_repository_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))

    status, out = run(capsys, "git-setup")

    assert status == 2
    assert out.startswith("pytest-bss git-setup: error: ")


def test_the_driver_settings_name_the_commands() -> None:
    assert driver_config(semantic=True) == {
        "diff.bss-cassette.textconv": "pytest-bss show --textconv",
        "diff.bss-cassette.xfuncname": "^#[0-9]+  .*$",
        "diff.bss-cassette.command": "pytest-bss diff",
    }


def commit_and_change(repo: Path) -> Path:
    path = write(repo / "cassettes" / "t.json", cassette(exchange(), exchange("api/b")))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "recorded")
    write(path, cassette(exchange(), exchange("api/b", body={**ACCOUNT, "industry": "Finance"})))
    return path


@needs_git
def test_git_diff_compares_transcripts_through_the_textconv_driver(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "git-setup", "--write-gitattributes")
    commit_and_change(repo)

    out = git(repo, "diff", "--", "cassettes")

    changed = [
        line for line in out.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert changed == ['-<   "industry": "Retail",', '+<   "industry": "Finance",']
    assert "@@ #1  GET /api/b  →  200 OK" in out  # the hunk names its interaction


@needs_git
def test_git_diff_prints_the_semantic_diff_through_the_command_driver(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "git-setup", "--semantic", "--write-gitattributes")
    commit_and_change(repo)

    out = git(repo, "diff", "--", "cassettes")

    assert out.splitlines() == [
        "diff --bss-cassette a/cassettes/t.json b/cassettes/t.json",
        '#1  GET /api/b  response.body $.industry: "Retail" → "Finance"',
    ]


def test_textconv_masks_credential_like_values_in_a_file_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = "ghp_" + "Qw9Er8Ty7Ui6Op5As4Df3Gh2Jk1Lz0Xc9Vb8"  # synthetic
    path = tmp_path / "conflict.json"
    path.write_text(
        '<<<<<<< HEAD\n{"Authorization": ["Bearer abcdefghij1234567890"], '
        f'"access_token": "zzzYYYxxx111", "x": "{token}"}}\n',
        encoding="utf-8",
    )

    assert main(["show", "--textconv", str(path)]) == 0
    out = capsys.readouterr().out

    assert "Bearer <masked>" in out
    for value in ("abcdefghij1234567890", "zzzYYYxxx111", token):
        assert value not in out
