"""User-facing text in zh_CN or en: messages are written in English and looked up in catalogues."""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).parent / "translations"
DOMAIN = "messages"
LANGUAGES = ("zh_CN", "en")


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The translations of one language, read from its .po file (no compile step to forget)."""
    path = TRANSLATIONS / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string and not m.fuzzy}


# Where messages are found: Python calls of _() and N_() and the console's Jinja2 templates.
EXTRACTION = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]
KEYWORDS: dict[str, None] = {"_": None, "N_": None}

_language = "zh_CN"
# A request of the HTTP API may ask for its own language (Accept-Language) without touching others.
request_language: ContextVar[str | None] = ContextVar("request_language", default=None)


def set_language(lang: str) -> None:
    """Choose the language of this process (from settings, at start-up)."""
    global _language
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    _language = lang


def current_language() -> str:
    """The request's language if it chose one, else the start-up one (Chinese unless set)."""
    return request_language.get() or _language


def gettext(message: str, lang: str | None = None) -> str:
    """Translate `message` into `lang` (default: the current language)."""
    return catalogue(lang or current_language()).get(message, message)


_ = gettext


def N_(message: str) -> str:
    """Mark a message declared before any language is known; it is translated where it is shown."""
    return message
