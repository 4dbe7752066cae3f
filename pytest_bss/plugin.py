"""pytest hooks, options, markers and fixtures of pytest-bss.

This module only wires the others together: settings come from :mod:`.settings`,
the cassette machinery from :mod:`.cassettes`, scrubbing from :mod:`.scrub`, the
client from :mod:`.client`. vcrpy is imported only when a cassette is first used.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from . import hooks
from .naming import AUTH_CASSETTE
from .reports import CleanFailure
from .settings import (
    DEFAULT_VOLATILE_HEADERS,
    MARKER_KEYS,
    RECORD_MODES,
    RESERVED_VCR_KEYS,
    merge_settings,
)
from .state import BssState

# Only pytest and the standard library at import time: everything else (requests,
# vcrpy, the client) loads when a fixture first needs it, so installing the plugin
# costs a pytest run that uses none of it almost nothing.
if TYPE_CHECKING:
    from .auth import Token
    from .cassettes import BssCassette
    from .client import BssClient
    from .config import BssConfig
    from .mock import BssMock

__all__ = ["AUTH_CASSETTE", "USED_CACHE_KEY"]

#: pytest cache key under which a replay run leaves the cassettes it used.
USED_CACHE_KEY = "bss/used"
_STATE = pytest.StashKey["BssState"]()
_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


# ---------------------------------------------------------------------------
# Options, ini keys, markers


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bss", "pytest-bss: record and replay BSS API traffic")
    group.addoption(
        "--bss-record",
        action="store_const",
        const="rewrite",
        dest="bss_record_mode",
        help="Record the selected tests against the tenant named by the BSS_* variables, "
        "replacing each test's cassette as a whole.",
    )
    group.addoption(
        "--bss-record-mode",
        choices=RECORD_MODES,
        dest="bss_record_mode",
        help="none (replay only, the default), once, new_episodes, all (vcrpy's modes) "
        "or rewrite (what --bss-record does).",
    )
    group.addoption(
        "--bss-cassette-dir",
        dest="bss_cassette_dir",
        metavar="DIR",
        help="Where cassettes live (default: cassettes/ under the rootdir).",
    )
    group.addoption(
        "--bss-emulator",
        action="store_true",
        dest="bss_emulator",
        help="Record against the bundled tenant emulator on 127.0.0.1 instead of BSS_*.",
    )
    group.addoption(
        "--bss-emulator-revision",
        type=int,
        metavar="N",
        dest="bss_emulator_revision",
        help="With --bss-emulator: the emulator answers as API revision N "
        "(default 1, today's API; docs/emulator.md, 'API revisions').",
    )
    group.addoption(
        "--bss-verify",
        action="store_true",
        dest="bss_verify",
        help="Run the selected tests against the tenant (BSS_* or --bss-emulator) and compare "
        "each answer with its cassette: status, content type, JSON shape. Writes no cassette.",
    )
    group.addoption(
        "--bss-verify-writes",
        action="store_true",
        dest="bss_verify_writes",
        help="With --bss-verify, also run tests that send POST, PUT, PATCH or DELETE (they "
        "change the tenant).",
    )
    group.addoption(
        "--bss-verify-report",
        dest="bss_verify_report",
        metavar="FILE",
        help="With --bss-verify, write the drift report to FILE.json and FILE.html.",
    )
    parser.addini("bss_record_mode", "Default record mode (none replays).", default=None)
    parser.addini("bss_cassette_dir", "Cassette folder, relative to the rootdir.", default=None)
    parser.addini("bss_cassette_format", "Format of new cassettes: json or yaml.", default=None)
    parser.addini("bss_match_on", "vcrpy matchers for replay.", type="args", default=None)
    parser.addini(
        "bss_allow_playback_repeats",
        "Let a recorded interaction play more than once.",
        default=None,
    )
    parser.addini("bss_api_version", "X-Api-Version during replay (default latest).", default=None)
    parser.addini(
        "bss_max_age",
        "In replay, cassettes recorded longer ago than this (90d, 12h, 30m, 45s) are stale.",
        default=None,
    )
    parser.addini(
        "bss_on_stale",
        "What a stale cassette does: warn (list it at the end) or fail (the run too).",
        default="warn",
    )
    parser.addini(
        "bss_volatile_headers",
        "Headers (Name or Name:attribute, one a line) whose new values are not worth a diff: "
        "an otherwise unchanged interaction keeps the recorded ones (docs/cassettes.md).",
        type="linelist",
        default=list(DEFAULT_VOLATILE_HEADERS),  # not None: an empty list switches it off
    )
    parser.addini(
        "bss_personal_data",
        "Pseudonymise personal data (names, e-mail, phones, addresses, VAT, IBAN, cards) "
        "while recording, and refuse cassettes that still hold some (default true; "
        "docs/personal-data.md).",
        default=None,
    )
    parser.addini(
        "bss_personal_fields",
        "More personal-data fields: a key pattern or dotted path a line, optionally :kind "
        "(docs/personal-data.md).",
        type="linelist",
        default=[],
    )
    parser.addini(
        "bss_personal_keep",
        "Fields that are not personal data: a key pattern or dotted path a line.",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "bss(cassette=None, match_on=None, allow_playback_repeats=None, personal_data=None): "
        "name or share this test's cassette, adjust replay matching, or switch "
        "pseudonymising personal data off for it (pytest-bss).",
    )
    _check_verify_options(config)
    try:
        settings = merge_settings(ini=_ini_layer(config), cli=_cli_layer(config))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    if config.getoption("bss_emulator") and not settings.recording:
        # Replay never talks to a tenant: an emulator would be ignored, silently.
        raise pytest.UsageError(
            "--bss-emulator only applies while recording; this run replays cassettes.\n"
            "Record against the bundled emulator with: pytest --bss-record --bss-emulator\n"
            "(or drop --bss-emulator to replay)."
        )
    _check_emulator_revision(config)
    state = BssState(config=config, settings=settings)
    state.max_age, state.on_stale = _age_settings(config)
    state.verify = bool(config.getoption("bss_verify"))
    state.verify_writes = bool(config.getoption("bss_verify_writes"))
    if settings.recording and not config.getoption("bss_emulator"):
        from .config import BssConfig
        from .exceptions import BssConfigError

        try:
            state.tenant_config = BssConfig.from_env()
        except BssConfigError as exc:
            raise pytest.UsageError(
                f"--bss-record needs a tenant: {exc}\n"
                "Or record against the bundled emulator with --bss-emulator."
            ) from None
        state.guard_tenant()
    config.stash[_STATE] = state
    config.pluginmanager.register(_Redaction(state), "bss-redaction")
    if settings.recording:
        state.quiet_vcrpy_logs()


def _check_emulator_revision(config: pytest.Config) -> None:
    revision = config.getoption("bss_emulator_revision")
    if revision is None:
        return
    from .fake.revisions import REVISIONS

    if not config.getoption("bss_emulator"):
        raise pytest.UsageError(
            "--bss-emulator-revision only applies to the bundled emulator.\n"
            "Record against it with: pytest --bss-record --bss-emulator "
            f"--bss-emulator-revision {revision}"
        )
    if revision not in REVISIONS:
        known = ", ".join(map(str, sorted(REVISIONS)))
        raise pytest.UsageError(
            f"--bss-emulator-revision {revision}: the emulator knows API revisions {known} "
            "(docs/emulator.md, 'API revisions')."
        )


class _Redaction:
    """Hooks whose arguments carry no ``config`` to reach the run's state from."""

    def __init__(self, state: BssState) -> None:
        self.state = state

    @pytest.hookimpl(tryfirst=True)
    def pytest_warning_recorded(self, warning_message: Any) -> None:
        # Before the warnings summary and, in an xdist worker, before it is sent to the
        # controller (which never learns the worker's tokens, so could not redact it).
        if self.state.redactor is not None:
            from .reports import redact_warning

            redact_warning(warning_message, self.state.redactor)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Reports made without pytest_runtest_makereport (subtests) are redacted here,
        # before junit, the terminal or (in an xdist worker) the controller see them.
        redactor = self.state.redactor
        if redactor is None:
            return
        from .reports import redact_report, redact_xml_attributes

        redact_report(report, redactor)
        if report.when == "teardown":  # junit renders a test's XML at its teardown
            redact_xml_attributes(self.state.config, report.nodeid, redactor)


def _age_settings(config: pytest.Config) -> tuple[Any, str]:
    from .age import ON_STALE, parse_duration

    max_age = config.getini("bss_max_age")
    on_stale = str(config.getini("bss_on_stale") or "warn").strip().lower()
    if on_stale not in ON_STALE:
        raise pytest.UsageError(f"bss_on_stale takes warn or fail, got {on_stale!r}")
    try:
        return (parse_duration(max_age) if max_age else None), on_stale
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None:
        state.close()


def _ini_layer(config: pytest.Config) -> dict[str, Any]:
    return {
        "record_mode": config.getini("bss_record_mode"),
        "cassette_dir": config.getini("bss_cassette_dir"),
        "cassette_format": config.getini("bss_cassette_format"),
        "match_on": config.getini("bss_match_on") or None,
        "allow_playback_repeats": config.getini("bss_allow_playback_repeats"),
        "volatile_headers": config.getini("bss_volatile_headers"),
        "personal_data": config.getini("bss_personal_data"),
        "personal_fields": config.getini("bss_personal_fields"),
        "personal_keep": config.getini("bss_personal_keep"),
    }


def _cli_layer(config: pytest.Config) -> dict[str, Any]:
    # --bss-verify talks to the tenant and plays nothing: vcrpy's "all", never saved.
    verify = config.getoption("bss_verify")
    return {
        "record_mode": "all" if verify else config.getoption("bss_record_mode"),
        "cassette_dir": config.getoption("bss_cassette_dir"),
    }


def _check_verify_options(config: pytest.Config) -> None:
    verify = config.getoption("bss_verify")
    if verify and config.getoption("bss_record_mode"):
        raise pytest.UsageError(
            "--bss-verify compares cassettes with the tenant and writes nothing; it does not "
            "go with --bss-record or --bss-record-mode. Drop one of them."
        )
    if not verify and (
        config.getoption("bss_verify_writes") or config.getoption("bss_verify_report")
    ):
        raise pytest.UsageError(
            "--bss-verify-writes and --bss-verify-report only apply with --bss-verify."
        )


def _state(config: pytest.Config) -> BssState:
    return config.stash[_STATE]


# ---------------------------------------------------------------------------
# Reports and summary


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    # Before pytest's cache (or junit, or xdist) sees an id: test ids become file names.
    state = config.stash.get(_STATE, None)
    if state is None or not state.knows_credentials():
        return
    from .naming import credential_in_id

    known = [(kind, value) for kind, value, _ in state.credentials()]
    lines: list[str] = []
    refused: set[pytest.Item] = set()
    for item in items:
        name = item.nodeid.split("[", 1)[0]
        if kind := credential_in_id(item.nodeid, known):
            lines.append(f"{name}[…] holds the {kind} of the tenant")
            refused.add(item)
        elif kind := credential_in_id(_marker_cassette(item), known):
            # the marker's cassette= becomes the file name
            lines.append(f"{name}: @pytest.mark.bss(cassette=…) holds the {kind} of the tenant")
            refused.add(item)
    if not refused:
        return
    items[:] = [item for item in items if item not in refused]
    if hasattr(config, "workerinput"):
        # An xdist worker: a UsageError here would crash it. The items are gone (the
        # controller never hears of them); the controller reports them and fails the run.
        state.stats.refused_ids += lines
        return
    raise pytest.UsageError(_refused_ids_message(lines))


def _marker_cassette(item: pytest.Item) -> str:
    marker = item.get_closest_marker("bss")
    if marker is None:
        return ""
    name = marker.kwargs.get("cassette", marker.args[0] if marker.args else None)
    return name if isinstance(name, str) else ""


def _refused_ids_message(lines: list[str]) -> str:
    shown = sorted(set(lines))
    return (
        "pytest-bss: test ids and cassette names must not hold credentials: pytest writes "
        "ids to .pytest_cache and reports, and pytest-bss names cassettes after them.\n  "
        + "\n  ".join(shown[:10])
        + "\nGive @pytest.mark.parametrize ids= (or pytest.param(..., id=...)) that name "
        "the case without the value, and cassette names that hold none.\n"
        "(README: Troubleshooting, 'Credentials in test ids')"
    )


@pytest.hookimpl(tryfirst=True)  # before a conftest's own sessionstart can print anything
def pytest_sessionstart(session: pytest.Session) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is not None:
        state.start_redacting()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    if call.excinfo is not None and _is_cassette_error(call.excinfo.value):
        # The message already says what happened and how to fix it.
        # CleanFailure is a TerminalRepr in all but name (pytest's class is private).
        message = f"{call.excinfo.typename}: {call.excinfo.value}"
        report.longrepr = CleanFailure(message)  # type: ignore[assignment]
    state = item.config.stash.get(_STATE, None)
    refused = state.take_refused_requests() if state is not None else None
    if refused is not None and report.passed:
        # The test swallowed the error (except Exception: ...); it must not pass.
        report.outcome = "failed"
        report.longrepr = CleanFailure(refused)  # type: ignore[assignment]
    _redact(item.config, report)
    return report


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    _redact(collector.config, report)
    return report


def _redact(config: pytest.Config, report: pytest.TestReport | pytest.CollectReport) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None and state.redactor is not None:
        from .reports import redact_report

        redact_report(report, state.redactor)


@pytest.hookimpl(tryfirst=True)
def pytest_assertrepr_compare(
    config: pytest.Config, op: str, left: object, right: object
) -> list[str] | None:
    # Before pytest's own: its diffs cut values where they can't be redacted.
    state = config.stash.get(_STATE, None)
    if state is None or state.redactor is None:
        return None
    from .reports import explain_comparison

    width = 240 if config.get_verbosity() < 2 else 10_000
    return explain_comparison(op, left, right, state.redactor, width=width)


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        state = items[0].config.stash.get(_STATE, None)
        if state is not None:
            # Under xdist this runs in the workers; their counts reach the controller
            # with the rest of the stats.
            state.stats.deselected += len(items)


def _is_cassette_error(exc: BaseException) -> bool:
    # Only a run that used a cassette can raise one; don't import for the others.
    module = sys.modules.get("pytest_bss.exceptions")
    return module is not None and isinstance(exc, module.CassetteError)


@pytest.hookimpl(tryfirst=True)  # before --junitxml writes its file
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is None:
        return
    if state.redactor is not None:
        from .reports import redact_suite_properties

        redact_suite_properties(session.config, state.redactor)
    state.finish()
    workeroutput = getattr(session.config, "workeroutput", None)
    if state.stats.refused_ids and workeroutput is None:
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
    elif state.stats.stale and state.on_stale == "fail" and workeroutput is None:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if state.verify and workeroutput is None:
        _finish_verify(session, state)
    if workeroutput is not None:
        workeroutput["bss_stats"] = state.stats.as_dict()
    elif getattr(session.config, "cache", None) is not None and state.used_this_run:
        # `pytest-bss unused` reads which cassettes the last replay run used, and
        # whether that run saw the whole suite (a -k subset uses fewer).
        session.config.cache.set(
            USED_CACHE_KEY,
            {
                "cassette_dir": str(state.cassette_dir),
                "used": sorted({str(Path(p).resolve()) for p in state.stats.used}),
                "args": list(session.config.args),
                "args_source": session.config.args_source.name.lower(),
                "deselected": state.stats.deselected,
                "exitstatus": int(exitstatus),
            },
        )


def _finish_verify(session: pytest.Session, state: BssState) -> None:
    """The controller's end of --bss-verify: fail on drift, write the report."""
    from .verify import CassetteDrift, write_report

    results = [CassetteDrift.from_dict(item) for item in state.stats.drift]
    if any(result.drift for result in results) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    target = session.config.getoption("bss_verify_report")
    if target:
        tenant = state.bss_config().base_url
        if state.redactor is not None:  # redacted as data, before any escaping
            redacted = json.loads(state.redactor(json.dumps([r.as_dict() for r in results])))
            results = [CassetteDrift.from_dict(item) for item in redacted]
        state.verify_report = write_report(Path(target), results, tenant=tenant)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    # The controller learns the run id its xdist workers share, to clean up after them.
    state = node.config.stash.get(_STATE, None)
    if state is not None:
        state._run_id = node.workerinput.get("testrunuid")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    stats = getattr(node, "workeroutput", {}).get("bss_stats")
    state = node.config.stash.get(_STATE, None)
    if stats and state is not None:
        state.stats.merge(stats)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or not state.is_controller:
        return
    stats = state.stats
    if stats.refused_ids:
        terminalreporter.write_line(_refused_ids_message(stats.refused_ids), red=True, bold=True)
    summary = stats.summary()
    if summary is None:
        return
    if not state.verify:  # a verify run replays and records nothing: its own lines say more
        terminalreporter.write_line(summary)
    if state.verify:
        from .verify import CassetteDrift, summary_lines

        results = [CassetteDrift.from_dict(item) for item in stats.drift]
        drifted = any(result.drift for result in results)
        for line in summary_lines(results):
            terminalreporter.write_line(line, red=drifted, green=not drifted)
        for written in state.verify_report:
            terminalreporter.write_line(f"pytest-bss verify: report written to {written}")
    for path in stats.not_saved:
        kept = "the old cassette was kept" if Path(path).exists() else "nothing was written"
        terminalreporter.write_line(
            f"pytest-bss: not saved because its test failed, {kept}: {path}"
        )
    if stats.stale:
        from .age import Stale

        stale: dict[str, Stale] = {}
        for found in sorted(stats.stale, key=lambda found: (str(found[0]), str(found[2]))):
            entry = stale.setdefault(found[0], Stale.from_tuple(found))
            entry.nodeids.append(found[2])
        verb = "fail the run" if state.on_stale == "fail" else "are listed"
        terminalreporter.write_line(
            f"pytest-bss: {len(stale)} stale cassette{'s' * (len(stale) != 1)}, recorded "
            f"longer ago than bss_max_age ({config.getini('bss_max_age')}; they {verb}, "
            f"bss_on_stale = {state.on_stale}):",
            red=state.on_stale == "fail",
            yellow=state.on_stale != "fail",
        )
        for path, entry in stale.items():
            shown = os.path.relpath(path, config.rootpath)
            terminalreporter.write_line(f"  {entry.describe(shown=shown)}")
    for path in sorted(set(stats.shared)):
        lost = state.opener.lost_interactions(Path(path))
        if lost:
            shown = ", ".join(lost[:3]) + (", …" if len(lost) > 3 else "")
            terminalreporter.write_line(
                f"pytest-bss: shared cassette {path} lost {len(lost)} interaction(s) no test "
                f"re-recorded in this run ({shown}): record every test that shares it in one "
                "run, or restore it with git checkout -- <file> (docs/cassettes.md).",
                yellow=True,
            )


# ---------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def _bss_state(pytestconfig: pytest.Config) -> BssState:
    state = _state(pytestconfig)
    if not state.recording:
        # Installed with the first fixture that needs it, not at start-up: a run that uses
        # no pytest-bss fixture pays nothing for it.
        state.guard_replay_host()
    return state


@pytest.fixture(scope="session")
def bss_mode(_bss_state: BssState) -> str:
    """ "record" while recording (--bss-record), "verify" (--bss-verify), else "replay"."""
    if _bss_state.verify:
        return "verify"
    return "record" if _bss_state.recording else "replay"


@pytest.fixture(scope="session")
def bss_config(_bss_state: BssState) -> BssConfig:
    """The tenant's BssConfig while recording; a neutral host and placeholders in replay."""
    from .exceptions import BssError

    try:
        return _bss_state.bss_config()
    except BssError as exc:
        message = str(exc)
    pytest.fail(message, pytrace=False)


@pytest.fixture
def bss_vcr_config() -> dict[str, Any]:
    """Extra vcrpy options for this test's cassette; override it to add, never to unscrub."""
    return {}


def _checked_vcr_options(options: dict[str, Any]) -> dict[str, Any]:
    reserved = sorted(RESERVED_VCR_KEYS & options.keys())
    if reserved:
        pytest.fail(
            f"bss_vcr_config may not set {', '.join(reserved)}: pytest-bss manages them "
            "(use --bss-record-mode, --bss-cassette-dir, bss_cassette_format or @pytest.mark.bss).",
            pytrace=False,
        )
    return options


@pytest.fixture(scope="session")
def bss_token(_bss_state: BssState, bss_config: BssConfig) -> Token:
    """The session's access token: the password grant runs once (a placeholder in replay)."""
    from .exceptions import BssError

    try:
        return _bss_state.token.get({})
    except BssError as exc:
        message = f"bss_token: {exc}"
    pytest.fail(message, pytrace=False)


@pytest.fixture
def bss_cassette(
    request: pytest.FixtureRequest, _bss_state: BssState, bss_vcr_config: dict[str, Any]
) -> Iterator[BssCassette]:
    """The test's cassette (vcrpy Cassette): every HTTP request of the test goes through it."""
    from .exceptions import CassetteError

    state = _bss_state
    vcr_options = _checked_vcr_options(dict(bss_vcr_config))
    marker = request.node.get_closest_marker("bss")
    marker_layer = _marker_layer(marker)
    try:
        settings = merge_settings(
            ini=_ini_layer(request.config),
            fixture=vcr_options,
            marker=marker_layer,
            cli=_cli_layer(request.config),
        )
    except ValueError as exc:
        pytest.fail(str(exc), pytrace=False)
    path = state.cassette_path(request.node, settings.cassette)
    nodeid = request.node.nodeid
    if settings.cassette is not None and settings.record_mode == "rewrite":
        # other tests may share it: the summary says if their interactions are gone
        state.stats.shared.append(str(path.resolve()))
    message = None
    state.fresh_emulator_data()
    try:
        with state.opener.open(
            path, settings=settings, vcr_options=vcr_options, nodeid=nodeid
        ) as cassette:
            yield cassette
            report = request.node.stash.get(_CALL_REPORT, None)
            if state.recording and not state.verify and (report is None or report.failed):
                # A failed run never replaces a good cassette.
                cassette.discard = True
                state.stats.not_saved.append(str(path))
    except CassetteError as exc:
        message = str(exc)
    if message is not None:
        pytest.fail(message, pytrace=False)


def _marker_layer(marker: pytest.Mark | None) -> dict[str, Any]:
    if marker is None:
        return {}
    unknown = sorted(set(marker.kwargs) - MARKER_KEYS)
    if unknown or len(marker.args) > 1:
        pytest.fail(
            "@pytest.mark.bss takes cassette=, match_on=, allow_playback_repeats=, "
            f"verify_values= and personal_data=; got {unknown}",
            pytrace=False,
        )
    layer = dict(marker.kwargs)
    if marker.args:
        layer["cassette"] = marker.args[0]
    return layer


@pytest.fixture
def bss_client(
    _bss_state: BssState, bss_config: BssConfig, bss_token: Token, bss_cassette: BssCassette
) -> Iterator[BssClient]:
    """A BssClient logged in to the tenant whose traffic goes to the test's cassette."""
    from .client import BssClient

    client = BssClient(bss_config, token_source=_bss_state.token.source)
    if not _bss_state.recording:
        from .cassettes import replay_adapter

        # Replay never leaves the process: proxy and certificate variables don't apply,
        # and reading them costs more than the replayed request itself.
        client.trust_env = False
        client.mount(bss_config.base_url, replay_adapter(bss_cassette))
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def bss_mock() -> Iterator[BssMock]:
    """A responses mock with the token endpoint stubbed; add routes relative to the base URL."""
    from .mock import BssMock

    with BssMock() as mock:
        yield mock
