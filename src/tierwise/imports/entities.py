"""The kinds of file Tierwise imports, each with its import definition (CLI and API share them)."""

from __future__ import annotations

from enum import StrEnum

from tierwise.accountability.importing import StaffImport
from tierwise.customers.choices import CustomerKind
from tierwise.customers.importing import ContactsImport, CustomersImport
from tierwise.desk.importing import SurveysImport
from tierwise.ingest.pipeline import Entity
from tierwise.sales.importing import OrdersImport, ProductsImport


class ImportKind(StrEnum):
    """What a file holds."""

    customers = "customers"
    contacts = "contacts"
    products = "products"
    orders = "orders"
    staff = "staff"
    surveys = "surveys"


def entity_for(kind: ImportKind, new_customer_kind: CustomerKind) -> Entity:
    """The import definition for one kind of file."""
    entities: dict[ImportKind, Entity] = {
        ImportKind.customers: CustomersImport(),
        ImportKind.contacts: ContactsImport(),
        ImportKind.products: ProductsImport(),
        ImportKind.orders: OrdersImport(new_customer_kind=new_customer_kind),
        ImportKind.staff: StaffImport(),
        ImportKind.surveys: SurveysImport(),
    }
    return entities[kind]
