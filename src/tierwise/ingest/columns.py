"""Column specifications of import files, and matching a file's headers to them."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, auto
from pathlib import Path

from tierwise.db.choices import Choice
from tierwise.documents import DocumentRefused, parse_toml
from tierwise.i18n import _
from tierwise.ingest.errors import ImportFileError


class Kind(Enum):
    """How a cell's text is read."""

    TEXT = auto()
    INTEGER = auto()
    DECIMAL = auto()
    DATE = auto()
    CHOICE = auto()
    BOOL = auto()


@dataclass(frozen=True)
class Column:
    """One importable column: its canonical English header, its Chinese header and its rules."""

    name: str
    zh: str
    kind: Kind = Kind.TEXT
    required: bool = False
    max_length: int = 200
    choice: type[Choice] | None = None
    non_negative: bool = False
    scale: int = 2
    percent: bool = False
    bounds: tuple[int, int] | None = None  # whole numbers on a scale, e.g. NPS 0–10
    largest: Decimal | None = None  # a decimal's largest size where its column holds less
    code: bool = False  # an identifier: it reaches URLs and download names, so no control marks
    aliases: tuple[str, ...] = ()

    def spellings(self) -> tuple[str, ...]:
        """Every header that names this column, folded for comparison."""
        names = (self.name, self.name.replace("_", " "), self.zh, *self.aliases)
        return tuple(n.strip().casefold() for n in names)


def read_mapping(pairs: Sequence[str], mapping_file: Path | None) -> dict[str, str]:
    """Header → column mapping from `--map 'Header=column'` options and/or a TOML file."""
    mapping: dict[str, str] = {}
    if mapping_file is not None:
        try:
            data = parse_toml(mapping_file.read_text(encoding="utf-8"), str(mapping_file))
        except DocumentRefused as exc:
            raise ImportFileError(mapping_file, exc.message) from None
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ImportFileError(
                mapping_file, _("cannot read the column mapping: {error}").format(error=exc)
            ) from exc
        table = data.get("columns", data)
        mapping.update({str(k): str(v) for k, v in table.items()})
    for pair in pairs:
        header, sep, column = pair.partition("=")
        if not sep or not header.strip() or not column.strip():
            raise ImportFileError(
                "--map", _("expected HEADER=column, got {pair!r}").format(pair=pair)
            )
        mapping[header.strip()] = column.strip()
    return mapping


def match_headers(
    path: Path,
    headers: Sequence[str],
    columns: Sequence[Column],
    mapping: dict[str, str],
) -> tuple[dict[str, int], list[str]]:
    """Map each known column to its position in the file; return it with the ignored headers."""
    by_spelling = {s: c for c in columns for s in c.spellings()}
    by_name = {c.name: c for c in columns}
    folded_mapping = {k.strip().casefold(): v for k, v in mapping.items()}
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, raw in enumerate(headers):
        header = (raw or "").strip().lstrip("\ufeff")
        target = folded_mapping.get(header.casefold())
        if target is not None and target not in by_name:
            raise ImportFileError(
                path,
                _("the mapping names unknown column {column!r}; known: {known}").format(
                    column=target, known=", ".join(by_name)
                ),
            )
        column = by_name[target] if target else by_spelling.get(header.casefold())
        if column is None:
            ignored.append(header)
            continue
        if column.name in positions:
            raise ImportFileError(
                path,
                _("columns {first!r} and {second!r} both mean {column!r}").format(
                    first=headers[positions[column.name]], second=raw, column=column.name
                ),
            )
        positions[column.name] = index
    missing = [c for c in columns if c.required and c.name not in positions]
    if missing:
        wanted = ", ".join(f"{c.name} ({c.zh})" for c in missing)
        found = ", ".join(h for h in headers if h) or _("no headers")
        raise ImportFileError(
            path,
            _("missing required column(s) {wanted}; the file has {found}").format(
                wanted=wanted, found=found
            ),
        )
    return positions, ignored
