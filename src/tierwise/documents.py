"""TOML documents users hand in, bounded before parsing: tomllib's cost explodes on hostile input.

A key of 20,000 dotted parts costs tomllib seconds and gigabytes (it copies every prefix of the
key), and arrays or inline tables nested thousands deep exhaust Python's stack. One linear scan
counts both, and the size, before tomllib sees the text.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

from tierwise.i18n import _

MAX_CHARACTERS = 200_000
"""The largest document accepted, in characters (a full policy is a few thousand)."""

MAX_KEY_PARTS = 32
"""The most dotted parts one key or table header may have (`a.b.c` has three)."""

MAX_NESTING = 32
"""The deepest arrays and inline tables may nest inside each other."""

_LEXEME = re.compile(
    r"""
    (?P<plain>[A-Za-z0-9_+\- \t]++)
    | (?P<string>
        \"\"\"(?:[^"\\]|\\.|"(?!""))*+\"\"\""{0,2}
      | '''(?:[^']|'(?!''))*+''''{0,2}
      | "(?:[^"\\\n]|\\[^\n])*+"
      | '[^'\n]*+'
      )
    | (?P<unterminated>["'])
    | (?P<comment>\#[^\n]*+)
    | (?P<open>[\[{])
    | (?P<close>[\]}])
    | (?P<dot>\.)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
"""One TOML lexeme; strings and comments are taken whole, so their dots and brackets don't count."""


class DocumentRefused(ValueError):
    """A document over one of the limits, refused before parsing; says which limit and where."""

    def __init__(self, source_name: str, limit: str, found: int, allowed: int, message: str):
        super().__init__(f"{source_name}: {message}")
        self.limit = limit
        self.found = found
        self.allowed = allowed
        self.message = message


def parse_toml(source: str, source_name: str) -> dict[str, Any]:
    """Parse a user's TOML document once it is known to be cheap to parse (TOMLDecodeError)."""
    check_limits(source, source_name)
    return tomllib.loads(source)


def check_limits(source: str, source_name: str) -> None:
    """Refuse a document too large, with a key of too many parts, or nested too deep."""
    if len(source) > MAX_CHARACTERS:
        message = _("the document has {found:,} characters; the limit is {allowed:,}")
        raise _refusal(source_name, "characters", len(source), MAX_CHARACTERS, message)
    dots = depth = 0
    for lexeme in _LEXEME.finditer(source):
        kind = lexeme.lastgroup
        if kind in ("plain", "string"):
            continue
        if kind == "unterminated":
            return  # the rest is inside a string that never ends: tomllib refuses it cheaply
        if kind == "dot":
            dots += 1
            if dots >= MAX_KEY_PARTS:
                message = _(
                    "line {line}: a key has {found:,} dotted parts; the limit is {allowed:,}"
                )
                parts = _parts_from(source, lexeme.end(), dots + 1)
                raise _refusal(
                    source_name, "key_parts", parts, MAX_KEY_PARTS, message, source, lexeme.start()
                )
            continue
        dots = 0
        if kind == "open":
            depth += 1
            if depth > MAX_NESTING:
                message = _(
                    "line {line}: arrays or tables nest {found:,} levels deep; the limit is "
                    "{allowed:,}"
                )
                deepest = _depth_from(source, lexeme.end(), depth)
                raise _refusal(
                    source_name, "nesting", deepest, MAX_NESTING, message, source, lexeme.start()
                )
        elif kind == "close":
            depth = max(depth - 1, 0)


def _parts_from(source: str, position: int, parts: int) -> int:
    """How many parts the whole key has, counting on past the limit for the message."""
    for lexeme in _LEXEME.finditer(source, position):
        if lexeme.lastgroup == "dot":
            parts += 1
        elif lexeme.lastgroup not in ("plain", "string"):
            break
    return parts


def _depth_from(source: str, position: int, depth: int) -> int:
    """How deep the nesting goes, counting on past the limit for the message."""
    deepest = depth
    for lexeme in _LEXEME.finditer(source, position):
        if lexeme.lastgroup == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif lexeme.lastgroup == "close":
            depth -= 1
            if depth < MAX_NESTING:
                break
        elif lexeme.lastgroup == "unterminated":
            break
    return deepest


def _refusal(
    source_name: str,
    limit: str,
    found: int,
    allowed: int,
    message: str,
    source: str = "",
    position: int = 0,
) -> DocumentRefused:
    line = source.count("\n", 0, position) + 1
    text = message.format(found=found, allowed=allowed, line=line)
    return DocumentRefused(source_name, limit, found, allowed, text)
