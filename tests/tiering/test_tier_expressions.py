"""The condition language of tier policies: parsing, types, hostile input, and two evaluators
(Ibis on DuckDB, plain Python on one row) that must agree on every row, missing values included."""

from __future__ import annotations

import datetime as dt
import pickle
from dataclasses import FrozenInstanceError
from decimal import Decimal
from functools import cache
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierwise.tiering.expressions import (
    MAX_DEPTH,
    MAX_LENGTH,
    ConditionError,
    Kind,
    check,
    compile_condition,
    evaluate,
    explain,
    indicator_schema,
    parse,
    referenced_indicators,
    to_text,
)

AS_OF = dt.date(2024, 6, 30)
SCHEMA = pa.schema(
    [
        ("sales_12m", pa.float64()),
        ("sales", pa.decimal128(18, 2)),  # money as the system of record holds it
        ("orders", pa.int64()),
        ("margin", pa.float64()),
        ("credit_rating", pa.string()),
        ("rfm_segment", pa.string()),
        ("first_order", pa.date32()),
        ("last_order", pa.date32()),
        ("churned", pa.bool_()),
    ]
)
FAST = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def duckdb() -> Any:
    return ibis.duckdb.connect()


def run(con: Any, conditions: list[str], rows: list[dict[str, Any]]) -> list[list[bool]]:
    """Each condition compiled and executed on DuckDB over the rows: one list per condition."""
    table = ibis.memtable(pa.Table.from_pylist(rows, schema=SCHEMA))
    columns = {f"c{i}": compile_condition(c, table, AS_OF) for i, c in enumerate(conditions)}
    result = con.to_pyarrow(table.select(**columns)).to_pydict() if rows else {}
    return [result.get(f"c{i}", []) for i in range(len(conditions))]


def python(conditions: list[str], rows: list[dict[str, Any]]) -> list[list[bool]]:
    return [[evaluate(c, row, AS_OF) for row in rows] for c in conditions]


def row(**values: Any) -> dict[str, Any]:
    return {name: values.get(name) for name in SCHEMA.names}


# ---------------------------------------------------------------------------------------------
# Syntax and precedence


@pytest.mark.parametrize(
    ("source", "canonical"),
    [
        ("1 + 2 * 3", "(1 + (2 * 3))"),
        ("(1 + 2) * 3", "((1 + 2) * 3)"),
        ("1 - 2 - 3", "((1 - 2) - 3)"),
        ("8 / 4 / 2", "((8 / 4) / 2)"),
        ("-2 * 3", "((-2) * 3)"),
        ("- -orders", "(-(-orders))"),
        ("orders + 1 > 2 * margin", "((orders + 1) > (2 * margin))"),
        ("not a and b or c", "(((not a) and b) or c)"),
        ("a or b and c", "(a or (b and c))"),
        ("a and b and c or d", "((a and b and c) or d)"),
        ("not x == 1", "(not (x == 1))"),
        ("not not a", "(not (not a))"),
        ("x in [1, -2, 3,]", "(x in [1, -2, 3])"),
        ('x not in ["A"]', '(x not in ["A"])'),
        ("not x in [true]", "(not (x in [true]))"),
        ("min(a, b + 1, 3) >= abs(-c)", "(min(a, (b + 1), 3) >= abs((-c)))"),
        ('s == "say \\"hi\\" \\\\ 重点"', '(s == "say \\"hi\\" \\\\ 重点")'),
        ("a\n  and\n  b", "(a and b)"),
    ],
)
def test_precedence_and_canonical_form(source: str, canonical: str) -> None:
    node = parse(source)
    assert to_text(node) == canonical
    assert to_text(parse(to_text(node))) == canonical


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("15%", Decimal("0.15")),
        ("12.5%", Decimal("0.125")),
        ("100%", Decimal("1")),
        ("500_000", Decimal("500000")),
        ("1_000.000_1", Decimal("1000.0001")),
        ("0.15", Decimal("0.15")),
        ("007", Decimal("7")),
    ],
)
def test_numbers(source: str, value: Decimal) -> None:
    node = parse(source)
    assert node.value == value  # type: ignore[attr-defined]


def test_percent_compares_as_a_fraction(duckdb: Any) -> None:
    rows = [row(margin=0.15), row(margin=0.149), row(margin=None)]
    conditions = ["margin >= 15%", "margin == 0.15", "margin * 100 >= 15"]
    assert run(duckdb, conditions, rows) == python(conditions, rows)
    assert run(duckdb, conditions, rows)[0] == [True, False, False]


@pytest.mark.parametrize(
    ("chinese", "english"),
    [
        ("a 且 b", "a and b"),
        ("a 或 b", "a or b"),
        ("非 a", "not a"),
        ("a且b或非c", "a and b or not c"),
        ("x 非 in [1]", "x not in [1]"),
        ("（x ＞＝ 1） 且 y ！＝ 2", "(x >= 1) and y != 2"),
        ("min（x，y） ＜ 3", "min(x, y) < 3"),
        ("margin ＞ 15％", "margin > 15%"),
        ("a AND b Or NOT c", "a and b or not c"),
        ("ABS(x) > 1 and Is_Null(y) == TRUE", "abs(x) > 1 and is_null(y) == true"),
    ],
)
def test_chinese_and_other_spellings(chinese: str, english: str) -> None:
    assert to_text(parse(chinese)) == to_text(parse(english))


def test_referenced_indicators() -> None:
    node = parse('sales_12m >= 1 and (days_since(last_order) < 90 or credit_rating in ["A"])')
    assert referenced_indicators(node) == {"sales_12m", "last_order", "credit_rating"}
    assert referenced_indicators(parse("true")) == set()


# ---------------------------------------------------------------------------------------------
# Types


def test_indicator_schema_comes_from_the_models() -> None:
    schema = indicator_schema()
    assert schema["sales_12m"] is Kind.NUMBER  # Numeric
    assert schema["margin"] is Kind.NUMBER  # Float
    assert schema["orders"] is Kind.NUMBER  # Integer
    assert schema["first_order"] is Kind.DATE
    assert schema["churned"] is Kind.BOOL
    for text in ("credit_rating", "rfm_segment", "kind", "status", "management_class"):
        assert schema[text] is Kind.TEXT
    assert "run_id" not in schema and "customer_id" not in schema
    schema["sales_12m"] = Kind.TEXT
    assert indicator_schema()["sales_12m"] is Kind.NUMBER  # callers get a copy


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("sales_12m - sales_prev_12m", Kind.NUMBER),
        ("days_since(first_order)", Kind.NUMBER),
        ('coalesce(credit_rating, "B")', Kind.TEXT),
        ("max(first_order, last_order)", Kind.DATE),
        ("coalesce(churned, false)", Kind.BOOL),
        ("is_null(null)", Kind.BOOL),
    ],
)
def test_kinds(source: str, kind: Kind) -> None:
    assert check(parse(source), indicator_schema(), expect=None) is kind


# ---------------------------------------------------------------------------------------------
# Errors: each a ConditionError at the right line and column


HOSTILE = [
    # (source, line, column, part of the message)
    ("__import__('os')", 1, 12, "double quotes"),
    ('__import__("os")', 1, 1, "unknown function '__import__'"),
    ('__import__("os").system("ls")', 1, 17, "unexpected character '.'"),
    ("sales.__class__", 1, 6, "unexpected character '.'"),
    ("a.b", 1, 2, "unexpected character '.'"),
    ("sales[0] > 1", 1, 6, "expected an operator or the end of the condition, found '['"),
    ("lambda x: x", 1, 9, "unexpected character ':'"),
    ("sales if true else false", 1, 7, "found 'if'"),
    ('f"{sales}"', 1, 2, "expected an operator"),
    ("sales ** 2 > 1", 1, 8, "expected a value, found '*'"),
    ("sales > 1; drop table customers", 1, 10, "unexpected character ';'"),
    ("sales > 1 @", 1, 11, "unexpected character '@'"),
    ("sales > \x00", 1, 9, "U+0000"),
    ("销售额 > 1", 1, 1, "unexpected character '销'"),
    ("sales > ５", 1, 9, "write '5' instead of '５'"),
    ('"abc', 1, 1, "unterminated string"),
    ('sales_12m >= 1 and\n  credit_rating == "A', 2, 20, "unterminated string"),
    ('credit_rating == "a\nb"', 1, 18, "unterminated string"),
    ('credit_rating == "\\n"', 1, 19, "unknown escape"),
    ("sales > 0x10", 1, 9, "invalid number '0x10'"),
    ("sales > 1e6", 1, 9, "invalid number '1e6'"),
    ("sales > 1_", 1, 9, "invalid number"),
    ("sales > 1__0", 1, 9, "invalid number"),
    ("sales > 1.", 1, 9, "invalid number"),
    ("sales > .5", 1, 9, "unexpected character '.'"),
    ("sales >= 15 %", 1, 13, "'%' must follow a number"),
    ("sales >= 15%%", 1, 10, "invalid number '15%%'"),
    ("sales = 1", 1, 7, "write '==' instead of '='"),
    ("sales <> 1", 1, 7, "write '!=' instead of '<>'"),
    ("churned && true", 1, 9, "write 'and' instead of '&&'"),
    ("churned || true", 1, 9, "write 'or' instead of '||'"),
    ("!churned", 1, 1, "write 'not' instead of '!'"),
    ("", 1, 1, "expected a value, found the end of the condition"),
    ("sales > ", 1, 9, "expected a value, found the end of the condition"),
    ("(sales > 1", 1, 11, "expected ')'"),
    ("sales > 1)", 1, 10, "expected an operator or the end of the condition"),
    ("1 < sales < 3", 1, 11, "cannot be chained"),
    ("sales in [1] in [2]", 1, 14, "cannot be chained"),
    ("sales not 1", 1, 11, "expected 'in'"),
    ("sales in 1", 1, 10, "expected '['"),
    ("sales in []", 1, 11, "the list is empty"),
    ("sales in [null]", 1, 11, "null cannot be in a list"),
    ("sales in [orders]", 1, 11, "literal values"),
    ("foo(1) > 1", 1, 1, "unknown function 'foo'"),
    ("max_(1, 2) > 1", 1, 1, "did you mean 'max'?"),
    ("sales12m > 1", 1, 1, "unknown indicator 'sales12m'; did you mean 'sales_12m'?"),
    ("Sales_12M > 1", 1, 1, "did you mean 'sales_12m'?"),
    ("zzzz > 1", 1, 1, "unknown indicator 'zzzz'"),
    ("credit_rating > 5", 1, 17, "cannot compare 'credit_rating' (text) with '5' (a number)"),
    ('credit_rating > "A"', 1, 1, "'>' orders numbers and dates"),
    ("churned < true", 1, 1, "orders numbers and dates"),
    ("first_order > 5", 1, 15, "cannot compare"),
    ('sales in [1, "A"]', 1, 14, "cannot compare"),
    ("sales_12m and true", 1, 1, "'and' needs true/false, but 'sales_12m' is a number"),
    ("true and (sales_12m + 1)", 1, 10, "but '(sales_12m + 1)' is a number"),
    ("true or\n  margin", 2, 3, "'or' needs true/false"),
    ("not sales", 1, 5, "'not' needs true/false"),
    ('-credit_rating == "A"', 1, 2, "'-' needs a number"),
    ('sales + "1" > 0', 1, 9, "'+' needs a number, but '\"1\"' is text"),
    ("last_order - first_order > 30", 1, 1, "needs a number, but 'last_order' is a date"),
    ("sales_12m + 1", 1, 1, "must be true/false, but it is a number"),
    ("null", 1, 1, "must be true/false"),
    ("sales_12m == null", 1, 14, "comparison with null is never true"),
    ("null + 1 > 0", 1, 1, "null can only be used inside coalesce() or is_null()"),
    ("min(sales, null) > 0", 1, 12, "null can only be used"),
    ("abs(sales, margin) > 1", 1, 1, "for abs(): expected 1, got 2"),
    ("min(sales) > 1", 1, 1, "for min(): expected at least 2, got 1"),
    ("max() > 1", 1, 1, "for max(): expected at least 2, got 0"),
    ("coalesce(sales) > 1", 1, 1, "for coalesce(): expected at least 2, got 1"),
    ("is_null()", 1, 1, "for is_null(): expected 1, got 0"),
    ("days_since(first_order, 1) > 1", 1, 1, "for days_since(): expected 1, got 2"),
    ("days_since(sales) > 1", 1, 12, "'days_since()' needs a date, but 'sales' is a number"),
    ("abs(credit_rating) > 1", 1, 5, "'abs()' needs a number"),
    ('coalesce(sales, "0") > 1', 1, 17, "coalesce() mixes text"),
    ('min(credit_rating, rfm_segment) == "A"', 1, 5, "numbers or dates"),
]


@pytest.mark.parametrize(("source", "line", "column", "message"), HOSTILE)
def test_bad_conditions_are_condition_errors(
    source: str, line: int, column: int, message: str
) -> None:
    with pytest.raises(ConditionError) as caught:
        check(parse(source), indicator_schema())
    error = caught.value
    assert message in error.message
    assert (error.line, error.column) == (line, column), str(error)
    assert error.source == source


def test_compile_and_explain_raise_the_same_errors() -> None:
    table = ibis.table(SCHEMA, name="indicators")
    for source in ("credit_rating > 5", "sales12m > 1", "sales >"):
        with pytest.raises(ConditionError):
            compile_condition(source, table, AS_OF)
        with pytest.raises(ConditionError):
            explain(source, row(), AS_OF)


def test_error_renders_the_line_and_a_caret() -> None:
    with pytest.raises(ConditionError) as caught:
        check(parse("sales_12m >= 1 and\n\tsales12m > 1"), indicator_schema())
    assert str(caught.value) == (
        "line 2, column 2: unknown indicator 'sales12m'; did you mean 'sales_12m'?\n"
        "  \tsales12m > 1\n"
        "  \t^^^^^^^^"
    )


def test_caret_counts_wide_characters_twice() -> None:
    with pytest.raises(ConditionError) as caught:
        parse('rfm_segment == "重点客户" 且 x ＝ 1')
    error = caught.value
    assert (error.line, error.column) == (1, 27)
    shown_line, caret = str(error).splitlines()[1:]
    assert caret == "  " + " " * 31 + "^^"  # 重点客户 and 且 take two columns each
    assert shown_line == '  rfm_segment == "重点客户" 且 x ＝ 1'


def test_condition_error_is_frozen_yet_behaves_as_an_exception() -> None:
    error = ConditionError("bad", 1, 2, "a b")
    with pytest.raises(FrozenInstanceError):
        error.message = "other"  # type: ignore[misc]
    error.add_note("Python and test runners attach notes")
    assert error.__notes__ == ["Python and test runners attach notes"]
    copy = pickle.loads(pickle.dumps(ConditionError("bad", 1, 2, "a b")))
    assert copy == ConditionError("bad", 1, 2, "a b")
    assert str(copy) == "line 1, column 2: bad\n  a b\n   ^"


# ---------------------------------------------------------------------------------------------
# Limits: bounded length and depth, never a RecursionError


def test_too_long() -> None:
    source = "sales > 1 and " * 800 + "true"
    assert len(source) > MAX_LENGTH
    with pytest.raises(ConditionError) as caught:
        parse(source)
    assert caught.value.column == MAX_LENGTH + 1
    assert "longer than" in caught.value.message


@pytest.mark.parametrize(
    "source",
    [
        "(" * 5000 + "true" + ")" * 5000,
        "not " * 2000 + "true",
        "非" * 9000 + "true",
        "-" * 9000 + "1 > 0",
        "abs(" * 2000 + "1" + ")" * 2000 + " > 0",
        "sales + " * 1200 + "1 > 0",
        "churned == " * 2 + "true",
    ],
    ids=["parentheses", "not", "chinese-not", "minus", "calls", "chain", "chained-compare"],
)
def test_deep_or_hostile_nesting_is_a_condition_error(source: str) -> None:
    with pytest.raises(ConditionError):
        check(parse(source), indicator_schema())


def test_depth_limit_is_exact() -> None:
    with pytest.raises(ConditionError) as caught:
        parse("(" * MAX_DEPTH + "true" + ")" * MAX_DEPTH)
    assert caught.value.column == MAX_DEPTH + 1
    assert "nested too deeply" in caught.value.message


def test_deepest_allowed_condition_runs_everywhere(duckdb: Any) -> None:
    inner = MAX_DEPTH - 3  # the comparison and the cast inside still count
    source = "(" * inner + "abs(sales_12m) > 1" + ")" * inner
    rows = [row(sales_12m=-2.0), row(sales_12m=0.5), row()]
    assert run(duckdb, [source], rows) == python([source], rows) == [[True, False, False]]
    long_and = " and ".join(f"sales_12m > {i}" for i in range(300))
    assert run(duckdb, [long_and], rows) == python([long_and], rows)


# ---------------------------------------------------------------------------------------------
# Compiled (DuckDB) and Python evaluation agree


CONSTRUCTS = [
    "sales_12m >= 500_000",
    'sales_12m >= 500_000 and margin >= 15% and credit_rating != "C"',
    "sales > 100 or orders >= 3",
    "not (sales_12m >= 500_000)",
    "not churned",
    "churned",
    "churned == false",
    "margin < 0.1 或 非 churned 且 orders > 0",
    "sales_12m - sales * 2 + orders / 4 > -margin",
    "sales_12m / orders >= 1000",
    "sales_12m / (orders - orders) > 0 or true",
    "orders in [1, 2, 3]",
    "orders not in [0, -1.5]",
    'credit_rating in ["A", "B"]',
    'credit_rating not in ["C"]',
    'rfm_segment == "重点"',
    "churned in [true]",
    "abs(sales_12m - 1000) < 500",
    "min(sales_12m, sales) >= 100",
    "max(sales_12m, sales, orders) >= 100",
    "coalesce(margin, 0) >= 0",
    'coalesce(credit_rating, "none") == "none"',
    "coalesce(churned, null, false) == false",
    "is_null(margin)",
    "is_null(null)",
    "not is_null(last_order) and days_since(last_order) <= 365",
    "days_since(first_order) - days_since(last_order) > 30",
    "first_order < last_order",
    "max(first_order, last_order) == last_order",
    "true",
    "false",
    "1 + 2 * 3 == 7",
    "-2 * -3 == 6 and 10 - 4 - 3 == 3 and 8 / 4 / 2 == 1",
]

TABLE = [
    row(sales_12m=600_000.0, sales=Decimal("700000.00"), orders=12, margin=0.2,
        credit_rating="A", rfm_segment="重点", first_order=dt.date(2020, 1, 1),
        last_order=dt.date(2024, 6, 1), churned=False),
    row(sales_12m=500_000.0, sales=Decimal("99.99"), orders=0, margin=0.15,
        credit_rating="C", first_order=dt.date(2024, 1, 1), last_order=dt.date(2024, 1, 1),
        churned=True),
    row(sales_12m=1200.5, sales=Decimal("-50.00"), orders=2, credit_rating="B"),
    row(),
]  # fmt: skip


def test_each_construct_on_a_known_table(duckdb: Any) -> None:
    compiled = run(duckdb, CONSTRUCTS, TABLE)
    assert compiled == python(CONSTRUCTS, TABLE)
    results = dict(zip(CONSTRUCTS, compiled, strict=True))
    assert results["sales_12m >= 500_000 and margin >= 15% and credit_rating != \"C\""] == [
        True, False, False, False
    ]  # fmt: skip
    # a missing indicator never qualifies, not even through `not`
    assert results["not (sales_12m >= 500_000)"] == [False, False, True, False]
    assert results["not churned"] == [True, False, False, False]
    assert results["is_null(margin)"] == [False, False, True, True]
    assert results["sales_12m / (orders - orders) > 0 or true"] == [True] * 4
    assert results["1 + 2 * 3 == 7"] == [True] * 4
    assert results["-2 * -3 == 6 and 10 - 4 - 3 == 3 and 8 / 4 / 2 == 1"] == [True] * 4


NUMBER_VALUES = st.one_of(
    st.none(),
    st.sampled_from([0.0, 1.0, 3.0, 0.15, 2.5, 500_000.0, -1.5]),
    st.integers(-4000, 4000).map(lambda k: k / 8),
)
TEXT_VALUES = st.one_of(st.none(), st.sampled_from(["A", "B", "C", "重点", 'q"uote', ""]))
DATE_VALUES = st.one_of(st.none(), st.dates(dt.date(2015, 1, 1), dt.date(2025, 12, 31)))
ROWS = st.lists(
    st.fixed_dictionaries(
        {
            "sales_12m": NUMBER_VALUES,
            "sales": st.one_of(st.none(), st.decimals(-10_000, 10_000, places=2, allow_nan=False)),
            "orders": st.one_of(st.none(), st.integers(0, 20)),
            "margin": NUMBER_VALUES,
            "credit_rating": TEXT_VALUES,
            "rfm_segment": TEXT_VALUES,
            "first_order": DATE_VALUES,
            "last_order": DATE_VALUES,
            "churned": st.one_of(st.none(), st.booleans()),
        }
    ),
    min_size=1,
    max_size=8,
)


@pytest.fixture(scope="module")
def constructs_sql() -> str:
    """CONSTRUCTS compiled once, to the SQL Ibis sends DuckDB for a table named indicators."""
    table = ibis.table(SCHEMA, name="indicators")
    columns = {f"c{i}": compile_condition(c, table, AS_OF) for i, c in enumerate(CONSTRUCTS)}
    return ibis.to_sql(table.select(**columns), dialect="duckdb")


@settings(FAST, max_examples=40)
@given(rows=ROWS)
def test_every_construct_agrees_on_random_rows(
    duckdb: Any, constructs_sql: str, rows: list[dict[str, Any]]
) -> None:
    duckdb.create_table("indicators", pa.Table.from_pylist(rows, schema=SCHEMA), overwrite=True)
    result = duckdb.con.sql(constructs_sql).to_arrow_table().to_pydict()
    compiled = [result[f"c{i}"] for i in range(len(CONSTRUCTS))]
    assert compiled == python(CONSTRUCTS, rows)


# Random well-typed conditions, written the way people write them (any spelling of the operators).
NUMBER_NAMES = ["sales_12m", "sales", "orders", "margin"]
NUMBER_LITERALS = ["0", "1", "3", "2.5", "0.15", "15%", "12.5%", "500_000", "-1.5"]
TEXT_NAMES = ["credit_rating", "rfm_segment"]
TEXT_LITERALS = ['"A"', '"C"', '"重点"', '"q\\"uote"', '""']
DATE_NAMES = ["first_order", "last_order"]
AND = st.sampled_from([" and ", " 且 ", " AND ", "且"])
OR = st.sampled_from([" or ", " 或 ", " Or "])
NOT = st.sampled_from(["not ", "非", "NOT "])


def call(name: str, *args: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*args).map(lambda values: f"{name}({', '.join(values)})")


def joined(separator: st.SearchStrategy[str], part: st.SearchStrategy[str]) -> Any:
    return st.tuples(separator, st.lists(part, min_size=2, max_size=3)).map(
        lambda sep_parts: "(" + sep_parts[0].join(sep_parts[1]) + ")"
    )


@cache
def numbers(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(NUMBER_NAMES + NUMBER_LITERALS)
    if depth == 0:
        return leaf
    sub = numbers(depth - 1)
    return st.one_of(
        leaf,
        sub.map(lambda a: f"(-{a})"),
        st.tuples(sub, st.sampled_from("+-*/"), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        call("abs", sub),
        st.tuples(st.sampled_from(["min", "max"]), st.lists(sub, min_size=2, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
        call("coalesce", sub, st.one_of(sub, st.just("null"))),
        call("days_since", dates(depth - 1)),
    )


@cache
def texts(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(TEXT_NAMES + TEXT_LITERALS)
    return leaf if depth == 0 else st.one_of(leaf, call("coalesce", leaf, leaf))


@cache
def dates(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(DATE_NAMES)
    if depth == 0:
        return leaf
    return st.one_of(
        leaf,
        call("coalesce", leaf, leaf),
        st.tuples(st.sampled_from(["min", "max"]), leaf, leaf).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
    )


def compared(kind: st.SearchStrategy[str], ops: str) -> st.SearchStrategy[str]:
    return st.tuples(kind, st.sampled_from(ops.split()), kind).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    )


@cache
def conditions(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(
        st.sampled_from(["churned", "true", "false", "is_null(churned)"]),
        compared(numbers(1), "== != < <= > >="),
        compared(texts(1), "== !="),
        compared(dates(1), "== != < <= > >="),
        st.tuples(
            st.sampled_from(["in", "not in", "非 in"]),
            st.lists(st.sampled_from(NUMBER_LITERALS), min_size=1, max_size=3),
        ).map(lambda t: f"(orders {t[0]} [{', '.join(t[1])}])"),
        st.tuples(
            st.sampled_from(TEXT_NAMES),
            st.lists(st.sampled_from(TEXT_LITERALS), min_size=1, max_size=3),
        ).map(lambda t: f"({t[0]} in [{', '.join(t[1])}])"),
        st.one_of(numbers(1), texts(1), dates(1)).map(lambda a: f"is_null({a})"),
    )
    if depth == 0:
        return leaf
    sub = conditions(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(NOT, sub).map(lambda t: f"({t[0]}{t[1]})"),
        joined(AND, sub),
        joined(OR, sub),
        compared(sub, "== !="),
        call("coalesce", sub, st.sampled_from(["true", "false", "null"])).map(
            lambda a: f"({a} == true)"
        ),
    )


@FAST
@given(sources=st.lists(conditions(2), min_size=1, max_size=4), rows=ROWS)
def test_random_conditions_agree_on_random_rows(
    duckdb: Any, sources: list[str], rows: list[dict[str, Any]]
) -> None:
    assert run(duckdb, sources, rows) == python(sources, rows)
    for source in sources:
        canonical = to_text(parse(source))
        assert to_text(parse(canonical)) == canonical
        for one in rows:
            criteria = explain(source, one, AS_OF)
            assert all(c.passed for c in criteria) == evaluate(source, one, AS_OF)


# ---------------------------------------------------------------------------------------------
# Explanations


def test_explain_a_top_level_and() -> None:
    customer = row(sales_12m=487_700, margin=Decimal("0.2"), credit_rating="C")
    criteria = explain(
        'sales_12m >= 500_000 and margin >= 15% and credit_rating != "C"', customer, AS_OF
    )
    sales, margin, rating = criteria
    assert (sales.text, sales.subject, sales.operator) == (
        "sales_12m >= 500_000",
        "sales_12m",
        ">=",
    )
    assert (sales.value, sales.threshold, sales.passed, sales.gap) == (
        487_700,
        500_000,
        False,
        12_300,
    )
    assert sales.missing() == "+12,300 in sales_12m"
    assert (margin.passed, margin.gap, margin.missing()) == (True, None, None)
    assert (rating.value, rating.threshold, rating.passed, rating.gap) == ("C", "C", False, None)


def test_explain_gaps() -> None:
    customer = row(sales_12m=80.0, margin=0.08, orders=2)
    mirrored, strict, ceiling, ratio = explain(
        "500 <= sales_12m and orders > 2 and margin <= 5% and margin >= 10%", customer, AS_OF
    )
    assert (mirrored.subject, mirrored.operator, mirrored.gap) == ("sales_12m", ">=", 420)
    assert (strict.gap, strict.missing()) == (0, "more than +0 in orders")
    assert ceiling.gap == pytest.approx(-0.03)
    assert ceiling.missing() == "-0.03 in margin"
    assert ratio.missing() == "+0.02 in margin"


def test_explain_missing_values_fail_without_a_gap() -> None:
    (criterion,) = explain("sales_12m >= 500_000", row(), AS_OF)
    assert (criterion.value, criterion.passed, criterion.gap, criterion.missing()) == (
        None, False, None, None
    )  # fmt: skip


def test_explain_flattens_nested_ands_and_keeps_other_shapes_whole() -> None:
    customer = row(orders=3, credit_rating="A", churned=None)
    criteria = explain(
        '(orders >= 1 and not churned) and credit_rating in ["A", "B"]', customer, AS_OF
    )
    assert [c.text for c in criteria] == [
        "orders >= 1",
        "not churned",
        'credit_rating in ["A", "B"]',
    ]
    assert [c.passed for c in criteria] == [True, False, True]
    assert (criteria[2].operator, criteria[2].value, criteria[2].threshold) == (
        "in", "A", ["A", "B"]
    )  # fmt: skip
    (whole,) = explain("orders >= 5 or churned", customer, AS_OF)
    assert (whole.text, whole.passed, whole.subject) == ("orders >= 5 or churned", False, None)


def test_explain_quotes_whole_operands() -> None:
    customer = row(sales_12m=10.0, orders=1)
    first, second = explain("(sales_12m + 1) * 2 >= 50 and (orders) > 2", customer, AS_OF)
    assert (first.text, first.subject, first.value, first.gap) == (
        "(sales_12m + 1) * 2 >= 50", "(sales_12m + 1) * 2", 22, 28
    )  # fmt: skip
    assert (second.text, second.subject) == ("(orders) > 2", "(orders)")


def test_explain_days_since() -> None:
    (criterion,) = explain(
        "days_since(last_order) <= 90", row(last_order=dt.date(2024, 1, 1)), AS_OF
    )
    assert (criterion.subject, criterion.value, criterion.passed) == (
        "days_since(last_order)", 181, False
    )  # fmt: skip


def test_python_side_accepts_database_values() -> None:
    customer = row(
        sales=Decimal("1000.10"), orders=3, last_order=dt.datetime(2024, 6, 29, 23, tzinfo=dt.UTC)
    )
    assert evaluate("sales / orders > 333 and days_since(last_order) == 1", customer, AS_OF)


def test_compile_needs_the_columns_it_reads() -> None:
    table = ibis.table({"sales": "float64"}, name="indicators")
    with pytest.raises(KeyError, match="margin"):
        compile_condition("margin > 0", table, AS_OF)
