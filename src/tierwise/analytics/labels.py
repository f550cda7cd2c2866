"""What the stored analytics values and indicators are called, in English and Chinese."""

from __future__ import annotations

from tierwise.i18n import _, current_language

VALUE_LABELS: dict[str, tuple[str, str]] = {
    # Buy-till-you-die models (names the literature uses in both languages)
    "bg_nbd": ("BG/NBD", "BG/NBD 模型"),
    "pareto_nbd": ("Pareto/NBD", "Pareto/NBD 模型"),
    "mbg_nbd": ("MBG/NBD", "MBG/NBD 模型"),
    "gamma_gamma": ("Gamma-Gamma (spend)", "Gamma-Gamma 模型（客单价）"),
    # RFM segments
    "champions": ("Champions", "冠军客户"),
    "loyal": ("Loyal", "忠诚客户"),
    "potential_loyalist": ("Potential loyalist", "潜在忠诚客户"),
    "new": ("New", "新客户"),
    "promising": ("Promising", "有潜力客户"),
    "need_attention": ("Need attention", "需关注客户"),
    "about_to_sleep": ("About to sleep", "即将沉睡客户"),
    "at_risk": ("At risk", "流失风险客户"),
    "cant_lose_them": ("Can't lose them", "不能失去的客户"),
    "lost": ("Lost", "已流失客户"),
    # ABC classes: an analysis of profit contribution, named apart from the tiers
    "vip": ("Profit class A", "利润贡献 A 类"),
    "major": ("Profit class B", "利润贡献 B 类"),
    "normal": ("Profit class C", "利润贡献 C 类"),
    "small": ("Profit class D", "利润贡献 D 类"),
    # Profitability
    "high_profit": ("High-profit", "高利润"),
    "profitable": ("Profitable", "盈利"),
    "no_profit": ("No profit", "无利润"),
    "loss_making": ("Loss-making", "亏损"),
    # Lifecycle
    "acquaintance": ("Acquaintance", "初识期"),
    "reserved": ("Reserved", "矜持期"),
    "balance": ("Balance", "平衡期"),
    "stable": ("Stable", "稳固期"),
    "wavering": ("Wavering", "思异期"),
    # Development
    "suspect": ("Suspect", "猜想客户"),
    "prospect": ("Prospect", "预期客户"),
    "disqualified": ("Disqualified", "不合格者"),
    "first_time": ("First-time buyer", "首次购买客户"),
    "repeat": ("Repeat buyer", "重复购买客户"),
    "long_term": ("Long-term customer", "长期客户"),
    "member": ("Member", "会员"),
    "advocate": ("Advocate", "拥护者"),
    "partner": ("Partner", "合伙人"),
    "churned": ("Churned", "流失客户"),
    # Attitude, loyalty, relationship
    "high": ("High", "高"),
    "low": ("Low", "低"),
    "latent": ("Latent", "潜在忠诚"),
    "spurious": ("Spurious", "虚假忠诚"),
    "disloyal": ("Disloyal", "不忠诚"),
    "premium": ("Premium", "优质"),
    "trend": ("Trend", "潮流"),
    "problem": ("Problem", "问题"),
    "low_quality": ("Low-quality", "低质"),
    # Consent: the group of customers whose analytics consent is withdrawn
    "not_profiled": ("Not profiled (analytics consent withdrawn)", "未同意分析"),
}


def value_label(value: object) -> str:
    """A stored analytics value as the user reads it; 'unknown' for nothing."""
    if value is None:
        return _("unknown")
    if isinstance(value, str) and value in VALUE_LABELS:
        en, zh = VALUE_LABELS[value]
        return zh if current_language().startswith("zh") else en
    return str(value)


def indicator_names() -> dict[str, str]:
    """Each stored indicator and what it means, in the current language (docs/analytics.md)."""
    return {
        "sales": _("Cumulative net sales (returns deducted)"),
        "cost": _("Cost of the lines whose cost is known"),
        "gross_profit": _("Gross profit on lines with a known cost"),
        "margin": _("Gross margin"),
        "cost_coverage": _("Share of sales whose cost is known"),
        "sales_12m": _("Sales in the last 12 months"),
        "sales_prev_12m": _("Sales in the 12 months before that"),
        "growth_12m": _("Sales growth, last 12 months on the 12 before"),
        "avg_monthly_sales": _("Average monthly sales over the active span"),
        "avg_quarterly_sales": _("Average quarterly sales"),
        "avg_annual_sales": _("Average annual sales"),
        "orders": _("Orders"),
        "returns_ratio": _("Returned share of gross sales"),
        "product_lines": _("Product categories bought"),
        "products": _("Products bought"),
        "departments": _("Departments buying"),
        "tenure_days": _("Days since the first purchase"),
        "first_order": _("First order"),
        "last_order": _("Last order"),
        "credit_rating": _("Credit rating"),
        "recency_days": _("Days since the last purchase (R)"),
        "r_score": _("R score (1–5)"),
        "f_score": _("F score (1–5)"),
        "m_score": _("M score (1–5)"),
        "rfm_cell": _("RFM cell"),
        "rfm_segment": _("RFM segment"),
        "btyd_frequency": _(
            "Repeat purchases (purchase days after the first; weeks with calendar periods)"
        ),
        "btyd_recency": _("Time from the first to the last purchase, in the run's time unit"),
        "btyd_t": _("Time since the first purchase, in the run's time unit"),
        "btyd_monetary": _("Mean value of repeat purchases"),
        "abc_class": _("Profit class (ABC analysis of profit contribution)"),
        "profit_rank": _("Rank by profit"),
        "profit_cum_share": _("Cumulative profit share up to this customer (whale curve)"),
        "profit_label": _("Profitability"),
        "cost_contacts": _("Cost to serve: contacts handled (minutes × cost per minute)"),
        "cost_visits": _("Cost to serve: visits (minutes × cost per minute)"),
        "cost_tickets": _("Cost to serve: service tickets"),
        "cost_complaints": _("Cost to serve: complaints"),
        "cost_returns": _("Cost to serve: returns handled"),
        "cost_credit": _("Cost to serve: credit (amount owed × days × rate)"),
        "cost_rewards": _("Cost to serve: rewards given, at their value"),
        "cost_to_serve": _("Cost to serve, all kinds"),
        "net_profit": _("Net profit: gross profit less the cost to serve"),
        "p_alive": _("Probability the customer is still active"),
        "expected_purchases": _("Expected purchases over the horizon"),
        "expected_purchases_low": _("Expected purchases, low end of the 90% interval"),
        "expected_purchases_high": _("Expected purchases, high end of the 90% interval"),
        "expected_spend": _("Expected spend per purchase"),
        "clv": _("Customer lifetime value (discounted gross margin)"),
        "clv_low": _("Customer lifetime value, low end of the 90% interval"),
        "clv_high": _("Customer lifetime value, high end of the 90% interval"),
        "lifecycle_stage": _("Relationship lifecycle stage"),
        "development_stage": _("Customer development stage"),
        "churn_risk": _("Churn risk (1 − P(alive))"),
        "churned": _("Churned"),
        "nps": _("Latest NPS answer (0–10)"),
        "csat": _("Latest CSAT answer (1–5)"),
        "satisfaction_gap": _("Perceived − expected, mean over factors"),
        "attitude": _("Attitude"),
        "repeat_purchase_rate": _("Share of purchase occasions that were repeats"),
        "purchase_interval_days": _("Mean days between purchases"),
        "referrals": _("Referrals made"),
        "decision_days": _("Days from first contact to first order"),
        "loyalty": _("Loyalty (attitude × repeat purchase)"),
        "relationship": _("Relationship quality (profitability × loyalty)"),
        "share_of_wallet": _("Share of wallet: our 12-month sales over the customer's estimate"),
        "wallet_exceeded": _("Our sales went past the wallet estimate (share capped at 100%)"),
        "profiling_withheld": _("Profiling withheld: analytics consent withdrawn"),
        "tier_score": _("Tier score (0–100, value or prospect scorecard)"),
        "qualified_tier": _("Tier qualified for by this snapshot"),
        "tier": _("Tier held"),
        "tier_basis": _("Graded on value or as a prospect"),
        "asset_scale": _("Asset scale"),
        "annual_revenue": _("Annual revenue"),
        "growth_rate": _("Growth rate"),
        "potential_demand": _("Potential demand"),
        "wallet_estimate": _("Estimated yearly spend in our category (all suppliers)"),
        "score": _("Score"),
        "prospect_score": _("Prospect score"),
    }


def stage_labels() -> dict[str, str]:
    """The recompute's stages as the progress bars name them."""
    return {
        "extract": _("extract facts"),
        "indicators": _("indicators"),
        "models": _("models"),
        "rules": _("rules"),
        "tiers": _("tiers"),
        "store": _("store"),
    }
