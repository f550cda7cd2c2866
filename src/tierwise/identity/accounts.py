"""Users and how they prove who they are: argon2 passwords, lockout, sessions, API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tierwise.config import Settings
from tierwise.db.base import utcnow
from tierwise.i18n import _
from tierwise.identity.access import Principal
from tierwise.identity.models import ApiToken, Role, User, UserSession
from tierwise.identity.roles import RowScope
from tierwise.organisation.models import Staff

HASHER = PasswordHasher()
# Verified when the username is unknown, so a wrong name costs as long as a wrong password.
_UNKNOWN_USER_HASH = HASHER.hash(secrets.token_urlsafe(16))
MIN_PASSWORD_LENGTH = 10
USERNAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
TOKEN_PREFIX = "tw_"


class AccountError(ValueError):
    """A user-management request that cannot be carried out as asked."""


class SignInRefused(PermissionError):
    """Wrong name or password, a disabled user, or a lockout; `delay` slows the answer, the
    same for every refusal, so its time never tells whether a user name exists."""

    def __init__(self, message: str, delay: float = 0.0) -> None:
        super().__init__(message)
        self.delay = delay


def one_time_password() -> str:
    """A password to hand over once; the user is asked to change it."""
    return secrets.token_urlsafe(12)


def digest(raw: str) -> str:
    """What is stored of a session id or token: enough to recognise it, useless if stolen."""
    return hashlib.sha256(raw.encode()).hexdigest()


def get_user(session: Session, username: str) -> User:
    """The user called `username`, or an AccountError naming it."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(_("no user called {name!r}").format(name=username))
    return user


def check_password(password: str) -> None:
    """Refuse passwords too short to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _("a password needs at least {n} characters").format(n=MIN_PASSWORD_LENGTH)
        )


def add_user(
    session: Session,
    username: str,
    display_name: str,
    role: str,
    password: str,
    staff_code: str | None = None,
) -> User:
    """Create a user who must change the given password at first sign-in."""
    if not USERNAME.fullmatch(username):
        raise AccountError(
            _("a user name is 1–64 letters, digits and . _ @ -, not {name!r}").format(name=username)
        )
    if session.get(Role, role) is None:
        roles = ", ".join(session.scalars(select(Role.code).order_by(Role.code)))
        raise AccountError(
            _("no role {role!r}; choose one of {roles}").format(role=role, roles=roles)
        )
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(_("a user called {name!r} already exists").format(name=username))
    staff_id = None
    if staff_code:
        staff_id = session.scalar(select(Staff.id).where(Staff.code == staff_code))
        if staff_id is None:
            raise AccountError(_("no staff member with code {code!r}").format(code=staff_code))
    check_password(password)
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        staff_id=staff_id,
        password_hash=HASHER.hash(password),
        must_change_password=True,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, username: str, password: str, temporary: bool) -> User:
    """Replace a password, lift any lockout, end the user's sessions and revoke their tokens."""
    user = get_user(session, username)
    check_password(password)
    if verify(user.password_hash, password):
        raise AccountError(_("the new password must differ from the current one"))
    user.password_hash = HASHER.hash(password)
    user.must_change_password = temporary
    user.failed_sign_ins = 0
    user.locked_until = None
    end_access(session, user, utcnow())
    return user


def change_own_password(session: Session, user: User, current: str, new: str) -> None:
    """A user's own change: the current password proves it is them; sessions and tokens end."""
    if not verify(user.password_hash, current):
        raise AccountError(_("the current password is wrong"))
    set_password(session, user.username, new, temporary=False)


def disable_user(session: Session, username: str) -> User:
    """Stop a user signing in; their sessions end and their tokens stop working."""
    user = get_user(session, username)
    user.active = False
    end_access(session, user, utcnow())
    return user


def end_access(session: Session, user: User, now: dt.datetime) -> None:
    """End every session and revoke every token of the user: a new password starts clean."""
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()


def sign_in(
    session: Session, settings: Settings, username: str, password: str, now: dt.datetime
) -> User:
    """The user if the password is right; failures count towards a lockout. Every refusal reads
    the same and costs the same (one argon2 verification, one delay), so neither an answer nor
    its time tells whether a user name exists."""
    user = session.scalar(select(User).where(User.username == username))
    refused = _(
        "wrong user name or password, or sign-in locked for a while after repeated failures"
    )
    if user is None:
        verify(_UNKNOWN_USER_HASH, password)
        raise SignInRefused(refused, settings.failed_sign_in_delay)
    if user.locked_until is not None and user.locked_until > now:
        verify(_UNKNOWN_USER_HASH, password)
        raise SignInRefused(refused, settings.failed_sign_in_delay)
    if not verify(user.password_hash, password):
        # One atomic increment: concurrent guesses each count.
        failures = session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_sign_ins=User.failed_sign_ins + 1)
            .returning(User.failed_sign_ins)
        ).scalar_one()
        if failures >= settings.lockout_attempts:
            session.execute(
                update(User)
                .where(User.id == user.id)
                .values(
                    locked_until=now + dt.timedelta(minutes=settings.lockout_minutes),
                    failed_sign_ins=0,
                )
            )
        raise SignInRefused(refused, settings.failed_sign_in_delay)
    if not user.active:
        raise SignInRefused(refused, settings.failed_sign_in_delay)
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_sign_in_at = now
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    session.flush()
    return user


def verify(password_hash: str, password: str) -> bool:
    """Whether `password` matches the stored hash."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class NewSession:
    """What the browser gets after signing in: the cookie value and the form token."""

    session_id: str
    csrf_token: str


def open_session(
    session: Session, settings: Settings, user: User, address: str | None, now: dt.datetime
) -> NewSession:
    """A fresh session id on every sign-in, so an id planted before sign-in is worth nothing."""
    raw, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        UserSession(
            id_hash=digest(raw),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + dt.timedelta(hours=settings.session_hours),
            address=address,
        )
    )
    session.flush()
    return NewSession(raw, csrf)


def find_session(session: Session, raw: str, now: dt.datetime) -> UserSession | None:
    """The live session with this id, if its user may still sign in."""
    found = session.get(UserSession, digest(raw))
    if found is None or found.expires_at <= now:
        return None
    user = session.get(User, found.user_id)
    return found if user is not None and user.active else None


def close_session(session: Session, raw: str) -> None:
    """Sign out: the id stops working at once."""
    session.execute(delete(UserSession).where(UserSession.id_hash == digest(raw)))


def issue_token(
    session: Session, user: User, name: str, scopes: list[str], days: int, now: dt.datetime
) -> tuple[ApiToken, str]:
    """A new token (shown once) limited to `scopes`, which must be the role's permissions."""
    role = session.get(Role, user.role)
    allowed = set(role.permissions if role else [])
    unknown = sorted(set(scopes) - allowed)
    if unknown:
        raise AccountError(
            _("scopes not granted to role {role}: {scopes}").format(
                role=user.role, scopes=", ".join(unknown)
            )
        )
    if not 1 <= days <= 366:
        raise AccountError(_("a token lives between 1 and 366 days"))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=digest(raw),
        prefix=raw[:10],
        scopes=sorted(set(scopes)) or sorted(allowed),
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(token)
    session.flush()
    return token, raw


def find_token(session: Session, raw: str, now: dt.datetime) -> ApiToken | None:
    """The token if it exists, is not revoked or expired, and its user is active."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(raw)))
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        token.last_used_at = now
    return token


def revoke_token(
    session: Session, user: User, token_id: int, now: dt.datetime, any_user: bool
) -> ApiToken:
    """Stop a token working; a user revokes their own, one who manages users anyone's."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != user.id and not any_user):
        raise LookupError(_("no token {id}").format(id=token_id))
    token.revoked_at = token.revoked_at or now
    session.flush()
    return token


def principal_for(
    session: Session,
    user: User,
    kind: str,
    scopes: list[str] | None = None,
    address: str | None = None,
) -> Principal:
    """What this user may do now: their role's grants, narrowed to a token's scopes."""
    role = session.get(Role, user.role)
    if role is None:
        raise AccountError(_("no role {role!r}").format(role=user.role))
    permissions = set(role.permissions)
    if scopes is not None:
        permissions &= set(scopes)
    staff = session.get(Staff, user.staff_id) if user.staff_id else None
    return Principal(
        username=user.username,
        kind=kind,
        role=role.code,
        permissions=frozenset(permissions),
        row_scope=RowScope(role.row_scope),
        personal_fields=frozenset(role.personal_fields),
        user_id=user.id,
        staff_id=user.staff_id,
        team=staff.team if staff else None,
        address=address,
    )
