"""``BssMock``: a ``responses`` mock bound to one BSS base URL, token endpoint included."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import responses

from .client import BssClient
from .config import BssConfig

__all__ = ["MOCK_TOKEN", "BssMock"]

MOCK_TOKEN = "mock-access-token"  # noqa: S105 - a visible stand-in, not a credential


def _mock_config() -> BssConfig:
    return BssConfig(
        base_url="https://bss.tenant.invalid/",
        client_key="mock-client-key",
        client_secret="mock-client-secret",  # noqa: S106 - synthetic
        username="mock-user",
        password="mock-password",  # noqa: S106 - synthetic
    )


class BssMock:
    """Stub BSS routes with paths relative to the base URL, for tests that need no cassette.

    ``with BssMock() as mock:`` starts a :class:`responses.RequestsMock` (every
    ``requests`` call in the block is mocked) with ``POST oauth/token`` answering a
    bearer token. ``mock.get("api/accounts/1", json={...})`` adds a route;
    ``mock.client`` is a :class:`BssClient` for the same base URL; ``mock.calls``
    and ``mock.token_calls`` tell what was requested.
    """

    def __init__(
        self,
        config: BssConfig | None = None,
        *,
        token: str = MOCK_TOKEN,
        expires_in: int = 1799,
        assert_all_requests_are_fired: bool = False,
    ) -> None:
        self.config = config or _mock_config()
        self.mock = responses.RequestsMock(
            assert_all_requests_are_fired=assert_all_requests_are_fired
        )
        self._token_body = {"access_token": token, "token_type": "bearer", "expires_in": expires_in}
        self._client: BssClient | None = None
        self.token_route: responses.BaseResponse | None = None

    def __enter__(self) -> BssMock:
        self.mock.start()
        self.token_route = self.mock.add(
            responses.POST, self.config.token_url, json=self._token_body, status=200
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        self.mock.stop(allow_assert=exc_type is None)
        self.mock.reset()

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` under the base URL."""
        return self.config.base_url + path.lstrip("/")

    def add(self, method: str, path: str, **kwargs: Any) -> responses.BaseResponse:
        """Add a route; ``kwargs`` are those of ``responses.add`` (json=, body=, status=, ...)."""
        return self.mock.add(method, self.url(path), **kwargs)

    def get(self, path: str, **kwargs: Any) -> responses.BaseResponse:
        """Add a GET route."""
        return self.add(responses.GET, path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> responses.BaseResponse:
        """Add a POST route."""
        return self.add(responses.POST, path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> responses.BaseResponse:
        """Add a PUT route."""
        return self.add(responses.PUT, path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> responses.BaseResponse:
        """Add a DELETE route."""
        return self.add(responses.DELETE, path, **kwargs)

    @property
    def calls(self) -> Any:
        """Every request the mock answered (``responses.CallList``)."""
        return self.mock.calls

    @property
    def token_calls(self) -> int:
        """How many token requests were made."""
        return self.token_route.call_count if self.token_route is not None else 0

    @property
    def client(self) -> BssClient:
        """A BssClient for the mocked base URL (made on first use, closed on exit)."""
        if self._client is None:
            self._client = BssClient(self.config)
        return self._client
