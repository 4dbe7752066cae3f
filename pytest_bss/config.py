"""Settings for talking to one BSS tenant: :class:`BssConfig`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from urllib.parse import urlsplit

from .exceptions import BssConfigError
from .reports import MIN_REDACTED

__all__ = ["ENV_VARS", "KNOWN_API_VERSIONS", "BssConfig"]

#: Field name -> environment variable, in the order they are reported.
ENV_VARS: dict[str, str] = {
    "base_url": "BSS_BASE_URL",
    "client_key": "BSS_CLIENT_KEY",
    "client_secret": "BSS_CLIENT_SECRET",
    "username": "BSS_USERNAME",
    "password": "BSS_PASSWORD",
    "api_version": "BSS_API_VERSION",
    "timeout": "BSS_TIMEOUT",
}
REQUIRED = ("base_url", "client_key", "client_secret", "username", "password")
#: Values ``X-Api-Version`` accepts (docs/bss-api.md, "Versioning").
KNOWN_API_VERSIONS = ("1", "2", "2.1", "2.2", "3.0", "latest")
_HIDDEN = "'***'"


@dataclass(frozen=True, repr=False, init=False)
class BssConfig:
    """Where the tenant is and how to log in to it.

    ``base_url`` is the one base under which both ``oauth/token`` and ``api/...``
    live (it may carry a virtual directory such as ``/bsssmapi``); it is stored
    with a trailing slash. ``repr()`` and ``str()`` never show a credential, and
    neither does a traceback of a failed construction shown with ``--showlocals``.
    """

    base_url: str
    client_key: str = field(repr=False)
    client_secret: str = field(repr=False)
    username: str = field(repr=False)
    password: str = field(repr=False)
    api_version: str = "latest"
    timeout: float = 30.0

    def __init__(
        self,
        base_url: str,
        client_key: str,
        client_secret: str,
        username: str,
        password: str,
        api_version: str = "latest",
        timeout: float = 30.0,
    ) -> None:
        # Store first, check after, and drop the arguments in between: pytest prints the
        # locals of every frame a failure passed through (-l, --tb=long), and from here on
        # the credentials are only on `self`, whose repr() hides them.
        object.__setattr__(self, "base_url", base_url)
        object.__setattr__(self, "client_key", client_key)
        object.__setattr__(self, "client_secret", client_secret)
        object.__setattr__(self, "username", username)
        object.__setattr__(self, "password", password)
        object.__setattr__(self, "api_version", api_version)
        object.__setattr__(self, "timeout", timeout)
        del base_url, client_key, client_secret, username, password, api_version, timeout
        self._check()

    def _check(self) -> None:
        problem = _base_url_problem(self.base_url)
        if problem is not None:
            raise BssConfigError(problem)
        if not self.base_url.endswith("/"):
            object.__setattr__(self, "base_url", self.base_url + "/")
        if self.api_version not in KNOWN_API_VERSIONS:
            raise BssConfigError(
                f"BSS_API_VERSION must be one of {', '.join(KNOWN_API_VERSIONS)}, "
                f"got {self.api_version!r}"
            )
        if not self.timeout > 0:
            raise BssConfigError(
                f"BSS_TIMEOUT must be a positive number of seconds, got {self.timeout!r}"
            )

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: str | float
    ) -> BssConfig:
        """Build a config from ``BSS_*`` variables; ``overrides`` win over them.

        Every missing required value is reported at once, by variable name.
        """
        values = _Settings()
        _gather(values, os.environ if environ is None else environ, overrides)
        # Both may hold credentials (os.environ's repr() shows every variable); a traceback
        # that passes through this frame prints its locals, so only `values` stays.
        del environ, overrides
        missing = tuple(ENV_VARS[name] for name in REQUIRED if not values.get(name))
        if missing:
            raise BssConfigError(
                f"Missing BSS settings: {', '.join(missing)}. "
                "Set these environment variables to reach a tenant "
                "(or run `python -m pytest_bss.fake` for a local emulator and its demo values).",
                missing=missing,
            )
        if "timeout" in values:
            try:
                values["timeout"] = float(values["timeout"])
            except ValueError:
                raise BssConfigError(
                    f"BSS_TIMEOUT must be a number of seconds, got {values['timeout']!r}"
                ) from None
        return cls(**values)  # type: ignore[arg-type]

    def redact(self, text: str) -> str:
        """``text`` with every credential value of this config replaced by ``***``."""
        for value in self.secrets().values():
            # Very short values would mangle ordinary words and give nothing away anyway.
            if len(value) >= MIN_REDACTED:
                text = text.replace(value, "***")
        return text

    def secrets(self) -> dict[str, str]:
        """The credential values by field name, for scrubbing and leak checks."""
        return {
            "client_key": self.client_key,
            "client_secret": self.client_secret,
            "username": self.username,
            "password": self.password,
        }

    @property
    def token_url(self) -> str:
        """``{base_url}oauth/token``."""
        return self.base_url + "oauth/token"

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            # A half-built config (a check failed) may lack fields or hold a URL with
            # credentials in it; pytest shows `self` of the failing frame all the same.
            if not f.repr:
                value = _HIDDEN
            elif f.name == "base_url":
                value = _shown(f.name, getattr(self, f.name, "?"))
            else:
                value = repr(getattr(self, f.name, "?"))
            shown.append(f"{f.name}={value}")
        return f"BssConfig({', '.join(shown)})"

    __str__ = __repr__


class _Settings(dict[str, str | float]):
    """Settings on their way from the environment: ``repr()`` hides the credentials."""

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k!r}: {_shown(k, v)}" for k, v in self.items()) + "}"


def _gather(
    values: _Settings, env: Mapping[str, str], overrides: Mapping[str, str | float]
) -> None:
    # No credential is bound to a name here: each goes straight from `env` into `values`.
    for name, var in ENV_VARS.items():
        if name in overrides:
            values[name] = overrides[name]
        elif isinstance(env.get(var), str) and env[var].strip():
            values[name] = env[var].strip()


def _shown(name: str, value: object) -> str:
    if name in REQUIRED[1:]:
        return _HIDDEN
    if name == "base_url" and isinstance(value, str):
        return _describe_url(value)
    return repr(value)


def _base_url_problem(url: str) -> str | None:
    # Returns rather than raises, so the parts of a URL that may carry credentials
    # (user:pass@) are gone with this frame before the error travels.
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if parts is None or not port_ok or parts.scheme not in ("http", "https") or not parts.netloc:
        return (
            "BSS_BASE_URL must be an http(s) URL such as https://bss.example.com/, "
            f"got {_describe_url(url)}"
        )
    if parts.username or parts.password:
        return (
            "BSS_BASE_URL must not carry a user name or password; "
            "set BSS_USERNAME and BSS_PASSWORD instead"
        )
    if parts.query or parts.fragment:
        return "BSS_BASE_URL must not have a query or fragment"
    return None


def _describe_url(url: str) -> str:
    # A mistyped URL may hold credentials (user:pass@); show only its shape.
    if "@" in url.split("?", 1)[0].split("#", 1)[0]:
        return "a URL with credentials in it"
    return repr(url)
