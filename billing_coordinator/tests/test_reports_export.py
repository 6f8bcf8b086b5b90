import json

from odoo import http
from odoo.tests import HttpCase, tagged

from .common import BillingCaseCommon
from .reports_common import INJECTIONS, open_xlsx

FIELDS = [
    "partner_id",
    "move_id",
    "invoice_date",
    "date_maturity",
    "days_overdue",
    "aging_bucket",
    "amount_residual",
    "amount_residual_currency",
    "has_open_case",
]


@tagged("post_install", "-at_install")
class TestReceivablesAnalysisExport(BillingCaseCommon, HttpCase):
    """The receivables analysis list exports to XLSX with Odoo's standard export: typed
    cells, and customer text never turned into a formula."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.evil = cls.env["res.partner"].create(
            {"name": INJECTIONS[0], "is_company": True}
        )
        cls.invoice = cls._create_invoice(partner=cls.evil, amount=123.45)
        cls._create_invoice(amount=10.0)
        # Exporting needs Odoo's export right, as accountants have it.
        cls.manager.group_ids += cls.env.ref("base.group_allow_export")

    def _export(self, groupby=()):
        Line = self.env["billing.receivable.line"]
        params = {
            "model": Line._name,
            "domain": [],
            "ids": False,
            "groupby": list(groupby),
            "import_compat": False,
            "context": {},
            "fields": [
                {
                    "name": name,
                    "label": Line._fields[name].string,
                    "type": Line._fields[name].type,
                }
                for name in FIELDS
            ],
        }
        response = self.url_open(
            "/web/export/xlsx",
            data={
                "data": json.dumps(params),
                "csrf_token": http.Request.csrf_token(self),
            },
        )
        self.assertEqual(response.status_code, 200, response.text[:500])
        return open_xlsx(response.content).active

    def test_list_export(self):
        self.authenticate("billing_manager", "billing_manager-pass")
        sheet = self._export()
        titles = [cell.value for cell in sheet[1]]
        self.assertEqual(
            titles[0], self.env["billing.receivable.line"]._fields["partner_id"].string
        )
        rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
        evil = rows[INJECTIONS[0]]
        self.assertEqual(evil[0].data_type, "s", "customer text stays text")
        self.assertTrue(evil[0].quotePrefix)
        self.assertEqual(
            evil[
                titles.index(
                    self.env["billing.receivable.line"]
                    ._fields["amount_residual"]
                    .string
                )
            ].value,
            123.45,
        )
        self.assertEqual(evil[1].value, self.invoice.name)

    def test_grouped_export(self):
        self.authenticate("billing_manager", "billing_manager-pass")
        sheet = self._export(groupby=["partner_id"])
        cells = [
            cell
            for row in sheet.iter_rows()
            for cell in row
            if cell.value and INJECTIONS[0] in str(cell.value)
        ]
        self.assertTrue(cells)
        self.assertTrue(
            all(cell.data_type == "s" for cell in cells), "group headers stay text too"
        )
