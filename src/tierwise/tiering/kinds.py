"""Types of the condition language: what each indicator holds and what each operator accepts."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from functools import cache

from sqlalchemy import Boolean as SQLBoolean
from sqlalchemy import Date, DateTime, Float, Integer, Numeric
from sqlalchemy import String as SQLString

from tierwise.analytics.models import CustomerIndicator
from tierwise.i18n import _
from tierwise.tiering.nodes import (
    Binary,
    Boolean,
    Call,
    Compare,
    InList,
    Logical,
    Name,
    Node,
    Null,
    Number,
    String,
    Unary,
    describe,
    suggest,
)


class Kind(StrEnum):
    """What a value is: the language has four kinds, plus the kind of the literal `null`."""

    NUMBER = "number"
    TEXT = "text"
    DATE = "date"
    BOOL = "bool"
    NULL = "null"

    def shown(self) -> str:
        """The kind as a message names it ("sales is a number")."""
        return {
            Kind.NUMBER: _("a number"),
            Kind.TEXT: _("text"),
            Kind.DATE: _("a date"),
            Kind.BOOL: _("true/false"),
            Kind.NULL: _("null"),
        }[self]


CUSTOMER_FILE_COLUMNS = (
    "kind",
    "status",
    "credit_rating",
    "management_class",
    "enterprise_nature",
)
"""Text columns of the customer file that the indicator snapshot carries."""

PROSPECT_FACTORS = (
    "asset_scale",
    "annual_revenue",
    "growth_rate",
    "potential_demand",
    "wallet_estimate",
)
"""Numeric prospect factors of the customer file (enterprise_nature is text)."""

TIER_COLUMNS = ("tier_score", "qualified_tier", "tier", "tier_basis")
"""Columns the tier engine writes into the snapshot; a condition cannot grade on them."""


@cache
def _schema() -> tuple[tuple[str, Kind], ...]:
    kinds: dict[str, Kind] = {}
    for column in CustomerIndicator.__table__.columns:
        if column.primary_key or column.foreign_keys or column.name in TIER_COLUMNS:
            continue  # run_id and customer_id identify the row; they are not indicators
        kinds[column.name] = _kind_of(column.type, column.name)
    for name in CUSTOMER_FILE_COLUMNS:
        kinds.setdefault(name, Kind.TEXT)
    for name in PROSPECT_FACTORS:
        kinds.setdefault(name, Kind.NUMBER)
    return tuple(kinds.items())


def _kind_of(sql_type: object, name: str) -> Kind:
    if isinstance(sql_type, SQLBoolean):
        return Kind.BOOL
    if isinstance(sql_type, Integer | Numeric | Float):  # Float left Numeric in SQLAlchemy 2.1
        return Kind.NUMBER
    if isinstance(sql_type, DateTime | Date):
        return Kind.DATE
    if isinstance(sql_type, SQLString):
        return Kind.TEXT
    raise TypeError(f"customer_indicators.{name} has type {sql_type!r}, which conditions lack")


def indicator_schema() -> dict[str, Kind]:
    """Every name a condition can use and its kind: the `CustomerIndicator` columns plus the
    customer-file columns and prospect factors the snapshot carries."""
    return dict(_schema())


FUNCTION_ARITY = {
    "abs": (1, 1),
    "min": (2, None),
    "max": (2, None),
    "coalesce": (2, None),
    "is_null": (1, 1),
    "days_since": (1, 1),
}


def check(node: Node, schema: Mapping[str, Kind], expect: Kind | None = Kind.BOOL) -> Kind:
    """The kind of `node`; raises ConditionError for unknown indicators, type mismatches and
    wrong arity. With `expect` (true/false by default, as a condition must be) the result must
    also be of that kind."""
    return check_all(node, schema, expect)[id(node)]


def check_all(
    node: Node, schema: Mapping[str, Kind], expect: Kind | None = Kind.BOOL
) -> dict[int, Kind]:
    """The kind of every node of the tree, keyed by `id(node)` (the compiler reads it)."""
    checker = _Checker(schema)
    kind = checker.kind(node)
    if expect is not None and kind is not expect:
        raise node.span.error(
            _("the expression must be {expected}, but it is {kind}").format(
                expected=expect.shown(), kind=kind.shown()
            )
        )
    return checker.kinds


class _Checker:
    def __init__(self, schema: Mapping[str, Kind]) -> None:
        self.schema = schema
        self.kinds: dict[int, Kind] = {}

    def kind(self, node: Node) -> Kind:
        kind = self._kind(node)
        self.kinds[id(node)] = kind
        return kind

    def _kind(self, node: Node) -> Kind:
        match node:
            case Number():
                return Kind.NUMBER
            case String():
                return Kind.TEXT
            case Boolean():
                return Kind.BOOL
            case Null():
                return Kind.NULL
            case Name(name=name):
                if name not in self.schema:
                    message = _("unknown indicator {name}").format(name=f"'{name}'")
                    raise node.span.error(suggest(message, name, sorted(self.schema)))
                return self.schema[name]
            case Unary(op="not", operand=operand):
                self.need(operand, Kind.BOOL, "not")
                return Kind.BOOL
            case Unary(operand=operand):
                self.need(operand, Kind.NUMBER, "-")
                return Kind.NUMBER
            case Binary(op=op, left=left, right=right):
                self.need(left, Kind.NUMBER, op)
                self.need(right, Kind.NUMBER, op)
                return Kind.NUMBER
            case Logical(op=op, operands=operands):
                for operand in operands:
                    self.need(operand, Kind.BOOL, op)
                return Kind.BOOL
            case Compare(op=op, left=left, right=right):
                self.compare(op, left, right)
                return Kind.BOOL
            case InList(operand=operand, items=items):
                for item in items:
                    self.compare("in", operand, item)
                return Kind.BOOL
            case Call():
                return self.call(node)
        raise TypeError(f"not a condition node: {node!r}")

    def need(self, node: Node, expected: Kind, operator: str) -> None:
        kind = self.kind(node)
        if kind is Kind.NULL:
            raise node.span.error(_null_only())
        if kind is not expected:
            raise node.span.error(
                _("{operator} needs {expected}, but {operand} is {kind}").format(
                    operator=f"'{operator}'",
                    expected=expected.shown(),
                    operand=describe(node.span),
                    kind=kind.shown(),
                )
            )

    def compare(self, op: str, left: Node, right: Node) -> None:
        kinds = self.kind(left), self.kind(right)
        for node, kind in zip((left, right), kinds, strict=True):
            if kind is Kind.NULL:
                raise node.span.error(
                    _("a comparison with null is never true; test with is_null(x) instead")
                )
        if kinds[0] is not kinds[1]:
            raise right.span.error(
                _("cannot compare {left} ({left_kind}) with {right} ({right_kind})").format(
                    left=describe(left.span),
                    left_kind=kinds[0].shown(),
                    right=describe(right.span),
                    right_kind=kinds[1].shown(),
                )
            )
        if op not in ("==", "!=", "in") and kinds[0] not in (Kind.NUMBER, Kind.DATE):
            raise left.span.error(
                _(
                    "{operator} orders numbers and dates, but {operand} is {kind}; use == or !="
                ).format(operator=f"'{op}'", operand=describe(left.span), kind=kinds[0].shown())
            )

    def call(self, node: Call) -> Kind:
        low, high = FUNCTION_ARITY[node.function]
        given = len(node.args)
        if given < low or (high is not None and given > high):
            expected = str(low) if low == high else _("at least {count}").format(count=low)
            raise node.span.error(
                _(
                    "wrong number of arguments for {function}(): expected {expected}, got {given}"
                ).format(function=node.function, expected=expected, given=given)
            )
        match node.function:
            case "abs":
                self.need(node.args[0], Kind.NUMBER, "abs()")
                return Kind.NUMBER
            case "days_since":
                self.need(node.args[0], Kind.DATE, "days_since()")
                return Kind.NUMBER
            case "is_null":
                self.kind(node.args[0])
                return Kind.BOOL
            case "coalesce":
                return self.same(node, allow_null=True)
            case _:  # min, max
                kind = self.same(node, allow_null=False)
                if kind not in (Kind.NUMBER, Kind.DATE):
                    raise node.args[0].span.error(
                        _("{operator} needs {expected}, but {operand} is {kind}").format(
                            operator=f"'{node.function}()'",
                            expected=_("numbers or dates"),
                            operand=describe(node.args[0].span),
                            kind=kind.shown(),
                        )
                    )
                return kind

    def same(self, node: Call, allow_null: bool) -> Kind:
        """All arguments of one kind (null fits any in coalesce); that kind."""
        found: tuple[Node, Kind] | None = None
        for arg in node.args:
            kind = self.kind(arg)
            if kind is Kind.NULL:
                if not allow_null:
                    raise arg.span.error(_null_only())
                continue
            if found is None:
                found = (arg, kind)
            elif kind is not found[1]:
                raise arg.span.error(
                    _("{function}() mixes {kind} ({operand}) with {other_kind} ({other})").format(
                        function=node.function,
                        kind=kind.shown(),
                        operand=describe(arg.span),
                        other_kind=found[1].shown(),
                        other=describe(found[0].span),
                    )
                )
        return Kind.NULL if found is None else found[1]


def _null_only() -> str:
    return _("null can only be used inside coalesce() or is_null()")
