"""What pytest-bss keeps for one pytest process (one per xdist worker).

:class:`BssState` is the run's state: the merged settings, the tenant (or the emulator
started for this process), the credentials it knows, the persister that writes cassettes,
the counts for the summary line, and the process-wide patches it installs and removes.
Naming cassettes lives in :mod:`.naming`, opening them in :mod:`.cassette_options`, the
session token in :mod:`.session_token`.
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .cassette_options import CassetteOpener
from .host_guard import HostGuard, cassette_in_use, host_and_port
from .naming import auth_cassette_path, cassette_path_for_test
from .session_token import SessionToken
from .settings import Settings

if TYPE_CHECKING:
    from .cassettes import BssCassette, BssPersister
    from .config import BssConfig
    from .fake import TenantEmulator
    from .personal import PersonalPolicy, Pseudonymiser
    from .reports import Redactor
    from .secret_set import SecretSet

__all__ = ["REPLAY_HOST", "BssState", "Stats", "replay_config"]

# The host of secret_set.NEUTRAL_BASE, spelled out: importing it here would load requests at start-up.
REPLAY_HOST = "bss.tenant.invalid"


def replay_config(api_version: str) -> BssConfig:
    """The neutral host and placeholder credentials every replay uses."""
    from .config import BssConfig
    from .secret_set import NEUTRAL_BASE

    return BssConfig(
        base_url=NEUTRAL_BASE,
        client_key="<BSS_CLIENT_KEY>",
        client_secret="<BSS_CLIENT_SECRET>",  # noqa: S106 - a placeholder, not a secret
        username="<BSS_USERNAME>",
        password="<BSS_PASSWORD>",  # noqa: S106 - a placeholder, not a secret
        api_version=api_version,
    )


def _counted(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


@dataclass
class Stats:
    """What the end-of-run summary line counts (see :meth:`summary`).

    Cassettes are counted as files (a cassette shared by several tests, or by xdist
    workers, counts once); interactions as they were played or newly recorded.
    """

    #: cassette files that answered from disk: read and played (or used in replay)
    replayed: list[str] = field(default_factory=list)
    #: cassette files written
    recorded: list[str] = field(default_factory=list)
    #: cassette files that could not be read (CassetteCorruptError)
    unreadable: list[str] = field(default_factory=list)
    #: cassettes opened or tried (the shared auth cassette too)
    opened: int = 0
    played_interactions: int = 0
    #: interactions recorded in this run (not those a file already held)
    recorded_interactions: int = 0
    scrubbed: int = 0
    deselected: int = 0
    not_saved: list[str] = field(default_factory=list)
    used: list[str] = field(default_factory=list)
    refused_ids: list[str] = field(default_factory=list)
    #: cassettes named by ``@pytest.mark.bss(cassette=…)`` that this run rewrote
    shared: list[str] = field(default_factory=list)
    #: replayed cassettes older than bss_max_age: (path, recorded date or None, test id)
    stale: list[tuple[str, str | None, str]] = field(default_factory=list)
    #: --bss-verify: one pytest_bss.verify.CassetteDrift (as a dict) per test's cassette
    drift: list[dict[str, Any]] = field(default_factory=list)

    def merge(self, other: dict[str, Any]) -> None:
        for name in (
            "opened",
            "played_interactions",
            "recorded_interactions",
            "scrubbed",
            "deselected",
        ):
            setattr(self, name, getattr(self, name) + int(other.get(name, 0)))
        for name in (
            "replayed",
            "recorded",
            "unreadable",
            "not_saved",
            "used",
            "refused_ids",
            "shared",
            "stale",
            "drift",
        ):
            getattr(self, name).extend(other.get(name, []))

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary(self) -> str | None:
        """The end-of-run line; None when no cassette was opened (or tried)."""
        if not (self.opened or self.used or self.not_saved):
            return None
        replayed, recorded = len(set(self.replayed)), len(set(self.recorded))
        line = (
            f"pytest-bss: {_counted(replayed, 'cassette')} replayed "
            f"({_counted(self.played_interactions, 'interaction')}), "
            f"{recorded} recorded ({_counted(self.recorded_interactions, 'interaction')}), "
            f"{_counted(self.scrubbed, 'value')} scrubbed"
        )
        if self.unreadable:
            line += f", {len(set(self.unreadable))} unreadable"
        return line


def _during(test: str) -> str:
    return f" during {test}" if test else ""


@dataclass
class BssState:
    """Everything pytest-bss keeps for one pytest process (one per xdist worker)."""

    config: pytest.Config
    settings: Settings
    tenant_config: BssConfig | None = None
    stats: Stats = field(default_factory=Stats)
    _emulator: TenantEmulator | None = None
    _secrets: SecretSet | None = None
    _env_secrets: SecretSet | None = None
    _persister: BssPersister | None = None
    _pseudonymiser: Pseudonymiser | None = None
    #: per cassette file: the personal-data policy of the test that last opened it
    _personal: dict[str, PersonalPolicy] = field(default_factory=dict)
    #: bss_max_age (a datetime.timedelta) and bss_on_stale
    max_age: Any = None
    on_stale: str = "warn"
    #: --bss-verify, --bss-verify-writes, and the report files written at the end
    verify: bool = False
    verify_writes: bool = False
    verify_report: list[Path] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _restore_vcr_level: Any = None
    redactor: Redactor | None = None
    _undo_redaction: Any = None
    _guard: HostGuard | None = None

    def __post_init__(self) -> None:
        workerinput = getattr(self.config, "workerinput", None)
        # All xdist workers of one run share testrunuid: it keys the "already
        # rewritten in this run" marks, so a shared cassette is rewritten once.
        self._run_id = workerinput["testrunuid"] if workerinput else None
        self.is_controller = workerinput is None
        self.opener = CassetteOpener(self)
        self.token = SessionToken(self)

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
            return replay_config(version or "latest")
        if self.tenant_config is None:
            # --bss-emulator: a tenant emulator on 127.0.0.1 for this process.
            from .fake import TenantEmulator

            revision = self.config.getoption("bss_emulator_revision", None) or 1
            self._emulator = TenantEmulator(api_revision=revision).start()
            self.tenant_config = self._emulator.config()
            self.guard_tenant()
        return self.tenant_config

    @property
    def secrets(self) -> SecretSet:
        if self._secrets is None:
            from .secret_set import SecretSet

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

            self._persister = BssPersister(
                self.secrets,
                base_urls=self.base_urls,
                volatile_headers=self.settings.volatile_headers,
                baseline_for=self.opener.baseline_for,
                personal_for=self.personal_for,
                pseudonymiser=self.pseudonymiser,
            )
        return self._persister

    def fresh_emulator_data(self) -> None:
        """Give the next test the embedded emulator's seeded records: a recording is then
        the same whatever ran before it (any order, any xdist worker)."""
        if self._emulator is not None:
            self._emulator.reset_data()

    @property
    def pseudonymiser(self) -> Pseudonymiser | None:
        """Draws this run's pseudonyms while recording (keyed as docs/personal-data.md says)."""
        if not self.recording:
            return None
        if self._pseudonymiser is None:
            from .personal import Pseudonymiser, pseudonym_key

            config = self.bss_config()
            key = pseudonym_key(client_secret=config.client_secret, base_url=config.base_url)
            self._pseudonymiser = Pseudonymiser(key) if key is not None else None
        return self._pseudonymiser

    def personal_policy(self, settings: Settings) -> PersonalPolicy:
        """What a cassette opened with ``settings`` does with personal data."""
        from .personal import PersonalPolicy

        return PersonalPolicy(
            settings.personal_data, _key_rules(settings.personal_fields, settings.personal_keep)
        )

    def use_personal_policy(self, path: Path, policy: PersonalPolicy) -> None:
        """``path`` is written with ``policy`` (the test that opened it last decides)."""
        self._personal[str(path)] = policy

    def personal_for(self, path: Path) -> PersonalPolicy:
        """The personal-data policy ``path`` is written with."""
        policy = self._personal.get(str(path))
        return policy if policy is not None else self.personal_policy(self.settings)

    def env_credentials(self) -> list[tuple[str, str]]:
        """(kind, value) of every ``BSS_*`` credential set in the environment."""
        if not any(name.startswith("BSS_") for name in os.environ):
            return []  # the common replay run: don't load config (and requests) for nothing
        from .config import ENV_VARS

        kinds = ("client_key", "client_secret", "username", "password")
        return [
            (kind, os.environ[ENV_VARS[kind]]) for kind in kinds if os.environ.get(ENV_VARS[kind])
        ]

    def knows_credentials(self) -> bool:
        """Whether this run knows any credential value: recording, or ``BSS_*`` set."""
        return self.recording or bool(self.env_credentials())

    def credentials(self) -> list[tuple[str, str, str]]:
        """(kind, value, placeholder) of every credential this run knows so far."""
        known = list(self.secrets.items()) if self.recording else []
        if self._env_secrets is None:
            from .secret_set import SecretSet

            self._env_secrets = SecretSet()
            for kind, value in self.env_credentials():
                self._env_secrets.add(kind, value, pinned=True)
        return known + self._env_secrets.items()

    def start_redacting(self) -> None:
        """Redact every known credential from reports, logs and the terminal (see reports.py)."""
        if self.redactor is not None or not self.knows_credentials():
            return
        from .reports import Redactor, install

        self.redactor = Redactor(
            lambda: [(value, placeholder) for _, value, placeholder in self.credentials()]
        )
        self._undo_redaction = install(self.config, self.redactor)

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
        if self._guard is not None:
            return

        def describe(place: str, test: str) -> str:
            return (
                f"A request to the replay tenant ({REPLAY_HOST}) was made outside any "
                f"cassette{_during(test)}, so nothing can answer it. Use the bss_client "
                "fixture, or ask for bss_cassette in a test that builds its own client.\n"
                "(README: Troubleshooting, 'Request outside any cassette')"
            )

        self._guard = HostGuard(describe, refuse_now=lambda: True)
        self._guard.guard(REPLAY_HOST)

    def guard_tenant(self) -> None:
        """While recording, refuse requests to the tenant made outside any cassette.

        Such a request would pass now and fail at the next replay (host_guard.py); inside
        a cassette it is recorded as usual. The emulator's host is guarded once it starts.
        """
        if not self.recording or self.tenant_config is None or self._guard is not None:
            return

        def describe(place: str, test: str) -> str:
            if self.verify:
                return (
                    f"A request to the tenant ({place}) was made outside any cassette"
                    f"{_during(test)} while verifying: nothing compares it, and it could "
                    "change the tenant. Use the bss_client fixture, or add bss_cassette to the "
                    "test's arguments.\n(docs/verify.md)"
                )
            return (
                f"A request to the tenant ({place}) was made outside any cassette"
                f"{_during(test)} while recording: nothing records it, so the next replay of this "
                "test would fail. Use the bss_client fixture, or add bss_cassette to the "
                "arguments of a test that builds its own BssClient or requests.Session, "
                "then record again.\n(docs/recording.md: 'Request outside any cassette')"
            )

        self._guard = HostGuard(describe, refuse_now=lambda: not cassette_in_use())
        self._guard.guard(*host_and_port(self.tenant_config.base_url))

    def take_refused_requests(self) -> str | None:
        """What the host guard refused since the last call, as one message; None if nothing."""
        refused = self._guard.take_refused() if self._guard is not None else []
        if not refused:
            return None
        return (
            "RequestOutsideCassetteError: "
            + refused[0]
            + "\n(The test caught this error, so pytest-bss fails the test itself.)"
        )

    def close(self) -> None:
        if self._undo_redaction is not None:
            self._undo_redaction()
            self._undo_redaction = None
        if self._restore_vcr_level is not None:
            self._restore_vcr_level()
            self._restore_vcr_level = None
        if self._guard is not None:
            self._guard.remove()
            self._guard = None
        if self._emulator is not None:
            self._emulator.stop()
            self._emulator = None
        if self.is_controller and ("run_dir" in self.__dict__ or self._run_id):
            import shutil

            shutil.rmtree(self.run_dir, ignore_errors=True)

    # -- cassette naming -------------------------------------------------------

    # -- cassettes -------------------------------------------------------------

    def cassette_path(self, node: pytest.Item, name: str | None) -> Path:
        """The cassette of test ``node``: named after it, or ``name`` from the marker."""
        return cassette_path_for_test(
            self.cassette_dir,
            self.config.rootpath,
            Path(node.path),
            node.nodeid,
            name,
            self.settings.cassette_format,
        )

    def auth_cassette_path(self) -> Path:
        return auth_cassette_path(self.cassette_dir, self.settings.cassette_format)

    def count(self, cassette: BssCassette, path: Path) -> None:
        """Count a test's cassette, once it is closed, for the summary line."""
        with self._lock:
            self.stats.used.append(str(path))
            # Replayed: read from its file and answering from it. A missing file answers
            # nothing; `all`/`rewrite` never play; `new_episodes` may play some and record.
            reads = cassette.record_mode in ("none", "once") or cassette.play_count > 0
            if cassette.loaded_from_file and reads:
                self.stats.replayed.append(str(path.resolve()))
                self.stats.played_interactions += cassette.play_count
            if cassette.saved:
                self.stats.recorded.append(str(path.resolve()))
                self.stats.recorded_interactions += cassette.new_interactions

    def check_drift(self, path: Path, nodeid: str, cassette: Any, settings: Settings) -> None:
        """--bss-verify: compare what the tenant answered with what the cassette held."""
        from .secret_set import NEUTRAL_BASE
        from .verify import CassetteDrift, compare

        recorded = cassette.data[: cassette.loaded]
        live = cassette.data[cassette.loaded :]
        drift = compare(
            recorded,
            live,
            recorded_base=NEUTRAL_BASE,
            live_base=self.bss_config().base_url,
            values=settings.verify_values,
        )
        shown = os.path.relpath(path, self.config.rootpath)
        result = CassetteDrift(shown, nodeid, len(live), drift)
        with self._lock:
            self.stats.drift.append(result.as_dict())

    def check_age(self, path: Path, nodeid: str) -> None:
        """In replay, note the cassette at ``path`` if it is older than ``bss_max_age``."""
        if self.max_age is None or self.recording or self._persister is None:
            return
        from .age import Stale, is_stale

        read, recorded = self._persister.recorded_on(path)
        if read and is_stale(recorded, self.max_age):
            with self._lock:
                self.stats.stale.append(Stale(str(path), recorded, nodeid).as_tuple())

    def count_opened(self) -> None:
        """Count a cassette being opened (or tried): the run has a summary line."""
        with self._lock:
            self.stats.opened += 1

    def count_unreadable(self, path: Path) -> None:
        """Count a cassette that could not be read, for the summary line."""
        with self._lock:
            self.stats.unreadable.append(str(path.resolve()))

    def finish(self) -> None:
        """Complete the counts at the end of the run (this process's part of them)."""
        # Under xdist the controller writes nothing: its count is what the workers sent.
        if self._persister is not None:
            self.stats.scrubbed += self._persister.scrubbed_values


@functools.cache
def _key_rules(fields: tuple[str, ...], keep: tuple[str, ...]) -> Any:
    from .personal import KeyRules

    return KeyRules.parse(fields, keep)
