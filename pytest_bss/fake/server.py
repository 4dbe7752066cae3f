"""The tenant emulator: a real HTTP server on 127.0.0.1 that speaks the BSS API."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

from ..config import BssConfig
from .data import (
    ACCOUNT_FIELDS,
    CONTACT_FIELDS,
    INVOICE_SORT_KEYS,
    PAYMENT_CARD_FIELDS,
    TenantData,
    build_tenant,
    new_account,
)
from .revisions import NEWEST_VERSIONS, REVISIONS, Drift, DriftKind, apply_drifts, drifts_for
from .transport import HttpServer, Response, dump

__all__ = [
    "DEMO_CLIENT_KEY",
    "DEMO_CLIENT_SECRET",
    "DEMO_PASSWORD",
    "DEMO_USERNAME",
    "ROUTES",
    "Route",
    "TenantEmulator",
    "routes_markdown",
]

#: Demo client key: GUID-shaped, with the ``deadbeef`` placeholder people recognise.
DEMO_CLIENT_KEY = "deadbeef-0000-4000-8000-000000000001"
#: Demo client secret: 44 base64 characters (32 bytes) with ``/``, ``+`` and ``=``.
DEMO_CLIENT_SECRET = "DEMO+only/pytestBss+emulatorNotARealSecret0="  # noqa: S105
#: Demo application user.
DEMO_USERNAME = "demo.api@example.com"
#: Demo password.
DEMO_PASSWORD = "Demo-only_P@ssw0rd!"  # noqa: S105

# X-Api-Version value (lower case) -> the version it selects.
_VERSIONS = {
    "1": "1.0",
    "1.0": "1.0",
    "2": "2.0",
    "2.0": "2.0",
    "2.1": "2.1",
    "2.2": "2.2",
    "3.0": "3.0",
    "latest": "3.0",
}
_ENVELOPED = frozenset({"2.2", "3.0", *NEWEST_VERSIONS.values()})
_OAUTH_CONTENT_TYPE = "application/json;charset=UTF-8"
_NO_CACHE = (("Cache-Control", "no-cache"), ("Pragma", "no-cache"), ("Expires", "-1"))
_MAX_INT32 = 2**31 - 1
_INVALID = "The request is invalid."
_GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@dataclass(frozen=True)
class Route:
    """One row of the emulator's route table: a method on a path, and what it answers."""

    method: str
    #: A regular expression for the path under the base URL, matched whole, ignoring case.
    path: str
    #: The :class:`TenantEmulator` method that answers.
    handler: str
    #: One line for ``docs/emulator.md``: the answer and its fields.
    answers: str

    @property
    def shown_path(self) -> str:
        """The path as people write it: ``api/accounts/{id}``."""
        return re.sub(r"\(\?P<(\w+)>[^()]*\)", r"{\1}", self.path)


_LIST = (
    "a list; with `X-Api-Version` 2.2, 3.0 or latest `{data: [...], totalCount: N}` (`count_field`)"
)

#: The password grant: checked before any ``api/`` rule (no version, no bearer).
TOKEN_ROUTE = Route(
    "POST",
    "oauth/token",
    "_token",
    "password grant (client key and secret in `Authorization: Basic`, form "
    "`grant_type=password&username=&password=`): `{access_token, token_type, expires_in}`; "
    "OAuth errors `invalid_client`, `invalid_grant`, `unsupported_grant_type`",
)
#: Every ``api/`` route, in matching order; they need a bearer token.
API_ROUTES = (
    Route(
        "GET",
        r"api/accounts",
        "_list_accounts",
        f"accounts, page `pageIndex` (from 1) of `pageSize` (default 25): {_LIST}",
    ),
    Route(
        "POST",
        r"api/accounts",
        "_create_account",
        "creates an account from a JSON object (`name` required): the new id",
    ),
    Route(
        "GET",
        r"api/accounts/(?P<id>\d+)",
        "_get_account",
        f"one account: {', '.join(f'`{name}`' for name in ACCOUNT_FIELDS)} "
        f"(`paymentCard`: `{{{', '.join(PAYMENT_CARD_FIELDS)}}}` or null; it and "
        "`billingIban` are an extension of the documented fields)",
    ),
    Route(
        "GET",
        r"api/accounts/(?P<id>\d+)/syncoptions",
        "_list_sync_options",
        f"the account's sync options `{{systemCode, externalId, enabled, lastSyncDate}}`: {_LIST}",
    ),
    Route(
        "GET",
        r"api/accounts/(?P<id>\d+)/syncoptions/(?P<system>[^/]+)",
        "_get_sync_option",
        "the account's sync option for one system code (ignoring case)",
    ),
    Route(
        "GET",
        r"api/accounts/(?P<id>\d+)/balance",
        "_get_balance",
        "`{accountId, balance, debitInvoicesTotal, creditInvoicesTotal, paymentsTotal, "
        "currencyCode}`",
    ),
    Route(
        "GET",
        r"api/invoices",
        "_list_invoices",
        "`{data: [...]}` of `{id, code, billingAccountId, stage, totalAmount, type, date, "
        "dueDate}`; `size`, `invoiceDate` (from that date on), `sort` ("
        + ", ".join(f"`{key}`" for key in INVOICE_SORT_KEYS)
        + "), `order` (`asc`, `desc`)",
    ),
    Route(
        "POST",
        r"api/contacts",
        "_create_contact",
        "creates a contact from a JSON object ("
        + ", ".join(f"`{name}`" for name in CONTACT_FIELDS if name != "id")
        + "; `lastName` and `email` required): the new id",
    ),
    Route(
        "GET",
        rf"api/subscriptions/(?P<guid>{_GUID})/attributes",
        "_attributes",
        "`{attributes: [{id, name, value, code}]}` of one subscription",
    ),
)
#: The whole route table: what ``pytest-bss emulator --routes`` prints.
ROUTES = (TOKEN_ROUTE, *API_ROUTES)
_ROUTE_OF = {(route.method, route.shown_path): route for route in API_ROUTES}


def routes_markdown() -> str:
    """The route table as Markdown (method, path under the base URL, what it answers)."""
    lines = ["| method | path | answers |", "|---|---|---|"]
    for route in ROUTES:
        answers = route.answers.replace("|", "\\|")
        lines.append(f"| {route.method} | `{route.shown_path}` | {answers} |")
    return "\n".join(lines) + "\n"


@dataclass
class _Request:
    method: str
    path: str  # relative to the base path, without its leading slash
    query: dict[str, str]  # first value of each parameter, by lower-case name
    headers: Message
    body: bytes
    uri: str  # the absolute URI, for messages
    version: str = "1.0"
    revision: int = 1  # the API revision whose shapes the version answers with


@dataclass
class _Fault:
    prefix: str
    response: Response
    delay: float
    remaining: int | None


_Handler = Callable[[_Request, "re.Match[str]"], Response]


class TenantEmulator:
    """A fake interworks.cloud BSS tenant over real HTTP on 127.0.0.1.

    It serves ``POST {url}oauth/token`` (password grant; client key and secret
    only in ``Authorization: Basic``) and the central ``api/...`` endpoints over
    seeded, deterministic data (``accounts`` accounts built from ``seed``; see
    :attr:`data`). Routes are case-insensitive and live under ``base_path``
    (e.g. ``"/bsssmapi"``); tokens expire ``expires_in`` seconds after issue,
    measured by ``clock``. An ``api/`` request is checked like ASP.NET Web API
    does: unknown route 404, unknown ``X-Api-Version`` 400, unsupported verb 405,
    then a missing, unknown or expired bearer 401. Nothing is logged per request.

    **Assumptions.** Where nothing public says how the real platform behaves, the
    emulator assumes, and each assumption is an option:

    - ``count_field="totalCount"``: the count beside ``data`` when versions 2.2,
      3.0 and ``latest`` wrap lists as ``{"data": [...], "totalCount": N}``.
    - ``invalid_client_status=400``: the status of ``{"error": "invalid_client"}``
      (OWIN's choice; RFC 6749 allows 401).
    - ``invalid_grant_description="The user name or password is incorrect."``:
      the ``error_description`` beside ``{"error": "invalid_grant"}``.
    - ``denied_message="Authorization has been denied for this request."``: the
      ``message`` of the 401, sent with ``WWW-Authenticate: Bearer``.
    - ``model_state=True``: 400 validation errors add
      ``"modelState": {field: [problem, ...]}`` to ``{"message": ...}``.
    - ``default_api_version="1"``: what a request without ``X-Api-Version`` gets
      (documented for older organisations only).
    - ``max_page_size=1000``: the largest ``pageSize`` (accounts) and ``size``
      (invoices) accepted.
    - ``issue_refresh_token=False``: no refresh token, as known clients see; when
      True the token response carries a single-use one and
      ``grant_type=refresh_token`` redeems it.
    - ``token_length=432``: access tokens are opaque url-safe strings this long.
    - Not options, but also ours: user names compare case-insensitively, the
      Basic credentials are compared as sent (no percent-decoding), record
      fields beyond what interworks.cloud documents publicly (sync options,
      balance extras, contacts, accounts' ``billingIban`` and ``paymentCard``; see
      ``docs/bss-api.md``) are invented, and invoices answer ``{"data": [...]}`` in every version.

    **API revisions.** ``api_revision=1`` is the API as documented today. A later
    revision answers as the tenant would once the vendor shipped a newer version:
    ``X-Api-Version: latest`` (and that version's number, e.g. ``4.0``) get the changed
    shapes listed in :data:`~pytest_bss.fake.revisions.REVISIONS` (fields added, renamed,
    retyped, an endpoint gone), while requests pinned to an older version answer as in
    revision 1. The tenant reports no version in its answers (nothing public says it does).

    **For testing clients:** every answer carries a new ``X-Request-Id`` (a UUID) and a
    ``Date``, values that change between requests; ``gzip`` compresses every body the
    request's ``Accept-Encoding`` allows; ``session_cookie`` adds
    ``Set-Cookie: ASP.NET_SessionId=...; path=/; HttpOnly`` to every response;
    :meth:`inject_fault` answers chosen requests with errors or delays;
    :meth:`expire_tokens` ends every issued token; :meth:`issued_tokens` lists them.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        base_path: str = "",
        *,
        expires_in: int = 1799,
        clock: Callable[[], float] = time.monotonic,
        accounts: int = 57,
        seed: int = 0,
        client_key: str = DEMO_CLIENT_KEY,
        client_secret: str = DEMO_CLIENT_SECRET,
        username: str = DEMO_USERNAME,
        password: str = DEMO_PASSWORD,
        token_length: int = 432,
        count_field: str = "totalCount",
        invalid_client_status: int = 400,
        invalid_grant_description: str = "The user name or password is incorrect.",
        denied_message: str = "Authorization has been denied for this request.",
        model_state: bool = True,
        default_api_version: str = "1",
        max_page_size: int = 1000,
        issue_refresh_token: bool = False,
        gzip: bool = False,
        session_cookie: bool = False,
        api_revision: int = 1,
    ) -> None:
        if api_revision not in REVISIONS:
            known = ", ".join(map(str, sorted(REVISIONS)))
            raise ValueError(f"api_revision must be one of {known}, got {api_revision!r}")
        # X-Api-Version value (lower case) -> version; each later revision adds its newest.
        self._versions = dict(_VERSIONS)
        self._revision_of: dict[str, int] = {}
        for revision in range(2, api_revision + 1):
            newest = NEWEST_VERSIONS[revision]
            self._versions[newest.lower()] = self._versions["latest"] = newest
            self._revision_of[newest] = revision
        if default_api_version.lower() not in self._versions:
            raise ValueError(f"default_api_version must be one of {', '.join(self._versions)}")
        if min(accounts, expires_in) < 0 or min(token_length, max_page_size) < 1:
            raise ValueError(
                "accounts and expires_in must be >= 0; token_length and max_page_size >= 1"
            )
        self.host = host
        self.port = port
        self.base_path = "/" + base_path.strip().strip("/") if base_path.strip("/ ") else ""
        self.expires_in = expires_in
        self.clock = clock
        self.client_key = client_key
        self.client_secret = client_secret
        self.username = username
        self.password = password
        self.token_length = token_length
        self.count_field = count_field
        self.invalid_client_status = invalid_client_status
        self.invalid_grant_description = invalid_grant_description
        self.denied_message = denied_message
        self.model_state = model_state
        self.default_api_version = self._versions[default_api_version.lower()]
        self.max_page_size = max_page_size
        self.issue_refresh_token = issue_refresh_token
        self.gzip = gzip
        self.session_cookie = session_cookie
        #: The API revision this tenant answers as (see :mod:`pytest_bss.fake.revisions`).
        self.api_revision = api_revision
        #: The tenant's records (see :class:`~pytest_bss.fake.data.TenantData`); read-only.
        self.data: TenantData = build_tenant(accounts, seed)
        self._seeded = (accounts, seed)

        self._lock = threading.Lock()
        self._users = {username.casefold(): password}
        self._tokens: dict[str, float] = {}  # access token -> expiry on `clock`
        self._refresh_tokens: set[str] = set()
        self._issued: list[str] = []
        self._faults: list[_Fault] = []
        self._token_requests = 0
        self._api_requests = 0
        self._stopping = threading.Event()
        self._server: HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None
        # ROUTES grouped by path pattern, in table order: the first pattern that matches wins.
        routes: dict[str, dict[str, _Handler]] = {}
        for route in API_ROUTES:
            routes.setdefault(route.path, {})[route.method] = getattr(self, route.handler)
        self._routes = [
            (re.compile(p, re.IGNORECASE), p, handlers) for p, handlers in routes.items()
        ]
        # Revision -> (method, path pattern) -> the drifts of its successful answers.
        self._drifts: dict[int, dict[tuple[str, str], list[Drift]]] = {}
        for revision in range(1, api_revision + 1):
            by_route = self._drifts.setdefault(revision, {})
            for drift in drifts_for(revision):
                route = _ROUTE_OF[drift.method, drift.route]
                by_route.setdefault((route.method, route.path), []).append(drift)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind and serve in a daemon thread; returns the emulator."""
        if self._server is not None:
            raise RuntimeError("the tenant emulator is already running")
        self._stopping.clear()
        server = HttpServer((self.host, self.port), self)
        self._server = server
        self._url = f"http://{self.host}:{server.server_port}{self.base_path}/"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},  # how long stop() may wait
            name=f"bss-tenant-emulator:{server.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections and release the port (idempotent)."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()  # wakes requests sleeping in a fault's delay
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<TenantEmulator {self._url if self._server else 'stopped'}>"

    # -- public helpers ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL with a trailing slash, e.g. ``http://127.0.0.1:43211/bsssmapi/``."""
        if self._url is None:
            raise RuntimeError("the tenant emulator has no URL until start() is called")
        return self._url

    def config(self, **overrides: Any) -> BssConfig:
        """A :class:`BssConfig` for this tenant with its credentials; ``overrides`` win."""
        values: dict[str, Any] = {
            "base_url": self.url,
            "client_key": self.client_key,
            "client_secret": self.client_secret,
            "username": self.username,
            "password": self.password,
        }
        values.update(overrides)
        return BssConfig(**values)

    @property
    def token_requests(self) -> int:
        """Requests made to ``oauth/token`` (any verb and outcome, faults included)."""
        with self._lock:
            return self._token_requests

    @property
    def api_requests(self) -> int:
        """Requests made under ``api/`` (any verb and outcome, faults included)."""
        with self._lock:
            return self._api_requests

    def reset_data(self) -> None:
        """The seeded records again: what earlier requests created or changed is gone
        (users, tokens, faults and counters stay)."""
        fresh = build_tenant(*self._seeded)
        with self._lock:
            self.data = fresh

    def reset_counts(self) -> None:
        """Set :attr:`token_requests` and :attr:`api_requests` back to 0."""
        with self._lock:
            self._token_requests = self._api_requests = 0

    def add_user(self, username: str, password: str) -> None:
        """Let another application user log in (user names are case-insensitive)."""
        with self._lock:
            self._users[username.casefold()] = password

    def expire_tokens(self) -> None:
        """Make every access token issued so far expired: its next API call gets 401."""
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, -math.inf)

    def issued_tokens(self) -> list[str]:
        """Every access (and refresh) token issued so far, oldest first, expired ones too.

        For tests that check no token survived somewhere it should not be.
        """
        with self._lock:
            return list(self._issued)

    def inject_fault(
        self,
        path_prefix: str,
        *,
        status: int = 500,
        body: str | bytes = "",
        content_type: str | None = "text/html",
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
        times: int | None = 1,
    ) -> None:
        """Answer the next ``times`` requests under ``path_prefix`` with this response instead.

        ``path_prefix`` is relative to the base path and case-insensitive
        (``"oauth/token"``, ``"api/accounts"``); the answer comes after ``delay``
        seconds; ``times=None`` keeps the fault until :meth:`clear_faults`. When
        several faults match, the oldest answers. Faulted requests still count.
        """
        if times is not None and times < 1:
            raise ValueError("times must be a positive number, or None for 'until cleared'")
        if delay < 0:
            raise ValueError("delay must not be negative")
        payload = body.encode("utf-8") if isinstance(body, str) else body
        response = Response(status, payload, content_type, list((headers or {}).items()))
        fault = _Fault(path_prefix.strip().lstrip("/").lower(), response, delay, times)
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        """Forget every injected fault."""
        with self._lock:
            self._faults.clear()

    # -- dispatch ----------------------------------------------------------------------------

    def dispatch(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        """Answer one HTTP request (called by the server's handler threads)."""
        parts = urlsplit(target)
        path = unquote(parts.path)
        uri = f"http://{self.host}:{self._port()}{parts.path}"
        if parts.query:
            uri += "?" + parts.query
        prefix = self.base_path + "/"
        if not path.lower().startswith(prefix.lower()):
            return _not_found(uri)
        rest = path[len(prefix) :]
        if rest.endswith("/"):
            rest = rest[:-1]
        key = rest.lower()
        is_token = key == TOKEN_ROUTE.path
        with self._lock:
            if is_token:
                self._token_requests += 1
            elif key == "api" or key.startswith("api/"):
                self._api_requests += 1
        fault = self._take_fault(key)
        if fault is not None:
            if fault.delay:
                self._stopping.wait(fault.delay)
            return fault.response
        query: dict[str, str] = {}
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            query.setdefault(name.lower(), value)
        request = _Request(method, rest, query, headers, body, uri)
        if is_token:
            if method != TOKEN_ROUTE.method:
                return _not_allowed(method, [TOKEN_ROUTE.method])
            return self._token(request)
        found = next(
            ((m, p, h) for regex, p, h in self._routes if (m := regex.fullmatch(rest))), None
        )
        if found is None:
            return _not_found(uri)
        match, pattern, handlers = found
        raw_version = headers.get("X-Api-Version")
        if raw_version is None:
            request.version = self.default_api_version
        elif raw_version.strip().lower() in self._versions:
            request.version = self._versions[raw_version.strip().lower()]
        else:
            return _error(
                400,
                f"The HTTP resource that matches the request URI '{uri}' does not support "
                f"the API version '{raw_version}'.",
            )
        request.revision = self._revision_of.get(request.version, 1)
        drifts = self._drifts[request.revision]
        # A route the requested version no longer serves answers as an unknown one would.
        served = [m for m in handlers if not _gone(drifts.get((m, pattern), []))]
        if not served:
            return _not_found(uri)
        handler = handlers.get(method)
        if handler is None or method not in served:
            return _not_allowed(method, served)
        if not self._authorized(headers.get("Authorization")):
            response = _error(401, self.denied_message)
            response.headers.append(("WWW-Authenticate", "Bearer"))
            return response
        response = handler(request, match)
        changes = drifts.get((method, pattern))
        if changes and response.status == 200:
            response.body = dump(apply_drifts(json.loads(response.body), changes))
        return response

    def _port(self) -> int:
        server = self._server
        return server.server_port if server is not None else self.port

    def _take_fault(self, key: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if key.startswith(fault.prefix):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _authorized(self, authorization: str | None) -> bool:
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer":
            return False
        with self._lock:
            expires_at = self._tokens.get(token.strip())
        return expires_at is not None and self.clock() < expires_at

    # -- oauth/token -------------------------------------------------------------------------

    def _token(self, request: _Request) -> Response:
        form: dict[str, str] = {}
        content_type = request.headers.get("Content-Type", "").lower()
        if content_type.startswith("application/x-www-form-urlencoded"):
            text = request.body.decode("utf-8", errors="replace")
            for name, value in parse_qsl(text, keep_blank_values=True):
                form.setdefault(name, value)
        if "client_id" in form or "client_secret" in form:
            return self._oauth_error("invalid_client", status=self.invalid_client_status)
        if not self._client_ok(request.headers.get("Authorization")):
            return self._oauth_error("invalid_client", status=self.invalid_client_status)
        grant_type = form.get("grant_type")
        if grant_type == "password":
            with self._lock:
                known = self._users.get(form.get("username", "").casefold())
            given = form.get("password")
            if known is None or given is None or not _same(known, given):
                return self._oauth_error("invalid_grant", self.invalid_grant_description)
            return self._issue_token()
        if grant_type == "refresh_token" and self.issue_refresh_token:
            with self._lock:
                refresh_token = form.get("refresh_token", "")
                known_refresh = refresh_token in self._refresh_tokens
                self._refresh_tokens.discard(refresh_token)
            if not known_refresh:
                return self._oauth_error("invalid_grant")
            return self._issue_token()
        return self._oauth_error("unsupported_grant_type")

    def _client_ok(self, authorization: str | None) -> bool:
        scheme, _, encoded = (authorization or "").strip().partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        key, colon, secret = decoded.partition(":")
        return bool(colon) and _same(key, self.client_key) and _same(secret, self.client_secret)

    def _issue_token(self) -> Response:
        access_token = secrets.token_urlsafe(self.token_length)[: self.token_length]
        body: dict[str, Any] = {
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
        }
        with self._lock:
            self._tokens[access_token] = self.clock() + self.expires_in
            self._issued.append(access_token)
            if self.issue_refresh_token:
                body["refresh_token"] = secrets.token_urlsafe(32)
                self._refresh_tokens.add(body["refresh_token"])
                self._issued.append(body["refresh_token"])
        return Response(200, dump(body), _OAUTH_CONTENT_TYPE, list(_NO_CACHE))

    def _oauth_error(
        self, error: str, description: str | None = None, *, status: int = 400
    ) -> Response:
        body = {"error": error}
        if description is not None:
            body["error_description"] = description
        return Response(status, dump(body), _OAUTH_CONTENT_TYPE, list(_NO_CACHE))

    # -- api/ --------------------------------------------------------------------------------

    def _list_body(self, request: _Request, items: list[dict[str, Any]], total: int) -> Any:
        if request.version in _ENVELOPED:
            return {"data": items, self.count_field: total}
        return items

    def _invalid(self, model_state: dict[str, list[str]]) -> Response:
        if not self.model_state:
            return _error(400, _INVALID)
        return _error(400, _INVALID, {"modelState": model_state})

    def _list_accounts(self, request: _Request, match: re.Match[str]) -> Response:
        problems: dict[str, list[str]] = {}
        page_index = _int_param(request, "pageIndex", 1, _MAX_INT32, problems, default=1)
        page_size = _int_param(request, "pageSize", 1, self.max_page_size, problems, default=25)
        if problems:
            return self._invalid(problems)
        start = (page_index - 1) * page_size
        with self._lock:
            accounts = [self.data.accounts[i] for i in sorted(self.data.accounts)]
            return _ok(self._list_body(request, accounts[start : start + page_size], len(accounts)))

    def _account_or_404(self, match: re.Match[str]) -> tuple[int, Response | None]:
        account_id = int(match["id"])
        if account_id not in self.data.accounts:
            return account_id, _error(404, f"Account {account_id} was not found.")
        return account_id, None

    def _get_account(self, request: _Request, match: re.Match[str]) -> Response:
        with self._lock:
            account_id, missing = self._account_or_404(match)
            return missing or _ok(self.data.accounts[account_id])

    def _create_account(self, request: _Request, match: re.Match[str]) -> Response:
        values, problems = _read_object(request.body, ACCOUNT_FIELDS, "account")
        if not problems:
            _check_types(
                values,
                problems,
                numbers=("creditLimit",),
                flags=_ACCOUNT_FLAGS,
                objects=("paymentCard",),
            )
            name = values.get("name")
            if "name" not in problems and (not isinstance(name, str) or not name.strip()):
                problems.setdefault("name", []).append("The Name field is required.")
        if problems:
            return self._invalid(problems)
        if isinstance(values.get("creditLimit"), int):
            values["creditLimit"] = float(values["creditLimit"])
        with self._lock:
            account_id = self.data.next_account_id()
            self.data.accounts[account_id] = new_account(account_id, values)
            self.data.sync_options[account_id] = []
        return _ok(account_id)

    def _list_sync_options(self, request: _Request, match: re.Match[str]) -> Response:
        with self._lock:
            account_id, missing = self._account_or_404(match)
            if missing:
                return missing
            options = self.data.sync_options.get(account_id, [])
            return _ok(self._list_body(request, options, len(options)))

    def _get_sync_option(self, request: _Request, match: re.Match[str]) -> Response:
        with self._lock:
            account_id, missing = self._account_or_404(match)
            if missing:
                return missing
            for option in self.data.sync_options.get(account_id, []):
                if option["systemCode"].lower() == match["system"].lower():
                    return _ok(option)
        return _error(
            404,
            f"Account {account_id} has no synchronization options for system '{match['system']}'.",
        )

    def _get_balance(self, request: _Request, match: re.Match[str]) -> Response:
        with self._lock:
            account_id, missing = self._account_or_404(match)
            return missing or _ok(self.data.balance(account_id))

    def _list_invoices(self, request: _Request, match: re.Match[str]) -> Response:
        problems: dict[str, list[str]] = {}
        size = _int_param(request, "size", 1, self.max_page_size, problems, default=25)
        since: datetime | None = None
        if "invoicedate" in request.query:
            raw = request.query["invoicedate"]
            try:
                since = datetime.fromisoformat(raw.strip())
            except ValueError:
                problems["invoiceDate"] = [f"The value '{raw}' is not valid for invoiceDate."]
            else:
                if since.tzinfo is not None:
                    since = since.astimezone(UTC).replace(tzinfo=None)
        sort_by = "id"
        if "sort" in request.query:
            raw = request.query["sort"]
            if raw.lower() in INVOICE_SORT_KEYS:
                sort_by = INVOICE_SORT_KEYS[raw.lower()]
            else:
                known = "invoiceDate, dueDate, id, code, totalAmount"
                problems["sort"] = [f"The value '{raw}' is not valid for sort; use {known}."]
        order = request.query.get("order", "asc").lower()
        if order not in ("asc", "desc"):
            problems["order"] = [f"The value '{request.query['order']}' is not valid for order."]
        if problems:
            return self._invalid(problems)
        with self._lock:
            invoices = [
                invoice
                for invoice in self.data.invoices
                if since is None or datetime.fromisoformat(invoice["date"]) >= since
            ]
            invoices.sort(key=lambda invoice: invoice["id"])
            invoices.sort(key=lambda invoice: invoice[sort_by], reverse=order == "desc")
            return _ok({"data": invoices[:size]})

    def _create_contact(self, request: _Request, match: re.Match[str]) -> Response:
        values, problems = _read_object(request.body, CONTACT_FIELDS, "contact")
        if not problems:
            _check_types(values, problems, integers=("accountId",))
            for name, label in (("lastName", "LastName"), ("email", "Email")):
                value = values.get(name)
                if name not in problems and (not isinstance(value, str) or not value.strip()):
                    problems.setdefault(name, []).append(f"The {label} field is required.")
        if problems:
            return self._invalid(problems)
        with self._lock:
            account_id = values.get("accountId")
            if account_id is not None and account_id not in self.data.accounts:
                return self._invalid({"accountId": [f"Account {account_id} does not exist."]})
            contact_id = self.data.next_contact_id()
            contact: dict[str, Any] = dict.fromkeys(CONTACT_FIELDS)
            contact.update(values)
            contact["id"] = contact_id
            self.data.contacts[contact_id] = contact
        return _ok(contact_id)

    def _attributes(self, request: _Request, match: re.Match[str]) -> Response:
        guid = match["guid"].lower()
        with self._lock:
            attributes = self.data.subscriptions.get(guid)
            if attributes is None:
                return _error(404, f"Subscription {guid} was not found.")
            return _ok({"attributes": attributes})


_ACCOUNT_FLAGS = ("enableOrdering", "enableReselling")


def _gone(drifts: list[Drift]) -> bool:
    return any(drift.kind is DriftKind.ENDPOINT_GONE for drift in drifts)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _ok(value: Any) -> Response:
    return Response(200, dump(value))


def _error(status: int, message: str, extra: dict[str, Any] | None = None) -> Response:
    return Response(status, dump({"message": message, **(extra or {})}))


def _not_found(uri: str) -> Response:
    return _error(404, f"No HTTP resource was found that matches the request URI '{uri}'.")


def _not_allowed(method: str, allowed: list[str]) -> Response:
    response = _error(405, f"The requested resource does not support http method '{method}'.")
    response.headers.append(("Allow", ", ".join(allowed)))
    return response


def _int_param(
    request: _Request,
    name: str,
    low: int,
    high: int,
    problems: dict[str, list[str]],
    *,
    default: int,
) -> int:
    raw = request.query.get(name.lower())
    if raw is None:
        return default
    if not re.fullmatch(r"\s*-?\d{1,18}\s*", raw):
        problems[name] = [f"The value '{raw}' is not valid for {name}."]
        return default
    value = int(raw)
    if not low <= value <= high:
        problems[name] = [f"The field {name} must be between {low} and {high}."]
        return default
    return value


def _read_object(
    body: bytes, names: tuple[str, ...], what: str
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    # JSON in is case-insensitive (ASP.NET model binding): map keys to the camelCase names.
    try:
        parsed = json.loads(body) if body.strip() else None
    except (ValueError, UnicodeDecodeError):
        return {}, {what: ["The request body is not valid JSON."]}
    if not isinstance(parsed, dict):
        return {}, {what: [f"The request body must be a JSON object describing the {what}."]}
    canonical = {name.lower(): name for name in names}
    values = {canonical[k.lower()]: v for k, v in parsed.items() if k.lower() in canonical}
    values.pop("id", None)
    return values, {}


def _check_types(
    values: dict[str, Any],
    problems: dict[str, list[str]],
    *,
    numbers: tuple[str, ...] = (),
    integers: tuple[str, ...] = (),
    flags: tuple[str, ...] = (),
    objects: tuple[str, ...] = (),
) -> None:
    for name, value in values.items():
        if value is None:
            continue
        if name in objects:
            ok = isinstance(value, dict)
        elif name in flags:
            ok = isinstance(value, bool)
        elif name in integers:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif name in numbers:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            ok = isinstance(value, str)
        if not ok:
            problems.setdefault(name, []).append(f"The value for {name} has the wrong type.")
