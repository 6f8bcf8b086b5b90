"""List exports to XLSX (the receivables analysis list among them) write text as text.

Odoo's export writer hands every cell to xlsxwriter's generic ``write()``, which turns a
string starting with ``=`` into a formula: a customer named ``=HYPERLINK(...)`` would
become a live formula in the accountant's spreadsheet. Here strings go through
``write_string`` (with the quote prefix for formula-like text, as in our own reports,
see ``reports/xlsx_safe.py``); everything else is written as before."""

from odoo.addons.web.controllers import export

from ..reports.xlsx_safe import MAX_CELL_TEXT, is_formula_like


class SafeCellsMixin:
    def write(self, row, column, cell_value, style=None):
        if not isinstance(cell_value, str):
            return super().write(row, column, cell_value, style)
        if is_formula_like(cell_value):
            style = self._quoted_style(style)
        return self.worksheet.write_string(
            row, column, cell_value[:MAX_CELL_TEXT], style
        )

    def _quoted_style(self, style):
        quoted = getattr(self, "_billing_quoted_styles", None)
        if quoted is None:
            quoted = self._billing_quoted_styles = {}
        key = id(style)
        if key not in quoted:
            quoted[key] = self.workbook.add_format(
                {"text_wrap": True, "quote_prefix": True}
            )
            if style is not None and style.bold:
                quoted[key].set_bold()  # keep the look of bold group headers
        return quoted[key]


class SafeExportXlsxWriter(SafeCellsMixin, export.ExportXlsxWriter):
    pass


class SafeGroupExportXlsxWriter(SafeCellsMixin, export.GroupExportXlsxWriter):
    pass


class ExcelExport(export.ExcelExport):
    def from_group_data(self, fields, columns_headers, groups):
        with SafeGroupExportXlsxWriter(
            fields, columns_headers, groups.count
        ) as xlsx_writer:
            x, y = 1, 0
            for group_name, group in groups.children.items():
                x, y = xlsx_writer.write_group(x, y, group_name, group)
        return xlsx_writer.value

    def from_data(self, fields, columns_headers, rows):
        with SafeExportXlsxWriter(fields, columns_headers, len(rows)) as xlsx_writer:
            for row_index, row in enumerate(rows):
                for cell_index, cell_value in enumerate(row):
                    xlsx_writer.write_cell(row_index + 1, cell_index, cell_value)
        return xlsx_writer.value
