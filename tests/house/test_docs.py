"""The import documentation lists every column the code accepts, in English and Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.accountability.importing import STAFF_COLUMNS
from tierwise.customers.importing import CONTACT_COLUMNS, CUSTOMER_COLUMNS
from tierwise.sales.importing import ORDER_COLUMNS, PRODUCT_COLUMNS

DOC = Path(__file__).resolve().parents[2] / "docs" / "import.md"


@pytest.mark.parametrize(
    "columns",
    [STAFF_COLUMNS, CUSTOMER_COLUMNS, CONTACT_COLUMNS, PRODUCT_COLUMNS, ORDER_COLUMNS],
    ids=["staff", "customers", "contacts", "products", "orders"],
)
def test_every_column_is_documented(columns) -> None:  # type: ignore[no-untyped-def]
    text = DOC.read_text(encoding="utf-8")
    for column in columns:
        assert f"| `{column.name}` | {column.zh} |" in text, column.name
