"""Conditions of tier policies, e.g. `sales_12m >= 500_000 and credit_rating != "C"`.

A condition is parsed (`syntax`), type-checked against the indicators (`kinds`), then either
compiled to an Ibis boolean expression that runs vectorised on any engine (`compile_condition`),
or evaluated on one customer's row in plain Python (`evaluate`, `explain`). Both follow the same
rules, and a property test holds them to it.

Grammar (EBNF; keywords and function names in any case, indicator names exactly as listed)::

    condition  = or_expr ;
    or_expr    = and_expr , { ( "or" | "或" ) , and_expr } ;
    and_expr   = not_expr , { ( "and" | "且" ) , not_expr } ;
    not_expr   = ( "not" | "非" ) , not_expr | comparison ;
    comparison = sum , [ ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) , sum
                       | [ "not" | "非" ] , "in" , list ] ;           (* never chained *)
    sum        = product , { ( "+" | "-" ) , product } ;
    product    = unary , { ( "*" | "/" ) , unary } ;
    unary      = "-" , unary | primary ;
    primary    = number | string | "true" | "false" | "null" | call | name | "(" , or_expr , ")" ;
    call       = function , "(" , [ or_expr , { "," , or_expr } ] , ")" ;
    function   = "abs" | "min" | "max" | "coalesce" | "is_null" | "days_since" ;
    list       = "[" , item , { "," , item } , [ "," ] , "]" ;
    item       = [ "-" ] , number | string | "true" | "false" ;
    number     = digits , [ "." , digits ] , [ "%" ] ;                 (* 15% = 0.15 *)
    digits     = digit , { [ "_" ] , digit } ;                          (* 500_000 *)
    string     = '"' , { any character but '"', "\\" or newline | '\\"' | "\\\\" } , '"' ;
    name       = ( letter | "_" ) , { letter | digit | "_" } ;        (* ASCII *)

Precedence, loosest first: `or` < `and` < `not` < comparisons and `in` < `+ -` < `* /` < unary
`-`. Full-width punctuation typed by a Chinese input method (（ ） ＞＝ ， ％) is read as ASCII.

Missing values: a comparison, `in`, arithmetic or function with a missing (null) value is
*unknown*; `not unknown` is unknown, `unknown and false` is false, `unknown or true` is true; the
condition holds only when it is definitely true. So a missing indicator never qualifies a
customer, not even through `not` — unless the condition asks with `is_null(x)` or
`coalesce(x, default)`. `min`/`max` are unknown when any argument is; `x / 0` is unknown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from tierwise.i18n import _
from tierwise.tiering.kinds import Kind, check, check_all, indicator_schema
from tierwise.tiering.nodes import (
    Binary,
    Boolean,
    Call,
    Compare,
    ConditionError,
    InList,
    Logical,
    Name,
    Node,
    Null,
    Number,
    String,
    Unary,
    referenced_indicators,
    to_text,
)
from tierwise.tiering.syntax import MAX_DEPTH, MAX_LENGTH, parse

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "ConditionError",
    "Criterion",
    "Kind",
    "Node",
    "check",
    "compile_condition",
    "evaluate",
    "explain",
    "indicator_schema",
    "parse",
    "referenced_indicators",
    "to_text",
]

DTYPES = {Kind.NUMBER: "float64", Kind.TEXT: "string", Kind.DATE: "date", Kind.BOOL: "boolean"}
Value = float | str | dt.date | bool | None


def _prepare(
    condition: str | Node, schema: Mapping[str, Kind] | None
) -> tuple[Node, dict[int, Kind]]:
    node = parse(condition) if isinstance(condition, str) else condition
    return node, check_all(node, indicator_schema() if schema is None else schema)


# ---------------------------------------------------------------------------------------------
# Ibis


def compile_condition(
    condition: str | Node,
    table: ir.Table,
    as_of: dt.date,
    schema: Mapping[str, Kind] | None = None,
) -> ir.BooleanValue:
    """Parse, check and compile a condition over `table` (one row per customer); never null.

    `schema` defaults to `indicator_schema()`; `as_of` is the date `days_since` counts to.
    """
    node, kinds = _prepare(condition, schema)
    missing = sorted(referenced_indicators(node) - set(table.columns))
    if missing:
        raise KeyError(f"the table lacks indicator columns the condition uses: {missing}")
    value = _Compiler(table, as_of, kinds).compile(node)
    return value.fill_null(False)


class _Compiler:
    def __init__(self, table: ir.Table, as_of: dt.date, kinds: dict[int, Kind]) -> None:
        self.table = table
        self.as_of = as_of
        self.kinds = kinds

    def kind(self, node: Node) -> Kind:
        return self.kinds[id(node)]

    def compile(self, node: Node) -> Any:
        match node:
            case Number(value=value):
                return ibis.literal(float(value), type="float64")
            case String(value=value):
                return ibis.literal(value, type="string")
            case Boolean(value=value):
                return ibis.literal(value, type="boolean")
            case Null():
                raise TypeError("null is compiled by its context (coalesce, is_null)")
            case Name(name=name):
                return self.column(name, self.kind(node))
            case Unary(op="not", operand=operand):
                return ~self.compile(operand)
            case Unary(operand=operand):
                return -self.compile(operand)
            case Binary(op=op, left=left, right=right):
                a, b = self.compile(left), self.compile(right)
                if op == "/":  # engines disagree on x / 0 (null, inf or an error): make it null
                    return ibis.ifelse(b == 0, ibis.null("float64"), a / b)
                return {"+": a + b, "-": a - b, "*": a * b}[op]
            case Compare(op=op, left=left, right=right):
                a, b = self.compile(left), self.compile(right)
                return {
                    "==": a == b,
                    "!=": a != b,
                    "<": a < b,
                    "<=": a <= b,
                    ">": a > b,
                    ">=": a >= b,
                }[op]
            case InList(operand=operand, items=items, negated=negated):
                value = self.compile(operand)
                literals = [_literal(item) for item in items]
                return value.notin(literals) if negated else value.isin(literals)
            case Logical(op=op, operands=operands):
                return _balanced(op, [self.compile(o) for o in operands])
            case Call():
                return self.call(node)
        raise TypeError(f"not a condition node: {node!r}")

    def column(self, name: str, kind: Kind) -> Any:
        column = self.table[name]
        if kind is Kind.NUMBER and not column.type().is_float64():
            return column.cast("float64")  # one arithmetic everywhere, as Python floats do it
        if kind is Kind.DATE and column.type().is_timestamp():
            return column.date()
        return column

    def call(self, node: Call) -> Any:
        function, args = node.function, node.args
        if function == "is_null":
            if isinstance(args[0], Null):
                return ibis.literal(True)
            return self.compile(args[0]).isnull()
        if function == "coalesce":
            kind = self.kind(node)
            dtype = DTYPES.get(kind, "float64")
            values = [ibis.null(dtype) if isinstance(a, Null) else self.compile(a) for a in args]
            return ibis.coalesce(*values)
        values = [self.compile(a) for a in args]
        if function == "abs":
            return values[0].abs()
        if function == "days_since":
            return ibis.date(self.as_of).delta(values[0], unit="day").cast("float64")
        # min / max: unknown when any argument is (LEAST/GREATEST skip nulls on some engines)
        pick = ibis.least if function == "min" else ibis.greatest
        any_null = _balanced("or", [v.isnull() for v in values])
        return ibis.ifelse(any_null, ibis.null(DTYPES[self.kind(node)]), pick(*values))


def _literal(item: Number | String | Boolean) -> float | str | bool:
    return float(item.value) if isinstance(item, Number) else item.value


def _balanced(op: str, values: list[Any]) -> Any:
    """a & b & c … as a balanced tree, so long chains stay shallow for the SQL compilers."""
    if len(values) == 1:
        return values[0]
    middle = len(values) // 2
    left, right = _balanced(op, values[:middle]), _balanced(op, values[middle:])
    return left & right if op == "and" else left | right


# ---------------------------------------------------------------------------------------------
# Plain Python, one row


def evaluate(
    condition: str | Node,
    row: Mapping[str, object],
    as_of: dt.date,
    schema: Mapping[str, Kind] | None = None,
) -> bool:
    """Whether one customer's row satisfies the condition (the same answer as the compiled form)."""
    node, _kinds = _prepare(condition, schema)
    return _Evaluator(row, as_of).value(node) is True


class _Evaluator:
    def __init__(self, row: Mapping[str, object], as_of: dt.date) -> None:
        self.row = row
        self.as_of = as_of

    def value(self, node: Node) -> Value:
        match node:
            case Number(value=value):
                return float(value)
            case String() | Boolean():
                return node.value
            case Null():
                return None
            case Name(name=name):
                return _normalise(self.row[name])
            case Unary(op=op, operand=operand):
                inner = self.value(operand)
                if inner is None:
                    return None
                return (not inner) if op == "not" else -_number(inner)
            case Binary(op=op, left=left, right=right):
                a, b = self.value(left), self.value(right)
                if a is None or b is None:
                    return None
                return _arithmetic(op, _number(a), _number(b))
            case Compare(op=op, left=left, right=right):
                return _compare(op, self.value(left), self.value(right))
            case InList(operand=operand, items=items, negated=negated):
                subject = self.value(operand)
                if subject is None:
                    return None
                found = any(subject == _literal(item) for item in items)
                return found != negated
            case Logical(op=op, operands=operands):
                return _kleene(op, [self.value(o) for o in operands])
            case Call():
                return self.call(node)
        raise TypeError(f"not a condition node: {node!r}")

    def call(self, node: Call) -> Value:
        values = [self.value(a) for a in node.args]
        match node.function:
            case "is_null":
                return values[0] is None
            case "coalesce":
                return next((v for v in values if v is not None), None)
        if any(v is None for v in values):
            return None
        match node.function:
            case "abs":
                return abs(_number(values[0]))
            case "days_since":
                assert isinstance(values[0], dt.date)
                return float((self.as_of - values[0]).days)
            case "min":
                return min(values)  # type: ignore[type-var]
            case _:
                return max(values)  # type: ignore[type-var]


def _normalise(value: object) -> Value:
    """Row values as the compiled form sees them: numbers as floats, timestamps as dates."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"indicator value {value!r} is not a number, text, date or true/false")


def _number(value: Value) -> float:
    assert isinstance(value, float)
    return value


def _arithmetic(op: str, a: float, b: float) -> float | None:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return None if b == 0 else a / b


def _compare(op: str, a: Value, b: Value) -> bool | None:
    if a is None or b is None:
        return None
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    left: Any = a
    right: Any = b
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def _kleene(op: str, values: list[Value]) -> bool | None:
    """Three-valued and/or: a definite answer wins over unknown when it decides the result."""
    decisive = op == "or"  # True decides an `or`, False decides an `and`
    if any(v is decisive for v in values):
        return decisive
    if any(v is None for v in values):
        return None
    return not decisive


# ---------------------------------------------------------------------------------------------
# Explanations


@dataclass(frozen=True)
class Criterion:
    """One criterion of a condition as it applies to one customer.

    `subject` is the tested side (the side with indicators, so `500000 <= sales_12m` reads as
    `sales_12m >= 500000`), `value` its value for the customer (None when missing), `threshold`
    the value it is held against (a list for `in`). `gap` = threshold − value for a failed
    ordering comparison of numbers: positive means the subject must grow by that much (by more
    than that for `>`), negative that it must shrink.
    """

    text: str
    passed: bool
    subject: str | None = None
    operator: str | None = None
    value: object = None
    threshold: object = None
    gap: float | None = None
    label: str | None = None  # what the criterion is in words, where the subject alone is not

    def missing(self) -> str | None:
        """What is missing to pass, e.g. "+12,300 in sales_12m" (for `>`: "more than +0 in
        orders"); None if passed or unknown."""
        if self.passed or self.gap is None or self.subject is None:
            return None
        if self.operator in (">", "<"):  # reaching the threshold is not enough
            message = _("more than {gap} in {subject}")
        else:
            message = _("{gap} in {subject}")
        return message.format(gap=_signed(self.gap), subject=self.subject)


MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def explain(
    condition: str | Node,
    row: Mapping[str, object],
    as_of: dt.date,
    schema: Mapping[str, Kind] | None = None,
) -> list[Criterion]:
    """The criteria of a condition for one customer: each operand of a top-level `and` (nested
    `and`s flattened), or the whole condition as one criterion when it is not an `and`."""
    node, _kinds = _prepare(condition, schema)
    evaluator = _Evaluator(row, as_of)
    parts = _conjuncts(node)
    return [_criterion(part, evaluator) for part in parts]


def _conjuncts(node: Node) -> list[Node]:
    if isinstance(node, Logical) and node.op == "and":
        return [part for operand in node.operands for part in _conjuncts(operand)]
    return [node]


def _criterion(node: Node, evaluator: _Evaluator) -> Criterion:
    text = node.span.text
    passed = evaluator.value(node) is True
    if isinstance(node, InList):
        return Criterion(
            text,
            passed,
            subject=node.operand.span.text,
            operator="not in" if node.negated else "in",
            value=evaluator.value(node.operand),
            threshold=[_literal(item) for item in node.items],
        )
    if not isinstance(node, Compare):
        return Criterion(text, passed)
    subject, other, op = node.left, node.right, node.op
    if not referenced_indicators(subject) and referenced_indicators(other):
        subject, other, op = other, subject, MIRRORED[op]
    value, threshold = evaluator.value(subject), evaluator.value(other)
    gap = None
    if (
        not passed
        and op in ("<", "<=", ">", ">=")
        and isinstance(value, float)
        and isinstance(threshold, float)
    ):
        gap = threshold - value
    return Criterion(text, passed, subject.span.text, op, value, threshold, gap)


def _signed(number: float) -> str:
    if abs(number) >= 1:
        return f"{number:+,.2f}".rstrip("0").rstrip(".")
    return f"{number:+.4g}"
