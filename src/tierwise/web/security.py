"""What every response tells the browser to protect, the one secret check before serving, and
download names that cannot break a header."""

from __future__ import annotations

from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tierwise.config import DEMO_SECRET_KEY, MIN_SECRET_CHARS, Settings
from tierwise.i18n import _

# Scripts only from this server (the console's app.js, Plotly.js, Swagger UI): no inline script
# runs, so injected markup cannot execute. Plotly and Swagger UI add <style> elements of their
# own, hence 'unsafe-inline' for styles alone.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# The language switch goes back to the page it came from, so same-origin requests keep a referer.
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
STRICT_TRANSPORT = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
# Pages and API answers carry personal data: no browser or proxy keeps them unless a response
# says otherwise (static files say max-age).
NO_STORE = (b"cache-control", b"no-store")


class InsecureSecret(RuntimeError):
    """The server would sign sessions and pseudonyms with the key everyone can read."""


def require_own_secret(settings: Settings) -> None:
    """Refuse to serve with the built-in demo key, or one too short to keep secret, outside demo
    mode (every way of starting)."""
    if not settings.insecure:
        return
    if settings.secret_key == DEMO_SECRET_KEY:
        raise InsecureSecret(
            _(
                "TIERWISE_SECRET_KEY is the built-in demo key. Set a secret of your own "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))'), or run "
                "the demo with TIERWISE_DEMO=1."
            )
        )
    raise InsecureSecret(
        _(
            "TIERWISE_SECRET_KEY is shorter than {n} characters. Set a long random secret "
            "(python -c 'import secrets; print(secrets.token_urlsafe(32))')."
        ).format(n=MIN_SECRET_CHARS)
    )


class SecurityHeadersMiddleware:
    """Adds the browser protections to every response; HSTS only on requests that came by HTTPS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [*SECURITY_HEADERS, NO_STORE]
        if scope.get("scheme") == "https":
            extra.append(STRICT_TRANSPORT)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _value in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def attachment(filename: str) -> dict[str, str]:
    """A Content-Disposition header for a download (RFC 6266): an ASCII stand-in for old
    clients and the exact name UTF-8 encoded, so no name can end or inject a header."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    encoded = quote(filename, safe="")
    return {
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    }
