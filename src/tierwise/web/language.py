"""The language of a request: the console's cookie first, then the browser's Accept-Language."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from tierwise.i18n import request_language

LANG_COOKIE = "tierwise_lang"


def language_of(accept_language: str) -> str | None:
    """zh_CN or en from an Accept-Language header, or None to keep the server's language."""
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return None


def _cookie(header: str, name: str) -> str | None:
    """One cookie's value from a Cookie header."""
    for part in header.split(";"):
        key, _sep, value = part.strip().partition("=")
        if key == name:
            return value
    return None


class LanguageMiddleware:
    """Messages of a request in the language it asks for, without touching other requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        chosen = _cookie(headers.get(b"cookie", b"").decode("latin-1"), LANG_COOKIE)
        header = headers.get(b"accept-language", b"").decode("latin-1")
        token = request_language.set(chosen if chosen in ("zh_CN", "en") else language_of(header))
        try:
            await self.app(scope, receive, send)
        finally:
            request_language.reset(token)
