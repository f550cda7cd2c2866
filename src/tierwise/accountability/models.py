"""Staff: the people who own, serve and sell to customers."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tierwise.db.base import Base, IdMixin, TimestampMixin
from tierwise.db.choices import Choice, choice_column


class StaffRole(Choice):
    """What a staff member does for customers (客户经理制, CSR, sales, agent)."""

    MANAGER = "manager", "Manager", "经理"
    ACCOUNT_MANAGER = "account_manager", "Account manager", "客户经理"
    CSR = "csr", "Customer service representative", "客服代表"
    SALES = "sales", "Sales", "销售"
    AGENT = "agent", "Agent / distributor", "代理商"


class StaffLevel(Choice):
    """Seniority: key accounts go to senior staff, lower tiers to junior staff."""

    SENIOR = "senior", "Senior", "高级"
    JUNIOR = "junior", "Junior", "初级"


class Staff(IdMixin, TimestampMixin, Base):
    """A person in the organisation who can own or serve customers."""

    __tablename__ = "staff"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[StaffRole] = mapped_column(choice_column(StaffRole))
    level: Mapped[StaffLevel] = mapped_column(choice_column(StaffLevel))
    team: Mapped[str | None] = mapped_column(String(100))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    capacity: Mapped[int | None] = mapped_column(doc="most active customers this person can own")
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
