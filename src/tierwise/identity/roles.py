"""The shipped roles: what each may do, which customers it sees and which personal fields."""

from __future__ import annotations

from enum import StrEnum

from tierwise.i18n import N_, _


class Permission(StrEnum):
    """One thing a role may do; endpoints name the permission they need."""

    CUSTOMERS_READ = "customers.read"
    CUSTOMERS_WRITE = "customers.write"
    CUSTOMERS_CREATE = "customers.create"  # add one customer or prospect (a caller too)
    ORDERS_READ = "orders.read"
    ORDERS_WRITE = "orders.write"
    PRODUCTS_READ = "products.read"
    INTERACTIONS_WRITE = "interactions.write"
    SURVEYS_READ = "surveys.read"
    TIERS_READ = "tiers.read"
    TIERS_APPLY = "tiers.apply"
    TIERS_SIMULATE = "tiers.simulate"
    RECOMPUTE_RUN = "recompute.run"
    QUEUE_WORK = "queue.work"
    QUEUE_ROUTE = "queue.route"  # the telephony side: queued calls it identified serve customers
    TICKETS_READ = "tickets.read"
    TICKETS_WRITE = "tickets.write"
    STAFF_READ = "staff.read"
    ASSIGNMENTS_WRITE = "assignments.write"
    TASKS_READ = "tasks.read"
    TASKS_WRITE = "tasks.write"
    ITEMS_READ = "items.read"
    ITEMS_ANSWER = "items.answer"
    ITEMS_REVIEW = "items.review"
    SCORECARDS_READ = "scorecards.read"
    REPORTS_READ = "reports.read"
    IMPORTS_RUN = "imports.run"
    EXPORTS_RUN = "exports.run"
    PRIVACY_MANAGE = "privacy.manage"
    AUDIT_READ = "audit.read"
    USERS_MANAGE = "users.manage"


class RowScope(StrEnum):
    """Which customers' rows a role sees."""

    ALL = "all"
    TEAM = "team"  # customers owned by anyone in the user's team
    OWN = "own"  # customers the user owns
    SERVED = "served"  # dedicated CSR for, answered or called back a routed call, callbacks due
    PSEUDONYMOUS = "pseudonymous"  # every row, under a pseudonym, never a personal field


PERSONAL_FIELDS = ("phone", "email", "address", "contacts", "profile")

EVERYTHING = [p.value for p in Permission]
ACCOUNT_WORK = [
    Permission.CUSTOMERS_READ,
    Permission.CUSTOMERS_WRITE,
    Permission.CUSTOMERS_CREATE,
    Permission.ORDERS_READ,
    Permission.ORDERS_WRITE,
    Permission.PRODUCTS_READ,
    Permission.INTERACTIONS_WRITE,
    Permission.SURVEYS_READ,
    Permission.TIERS_READ,
    Permission.TICKETS_READ,
    Permission.TICKETS_WRITE,
    Permission.STAFF_READ,
    Permission.TASKS_READ,
    Permission.TASKS_WRITE,
    Permission.ITEMS_READ,
    Permission.ITEMS_ANSWER,
    Permission.SCORECARDS_READ,
]

DEFAULT_ROLES: dict[str, tuple[list[str], RowScope, list[str]]] = {
    "admin": (EVERYTHING, RowScope.ALL, list(PERSONAL_FIELDS)),
    "manager": (
        [
            p.value
            for p in Permission
            if p
            not in (
                Permission.USERS_MANAGE,
                Permission.AUDIT_READ,
                Permission.IMPORTS_RUN,
                Permission.QUEUE_ROUTE,
            )
        ],
        RowScope.TEAM,
        ["phone", "email", "contacts"],
    ),
    "account_manager": ([p.value for p in ACCOUNT_WORK], RowScope.OWN, list(PERSONAL_FIELDS)),
    "csr": (
        [
            p.value
            for p in (
                Permission.CUSTOMERS_READ,
                Permission.CUSTOMERS_CREATE,
                Permission.PRODUCTS_READ,
                Permission.INTERACTIONS_WRITE,
                Permission.TIERS_READ,
                Permission.QUEUE_WORK,
                Permission.TICKETS_READ,
                Permission.TICKETS_WRITE,
            )
        ],
        RowScope.SERVED,
        ["phone", "contacts"],
    ),
    "analyst": (
        [
            p.value
            for p in (
                Permission.CUSTOMERS_READ,
                Permission.PRODUCTS_READ,
                Permission.SURVEYS_READ,
                Permission.TIERS_READ,
                Permission.TIERS_SIMULATE,
                Permission.REPORTS_READ,
                Permission.SCORECARDS_READ,
            )
        ],
        RowScope.PSEUDONYMOUS,
        [],
    ),
    "telephony": ([Permission.QUEUE_ROUTE.value], RowScope.ALL, []),
}

ROLE_NAMES = {
    "admin": N_("Administrator"),
    "manager": N_("Manager"),
    "account_manager": N_("Account manager"),
    "csr": N_("Customer service representative"),
    "analyst": N_("Analyst"),
    "telephony": N_("Telephony system"),
}
"""The shipped roles as people call them; a role an administrator added keeps its own name."""


def role_name(role: str) -> str:
    """A role in the reader's language (客户经理, not account_manager)."""
    return _(ROLE_NAMES[role]) if role in ROLE_NAMES else role
