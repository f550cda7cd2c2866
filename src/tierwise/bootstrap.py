"""The one composition root: the reactions of the house and the recompute steps, wired into the
application every entry point (CLI, API, console, jobs) is handed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from tierwise import runtime
from tierwise.analytics.service import Recomputes
from tierwise.config import Settings
from tierwise.db.session import make_engine
from tierwise.runtime import EventSource, Reactions, SnapshotStep


def wire_reactions(settings: Settings) -> Reactions:
    """Every reaction of the house, in one place: contact → tasks done; order → regrade;
    visit → an on-site visit used of the tier's entitlements;
    customer added → its creator owns it if they win customers, then it is graded;
    tier change → owner by the rules, re-queued contacts, re-targeted tickets; erasure → the
    desk and the outbox forget the person; an order asking its terms → the tier engine answers;
    the daily run → notices drafted; a customer's file, list or filter read → each capability
    above customers adds what it holds; the composition report → the desk adds the complaints."""
    # The root imports the capabilities; none of them imports the root for this.
    from tierwise.accountability.service import (
        DailyRan,
        creator_owns_new_customer,
        owner_for_new_tier,
    )
    from tierwise.accountability.tasks import done_by_contact, open_tasks_of_file
    from tierwise.analytics.composition import CompositionAsked
    from tierwise.analytics.listing import segment_condition, trend_of_file
    from tierwise.customers.creation import CustomerCreated
    from tierwise.customers.privacy import PersonErased
    from tierwise.customers.service import (
        ContactLogged,
        CustomerFileRead,
        CustomersFiltered,
        CustomersListed,
    )
    from tierwise.desk.complaints import complaints_of_year
    from tierwise.desk.entitlements import entitlements_of_file, visit_uses_entitlement
    from tierwise.desk.usecases import follows_new_tier, forget_person, tickets_of_file
    from tierwise.notices.service import after_daily_run, forget_erased
    from tierwise.sales.purchases import purchases_of_file
    from tierwise.sales.service import OrderRecorded
    from tierwise.sales.terms import OrderAsksTerms
    from tierwise.tiering.benefits import terms_for_order, terms_of_file
    from tierwise.tiering.listing import tier_condition, tier_of_file, tiers_of_rows
    from tierwise.tiering.regrade import TierChanged, grade_new_customer, regrade_after_order
    from tierwise.tiering.rewards import reward_referrer

    reactions = Reactions()
    reactions.on(ContactLogged, done_by_contact, visit_uses_entitlement(settings.timezone))
    reactions.on(OrderAsksTerms, terms_for_order)
    reactions.on(
        CustomerFileRead,
        purchases_of_file,
        terms_of_file,
        tier_of_file,
        trend_of_file,
        open_tasks_of_file,
        tickets_of_file,
        entitlements_of_file(settings.timezone),
    )
    reactions.on(CustomersListed, tiers_of_rows)
    reactions.on(CustomersFiltered, tier_condition, segment_condition)
    reactions.on(OrderRecorded, regrade_after_order, reward_referrer)
    reactions.on(CustomerCreated, creator_owns_new_customer, grade_new_customer)
    reactions.on(PersonErased, forget_person, forget_erased)
    reactions.on(TierChanged, owner_for_new_tier, follows_new_tier(settings.timezone))
    reactions.on(DailyRan, after_daily_run)
    reactions.on(CompositionAsked, complaints_of_year)
    return reactions


@dataclass
class App(runtime.App):
    """The application with the house's reactions and recompute steps wired."""

    wiring: Callable[[Settings], Reactions] = field(
        default=lambda settings: wire_reactions(settings)
    )
    recompute_steps: Callable[[], tuple[SnapshotStep, ...]] = field(
        default=lambda: recompute_steps()
    )
    service_events: Callable[[], tuple[EventSource, ...]] = field(default=lambda: service_events())

    @property
    def recomputes(self) -> Recomputes:
        """The recompute job with the steps and runner wired here (scripts and tests use it)."""
        return Recomputes.of(self)


def bootstrap(settings: Settings | None = None, engine: Engine | None = None) -> App:
    """Wire the application from settings; tests hand in their own engine."""
    settings = settings or Settings()
    engine = engine or make_engine(settings.database_url, settings.busy_timeout)
    return App(settings=settings, engine=engine)


# Recompute: the steps every recompute runs after the indicators, declared by their capabilities
# and listed once here for the CLI, the API, the console and the demo.


def recompute_steps() -> tuple[SnapshotStep, ...]:
    """Fresh steps for one run (each keeps what it computed, for the closing summary)."""
    from tierwise.capabilities import CAPABILITIES  # loaded by a run, not by importing the root

    return tuple(
        capability.attribute(step)() for capability in CAPABILITIES for step in capability.recompute
    )


def service_events() -> tuple[EventSource, ...]:
    """What each capability above the read side records of serving customers (cost-to-serve)."""
    from tierwise.capabilities import CAPABILITIES

    return tuple(
        capability.attribute(source)
        for capability in CAPABILITIES
        for source in capability.service_events
    )
