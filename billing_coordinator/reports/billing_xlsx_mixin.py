from odoo import models

from .xlsx_safe import SafeXlsxWriter


class BillingXlsxMixin(models.AbstractModel):
    """Base of every XLSX report of the module (OCA ``report_xlsx``): constant-memory
    workbooks, cells written through :class:`SafeXlsxWriter` and a common header block
    (title, filters) above a table with a frozen header row and an autofilter."""

    _name = "billing.xlsx.mixin"
    _inherit = "report.report_xlsx.abstract"
    _description = "Billing XLSX Report Base"

    def get_workbook_options(self):
        # constant_memory: each row goes to a temporary file once the next row starts, so
        # memory does not grow with the number of rows (rows must be written in order).
        # No automatic conversion of text: a string is never turned into a formula, a URL
        # or a number behind our back.
        return {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        }

    def _xlsx_writer(self, workbook):
        return SafeXlsxWriter(workbook)

    def _xlsx_header_block(self, writer, sheet, title, filters):
        """Title and one ``label: value`` line per filter; returns the next free row."""
        writer.write_text(sheet, 0, 0, title, "title")
        row = 1
        for label, value in filters:
            writer.write_text(sheet, row, 0, label, "filter_label")
            writer.write(sheet, row, 1, value)
            row += 1
        return row + 1

    def _xlsx_table_header(self, writer, sheet, row, columns):
        """Column titles at ``row`` with widths; freezes the panes below them and sets
        the page up for printing (landscape, all columns on the page width, the titles
        repeated on every page). ``columns``: a list of ``(title, width)``."""
        for col, (title, width) in enumerate(columns):
            sheet.set_column(col, col, width)
            writer.write_text(sheet, row, col, title, "header")
        sheet.freeze_panes(row + 1, 0)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(row)
        return row + 1
