"""Enumerations stored as plain strings, each value with an English and a Chinese label."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Self

from sqlalchemy import Enum as SAEnum


class Choice(StrEnum):
    """A stored key whose labels users read and may type in imports, in either language."""

    en: str
    zh: str

    if TYPE_CHECKING:
        # Calling a choice class looks a member up by its value (the enum metaclass does that);
        # only the class body passes the labels, to __new__.
        def __init__(self, value: str) -> None: ...

    def __new__(cls, value: str, en: str, zh: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.en = en
        member.zh = zh
        return member

    def label(self, lang: str) -> str:
        """The label a user of `lang` reads."""
        return self.zh if lang.startswith("zh") else self.en

    @classmethod
    def aliases(cls) -> dict[str, Self]:
        """Every spelling an import accepts, folded to lower case, mapped to its member."""
        out: dict[str, Self] = {}
        for member in cls:
            for spelling in (member.value, member.value.replace("_", " "), member.en, member.zh):
                out[spelling.casefold()] = member
        return out


def choice_column(enum: type[Choice]) -> SAEnum:
    """A VARCHAR with a CHECK constraint; portable across SQLite and PostgreSQL."""
    return SAEnum(
        enum,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        name=enum.__name__.lower(),
    )
