"""One written form of a Chinese phone number, so a caller is found however the number was typed.

The rules (docs/service.md tells them to users):
- full-width characters count as their plain forms; spaces, dashes, dots and brackets are dropped;
- a country code +86, 0086 or (before an 11-digit mobile) a bare 86 is dropped; a landline written
  after the country code without its trunk 0 gets it back ("+86 10 1234 5678" is "01012345678");
- a mobile (1[3-9] and nine more digits) written with a trunk 0 ("013812345678") loses the 0;
- a landline keeps its area code with the 0 ("010-1234 5678" is "01012345678"); one written
  without an area code stays as written, since the area cannot be guessed;
- another country's number keeps its "+" and country code;
- anything that is not a number once those marks are gone (an extension, a note) is matched as
  written, spaces around it aside, as it was before numbers were normalised.
"""

from __future__ import annotations

import re
import unicodedata

SEPARATORS = re.compile(r"[\s\-.()\[\]/]")
MOBILE = re.compile(r"1[3-9]\d{9}")
KEY_LENGTH = 50
"""As long as the phone column: a key is never longer than the number it came from."""


def phone_key(number: str | None) -> str | None:
    """The number in the one form it is stored and looked up in; None when there is none."""
    if not number or not number.strip():
        return None
    plain = SEPARATORS.sub("", unicodedata.normalize("NFKC", number))
    international = plain.startswith("+")
    digits = plain[1:] if international else plain
    if not digits.isdigit() or not digits.isascii():
        return number.strip()
    if international or digits.startswith("0086"):
        rest = digits[2:] if international else digits[4:]
        if international and not digits.startswith("86"):
            return "+" + digits
        return _national(rest, after_country_code=True)
    if len(digits) == 13 and digits.startswith("86") and MOBILE.fullmatch(digits[2:]):
        return digits[2:]
    return _national(digits, after_country_code=False)


def _national(digits: str, after_country_code: bool) -> str | None:
    """A number within China: a mobile bare, a landline with its trunk 0 and area code."""
    if not digits:
        return None
    if MOBILE.fullmatch(digits):
        return digits
    if digits.startswith("0") and MOBILE.fullmatch(digits[1:]):
        return digits[1:]
    if after_country_code and not digits.startswith("0"):
        return "0" + digits
    return digits
