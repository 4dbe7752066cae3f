"""What pseudonymising personal data costs the demo suite (issue 15: within 10 % of before).

Usage: ``python benchmarks/record.py [--repeat N] [--work-dir DIR]``

Runs the demo suite (``tests/integration``) against the embedded tenant emulator, each run
in its own ``pytest`` process, with personal data on (the default) and off
(``-o bss_personal_data=false``, which is recording as it was before issue 15), then replays
what each recorded, interleaved so that a change in machine load hits both alike. Prints
the machine, the load average and the median wall-clock time of every variant as markdown.
Cassettes go to the work folder (default ``benchmarks/_work/record``, gitignored), never to
``cassettes/``; the emulator listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

VARIANTS = {
    "record, personal data off": ("off", ["--bss-record", "--bss-emulator"]),
    "record, personal data on": ("on", ["--bss-record", "--bss-emulator"]),
    "replay, recorded with personal data off": ("off", []),
    "replay, recorded with personal data on": ("on", []),
}


def pytest_run(cassettes: Path, personal: str, extra: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one whole pytest process."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests/integration",
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "-o",
        f"bss_cassette_dir={cassettes}",
        "-o",
        f"bss_personal_data={'true' if personal == 'on' else 'false'}",
        *extra,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BSS_")}
    env.pop("PYTEST_ADDOPTS", None)
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if done.returncode != 0:
        sys.exit(f"pytest failed ({' '.join(command)}):\n{done.stdout[-3000:]}{done.stderr}")
    return elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs of each variant (median)")
    parser.add_argument("--work-dir", type=Path, default=HERE / "_work" / "record")
    args = parser.parse_args()
    shutil.rmtree(args.work_dir, ignore_errors=True)
    folders = {mode: args.work_dir / mode for mode in ("on", "off")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    load = os.getloadavg()
    # Warm-up (byte code, file cache), untimed; it also gives the replays their cassettes.
    for mode, extra in VARIANTS.values():
        pytest_run(folders[mode], mode, extra)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
    for round_ in range(args.repeat):
        print(f"round {round_ + 1}/{args.repeat}", file=sys.stderr)
        for name, (mode, extra) in VARIANTS.items():
            times[name].append(pytest_run(folders[mode], mode, extra))
    wall = {name: statistics.median(t[0] for t in values) for name, values in times.items()}
    cpu = {name: statistics.median(t[1] for t in values) for name, values in times.items()}
    print(f"Machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, ")
    print(f"Python {platform.python_version()}; load average at start {load[0]:.2f}\n")
    print(f"Demo suite (tests/integration), median of {args.repeat} whole pytest runs:\n")
    print("Personal data off is recording as it was before issue 15. On a shared machine the")
    print("CPU time (of the pytest process and the emulator in it) is the steadier number.\n")
    print("| Variant | Wall clock | vs off | CPU time | vs off |")
    print("|---|---|---|---|---|")
    for name in VARIANTS:
        base = name[: -len("on")] + "off" if name.endswith(" on") else name
        print(
            f"| {name} | {wall[name]:.2f} s | {100 * (wall[name] / wall[base] - 1):+.0f} % "
            f"| {cpu[name]:.2f} s | {100 * (cpu[name] / cpu[base] - 1):+.0f} % |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
