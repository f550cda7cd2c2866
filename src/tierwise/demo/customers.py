"""Who the customers are: latent value, trajectory, classification, and their customer-file row."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tierwise.customers.choices import (
    AcquisitionSource,
    CustomerKind,
    CustomerStatus,
    EnterpriseNature,
    ManagementClass,
    MarketingType,
    SalesChannel,
)
from tierwise.demo.catalog import DEPARTMENTS, INDUSTRIES, REGIONS, TITLES
from tierwise.demo.company import Product, Staffing
from tierwise.demo.world import Rows, World, money
from tierwise.organisation.models import StaffLevel

SIGMA = 0.8  # spread of latent value (lognormal): sets how concentrated revenue is
Z85, Z90, Z40 = 1.0364, 1.2816, -0.2533  # standard normal quantiles for value thresholds
TRAJECTORIES = (
    ("growing", 0.20),
    ("steady", 0.42),
    ("declining", 0.18),
    ("churned", 0.13),
    ("dormant", 0.07),
)
TRENDS = {
    "growing": (0.3, 1.7),
    "steady": (1.0, 1.0),
    "declining": (1.7, 0.3),
    "churned": (1.4, 0.5),
    "dormant": (1.2, 0.7),
}
NATURES = (
    (EnterpriseNature.PRIVATE, 0.55),
    (EnterpriseNature.STATE_OWNED, 0.12),
    (EnterpriseNature.JOINT_VENTURE, 0.07),
    (EnterpriseNature.FOREIGN, 0.05),
    (EnterpriseNature.PUBLIC_INSTITUTION, 0.09),
    (EnterpriseNature.SOLE_PROPRIETOR, 0.12),
)
SOURCES = (
    (AcquisitionSource.ADVERTISING, 0.2),
    (AcquisitionSource.EXHIBITION, 0.15),
    (AcquisitionSource.WEBSITE, 0.3),
    (AcquisitionSource.COLD_CALL, 0.15),
    (AcquisitionSource.OTHER, 0.1),
)
MARKETING = (
    (MarketingType.ETHICAL, 0.3),
    (MarketingType.PERSONALISED, 0.25),
    (MarketingType.CONVENIENCE, 0.3),
    (MarketingType.ECONOMIC, 0.15),
)
RATINGS = ((1.3, "AAA"), (0.6, "AA"), (-0.1, "A"), (-0.8, "BBB"), (-1.5, "BB"))
# Yuan an average customer of value 1 spends a year, measured on generated data; for prospects.
YEARLY_SPEND = {True: 20_000.0, False: 1_800.0}


def weighted(world: World, options: tuple[tuple[Any, float], ...]) -> Any:
    """One option by weight."""
    x = world.rng.random() * sum(w for _, w in options)
    for option, w in options:
        x -= w
        if x < 0:
            return option
    return options[-1][0]


@dataclass(slots=True)
class Plan:
    """A customer's hidden truth, which drives every row generated for it."""

    id: int
    code: str
    enterprise: bool
    english: bool
    value: float
    region: str
    prospect: bool
    created: int  # day ordinal the file was opened
    acquired: int | None = None
    trajectory: str = "steady"
    first: int = 0  # ordering runs over [first, last)
    last: int = 0
    blacklisted: bool = False
    bargain: bool = False
    agent: bool = False
    advocate: bool = False
    referred_by: tuple[int, int, float] | None = None  # (id, acquired day, value) of the referrer
    name: str = ""
    owner_id: int | None = None
    csr_id: int | None = None
    departments: list[str] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)
    basket: list[Product] = field(default_factory=list)
    discount_bp: int = 0
    return_rate: float = 0.022

    @property
    def trend(self) -> tuple[float, float]:
        """Purchase-rate multiplier at the start and at the end of the ordering period."""
        return TRENDS[self.trajectory]


class Population:
    """Draws customer plans in id order: acquired customers by acquisition date, then prospects."""

    def __init__(self, world: World, customers: int, staffing: Staffing, products: list[Product]):
        self.world, self.staffing, self.products = world, staffing, products
        self.prospects = round(customers * 0.08)
        self.acquired = customers - self.prospects
        self.advocates: list[tuple[int, int, float]] = []
        self.first_acquired = world.end - 8 * 365
        self.v85, self.v90, self.v40 = (math.exp(SIGMA * z) for z in (Z85, Z90, Z40))

    def plan(self, cid: int) -> Plan:
        """The plan of customer `cid`."""
        w, rng = self.world, self.world.rng
        value = rng.lognormvariate(0.0, SIGMA)
        region = weighted(w, tuple((r, share) for r, (share, _) in REGIONS.items()))
        if cid <= self.acquired:
            # Acquisition dates rise with the id, denser lately: referrers are always earlier ids.
            t = ((cid - 1 + rng.random()) / self.acquired) ** 0.8
            day = self.first_acquired + int(t * (w.end - 14 - self.first_acquired))
            plan = Plan(
                id=cid,
                code=f"C{cid:06d}",
                enterprise=w.chance(0.35),
                english=w.chance(0.07),
                value=value,
                region=region,
                prospect=False,
                created=day,
                acquired=day,
            )
            self._shape(plan)
        else:
            created = w.end - 1 - int(rng.random() * 540)
            plan = Plan(
                id=cid,
                code=f"C{cid:06d}",
                enterprise=w.chance(0.65),  # sales chase businesses more than people
                english=w.chance(0.07),
                value=value,
                region=region,
                prospect=True,
                created=created,
            )
            plan.owner_id = w.pick(self.staffing.sales)
        plan.name = self._name(plan)
        self._basket(plan)
        return plan

    def _shape(self, plan: Plan) -> None:
        """Trajectory, buying period, owner and terms of an acquired customer."""
        w, rng, acquired = self.world, self.world.rng, plan.acquired or 0
        plan.first = max(acquired, w.start)
        plan.last = w.end
        trajectory = weighted(w, TRAJECTORIES)
        if trajectory == "churned" and acquired < w.end - 470:
            low = max(plan.first + 60, w.end - 1100)
            plan.last = low + int(rng.random() * max(1, w.end - 400 - low))
        elif trajectory == "dormant" and acquired < w.end - 400:
            plan.last = w.end - 330 + int(rng.random() * 130)
        elif trajectory in ("churned", "dormant"):
            trajectory = "growing"
        plan.trajectory = trajectory
        plan.blacklisted = w.chance(0.012)
        plan.bargain = plan.blacklisted or w.chance(0.1)
        plan.agent = plan.value < self.v40 and w.chance(0.45)
        if plan.bargain:
            plan.discount_bp = 1800 + int(rng.random() * 1700)
            plan.return_rate = 0.09
        elif plan.enterprise and plan.value >= self.v85 and w.chance(0.2):
            plan.discount_bp = 1400 + int(rng.random() * 800)  # a big account that squeezed us
        else:
            volume = min(700, int(200 * math.log1p(plan.value))) if plan.enterprise else 0
            plan.discount_bp = int(rng.random() * 600) + volume
        staffing = self.staffing
        if plan.agent:
            plan.owner_id = w.pick(staffing.agents)
        elif w.chance(0.005):
            plan.owner_id = None  # nobody is accountable: a gap the accountability view should show
        else:
            senior = (plan.value >= self.v85) != w.chance(0.05)
            level = StaffLevel.SENIOR if senior else StaffLevel.JUNIOR
            plan.owner_id = staffing.account_manager(w, plan.region, level)
        if not plan.agent and (plan.value >= 1.0 or w.chance(0.3)):
            plan.csr_id = w.pick(staffing.csrs)
        loyal = trajectory in ("steady", "growing") and plan.value >= 1.0
        plan.advocate = w.chance(0.25 if loyal else 0.03)
        if self.advocates and w.chance(0.11):
            a, b = w.pick(self.advocates), w.pick(self.advocates)
            plan.referred_by = a if a[2] >= b[2] else b  # the more valuable advocates refer more
        if plan.advocate:
            self.advocates.append((plan.id, acquired, plan.value))
        if plan.enterprise:
            extra = min(4, w.poisson(0.2 + 0.7 * math.log1p(plan.value)))
            plan.departments = [DEPARTMENTS[0], *rng.sample(DEPARTMENTS[1:], extra)]

    def _name(self, plan: Plan) -> str:
        """A company or person name, Chinese mostly."""
        w = self.world
        if plan.enterprise:
            return w.en.company() if plan.english else w.zh.company()
        return f"{w.en.first_name()} {w.en.last_name()}" if plan.english else w.zh.name()

    def _basket(self, plan: Plan) -> None:
        """The products this customer buys; bargain hunters favour thin-margin ones."""
        w = self.world
        pool = [p for p in self.products if plan.enterprise or p.consumer]
        weights = [p.popularity * (6.0 if plan.bargain and p.thin else 1.0) for p in pool]
        size = 3 + int(w.rng.random() * 6) + (len(plan.departments) * 2 if plan.enterprise else 0)
        chosen: dict[int, Product] = {}
        for product in w.rng.choices(pool, weights, k=size * 2):
            chosen.setdefault(product.id, product)
            if len(chosen) == size:
                break
        plan.basket = list(chosen.values())

    def _growth(self, plan: Plan) -> float:
        """Yearly growth of the business: follows the trajectory, or the value of a prospect."""
        rng = self.world.rng
        if plan.prospect:
            return 0.06 * math.log(plan.value) / SIGMA + rng.gauss(0.05, 0.08)
        if plan.trajectory == "growing":
            return 0.1 + 0.3 * rng.random()
        if plan.trajectory in ("declining", "churned"):
            return -0.3 * rng.random()
        return rng.uniform(-0.03, 0.1)

    def contacts(self, plan: Plan, rows: Rows, stamp: dt.datetime) -> None:
        """1-4 people at an enterprise, one per buying department first; the first is primary."""
        w = self.world
        n = min(4, max(len(plan.departments), 1 + w.poisson(0.6)))
        for k in range(n):
            department = (
                plan.departments[k % len(plan.departments)] if plan.departments else "采购部"
            )
            cid = w.next_id("contacts")
            plan.contact_ids.append(cid)
            name = f"{w.en.first_name()} {w.en.last_name()}" if plan.english else w.zh.name()
            rows.add(
                "contacts",
                {
                    "id": cid,
                    "code": f"{plan.code}-{k + 1}",
                    "customer_id": plan.id,
                    "name": name,
                    "department": department,
                    "title": w.pick(TITLES[department]),
                    "phone": w.mobile(),
                    "email": w.zh.email(),
                    "is_primary": k == 0,
                    "created_at": stamp,
                    "updated_at": stamp,
                },
            )

    def row(
        self,
        plan: Plan,
        stamp: dt.datetime,
        last_order: int | None,
        last_contact: dt.datetime | None,
    ) -> dict[str, Any]:
        """The customers row; status follows the latest order actually generated."""
        w, rng = self.world, self.world.rng
        if plan.prospect:
            status = CustomerStatus.PROSPECT
        elif plan.blacklisted:
            status = CustomerStatus.BLACKLISTED
        elif last_order is not None and last_order >= w.end - 180:
            status = CustomerStatus.ACTIVE
        elif last_order is not None and last_order >= w.end - 365:
            status = CustomerStatus.DORMANT
        else:
            status = CustomerStatus.CHURNED
        z = math.log(plan.value) / SIGMA + rng.gauss(0, 0.8) - plan.bargain
        z -= 0.5 * (plan.trajectory in ("declining", "churned"))
        rating = next((r for cut, r in RATINGS if z > cut), "B")
        if plan.blacklisted:
            rating = "B"
        yearly = YEARLY_SPEND[plan.enterprise] * plan.value
        nature = asset = revenue = growth = demand = None
        if plan.enterprise:
            nature = EnterpriseNature.FOREIGN if plan.english else weighted(w, NATURES)
            asset = round(2e6 * plan.value**0.8 * rng.lognormvariate(0, 0.6), -4)
            revenue = round(asset * (0.5 + 1.5 * rng.random()), -4)
        if plan.prospect or w.chance(0.3):
            growth = self._growth(plan) if plan.enterprise else None
            demand = round(yearly * rng.uniform(0.8, 2.5), -2)
        if plan.agent:
            source = AcquisitionSource.AGENT if w.chance(0.7) else weighted(w, SOURCES)
        elif plan.referred_by:
            source = AcquisitionSource.REFERRAL
        else:
            source = weighted(w, SOURCES)
        if plan.value >= self.v90 and plan.trajectory != "churned" and not plan.prospect:
            mclass = ManagementClass.KEY
        elif plan.trajectory == "growing" or (plan.prospect and plan.value >= 1.0):
            mclass = ManagementClass.POTENTIAL
        elif plan.prospect or (plan.acquired or 0) > w.end - 180:
            mclass = ManagementClass.TEMPORARY
        else:
            mclass = ManagementClass.REGULAR
        limit = None
        if plan.enterprise and not plan.prospect:
            factor = {"AAA": 0.5, "AA": 0.35, "A": 0.25, "BBB": 0.15, "BB": 0.08}.get(rating, 0.0)
            limit = round(yearly * factor, -4)
        provinces = REGIONS[plan.region][1]
        return {
            "id": plan.id,
            "code": plan.code,
            "name": plan.name,
            "kind": (CustomerKind.ENTERPRISE if plan.enterprise else CustomerKind.INDIVIDUAL).value,
            "status": status.value,
            "industry": weighted(w, INDUSTRIES) if plan.enterprise else None,
            "region": plan.region,
            "marketing_type": (
                MarketingType.ECONOMIC if plan.bargain else weighted(w, MARKETING)
            ).value,
            "management_class": mclass.value,
            "channel": (SalesChannel.AGENT if plan.agent else SalesChannel.DIRECT).value,
            "credit_rating": None if plan.prospect else rating,
            "credit_limit": None if limit is None else money(int(limit) * 100),
            "acquisition_source": source.value,
            "referred_by_id": plan.referred_by[0] if plan.referred_by else None,
            "owner_id": plan.owner_id,
            "csr_id": plan.csr_id,
            "acquired_on": None if plan.acquired is None else dt.date.fromordinal(plan.acquired),
            "enterprise_nature": nature.value if nature else None,
            "asset_scale": None if asset is None else money(int(asset) * 100),
            "annual_revenue": None if revenue is None else money(int(revenue) * 100),
            "growth_rate": None if growth is None else Decimal(f"{growth:.4f}"),
            "potential_demand": None if demand is None else money(int(demand) * 100),
            "phone": w.mobile(),
            "email": w.zh.email(),
            "address": w.address(provinces),
            "last_contact_at": last_contact,
            "version": 1,
            "created_at": stamp,
            "updated_at": last_contact or stamp,
        }
