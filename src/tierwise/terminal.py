"""Shared terminal pieces for every capability's commands: the console, documents, tables, bars."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console, Group, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

console = Console()
# A failure is one line on stderr however long; bars only where a person watches (a terminal).
errors = Console(stderr=True, soft_wrap=True)


# Below this many columns a wide table reads better as one "header: value" block per row.
NARROW_COLUMNS = 100
# Output redirected to a file or a pipe is drawn this wide unless COLUMNS says otherwise.
REDIRECTED_COLUMNS = 200


def write_document(text: str) -> None:
    """A document meant to be saved (a policy, rules, TOML) goes to stdout byte for byte: no
    markup read into it, no wrapping at the terminal's width, no colour."""
    sys.stdout.write(text)
    sys.stdout.flush()


def output_width() -> int:
    """The width to draw for: the terminal's (or COLUMNS), or a wide page when redirected."""
    if console.is_terminal or os.environ.get("COLUMNS", "").isdigit():
        return console.width
    return REDIRECTED_COLUMNS


def print_table(table: Table) -> None:
    """A wide table as drawn on a wide terminal, as one block of "header: value" lines per row
    on a narrow one, where its columns would be squeezed into unreadable slivers."""
    width = output_width()
    drawn = Console(width=width)  # the shared console never draws wider than it measured
    drawn.print(table if width >= NARROW_COLUMNS else vertical(table))


def _rendered(cell: RenderableType) -> Text:
    if isinstance(cell, Text):
        return cell.copy()
    return console.render_str(cell) if isinstance(cell, str) else Text(str(cell))


def vertical(table: Table) -> Group:
    """The table's rows one under another, each cell after its column's header; empty cells
    (a repeated group, a blank flag) are left out."""
    parts: list[RenderableType] = []
    if table.title:
        title = _rendered(table.title)
        title.stylize("bold")
        parts.append(title)
    headers = [_rendered(column.header) for column in table.columns]
    columns = [list(column.cells) for column in table.columns]
    for row in range(table.row_count):
        parts.append(Text(""))
        for header, cells in zip(headers, columns, strict=True):
            cell = cells[row]
            if isinstance(cell, str) and not cell.strip():
                continue
            line = Text.assemble(header, ": ") if header.plain else Text()
            line.append_text(_rendered(cell))
            parts.append(line)
    if table.caption:
        parts.extend([Text(""), _rendered(table.caption)])
    return Group(*parts)


def print_error(message: object) -> None:
    """A refusal on stderr as written: red, no markup read into it, never wrapped into pieces;
    a file that cannot be read is named with the system's reason, not Python's errno form."""
    if isinstance(message, OSError) and message.filename and message.strerror:
        message = f"{message.filename}: {message.strerror}"
    errors.print(str(message), style="red", markup=False, highlight=False, soft_wrap=True)


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A Rich bar; the yielded callback takes (done, total) in whatever unit the work counts."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=False,
        disable=not errors.is_terminal,
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total or None)

        yield update


@contextmanager
def staged_progress(title: str) -> Iterator[Callable[[str, int, int], None]]:
    """Progress for work in named stages: one bar per stage, created as each stage starts."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        disable=not errors.is_terminal,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(f"{title}: {stage}", total=total or None)
            progress.update(tasks[stage], completed=done, total=total or None)

        yield update
