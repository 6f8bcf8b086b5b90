"""The one place where our XLSX reports write cells.

Customer text (names, references, notes) must never become a formula in the spreadsheet
of the accountant who opens it (CSV/formula injection): text is always written with
``write_string``, and text that a spreadsheet would read as a formula when the cell is
edited (leading ``=``, ``+``, ``-``, ``@``, tab or carriage return) also gets the
"quote prefix" cell style, the XLSX form of the leading apostrophe. Formulas are written
only through :meth:`SafeXlsxWriter.write_formula`, for formulas we build ourselves.
"""

import datetime
import math
import re

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import (
    CellBlankTuple,
    CellDatetimeTuple,
    CellNumberTuple,
    CellStringTuple,
    Worksheet,
)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Excel's limit for the text of one cell.
MAX_CELL_TEXT = 32767

BASE_FORMATS = {
    "text": {"valign": "top"},
    "wrap": {"valign": "top", "text_wrap": True},
    "bold": {"bold": True},
    "title": {"bold": True, "font_size": 14},
    "filter_label": {"bold": True, "font_color": "#555555"},
    "header": {
        "bold": True,
        "bg_color": "#D9E1F2",
        "bottom": 1,
        "text_wrap": True,
        "valign": "top",
    },
    "date": {"num_format": "yyyy-mm-dd", "valign": "top"},
    "datetime": {"num_format": "yyyy-mm-dd hh:mm", "valign": "top"},
    "integer": {"num_format": "0", "valign": "top"},
    "amount": {"num_format": "#,##0.00", "valign": "top"},
    "total_label": {"bold": True, "top": 1},
    "total_amount": {"bold": True, "top": 1, "num_format": "#,##0.00"},
}


# Text that xlsxwriter's inline-string writer would change (XML escapes, control
# characters and their _xHHHH_ escapes, leading/trailing whitespace to preserve,
# rich strings): such a cell goes through xlsxwriter's own code.
_TEXT_NEEDS_CARE = re.compile(
    r'[\x00-\x08\x0b-\x1f"&<>\n\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$'
)
# Cells written by RowStreamWorksheet itself (text only when it needs no escape).
_FAST_CELLS = {CellNumberTuple, CellDatetimeTuple, CellBlankTuple}
# Column letters by index, computed once per column.
_COLUMN_NAMES = {}


class RowStreamWorksheet(Worksheet):
    """xlsxwriter worksheet writing each row of a constant-memory workbook as one
    string: the XML of xlsxwriter's ``_write_single_row()``, byte for byte (see
    ``TestXlsxSafe.test_row_stream_worksheet_writes_the_same_xml``), without its
    per-cell attribute escaping and regular expressions, which took most of the time of
    a large export. Rows and cells it has no fast path for (row formats or heights,
    comments, Excel 2010 rows, formulas, booleans, text needing escapes) are written by
    xlsxwriter itself."""

    def _store_row(self, row, cells):
        """Store ``cells`` (``[(col, xlsxwriter cell tuple)]``, ascending columns, every
        cell with a format) in row ``row`` as xlsxwriter's ``write_*()`` would one by
        one, the checks made once for the row. False, storing nothing, when the row is
        not one of a constant-memory sheet that can still be written."""
        if not (
            cells
            and self.constant_memory
            and self.previous_row <= row < self.xls_rowmax
            and cells[0][0] >= 0
            and cells[-1][0] < self.xls_colmax
        ):
            return False
        self._check_dimensions(row, cells[0][0])
        self._check_dimensions(row, cells[-1][0])
        if row > self.previous_row:
            self._write_single_row(row)
        self.table[row].update(cells)
        return True

    def __init__(self):
        super().__init__()
        # the style attribute of each cell format (its index is fixed once assigned)
        self._cell_styles = {}

    def _write_single_row(self, current_row_num=0):
        row_num = self.previous_row
        cells = self.table.get(row_num)
        if (
            not cells
            or row_num in self.row_info
            or row_num in self.comments
            or self.excel_version != 2007
            or self.default_row_height != self.original_row_height
        ):
            super()._write_single_row(current_row_num)
            return
        self.previous_row = current_row_num
        excel_row = str(row_num + 1)
        parts = [f'<row r="{excel_row}">']
        styles = self._cell_styles
        for col in sorted(cells):
            cell = cells[col]
            kind = type(cell)
            if kind is CellStringTuple:
                if _TEXT_NEEDS_CARE.search(cell.string):
                    kind = None
            elif kind not in _FAST_CELLS:
                kind = None
            if kind is None:
                self.fh.write("".join(parts))
                parts.clear()
                self._write_cell(row_num, col, cell)
                continue
            cell_format = cell.format
            if not cell_format and col in self.col_info:
                cell_format = self.col_info[col].column_format
            if cell_format:
                style = styles.get(cell_format)
                if style is None:
                    style = styles[cell_format] = f' s="{cell_format._get_xf_index()}"'
            else:
                style = ""
            name = _COLUMN_NAMES.get(col)
            if name is None:
                name = _COLUMN_NAMES[col] = xl_col_to_name(col)
            if kind is CellStringTuple:
                parts.append(
                    f'<c r="{name}{excel_row}"{style} t="inlineStr"><is><t>'
                    f"{cell.string}</t></is></c>"
                )
            elif kind is CellBlankTuple:
                parts.append(f'<c r="{name}{excel_row}"{style}/>')
            else:
                parts.append(
                    f'<c r="{name}{excel_row}"{style}><v>{cell.number:.16G}</v></c>'
                )
        parts.append("</row>")
        self.fh.write("".join(parts))
        self.table.clear()


def is_formula_like(value):
    """True for text that a spreadsheet would take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


class SafeXlsxWriter:
    """Writes typed values into xlsxwriter worksheets; formats are created once per
    workbook (xlsxwriter keeps every format object until the file is closed)."""

    def __init__(self, workbook, formats=None):
        self.workbook = workbook
        # The sheets added from now on write their rows through the fast row writer.
        workbook.worksheet_class = RowStreamWorksheet
        self._props = dict(BASE_FORMATS, **(formats or {}))
        self._formats = {}

    def format(self, name, quote=False):
        key = (name, quote)
        cell_format = self._formats.get(key)
        if cell_format is None:
            props = dict(self._props[name])
            if quote:
                props["quote_prefix"] = True
            cell_format = self._formats[key] = self.workbook.add_format(props)
        return cell_format

    def currency_format(self, currency, total=False):
        """The name of a number format showing ``currency``'s symbol and decimals."""
        name = f"{'total_' if total else ''}amount_{currency.id}"
        if name not in self._props:
            before = currency.symbol if currency.position == "before" else ""
            after = currency.symbol if currency.position == "after" else ""
            number = "#,##0" + (
                "." + "0" * currency.decimal_places if currency.decimal_places else ""
            )
            # Symbols are quoted: "$" or "€" inside a number format would be read as codes.
            num_format = (
                (f'"{before}"' if before else "")
                + number
                + (f' "{after}"' if after else "")
            )
            base = self._props["total_amount" if total else "amount"]
            self._props[name] = dict(base, num_format=f"{num_format};-{num_format}")
        return name

    # Not an Odoo model's write(): a helper class with no parent method to call.
    def write(self, sheet, row, col, value, fmt=None):  # pylint: disable=method-required-super
        """Write ``value`` by its Python type; ``None``/``False`` leave a blank cell."""
        if value is None or value is False:
            sheet.write_blank(row, col, None, self.format(fmt or "text"))
        elif value is True:
            sheet.write_boolean(row, col, True, self.format(fmt or "text"))
        elif isinstance(value, (int, float)):
            sheet.write_number(row, col, value, self.format(fmt or "amount"))
        elif isinstance(value, datetime.datetime):
            sheet.write_datetime(row, col, value, self.format(fmt or "datetime"))
        elif isinstance(value, datetime.date):
            sheet.write_datetime(
                row,
                col,
                datetime.datetime.combine(value, datetime.time()),
                self.format(fmt or "date"),
            )
        else:
            self.write_text(sheet, row, col, value, fmt)

    def write_text(self, sheet, row, col, value, fmt=None):
        """Text as text, never as a formula, whatever it starts with."""
        text = str(value)[:MAX_CELL_TEXT]
        sheet.write_string(
            row, col, text, self.format(fmt or "text", quote=is_formula_like(text))
        )

    def write_row(self, sheet, row, values, formats=None):
        """``write()`` of each value; a row of text, numbers, dates and blanks is stored
        at once in a :class:`RowStreamWorksheet` (most rows of a large export)."""
        formats = formats or [None] * len(values)
        if isinstance(sheet, RowStreamWorksheet):
            cells = self._row_cells(sheet, values, formats)
            if cells is not None and sheet._store_row(row, cells):
                return
        for col, (value, fmt) in enumerate(zip(values, formats, strict=True)):
            self.write(sheet, row, col, value, fmt)

    def _row_cells(self, sheet, values, formats):
        """The cells ``write()`` would store for ``values``; None when one of them takes
        another path (booleans, other types, text long enough to be truncated, NaN)."""
        cells = []
        known = self._formats
        for col, (value, fmt) in enumerate(zip(values, formats, strict=True)):
            kind = type(value)
            if kind is str:
                if len(value) > sheet.xls_strmax // 2:
                    return None
                key = (fmt or "text", value.startswith(FORMULA_PREFIXES))
                cell = CellStringTuple(value, known.get(key) or self.format(*key))
            elif kind is float or kind is int:
                if kind is float and not math.isfinite(value):
                    return None
                key = (fmt or "amount", False)
                cell = CellNumberTuple(value, known.get(key) or self.format(*key))
            elif value is None or value is False:
                key = (fmt or "text", False)
                cell = CellBlankTuple(known.get(key) or self.format(*key))
            elif kind is datetime.date:
                moment = datetime.datetime.combine(value, datetime.time())
                cell = CellDatetimeTuple(
                    sheet._convert_date_time(moment), self.format(fmt or "date")
                )
            elif kind is datetime.datetime:
                cell = CellDatetimeTuple(
                    sheet._convert_date_time(value), self.format(fmt or "datetime")
                )
            else:
                return None
            cells.append((col, cell))
        return cells

    def write_formula(self, sheet, row, col, formula, fmt=None, value=None):
        """A formula of ours (e.g. ``SUM`` over our own number cells); ``value`` is the
        cached result shown by viewers that do not recalculate."""
        sheet.write_formula(
            row, col, formula, self.format(fmt or "total_amount"), value
        )
