"""pytest hooks, options, markers and fixtures of pytest-bss.

This module only wires the others together: settings come from :mod:`.settings`,
the cassette machinery from :mod:`.cassettes`, scrubbing from :mod:`.scrub`, the
client from :mod:`.client`. vcrpy is imported only when a cassette is first used.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import os
import re
import sys
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

import pytest

from . import hooks
from .settings import RECORD_MODES, RESERVED_VCR_KEYS, Settings, merge_settings

# Only pytest and the standard library at import time: everything else (requests,
# vcrpy, the client) loads when a fixture first needs it, so installing the plugin
# costs a pytest run that uses none of it almost nothing.
if TYPE_CHECKING:
    from .auth import Token, TokenSource
    from .cassettes import BssCassette, BssPersister
    from .client import BssClient
    from .config import BssConfig
    from .fake import TenantEmulator
    from .mock import BssMock
    from .scrub import SecretSet

__all__ = ["AUTH_CASSETTE", "USED_CACHE_KEY"]

AUTH_CASSETTE = "bss_auth"
#: pytest cache key under which a replay run leaves the cassettes it used.
USED_CACHE_KEY = "bss/used"
_STATE = pytest.StashKey["BssState"]()
_CALL_REPORT = pytest.StashKey[pytest.TestReport]()
# Set while the plugin's own token source runs the password grant: per-test
# cassettes leave that request out (it belongs to the auth cassette).
_PLUGIN_TOKEN_FETCH: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "pytest_bss_token_fetch", default=False
)
# The host of scrub.NEUTRAL_BASE, spelled out: importing scrub here would load requests at start-up.
_REPLAY_HOST = "bss.tenant.invalid"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.\-\[\]]+")
_MAX_NAME = 150


def _replay_config(api_version: str) -> BssConfig:
    from .config import BssConfig
    from .scrub import NEUTRAL_BASE

    return BssConfig(
        base_url=NEUTRAL_BASE,
        client_key="<BSS_CLIENT_KEY>",
        client_secret="<BSS_CLIENT_SECRET>",  # noqa: S106 - a placeholder, not a secret
        username="<BSS_USERNAME>",
        password="<BSS_PASSWORD>",  # noqa: S106 - a placeholder, not a secret
        api_version=api_version,
    )


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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "bss(cassette=None, match_on=None, allow_playback_repeats=None): "
        "name or share this test's cassette and adjust replay matching (pytest-bss).",
    )
    try:
        settings = merge_settings(ini=_ini_layer(config), cli=_cli_layer(config))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    state = BssState(config=config, settings=settings)
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
    config.stash[_STATE] = state
    if settings.recording:
        state.quiet_vcrpy_logs()


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
    }


def _cli_layer(config: pytest.Config) -> dict[str, Any]:
    return {
        "record_mode": config.getoption("bss_record_mode"),
        "cassette_dir": config.getoption("bss_cassette_dir"),
    }


# ---------------------------------------------------------------------------
# Run-wide state


@dataclass
class Stats:
    """What the end-of-run summary line counts."""

    replayed: int = 0
    recorded: int = 0
    played_interactions: int = 0
    recorded_interactions: int = 0
    scrubbed: int = 0
    deselected: int = 0
    not_saved: list[str] = field(default_factory=list)
    used: list[str] = field(default_factory=list)

    def merge(self, other: dict[str, Any]) -> None:
        for name in (
            "replayed",
            "recorded",
            "played_interactions",
            "recorded_interactions",
            "scrubbed",
            "deselected",
        ):
            setattr(self, name, getattr(self, name) + int(other.get(name, 0)))
        self.not_saved += other.get("not_saved", [])
        self.used += other.get("used", [])

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class BssState:
    """Everything pytest-bss keeps for one pytest process (one per xdist worker)."""

    config: pytest.Config
    settings: Settings
    tenant_config: BssConfig | None = None
    stats: Stats = field(default_factory=Stats)
    token_source: TokenSource | None = None
    first_token: Token | None = None
    _emulator: TenantEmulator | None = None
    _secrets: SecretSet | None = None
    _persister: BssPersister | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _restore_getaddrinfo: Any = None
    _restore_vcr_level: Any = None
    _options_cache: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        workerinput = getattr(self.config, "workerinput", None)
        # All xdist workers of one run share testrunuid: it keys the "already
        # rewritten in this run" marks, so a shared cassette is rewritten once.
        self._run_id = workerinput["testrunuid"] if workerinput else None
        self.is_controller = workerinput is None

    @property
    def recording(self) -> bool:
        return self.settings.recording

    @property
    def used_this_run(self) -> bool:
        """Whether this was a replay run in which a pytest-bss fixture was used."""
        return not self.recording and (bool(self.stats.used) or self.stats.deselected > 0)

    @functools.cached_property
    def run_dir(self) -> Path:
        """A folder in the temporary directory shared by this run's xdist workers."""
        import tempfile
        import uuid

        run_id = self._run_id or uuid.uuid4().hex
        return Path(tempfile.gettempdir()) / f"pytest-bss-run-{run_id}"

    @property
    def cassette_dir(self) -> Path:
        return Path(self.config.rootpath, self.settings.cassette_dir)

    def bss_config(self) -> BssConfig:
        """The tenant while recording; the neutral host and placeholders while replaying."""
        if not self.recording:
            version = os.environ.get("BSS_API_VERSION") or self.config.getini("bss_api_version")
            return _replay_config(version or "latest")
        if self.tenant_config is None:
            # --bss-emulator: a tenant emulator on 127.0.0.1 for this process.
            from .fake import TenantEmulator

            self._emulator = TenantEmulator().start()
            self.tenant_config = self._emulator.config()
        return self.tenant_config

    @property
    def secrets(self) -> SecretSet:
        if self._secrets is None:
            from .scrub import SecretSet

            self._secrets = (
                SecretSet.from_config(self.bss_config()) if self.recording else SecretSet()
            )
        return self._secrets

    @property
    def base_urls(self) -> tuple[str, ...]:
        return (self.bss_config().base_url,) if self.recording else ()

    @property
    def persister(self) -> BssPersister:
        if self._persister is None:
            from .cassettes import BssPersister

            self._persister = BssPersister(self.secrets, base_urls=self.base_urls)
        return self._persister

    def quiet_vcrpy_logs(self) -> None:
        """Keep vcrpy's INFO and DEBUG records out of a recording run's logs.

        vcrpy logs every interaction it appends, raw: the token response included,
        before pytest-bss has scrubbed it. Its WARNING and above still show.
        """
        import logging

        vcr_logger = logging.getLogger("vcr")
        level = vcr_logger.level
        vcr_logger.setLevel(max(level, logging.WARNING))
        self._restore_vcr_level = lambda: vcr_logger.setLevel(level)

    def guard_replay_host(self) -> None:
        """Answer a lookup of the replay host with an error that names the fix.

        During replay the client talks to ``bss.tenant.invalid``; inside a cassette
        vcrpy answers before any connection is made. A lookup therefore means a request
        outside every cassette, which must fail here instead of asking DNS.
        """
        import socket

        original = socket.getaddrinfo

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else host
            if isinstance(name, str) and name.lower().rstrip(".") == _REPLAY_HOST:
                from .exceptions import RequestOutsideCassetteError

                raise RequestOutsideCassetteError(
                    f"A request to the replay tenant ({_REPLAY_HOST}) was made outside any "
                    "cassette, so nothing can answer it. Use the bss_client fixture, or ask for "
                    "bss_cassette in a test that builds its own client.\n"
                    "(README: Troubleshooting, 'Request outside any cassette')"
                )
            return original(host, *args, **kwargs)

        socket.getaddrinfo = getaddrinfo
        self._restore_getaddrinfo = lambda: setattr(socket, "getaddrinfo", original)

    def close(self) -> None:
        if self._restore_vcr_level is not None:
            self._restore_vcr_level()
            self._restore_vcr_level = None
        if self._restore_getaddrinfo is not None:
            self._restore_getaddrinfo()
            self._restore_getaddrinfo = None
        if self._emulator is not None:
            self._emulator.stop()
            self._emulator = None
        if self.is_controller and ("run_dir" in self.__dict__ or self._run_id):
            import shutil

            shutil.rmtree(self.run_dir, ignore_errors=True)

    # -- cassette naming -------------------------------------------------------

    def cassette_path(self, node: pytest.Item, name: str | None) -> Path:
        """``cassettes/<module>/<test>.json``, or the marker's name; an existing YAML file wins."""
        if name is None:
            module = Path(node.path).relative_to(self.config.rootpath).with_suffix("")
            # the test's name within its module, with classes and parametrize id
            local = node.nodeid.split("::", 1)[1] if "::" in node.nodeid else node.name
            self._refuse_credentials_in_name(node.nodeid)
            stem = f"{'.'.join(module.parts)}/{_safe_name(local.replace('::', '.'))}"
        else:
            stem = "/".join(
                _safe_name(part) for part in Path(name).with_suffix("").parts if part != ".."
            )
        base = self.cassette_dir / stem
        for suffix in (".json", ".yaml", ".yml"):
            if base.with_name(base.name + suffix).is_file():
                return base.with_name(base.name + suffix)
        return base.with_name(f"{base.name}.{self.settings.cassette_format}")

    def auth_cassette_path(self) -> Path:
        base = self.cassette_dir / AUTH_CASSETTE
        for suffix in (".json", ".yaml", ".yml"):
            if base.with_suffix(suffix).is_file():
                return base.with_suffix(suffix)
        return base.with_suffix(f".{self.settings.cassette_format}")

    def _refuse_credentials_in_name(self, nodeid: str) -> None:
        if not self.recording:
            return
        for kind, value in self.bss_config().secrets().items():
            forms = {value, quote(value, safe=""), quote_plus(value), _safe_name(value)}
            if len(value) >= 4 and any(form and form in nodeid for form in forms):
                pytest.fail(
                    f"The test id {nodeid.split('::')[0]}::… contains the {kind} of the tenant; "
                    "cassette file names must not hold credentials. Give the parametrize "
                    "ids= that name the case without the value.",
                    pytrace=False,
                )

    # -- opening cassettes -----------------------------------------------------

    @contextlib.contextmanager
    def open_cassette(
        self,
        path: Path,
        *,
        settings: Settings,
        vcr_options: dict[str, Any],
        nodeid: str = "",
        keep_token_requests: bool = False,
    ) -> Iterator[BssCassette]:
        """Use the cassette at ``path`` for the duration of the block."""
        from .cassettes import cassette_lock, use_cassette

        lock = cassette_lock(path) if self.recording else contextlib.nullcontext()
        with lock:
            rewrite = settings.record_mode == "rewrite" and self._first_rewrite(path)
            options = self._cassette_options(path, settings, vcr_options, keep_token_requests)
            command = f"pytest --bss-record '{nodeid}'" if nodeid else "pytest --bss-record"
            with use_cassette(
                **options,
                rewrite=rewrite,
                nodeid=nodeid,
                record_command=command,
                trust_loaded=self._only_own_filters(vcr_options),
            ) as cassette:
                yield cassette
            if nodeid:  # the shared auth cassette is not one of the tests' cassettes
                self._count(cassette, path)

    def _only_own_filters(self, vcr_options: dict[str, Any]) -> bool:
        """Whether the record filters are only pytest-bss's own (no user may have added one)."""
        user_filters = {key for key in vcr_options if key.startswith(("before_record", "filter_"))}
        hook = self.config.hook.pytest_bss_configure_vcr
        return not user_filters and not hook.get_hookimpls()

    def _first_rewrite(self, path: Path) -> bool:
        # The first test of this run (in any xdist worker) to use a cassette
        # replaces it; later users add to what this run recorded.
        self.run_dir.mkdir(parents=True, exist_ok=True)
        mark = self.run_dir / (
            re.sub(r"[^A-Za-z0-9]", "_", str(path.resolve()))[-200:] + ".rewritten"
        )
        try:
            mark.touch(exist_ok=False)
        except FileExistsError:
            return False
        return True

    def _cassette_options(
        self,
        path: Path,
        settings: Settings,
        vcr_options: dict[str, Any],
        keep_token_requests: bool,
    ) -> dict[str, Any]:
        # Without user options or hook implementations the options differ only by path:
        # build them once per kind of cassette instead of once per test.
        cacheable = (
            not vcr_options and not self.config.hook.pytest_bss_configure_vcr.get_hookimpls()
        )
        key = (
            settings.record_mode,
            settings.match_on,
            settings.allow_playback_repeats,
            keep_token_requests,
        )
        if cacheable and key in self._options_cache:
            return {**self._options_cache[key], "path": str(path)}
        import vcr

        user = dict(vcr_options)
        user_request_hooks = _as_list(user.pop("before_record_request", None))
        user_response_hooks = _as_list(user.pop("before_record_response", None))
        user.pop("match_on", None)
        user.pop("allow_playback_repeats", None)
        # Scrubbing runs after every user filter, so nothing configured can skip it.
        request_hooks = [*user_request_hooks, self._request_scrubber(keep_token_requests)]
        mode = "all" if settings.record_mode == "rewrite" else settings.record_mode
        recorder = vcr.VCR(
            **user,
            record_mode=mode,
            match_on=settings.match_on,
            before_record_request=request_hooks,
            before_record_response=user_response_hooks or None,
            decode_compressed_response=True,
        )
        recorder.register_persister(self.persister)
        self.config.hook.pytest_bss_configure_vcr(config=self.config, vcr=recorder)
        options: dict[str, Any] = recorder.get_merged_config(
            path=str(path), allow_playback_repeats=settings.allow_playback_repeats
        )
        options["record_on_exception"] = True
        if not self.recording and self._only_own_filters(vcr_options):
            # The scrubber makes a new request anyway: vcrpy's deep copy in front of it
            # would only double the cost of every replayed request.
            options["before_record_request"] = request_hooks[-1]
        if _supports_skip_patchers():
            # vcrpy tries to import every HTTP library it can patch, for every cassette; a
            # failed import is not cached, so skip the libraries that are not installed.
            options["skip_patchers"] = (*options.get("skip_patchers", ()), *_absent_patchers())
        if cacheable:
            self._options_cache[key] = options
        return options

    def _request_scrubber(self, keep_token_requests: bool) -> Any:
        from vcr.request import Request
        from vcr.serializers import compat

        from .scrub import scrub_request

        secrets, base_urls = self.secrets, self.base_urls

        def scrub(request: Any) -> Any:
            if not keep_token_requests and _PLUGIN_TOKEN_FETCH.get():
                return None
            data = compat.convert_to_unicode(request._to_dict())
            scrubbed, _ = scrub_request(data, secrets, base_urls=base_urls)
            return Request._from_dict(scrubbed)

        return scrub

    def _count(self, cassette: BssCassette, path: Path) -> None:
        with self._lock:
            self.stats.used.append(str(path))
            if cassette.saved:
                self.stats.recorded += 1
                self.stats.recorded_interactions += len(cassette.data)
            elif not self.recording:
                self.stats.replayed += 1
                self.stats.played_interactions += cassette.play_count
            self.stats.scrubbed = self.persister.scrubbed_values if self._persister else 0

    # -- tokens ---------------------------------------------------------------

    def session_token(self, vcr_options: dict[str, Any]) -> Token:
        """Run the password grant once for this process, inside the shared auth cassette."""
        if self.first_token is not None:
            return self.first_token
        from .auth import PasswordGrant, StaticToken

        config = self.bss_config()
        settings = replace_mode(self.settings)
        secrets = self.secrets

        class _PluginGrant(PasswordGrant):
            def _renew(self, previous: Token | None) -> Token:
                marker = _PLUGIN_TOKEN_FETCH.set(True)
                try:
                    return super()._renew(previous)
                finally:
                    _PLUGIN_TOKEN_FETCH.reset(marker)

        def learn(token: Token) -> None:
            secrets.add("access_token", token.access_token)
            if token.refresh_token:
                secrets.add("refresh_token", token.refresh_token)

        with self.open_cassette(
            self.auth_cassette_path(),
            settings=settings,
            vcr_options=vcr_options,
            keep_token_requests=True,
        ) as cassette:
            grant = _PluginGrant(config, on_token=learn)
            try:
                token = grant.get_token()
            except BaseException:
                # A failed grant (HTML, 500, no token) must not replace a good auth cassette.
                cassette.discard = True
                raise
        # Replay never refreshes: expiry is irrelevant when every answer is recorded.
        self.token_source = grant if self.recording else StaticToken(token)
        self.first_token = token
        return token


@functools.cache
def _supports_skip_patchers() -> bool:
    from vcr.cassette import Cassette

    return "skip_patchers" in inspect.signature(Cassette.__init__).parameters


@functools.cache
def _absent_patchers() -> tuple[str, ...]:
    from importlib.util import find_spec

    libraries = {
        "boto3": "botocore",
        "httplib2": "httplib2",
        "tornado": "tornado",
        "aiohttp": "aiohttp",
        "httpx": "httpx",
        "httpx2": "httpx2",
    }
    return tuple(name for name, module in libraries.items() if find_spec(module) is None)


def replace_mode(settings: Settings) -> Settings:
    """Settings for the shared auth cassette: whole-cassette rewrite whenever recording."""
    from dataclasses import replace

    mode = "rewrite" if settings.recording else "none"
    return replace(
        settings, record_mode=mode, match_on=("method", "path"), allow_playback_repeats=True
    )


def _safe_name(text: str) -> str:
    name = _UNSAFE_NAME.sub("_", text).strip("._") or "_"
    if len(name) > _MAX_NAME:
        import hashlib

        name = f"{name[:_MAX_NAME]}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"
    return name


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if callable(value):
        return [value]
    return list(value)


def _state(config: pytest.Config) -> BssState:
    return config.stash[_STATE]


# ---------------------------------------------------------------------------
# Reports and summary


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    if call.excinfo is not None and _is_cassette_error(call.excinfo.value):
        # The message already says what happened and how to fix it.
        report.longrepr = f"{call.excinfo.typename}: {call.excinfo.value}"
    return report


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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is None:
        return
    workeroutput = getattr(session.config, "workeroutput", None)
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
    if not (stats.replayed or stats.recorded or stats.not_saved):
        return
    terminalreporter.write_line(
        f"pytest-bss: {stats.replayed} cassettes replayed ({stats.played_interactions} interactions), "
        f"{stats.recorded} recorded ({stats.recorded_interactions} interactions), "
        f"{stats.scrubbed} values scrubbed"
    )
    for path in stats.not_saved:
        terminalreporter.write_line(
            f"pytest-bss: not saved because its test failed, the old cassette was kept: {path}"
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
    """ "record" while recording against a tenant (--bss-record), else "replay"."""
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
        return _bss_state.session_token({})
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
    message = None
    try:
        with state.open_cassette(
            path, settings=settings, vcr_options=vcr_options, nodeid=nodeid
        ) as cassette:
            yield cassette
            report = request.node.stash.get(_CALL_REPORT, None)
            if state.recording and (report is None or report.failed):
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
    unknown = sorted(set(marker.kwargs) - {"cassette", "match_on", "allow_playback_repeats"})
    if unknown or len(marker.args) > 1:
        pytest.fail(
            f"@pytest.mark.bss takes cassette=, match_on= and allow_playback_repeats=; got {unknown}",
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

    client = BssClient(bss_config, token_source=_bss_state.token_source)
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
