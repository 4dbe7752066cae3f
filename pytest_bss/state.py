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
from .naming import auth_cassette_path, cassette_path_for_test
from .session_token import SessionToken
from .settings import Settings

if TYPE_CHECKING:
    from .cassettes import BssCassette, BssPersister
    from .config import BssConfig
    from .fake import TenantEmulator
    from .reports import Redactor
    from .scrub import SecretSet

__all__ = ["REPLAY_HOST", "BssState", "Stats", "replay_config"]

# The host of scrub.NEUTRAL_BASE, spelled out: importing scrub here would load requests at start-up.
REPLAY_HOST = "bss.tenant.invalid"


def replay_config(api_version: str) -> BssConfig:
    """The neutral host and placeholder credentials every replay uses."""
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
    refused_ids: list[str] = field(default_factory=list)

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
        self.refused_ids += other.get("refused_ids", [])

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


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
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _restore_getaddrinfo: Any = None
    _restore_vcr_level: Any = None
    redactor: Redactor | None = None
    _undo_redaction: Any = None

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

            self._persister = BssPersister(
                self.secrets,
                base_urls=self.base_urls,
                volatile_headers=self.settings.volatile_headers,
                baseline_for=self.opener.baseline_for,
            )
        return self._persister

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
            from .scrub import SecretSet

            self._env_secrets = SecretSet()
            for kind, value in self.env_credentials():
                self._env_secrets.add(kind, value)
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
        import socket

        original = socket.getaddrinfo

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else host
            if isinstance(name, str) and name.lower().rstrip(".") == REPLAY_HOST:
                from .exceptions import RequestOutsideCassetteError

                raise RequestOutsideCassetteError(
                    f"A request to the replay tenant ({REPLAY_HOST}) was made outside any "
                    "cassette, so nothing can answer it. Use the bss_client fixture, or ask for "
                    "bss_cassette in a test that builds its own client.\n"
                    "(README: Troubleshooting, 'Request outside any cassette')"
                )
            return original(host, *args, **kwargs)

        socket.getaddrinfo = getaddrinfo
        self._restore_getaddrinfo = lambda: setattr(socket, "getaddrinfo", original)

    def close(self) -> None:
        if self._undo_redaction is not None:
            self._undo_redaction()
            self._undo_redaction = None
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
            if cassette.saved:
                self.stats.recorded += 1
                self.stats.recorded_interactions += len(cassette.data)
            elif not self.recording:
                self.stats.replayed += 1
                self.stats.played_interactions += cassette.play_count
            self.stats.scrubbed = self.persister.scrubbed_values if self._persister else 0
