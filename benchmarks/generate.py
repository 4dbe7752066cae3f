"""Generate synthetic BSS cassettes and pytest suites for the replay benchmarks.

Two shapes, the same interactions for every contender:

- ``large``: one test replays one cassette of ``size`` GETs of distinct account pages
  (``api/accounts?pageIndex=<i>&pageSize=25``);
- ``small``: ``size`` tests, each replaying its own cassette of ``per_test`` such GETs.

Contenders (``--tool``), each written to its own tree with its own ``pytest.ini``:

- ``bss``: pytest-bss JSON cassettes (``cassettes/<module>/<test>.json`` plus the shared
  ``cassettes/bss_auth.json``) and tests that use the ``bss_client`` fixture;
- ``recording``: pytest-recording YAML cassettes (``cassettes/<module>/<test>.yaml`` next
  to the test file, written by vcrpy's own serializer) and ``@pytest.mark.vcr`` tests
  calling plain ``requests``;
- ``floor``: the same requests answered from a dict by a ``requests`` transport adapter
  that reads the test's JSON cassette: the cost of replay without vcrpy;
- ``responses`` (small only): the same calls mocked by ``responses``;
- ``nohttp`` (small only): the tests parse the same response bodies without any HTTP.

Every test checks the first account id of each page, so a mismatched replay fails.
Response bodies are accounts pages of realistic size (about 2.7 KB per interaction
in a JSON cassette, as in the issue's 11 MB / 4,000-interaction cassette).

Usage::

    python benchmarks/generate.py large --size 1000 --tool bss --out /tmp/bench-large
    python benchmarks/generate.py small --size 500 --per-test 5 --tool recording --out /tmp/s
    python benchmarks/generate.py load --size 4000 --out /tmp/load   # JSON + YAML pair
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BASE_URL = "https://bss.tenant.invalid/"
PAGE_SIZE = 25
FIRST_ID = 1001
MODULES = {"large": "test_large", "small": "test_many"}
TOOLS = {
    "large": ("bss", "recording", "floor"),
    "small": ("bss", "recording", "floor", "responses", "nohttp"),
}

_NAMES = ("Blue Yonder", "Graphic Data", "Fabrikam", "Litware", "Contoso", "Northwind")
_KINDS = ("Logistics", "Media", "Networks", "Systems", "Foods", "Energy")
_SUFFIXES = ("Ltd", "GmbH", "LLC", "Group", "S.A.", "Inc.")


# ---------------------------------------------------------------------------
# Interactions


def account(account_id: int) -> dict[str, Any]:
    """One account as the BSS API lists it (deterministic, about 85 bytes of JSON)."""
    n = account_id - FIRST_ID
    return {
        "id": account_id,
        "name": f"{_NAMES[n % 6]} {_KINDS[n // 6 % 6]} {_SUFFIXES[n // 36 % 6]}",
        "code": f"ACC{account_id:05d}",
        "creditLimit": float(5000 + n % 40 * 500),
    }


def first_id(page: int) -> int:
    """The id of the first account on ``page`` (1-based)."""
    return FIRST_ID + (page - 1) * PAGE_SIZE


def page_body(page: int, total_count: int) -> str:
    """The JSON text of one accounts page, compact as the API sends it."""
    accounts = [account(first_id(page) + i) for i in range(PAGE_SIZE)]
    return json.dumps({"data": accounts, "totalCount": total_count}, separators=(",", ":"))


def page_uri(page: int) -> str:
    return f"{BASE_URL}api/accounts?pageIndex={page}&pageSize={PAGE_SIZE}"


def page_interaction(page: int, total_count: int) -> dict[str, Any]:
    """A recorded ``GET api/accounts`` in vcrpy's serialized form."""
    return {
        "request": {
            "method": "GET",
            "uri": page_uri(page),
            "body": None,
            "headers": {
                "Accept": ["application/json"],
                "X-Api-Version": ["latest"],
                "Authorization": ["Bearer <BSS_ACCESS_TOKEN_1>"],
            },
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["application/json; charset=utf-8"]},
            "body": {"string": page_body(page, total_count)},
        },
    }


def auth_interaction() -> dict[str, Any]:
    """The scrubbed password grant that pytest-bss's ``bss_token`` replays."""
    token = {"access_token": "<BSS_ACCESS_TOKEN_1>", "token_type": "bearer", "expires_in": 1799}
    return {
        "request": {
            "method": "POST",
            "uri": f"{BASE_URL}oauth/token",
            "body": "grant_type=password&username=%3CBSS_USERNAME%3E&password=%3CBSS_PASSWORD%3E",
            "headers": {
                "Authorization": ["Basic <BSS_CLIENT_CREDENTIALS>"],
                "Content-Type": ["application/x-www-form-urlencoded"],
            },
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["application/json"]},
            "body": {"string": json.dumps(token)},
        },
    }


def cassette(pages: Iterable[int], total_count: int) -> dict[str, Any]:
    interactions = [page_interaction(page, total_count) for page in pages]
    return {"version": 1, "interactions": interactions}


# ---------------------------------------------------------------------------
# Files


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write a cassette the way pytest-bss does (indented JSON, UTF-8)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_yaml(path: Path, data: dict[str, Any]) -> None:
    """Write a cassette with vcrpy's own YAML serializer (what pytest-recording records)."""
    from vcr.serializers import yamlserializer

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yamlserializer.serialize(data), encoding="utf-8")


def write_load_pair(out: Path, size: int) -> tuple[Path, Path]:
    """One cassette of ``size`` interactions as ``big.json`` and ``big.yaml``."""
    data = cassette(range(1, size + 1), size * PAGE_SIZE)
    json_path, yaml_path = out / "big.json", out / "big.yaml"
    write_json(json_path, data)
    write_yaml(yaml_path, data)
    return json_path, yaml_path


# ---------------------------------------------------------------------------
# Test modules

_HELPER = """

PAGE_SIZE = {page_size}
FIRST_ID = {first_id}


def replay(session, first, last):
    for page in range(first, last + 1):
        response = session.get(URL, params={{"pageIndex": page, "pageSize": PAGE_SIZE}})
        assert response.status_code == 200
        assert response.json()["data"][0]["id"] == FIRST_ID + (page - 1) * PAGE_SIZE
"""

_SESSION = """
HEADERS = {
    "Accept": "application/json",
    "X-Api-Version": "latest",
    "Authorization": "Bearer <BSS_ACCESS_TOKEN_1>",
}


def session():
    client = requests.Session()
    client.headers.update(HEADERS)
    return client
"""

_BODIES = """

BODIES = json.loads(pathlib.Path(__file__).with_name("bodies.json").read_text("utf-8"))
"""

_DICT_ADAPTER = '''

class DictAdapter(requests.adapters.BaseAdapter):
    """Answers from a dict keyed by (method, URL) built from the JSON cassette."""

    def __init__(self, path):
        super().__init__()
        data = json.loads(pathlib.Path(path).read_text("utf-8"))
        self.table = {
            (i["request"]["method"], i["request"]["uri"]): i["response"]
            for i in data["interactions"]
        }

    def send(self, request, **kwargs):
        recorded = self.table[(request.method, request.url)]
        response = requests.Response()
        response.status_code = recorded["status"]["code"]
        response.reason = recorded["status"]["message"]
        response.headers.update({k: v[0] for k, v in recorded["headers"].items()})
        response._content = recorded["body"]["string"].encode("utf-8")
        response.url, response.request = request.url, request
        return response

    def close(self):
        pass
'''

_RESPONSES_HELPERS = """

JSON = "application/json; charset=utf-8"


def page_url(page):
    return f"{URL}?pageIndex={page}&pageSize={PAGE_SIZE}"
"""

# Per tool: what the module starts with (imports, constants, helpers) ...
_PREAMBLES = {
    "bss": 'URL = "api/accounts"\n',
    "recording": f'import pytest\nimport requests\n\nURL = "{BASE_URL}api/accounts"\n{_SESSION}',
    "floor": (
        "import json\nimport pathlib\n\nimport requests\nimport requests.adapters\n\n"
        f'URL = "{BASE_URL}api/accounts"\n'
        'CASSETTES = pathlib.Path(__file__).parent / "cassettes" / pathlib.Path(__file__).stem\n'
        f"{_SESSION}{_DICT_ADAPTER}"
    ),
    "responses": (
        "import json\nimport pathlib\n\nimport requests\nimport responses\n\n"
        f'URL = "{BASE_URL}api/accounts"\n{_SESSION}{_BODIES}'
    ),
    "nohttp": f"import json\nimport pathlib\n{_BODIES}",
}
_NOHTTP_HELPER = """

PAGE_SIZE = {page_size}
FIRST_ID = {first_id}


def replay(first, last):
    for page in range(first, last + 1):
        body = json.loads(BODIES[str(page)])
        assert body["data"][0]["id"] == FIRST_ID + (page - 1) * PAGE_SIZE
"""

# ... and each of its tests, replaying the pages first … last.
_TESTS = {
    "bss": """
def {name}(bss_client):
    replay(bss_client, {first}, {last})
""",
    "recording": """
@pytest.mark.vcr
def {name}():
    with session() as client:
        replay(client, {first}, {last})
""",
    "floor": """
def {name}():
    with session() as client:
        client.mount("https://", DictAdapter(CASSETTES / "{name}.json"))
        replay(client, {first}, {last})
""",
    "responses": """
def {name}():
    with responses.RequestsMock() as mock, session() as client:
        for page in range({first}, {last} + 1):
            mock.get(page_url(page), body=BODIES[str(page)], content_type=JSON)
        replay(client, {first}, {last})
""",
    "nohttp": """
def {name}():
    replay({first}, {last})
""",
}


def module_source(tool: str, tests: dict[str, range]) -> str:
    """The text of one generated test module: preamble, helper, one function per test."""
    helper = _NOHTTP_HELPER if tool == "nohttp" else _HELPER
    parts = [
        f'"""Generated by benchmarks/generate.py for {tool}; do not edit."""\n\n',
        _PREAMBLES[tool],
        helper.format(page_size=PAGE_SIZE, first_id=FIRST_ID),
        _RESPONSES_HELPERS if tool == "responses" else "",
    ]
    parts += [
        "\n" + _TESTS[tool].format(name=name, first=pages.start, last=pages.stop - 1)
        for name, pages in tests.items()
    ]
    return "".join(parts)


# ---------------------------------------------------------------------------
# Trees


@dataclass(frozen=True)
class Suite:
    """A generated tree: where it is and what a passing run replays."""

    root: Path
    tool: str
    tests: int
    interactions: int


def plan(shape: str, size: int, per_test: int = 5) -> dict[str, range]:
    """Test name → the pages it requests."""
    if shape == "large":
        return {"test_replay": range(1, size + 1)}
    if shape == "small":
        return {
            f"test_case_{t}": range(t * per_test + 1, (t + 1) * per_test + 1) for t in range(size)
        }
    raise ValueError(f"unknown shape {shape!r}")


def generate(shape: str, size: int, tool: str, out: Path, per_test: int = 5) -> Suite:
    """Write the ``shape`` suite of ``size`` for ``tool`` into the empty folder ``out``."""
    if tool not in TOOLS[shape]:
        raise ValueError(f"{tool!r} is not a contender for the {shape} shape")
    tests = plan(shape, size, per_test)
    module = MODULES[shape]
    total = sum(len(pages) for pages in tests.values())
    out.mkdir(parents=True, exist_ok=True)
    (out / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (out / f"{module}.py").write_text(module_source(tool, tests), encoding="utf-8")
    _write_data(tool, out, module, tests, total * PAGE_SIZE)
    return Suite(root=out, tool=tool, tests=len(tests), interactions=total)


def _write_data(
    tool: str, out: Path, module: str, tests: dict[str, range], total_count: int
) -> None:
    """Cassettes where each contender looks for them, or the bare bodies for the mocks."""
    if tool in ("responses", "nohttp"):
        bodies = {
            str(page): page_body(page, total_count) for pages in tests.values() for page in pages
        }
        (out / "bodies.json").write_text(json.dumps(bodies), encoding="utf-8")
        return
    write, suffix = (write_yaml, "yaml") if tool == "recording" else (write_json, "json")
    for name, pages in tests.items():
        write(out / "cassettes" / module / f"{name}.{suffix}", cassette(pages, total_count))
    if tool == "bss":
        auth = {"version": 1, "interactions": [auth_interaction()]}
        write_json(out / "cassettes" / "bss_auth.json", auth)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("shape", choices=("large", "small", "load"))
    parser.add_argument("--size", type=int, required=True, help="N interactions or N tests")
    parser.add_argument("--per-test", type=int, default=5, help="interactions per small test")
    parser.add_argument("--tool", choices=sorted({t for ts in TOOLS.values() for t in ts}))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.shape == "load":
        for path in write_load_pair(args.out, args.size):
            print(f"{path}  {path.stat().st_size / 1e6:.1f} MB")
        return
    if args.tool is None:
        parser.error("--tool is required for the large and small shapes")
    suite = generate(args.shape, args.size, args.tool, args.out, args.per_test)
    print(f"{suite.root}: {suite.tests} tests, {suite.interactions} interactions ({suite.tool})")


if __name__ == "__main__":
    main()
