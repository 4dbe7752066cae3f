"""Replay benchmark: pytest-bss against pytest-recording on the same data, in one command.

    python benchmarks/run.py            # full run (several minutes)
    python benchmarks/run.py --quick    # smoke run: small sizes, one repetition, < 1 minute

Generates synthetic BSS suites with ``generate.py`` into ``benchmarks/_work/``, runs each
contender's ``pytest`` in its own subprocess (the other plugin disabled), repeats every
run (interleaved, so a change in machine load hits all contenders alike) and prints the
medians, ratios and the issue's targets as markdown, also written to
``benchmarks/results.md``. Times are raw wall-clock medians: nothing is subtracted.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import generate
from generate import Suite

HERE = Path(__file__).resolve().parent
TIMEOUT = 3600
COMMON_FLAGS = ("-q", "-p", "no:randomly", "-p", "no:cacheprovider")
TOOL_FLAGS = {
    "bss": ("-p", "no:recording"),
    "recording": ("-p", "no:bss", "--record-mode=none"),
}
NEITHER_PLUGIN = ("-p", "no:bss", "-p", "no:recording")
LABELS = {
    "bss": "pytest-bss",
    "recording": "pytest-recording",
    "floor": "dict floor (no vcrpy)",
    "responses": "`responses` mocks",
    "nohttp": "no HTTP",
}
_REPLAYED = re.compile(r"pytest-bss: (\d+) cassettes? replayed \((\d+) interactions?\)")
_PASSED = re.compile(r"(\d+) passed")


@dataclass(frozen=True)
class Plan:
    """Sizes and repetitions of one run."""

    name: str
    repeat: int
    small_repeat: int
    large_bss: tuple[int, ...]
    large_recording: tuple[int, ...]
    small_tests: int
    per_test: int
    load_size: int
    load_repeat: int
    import_repeat: int


# The small suite runs in seconds and its ratios are the closest to their targets, so it
# gets more repetitions than the large one (where pytest-recording alone takes minutes).
FULL = Plan("full", 3, 7, (250, 500, 1000, 2000, 4000), (250, 500, 1000, 2000), 500, 5, 4000, 5, 41)
QUICK = Plan("quick", 1, 1, (250, 500, 1000), (250, 500), 100, 5, 1000, 3, 5)


class BenchError(Exception):
    """A contender's run did not replay what it should have."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Running pytest


def child_env() -> dict[str, str]:
    """The environment of every pytest subprocess: no BSS_* and no pytest overrides.

    Bytecode caching is allowed (an installed package has its .pyc files), so the
    untimed warm-up run pays for compiling and the timed runs do not.
    """
    drop = {"PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONDONTWRITEBYTECODE"}
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("BSS_")}


def pytest_args(tool: str) -> list[str]:
    return [sys.executable, "-m", "pytest", *COMMON_FLAGS, *TOOL_FLAGS.get(tool, NEITHER_PLUGIN)]


def run_pytest(suite: Suite, env: dict[str, str], *extra: str) -> tuple[float, str]:
    """Run the suite's pytest once; the wall-clock seconds and the output."""
    start = time.perf_counter()
    done = subprocess.run(
        [*pytest_args(suite.tool), *extra],
        cwd=suite.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    seconds = time.perf_counter() - start
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise BenchError(f"exit code {done.returncode} in {suite.root}:\n{_tail(output)}")
    return seconds, output


def check_replay(suite: Suite, output: str) -> None:
    """Every test passed and, for pytest-bss, every interaction came from a cassette."""
    passed = _PASSED.search(output)
    if passed is None or int(passed.group(1)) != suite.tests:
        raise BenchError(f"expected {suite.tests} passed in {suite.root}:\n{_tail(output)}")
    replayed = _REPLAYED.search(output)
    if suite.tool == "bss" and replayed is not None:
        got = (int(replayed.group(1)), int(replayed.group(2)))
        if got != (suite.tests, suite.interactions):
            raise BenchError(
                f"pytest-bss replayed {got}, expected {suite.tests, suite.interactions}"
            )


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


@dataclass
class Timings:
    """Seconds per key over the repetitions; the first error of a key stops its runs."""

    env: dict[str, str]
    times: dict[Any, list[float]] = field(default_factory=dict)
    errors: dict[Any, str] = field(default_factory=dict)

    def warm_up(self, key: Any, suite: Suite, *, full: bool) -> None:
        try:
            run_pytest(suite, self.env, *(() if full else ("--collect-only",)))
        except (BenchError, subprocess.TimeoutExpired) as exc:
            self._fail(key, suite, exc)

    def time(self, key: Any, suite: Suite) -> None:
        if key in self.errors:
            return
        try:
            seconds, output = run_pytest(suite, self.env)
            check_replay(suite, output)
        except (BenchError, subprocess.TimeoutExpired) as exc:
            self._fail(key, suite, exc)
            return
        self.times.setdefault(key, []).append(seconds)
        log(f"  {key}: {seconds:.2f} s")

    def median(self, key: Any) -> float | None:
        values = self.times.get(key)
        return statistics.median(values) if values and key not in self.errors else None

    def _fail(self, key: Any, suite: Suite, exc: BaseException) -> None:
        self.errors[key] = f"{LABELS[suite.tool]} ({suite.root.name}): {exc}"
        log(f"  {key}: FAILED\n{exc}")


def time_suites(suites: dict[Any, Suite], timings: Timings, repeat: int) -> None:
    """Warm up, then time every suite ``repeat`` times, interleaved.

    The warm-up runs each contender's smallest suite in full (compiling everything it
    imports) and collects every other suite (compiling its test module); it is not timed.
    """
    smallest: dict[str, Any] = {}
    for key, suite in sorted(suites.items(), key=lambda item: item[1].interactions):
        smallest.setdefault(suite.tool, key)
    for key, suite in suites.items():
        timings.warm_up(key, suite, full=key in smallest.values())
    for rep in range(repeat):
        log(f"repetition {rep + 1}/{repeat}")
        for key, suite in suites.items():
            timings.time(key, suite)


# ---------------------------------------------------------------------------
# The four measurements


def large_suites(plan: Plan, work: Path) -> dict[tuple[str, str, int], Suite]:
    """One tree per contender and N: one test replaying a cassette of N GETs."""
    wanted = [("bss", n) for n in plan.large_bss] + [("floor", n) for n in plan.large_bss]
    wanted += [("recording", n) for n in plan.large_recording]
    suites = {}
    for tool, n in sorted(wanted, key=lambda key: (key[1], key[0])):
        suites[("large", tool, n)] = generate.generate(
            "large", n, tool, work / "large" / str(n) / tool
        )
    return suites


def small_suites(plan: Plan, work: Path) -> dict[tuple[str, str, int], Suite]:
    """One tree per contender: many tests, each replaying its own small cassette."""
    return {
        ("small", tool, plan.small_tests): generate.generate(
            "small", plan.small_tests, tool, work / "small" / tool, plan.per_test
        )
        for tool in generate.TOOLS["small"]
    }


def _loaders(json_path: Path, yaml_path: Path) -> dict[str, Callable[[], Any]]:
    """The load functions compared, by row; pytest-bss ones only if it imports."""
    from vcr.persisters.filesystem import FilesystemPersister
    from vcr.serializers import yamlserializer

    loaders: dict[str, Callable[[], Any]] = {
        "yaml": lambda: yamlserializer.deserialize(yaml_path.read_text("utf-8")),
        "yaml_persister": lambda: FilesystemPersister.load_cassette(yaml_path, yamlserializer),
    }
    from pytest_bss.cassettes import BssPersister, load_cassette_data
    from pytest_bss.scrub import SecretSet

    persister = BssPersister(SecretSet())
    loaders["json"] = lambda: load_cassette_data(json_path)
    loaders["json_persister"] = lambda: persister.load_cassette(json_path)
    return loaders


def time_loads(plan: Plan, work: Path) -> dict[str, Any]:
    """In-process load of one big cassette: vcrpy's YAML against pytest-bss's JSON (ms)."""
    json_path, yaml_path = generate.write_load_pair(work / "load", plan.load_size)
    result: dict[str, Any] = {
        "json_mb": json_path.stat().st_size / 1e6,
        "yaml_mb": yaml_path.stat().st_size / 1e6,
    }
    try:
        loaders = _loaders(json_path, yaml_path)
    except Exception as exc:
        result["error"] = f"pytest-bss loaders: {type(exc).__name__}: {exc}"
        return result
    samples: dict[str, list[float]] = {name: [] for name in loaders}
    for _ in range(plan.load_repeat):
        for name, load in loaders.items():
            start = time.perf_counter()
            load()
            samples[name].append((time.perf_counter() - start) * 1000)
    result.update({name: statistics.median(values) for name, values in samples.items()})
    log(f"  load: { {k: round(v, 1) for k, v in result.items()} }")
    return result


_IMPORT_SNIPPET = """
import sys, time, pytest
before = set(sys.modules)
start = time.perf_counter()
import pytest_bss.plugin
ms = (time.perf_counter() - start) * 1000
new = set(sys.modules) - before
heavy = [m for m in ("requests", "urllib3", "vcr", "yaml", "responses") if m in new]
print(ms, len(new), ",".join(heavy) or "-")
"""


def _collect_empty(empty: Path, env: dict[str, str], disable_bss: bool) -> float:
    flags = ["-p", "no:bss"] if disable_bss else []
    cmd = [sys.executable, "-m", "pytest", "--collect-only", *COMMON_FLAGS, "-p", "no:recording"]
    start = time.perf_counter()
    done = subprocess.run([*cmd, *flags], cwd=empty, env=env, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 5:  # 5: no tests collected, what an empty folder gives
        raise BenchError(
            f"collect-only exit code {done.returncode}:\n{_tail(done.stdout.decode())}"
        )
    return seconds * 1000


def _import_in_process(env: dict[str, str]) -> tuple[float, str]:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_SNIPPET], env=env, capture_output=True, text=True, check=True
    )
    ms, count, heavy = done.stdout.split()
    return float(ms), f"{count} modules; of requests/urllib3/vcr/yaml/responses: {heavy}"


def time_imports(plan: Plan, work: Path, env: dict[str, str]) -> dict[str, Any]:
    """What installing pytest-bss adds to a pytest run that uses none of it (ms)."""
    empty = work / "empty"
    empty.mkdir(parents=True, exist_ok=True)
    (empty / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    samples: dict[str, list[float]] = {"with": [], "without": [], "import": []}
    try:
        _collect_empty(empty, env, disable_bss=False)  # warm-up: writes .pyc files
        for _ in range(plan.import_repeat):
            samples["with"].append(_collect_empty(empty, env, disable_bss=False))
            samples["without"].append(_collect_empty(empty, env, disable_bss=True))
            ms, loaded = _import_in_process(env)
            samples["import"].append(ms)
    except (BenchError, subprocess.CalledProcessError) as exc:
        return {"error": f"import cost: {exc}"}
    result = {name: statistics.median(values) for name, values in samples.items()}
    result["added"] = result["with"] - result["without"]
    result["loaded"] = loaded
    log(f"  import: { {k: v for k, v in result.items()} }")
    return result


# ---------------------------------------------------------------------------
# Report


def machine() -> str:
    """One line naming the machine and the versions measured."""
    cpu = platform.processor() or "unknown CPU"
    with_cpuinfo = Path("/proc/cpuinfo")
    if with_cpuinfo.exists():
        models = re.findall(r"^model name\s*:\s*(.+)$", with_cpuinfo.read_text(), re.M)
        cpu = models[0].strip() if models else cpu
    import yaml

    versions = ", ".join(
        f"{name} {_version(name)}"
        for name in ("pytest", "vcrpy", "pytest-recording", "responses", "requests", "PyYAML")
    )
    libyaml = "with libyaml" if getattr(yaml, "__with_libyaml__", False) else "pure-Python YAML"
    return (
        f"{os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; {versions} ({libyaml}); "
        f"pytest-bss {_version('pytest-bss')}. Load average at the start: {_load_average()}."
    )


def _load_average() -> str:
    """1, 5 and 15 minute load averages: above the core count, timings are noisy."""
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def fit_exponent(points: dict[int, float]) -> float | None:
    """Slope of the log-log least-squares line through (N, seconds)."""
    if len(points) < 2:
        return None
    xs = [math.log(n) for n in points]
    ys = [math.log(t) for t in points.values()]
    return statistics.linear_regression(xs, ys).slope


def _s(value: float | None) -> str:
    return "failed" if value is None else f"{value:.2f}"


def _ratio(a: float | None, b: float | None, suffix: str = "") -> str:
    return "n/a" if a is None or b is None else f"{a / b:.2f}{suffix}"


def _met(value: float | None, ok: Callable[[float], bool]) -> str:
    return "n/a" if value is None else ("yes" if ok(value) else "**no**")


def large_table(plan: Plan, timings: Timings) -> list[str]:
    rows = [
        f"### Large cassette: one test replays N GETs (s, median of {plan.repeat})",
        "",
        "| N | pytest-bss | pytest-recording | dict floor | recording ÷ bss | bss ms per extra interaction |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    previous: tuple[int, float] | None = None
    for n in plan.large_bss:
        bss, rec, floor = (
            timings.median(("large", tool, n)) for tool in ("bss", "recording", "floor")
        )
        marginal = "-"
        if previous is not None and bss is not None:
            marginal = f"{(bss - previous[1]) / (n - previous[0]) * 1000:.2f}"
        previous = (n, bss) if bss is not None else None
        rec_cell = _s(rec) if n in plan.large_recording else "not run"
        rows.append(
            f"| {n} | {_s(bss)} | {rec_cell} | {_s(floor)} | {_ratio(rec, bss, 'x')} | {marginal} |"
        )
    return rows


def small_table(plan: Plan, timings: Timings) -> list[str]:
    n = plan.small_tests
    rec = timings.median(("small", "recording", n))
    rows = [
        f"### Many small cassettes: {n} tests x {plan.per_test} GETs (s, median of {plan.small_repeat})",
        "",
        "| Variant | s | ÷ pytest-recording |",
        "|---|---:|---:|",
    ]
    for tool in generate.TOOLS["small"]:
        value = timings.median(("small", tool, n))
        rows.append(f"| {LABELS[tool]} | {_s(value)} | {_ratio(value, rec)} |")
    return rows


def load_table(plan: Plan, loads: dict[str, Any]) -> list[str]:
    yaml_ms = loads.get("yaml")
    names = {
        "yaml": f"vcrpy `yamlserializer.deserialize` ({loads['yaml_mb']:.1f} MB YAML)",
        "json": f"pytest-bss `load_cassette_data` ({loads['json_mb']:.1f} MB JSON)",
        "yaml_persister": "vcrpy `FilesystemPersister.load_cassette` (YAML → Request objects)",
        "json_persister": "pytest-bss `BssPersister.load_cassette` (JSON → Request objects)",
    }
    rows = [
        f"### Loading one cassette of {plan.load_size} interactions "
        f"(in-process, ms, median of {plan.load_repeat})",
        "",
        "| Loader | ms | ÷ vcrpy YAML |",
        "|---|---:|---:|",
    ]
    for key, label in names.items():
        value = loads.get(key)
        shown = "failed" if value is None else f"{value:.0f}"
        rows.append(f"| {label} | {shown} | {_ratio(value, yaml_ms)} |")
    return rows


def import_table(plan: Plan, imports: dict[str, Any]) -> list[str]:
    def ms(key: str) -> str:
        return "failed" if key not in imports else f"{imports[key]:.1f}"

    return [
        f"### Plugin start-up cost (ms, median of {plan.import_repeat})",
        "",
        "| Measure | ms |",
        "|---|---:|",
        f"| `pytest --collect-only -q` of an empty folder, pytest-bss installed | {ms('with')} |",
        f"| the same with `-p no:bss` | {ms('without')} |",
        f"| **added by pytest-bss** | {ms('added')} |",
        f"| `import pytest_bss.plugin` after `import pytest` (in-process; "
        f"{imports.get('loaded', 'n/a')}) | {ms('import')} |",
    ]


@dataclass(frozen=True)
class Target:
    """One of the issue's targets: what is measured, the goal and whether it is met."""

    name: str
    goal: str
    value: float | None
    ok: Callable[[float], bool]
    shown: str = "{:.2f}"

    def row(self) -> str:
        value = "n/a" if self.value is None else self.shown.format(self.value)
        return f"| {self.name} | {self.goal} | {value} | {_met(self.value, self.ok)} |"


def targets(
    plan: Plan, timings: Timings, loads: dict[str, Any], imports: dict[str, Any]
) -> list[Target]:
    med = timings.median
    bss_points = {n: t for n in plan.large_bss if (t := med(("large", "bss", n))) is not None}
    complete = len(bss_points) == len(plan.large_bss)
    top, n = max(plan.large_recording), plan.small_tests
    span = f"N={min(plan.large_bss)}…{max(plan.large_bss)}"
    return [
        Target(
            "Large cassette: growth of pytest-bss replay time with N",
            f"log-log slope ≤ 1.1 ({span})",
            fit_exponent(bss_points) if complete else None,
            lambda v: v <= 1.1,
        ),
        Target(
            "Large cassette: pytest-recording ÷ pytest-bss",
            f"≥ 30 at N={top}",
            _quotient(med(("large", "recording", top)), med(("large", "bss", top))),
            lambda v: v >= 30,
            "{:.1f}",
        ),
        Target(
            f"{n} small tests: pytest-bss ÷ pytest-recording",
            "≤ 0.5",
            _quotient(med(("small", "bss", n)), med(("small", "recording", n))),
            lambda v: v <= 0.5,
        ),
        Target(
            f"{n} small tests: pytest-bss ÷ `responses` mocks",
            "≤ 1.0",
            _quotient(med(("small", "bss", n)), med(("small", "responses", n))),
            lambda v: v <= 1.0,
        ),
        Target(
            f"Load {plan.load_size} interactions: pytest-bss JSON ÷ vcrpy YAML",
            "≤ 0.2",
            _quotient(loads.get("json"), loads.get("yaml")),
            lambda v: v <= 0.2,
            "{:.3f}",
        ),
        Target(
            "Added to `pytest --collect-only` of an empty folder",
            "≤ 20 ms",
            imports.get("added"),
            lambda v: v <= 20,
            "{:.1f} ms",
        ),
    ]


def targets_table(targets: list[Target]) -> list[str]:
    header = [
        "### Targets (issue 6)",
        "",
        "| Target | Goal | Measured | Met |",
        "|---|---|---:|:---:|",
    ]
    return header + [target.row() for target in targets]


def _quotient(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a / b


def render(
    plan: Plan, header: str, timings: Timings, loads: dict[str, Any], imports: dict[str, Any]
) -> str:
    mode = "full run" if plan.name == "full" else "**quick smoke run** (small sizes, 1 repetition)"
    parts = [
        "## Replay benchmark: pytest-bss vs pytest-recording",
        "",
        f"{mode}, `python benchmarks/run.py{' --quick' if plan.name == 'quick' else ''}`. {header}",
        "Times are wall-clock seconds of the whole `pytest` process (start-up included), "
        "medians; nothing is subtracted. "
        f"Load average at the end: {_load_average()}.",
        "",
        *targets_table(targets(plan, timings, loads, imports)),
        "",
        *large_table(plan, timings),
        "",
        *small_table(plan, timings),
        "",
        *load_table(plan, loads),
        "",
        *import_table(plan, imports),
    ]
    return "\n".join(parts) + "\n"


def errors_text(timings: Timings, loads: dict[str, Any], imports: dict[str, Any]) -> str:
    errors = [*timings.errors.values(), loads.get("error"), imports.get("error")]
    return "\n\n".join(e for e in errors if e)


# ---------------------------------------------------------------------------
# Main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repetition")
    parser.add_argument("--repeat", type=int, help="repetitions of every pytest run")
    parser.add_argument("--work-dir", type=Path, default=HERE / "_work", help="generated trees")
    parser.add_argument("--output", type=Path, default=HERE / "results.md", help="markdown file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.repeat:
        plan = Plan(**{**plan.__dict__, "repeat": args.repeat, "small_repeat": args.repeat})
    work = args.work_dir / plan.name
    shutil.rmtree(work, ignore_errors=True)
    header = machine()
    log(f"{header}\ngenerating suites in {work}")
    env = child_env()
    timings = Timings(env)
    large, small = large_suites(plan, work), small_suites(plan, work)
    log("timing pytest runs: large cassettes")
    time_suites(large, timings, plan.repeat)
    log("timing pytest runs: many small cassettes")
    time_suites(small, timings, plan.small_repeat)
    log("timing cassette loads")
    loads = time_loads(plan, work)
    log("timing plugin start-up")
    imports = time_imports(plan, work, env)
    report = render(plan, header, timings, loads, imports)
    print(report)
    args.output.write_text(report, encoding="utf-8")
    log(f"written to {args.output}")
    errors = errors_text(timings, loads, imports)
    if errors:
        log(f"\nSome measurements failed:\n\n{errors}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
