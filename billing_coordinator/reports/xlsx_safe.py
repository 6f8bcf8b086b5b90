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

from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.worksheet import Worksheet

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


# Characters of text that xlsxwriter's inline-string writer may change (XML escapes,
# control characters and their _xHHHH_ escapes, rich strings, a newline that ends it):
# such text, and text with whitespace to preserve at either end (str.strip() strips
# what the regular expression \s matches), goes through xlsxwriter's escaping
# functions. One character class: alternatives made this the slowest step of a row.
_TEXT_NEEDS_CARE = re.compile('[\x00-\x08\x0b-\x1f"&<>\n_\ufffe\uffff]')
# Column letters by index ("A", "B", ...), extended as wider rows come.
_COLUMN_NAMES = []


def _column_names(count):
    while len(_COLUMN_NAMES) < count:
        _COLUMN_NAMES.append(xl_col_to_name(len(_COLUMN_NAMES)))
    return _COLUMN_NAMES


class RowStreamWorksheet(Worksheet):
    """xlsxwriter worksheet taking whole rows of a constant-memory workbook as XML
    built by :meth:`SafeXlsxWriter.write_row` in one pass over the values: the XML of
    xlsxwriter's ``_write_single_row()``, byte for byte (see
    ``TestXlsxSafe.test_row_stream_worksheet_writes_the_same_xml``), without its cell
    objects, cell table, sort and per-cell attribute escaping, which took most of the
    time of a large export. Everything else (cells written one by one, rows with a
    format, height or comment, Excel 2010 rows) is written by xlsxwriter itself."""

    def __init__(self):
        super().__init__()
        # The row stored by _store_row_xml and not written yet:
        # (row, last column, XML of its cells, a callable writing them cell by cell).
        self._pending_row = None

    def _open_row(self, row, last_col):
        """True when ``row`` (cells 0 to ``last_col``) may be stored as XML with
        ``_store_row_xml()``: a row of a constant-memory sheet not written yet, with no
        cells yet and nothing xlsxwriter adds to the row element. The row before it is
        written first, as xlsxwriter's ``write_*()`` does."""
        if not (
            self.constant_memory
            and self.previous_row <= row < self.xls_rowmax
            and 0 <= last_col < self.xls_colmax
            and row not in self.row_info
            and row not in self.comments
            and self.excel_version == 2007
            and self.default_row_height == self.original_row_height
        ):
            return False
        if row > self.previous_row:
            self._write_single_row(row)
        elif self._pending_row or self.table.get(row):
            return False
        return True

    def _store_row_xml(self, row, last_col, xml, replay):
        """Store the ``<c>`` elements ``xml`` of cells 0 to ``last_col`` as row ``row``
        (after ``_open_row()``). ``replay()`` writes the same cells one by one: it is
        called instead when the row must be written by xlsxwriter after all."""
        self._check_dimensions(row, 0)
        self._check_dimensions(row, last_col)
        self._pending_row = (row, last_col, xml, replay)

    def _write_single_row(self, current_row_num=0):
        pending = self._pending_row
        if pending is None or pending[0] != self.previous_row:
            super()._write_single_row(current_row_num)
            return
        self._pending_row = None
        row_num, last_col, xml, replay = pending
        extra = self.table.get(row_num)
        if (
            (extra and min(extra) <= last_col)
            or row_num in self.row_info
            or row_num in self.comments
            or self.excel_version != 2007
            or self.default_row_height != self.original_row_height
        ):
            # Cells written over the row, or set_row()/a comment after it: the row's
            # cells as xlsxwriter stores them, the later ones on top, written by it.
            extra = dict(extra or {})
            self.table.clear()
            replay()
            self.table[row_num].update(extra)
            super()._write_single_row(current_row_num)
            return
        self.previous_row = current_row_num
        self.fh.write(f'<row r="{row_num + 1}">{xml}')
        # Cells added on the right of the row afterwards (e.g. a comment column).
        for col in sorted(extra or ()):
            self._write_cell(row_num, col, extra[col])
        self.fh.write("</row>")
        self.table.clear()


def is_formula_like(value):
    """True for text that a spreadsheet would take for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def _inline_text(sheet, text):
    """The ``<t>`` element of an inline string as xlsxwriter's ``_write_cell()`` writes
    it (its own escaping functions); None for text it writes as a rich string."""
    text = sheet._escape_control_characters(text)
    if text.startswith("<r>") and text.endswith("</r>"):
        return None
    preserve = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    return f"<t{preserve}>{sheet._escape_data(text)}</t>"


class SafeXlsxWriter:
    """Writes typed values into xlsxwriter worksheets; formats are created once per
    workbook (xlsxwriter keeps every format object until the file is closed)."""

    def __init__(self, workbook, formats=None):
        self.workbook = workbook
        # The sheets added from now on write their rows through the fast row writer.
        workbook.worksheet_class = RowStreamWorksheet
        self._props = dict(BASE_FORMATS, **(formats or {}))
        self._formats = {}
        # the style attribute of each format key, the cell value of each date (a few
        # distinct dates: the due and invoice dates of a report)
        self._styles = {}
        self._date_values = {}

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
        """``write()`` of each value; a row of text, numbers, dates and blanks goes to a
        :class:`RowStreamWorksheet` as XML built in one pass (most rows of a large
        export)."""
        formats = formats or [None] * len(values)
        if isinstance(sheet, RowStreamWorksheet) and sheet._open_row(
            row, len(values) - 1
        ):
            xml = self._row_xml(sheet, row, values, formats)
            if xml is not None:
                # the row's values as they are now, should the caller reuse its lists
                cells = (tuple(values), tuple(formats))
                sheet._store_row_xml(
                    row,
                    len(values) - 1,
                    xml,
                    lambda: self._write_cells(sheet, row, *cells),
                )
                return
        self._write_cells(sheet, row, values, formats)

    def _write_cells(self, sheet, row, values, formats):
        for col, (value, fmt) in enumerate(zip(values, formats, strict=True)):
            self.write(sheet, row, col, value, fmt)

    def _style(self, key):
        """The `` s="N"`` attribute of format ``key`` (a ``format()`` key), kept once
        the format has its index; None before: xlsxwriter numbers formats as it writes
        their first cell, so a row with a format not written yet goes through it."""
        cell_format = self.format(*key)
        # (a format equal to one written already has that one's index)
        if (
            cell_format.xf_index is None
            and cell_format._get_format_key() not in cell_format.xf_format_indices
        ):
            return None
        style = self._styles[key] = f' s="{cell_format._get_xf_index()}"'
        return style

    def _row_xml(self, sheet, row, values, formats):
        """The ``<c>`` elements xlsxwriter writes for the cells ``write()`` would store
        for ``values``; None when one of them takes another path (booleans, other types,
        text long enough to be truncated or looking like a rich string, NaN, a format
        not written yet)."""
        excel_row = str(row + 1)
        names = _column_names(len(values))
        styles = self._styles
        dates = self._date_values
        max_text = sheet.xls_strmax // 2
        parts = []
        for col, (value, fmt) in enumerate(zip(values, formats, strict=True)):
            kind = type(value)
            if kind is str:
                if len(value) > max_text:
                    return None
                key = (fmt or "text", value.startswith(FORMULA_PREFIXES))
                if _TEXT_NEEDS_CARE.search(value) or value.strip() != value:
                    text = _inline_text(sheet, value)
                    if text is None:
                        return None
                else:
                    text = f"<t>{value}</t>"
                tail = f' t="inlineStr"><is>{text}</is></c>'
            elif kind is float or kind is int:
                if kind is float and not math.isfinite(value):
                    return None
                key = (fmt or "amount", False)
                tail = f"><v>{value:.16G}</v></c>"
            elif value is None or value is False:
                key = (fmt or "text", False)
                tail = "/>"
            elif kind is datetime.date:
                key = (fmt or "date", False)
                number = dates.get(value)
                if number is None:
                    moment = datetime.datetime.combine(value, datetime.time())
                    number = dates[value] = f"{sheet._convert_date_time(moment):.16G}"
                tail = f"><v>{number}</v></c>"
            elif kind is datetime.datetime:
                key = (fmt or "datetime", False)
                tail = f"><v>{sheet._convert_date_time(value):.16G}</v></c>"
            else:
                return None
            style = styles.get(key) or self._style(key)
            if style is None:
                return None
            parts.append(f'<c r="{names[col]}{excel_row}"{style}{tail}')
        return "".join(parts)

    def write_formula(self, sheet, row, col, formula, fmt=None, value=None):
        """A formula of ours (e.g. ``SUM`` over our own number cells); ``value`` is the
        cached result shown by viewers that do not recalculate."""
        sheet.write_formula(
            row, col, formula, self.format(fmt or "total_amount"), value
        )
