"""Hand-built cassette data for the audit and catalogue tests."""

from __future__ import annotations

from typing import Any


def cassette(
    *,
    method: str = "GET",
    uri: str = "https://bss.tenant.invalid/api/accounts",
    request_headers: dict[str, list[str]] | None = None,
    request_body: Any = None,
    response_headers: dict[str, list[str]] | None = None,
    response_body: Any = "{}",
) -> dict[str, Any]:
    return {
        "version": 1,
        "interactions": [
            {
                "request": {
                    "method": method,
                    "uri": uri,
                    "body": request_body,
                    "headers": request_headers or {},
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": response_headers or {},
                    "body": {"string": response_body},
                },
            }
        ],
    }
