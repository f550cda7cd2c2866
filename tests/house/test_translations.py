"""Every message the code can show has a Chinese and an English translation."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

import tierwise
from tierwise.customers.choices import CustomerStatus
from tierwise.i18n import EXTRACTION, KEYWORDS, LANGUAGES, catalogue, gettext

SOURCE = Path(tierwise.__file__).parent


def _messages_in_code() -> set[str]:
    found = extract_from_dir(str(SOURCE), method_map=EXTRACTION, keywords=KEYWORDS)
    return {message for _file, _line, message, _comments, _context in found}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_is_complete(lang: str) -> None:
    missing = sorted(_messages_in_code() - set(catalogue(lang)))
    assert not missing, f"{lang} lacks translations for: {missing}"


def test_chinese_is_chinese() -> None:
    assert gettext("Purchases", "zh_CN") == "购买情况"
    assert gettext("Purchases", "en") == "Purchases"


def test_placeholders_survive_translation() -> None:
    for message, translated in catalogue("zh_CN").items():
        for field in ("{file}", "{row}", "{column}", "{count}", "{code!r}", "{value!r}"):
            assert (field in message) == (field in translated), (message, translated)


def test_choices_have_labels_in_both_languages() -> None:
    assert CustomerStatus.BLACKLISTED.label("zh_CN") == "黑名单"
    assert CustomerStatus.BLACKLISTED.label("en") == "Blacklisted"
    assert CustomerStatus.aliases()["黑名单"] is CustomerStatus.BLACKLISTED
