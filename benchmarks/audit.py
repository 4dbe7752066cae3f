"""How long ``pytest-bss audit`` takes on 100 MB of cassettes (issue 12: under 10 s on 2 cores).

Usage: ``python benchmarks/audit.py [--megabytes N] [--jobs N] [--work-dir DIR] [--folder DIR]``

``--folder DIR`` times the audit of a folder of real cassettes instead (``tests/data``:
the held-out sets, with their HTML pages and megabyte JSON listings), where findings are
expected (exit 1 is no failure).

Generates a folder of realistic cassettes (the demo suite's shapes, JSON account pages,
token exchanges with placeholders, a few YAML files), about N MB in all, then times
``pytest-bss audit`` on it in a subprocess (the way a user or CI runs it) and prints the
machine, the load average, the size, the time, the throughput and the CPU time of the
audit and its workers as markdown (on a shared machine the CPU time is the steadier number). Writes nothing outside the
work folder (default ``benchmarks/_work/audit``, gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def account(number: int) -> dict[str, object]:
    return {
        "id": number,
        "name": f"Account {number}",
        "code": f"ACC-{number:06d}",
        "status": "ACTIVE",
        "balance": round(number * 1.37, 2),
        "currency": "EUR",
        "owner": {"id": number * 7, "email": f"owner{number}@example.com"},
        "tags": ["billing", "monthly", f"segment-{number % 9}"],
    }


def interaction(number: int, page: int) -> dict[str, object]:
    body = json.dumps({"data": [account(page * 100 + i) for i in range(100)], "page": page})
    return {
        "request": {
            "method": "GET",
            "uri": f"https://bss.tenant.invalid/api/accounts?page={page}&pageSize=100",
            "body": None,
            "headers": {
                "Accept": ["application/json"],
                "Authorization": [f"Bearer <BSS_ACCESS_TOKEN_{number % 3 + 1}>"],
                "X-Api-Version": ["latest"],
            },
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {
                "Content-Type": ["application/json; charset=utf-8"],
                "Date": ["Tue, 01 Dec 2026 10:00:00 GMT"],
                "X-Request-Id": [f"req-{number:08d}"],
            },
            "body": {"string": body},
        },
    }


def generate(folder: Path, megabytes: int) -> tuple[int, int]:
    """Write cassettes of 20 interactions each until ``megabytes`` MB; (files, bytes)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    total = files = 0
    page = 0
    while total < megabytes * 1_000_000:
        interactions = []
        for _ in range(20):
            interactions.append(interaction(page, page))
            page += 1
        text = json.dumps({"version": 1, "interactions": interactions}, indent=2) + "\n"
        (folder / f"test_{files:05d}.json").write_text(text)
        total += len(text.encode())
        files += 1
    return files, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=None, help="passed to pytest-bss audit")
    parser.add_argument("--work-dir", type=Path, default=HERE / "_work" / "audit")
    parser.add_argument("--folder", type=Path, default=None, help="audit this folder instead")
    args = parser.parse_args()
    if args.folder is not None:
        folder = args.folder
        found = [path for path in folder.rglob("*") if path.is_file()]
        files, size = len(found), sum(path.stat().st_size for path in found)
    else:
        folder = args.work_dir / "cassettes"
        files, size = generate(folder, args.megabytes)
    command = [sys.executable, "-m", "pytest_bss", "audit", str(folder)]
    if args.jobs is not None:
        command += ["--jobs", str(args.jobs)]
    load = os.getloadavg()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BSS_")}
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if done.returncode not in ((0, 1) if args.folder is not None else (0,)):
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
        return 1
    cores = os.cpu_count()
    print(
        f"| machine | {platform.processor() or platform.machine()}, {cores} cores, "
        f"Python {platform.python_version()}, load average {load[0]:.1f} |"
    )
    print("|---|---|")
    print(f"| cassettes | {files} files, {size / 1e6:.0f} MB |")
    print(f"| `pytest-bss audit` | {seconds:.1f} s ({size / 1e6 / seconds:.1f} MB/s) |")
    print(f"| CPU time (all processes) | {cpu:.1f} s ({size / 1e6 / cpu:.1f} MB per CPU-second) |")
    print(f"| result | {done.stdout.strip().splitlines()[-1]} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
