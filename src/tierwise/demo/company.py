"""Our side of the demo world: the staff who own and serve customers, and what we sell."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tierwise.demo.catalog import PRODUCTS, REGIONS
from tierwise.demo.world import Rows, World, money, yuan_to_cents
from tierwise.organisation.models import StaffLevel, StaffRole


@dataclass(frozen=True, slots=True)
class Product:
    """A product as the order generator needs it: prices in cents, how it sells."""

    id: int
    name: str
    price: int
    cost: int
    bulk: float
    consumer: bool
    popularity: float
    thin: bool  # a loss-maker or a low-margin staple: where bargain hunters shop


@dataclass
class Staffing:
    """Who can be given a customer: account managers by region and level, CSRs, sales, agents."""

    account_managers: dict[tuple[str, StaffLevel], list[int]] = field(default_factory=dict)
    by_level: dict[StaffLevel, list[int]] = field(default_factory=dict)
    csrs: list[int] = field(default_factory=list)
    sales: list[int] = field(default_factory=list)
    agents: list[int] = field(default_factory=list)

    def account_manager(self, world: World, region: str, level: StaffLevel) -> int:
        """An account manager of that level, from the customer's region when there is one."""
        pool = self.account_managers.get((region, level)) or self.by_level[level]
        return world.pick(pool)


def region_at(quantile: float) -> str:
    """The region at a quantile of the customer distribution, so staff follow customers."""
    total = 0.0
    for region, (share, _) in REGIONS.items():
        total += share
        if quantile < total:
            return region
    return next(reversed(REGIONS))


def make_staff(world: World, rows: Rows, customers: int) -> Staffing:
    """Managers over account-manager teams, a CSR centre, sales and agents, sized to customers."""
    rng = world.rng
    n_am = max(3, round(customers / 150))
    n_csr = max(2, round(customers / 400))
    n_sales = max(1, round(customers / 1000))
    n_agents = max(2, round(customers / 5000))
    n_teams = max(2, math.ceil(n_am / 8))
    staffing = Staffing(by_level={StaffLevel.SENIOR: [], StaffLevel.JUNIOR: []})

    def add(
        role: StaffRole,
        level: StaffLevel,
        team: str | None,
        manager: int | None,
        capacity: int | None,
        active: bool = True,
    ) -> int:
        sid = world.next_id("staff")
        user = world.en.user_name()
        hired = world.moment(world.start - 30 - int(rng.random() * 2500))
        rows.add(
            "staff",
            {
                "id": sid,
                "code": f"S{sid:05d}",
                "name": world.zh.name(),
                "role": role.value,
                "level": level.value,
                "team": team,
                "manager_id": manager,
                "capacity": capacity,
                "email": f"{user}.{sid}@tierwise.example",
                "active": active,
                "created_at": hired,
                "updated_at": hired,
            },
        )
        return sid

    director = add(StaffRole.MANAGER, StaffLevel.SENIOR, "管理层", None, None)
    teams: list[tuple[int, str, str]] = []
    for t in range(n_teams):
        region = region_at((t + 0.5) / n_teams)
        name = f"{region}客户部{t + 1}组"
        teams.append((add(StaffRole.MANAGER, StaffLevel.SENIOR, name, director, 40), region, name))
    for j in range(n_am):
        manager, region, name = teams[j * n_teams // n_am]
        level = StaffLevel.SENIOR if j % 4 == 0 else StaffLevel.JUNIOR
        capacity = (
            160 + int(rng.random() * 60)
            if level is StaffLevel.SENIOR
            else 150 + int(rng.random() * 80)
        )
        # The last junior has left the company but still owns customers: accountability finds them.
        active = not (j == n_am - 1 and level is StaffLevel.JUNIOR and n_am >= 4)
        sid = add(StaffRole.ACCOUNT_MANAGER, level, name, manager, capacity, active)
        staffing.account_managers.setdefault((region, level), []).append(sid)
        staffing.by_level[level].append(sid)
    csr_lead = add(StaffRole.MANAGER, StaffLevel.SENIOR, "客服中心", director, None)
    for j in range(n_csr):
        level = StaffLevel.SENIOR if j % 3 == 0 else StaffLevel.JUNIOR
        staffing.csrs.append(
            add(StaffRole.CSR, level, "客服中心", csr_lead, 350 + int(rng.random() * 100))
        )
    sales_lead = add(StaffRole.MANAGER, StaffLevel.SENIOR, "市场拓展部", director, None)
    for j in range(n_sales):
        level = StaffLevel.SENIOR if j % 3 == 0 else StaffLevel.JUNIOR
        staffing.sales.append(
            add(StaffRole.SALES, level, "市场拓展部", sales_lead, 300 + int(rng.random() * 200))
        )
    for _ in range(n_agents):
        capacity = 1000 + int(rng.random() * 2000)
        staffing.agents.append(
            add(StaffRole.AGENT, StaffLevel.JUNIOR, "渠道代理", director, capacity)
        )
    return staffing


def make_products(world: World, rows: Rows) -> list[Product]:
    """The catalogue with seed-jittered prices; loss-makers stay losses whatever the seed."""
    rng = world.rng
    products: list[Product] = []
    created = world.moment(world.start - 400)
    for spec in PRODUCTS:
        pid = world.next_id("products")
        price = spec.price * (0.92 + 0.16 * rng.random())
        price_c = yuan_to_cents(round(price)) if price >= 50 else yuan_to_cents(round(price, 1))
        margin = spec.margin * (0.9 + 0.2 * rng.random())
        cost_c = round(price_c * (1 - margin))
        rows.add(
            "products",
            {
                "id": pid,
                "code": f"P{pid:04d}",
                "name": spec.name,
                "category": spec.category,
                "list_price": money(price_c),
                "standard_cost": money(cost_c),
                "active": True,
                "created_at": created,
                "updated_at": created,
            },
        )
        products.append(
            Product(
                pid,
                spec.name,
                price_c,
                cost_c,
                spec.bulk,
                spec.consumer,
                spec.popularity,
                thin=spec.margin < 0.1,
            )
        )
    return products
