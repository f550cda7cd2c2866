"""Second reading of a CSV for what Arrow reads without a word: stray quotes, UTF-8 in GB18030."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

from tierwise.i18n import _
from tierwise.ingest.errors import ErrorLog, ImportRejected, RowError

GB_ENCODINGS = {"gb18030", "gbk", "gb2312"}
KEPT_LINES = 50  # of a record that goes wrong, enough to say where; an open quote may run to EOF


def is_gb(encoding: str) -> bool:
    """Whether text in this encoding would take UTF-8 bytes for other Chinese characters."""
    return codecs.lookup(encoding).name in GB_ENCODINGS


def verify_text(path: Path, encoding: str, headers: Sequence[str], quoted: bool) -> None:
    """Raise ImportRejected naming each row that is UTF-8 in a GB18030 file or misquoted.

    GB18030 decodes almost any UTF-8 byte sequence into other characters (正常 becomes 姝ｅ父),
    and Arrow's CSV parser lets a quote opened and never closed swallow the rows after it.
    A quick pass (in C but for a loop over lines) looks for either; only a file that has one
    is read again row by row to say where.
    """
    gb = is_gb(encoding)
    if (gb and _has_utf8_line(path)) or (quoted and _misquoted(path, encoding)):
        _locate(path, encoding, gb, headers)


def _has_utf8_line(path: Path) -> bool:
    """Whether a line with bytes beyond ASCII is valid UTF-8 (GB18030 text almost never is)."""
    with path.open("rb") as handle:
        for raw in handle:
            if not raw.isascii() and "\ufffd" not in raw.decode("utf-8", errors="replace"):
                return True
    return False


def _misquoted(path: Path, encoding: str) -> bool:
    """Whether Python's strict CSV reader finds a quote out of place."""
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        try:
            for _fields in csv.reader(handle, strict=True):
                pass
        except csv.Error:
            return True
    return False


def _locate(path: Path, encoding: str, gb: bool, headers: Sequence[str]) -> None:
    """Read the file row by row, decoding each line on its own, and name the rows gone wrong."""
    log = ErrorLog()
    pending: list[tuple[str, bool]] = []  # lines of the record being read, and if each is UTF-8

    def lines() -> Iterator[str]:
        with path.open("rb") as handle:
            for raw in handle:
                text, utf8 = _decode(raw, encoding, gb)
                if len(pending) < KEPT_LINES:
                    pending.append((text, utf8))
                yield text

    records = csv.reader(lines(), strict=True)
    row = 0
    while True:
        pending.clear()
        try:
            fields = next(records)
        except StopIteration:
            break
        except csv.Error:
            column, value = stray_quote("".join(text for text, _utf8 in pending))
            expected = _(
                "a closing quote right before the next comma or line end "
                "(an unbalanced quote swallows the rows after it)"
            )
            log.add(RowError(path.name, row + 1, _header(headers, column), value, expected))
            break
        if not fields:
            continue  # a blank line, which Arrow passes over without counting it
        row += 1
        if any(utf8 for _text, utf8 in pending):
            index = next((i for i, f in enumerate(fields) if not f.isascii()), 0)
            expected = _("GB18030 text like the rest of the file; save the whole file as CSV UTF-8")
            log.add(RowError(path.name, row, _header(headers, index), fields[index], expected))
    if log:
        raise ImportRejected(log)


def _decode(raw: bytes, encoding: str, gb: bool) -> tuple[str, bool]:
    """A line's text, and whether it is UTF-8 inside a GB18030 file (then decoded as UTF-8)."""
    if gb and not raw.isascii():
        text = raw.decode("utf-8", errors="replace")
        if "\ufffd" not in text:
            return text, True
    return raw.decode(encoding, errors="replace"), False


def _header(headers: Sequence[str], index: int) -> str:
    return headers[index] if index < len(headers) else f"#{index + 1}"


def stray_quote(record: str) -> tuple[int, str]:
    """The position and raw text of the field of a record whose quoting goes wrong."""
    index = start = 0
    while start < len(record):
        end = _field_end(record, start)
        if record[start] == '"':
            end = start + 1
            while (end := record.find('"', end)) != -1 and record.startswith('""', end):
                end += 2
            if end == -1:
                return index, record[start:]  # opened and never closed
            if _field_end(record, end + 1) != end + 1:
                return index, record[start : _field_end(record, end + 1)]  # text after it
            end += 1
        if end >= len(record) or record[end] != ",":
            break
        index, start = index + 1, end + 1
    return index, record


def _field_end(record: str, start: int) -> int:
    """Where an unquoted field starting at `start` ends: the next comma or line end."""
    ends = (p for p in (record.find(c, start) for c in ",\r\n") if p != -1)
    return min(ends, default=len(record))
