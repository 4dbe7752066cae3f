"""Requests to the tenant that no cassette sees: refused with an error that names the fix.

Inside a pytest-bss cassette vcrpy answers every request (replay) or records it
(recording). A request made while no cassette is in use escapes both: during replay nothing
can answer it; during recording it reaches the tenant, the test passes, nothing records the
request, and the next replay fails. Typically a test built its own ``BssClient`` or
``requests.Session`` without asking for ``bss_cassette``.

:class:`HostGuard` wraps :func:`socket.getaddrinfo`: every HTTP library (``http.client``,
urllib3, requests, httpx) looks the host up before it connects, and vcrpy's recording
connections do too, so one check covers them all. It sees hosts and ports, not URLs: it
guards the tenant's host and port as a whole (a loopback tenant, such as the emulator, under
every spelling of this machine: ``localhost``, ``127.0.0.1``, ``::1``), and a request sent
through an HTTP proxy (whose lookup is the proxy's) passes unseen. Hosts other than the tenant's are not
pytest-bss's business and are never refused.

A refused request raises :class:`~pytest_bss.exceptions.RequestOutsideCassetteError`;
the guard also keeps its message until :meth:`HostGuard.take_refused`, so the plugin fails
the test even when the code under test swallowed the error.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

__all__ = ["HostGuard", "cassette_in_use", "host_and_port"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_and_port(url: str) -> tuple[str, int | None]:
    """The host (lower case) and port of ``url``; the scheme's default port when it has none."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    return host, parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())


def cassette_in_use() -> bool:
    """Whether a pytest-bss cassette is in use in this process (any thread)."""
    # No cassette module loaded means no cassette was ever opened: don't load vcrpy to ask.
    module = sys.modules.get("pytest_bss.cassettes")
    return module is not None and bool(module.cassettes_in_use())


def _port(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None  # a service name ("https"), or None: compare by host only


def _loopback(host: str) -> bool:
    """Whether ``host`` names this machine: ``localhost`` or a loopback address."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HostGuard:
    """Refuses lookups of guarded hosts (and ports) while ``refuse_now()`` says so.

    ``describe(place, test)`` builds the message of the error for a refused ``host:port``,
    during ``test`` (pytest's ``PYTEST_CURRENT_TEST``, or "").
    """

    def __init__(self, describe: Callable[[str, str], str], refuse_now: Callable[[], bool]) -> None:
        self._describe = describe
        self._refuse_now = refuse_now
        self._targets: set[tuple[str, int | None]] = set()
        self._refused: list[str] = []
        self._lock = threading.Lock()
        self._original: Any = None

    def guard(self, host: str, port: int | None = None) -> None:
        """Refuse ``host`` (on ``port``, or any port when None); installs the guard once."""
        with self._lock:
            self._targets.add((host.lower().rstrip("."), port))
            if self._original is not None:
                return
            original = self._original = socket.getaddrinfo

        def getaddrinfo(host: Any, port: Any = None, *args: Any, **kwargs: Any) -> Any:
            self._check(host, port)
            return original(host, port, *args, **kwargs)

        socket.getaddrinfo = getaddrinfo

    def _check(self, host: Any, port: Any) -> None:
        name = host.decode(errors="replace") if isinstance(host, bytes) else host
        if not isinstance(name, str):
            return
        name = name.lower().rstrip(".").strip("[]")
        number = _port(port)
        targets = self._targets
        if (name, None) not in targets and (name, number) not in targets:
            # the loopback tenant (the emulator) by another spelling: localhost, ::1 ...
            loopback = {port for host, port in targets if _loopback(host)}
            if not (_loopback(name) and (None in loopback or number in loopback)):
                return
        if not self._refuse_now():
            return
        from .exceptions import RequestOutsideCassetteError

        place = name if number is None else f"{name}:{number}"
        message = self._describe(place, os.environ.get("PYTEST_CURRENT_TEST", ""))
        with self._lock:
            self._refused.append(message)
        raise RequestOutsideCassetteError(message)

    def take_refused(self) -> list[str]:
        """The messages of the requests refused since the last call."""
        with self._lock:
            refused, self._refused = self._refused, []
        return refused

    def remove(self) -> None:
        """Put the original ``socket.getaddrinfo`` back."""
        with self._lock:
            original, self._original = self._original, None
        if original is not None:
            socket.getaddrinfo = original
