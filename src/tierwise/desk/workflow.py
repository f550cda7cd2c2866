"""The states a ticket moves through, and which moves are allowed (DOMAIN.md: complaints are
recorded → judged → assigned to the responsible department → handled → answered → the effect
evaluated with the customer → closed; an invalid complaint closes at once)."""

from __future__ import annotations

from tierwise.db.choices import Choice
from tierwise.errors import Conflict
from tierwise.i18n import _, current_language


class TicketKind(Choice):
    """A service request or a complaint."""

    REQUEST = "request", "Service request", "服务请求"
    COMPLAINT = "complaint", "Complaint", "投诉"


class TicketStatus(Choice):
    """Every state of either workflow."""

    RECORDED = "recorded", "Recorded", "已登记"
    JUDGED = "judged", "Judged valid", "已判定有效"
    ASSIGNED = "assigned", "Assigned to a department", "已分派责任部门"
    IN_PROGRESS = "in_progress", "In progress", "处理中"
    WAITING = "waiting_customer", "Waiting on the customer", "等待客户"
    HANDLED = "handled", "Handled", "已处理"
    ANSWERED = "answered", "Answered", "已答复"
    EVALUATED = "evaluated", "Effect evaluated", "已评估效果"
    RESOLVED = "resolved", "Resolved", "已解决"
    CLOSED = "closed", "Closed", "已关闭"


S = TicketStatus
MOVES: dict[TicketKind, dict[TicketStatus, tuple[TicketStatus, ...]]] = {
    TicketKind.COMPLAINT: {
        S.RECORDED: (S.JUDGED, S.CLOSED),  # closed here = judged invalid, with a reason
        S.JUDGED: (S.ASSIGNED,),
        S.ASSIGNED: (S.HANDLED, S.WAITING),
        S.WAITING: (S.ASSIGNED,),
        S.HANDLED: (S.ANSWERED,),
        S.ANSWERED: (S.EVALUATED,),
        S.EVALUATED: (S.CLOSED,),
        S.CLOSED: (),
    },
    TicketKind.REQUEST: {
        S.RECORDED: (S.IN_PROGRESS, S.CLOSED),
        S.IN_PROGRESS: (S.WAITING, S.RESOLVED),
        S.WAITING: (S.IN_PROGRESS,),
        S.RESOLVED: (S.CLOSED, S.IN_PROGRESS),
        S.CLOSED: (),
    },
}
"""Allowed moves per kind: from a status to the statuses it may go to."""

RESPONDED = frozenset({S.JUDGED, S.IN_PROGRESS, S.CLOSED})
"""Reaching one of these is the first response."""

DONE = frozenset({S.RESOLVED, S.EVALUATED, S.CLOSED})
"""Reaching one of these stops the resolution clock."""


class IllegalMove(Conflict, ValueError):
    """A move the workflow does not allow, naming the ones it does."""


def check_move(
    kind: TicketKind,
    current: TicketStatus,
    target: TicketStatus,
    reason: str | None,
    department: str | None,
) -> None:
    """Refuse a move the workflow does not allow, or that lacks what it needs."""
    allowed = MOVES[kind][current]
    if target not in allowed:
        language = current_language()
        # By name for people, with the word the command line and the API take in brackets.
        names = ", ".join(f"{s.label(language)} ({s.value})" for s in allowed)
        raise IllegalMove(
            _("a {kind} cannot go from {current} to {target}; allowed: {allowed}").format(
                kind=kind.label(language),
                current=current.label(language),
                target=target.label(language),
                allowed=names or _("none: the ticket is closed"),
            )
        )
    if note_needed(kind, current) and not (reason or "").strip():
        raise IllegalMove(_("judging a complaint needs the reason it is valid or not"))
    if target is S.ASSIGNED and department_needed(kind, current) and not (department or "").strip():
        raise IllegalMove(_("assigning a complaint needs the responsible department"))


def note_needed(kind: TicketKind, current: TicketStatus) -> bool:
    """Whether every move from here needs a note: judging a complaint states why."""
    return kind is TicketKind.COMPLAINT and current is S.RECORDED


def department_needed(kind: TicketKind, current: TicketStatus) -> bool:
    """Whether the move to assigned from here needs the responsible department."""
    return current is S.JUDGED


class Urgency(Choice):
    """A ticket's priority in words, from its queue lane and its tier's rank."""

    URGENT = "urgent", "Urgent", "紧急"
    HIGH = "high", "High", "高"
    NORMAL = "normal", "Normal", "普通"
    LOW = "low", "Low", "低"


HIGH_RANKS = 2
"""In the normal lane, tickets of the best this-many tiers of the policy are high priority."""


def urgency_of(priority: int) -> Urgency:
    """The words for a stored priority (lane × 100 + rank): the green channel is urgent, the
    last lane (the blacklist) low, the normal lane high for its best tiers and normal below."""
    lane, rank = divmod(priority, 100)
    if lane == 0:
        return Urgency.URGENT
    if lane >= 2:
        return Urgency.LOW
    return Urgency.HIGH if rank < HIGH_RANKS else Urgency.NORMAL
