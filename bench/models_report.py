"""The Markdown of bench/models.py: seconds side by side, ratios against the targets, and how far
each library's parameters are from Tierwise's on the same rows."""

from __future__ import annotations

from typing import Any

import harness
from models_steps import MODELS

LABELS = {
    "summary": "summary (frequency, recency, T, monetary)",
    "bg_nbd": "BG/NBD fit",
    "gamma_gamma": "Gamma-Gamma fit",
    "pareto_nbd": "Pareto/NBD fit",
    "mbg_nbd": "MBG/NBD fit",
    "bg_bb": "BG/BB fit (donations × copies)",
}
TARGET = 20.0


def _s(value: float | None, mark: str = "") -> str:
    return "—" if value is None else f"{value:.2f}{mark}"


def _ratio(theirs: float | None, ours: float | None) -> str:
    return "—" if not theirs or not ours else f"{theirs / ours:.1f}×"


def max_rel_diff(ours: dict[str, float] | None, theirs: dict[str, float] | None) -> float | None:
    """The largest |theirs − ours| / |ours| over the parameters both have."""
    if not ours or not theirs:
        return None
    return max(abs(theirs[k] - ours[k]) / abs(ours[k]) for k in ours if k in theirs)


def _e(value: float | None) -> str:
    return "—" if value is None else f"{value:.1e}"


def times(report: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Seconds per step and library; samples scaled up to the whole (marked in the table)."""
    ours = report.get("tierwise", {}).get("median_s", {})
    one = (report.get("tierwise_openblas1") or {}).get("median_s", {})
    lt = report.get("lifetimes", {})
    lt_s = lt.get("seconds", {})
    pymc = report.get("pymc", {})
    table: dict[str, dict[str, float | None]] = {}
    for step in ("summary", *MODELS):
        theirs = lt_s.get(step)
        if step == "pareto_nbd" and "pareto_nbd_sample" in lt_s:
            theirs = lt_s["pareto_nbd_sample"] / report["pareto_sample"]
        pm = pymc.get(step, {}) if isinstance(pymc.get(step), dict) else {}
        ok = pm.get("finished") and not pm.get("error")
        pm_s = pm.get("seconds", {}).get(step) if ok else None
        if pm_s is not None:
            pm_s /= pm.get("fraction", 1.0)
        table[step] = {
            "tierwise": ours.get(step),
            "tierwise1": one.get(step),
            "lifetimes": theirs,
            "pymc": pm_s,
        }
    table["floor"] = {"tierwise": report.get("floor", {}).get("median_s")}
    table["summary_load"] = {
        "tierwise": ours.get("summary_load"),
        "tierwise1": one.get("summary_load"),
    }
    return table


def render(report: dict[str, Any]) -> str:
    """The whole result file."""
    t = times(report)
    ours_fits = report.get("tierwise", {}).get("fits", {})
    lt = report.get("lifetimes", {})
    lt_params = lt.get("params", {})
    pymc = report.get("pymc", {})
    on_sample = (pymc.get("tierwise_on_sample") or {}).get("fits", {})

    def pymc_compared(step: str) -> float | None:
        """pymc's parameters against Tierwise's on the same rows (whole, Pareto's or pymc's sample)."""
        theirs = pymc.get(step) or {}
        fraction = theirs.get("fraction", 1.0)
        if step == "pareto_nbd" and fraction == p:
            ours = ours_fits.get("pareto_nbd_sample", {})
        elif fraction < 1:
            ours = on_sample.get(step, {})
        else:
            ours = ours_fits.get(step, {})
        return max_rel_diff(ours.get("params"), theirs.get("params"))

    def pymc_mark(step: str) -> str:
        fraction = (pymc.get(step) or {}).get("fraction", 1.0)
        return "" if fraction >= 1 else ("‡" if step == "pareto_nbd" and fraction == p else "†")

    customers = report.get("tierwise", {}).get("customers")
    p, q = report["pareto_sample"], report["pymc_sample"]
    rows = [
        [
            "summary floor: one DuckDB GROUP BY",
            _s(t["floor"]["tierwise"]),
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
    ]
    for step in ("summary", *MODELS):
        row = t[step]
        lt_mark = "‡" if step == "pareto_nbd" else ""
        pm_mark = pymc_mark(step)
        vs_pm = None if step == "summary" else pymc_compared(step)
        if step == "summary":
            vs_lt = None
        elif step == "pareto_nbd":
            vs_lt = max_rel_diff(
                ours_fits.get("pareto_nbd_sample", {}).get("params"),
                lt_params.get("pareto_nbd_sample"),
            )
        else:
            vs_lt = max_rel_diff(ours_fits.get(step, {}).get("params"), lt_params.get(step))
        rows.append(
            [
                LABELS[step],
                _s(row["tierwise"]),
                _s(row["tierwise1"]),
                _s(row["lifetimes"], lt_mark),
                _s(row["pymc"], pm_mark),
                _ratio(row["lifetimes"], row["tierwise"]),
                _ratio(row["pymc"], row["tierwise"]),
                _e(vs_lt),
                _e(vs_pm),
            ]
        )
    three = ("summary", "bg_nbd", "gamma_gamma")

    def total(who: str) -> float | None:
        values = [t[s].get(who) for s in three]
        return None if any(v is None for v in values) else sum(values)  # type: ignore[misc]

    rows.append(
        [
            "**summary + BG/NBD + Gamma-Gamma**",
            _s(total("tierwise")),
            _s(total("tierwise1")),
            _s(total("lifetimes")),
            _s(total("pymc"), "".join(pymc_mark(s) for s in three[1:])[:1]),
            _ratio(total("lifetimes"), total("tierwise")),
            _ratio(total("pymc"), total("tierwise")),
            "",
            "",
        ]
    )
    headings = [
        "step (seconds)",
        "Tierwise",
        "Tierwise, 1 BLAS thread",
        f"lifetimes {lt.get('version', '')}",
        f"pymc-marketing {(pymc.get('summary') or {}).get('version', '')}",
        "lifetimes ÷ Tierwise",
        "pymc ÷ Tierwise",
        "parameters vs lifetimes",
        "parameters vs pymc",
    ]
    lines = [
        "# Models side by side",
        "",
        f"`{report['command']}` — {report['when']}; {customers:,} customers with purchases"
        if customers
        else f"`{report['command']}` — {report['when']}",
        "",
        harness.markdown_table(headings, rows),
        "",
        f"‡ Pareto/NBD of lifetimes (ParetoNBDFitter) and pymc-marketing on {p:.0%} of the "
        f"customers ({lt.get('pareto_sample_customers', '?'):,} customers), the time × {1 / p:g}; "
        f"Tierwise's Pareto/NBD on the same sample took "
        f"{_s(ours_fits.get('pareto_nbd_sample', {}).get('seconds'))} s and its parameters are "
        "the ones compared. "
        + (
            f"† pymc-marketing passed its time limit on all customers and ran on {q:.0%} of "
            f"them (and of the donors), the time × {1 / q:g}; its parameters are compared "
            "with Tierwise's on the same sample. "
            if any(pymc_mark(m) == "†" for m in MODELS)
            else ""
        )
        + "pymc-marketing's times include building and "
        "compiling its model. Parameters: max relative difference over the model's parameters "
        "against Tierwise's on the same rows. The summary includes loading the Arrow rows into "
        f"DuckDB as the snapshot does ({_s(t['summary_load']['tierwise'])} s of it); the floor "
        "scans them in place. '1 BLAS thread': the same step with OPENBLAS_NUM_THREADS=1.",
        "",
    ]
    lines += targets(t, total("tierwise"), total("lifetimes"), ours_fits, lt_params, lt)
    return "\n".join(lines)


def targets(
    t: dict[str, dict[str, float | None]],
    ours: float | None,
    theirs: float | None,
    ours_fits: dict[str, Any],
    lt_params: dict[str, Any],
    lt: dict[str, Any],
) -> list[str]:
    """The issue's targets, met or missed, with the number."""
    three = _ratio(theirs, ours)
    pareto = _ratio(t["pareto_nbd"]["lifetimes"], t["pareto_nbd"]["tierwise"])
    diffs = [
        max_rel_diff(ours_fits.get(m, {}).get("params"), lt_params.get(m))
        for m in ("bg_nbd", "gamma_gamma")
    ]
    worst = max((d for d in diffs if d is not None), default=None)
    slowest = max((t[m]["tierwise"] or 0.0) for m in MODELS)

    def met(ok: bool) -> str:
        return "yes" if ok else "**no**"

    agreement = lt.get("summary_agreement", {})
    rows = [
        [
            "summary + BG/NBD + Gamma-Gamma, lifetimes ÷ Tierwise",
            three,
            f"≥ {TARGET:g}×",
            met(bool(ours and theirs and theirs / ours >= TARGET)),
        ],
        [
            "BG/NBD and Gamma-Gamma parameters vs lifetimes",
            _e(worst),
            "≤ 1e-3",
            met(worst is not None and worst <= 1e-3),
        ],
        [
            "Pareto/NBD, lifetimes' ParetoNBDFitter ÷ Tierwise",
            pareto,
            f"≥ {TARGET:g}×",
            met(
                bool(t["pareto_nbd"]["lifetimes"] and t["pareto_nbd"]["tierwise"])
                and t["pareto_nbd"]["lifetimes"] / t["pareto_nbd"]["tierwise"] >= TARGET  # type: ignore[operator]
            ),
        ],
        ["slowest Tierwise fit", f"{slowest:.2f} s", "seconds", met(slowest < 10)],
        [
            "summary vs lifetimes' (frequency, recency, T; monetary relative)",
            f"{agreement.get('max_abs_diff_frequency')}, {agreement.get('max_abs_diff_recency')}, "
            f"{agreement.get('max_abs_diff_T')}; {_e(agreement.get('max_rel_diff_monetary'))}",
            "equal",
            met(
                bool(agreement.get("same_customers"))
                and agreement.get("max_abs_diff_recency") == 0
                and agreement.get("max_abs_diff_T") == 0
            ),
        ],
    ]
    return ["", harness.markdown_table(["measure", "value", "target", "met"], rows), ""]
