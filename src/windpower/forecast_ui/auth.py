"""HTTP basic auth, on only when .env sets FORECAST_UI_USERNAME and _PASSWORD,
as the Prefect and MLflow UIs: off by default, since they listen on loopback.

A middleware rather than a route dependency, so /docs, the OpenAPI schema and
the static files are behind it too; only /health (the container's healthcheck)
is open.
"""

import base64
import binascii
import os
import secrets

from fastapi import Request
from fastapi.responses import PlainTextResponse

OPEN_PATHS = ("/health",)


def credentials() -> tuple[str, str] | None:
    """The configured (user, password), or None when auth is off."""
    user = os.environ.get("FORECAST_UI_USERNAME", "")
    password = os.environ.get("FORECAST_UI_PASSWORD", "")
    return (user, password) if user and password else None


def _given(header: str) -> tuple[str, str]:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        user, _, password = base64.b64decode(token).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return user, password


def allowed(header: str, expected: tuple[str, str]) -> bool:
    """Both parts compared, always, in constant time: nothing tells which was
    wrong."""
    user, password = _given(header)
    ok_user = secrets.compare_digest(user.encode(), expected[0].encode())
    ok_password = secrets.compare_digest(password.encode(), expected[1].encode())
    return ok_user and ok_password


async def basic_auth(request: Request, call_next):
    """Let the request through when auth is off or the credentials match."""
    expected = credentials()
    if expected is None or request.url.path in OPEN_PATHS or allowed(
            request.headers.get("authorization", ""), expected):
        return await call_next(request)
    return PlainTextResponse("login required", status_code=401,
                             headers={"WWW-Authenticate": 'Basic realm="windpower"'})
