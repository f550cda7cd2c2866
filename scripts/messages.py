"""Refresh the message catalogues from the code: English is the source, Chinese is kept by hand.

Run `make messages`, then fill every empty msgstr in the zh_CN catalogue it lists.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from tierwise.i18n import EXTRACTION, KEYWORDS

SOURCE = Path(__file__).resolve().parents[1] / "src" / "tierwise"
TRANSLATIONS = SOURCE / "i18n" / "translations"


def main() -> int:
    """Rewrite both catalogues with exactly the code's messages; return 1 if Chinese is missing."""
    found = extract_from_dir(str(SOURCE), method_map=EXTRACTION, keywords=KEYWORDS)
    messages = sorted({message for _f, _l, message, _c, _x in found})
    zh_path = TRANSLATIONS / "zh_CN" / "LC_MESSAGES" / "messages.po"
    with zh_path.open("rb") as handle:
        known = {m.id: m.string for m in read_po(handle) if m.id}
    missing = []
    for lang in ("zh_CN", "en"):
        catalog = Catalog(locale=lang, project="Tierwise", fuzzy=False)
        for message in messages:
            text = message if lang == "en" else known.get(message, "")
            if not text:
                missing.append(message)
            catalog.add(message, text)
        path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, no_location=True, sort_output=True, width=100)
    for message in missing:
        print(f"untranslated (zh_CN): {message}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
