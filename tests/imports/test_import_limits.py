"""Hostile files are refused before they cost much: size, rows, columns, overlong cells."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Connection

from tierwise.bootstrap import App
from tierwise.config import Settings
from tierwise.customers.importing import CustomersImport
from tierwise.ingest.errors import ImportFileError, ImportRejected, RowError
from tierwise.ingest.tables import Limits
from tierwise.server import create_app

from ..support.api_world import World
from ..support.import_support import CUSTOMERS, codes, load, snapshot

LONG = "x" * 40_000  # past Excel's 32,767 characters, the default cell limit


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def shared_strings_workbook(path: Path, rows: list[list[str]]) -> Path:
    """A workbook as Excel writes it, texts in the shared strings (openpyxl writes them inline)."""
    texts = sorted({t for row in rows for t in row})
    index = {t: i for i, t in enumerate(texts)}
    cells = "".join(
        f'<row r="{r}">'
        + "".join(f'<c r="{chr(65 + c)}{r}" t="s"><v>{index[t]}</v></c>' for c, t in enumerate(row))
        + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{package}/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{kind}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}.sharedStrings+xml"/>'
        "</Types>",
        "_rels/.rels": f'<Relationships xmlns="{package}/relationships">'
        f'<Relationship Id="r1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="r1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{package}/relationships">'
        f'<Relationship Id="r1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="r2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}">'
        f"<sheetData>{cells}</sheetData></worksheet>",
        "xl/sharedStrings.xml": f'<sst xmlns="{main}">'
        + "".join(f"<si><t>{t}</t></si>" for t in texts)
        + "</sst>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def test_a_shared_strings_workbook_imports(connection: Connection, tmp_path: Path) -> None:
    path = shared_strings_workbook(tmp_path / "ok.xlsx", [["code", "name"], ["C1", "Acme"]])
    assert load(connection, CustomersImport(), path).counts.inserted == 1


def test_an_overlong_shared_string_refuses_the_workbook_before_it_is_opened(
    connection: Connection, tmp_path: Path
) -> None:
    rows = [["code", "name", "notes"], ["C1", "Acme", LONG]]
    path = shared_strings_workbook(tmp_path / "long.xlsx", rows)

    with pytest.raises(ImportFileError) as caught:
        load(connection, CustomersImport(), path)

    assert caught.value.message == "a text cell holds more than 32767 characters"
    assert codes(connection, CUSTOMERS) == []


def test_an_overlong_inline_text_refuses_the_workbook_before_it_is_opened(
    connection: Connection, tmp_path: Path
) -> None:
    saved = _workbook(tmp_path / "saved.xlsx", [["code", "name", "notes"], ["C1", "Acme", "LONG"]])
    path = tmp_path / "inline.xlsx"
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():  # openpyxl cuts texts at 32,767 characters when it saves
            part = source.read(info)
            sheet = info.filename.startswith("xl/worksheets/")
            target.writestr(info, part.replace(b">LONG<", f">{LONG}<".encode()) if sheet else part)
        assert "xl/sharedStrings.xml" not in source.namelist()  # the texts are inline

    with pytest.raises(ImportFileError) as caught:
        load(connection, CustomersImport(), path)

    assert caught.value.message == "a text cell holds more than 32767 characters"
    assert codes(connection, CUSTOMERS) == []


def test_a_workbook_unpacking_past_the_limit_is_refused(
    connection: Connection, tmp_path: Path
) -> None:
    rows: list[list[object]] = [["code", "name"]]
    rows += [[f"C{i}", "Acme " * 20] for i in range(5_000)]
    path = _workbook(tmp_path / "big.xlsx", rows)

    with pytest.raises(ImportFileError) as caught:
        load(connection, CustomersImport(), path, limits=Limits(xlsx_bytes=1 << 20))

    assert caught.value.message.startswith("the workbook unpacks to ")
    assert caught.value.message.endswith("more than 1 MB; save it as CSV or raise the limit")
    assert codes(connection, CUSTOMERS) == []


def test_a_sheet_wider_than_the_limit_is_refused_at_its_header(
    connection: Connection, tmp_path: Path
) -> None:
    path = _workbook(tmp_path / "wide.xlsx", [["code", "name", *range(3_000)], ["C1", "Acme"]])
    with pytest.raises(ImportFileError) as caught:
        load(connection, CustomersImport(), path)
    assert caught.value.message == "row 1 has 501 columns; at most 500 are accepted"


def test_a_csv_wider_than_the_limit_is_refused(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    headers = ["code", "name", *(f"extra{i}" for i in range(499))]
    path = write_csv("wide.csv", ",".join(headers) + "\nC1,Acme" + "," * 499 + "\n")
    with pytest.raises(ImportFileError) as caught:
        load(connection, CustomersImport(), path)
    assert caught.value.message == "row 1 has 501 columns; at most 500 are accepted"


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_rows_past_the_limit_refuse_the_file_and_nothing_is_written(
    connection: Connection, tmp_path: Path, suffix: str
) -> None:
    rows = [["code", "name"], *([f"C{i}", f"Name {i}"] for i in range(6))]
    path = tmp_path / f"rows.{suffix}"
    if suffix == "csv":
        path.write_text("".join(",".join(r) + "\n" for r in rows))
    else:
        _workbook(path, rows)  # type: ignore[arg-type]
    before = snapshot(connection)

    with pytest.raises(ImportFileError) as caught:
        load(connection, CustomersImport(), path, limits=Limits(rows=5), batch_rows=2)

    assert caught.value.message == "more than 5 rows; split the file or raise the limit"
    assert snapshot(connection) == before


def test_an_overlong_csv_cell_is_named_and_echoed_short(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv("long.csv", f"code,name,notes\nC1,Acme,ok\nC2,Beta,{LONG}\n")
    with pytest.raises(ImportRejected) as caught:
        load(connection, CustomersImport(), path)
    assert caught.value.log.errors == [
        RowError("long.csv", 3, "notes", LONG, "at most 32767 characters in a cell")
    ]
    assert caught.value.log.errors[0].value == "x" * 100 + "… (40000 characters)"
    assert codes(connection, CUSTOMERS) == []


def test_a_bad_value_is_echoed_short(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv("name.csv", f"code,name\nC1,{'n' * 300}\n")
    with pytest.raises(ImportRejected) as caught:
        load(connection, CustomersImport(), path)
    (error,) = caught.value.log.errors
    assert error.value == "n" * 100 + "… (300 characters)"
    assert str(error).count("n" * 100) == 1


@pytest.fixture
def small_uploads(world: World) -> TestClient:
    """The API and console with a 1 MB request limit, on the shared world's database."""
    settings = Settings(database_url=world.app.settings.database_url, import_max_upload_mb=1)
    return TestClient(create_app(App(settings=settings, engine=world.app.engine)))


def test_an_upload_past_the_request_limit_gets_413_from_the_api_and_the_console(
    small_uploads: TestClient, world: World
) -> None:
    body = "code,name\n" + "C1,Acme\n" * 200_000  # 1.6 MB
    files = {"file": ("big.csv", body.encode(), "text/csv")}
    token = {"Authorization": f"Bearer {world.tokens['admin']}"}

    api = small_uploads.post("/api/v1/imports/customers", files=files, headers=token)
    assert api.status_code == 413
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["detail"] == "the request is larger than 1 MB (TIERWISE_IMPORT_MAX_UPLOAD_MB)"

    page = small_uploads.post("/imports", data={"kind": "customers"}, files=files)
    assert page.status_code == 413
    assert "the request is larger than 1 MB" in page.text


def test_a_large_sheet_that_does_not_state_its_size_is_refused_before_it_is_read(
    connection: Connection, tmp_path: Path
) -> None:
    """openpyxl would read such a sheet whole just to open the workbook."""
    rows = [["code", "name"], *([f"C{i}", "N"] for i in range(250_000))]
    path = shared_strings_workbook(tmp_path / "unsized.xlsx", rows)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > 16 << 20

    with pytest.raises(ImportFileError) as caught:
        load(connection, CustomersImport(), path)

    assert caught.value.message == (
        "the sheet sheet1.xml does not state its size, so it would be read whole just to open it; "
        "save the workbook with Excel, or as CSV"
    )


def test_a_growth_rate_its_column_cannot_hold_is_named_and_nothing_is_written(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    path = write_csv("growth.csv", "code,name,growth_rate\nG1,Alpha,12%\nG2,Beta,99999999\n")

    with pytest.raises(ImportRejected) as caught:
        load(connection, CustomersImport(), path)

    [error] = caught.value.log.errors
    assert (error.file, error.row, error.column, error.value) == (
        "growth.csv",
        3,
        "growth_rate",
        "99999999",
    )
    assert "the largest value accepted is 99,999.9999" in error.expectation
    assert codes(connection, CUSTOMERS) == []
