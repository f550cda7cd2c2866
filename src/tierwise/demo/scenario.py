"""Two months of the demo company at work, after its data is generated: the policies applied,
a recompute and daily run a month before the demo's "today", the owners doing most of their
tasks, a busy day at the contact centre with its ticket backlog, then the recompute and daily run
of "today" — so every part of the product has something to show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from tierwise.accountability.service import DailyResult, apply_rules, run_daily
from tierwise.analytics.service import RecomputeResult, Recomputes
from tierwise.demo.contacts import a_backlog, a_day
from tierwise.demo.work import work_tasks
from tierwise.identity.access import SYSTEM
from tierwise.organisation.rules import default_rules_text
from tierwise.organisation.service import active_rules
from tierwise.runtime import App
from tierwise.tiering.policy import default_policy_text
from tierwise.tiering.service import apply_policy

CSRS_ON_DUTY = 5


def play(
    app: App, today: dt.date, seed: int, stage: Callable[[str], None]
) -> tuple[RecomputeResult, DailyResult]:
    """Run the scenario up to `today`; returns today's recompute and daily run."""
    month_before = today - dt.timedelta(days=31)
    busy_day = today - dt.timedelta(days=2)
    stage("policies")
    with app.uow() as uow:
        apply_policy(uow, SYSTEM, default_policy_text(), "default_policy.toml", "demo")
        apply_rules(uow, default_rules_text(), "default_org_policy.toml", "demo")
        uow.commit()
    stage("a month before")
    Recomputes.of(app).run(month_before, None)
    _daily(app, month_before)
    stage("owners at work")
    with app.uow() as uow:
        work_tasks(uow.connection, month_before, today - dt.timedelta(days=1), seed)
        rules = active_rules(uow.connection)
        a_day(uow.connection, rules, busy_day, app.settings.timezone, seed, CSRS_ON_DUTY)
        a_backlog(uow.connection, rules, busy_day, app.settings.timezone, seed)
        uow.commit()
    stage("today")
    result = Recomputes.of(app).run(today, None)
    return result, _daily(app, today)


def _daily(app: App, today: dt.date) -> DailyResult:
    with app.uow() as uow:
        daily = run_daily(uow, today, app.settings.timezone)
        uow.commit()
    return daily
