"""Every error pytest-bss raises on purpose.

::

    BssError
    ├── BssConfigError            missing or invalid settings (names the BSS_* variables)
    ├── BssAuthError              the token endpoint refused us or answered nonsense
    │   ├── InvalidClientError        400 or 401 invalid_client: client key or secret is wrong
    │   ├── InvalidGrantError         400 invalid_grant: username or password is wrong
    │   ├── UnsupportedGrantTypeError 400 unsupported_grant_type
    │   └── TokenResponseError        not JSON, HTML, no access_token, unexpected status
    ├── BssTransportError         the tenant could not be reached (also a requests error)
    │   ├── BssConnectionError        refused, DNS, TLS   (also requests.ConnectionError)
    │   └── BssTimeoutError           no answer in time   (also requests.Timeout)
    ├── BssApiError               the API answered with an error status (and OAuth error)
    └── CassetteError             the plugin's cassettes
        ├── CassetteMissingError      replay found no cassette for the test
        ├── CassetteCorruptError      empty, unparsable or hostile cassette file
        ├── RequestNotRecordedError   replay met a request the cassette does not hold
        ├── RequestAlreadyPlayedError replay met a request whose recordings were all used
        ├── RequestOutsideCassetteError a request to the tenant outside any cassette
        ├── VerifyWriteRefusedError   --bss-verify kept a POST/PUT/... from the tenant
        └── CassetteWriteError        a cassette write was refused; the old file is kept
            ├── UnstorableValueError      a value a cassette cannot hold (an object, ...)
            ├── CredentialLeakError       a credential survived scrubbing
            └── PersonalDataError         personal data survived pseudonymisation

No message ever carries a secret: messages name settings, URLs, paths, statuses
and the server's own error text, never a key, password or token.
"""

from __future__ import annotations

from typing import Any

import requests

__all__ = [
    "BssApiError",
    "BssAuthError",
    "BssConfigError",
    "BssConnectionError",
    "BssError",
    "BssTimeoutError",
    "BssTransportError",
    "CassetteCorruptError",
    "CassetteError",
    "CassetteMissingError",
    "CassetteWriteError",
    "CredentialLeakError",
    "InvalidClientError",
    "InvalidGrantError",
    "PersonalDataError",
    "RequestAlreadyPlayedError",
    "RequestNotRecordedError",
    "RequestOutsideCassetteError",
    "TokenResponseError",
    "UnstorableValueError",
    "UnsupportedGrantTypeError",
    "VerifyWriteRefusedError",
]


class BssError(Exception):
    """Base class of every error pytest-bss raises on purpose."""


class BssConfigError(BssError, ValueError):
    """Settings are missing or invalid.

    ``missing`` lists the environment variable names that had no value.
    """

    def __init__(self, message: str, *, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing


class BssAuthError(BssError):
    """The token endpoint refused the password grant or answered something unusable.

    ``error`` is the OAuth ``error`` code when the server sent one, ``base_url``
    the tenant that was asked.
    """

    def __init__(
        self,
        message: str,
        *,
        base_url: str = "",
        error: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.base_url = base_url
        self.error = error
        self.status = status


class InvalidClientError(BssAuthError):
    """``invalid_client``: the client key or client secret is wrong.

    RFC 6749 lets the server answer it with 400 or with 401 and a ``WWW-Authenticate``
    challenge; both map here (``status`` says which), as does a 401 that only challenges
    ``Basic``.
    """


class InvalidGrantError(BssAuthError):
    """``invalid_grant``: the username or password is wrong (see ``description``)."""

    def __init__(self, message: str, *, description: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.description = description


class UnsupportedGrantTypeError(BssAuthError):
    """``unsupported_grant_type``: the tenant does not accept this grant."""


class TokenResponseError(BssAuthError):
    """The token endpoint answered something that is not a usable token."""


class BssTransportError(BssError, requests.RequestException):
    """The tenant could not be reached."""


class BssConnectionError(BssTransportError, requests.ConnectionError):
    """The connection was refused or could not be made."""


class BssTimeoutError(BssTransportError, requests.Timeout):
    """The tenant did not answer in time."""


class BssApiError(BssError):
    """The API answered a request with an error status.

    Carries ``status``, ``method``, ``path`` and the server's ``message`` (and
    ``model_state`` for validation errors), so a failing test says what went wrong.
    ``error`` and ``error_description`` are the OAuth error (RFC 6750) that a 401 or 400
    may carry in its body or ``WWW-Authenticate`` header, such as ``invalid_token``.
    """

    def __init__(
        self,
        *,
        status: int,
        method: str,
        path: str,
        message: str | None = None,
        model_state: dict[str, list[str]] | None = None,
        error: str | None = None,
        error_description: str | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.message = message
        self.model_state = model_state or {}
        self.error = error
        self.error_description = error_description
        text = f"{method} {path} answered {status}"
        if message:
            text += f": {message}"
        oauth = ": ".join(part for part in (error, error_description) if part)
        if oauth and oauth != message:
            text += f" ({oauth})" if message else f": {oauth}"
        for field, problems in self.model_state.items():
            text += f"\n  {field}: {'; '.join(problems)}"
        super().__init__(text)


class CassetteError(BssError):
    """A cassette could not be used; the message says which file and the fix."""

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.path = path


class CassetteMissingError(CassetteError):
    """Replay found no cassette for the test."""


class CassetteCorruptError(CassetteError):
    """A cassette file is empty, unparsable or holds something we refuse to load."""


class RequestNotRecordedError(CassetteError):
    """Replay met a request that the cassette does not hold."""


class RequestAlreadyPlayedError(CassetteError):
    """Replay met a request that was recorded, but whose recordings were all played."""


class RequestOutsideCassetteError(CassetteError):
    """A request to the tenant was made while no cassette was in use.

    During replay nothing could answer it; while recording nothing would record it, so
    the next replay would fail. The fix: ``bss_client``, or ``bss_cassette`` in the test.
    """


class VerifyWriteRefusedError(CassetteError):
    """``--bss-verify`` did not send a request that would change the tenant (POST, PUT, ...).

    The fix: ``--bss-verify-writes`` (the test then creates real records), or deselect it.
    """


class CassetteWriteError(CassetteError):
    """A cassette write was refused; the file on disk was left as it was."""


class UnstorableValueError(CassetteWriteError):
    """An interaction holds a value no cassette can hold (say, an object as a body)."""


class CredentialLeakError(CassetteWriteError):
    """A cassette write was refused because a credential survived scrubbing.

    ``places`` lists where (interaction number and field), never the value.
    """

    def __init__(self, message: str, *, path: str = "", places: tuple[str, ...] = ()) -> None:
        super().__init__(message, path=path)
        self.places = places


class PersonalDataError(CassetteWriteError):
    """A cassette write was refused because personal data survived pseudonymisation.

    ``places`` lists where (interaction, header or JSON path) and what kind, never the value.
    """

    def __init__(self, message: str, *, path: str = "", places: tuple[str, ...] = ()) -> None:
        super().__init__(message, path=path)
        self.places = places
