"""A ``requests.Session`` bound to one BSS tenant: :class:`BssClient`."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from itertools import count
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.auth

from .auth import BssAuth, PasswordGrant, TokenSource, oauth_error
from .config import BssConfig
from .exceptions import BssApiError, BssConnectionError, BssError, BssTimeoutError

__all__ = ["BssClient"]

logger = logging.getLogger("pytest_bss.client")

_ABSOLUTE = re.compile(r"^https?://", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
# Error bodies quoted in exceptions are capped: an HTML error page must not flood a report.
_MAX_EXCERPT = 200
# A bearer token shorter than 4 characters would mangle ordinary words if redacted.
_BEARER = re.compile(r"Bearer\s+\S{4,}\s*", re.IGNORECASE)
# Session.request's parameters before ``timeout``, for callers who pass it positionally.
_ARGS_BEFORE_TIMEOUT = 6


class BssClient(requests.Session):
    """A session that talks to the tenant described by ``config``.

    Relative URLs (``"api/accounts/1"`` or ``"/api/accounts/1"``) join under
    ``config.base_url``, virtual directory included; absolute ``http(s)`` URLs pass through.
    Every request sends ``Accept: application/json`` and ``X-Api-Version`` and gets
    ``config.timeout`` unless the caller gives a timeout. Without ``auth``, the client logs in
    with ``BssAuth(token_source or PasswordGrant(config))``.
    """

    def __init__(
        self,
        config: BssConfig,
        *,
        auth: requests.auth.AuthBase | None = None,
        token_source: TokenSource | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.base_url = config.base_url
        self._owned_grant: PasswordGrant | None = None
        if auth is None:
            if token_source is None:
                token_source = self._owned_grant = PasswordGrant(config)
            auth = BssAuth(token_source)
        elif token_source is None and isinstance(auth, BssAuth):
            token_source = auth.source
        self.auth = auth
        self.token_source: TokenSource | None = token_source
        self.headers["Accept"] = "application/json"
        self.headers["X-Api-Version"] = config.api_version

    def url_for(self, path: str) -> str:
        """The absolute URL of ``path``: joined under the base URL unless already absolute."""
        if _ABSOLUTE.match(path):
            return path
        # A leading slash means "from the base", never "from the host root": the base may
        # carry a virtual directory such as /bsssmapi/.
        return self.base_url + path.lstrip("/")

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send a request; see the class docstring for URL joining and the default timeout."""
        if isinstance(url, bytes):
            url = url.decode()
        url = self.url_for(url)
        if len(args) <= _ARGS_BEFORE_TIMEOUT and kwargs.get("timeout") is None:
            kwargs["timeout"] = self.config.timeout
        shown_method = method.decode() if isinstance(method, bytes) else method
        path = self._path(url)
        try:
            response = super().request(method, url, *args, **kwargs)
        except BssError:
            raise
        except requests.Timeout as exc:
            raise BssTimeoutError(
                f"{shown_method.upper()} {path} got no answer from the BSS tenant at "
                f"{self.base_url} within the timeout: check that it is up, or raise BSS_TIMEOUT "
                f"({type(exc).__name__}: {exc})"
            ) from None
        except requests.ConnectionError as exc:
            raise BssConnectionError(
                f"{shown_method.upper()} {path} could not reach the BSS tenant at "
                f"{self.base_url}: check BSS_BASE_URL and the network "
                f"({type(exc).__name__}: {exc})"
            ) from None
        logger.debug("%s %s -> %s", shown_method.upper(), path, response.status_code)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and return its decoded JSON body (``None`` for an empty body).

        Raises :class:`~pytest_bss.exceptions.BssApiError` for a status of 400 or more, with
        the server's ``message`` and ``modelState``.
        """
        response = self.request(method, path, **kwargs)
        return _decode(response, method.upper(), self._path(self.url_for(path)), self.config)

    def get_json(self, path: str, **kwargs: Any) -> Any:
        """``json("GET", path, **kwargs)``."""
        return self.json("GET", path, **kwargs)

    def paginate(
        self, path: str, *, page_size: int = 25, params: Mapping[str, Any] | None = None
    ) -> Iterator[Any]:
        """Iterate over every item of a paged list, fetching ``pageIndex`` 1, 2, … lazily.

        Pages may be bare lists or ``{"data": [...], "totalCount": n}``. Iteration stops after
        a short or empty page, once ``totalCount`` items were seen, or when a page is longer
        than asked for (the server ignored the paging parameters and sent everything).
        """
        # Validated here, not on the first next(): a bad call fails where it is written.
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise ValueError(f"page_size must be a positive integer, got {page_size!r}")
        return self._pages(path, page_size, params or {})

    def _pages(self, path: str, page_size: int, params: Mapping[str, Any]) -> Iterator[Any]:
        seen = 0
        where = self._path(self.url_for(path))
        for page_index in count(1):
            query = {**params, "pageIndex": page_index, "pageSize": page_size}
            response = self.request("GET", path, params=query)
            body = _decode(response, "GET", where, self.config)
            items, total = _page(body, response, where)
            yield from items
            seen += len(items)
            if len(items) != page_size or (total is not None and seen >= total):
                return

    def close(self) -> None:
        """Close the session and the token grant the client created for itself."""
        super().close()
        if self._owned_grant is not None:
            self._owned_grant.close()

    def __repr__(self) -> str:
        return f"BssClient(base_url={self.base_url!r})"

    def _path(self, url: str) -> str:
        # Errors and logs show where under the tenant a request went, never the host.
        path = url.split("?", 1)[0].split("#", 1)[0]
        if path.startswith(self.base_url):
            return path[len(self.base_url) :]
        return urlsplit(url).path


def _decode(response: requests.Response, method: str, path: str, config: BssConfig) -> Any:
    if response.status_code >= 400:
        message, model_state = _error_details(response)
        error, description = oauth_error(response)
        raise BssApiError(
            status=response.status_code,
            method=method,
            path=path,
            message=_cleared(message, response, config),
            model_state={
                field: [_cleared(problem, response, config) or "" for problem in problems]
                for field, problems in model_state.items()
            },
            error=_cleared(error, response, config),
            error_description=_cleared(description, response, config),
        )
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise BssApiError(
            status=response.status_code,
            method=method,
            path=path,
            message=f"expected JSON, got {_describe_body(response)}",
        ) from None


def _cleared(text: str | None, response: requests.Response, config: BssConfig) -> str | None:
    """Server text without the config's credentials or the bearer token the request sent."""
    if text is None:
        return None
    text = config.redact(text)
    # The token stays inside the expressions: no local of this frame ever holds it.
    if _BEARER.fullmatch(str(response.request.headers.get("Authorization", ""))):
        text = text.replace(
            str(response.request.headers["Authorization"]).split(None, 1)[1].strip(), "***"
        )
    return text


def _page(body: Any, response: requests.Response, path: str) -> tuple[list[Any], int | None]:
    if isinstance(body, list):
        return body, None
    if isinstance(body, Mapping):
        data = _get_ci(body, "data")
        if isinstance(data, list):
            total = _get_ci(body, "totalCount")
            if isinstance(total, bool) or not isinstance(total, int):
                total = None
            return data, total
    raise BssApiError(
        status=response.status_code,
        method="GET",
        path=path,
        message=f"expected a list or a data envelope, got {_describe_body(response)}",
    )


def _error_details(response: requests.Response) -> tuple[str | None, dict[str, list[str]]]:
    try:
        body = response.json()
    except ValueError:
        text = _excerpt(_TAG.sub(" ", response.text))
        return text or None, {}
    if isinstance(body, str):
        return _excerpt(body) or None, {}
    if not isinstance(body, Mapping):
        return None, {}
    # ASP.NET answers "Message" or "message" depending on the tenant's JSON settings.
    message = _get_ci(body, "message")
    return (
        _excerpt(message) if isinstance(message, str) else None,
        _model_state(_get_ci(body, "modelState")),
    )


def _model_state(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        return {}
    state: dict[str, list[str]] = {}
    for field, problems in value.items():
        if isinstance(problems, list):
            state[str(field)] = [_excerpt(str(problem)) for problem in problems]
        else:
            state[str(field)] = [_excerpt(str(problems))]
    return state


def _get_ci(mapping: Mapping[Any, Any], key: str) -> Any:
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    for name, value in mapping.items():
        if isinstance(name, str) and name.lower() == lowered:
            return value
    return None


def _describe_body(response: requests.Response) -> str:
    kind = response.headers.get("Content-Type", "").split(";")[0].strip() or "no Content-Type"
    text = _excerpt(_TAG.sub(" ", response.text))
    return f"{kind}: {text}" if text else kind


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > _MAX_EXCERPT:
        return text[: _MAX_EXCERPT - 1] + "…"
    return text
