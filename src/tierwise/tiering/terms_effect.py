"""What a policy's terms cost: the discount given away and the credit extended, per tier, for
the customers a grading puts there (the simulation shows it before a policy is activated)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from tierwise.tiering.policy import Policy


@dataclass(frozen=True)
class TermsEffect:
    """One tier's discount given away on a year's sales at its terms, and its credit exposure."""

    tier: str
    discount: float
    credit: float


def terms_effect(
    policy: Policy | None, tiers: np.ndarray, table: pa.Table
) -> dict[str, TermsEffect]:
    """Per tier with terms: the base discount on each customer's 12-month sales, and the sum
    of the credit limits the tier gives them (limits by months of sales follow each customer,
    capped; a customer's own lower limit is not counted)."""
    if policy is None:
        return {}
    sales = np.nan_to_num(
        table.column("sales_12m").to_numpy(zero_copy_only=False).astype(np.float64)
    ).clip(min=0)
    found = {}
    for tier in policy.value_tiers:
        terms = tier.terms
        if terms is None:
            continue
        mine = tiers == tier.code
        discount = float(sales[mine].sum() * terms.discount_percent / 100)
        if terms.credit_limit is not None:
            credit = float(terms.credit_limit * int(mine.sum()))
        elif terms.credit_limit_months is not None:
            limits = sales[mine] / 12 * terms.credit_limit_months
            limits = limits.clip(min=terms.credit_limit_min or 0, max=terms.credit_limit_cap)
            credit = float(limits.sum())
        else:
            credit = 0.0
        found[tier.code] = TermsEffect(tier.code, round(discount), round(credit))
    return found
