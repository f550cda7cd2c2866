"""Consent to analytics: a customer who withdrew it is counted in every aggregate but not
profiled as a person (docs/analytics.md, "Consent")."""

from __future__ import annotations

from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from ibis.backends import BaseBackend

from tierwise.analytics.engines import load
from tierwise.i18n import _

WITHHELD = "profiling_withheld"  # the customer's latest analytics consent decision is a withdrawal
REASON = "analytics_consent_withdrawn"  # what the API says a withheld value is null for
NOT_PROFILED = "not_profiled"  # the group withheld customers fall in, in reports by label

# The per-customer outputs that judge the person rather than count what was bought: segment,
# predictions, stages and labels, and the wallet share. Everything else (sales, profit, ranks of
# profit, cost-to-serve, the purchase summary the models are fitted on) stays.
PROFILING = (
    *("r_score", "f_score", "m_score", "rfm_cell", "rfm_segment"),
    *("p_alive", "expected_purchases", "expected_purchases_low", "expected_purchases_high"),
    *("expected_spend", "clv", "clv_low", "clv_high"),
    *("lifecycle_stage", "development_stage", "churn_risk", "churned"),
    *("attitude", "loyalty", "relationship", "share_of_wallet", "wallet_exceeded"),
)


def withheld_count(table: pa.Table) -> int:
    """How many customers of the computed table are not to be profiled."""
    return int(pc.sum(pc.fill_null(table.column(WITHHELD), False).cast(pa.int64())).as_py() or 0)


def withhold(backend: BaseBackend, table: pa.Table) -> pa.Table:
    """The table (ordered by customer) with every profiling output of withheld customers emptied
    in the engine; the aggregates are taken before, so they still count those customers."""
    if not withheld_count(table):
        return table
    # A column no customer has a value in (a label nobody earned) is typed null: already empty.
    typed = [n for n in PROFILING if not pa.types.is_null(table.schema.field(n).type)]
    rows = load(backend, "profiled", table.select(["customer_id", WITHHELD, *typed]))
    withheld = rows[WITHHELD].fill_null(False)
    emptied = {n: ibis.ifelse(withheld, ibis.null(rows[n].type()), rows[n]) for n in typed}
    result = backend.to_pyarrow(rows.mutate(**emptied).order_by("customer_id"))
    for name in typed:
        kind = table.schema.field(name).type
        table = table.set_column(
            table.schema.get_field_index(name), name, result.column(name).cast(kind)
        )
    return table


def not_profiled_text() -> str:
    """What a reader sees in place of a withheld value."""
    return _("Not profiled (analytics consent withdrawn)")


def reason(row: Any) -> str | None:
    """Why the profiling values of a stored indicator row are empty, if they were withheld."""
    return REASON if getattr(row, WITHHELD, None) else None
