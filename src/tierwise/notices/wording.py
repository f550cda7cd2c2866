"""What a notice says: the shipped wording per event and language, filled in for one customer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency
from jinja2 import Environment, StrictUndefined, Template

from tierwise.documents import parse_toml
from tierwise.i18n import LANGUAGES, request_language
from tierwise.notices.models import NoticeEvent
from tierwise.tiering.benefits import terms_table
from tierwise.tiering.policy import Policy

# Plain text for mail: nothing is escaped, and a missing value is a mistake in the wording.
_TEXT = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Translate in `language` inside the block (the customer's, not the operator's)."""
    token = request_language.set(language)
    try:
        yield
    finally:
        request_language.reset(token)


@cache
def wording() -> dict[tuple[NoticeEvent, str], tuple[Template, Template]]:
    """The subject and body templates of every event in every language, read once."""
    text = resources.files("tierwise.notices").joinpath("templates.toml").read_text("utf-8")
    document = parse_toml(text, "notices/templates.toml")
    found = {}
    for event in NoticeEvent:
        for language in LANGUAGES:
            entry = document[event.value][language]
            found[event, language] = (
                _TEXT.from_string(entry["subject"]),
                _TEXT.from_string(entry["body"].strip() + "\n"),
            )
    return found


def _locale(language: str) -> str:
    return "zh_CN" if language.startswith("zh") else "en"


def shown_date(day: dt.date | None, language: str) -> str:
    """A date as a letter writes it (2026年12月3日, 3 December 2026)."""
    return format_date(day, format="long", locale=_locale(language)) if day else ""


def shown_money(value: Decimal | None, language: str) -> str:
    """¥ amounts as a letter writes them."""
    if value is None:
        return ""
    pattern = "¤#,##0" if value == value.to_integral_value() else "¤#,##0.00"
    return format_currency(
        value, "CNY", locale=_locale(language), format=pattern, currency_digits=False
    )


def tier_label(policy: Policy | None, code: str | None, language: str) -> str:
    """A tier as the customer reads it: its code and name (the code alone if the policy lost it)."""
    if code is None:
        return ""
    try:
        tier = policy.tier(code) if policy else None
    except KeyError:
        tier = None
    return f"{code} {tier.name(language)}" if tier else code


def what_it_gives(policy: Policy | None, code: str, language: str) -> list[str]:
    """The terms and benefits of a tier as lines ("Discount off list price: 5%")."""
    if policy is None:
        return []
    with speaking(language):
        header, rows = terms_table(policy, language)
    label = tier_label(policy, code, language)
    if label not in header:
        return []
    column, colon = header.index(label), "：" if language.startswith("zh") else ": "
    return [f"{row[0]}{colon}{row[column]}" for row in rows if row[column] not in ("—", "", "0%")]


def compose(event: NoticeEvent, language: str, **values: Any) -> tuple[str, str]:
    """The subject and body of a notice of `event` in `language`."""
    subject, body = wording()[event, language]
    return " ".join(subject.render(**values).split()), body.render(**values)
