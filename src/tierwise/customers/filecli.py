"""`tierwise customers add|update` and `tierwise customers contact add|edit`: the customer file
kept from the command line."""

from __future__ import annotations

import typer

from tierwise.customers import people, usecases
from tierwise.customers.creation import FILE_FIELDS, field_label
from tierwise.customers.scopes import visible_customer
from tierwise.errors import DomainError
from tierwise.i18n import N_, _
from tierwise.runtime import App
from tierwise.terminal import console, print_error

SET_HELP = N_("another field of the file as FIELD=VALUE, e.g. credit_limit=50000 (repeatable)")


def fields_set(pairs: list[str]) -> dict[str, str]:
    """The FIELD=VALUE pairs of --set, refused in plain words when one is not a field."""
    fields: dict[str, str] = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        field = field.strip().replace("-", "_")
        if not sep or field not in FILE_FIELDS:
            names = ", ".join(FILE_FIELDS)
            raise ValueError(
                _("--set {pair}: give FIELD=VALUE with FIELD one of {names}").format(
                    pair=pair, names=names
                )
            )
        fields[field] = value
    return fields


def given(**options: str | None) -> dict[str, str]:
    """The options the user gave (an empty text clears the field on update)."""
    return {name: value for name, value in options.items() if value is not None}


def register_file_commands(customers: typer.Typer) -> None:
    """Add the commands that add and change customers to `tierwise customers`."""

    @customers.command("add", help=_("Add a customer or prospect (a prospect unless --status)."))
    def add(
        ctx: typer.Context,
        name: str = typer.Option(..., help=_("the customer's name")),
        code: str = typer.Option(None, help=_("default: the next code of the sequence")),
        phone: str = typer.Option(None, help=_("phone number")),
        email: str = typer.Option(None, help=_("email address")),
        address: str = typer.Option(None, help=_("postal address")),
        kind: str = typer.Option(None, help=_("enterprise or individual (default enterprise)")),
        status: str = typer.Option(None, help=_("default: prospect")),
        industry: str = typer.Option(None, help=_("industry")),
        region: str = typer.Option(None, help=_("region")),
        marketing_type: str = typer.Option(None, help=_("key or label, in either language")),
        management_class: str = typer.Option(None, help=_("key or label, in either language")),
        channel: str = typer.Option(None, help=_("direct or agent (default direct)")),
        referred_by: str = typer.Option(None, help=_("code of the customer who referred it")),
        set_: list[str] = typer.Option([], "--set", help=_(SET_HELP)),
    ) -> None:
        tierwise: App = ctx.obj
        fields = given(
            name=name,
            code=code,
            phone=phone,
            email=email,
            address=address,
            kind=kind,
            status=status,
            industry=industry,
            region=region,
            marketing_type=marketing_type,
            management_class=management_class,
            channel=channel,
            referred_by=referred_by,
        )
        with tierwise.uow() as uow:
            try:
                fields |= fields_set(set_)
                added = usecases.create_customer(
                    uow, tierwise.operator, fields, tierwise.settings.today()
                )
            except (LookupError, ValueError, DomainError) as exc:
                print_error(exc)
                raise typer.Exit(1) from exc
            uow.commit()
        console.print(_("Added customer {code}.").format(code=added))

    @customers.command("update", help=_("Change fields of a customer's file (audited)."))
    def update(
        ctx: typer.Context,
        code: str,
        churn_type: str = typer.Option(
            None,
            help=_("why it was lost, by key or label in either language; '' when not known"),
        ),
        marketing_type: str = typer.Option(None, help=_("key or label; '' clears it")),
        management_class: str = typer.Option(None, help=_("key or label; '' clears it")),
        channel: str = typer.Option(None, help=_("direct or agent")),
        status: str = typer.Option(None, help=_("the new status")),
        referred_by: str = typer.Option(None, help=_("code of the referring customer; '' clears")),
        set_: list[str] = typer.Option([], "--set", help=_(SET_HELP)),
    ) -> None:
        tierwise: App = ctx.obj
        changes: dict[str, str] = given(
            churn_type=churn_type,
            marketing_type=marketing_type,
            management_class=management_class,
            channel=channel,
            status=status,
            referred_by=referred_by,
        )
        with tierwise.uow() as uow:
            try:
                changes |= fields_set(set_)
                if not changes:
                    raise ValueError(_("nothing to change: give at least one field"))
                customer = visible_customer(uow.session, tierwise.operator, code)
                usecases.update_customer(
                    uow,
                    tierwise.operator,
                    code,
                    dict(changes),
                    customer.version,
                    tierwise.settings.today(),
                )
            except (LookupError, ValueError, DomainError) as exc:
                print_error(exc)
                raise typer.Exit(1) from exc
            uow.commit()
        names = ", ".join(field_label(f) for f in changes)
        console.print(_("Saved: {fields}.").format(fields=names))

    contact = typer.Typer(help=_("The people at a customer."), no_args_is_help=True)
    customers.add_typer(contact, name="contact")

    @contact.command("add", help=_("Add a person at a customer (keyed by customer and name)."))
    def add_contact(
        ctx: typer.Context,
        code: str = typer.Argument(..., help=_("the customer's code")),
        name: str = typer.Option(..., help=_("the person's name")),
        department: str = typer.Option(None, help=_("department")),
        title: str = typer.Option(None, help=_("their role at the customer")),
        phone: str = typer.Option(None, help=_("phone number")),
        email: str = typer.Option(None, help=_("email address")),
        primary: bool = typer.Option(False, "--primary", help=_("the customer's primary contact")),
    ) -> None:
        tierwise: App = ctx.obj
        fields: dict[str, object] = {
            **given(name=name, department=department, title=title, phone=phone, email=email)
        }
        fields["is_primary"] = primary
        with tierwise.uow() as uow:
            try:
                person = people.add_contact(uow, tierwise.operator, code, fields)
            except (LookupError, ValueError, DomainError) as exc:
                print_error(exc)
                raise typer.Exit(1) from exc
            uow.commit()
        console.print(_("Added contact {code}.").format(code=person.code))

    @contact.command("edit", help=_("Change a person at a customer; '' clears a field."))
    def edit_contact(
        ctx: typer.Context,
        code: str = typer.Argument(..., help=_("the customer's code")),
        contact_code: str = typer.Argument(..., help=_("the contact's code")),
        name: str = typer.Option(None, help=_("the person's name")),
        department: str = typer.Option(None, help=_("department")),
        title: str = typer.Option(None, help=_("their role at the customer")),
        phone: str = typer.Option(None, help=_("phone number")),
        email: str = typer.Option(None, help=_("email address")),
        primary: bool = typer.Option(
            None, "--primary/--not-primary", help=_("whether this is the customer's main contact")
        ),
    ) -> None:
        tierwise: App = ctx.obj
        changes: dict[str, object] = {
            **given(name=name, department=department, title=title, phone=phone, email=email)
        }
        if primary is not None:
            changes["is_primary"] = primary
        with tierwise.uow() as uow:
            try:
                people.update_contact(uow, tierwise.operator, code, contact_code, changes)
            except (LookupError, ValueError, DomainError) as exc:
                print_error(exc)
                raise typer.Exit(1) from exc
            uow.commit()
        console.print(_("Saved."))
