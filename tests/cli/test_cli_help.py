"""Every command's and option's help reads in Chinese: each is a catalogue message, translated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer

from tierwise.cli import build
from tierwise.i18n import catalogue, current_language, set_language

# Typer's own options for shell completion carry Typer's English; they are no Tierwise text.
TYPERS_OWN = {"--install-completion", "--show-completion", "--help"}


def commands(command: Any, path: str = "tierwise") -> Iterator[tuple[str, Any]]:
    """Every command and group under `command`, with the words that call it."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from commands(sub, f"{path} {name}")


def helps(lang: str) -> dict[tuple[str, str], str | None]:
    """The help of every command and option of the whole tree, built in `lang`."""
    before = current_language()
    set_language(lang)
    try:
        root = typer.main.get_command(build())
    finally:
        set_language(before)
    found: dict[tuple[str, str], str | None] = {}
    for path, command in commands(root):
        found[(path, "")] = command.help
        for param in command.params:
            name = param.opts[0]
            if name in TYPERS_OWN:
                continue
            if param.param_type_name == "option" or getattr(param, "help", None):
                found[(path, name)] = param.help  # every option; an argument where it has help
    return found


@pytest.fixture(scope="module")
def english() -> dict[tuple[str, str], str | None]:
    """The tree's help texts in English: the messages as written."""
    return helps("en")


@pytest.fixture(scope="module")
def chinese() -> dict[tuple[str, str], str | None]:
    """The tree's help texts in Chinese."""
    return helps("zh_CN")


def test_every_command_and_option_has_help(english: dict[tuple[str, str], str | None]) -> None:
    missing = sorted(" ".join(where).strip() for where, text in english.items() if not text)
    assert not missing, f"no help for: {missing}"
    assert len(english) > 200  # the whole tree was walked, not one group


def test_every_help_is_a_translated_catalogue_message(
    english: dict[tuple[str, str], str | None], chinese: dict[tuple[str, str], str | None]
) -> None:
    zh = catalogue("zh_CN")
    assert english.keys() == chinese.keys()
    untranslated = []
    for where, text in english.items():
        expected = zh.get(text or "")
        if expected is None or chinese[where] != expected or expected == text:
            untranslated.append((" ".join(where).strip(), text, chinese[where]))
    assert not untranslated, untranslated
