"""Turns a batch of text cells into typed columns in bulk, logging every value that does not fit."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

import pyarrow as pa
import pyarrow.compute as pc

from tierwise.db.base import MAX_AMOUNT
from tierwise.i18n import _
from tierwise.ingest.columns import Column, Kind
from tierwise.ingest.errors import ErrorLog, RowError
from tierwise.sheets import restore_neutralised

# A time after the date must be a real time of day (hh:mm, hh:mm:ss, fractions): it is dropped,
# but anything else there means the cell holds something other than a date.
TIME_PATTERN = r"(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?"
DATE_PATTERN = (
    r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?(?:[ T]" + TIME_PATTERN + r")?$"
)
# At most 22 + 6 digits, so every match fits the decimal128(28, 6) it is cast to.
DECIMAL_PATTERN = r"^[+-]?(\d{1,22}(\.\d{0,6})?|\.\d{1,6})$"
INTEGER_PATTERN = r"^[+-]?\d{1,15}$"
# Control, format (bidi overrides, zero-width) and line/paragraph separator characters: in a code
# they would break a header (CR LF) or make it read differently from what it is.
CODE_FORBIDDEN = r"[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]"
TRUE_WORDS = ("1", "true", "yes", "y", "是", "真")
FALSE_WORDS = ("0", "false", "no", "n", "否", "假")
MONEY_NOISE = (",", "，", "¥", "￥", "$", " ")


def expected_text(column: Column) -> str:
    """What a column accepts, said to the user."""
    if column.kind is Kind.DATE:
        return _("a date such as 2024-03-31")
    if column.kind is Kind.DECIMAL:
        if column.percent:
            return _("a share such as 0.15 or 15%")
        sign = _("a number ≥ 0") if column.non_negative else _("a number")
        return _("{sign} such as 1234.50").format(sign=sign)
    if column.kind is Kind.INTEGER:
        if column.bounds:
            low, high = column.bounds
            return _("a whole number from {low} to {high}").format(low=low, high=high)
        return _("a whole number") if not column.non_negative else _("a whole number ≥ 0")
    if column.kind is Kind.BOOL:
        return _("yes/no (是/否)")
    if column.kind is Kind.CHOICE and column.choice is not None:
        return _("one of {values}").format(
            values=", ".join(f"{m.value} ({m.zh})" for m in column.choice)
        )
    if column.code:
        return _(
            "a code of at most {n} characters without control or text-direction characters"
        ).format(n=column.max_length)
    return _("text of at most {n} characters").format(n=column.max_length)


class BatchParser:
    """Parses the batches of one file against its column specs."""

    def __init__(self, file: str, columns: Sequence[Column], positions: dict[str, int]) -> None:
        self.file = file
        self.columns = [c for c in columns if c.name in positions]
        self.positions = positions

    def parse(
        self, rows: pa.Array, batch: pa.RecordBatch, log: ErrorLog
    ) -> tuple[pa.Table, pa.Array]:
        """Typed columns for the batch, and a boolean mask of its rows that had a bad value.

        `rows` holds the file row number of each row of the batch.
        """
        bad = pa.array([False] * batch.num_rows)
        out: dict[str, pa.Array] = {"row_no": rows}
        for column in self.columns:
            text = pc.utf8_trim_whitespace(batch.column(self.positions[column.name]))
            text = restore_neutralised(text)  # our own exports and rejects files read back
            text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
            values, invalid = self._convert(column, text)
            # Empty cells come out of _convert as null, not False: fill before adding `required`,
            # since null OR true is null, which would let an empty required cell through.
            invalid = pc.fill_null(invalid, False)
            if column.required:
                invalid = pc.or_(invalid, pc.is_null(text))
            if pc.any(invalid).as_py():
                self._log(column, rows, text, invalid, log)
                bad = pc.or_(bad, invalid)
            out[column.name] = values
        return pa.table(out), bad

    def _log(
        self, column: Column, rows: pa.Array, text: pa.Array, invalid: pa.Array, log: ErrorLog
    ) -> None:
        expected = expected_text(column)
        for index in pc.indices_nonzero(invalid).to_pylist():
            value = text[index].as_py()
            what = expected if value is not None else _("a value (the column is required)")
            largest = column.largest if column.largest is not None else MAX_AMOUNT
            too_large = column.kind is Kind.DECIMAL and _too_large(value, largest)
            note = amount_limit_note(column) if too_large else ""
            log.add(RowError(self.file, rows[index].as_py(), column.name, value, what, note))

    def _convert(self, column: Column, text: pa.Array) -> tuple[pa.Array, pa.Array]:
        """The column's typed values (null where invalid) and the mask of invalid cells."""
        present = pc.is_valid(text)
        if column.kind is Kind.TEXT:
            bad = pc.greater(pc.utf8_length(text), column.max_length)
            if column.code:
                bad = pc.or_(bad, pc.match_substring_regex(text, CODE_FORBIDDEN))
            return text, pc.and_(present, bad)
        if column.kind is Kind.DATE:
            return _dates(text, present)
        if column.kind is Kind.DECIMAL:
            return _decimals(text, present, column)
        if column.kind is Kind.INTEGER:
            ok = pc.match_substring_regex(text, INTEGER_PATTERN)
            digits = pc.utf8_ltrim(text, characters="+")  # Arrow's cast refuses a leading +
            values = pc.cast(pc.if_else(ok, digits, pa.scalar(None, pa.string())), pa.int64())
            low, high = column.bounds or (0 if column.non_negative else None, None)
            # values is null where the text is not a whole number; that must stay not ok.
            if low is not None:
                ok = pc.and_(ok, pc.fill_null(pc.greater_equal(values, low), False))
            if high is not None:
                ok = pc.and_(ok, pc.fill_null(pc.less_equal(values, high), False))
            return values, pc.and_(present, pc.invert(ok))
        if column.kind is Kind.BOOL:
            folded = pc.utf8_lower(text)
            yes, no = (
                pc.is_in(folded, pa.array(TRUE_WORDS)),
                pc.is_in(folded, pa.array(FALSE_WORDS)),
            )
            return pc.if_else(yes, True, pc.if_else(no, False, None)), pc.and_(
                present, pc.invert(pc.or_(yes, no))
            )
        assert column.choice is not None
        aliases = column.choice.aliases()
        spellings = pa.array(list(aliases))
        keys = pa.array([aliases[s].value for s in aliases])
        index = pc.index_in(pc.utf8_lower(text), value_set=spellings)
        return pc.take(keys, index), pc.and_(present, pc.is_null(index))


def amount_limit_note(column: Column | None = None) -> str:
    """Why a number too large in size is refused, naming the limit: the one every path applies to
    amounts, or the column's own where its database column holds less."""
    if column is not None and column.largest is not None:
        return _("the largest value accepted is {limit}").format(limit=f"{column.largest:,}")
    return _("the largest amount accepted is {limit}").format(limit=f"{MAX_AMOUNT:,}")


def _too_large(text: str | None, largest: Decimal) -> bool:
    """A readable number that is refused only for its size."""
    cleaned = text or ""
    for noise in (*MONEY_NOISE, "%"):
        cleaned = cleaned.replace(noise, "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return False
    return number.is_finite() and abs(number) > largest


def _dates(text: pa.Array, present: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Accepts 2024-03-31, 2024/3/31, 2024.3.31, 2024年3月31日, with an optional time of day."""
    parts = pc.extract_regex(text, DATE_PATTERN)
    year, month, day = (pc.struct_field(parts, name) for name in ("y", "m", "d"))
    iso = pc.binary_join_element_wise(
        year, pc.utf8_lpad(month, 2, "0"), pc.utf8_lpad(day, 2, "0"), "-"
    )
    stamp = pc.strptime(iso, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 2024-02-30 over to March; a real date keeps its month and day.
    real = pc.and_(
        pc.equal(pc.month(stamp), pc.cast(month, pa.int64())),
        pc.equal(pc.day(stamp), pc.cast(day, pa.int64())),
    )
    real = pc.fill_null(real, False)
    dates = pc.cast(pc.if_else(real, stamp, None), pa.date32())
    return dates, pc.and_(present, pc.invert(real))


def _decimals(text: pa.Array, present: pa.Array, column: Column) -> tuple[pa.Array, pa.Array]:
    """Money and quantities: thousands separators and currency signs are tolerated."""
    cleaned = text
    for noise in MONEY_NOISE:
        cleaned = pc.replace_substring(cleaned, noise, "")
    percent = pc.ends_with(cleaned, "%") if column.percent else None
    if percent is not None:
        cleaned = pc.replace_substring(cleaned, "%", "")
    ok = pc.fill_null(pc.match_substring_regex(cleaned, DECIMAL_PATTERN), False)
    exact = pc.cast(pc.if_else(ok, cleaned, pa.scalar(None, pa.string())), pa.decimal128(28, 6))
    if percent is not None:
        hundredth = pa.scalar(Decimal("0.01"), pa.decimal128(3, 2))
        share = pc.cast(pc.round(pc.multiply(exact, hundredth), 6), pa.decimal128(28, 6))
        exact = pc.if_else(percent, share, exact)
    largest = column.largest if column.largest is not None else MAX_AMOUNT
    in_range = pc.less_equal(pc.abs(exact), pa.scalar(largest, pa.decimal128(28, 6)))
    if column.non_negative:
        in_range = pc.and_(in_range, pc.greater_equal(exact, pa.scalar(0, pa.decimal128(28, 6))))
    ok = pc.and_(ok, pc.fill_null(in_range, False))
    values = pc.cast(
        pc.round(pc.if_else(ok, exact, None), column.scale),
        pa.decimal128(18 + column.scale, column.scale),
    )
    return values, pc.and_(present, pc.invert(ok))


def default_key(rows: pa.Table, key: str, parts: tuple[str, str], separator: str) -> pa.Table:
    """Fill `key` where the file left it empty (or lacks the column) from two other columns.

    Derived keys are deterministic, so re-importing the same file finds the same rows.
    """
    first, second = (pc.cast(rows[name], pa.string()) for name in parts)
    derived = pc.binary_join_element_wise(first, second, separator)
    if key not in rows.column_names:
        return rows.append_column(key, derived)
    return rows.set_column(rows.column_names.index(key), key, pc.coalesce(rows[key], derived))
