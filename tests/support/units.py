"""Run one service call in a unit of work of its own and commit it, as an entry point does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tierwise.runtime import App


def in_unit(app: App, job: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """What `job(uow, *args, **kwargs)` returns, after its unit of work is committed."""
    with app.uow() as uow:
        result = job(uow, *args, **kwargs)
        uow.commit()
    return result
