"""Cursor pagination: a page ends where the next begins, even while rows are added meanwhile."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from tierwise.i18n import _
from tierwise.web.types import MAX_ID

T = TypeVar("T")
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    """One page of a list, and the cursor of the next page (null on the last)."""

    items: list[T]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")


LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="rows per page")]
CursorQuery = Annotated[str | None, Query(max_length=500, description="from next_cursor")]


def _decode(cursor: str) -> list[Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=="))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(
            _("the cursor {cursor!r} is not one this list gave").format(cursor=cursor)
        ) from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], str | int)
        or not isinstance(value[1], int)
        or isinstance(value[1], bool)
        or not 0 <= value[1] <= MAX_ID
        or (isinstance(value[0], int) and not -MAX_ID <= value[0] <= MAX_ID)
    ):
        raise ValueError(_("the cursor {cursor!r} is not one this list gave").format(cursor=cursor))
    return value


def _encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def page(
    session: Session,
    query: Select[Any],
    key: InstrumentedAttribute[Any],
    tie: InstrumentedAttribute[Any],
    descending: bool,
    cursor: str | None,
    limit: int,
) -> tuple[list[Any], str | None]:
    """Rows after the cursor, ordered by `key` then the unique `tie`, and the next cursor."""
    if cursor:
        last_key, last_tie = _decode(cursor)
        if descending:
            after = or_(key < last_key, and_(key == last_key, tie < last_tie))
        else:
            after = or_(key > last_key, and_(key == last_key, tie > last_tie))
        query = query.where(after)
    order = (key.desc(), tie.desc()) if descending else (key.asc(), tie.asc())
    rows = list(session.scalars(query.order_by(*order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    if not more or not rows:
        return rows, None
    last = rows[-1]
    return rows, _encode([getattr(last, key.key), getattr(last, tie.key)])
