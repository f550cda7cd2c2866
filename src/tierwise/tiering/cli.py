"""`tierwise tiers policy|simulate|explain|history|override|blacklist|show`."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.table import Table

from tierwise.analytics.service import NoSnapshot
from tierwise.customers.service import CustomerNotFound
from tierwise.i18n import _, current_language
from tierwise.identity.access import Principal
from tierwise.runtime import App
from tierwise.sheets import write_table_csv
from tierwise.terminal import console, errors, print_error, print_table, write_document
from tierwise.tiering import service, terms_cli
from tierwise.tiering.explain import TierCheck, note_text, shown_gap, shown_value, tier_name
from tierwise.tiering.grading import PROSPECTS
from tierwise.tiering.models import TierReason
from tierwise.tiering.policy import Policy, PolicyError, load_policy
from tierwise.tiering.simulate import TierShare, distribution, simulate

FAILURES = (PolicyError, NoSnapshot, CustomerNotFound, LookupError, ValueError, OSError)


def _fail(exc: Exception, code: int = 1) -> typer.Exit:
    print_error(exc)
    return typer.Exit(code)


def _today(app: App) -> dt.date:
    return dt.datetime.now(ZoneInfo(app.settings.timezone)).date()


def _deciding(app: App, author: str | None) -> Principal:
    """The operator, under the name `--author` gives when it gives one (kept in the history)."""
    return replace(app.operator, username=author) if author else app.operator


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(_("{file} is not UTF-8 text").format(file=path)) from exc


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.1%}"


def shares_table(policy: Policy, shares: list[TierShare], title: str) -> Table:
    """Customers and value shares per tier."""
    table = Table(title=title)
    for header in (_("Tier"), _("Customers"), _("12-month sales"), _("Profit"), _("CLV")):
        table.add_column(header, justify="left" if header == _("Tier") else "right")
    for share in shares:
        table.add_row(
            _line_name(policy, share),
            f"{share.customers:,}",
            _percent(share.sales_share),
            _percent(share.profit_share),
            _percent(share.clv_share),
        )
    return table


def _line_name(policy: Policy, share: TierShare) -> str:
    if share.tier != PROSPECTS:
        return tier_name(policy, share.tier)
    grades = ", ".join(f"{code} {n:,}" for code, n in share.grades.items())
    return _("Prospects (graded {grades})").format(grades=grades or "—")


def check_table(policy: Policy, check: TierCheck, title: str) -> Table:
    """One tier's criteria for a customer: value, threshold, pass/fail and what is missing."""
    table = Table(title=title, title_justify="left")
    for header in ("", _("Criterion"), _("Customer's value"), _("Threshold"), _("Missing")):
        table.add_column(header)
    if not check.criteria:
        table.add_row("✓", _("everyone qualifies"), "", "", "")
    for c in check.criteria:
        table.add_row(
            "[green]✓[/green]" if c.passed else "[red]✗[/red]",
            c.text,
            shown_value(c.subject, c.value),
            shown_value(c.subject, c.threshold),
            shown_gap(c) or "",
        )
    return table


def register(app: typer.Typer) -> None:
    """Add the tiers group to the root application."""
    tiers = typer.Typer(help=_("Tier policies and each customer's tier."), no_args_is_help=True)
    policy = typer.Typer(help=_("Apply and read tier policies."), no_args_is_help=True)
    app.add_typer(tiers, name="tiers")
    tiers.add_typer(policy, name="policy")
    terms_cli.register(tiers)

    @policy.command("apply", help=_("Validate a policy file and make it the active version."))
    def apply(
        ctx: typer.Context,
        file: Path,
        author: str | None = typer.Option(None, help=_("who applies it (default: the operator)")),
        strict: bool = typer.Option(
            False, "--strict", help=_("refuse the file if it warns (e.g. a tier giving less)")
        ),
    ) -> None:
        tierwise: App = ctx.obj
        source = _read(file)
        try:
            with tierwise.uow() as uow:
                row = service.apply_policy(
                    uow, tierwise.operator, source, str(file), author, strict=strict
                )
                uow.commit()
                version, name = row.version, row.name
        except FAILURES as exc:
            raise _fail(exc) from exc
        for warning in load_policy(source, str(file)).warnings:
            console.print(f"[yellow]{warning}[/yellow]", highlight=False)
        console.print(
            _(
                "Policy version {version} ({name}) is active; it grades at the next recompute."
            ).format(version=version, name=name)
        )

    @policy.command("show", help=_("Print the active policy (or a version) as applied."))
    def show_policy(
        ctx: typer.Context,
        version: int = typer.Option(None, help=_("version number; default: the active one")),
        versions: bool = typer.Option(False, "--versions", help=_("list every version")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            if versions:
                table = Table(title=_("Policy versions"))
                for header in (_("Version"), _("Name"), _("Applied"), _("By"), _("Active")):
                    table.add_column(header)
                for row in service.policy_versions(uow.session):
                    table.add_row(
                        str(row.version),
                        row.name,
                        f"{row.applied_at:%Y-%m-%d %H:%M}",
                        row.applied_by or "—",
                        "✓" if row.active else "",
                    )
                console.print(table)
                return
            try:
                row, _policy = service.policy_version(uow.session, version)
            except FAILURES as exc:
                raise _fail(exc) from exc
            # Which version this is goes to stderr: stdout is the document, to save and reapply.
            errors.print(
                _("# version {version}, applied {at:%Y-%m-%d %H:%M} by {by}{active}").format(
                    version=row.version,
                    at=row.applied_at,
                    by=row.applied_by or "—",
                    active=_(" (active)") if row.active else "",
                ),
                markup=False,
                highlight=False,
            )
            write_document(row.source)

    @tiers.command(
        "simulate", help=_("Grade the latest snapshot under a policy file; writes nothing.")
    )
    def simulate_command(
        ctx: typer.Context,
        file: Path,
        as_of: str = typer.Option(None, help=_("YYYY-MM-DD of a stored snapshot; default: latest")),
        out: Path = typer.Option(None, help=_("write every mover to this CSV file")),
        top: int = typer.Option(15, help=_("how many of the biggest movers to print")),
    ) -> None:
        tierwise: App = ctx.obj
        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
            result = simulate(tierwise, _read(file), str(file), day)
        except FAILURES as exc:
            raise _fail(exc) from exc
        policy = result.policy
        for warning in policy.warnings:
            errors.print(escape(warning), style="yellow", highlight=False, soft_wrap=True)
        print_table(
            shares_table(policy, result.current, _("Now (as of {d})").format(d=result.as_of))
        )
        print_table(
            shares_table(
                policy, result.proposed, _("Proposed: {name}").format(name=policy.document.name)
            )
        )
        codes = [t.code for t in policy.tiers]
        matrix = Table(title=_("Migration: rows now, columns proposed"))
        matrix.add_column("")
        for code in codes:
            matrix.add_column(code, justify="right")
        for now in [*codes, None]:
            counts = [result.matrix.get((now, code), 0) for code in codes]
            if any(counts):
                matrix.add_row(now or _("none"), *(f"{n:,}" if n else "·" for n in counts))
        console.print(matrix)
        movers = result.movers
        table = Table(
            title=_("Biggest movers ({n} customers change tier)").format(n=movers.num_rows)
        )
        for header in (_("Customer"), _("Name"), _("Now"), _("Proposed"), _("Profit"), _("CLV")):
            table.add_column(header)
        for row in movers.slice(0, top).to_pylist():
            table.add_row(
                row["code"],
                row["name"],
                row["current_tier"] or "—",
                row["proposed_tier"],
                shown_value("gross_profit", row["gross_profit"]),
                shown_value("clv", row["clv"]),
            )
        console.print(table)
        if out is not None:
            with tierwise.uow() as uow:
                service.movers_taken(uow, tierwise.operator, out.name)
                uow.commit()  # who took the names is on record before the file exists
            write_table_csv(movers, out)
            console.print(_("Movers written to {file}").format(file=out))

    @tiers.command(
        "explain", help=_("Why a customer is in its tier, and what the next tier needs.")
    )
    def explain(ctx: typer.Context, code: str) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                policy, result, state = service.explanation(uow.session, code)
            except FAILURES as exc:
                raise _fail(exc) from exc
            reason = TierReason(state.reason).label(current_language()) if state else "—"
            since = state.since if state else "—"
            if result.prospect:
                heading = _(
                    "{code}: a prospect, no order yet; policy version {version}, evaluated as "
                    "of {as_of}. Its grade becomes its tier at its first purchase."
                )
            else:
                heading = _(
                    "{code}: tier {tier} since {since} ({reason}); policy version {version}, "
                    "evaluated as of {as_of}"
                )
            console.print(
                heading.format(
                    code=code,
                    tier=tier_name(policy, result.tier),
                    since=since,
                    reason=reason,
                    version=result.version,
                    as_of=result.as_of,
                ),
                highlight=False,
            )
            basis = _("value indicators") if result.basis == "value" else _("prospect scorecard")
            score = "—" if result.score is None else f"{result.score:.1f}"
            console.print(
                _("Graded on {basis}: qualifies for {tier}, score {score}").format(
                    basis=basis, tier=tier_name(policy, result.qualified), score=score
                ),
                highlight=False,
            )
            if state and state.below_since:
                console.print(
                    _(
                        "Below its tier since {date} ({n} evaluations): a downgrade is pending."
                    ).format(date=state.below_since, n=state.below_count),
                    highlight=False,
                )
            own = next(c for c in result.checks if c.tier.code == result.qualified)
            console.print(
                check_table(
                    policy, own, _("Why {tier}").format(tier=tier_name(policy, own.tier.code))
                )
            )
            up = result.next_up(policy)
            if up is None:
                console.print(_("This is the top tier."))
            else:
                title = _("Service-upgrade plan: what {tier} needs").format(
                    tier=tier_name(policy, up.tier.code)
                )
                console.print(check_table(policy, up, title))

    @tiers.command("history", help=_("Every tier a customer has held, with dates and reasons."))
    def history(ctx: typer.Context, code: str) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                entries = service.history(uow.session, code)
            except FAILURES as exc:
                raise _fail(exc) from exc
            table = Table(title=_("Tier history of {code}").format(code=code))
            for header in (_("From"), _("To"), _("Tier"), _("Was"), _("Reason"), _("Policy")):
                table.add_column(header, no_wrap=True)
            table.add_column(_("By"))
            table.add_column(_("Note"))
            for entry in entries:
                row = entry.row
                table.add_row(
                    str(row.effective_from),
                    str(entry.effective_to or "…"),
                    row.tier,
                    row.previous_tier or "—",
                    TierReason(row.reason).label(current_language()),
                    str(row.explanation.get("version", "—")),
                    row.author or _("system"),
                    note_text(row.note),
                )
            console.print(table)

    @tiers.command("override", help=_("Set a customer's tier by hand, with a reason."))
    def override(
        ctx: typer.Context,
        code: str,
        tier: str,
        reason: str = typer.Option(..., help=_("why (kept in the history)")),
        until: str = typer.Option(None, help=_("YYYY-MM-DD the override ends; default: never")),
        floor: bool = typer.Option(
            False, "--floor", help=_("a floor: the customer can still go higher")
        ),
        author: str | None = typer.Option(None, help=_("who decides (default: the operator)")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                end = dt.date.fromisoformat(until) if until else None
                new = service.override(
                    uow,
                    _deciding(tierwise, author),
                    code,
                    tier,
                    reason,
                    _today(tierwise),
                    end,
                    floor,
                )
            except FAILURES as exc:
                raise _fail(exc) from exc
            uow.commit()
        console.print(_("{code} is now in tier {tier}.").format(code=code, tier=new))

    @tiers.command(
        "blacklist", help=_("Put a customer on the blacklist (or --lift it), with a reason.")
    )
    def blacklist(
        ctx: typer.Context,
        code: str,
        reason: str = typer.Option(..., help=_("why (kept in the history)")),
        lift: bool = typer.Option(False, "--lift", help=_("take the customer off the blacklist")),
        author: str | None = typer.Option(None, help=_("who decides (default: the operator)")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                who = _deciding(tierwise, author)
                new = service.blacklist(uow, who, code, reason, _today(tierwise), lift)
            except FAILURES as exc:
                raise _fail(exc) from exc
            uow.commit()
        console.print(_("{code} is now in tier {tier}.").format(code=code, tier=new))

    @tiers.command("show", help=_("Customers and value shares per tier in the latest snapshot."))
    def show(ctx: typer.Context) -> None:
        tierwise: App = ctx.obj
        try:
            policy, shares, as_of = distribution(tierwise)
        except FAILURES as exc:
            raise _fail(exc) from exc
        print_table(shares_table(policy, shares, _("Tiers as of {d}").format(d=as_of)))
