"""Who runs a command: the OS account, or the Tierwise user named with `--as`, for the audit."""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from tierwise.i18n import _
from tierwise.identity.access import Principal
from tierwise.identity.accounts import AccountError, principal_for
from tierwise.identity.models import User
from tierwise.identity.roles import EVERYTHING, PERSONAL_FIELDS, RowScope

COMMAND_LINE = "cli"  # the audit log's actor_kind for whatever a command does
UNMASKED = "command line, unmasked"  # the audit note of what a command shows or writes in full


def os_account() -> str:
    """The OS user name; a container without a passwd entry still has a uid."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return f"uid {os.getuid()}"


def terminal() -> str:
    """Where a command ran from, as the audit log's address: OS account and host."""
    return f"{os_account()}@{socket.gethostname()}"[:64]


def at_terminal() -> Principal:
    """The operator as the OS knows them: the CLI is an administrator's tool and sees everything."""
    return Principal(
        username=os_account(),
        kind=COMMAND_LINE,
        role="admin",
        permissions=frozenset(EVERYTHING),
        row_scope=RowScope.ALL,
        personal_fields=frozenset(PERSONAL_FIELDS),
        address=terminal(),
    )


def acting_as(session: Session, username: str) -> Principal:
    """The Tierwise user `--as` names, refused unless they exist and may sign in; the command
    line stays an administrator's tool, so only the name (and staff member) changes, not what
    the operator may do or see."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise AccountError(
            _("--as {name}: there is no active Tierwise user of that name").format(name=username)
        )
    operator = at_terminal()
    return replace(
        principal_for(session, user, COMMAND_LINE),
        permissions=operator.permissions,
        row_scope=operator.row_scope,
        personal_fields=operator.personal_fields,
        address=operator.address,
    )
