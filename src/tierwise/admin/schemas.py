"""Request and response bodies of sign-in, tokens, users and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tierwise.identity.roles import Permission

Username = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$", examples=["li.na"])


class SignIn(BaseModel):
    """A user name and password."""

    username: str = Username
    password: str = Field(min_length=1, max_length=200, examples=["correct horse battery"])


class Me(BaseModel):
    """The signed-in user and what their role allows."""

    username: str
    display_name: str
    role: str = Field(examples=["account_manager"])
    row_scope: str = Field(examples=["own"])
    permissions: list[str]
    personal_fields: list[str]
    must_change_password: bool


class SignedIn(Me):
    """After signing in: send csrf_token as X-CSRF-Token on every write made with the cookie."""

    csrf_token: str


class PasswordChange(BaseModel):
    """The current password, to prove it is you, and the new one."""

    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=10, max_length=200)


class TokenRequest(BaseModel):
    """A name to recognise the token by, what it may do, and for how long."""

    name: str = Field(min_length=1, max_length=100, examples=["nightly export"])
    scopes: list[Permission] = Field(
        default_factory=list, description="empty: everything the role allows"
    )
    days: int = Field(default=90, ge=1, le=366)


class TokenOut(BaseModel):
    """A token as listed: never the token itself."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenCreated(TokenOut):
    """The new token, shown this once: send it as `Authorization: Bearer <token>`."""

    token: str


class UserRequest(BaseModel):
    """A new user; they get a one-time password to change at first sign-in."""

    username: str = Username
    display_name: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=32, examples=["csr"])
    staff_code: str | None = Field(default=None, max_length=64)


class UserOut(BaseModel):
    """A user as administrators see them."""

    model_config = ConfigDict(from_attributes=True)
    username: str
    display_name: str
    role: str
    active: bool
    must_change_password: bool
    locked_until: dt.datetime | None
    last_sign_in_at: dt.datetime | None


class UserCreated(UserOut):
    """The new user and the one-time password to hand over."""

    one_time_password: str


class AuditOut(BaseModel):
    """One audit entry."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    at: dt.datetime
    actor_kind: str = Field(examples=["human"])
    actor: str
    action: str = Field(examples=["update"])
    resource: str = Field(examples=["customer"])
    resource_id: str | None
    fields: list[str] | None
    changes: dict[str, Any] | None
    address: str | None
    note: str | None
