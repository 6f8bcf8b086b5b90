import datetime
import io
from unittest.mock import patch

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.billing_coordinator.reports.xlsx_safe import (
    RowStreamWorksheet,
    SafeXlsxWriter,
    is_formula_like,
)

from .common import BillingCaseCommon
from .reports_common import (
    INJECTIONS,
    PdfTestMixin,
    XlsxTestMixin,
    ooxml_text,
    open_xlsx,
    xlsx_parts,
)

# Values of every kind the fast row writer handles or hands back to xlsxwriter.
ROW_VALUES = [
    "plain",
    "",
    " leading space",
    "trailing space ",
    "two\nlines",
    "x & y <z>",
    'a "quote"',
    "<r>not rich</r>",
    "tab\tinside",
    "\x01control",
    "_x0041_ literal escape",
    "\u00a0no-break space",
    "é ü € 漢字",
    "\ufffe",
    "x" * 20000,
    0,
    7,
    -1,
    0.1 + 0.2,
    1e20,
    -1234567.891,
    -0.0,
    None,
    True,
    False,
    datetime.date(2026, 1, 31),
    datetime.datetime(2026, 2, 1, 13, 45, 30),
    float("nan"),
    float("-inf"),
    10**17,
    "ends with a newline\n",
    "a & b at the end ",
    *INJECTIONS,
]


@tagged("post_install", "-at_install")
class TestXlsxSafe(BillingCaseCommon):
    """Formula injection: customer text is written as text in every XLSX we write."""

    def test_writer_keeps_formula_like_text_as_text(self):
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"constant_memory": True})
        writer = SafeXlsxWriter(workbook)
        sheet = workbook.add_worksheet()
        for row, text in enumerate(INJECTIONS):
            writer.write(sheet, row, 0, text)
        writer.write(sheet, len(INJECTIONS), 0, "Plain name")
        writer.write(sheet, len(INJECTIONS), 1, 12.5)
        writer.write_formula(sheet, len(INJECTIONS), 2, "=SUM(B7:B7)", value=12.5)
        workbook.close()
        sheet = open_xlsx(output.getvalue()).active
        for row, text in enumerate(INJECTIONS, start=1):
            cell = sheet.cell(row, 1)
            self.assertEqual(cell.data_type, "s", f"{text!r} must be a string cell")
            self.assertEqual(ooxml_text(cell.value), text)
            self.assertTrue(
                cell.quotePrefix, f"{text!r} must keep its quote prefix when edited"
            )
        plain = sheet.cell(len(INJECTIONS) + 1, 1)
        self.assertEqual(
            (plain.value, plain.data_type, plain.quotePrefix),
            ("Plain name", "s", False),
        )
        self.assertEqual(sheet.cell(len(INJECTIONS) + 1, 2).value, 12.5)
        # Our own formula stays a formula.
        self.assertEqual(sheet.cell(len(INJECTIONS) + 1, 3).data_type, "f")
        self.assertTrue(all(is_formula_like(text) for text in INJECTIONS))
        self.assertFalse(is_formula_like("Acme -5%"))

    def _write_sample(self, worksheet_class, by_row):
        """A workbook of ``ROW_VALUES`` (cell by cell or row by row) with column and
        row formats, cells added to a row after it (on its right, over it, a row
        height), a format first used late, a formula, a comment, a rich string and a
        second sheet of dates."""
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(
            output,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "nan_inf_to_errors": True,
            },
        )
        writer = SafeXlsxWriter(workbook)
        workbook.worksheet_class = worksheet_class

        def write_row(sheet, row, values, formats=None):
            if by_row:
                writer.write_row(sheet, row, values, formats)
            else:
                formats = formats or [None] * len(values)
                for col, (cell, cell_fmt) in enumerate(
                    zip(values, formats, strict=True)
                ):
                    writer.write(sheet, row, col, cell, cell_fmt)

        sheet = workbook.add_worksheet("Sample")
        sheet.set_column(2, 2, 20, writer.format("bold"))
        sheet.set_row(3, 30)
        sheet.set_row(5, None, writer.format("bold"))
        row = 0
        for index, value in enumerate(ROW_VALUES):
            fmt = "integer" if type(value) in (int, float) and index % 2 else None
            values = [value, f"row {index}", None, value, 12.5]
            write_row(sheet, row, values, [fmt, None, None, None, "amount"])
            row += 1
        write_row(sheet, row, ["cell added on the right", 1.5])
        writer.write(sheet, row, 7, "on the right")
        write_row(sheet, row + 1, ["cell written over", 1.5])
        writer.write(sheet, row + 1, 0, "over")
        write_row(sheet, row + 2, ["row height set after", 1.5])
        sheet.set_row(row + 2, 40)
        write_row(sheet, row + 3, ["first wrap", 2], ["wrap", "total_amount"])
        row += 4
        writer.write_text(sheet, row, 0, "Total", "total_label")
        writer.write_formula(sheet, row, 4, f"=SUM(E1:E{row})", value=12.5 * row)
        sheet.write_comment(row + 1, 0, "a comment")
        writer.write(sheet, row + 1, 1, "row with a comment")
        sheet.write_rich_string(row + 2, 0, "a", writer.format("bold"), "b")
        writer.write(sheet, row + 4, 30, "far column")
        dates = workbook.add_worksheet("Dates")
        for row in range(5):
            day = datetime.date(2026, 1, 1) + datetime.timedelta(days=row % 3)
            write_row(
                dates,
                row,
                [f"n{row}", row, day, None],
                [None, "integer", None, "title" if row < 4 else "filter_label"],
            )
        workbook.close()
        return output.getvalue()

    def test_row_stream_worksheet_writes_the_same_xml(self):
        """The fast row writer and write_row() produce the very file xlsxwriter's own
        worksheet does with one write() per cell."""
        expected = xlsx_parts(self._write_sample(Worksheet, by_row=False))
        store = RowStreamWorksheet._store_row_xml
        with patch.object(
            RowStreamWorksheet, "_store_row_xml", autospec=True, side_effect=store
        ) as stored:
            fast = self._write_sample(RowStreamWorksheet, by_row=True)
        self.assertEqual(xlsx_parts(fast), expected)
        # most rows took the XML path (not the first with a format, nor NaN & co)
        self.assertGreater(stored.call_count, len(ROW_VALUES) // 2)
        self.assertEqual(
            xlsx_parts(self._write_sample(RowStreamWorksheet, by_row=False)), expected
        )
        sheet = open_xlsx(fast).active
        self.assertEqual(sheet.cell(1, 1).value, "plain")
        self.assertEqual(sheet.cell(5, 1).value, "two\nlines")
        self.assertEqual(sheet.cell(21, 1).value, -1234567.891)
        self.assertEqual(sheet.cell(26, 1).value, datetime.datetime(2026, 1, 31))
        self.assertEqual(sheet.cell(26, 1).number_format, "yyyy-mm-dd")
        self.assertEqual(sheet.cell(16, 1).number_format, "0")
        self.assertEqual(sheet.cell(17, 1).number_format, "#,##0.00")
        self.assertEqual(sheet.cell(1, 5).number_format, "#,##0.00")

    def test_plain_xlsxwriter_would_write_a_formula(self):
        """The check above can fail: xlsxwriter's generic write() makes this a formula."""
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output)
        workbook.add_worksheet().write(0, 0, INJECTIONS[0])
        workbook.close()
        self.assertEqual(open_xlsx(output.getvalue()).active.cell(1, 1).data_type, "f")


@tagged("post_install", "-at_install")
class TestCaseRegisterXlsx(XlsxTestMixin, PdfTestMixin, BillingCaseCommon):
    REPORT = "billing_coordinator.billing_case_register_xlsx_action"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.evil = cls.env["res.partner"].create(
            {"name": INJECTIONS[0], "is_company": True}
        )
        cls.invoice = cls._create_invoice(amount=1200.0)
        cls.case = cls._create_case(
            move_ids=[Command.set(cls.invoice.ids)],
            expected_amount=1000.0,
            actual_amount=1200.0,
            root_cause="pricing_error",
            user_id=cls.coordinator.id,
        )
        cls.evil_case = cls._create_case(
            partner_id=cls.evil.id,
            expected_amount=50.0,
            actual_amount=20.0,
            root_cause="other",
        )

    def test_register_rows_and_layout(self):
        cases = self.case | self.evil_case
        sheet = self._render_xlsx(self.REPORT, cases.ids)["Cases"]
        header = self._find_row(sheet, "Reference")
        self.assertEqual(sheet.freeze_panes, f"A{header + 1}")
        self.assertEqual(sheet.auto_filter.ref, f"A{header}:Q{header + 2}")
        titles = [cell.value for cell in sheet[header]]
        self.assertEqual(
            titles[:10],
            [
                "Reference",
                "Type",
                "Status",
                "Customer",
                "Coordinator",
                "Team",
                "Currency",
                "Expected Amount",
                "Actual Amount",
                "Difference",
            ],
        )
        row = self._find_row(sheet, self.case.name)
        values = {
            title: sheet.cell(row, col).value
            for col, title in enumerate(titles, start=1)
        }
        self.assertEqual(values["Customer"], "Acme Billing Customer")
        self.assertEqual(values["Coordinator"], self.coordinator.name)
        self.assertEqual(values["Status"], "New")
        self.assertEqual(values["Root Cause"], "Wrong Price or Discount")
        self.assertEqual(values["Expected Amount"], 1000.0)
        self.assertEqual(values["Difference"], 200.0)
        self.assertEqual(values["SLA Breached"], "No")
        self.assertEqual(
            sheet.cell(row, titles.index("Difference") + 1).number_format, "#,##0.00"
        )
        self.assertEqual(values["Deadline"].date(), self.case.deadline)

        evil_row = self._find_row(sheet, self.evil_case.name)
        customer = sheet.cell(evil_row, titles.index("Customer") + 1)
        self.assertEqual((customer.value, customer.data_type), (INJECTIONS[0], "s"))
        self.assertEqual(
            sheet.cell(evil_row, titles.index("Difference") + 1).value, -30.0
        )

    def test_register_cells_match_read(self):
        """Every cell is the value read() gives, as the register showed it before it
        read the columns in one query: display names, selection labels, Yes/No,
        amounts (0.00 when empty), dates and blanks."""
        bare = self._create_case(expected_amount=0.0, actual_amount=0.0)
        bare.write({"user_id": False, "team_id": False, "deadline": False})
        resolved = self._create_case(expected_amount=10.0, actual_amount=12.34)
        resolved._mark_resolved("no_action", note="Done & dusted <ok>")
        self.env.cr.execute(
            SQL("UPDATE billing_case SET expected_amount = NULL WHERE id = %s", bare.id)
        )
        self.env.invalidate_all()
        cases = self.case | self.evil_case | bare | resolved
        Report = self.env["report.billing_coordinator.billing_case_register_xlsx"]
        columns = Report._get_register_columns()
        sheet = self._render_xlsx(self.REPORT, cases.ids)["Cases"]
        Case = self.env["billing.case"]
        for values in cases.read([column[2] for column in columns]):
            row = self._find_row(sheet, values["name"])
            for col, (title, _width, fname) in enumerate(columns, start=1):
                field = Case._fields[fname]
                value = values[fname]
                if field.type == "many2one":
                    value = value and value[1]
                elif field.type == "selection":
                    labels = dict(field._description_selection(self.env))
                    value = labels.get(value, value) if value else False
                elif field.type == "datetime" and value:
                    value = fields.Datetime.context_timestamp(Case, value).date()
                elif field.type == "boolean":
                    value = "Yes" if value else "No"
                cell = sheet.cell(row, col)
                if value is False:
                    value = None  # a blank cell
                elif isinstance(value, datetime.date):
                    value = datetime.datetime.combine(value, datetime.time())
                self.assertEqual(cell.value, value, title)
                if field.type == "monetary":
                    self.assertEqual(cell.number_format, "#,##0.00", title)
        bare_row = self._find_row(sheet, bare.name)
        titles = [column[0] for column in columns]
        expected = sheet.cell(bare_row, titles.index("Expected Amount") + 1)
        self.assertEqual((expected.value, expected.data_type), (0, "n"))
        self.assertIsNone(sheet.cell(bare_row, titles.index("Coordinator") + 1).value)

    def test_every_injection_in_notes_stays_text(self):
        cases = self.env["billing.case"]
        for text in INJECTIONS:
            case = self._create_case(expected_amount=1.0, actual_amount=2.0)
            case._mark_resolved("no_action", note=text)
            cases |= case
        sheet = self._render_xlsx(self.REPORT, cases.ids)["Cases"]
        header = self._find_row(sheet, "Reference")
        note_col = [cell.value for cell in sheet[header]].index("Resolution Note") + 1
        for case in cases:
            cell = sheet.cell(self._find_row(sheet, case.name), note_col)
            self.assertEqual(ooxml_text(cell.value), case.resolution_note)
            self.assertEqual(cell.data_type, "s")

    def test_other_team_and_company_cases_refused(self):
        team = self.env["billing.team"].create(
            {"name": "Elsewhere", "company_id": self.company.id}
        )
        foreign = self._create_case(team_id=team.id, user_id=self.manager.id)
        self.case.team_id = team
        sheet = self._render_xlsx(self.REPORT, self.case.ids, user=self.coordinator)[
            "Cases"
        ]
        self.assertTrue(self._find_row(sheet, self.case.name))  # own case, other team
        with self.assertRaises(AccessError):
            self._render_xlsx(
                self.REPORT, (self.case | foreign).ids, user=self.coordinator
            )
        foreign_company_case = self._other_company_case("Register Co")
        with self.assertRaises(AccessError):
            self._render_xlsx(self.REPORT, foreign_company_case.ids, user=self.manager)

    def test_empty_selection(self):
        with self.assertRaises(UserError):
            self._render_xlsx(self.REPORT, [])
