"""The published buy-till-you-die results from a raw transaction log, end to end: the CDNOW sample
(Fader, Hardie & Lee 2005) imported as orders, recomputed in weeks as of the end of the
calibration period, and read back through `tierwise analytics model --json`."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from tierwise.analytics.models import CustomerIndicator
from tierwise.cli import build
from tierwise.customers.models import Customer
from tierwise.i18n import set_language

from ..support.postgres import database_for

lifetimes_data = pytest.importorskip("lifetimes.datasets", reason="lifetimes is a dev extra")
DATASETS = Path(lifetimes_data.__file__).parent
CALIBRATION_END = "1997-09-30"  # 39 weeks from 1997-01-01

# Fader, Hardie & Lee (2005), "Counting your customers the easy way", table on p. 279; and
# Fader & Hardie (2013), "The Gamma-Gamma model of monetary value", p. 4.
PUBLISHED_BG_NBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_BG_NBD_LL = -9582.4
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}


def orders_file(folder: Path) -> Path:
    """The CDNOW sample (master id, sample id, yyyymmdd, CDs, dollars) as an orders import."""
    path = folder / "cdnow_orders.csv"
    source = (DATASETS / "CDNOW_sample.txt").read_text().splitlines()
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_code", "order_date", "amount", "quantity", "order_code"])
        for number, line in enumerate(source, 1):
            _master, sample, day, cds, dollars = line.split()
            date = f"{day[:4]}-{day[4:6]}-{day[6:]}"
            writer.writerow([str(int(sample)), date, dollars, cds, f"CD{number}"])
    return path


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def cdnow(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, list[dict[str, object]]]:
    """A database holding the imported CDNOW sample after a weekly recompute, and its models."""
    folder = tmp_path_factory.mktemp("cdnow")
    url = database_for(request.param, "tierwise_test_cdnow", str(folder))
    runner = CliRunner()
    set_language("en")

    def run(*args: str) -> str:
        result = runner.invoke(build(), list(args))
        assert result.exit_code == 0, result.output
        return result.output

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TIERWISE_DATABASE_URL", url)  # read as the command line is built
        patch.chdir(folder)
        run("db", "upgrade")
        run("import", "orders", str(orders_file(folder)), "--create-customers")
        run("recompute", "--as-of", CALIBRATION_END, "--time-unit", "week")
        return url, json.loads(run("analytics", "model", "--json"))


def fit(models: list[dict[str, object]], name: str) -> dict[str, object]:
    return next(m for m in models if m["model"] == name)


def test_the_summary_from_raw_orders_is_the_published_one(
    cdnow: tuple[str, list[dict[str, object]]],
) -> None:
    url, _models = cdnow
    published = pd.read_csv(DATASETS / "cdnow_customers_summary_with_transactions.csv").rename(
        columns={"ID": "customer_id", "x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
    )
    engine = create_engine(url)
    with engine.connect() as conn:
        ours = pd.DataFrame(
            conn.execute(
                select(
                    Customer.code,
                    CustomerIndicator.btyd_frequency,
                    CustomerIndicator.btyd_recency,
                    CustomerIndicator.btyd_t,
                    CustomerIndicator.btyd_monetary,
                ).join(Customer, Customer.id == CustomerIndicator.customer_id)
            ).all(),
            columns=["code", "frequency", "recency", "T", "monetary_value"],
        )
    engine.dispose()
    ours["customer_id"] = ours.code.astype(int)
    merged = published.merge(ours, on="customer_id", suffixes=("", "_ours"))
    assert len(merged) == len(published) == 2357
    for column in ("frequency", "recency", "T", "monetary_value"):
        gap = (merged[column] - merged[f"{column}_ours"].astype(float)).abs().max()
        assert gap <= 0.005 + 1e-9, f"{column} differs by up to {gap}"


def test_bg_nbd_reaches_the_published_estimates(
    cdnow: tuple[str, list[dict[str, object]]],
) -> None:
    _url, models = cdnow
    bg = fit(models, "bg_nbd")
    params = bg["params"]
    assert isinstance(params, dict)
    for name, value in PUBLISHED_BG_NBD.items():
        assert round(params[name], 3) == value, name
    assert round(float(bg["log_likelihood"]), 1) == PUBLISHED_BG_NBD_LL  # type: ignore[arg-type]
    assert bg["customers"] == 2357 and bg["time_unit"] == "week"


def test_gamma_gamma_reaches_the_published_estimates(
    cdnow: tuple[str, list[dict[str, object]]],
) -> None:
    _url, models = cdnow
    gg = fit(models, "gamma_gamma")
    params = gg["params"]
    assert isinstance(params, dict)
    for name, value in PUBLISHED_GAMMA_GAMMA.items():
        assert abs(params[name] - value) <= 0.01, (name, params[name])
    assert gg["customers"] == 946


def test_pareto_nbd_reaches_the_published_estimates_and_every_model_is_compared(
    cdnow: tuple[str, list[dict[str, object]]],
) -> None:
    _url, models = cdnow
    pareto = fit(models, "pareto_nbd")
    params = pareto["params"]
    assert isinstance(params, dict)
    # Fader, Hardie & Lee (2005) note: r .553, α 10.578, s .606, β 11.669 (the maximum is at
    # β 11.6679 on a ridge where the published value is 2e-6 lower in log-likelihood).
    for name, value in {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}.items():
        assert abs(params[name] - value) <= 0.0015, (name, params[name])
    assert round(float(pareto["log_likelihood"]), 1) == -9595.0  # type: ignore[arg-type]
    assert [m["model"] for m in models if m["in_use"]] == ["bg_nbd", "gamma_gamma"]
    for m in models:
        k = len(m["params"])  # type: ignore[arg-type]
        assert m["parameters"] == k
        bic = k * math.log(m["customers"]) - 2 * m["log_likelihood"]  # type: ignore[operator]
        assert m["bic"] == pytest.approx(bic)


def test_the_stored_standard_errors_are_those_lifetimes_reports(
    cdnow: tuple[str, list[dict[str, object]]],
) -> None:
    """From the raw orders to `analytics model --json`, against lifetimes' observed information
    on the published summary (946 repeat buyers for Gamma-Gamma)."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    _url, models = cdnow
    summary = lifetimes_data.load_cdnow_summary_data_with_monetary_value()
    f, r, t, m = (
        summary[c].to_numpy(float) for c in ("frequency", "recency", "T", "monetary_value")
    )
    repeat = f > 0
    expected = {
        "bg_nbd": BetaGeoFitter().fit(f, r, t).standard_errors_,
        "gamma_gamma": GammaGammaFitter().fit(f[repeat], m[repeat]).standard_errors_,
    }
    for name, theirs in expected.items():
        ours = fit(models, name)["standard_errors"]
        assert isinstance(ours, dict)
        for parameter, value in theirs.items():
            assert ours[parameter] == pytest.approx(value, rel=1e-2), (name, parameter)
