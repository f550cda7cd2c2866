"""My day in a real browser: the account manager lands on it after signing in and clicks Done
on a task, in Chinese and then in English; the task leaves the list each time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tierwise.accountability.models import Task
from tierwise.customers.models import Customer
from tierwise.db.base import utcnow
from tierwise.organisation.models import TaskKind

from ..support.api_world import World
from ..support.browser import shot, sign_in


def _tasks_due_today(world: World, notes: list[str]) -> list[int]:
    """Tasks due today on the account manager's own customer, one per note, committed."""
    today = utcnow().astimezone(ZoneInfo(world.app.settings.timezone)).date()
    with world.app.uow() as uow:
        own = uow.session.scalars(select(Customer).where(Customer.code == world.own)).one()
        rows = [
            Task(
                customer_id=own.id,
                staff_id=own.owner_id,
                kind=TaskKind.VISIT,
                opened_on=today - dt.timedelta(days=7),
                due_on=today,
                source="browser test",
                note=note,
            )
            for note in notes
        ]
        uow.session.add_all(rows)
        uow.commit()
        return [row.id for row in rows]


def test_the_account_manager_lands_on_my_day_and_clicks_done(  # type: ignore[no-untyped-def]
    page, console_world: World
) -> None:
    first, second = _tasks_due_today(console_world, ["带上续约报价", "bring the renewal quote"])
    sign_in(page, "am")
    page.goto("/lang/zh_CN")
    page.goto("/")
    assert page.url.endswith("/my-day")
    assert page.get_by_role("heading", level=1).inner_text().startswith("我的今天")
    assert page.get_by_role("heading", name="今天到期和已逾期的任务").is_visible()
    page.locator(f"#task-{first}").get_by_role("button").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text().startswith("已完成：")
    assert page.locator(f"#task-{first}").count() == 0
    assert page.locator(f"#task-{second}").is_visible()
    shot(page, "my-day-zh")

    page.goto("/lang/en")
    page.goto("/my-day")
    heading = page.locator("#tasks-title").inner_text()
    assert heading.startswith("Tasks due today and overdue (")
    page.locator(f"#task-{second}").get_by_role("button", name="Done").click()
    page.wait_for_load_state()
    said = page.get_by_role("status").inner_text()
    assert said.startswith(f"Done: Visit for {console_world.own} ")
    assert page.locator(f"#task-{second}").count() == 0
    shot(page, "my-day-en")
