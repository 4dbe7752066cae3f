"""Does ``pytest-bss audit`` find exactly what an earlier revision found? (issue 12)

Usage: ``python benchmarks/audit_compare.py [--base REV] [--megabytes N] [--work-dir DIR]``

A speed-up of the audit must not change one finding. This script exports the package at
``--base`` (default ``HEAD``; a commit, branch or tag) with ``git archive``, then runs the
audit of that revision and of the working tree, each in its own subprocess, over the same
files, and compares every finding and masked position, in order:

* the real cassettes of ``tests/data/real_cassettes`` and the repository's own cassettes;
* N MB of the benchmark's generated cassettes (``benchmarks/audit.py``, default 4);
* generated cassettes with credentials planted in every form the audit reads (JSON fields,
  JSON inside JSON strings, percent-encoded, escaped and hex-encoded texts, query strings,
  URL userinfo, token shapes, cookies, random-looking values, other tools' placeholders);

each without canaries and with ``BSS_*`` canaries set (some of them planted too), once
file by file in-process (:func:`pytest_bss.audit.audit_path`) and once through the command
(``pytest-bss audit --format json``, which may audit files in parallel). Prints the
differences and exits 1 if there is any. Writes nothing outside the work folder (default
``benchmarks/_work/compare``, gitignored).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from audit import generate  # noqa: E402

CANARIES = {
    "BSS_CLIENT_KEY": "bss-client-7f3a9c",
    "BSS_CLIENT_SECRET": "Zq8vR2mN4kL7pX1wT9sB",
    "BSS_USERNAME": "ops.robot@example.com",
    "BSS_PASSWORD": "hunter2-Correct-Horse-42",
}

_WORKER = r"""
import json, sys
from pathlib import Path
from pytest_bss.audit import audit_path, canary_secrets, cassette_files
paths = [Path(p) for p in json.loads(sys.stdin.read())]
secrets = canary_secrets()
out = []
for path in cassette_files(paths):
    report = audit_path(path, secrets)
    out.append([str(path), [f.as_dict() for f in report.findings],
                [m.as_dict() for m in report.masked]])
json.dump(out, sys.stdout)
"""

_TOKEN = "Xk29aQpL0vZr7TbN4mWcE8yHs1uDf6Gj"
_GITHUB = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
_JWT = (
    base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    + "."
    + base64.urlsafe_b64encode(b'{"sub":"1234567890","iat":1516239022}').decode().rstrip("=")
    + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
_PAIR = base64.b64encode(
    f"{CANARIES['BSS_CLIENT_KEY']}:{CANARIES['BSS_CLIENT_SECRET']}".encode()
).decode()


def _plants(number: int) -> list[tuple[str, object]]:
    """(JSON key, value) pairs that hold a credential, or look like one, in some form."""
    nested = json.dumps({"access_token": f"{_TOKEN}{number}", "scope": "read"})
    return [
        ("apiKey", f"{_TOKEN}{number}"),
        ("client_secret", "<CLIENT_SECRET>"),  # another tool's placeholder: masked
        ("password", "REDACTED"),
        ("payload", nested),
        ("payload_twice", json.dumps(nested)),
        ("callback", f"https://app.invalid/cb?access_token={_TOKEN}&state=abc"),
        ("encoded", quote(f"https://app.invalid/cb?api_key={_TOKEN}", safe="")),
        ("proxy", f"https://robot:{_TOKEN}@proxy.invalid/"),
        ("note", f"use {_GITHUB} here"),
        ("hex", f"{_GITHUB}".encode().hex()),
        ("jwt", _JWT),
        ("html", f"&lt;a href=&quot;https://x.invalid/?token={_TOKEN}&quot;&gt;"),
        ("form", f"grant_type=password&username=bob&password={_TOKEN}"),
        ("mystery", "q8Zr2Lk9Wm3Xp7Vn1Tb6Yc4Hs0Jd5Fg"),  # random-looking: suspicious
        ("basic", f"Basic {_PAIR}"),
        ("canary", CANARIES["BSS_CLIENT_SECRET"]),
        ("canary_escaped", quote(CANARIES["BSS_PASSWORD"])),
        ("tokens", [f"{_TOKEN}{number}", {"value": _TOKEN}]),
        ("session_token", {"value": f"{_TOKEN}"}),
        ("count", 12),
    ]


def plant(folder: Path, files: int) -> None:
    """Write ``files`` small cassettes, each with credentials planted in many forms."""
    from audit import interaction

    folder.mkdir(parents=True, exist_ok=True)
    plants = _plants(0)
    for number in range(files):
        interactions = []
        for index in range(4):
            item = interaction(number * 4 + index, index)
            body = json.loads(item["response"]["body"]["string"])  # type: ignore[index]
            body["data"] = body["data"][:8]  # small: the old audit is slow
            key, value = plants[(number * 4 + index) % len(plants)]
            body["data"][index][key] = value
            body["data"][-1].update(dict(_plants(number)[: number % len(plants) + 1]))
            item["response"]["body"]["string"] = json.dumps(body)  # type: ignore[index]
            request = item["request"]
            if index == 1:
                request["uri"] += f"&api_key={_TOKEN}"  # type: ignore[operator]
                request["headers"]["Cookie"] = [f"session={_TOKEN}; _ga=GA1.2.3"]  # type: ignore[index]
            if index == 2:
                request["headers"]["Authorization"] = [f"Bearer {_TOKEN}"]  # type: ignore[index]
                request["headers"]["X-Api-Key"] = ["<API_KEY>"]  # type: ignore[index]
                request["body"] = f"client_id=abc&client_secret={quote(_TOKEN)}&code=xyz"
                request["headers"]["Content-Type"] = ["application/x-www-form-urlencoded"]  # type: ignore[index]
            if index == 3:
                item["response"]["headers"]["X-Trace"] = ["n4Kp8Qz2Lm6Rv0Xt3Bw7Yc1"]  # type: ignore[index]
                item["response"]["headers"]["Set-Cookie"] = [f"sid={_TOKEN}; Path=/"]  # type: ignore[index]
            interactions.append(item)
        text = json.dumps({"version": 1, "interactions": interactions}, indent=2)
        (folder / f"planted_{number:03d}.json").write_text(text + "\n")


def export(rev: str, into: Path) -> Path:
    """The package at ``rev``, exported under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "pytest_bss"],
        capture_output=True,
        check=True,
    ).stdout
    with tempfile.TemporaryFile() as handle:
        handle.write(archive)
        handle.seek(0)
        with tarfile.open(fileobj=handle) as tar:
            tar.extractall(into, filter="data")
    return into


def run(code_root: Path, paths: list[Path], env: dict[str, str]) -> tuple[object, object]:
    """(per-file reports, the command's JSON report) of the package under ``code_root``."""
    env = {**env, "PYTHONPATH": str(code_root)}
    files = subprocess.run(
        [sys.executable, "-c", _WORKER],
        input=json.dumps([str(p) for p in paths]),
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=code_root,
    )
    command = subprocess.run(
        [sys.executable, "-m", "pytest_bss", "audit", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=code_root,
    )
    if command.returncode not in (0, 1):
        raise SystemExit(f"audit failed under {code_root}:\n{command.stderr[-3000:]}")
    return json.loads(files.stdout), json.loads(command.stdout)


def differences(old: object, new: object, label: str) -> list[str]:
    if old == new:
        return []
    if isinstance(old, list) and isinstance(new, list):
        out = (
            [f"{label}: {len(old)} entries before, {len(new)} after"]
            if len(old) != len(new)
            else []
        )
        for a, b in zip(old, new, strict=False):
            if a != b:
                out.append(
                    f"{label}: before {json.dumps(a)[:600]}\n    after {json.dumps(b)[:600]}"
                )
        return out
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            d
            for key in sorted(old.keys() | new.keys())
            for d in differences(old.get(key), new.get(key), f"{label}.{key}")
        ]
    return [f"{label}: before {old!r:.300} after {new!r:.300}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD")
    parser.add_argument("--megabytes", type=int, default=4)
    parser.add_argument("--work-dir", type=Path, default=HERE / "_work" / "compare")
    args = parser.parse_args()
    work = args.work_dir
    if work.exists():
        shutil.rmtree(work)
    generated, planted = work / "generated", work / "planted"
    generate(generated, args.megabytes)
    plant(planted, 40)
    # The command skips files of other kinds in a folder: copy only the corpus cassettes.
    real = work / "real"
    shutil.copytree(ROOT / "tests" / "data" / "real_cassettes", real)
    shutil.copytree(ROOT / "cassettes", work / "own")
    paths = [real, work / "own", generated, planted]
    base = export(args.base, work / "base")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BSS_", "PYTHON"))}
    problems: list[str] = []
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", args.base], capture_output=True, text=True, check=True
    ).stdout.strip()
    for name, env in (("no canaries", clean), ("canaries", {**clean, **CANARIES})):
        # The base revision's results are kept: the inputs are generated the same each time.
        saved = args.work_dir.parent / f"compare-{sha[:12]}-{args.megabytes}-{name[:2]}.json"
        if saved.exists():
            before = tuple(json.loads(saved.read_text()))
        else:
            before = run(base, paths, env)
            saved.write_text(json.dumps(before))
        after = run(ROOT, paths, env)
        found = sum(len(entry[1]) for entry in before[0])  # type: ignore[index, union-attr]
        problems += differences(before[0], after[0], f"{name}: per file")
        problems += differences(before[1], after[1], f"{name}: command")
        print(
            f"{name}: {len(before[0])} files, {found} findings before; "  # type: ignore[arg-type]
            f"{'same' if not problems else 'DIFFERENT'} after",
            file=sys.stderr,
        )
    for problem in problems[:50]:
        print(problem)
    print(f"{len(problems)} differences from {args.base}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
