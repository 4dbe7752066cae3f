"""HTTP plumbing for the tenant emulator: a quiet threaded HTTP/1.1 server.

It knows nothing about BSS: each request goes to ``app.dispatch(...)``, and the
answer is written with a correct ``Content-Length``, a new ``X-Request-Id`` (as real
gateways send; a ``Date`` comes from :mod:`http.server`), gzip-compressed and given a
session cookie when ``app`` asks for that.
"""

from __future__ import annotations

import contextlib
import gzip as gzip_codec
import json
import secrets
import socket
import socketserver
import sys
import threading
import traceback
import uuid
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, cast

__all__ = ["JSON", "App", "HttpServer", "Response", "dump"]

JSON = "application/json; charset=utf-8"
_SESSION_ALPHABET = "abcdefghijklmnopqrstuvwxyz012345"


@dataclass
class Response:
    """One HTTP answer; ``content_type=None`` sends no ``Content-Type``."""

    status: int
    body: bytes = b""
    content_type: str | None = JSON
    headers: list[tuple[str, str]] = field(default_factory=list)


class App(Protocol):
    """What :class:`HttpServer` serves."""

    gzip: bool
    session_cookie: bool

    def dispatch(self, method: str, target: str, headers: Message, body: bytes) -> Response: ...


def dump(value: Any) -> bytes:
    """Compact UTF-8 JSON."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _accepts_gzip(accept_encoding: str | None) -> bool:
    for item in (accept_encoding or "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            return True
    return False


class HttpServer(ThreadingHTTPServer):
    """A threaded HTTP/1.1 server for ``app``; :meth:`close_connections` ends keep-alives."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (a DNS lookup); the port is enough.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def process_request(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        if isinstance(request, socket.socket):
            with self.connections_lock:
                self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        if isinstance(request, socket.socket):
            with self.connections_lock:
                self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        # Idle keep-alive connections would otherwise hold their threads after stop().
        with self.connections_lock:
            open_connections = list(self.connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away mid-answer: nothing to report
        super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return "pytest-bss-tenant-emulator"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read their own output, not an access log

    def _handle(self) -> None:
        app = cast(HttpServer, self.server).app
        body = self._read_body()
        if body is None:
            return
        try:
            response = app.dispatch(self.command, self.path, self.headers, body)
        except Exception:
            traceback.print_exc()
            response = Response(500, dump({"message": "An error has occurred."}))
        self._write(response)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                line = self.rfile.readline(65_537)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    self.send_error(400, "Bad chunked request body")
                    return None
                if size == 0:
                    while self.rfile.readline(65_537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = self.headers.get("Content-Length", "0").strip() or "0"
        if not length.isdigit():
            self.send_error(400, "Bad Content-Length")
            return None
        return self.rfile.read(int(length))

    def _write(self, response: Response) -> None:
        app = cast(HttpServer, self.server).app
        payload = response.body
        headers = list(response.headers)
        names = {name.lower() for name, _ in headers}
        if app.gzip:
            if "vary" not in names:
                headers.append(("Vary", "Accept-Encoding"))
            request_headers = getattr(self, "headers", None)  # unset if the request line was bad
            accepts = request_headers is not None and _accepts_gzip(
                request_headers.get("Accept-Encoding")
            )
            if payload and accepts and "content-encoding" not in names:
                payload = gzip_codec.compress(payload, mtime=0)
                headers.append(("Content-Encoding", "gzip"))
        if "x-request-id" not in names:
            # Like real gateways: a value that differs on every answer (cassettes must not churn).
            headers.append(("X-Request-Id", str(uuid.uuid4())))
        if app.session_cookie:
            session = "".join(secrets.choice(_SESSION_ALPHABET) for _ in range(24))
            headers.append(("Set-Cookie", f"ASP.NET_SessionId={session}; path=/; HttpOnly"))
        if "content-length" in names:
            self.close_connection = True  # a fault chose its own length: the stream is unusable
        else:
            headers.append(("Content-Length", str(len(payload))))
        if response.content_type is not None:
            headers.insert(0, ("Content-Type", response.content_type))
        try:
            self.send_response(response.status)
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except OSError:
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Malformed requests and unknown verbs: JSON like everything else, then hang up.
        text = message or self.responses.get(code, ("Error",))[0]
        self.close_connection = True
        self._write(Response(code, dump({"message": text}), headers=[("Connection", "close")]))
