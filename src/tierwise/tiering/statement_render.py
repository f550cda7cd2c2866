"""Statements and the tier programme as HTML pages, and as PDF printed by Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from tierwise.errors import DomainError
from tierwise.i18n import _, current_language
from tierwise.tiering.benefits import terms_table
from tierwise.tiering.policy import Policy
from tierwise.tiering.statement import TierStatement
from tierwise.web.render import ENV

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT_SECONDS = 60


class PdfUnavailable(DomainError):
    """No browser to print a PDF with on this machine."""

    status = 503


def statement_html(statement: TierStatement) -> str:
    """The statement as one self-contained page, in the current language."""
    return ENV.get_template("statement.html").render(s=statement, lang=current_language())


def programme_html(policy: Policy) -> str:
    """Every tier's conditions and benefits, for customers (a public page)."""
    header, rows = terms_table(policy, current_language())
    tiers = [t for t in policy.value_tiers if t.terms is not None]
    return ENV.get_template("programme.html").render(
        header=header, rows=rows, tiers=tiers, lang=current_language()
    )


def pdf_of(html: str) -> bytes:
    """The page printed to PDF by a headless Chromium (A4, CJK fonts from the system)."""
    browser = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    if browser is None:
        raise PdfUnavailable(
            _("a PDF needs Chromium on this machine (apt-get install chromium); use HTML instead")
        )
    with tempfile.TemporaryDirectory() as folder:
        page, pdf = Path(folder) / "statement.html", Path(folder) / "statement.pdf"
        page.write_text(html, "utf-8")
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={folder}/profile",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ]
        printing = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        try:
            _out, stderr = printing.communicate(timeout=PRINT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(printing.pid, signal.SIGKILL)  # the browser and every helper it started
            printing.communicate()
            raise PdfUnavailable(
                _("Chromium did not print the PDF within {seconds} seconds").format(
                    seconds=PRINT_SECONDS
                )
            ) from None
        if printing.returncode != 0 or not pdf.exists():
            raise PdfUnavailable(
                _("Chromium could not print the PDF: {reason}").format(
                    reason=stderr.decode(errors="replace").strip()[-300:] or printing.returncode
                )
            )
        return pdf.read_bytes()
