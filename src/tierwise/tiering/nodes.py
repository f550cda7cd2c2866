"""The typed AST of tier-policy conditions, where each node sits in the source, and the error
every stage raises (`ConditionError`, with a 1-based line and column and a caret under the spot)."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tierwise.i18n import _


@dataclass(frozen=True)
class ConditionError(Exception):
    """A condition that cannot be used, with where it went wrong (1-based line and column)."""

    message: str
    line: int
    column: int
    source: str
    length: int = 1

    def __post_init__(self) -> None:
        super().__init__(self.message, self.line, self.column, self.source, self.length)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self.args)

    def __str__(self) -> str:
        where = _("line {line}, column {column}: {message}").format(
            line=self.line, column=self.column, message=self.message
        )
        lines = self.source.split("\n")
        if not 1 <= self.line <= len(lines):
            return where
        text = lines[self.line - 1].removesuffix("\r")
        prefix = text[: self.column - 1]
        marked = text[self.column - 1 : self.column - 1 + max(self.length, 1)] or " "
        # Keep tabs and count wide (Chinese) characters twice, so the caret sits under the spot.
        pad = "".join(c if c == "\t" else " " * _width(c) for c in prefix)
        return f"{where}\n  {text}\n  {pad}{'^' * sum(_width(c) for c in marked)}"


# Python itself must still attach notes and tracebacks to a frozen exception.
_frozen_setattr = ConditionError.__setattr__


def _setattr(self: Any, name: str, value: object) -> None:
    if name.startswith("__") and name.endswith("__"):
        object.__setattr__(self, name, value)
    else:
        _frozen_setattr(self, name, value)


ConditionError.__setattr__ = _setattr  # type: ignore[method-assign]


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


@dataclass(frozen=True)
class Span:
    """Where a token or node sits in the source: offsets [start, end)."""

    start: int
    end: int
    source: str = field(repr=False, compare=False)

    @property
    def line(self) -> int:
        return self.source.count("\n", 0, self.start) + 1

    @property
    def column(self) -> int:
        return self.start - (self.source.rfind("\n", 0, self.start) + 1) + 1

    @property
    def text(self) -> str:
        return self.source[self.start : self.end]

    def error(self, message: str) -> ConditionError:
        length = max(1, min(self.end, _line_end(self.source, self.start)) - self.start)
        return ConditionError(message, self.line, self.column, self.source, length)


def _line_end(source: str, start: int) -> int:
    end = source.find("\n", start)
    return len(source) if end < 0 else end


# ---------------------------------------------------------------------------------------------
# The typed AST. Every node knows its span, so later stages report errors at the right place.


@dataclass(frozen=True)
class Node:
    """A node of a parsed condition."""

    span: Span

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True)
class Number(Node):
    """A number literal; `15%` is stored as 0.15, exactly."""

    value: Decimal


@dataclass(frozen=True)
class String(Node):
    """A double-quoted text literal."""

    value: str


@dataclass(frozen=True)
class Boolean(Node):
    """`true` or `false`."""

    value: bool


@dataclass(frozen=True)
class Null(Node):
    """`null`, the missing value (only useful inside coalesce() and is_null())."""


@dataclass(frozen=True)
class Name(Node):
    """An indicator, e.g. `sales_12m`."""

    name: str


@dataclass(frozen=True)
class Unary(Node):
    """Arithmetic negation `-x` or boolean `not x`."""

    op: str
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class Binary(Node):
    """Arithmetic: `+ - * /`."""

    op: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Compare(Node):
    """A comparison `== != < <= > >=`; never chained."""

    op: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class InList(Node):
    """`x in [..]` or `x not in [..]` against a list of literals."""

    operand: Node
    items: tuple[Number | String | Boolean, ...]
    negated: bool

    def children(self) -> tuple[Node, ...]:
        return (self.operand, *self.items)


@dataclass(frozen=True)
class Logical(Node):
    """`and` / `or` over two or more operands (a chain is kept flat)."""

    op: str
    operands: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.operands


@dataclass(frozen=True)
class Call(Node):
    """One of the built-in functions, e.g. `days_since(last_order)`."""

    function: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents first (iterative, so any depth is safe)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))


def referenced_indicators(node: Node) -> set[str]:
    """The indicator names a condition reads."""
    return {n.name for n in walk(node) if isinstance(n, Name)}


def to_text(node: Node) -> str:
    """The canonical, fully parenthesised spelling of a node (parses back to the same tree)."""
    match node:
        case Number(value=value):
            return format(value, "f")
        case String(value=value):
            return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        case Boolean(value=value):
            return "true" if value else "false"
        case Null():
            return "null"
        case Name(name=name):
            return name
        case Unary(op="not", operand=operand):
            return f"(not {to_text(operand)})"
        case Unary(op=op, operand=operand):
            return f"({op}{to_text(operand)})"
        case Binary(op=op, left=left, right=right) | Compare(op=op, left=left, right=right):
            return f"({to_text(left)} {op} {to_text(right)})"
        case InList(operand=operand, items=items, negated=negated):
            listed = ", ".join(to_text(item) for item in items)
            return f"({to_text(operand)} {'not in' if negated else 'in'} [{listed}])"
        case Logical(op=op, operands=operands):
            return "(" + f" {op} ".join(to_text(o) for o in operands) + ")"
        case Call(function=function, args=args):
            return f"{function}({', '.join(to_text(a) for a in args)})"
    raise TypeError(f"not a condition node: {node!r}")


def describe(span: Span, limit: int = 40) -> str:
    """How a message quotes a piece of the condition."""
    text = " ".join(span.text.split())
    return f"'{text[: limit - 1]}…'" if len(text) > limit else f"'{text}'"


def suggest(message: str, name: str, known: list[str] | tuple[str, ...]) -> str:
    """Add "did you mean …" when a known name is close to the one written."""
    exact = [k for k in known if k.lower() == name.lower()]
    close = exact or difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
    if not close:
        return message
    return _("{message}; did you mean {suggestion}?").format(
        message=message, suggestion=f"'{close[0]}'"
    )
