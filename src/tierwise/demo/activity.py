"""Everything around the purchases: logged contacts, referrals, the profile file, consents."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tierwise.customers.choices import ConsentPurpose, Direction, InteractionOutcome
from tierwise.customers.profile import ProfileSection, validate_section
from tierwise.demo.catalog import (
    CHARACTERS,
    CONTACT_TIMES,
    DECISIONS,
    DEGREES,
    HABITS,
    HOBBIES,
    MAIN_BUSINESS,
    MEMOS,
    PREFERRED_CHANNELS,
    STYLES,
    TRAITS,
)
from tierwise.demo.customers import Plan, weighted
from tierwise.demo.orders import History
from tierwise.demo.world import Rows, World
from tierwise.organisation.choices import InteractionChannel

Medium = InteractionChannel
Outcome = InteractionOutcome
MEDIA = {
    True: (
        (Medium.PHONE, 0.35),
        (Medium.VISIT, 0.15),
        (Medium.EMAIL, 0.15),
        (Medium.WECHAT, 0.25),
        (Medium.MEETING, 0.1),
    ),
    False: ((Medium.PHONE, 0.5), (Medium.WECHAT, 0.4), (Medium.EMAIL, 0.05), (Medium.OTHER, 0.05)),
}


def make_interactions(world: World, plan: Plan, history: History, rows: Rows) -> dt.datetime | None:
    """A handful of memos, more for valuable accounts; returns the latest contact time."""
    rng = world.rng
    lo = max(plan.created, world.start)
    hi = world.end
    if plan.prospect:
        n = 1 + world.poisson(1.5)
    else:
        if plan.trajectory in ("churned", "dormant"):
            hi = min(world.end, plan.last + 60)
        years = max(0.5, min(4.0, (hi - lo) / 365.25))
        lam = 0.7 if plan.agent else 1.2 + 1.1 * min(plan.value, 4.0)
        n = world.poisson(lam * years / 2)
    complaint = (
        0.04
        + 0.15 * (plan.bargain or history.returns > 0)
        + 0.08 * (plan.trajectory in ("declining", "churned"))
    )
    outcomes = (
        (Outcome.INFORMED, 0.25),
        (Outcome.RESOLVED, 0.15),
        (Outcome.FOLLOW_UP, 0.2),
        (Outcome.ORDER, 0.0 if plan.prospect else 0.2),
        (Outcome.COMPLAINT, complaint),
        (Outcome.NO_ANSWER, 0.1),
    )
    moments: list[tuple[int, Medium, Direction, Outcome]] = []
    for _ in range(n if hi > lo else 0):
        outcome = weighted(world, outcomes)
        day = lo + int(rng.random() * (hi - lo))
        if outcome is Outcome.ORDER and history.order_days:
            day = world.pick(history.order_days)
        inbound = world.chance(0.75 if outcome is Outcome.COMPLAINT else 0.4)
        moments.append(
            (
                day,
                weighted(world, MEDIA[plan.enterprise]),
                Direction.INBOUND if inbound else Direction.OUTBOUND,
                outcome,
            )
        )
    if plan.trajectory == "churned" and world.chance(0.4) and hi < world.end:
        # A win-back attempt after the customer went quiet.
        day = hi + int(rng.random() * (world.end - hi))
        moments.append(
            (
                day,
                Medium.PHONE,
                Direction.OUTBOUND,
                weighted(
                    world,
                    ((Outcome.NO_ANSWER, 0.5), (Outcome.FOLLOW_UP, 0.3), (Outcome.COMPLAINT, 0.2)),
                ),
            )
        )
    latest: dt.datetime | None = None
    for day, channel, direction, outcome in sorted(moments, key=lambda m: m[0]):
        at = world.moment(day, 9, 19)
        latest = at if latest is None or at > latest else latest
        staff: int | None = plan.csr_id
        if direction is Direction.OUTBOUND or not plan.csr_id:
            staff = plan.csr_id if plan.csr_id and world.chance(0.3) else plan.owner_id
        memo = world.pick(MEMOS[outcome.value]).format(p=world.pick(plan.basket).name)
        rows.add(
            "interactions",
            {
                "id": world.next_id("interactions"),
                "customer_id": plan.id,
                "contact_id": world.pick(plan.contact_ids) if plan.contact_ids else None,
                "staff_id": staff,
                "occurred_at": at,
                "channel": channel.value,
                "direction": direction.value,
                "outcome": outcome.value,
                "memo": memo,
            },
        )
    return latest


def make_referrals(world: World, plan: Plan, rows: Rows) -> None:
    """The referral that brought this customer in, and those it made that did not convert (yet)."""
    rng = world.rng
    if plan.referred_by and plan.acquired is not None:
        referrer, referrer_acquired, _ = plan.referred_by
        day = max(referrer_acquired, plan.acquired - 3 - int(rng.random() * 42))
        rows.add(
            "referrals",
            {
                "id": world.next_id("referrals"),
                "referrer_id": referrer,
                "referred_id": plan.id,
                "referred_name": plan.name,
                "referred_on": dt.date.fromordinal(day),
            },
        )
    if plan.advocate and plan.first + 30 < world.end:
        for _ in range(world.poisson(0.9)):
            day = plan.first + 30 + int(rng.random() * (world.end - plan.first - 30))
            name = world.zh.company() if world.chance(0.4) else world.zh.name()
            rows.add(
                "referrals",
                {
                    "id": world.next_id("referrals"),
                    "referrer_id": plan.id,
                    "referred_id": None,
                    "referred_name": name,
                    "referred_on": dt.date.fromordinal(day),
                },
            )


def make_profile(world: World, plan: Plan, rows: Rows, industry: str | None, big: bool) -> int:
    """Customer-file sections for a sample, denser for valuable customers; returns how many."""
    w, rng = world, world.rng
    chance = 0.1 if plan.prospect else 0.15 + 0.35 * (plan.value >= 1.0) + 0.25 * big
    if not w.chance(chance):
        return 0
    person = not plan.prospect
    sections: list[tuple[ProfileSection, dict[str, Any]]] = []
    if person:
        employer = plan.name if plan.enterprise else w.zh.company()
        title = "采购经理" if plan.enterprise else w.zh.job()
        sections.append(
            (
                ProfileSection.BASIC,
                {"employer": employer, "job_title": title[:100], "character": w.pick(CHARACTERS)},
            )
        )
        if w.chance(0.6):
            dates = [f"生日 {1 + int(rng.random() * 12):02d}-{1 + int(rng.random() * 28):02d}"]
            if w.chance(0.5):
                dates.append(
                    f"结婚纪念日 {1 + int(rng.random() * 12):02d}-{1 + int(rng.random() * 28):02d}"
                )
            sections.append(
                (
                    ProfileSection.FAMILY,
                    {
                        "marital_status": "已婚" if len(dates) > 1 or w.chance(0.5) else "未婚",
                        "children": int(rng.random() * 3),
                        "important_dates": dates,
                    },
                )
            )
        if w.chance(0.5):
            sections.append(
                (
                    ProfileSection.LIFESTYLE,
                    {
                        "hobbies": rng.sample(HOBBIES, 1 + int(rng.random() * 3)),
                        "habits": w.pick(HABITS),
                    },
                )
            )
        if w.chance(0.6):
            sections.append(
                (
                    ProfileSection.PERSONALITY,
                    {
                        "traits": rng.sample(TRAITS, 2 + int(rng.random() * 2)),
                        "communication_style": w.pick(STYLES),
                    },
                )
            )
        if w.chance(0.3):
            sections.append((ProfileSection.EDUCATION, {"highest_degree": w.pick(DEGREES)}))
    if plan.enterprise and (w.chance(0.9) or not person):
        sections.append(
            (
                ProfileSection.BUSINESS,
                {
                    "main_business": MAIN_BUSINESS.get(industry or "", "综合业务"),
                    "employees": int(20 * plan.value * rng.lognormvariate(1.5, 0.8)) + 3,
                    "decision_process": w.pick(DECISIONS),
                },
            )
        )
    if w.chance(0.7):
        sections.append(
            (
                ProfileSection.PREFERENCES,
                {
                    "preferred_channel": w.pick(PREFERRED_CHANNELS),
                    "best_contact_time": w.pick(CONTACT_TIMES),
                },
            )
        )
    day = min(world.end - 1, max(plan.created, world.start) + int(rng.random() * 200))
    stamp = world.moment(day)
    for section, data in sections:
        rows.add(
            "profile_entries",
            {
                "id": world.next_id("profile_entries"),
                "customer_id": plan.id,
                "section": section.value,
                "data": validate_section(section, data),
                "created_at": stamp,
                "updated_at": stamp,
            },
        )
    return len(sections)


def make_consents(world: World, plan: Plan, history: History, rows: Rows) -> None:
    """Service consent with the first order, marketing and analytics for most; a few withdrawn."""
    grants: list[tuple[ConsentPurpose, float]] = []
    if history.orders:
        grants = [
            (ConsentPurpose.SERVICE, 0.0),
            (ConsentPurpose.MARKETING, 0.07),
            (ConsentPurpose.ANALYTICS, 0.03),
        ]
        grants = [g for g in grants if g[0] is not ConsentPurpose.MARKETING or world.chance(0.6)]
        grants = [g for g in grants if g[0] is not ConsentPurpose.ANALYTICS or world.chance(0.8)]
    elif world.chance(0.4):
        grants = [(ConsentPurpose.MARKETING, 0.05)]
    for purpose, withdraw in grants:
        rows.add(
            "consents",
            {
                "id": world.next_id("consents"),
                "customer_id": plan.id,
                "purpose": purpose.value,
                "granted": True,
                "recorded_at": world.moment(plan.created),
                "source": "demo",
            },
        )
        if world.chance(withdraw) and plan.created + 30 < world.end:
            day = plan.created + 30 + int(world.rng.random() * (world.end - plan.created - 30))
            rows.add(
                "consents",
                {
                    "id": world.next_id("consents"),
                    "customer_id": plan.id,
                    "purpose": purpose.value,
                    "granted": False,
                    "recorded_at": world.moment(day),
                    "source": "demo",
                },
            )
