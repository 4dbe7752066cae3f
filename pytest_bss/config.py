"""Settings for talking to one BSS tenant: :class:`BssConfig`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from urllib.parse import urlsplit

from .exceptions import BssConfigError

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
#: Values ``X-Api-Version`` accepts (BSS-API.md, "Versioning").
KNOWN_API_VERSIONS = ("1", "2", "2.1", "2.2", "3.0", "latest")
_HIDDEN = "'***'"


@dataclass(frozen=True, repr=False)
class BssConfig:
    """Where the tenant is and how to log in to it.

    ``base_url`` is the one base under which both ``oauth/token`` and ``api/...``
    live (it may carry a virtual directory such as ``/bsssmapi``); it is stored
    with a trailing slash. ``repr()`` and ``str()`` never show a credential.
    """

    base_url: str
    client_key: str = field(repr=False)
    client_secret: str = field(repr=False)
    username: str = field(repr=False)
    password: str = field(repr=False)
    api_version: str = "latest"
    timeout: float = 30.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise BssConfigError(
                f"BSS_BASE_URL must be an http(s) URL such as https://bss.example.com/, "
                f"got {_describe_url(self.base_url)}"
            )
        if parts.username or parts.password:
            raise BssConfigError(
                "BSS_BASE_URL must not carry a user name or password; "
                "set BSS_USERNAME and BSS_PASSWORD instead"
            )
        if parts.query or parts.fragment:
            raise BssConfigError("BSS_BASE_URL must not have a query or fragment")
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
        env = os.environ if environ is None else environ
        values: dict[str, str | float] = {}
        for name, var in ENV_VARS.items():
            if name in overrides:
                values[name] = overrides[name]
            elif env.get(var, "").strip():
                values[name] = env[var].strip()
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
            value = _HIDDEN if not f.repr else repr(getattr(self, f.name))
            shown.append(f"{f.name}={value}")
        return f"BssConfig({', '.join(shown)})"

    __str__ = __repr__


def _describe_url(url: str) -> str:
    # A mistyped URL may hold credentials (user:pass@); show only its shape.
    parts = urlsplit(url)
    if parts.username or parts.password:
        return "a URL with credentials in it"
    return repr(url)
