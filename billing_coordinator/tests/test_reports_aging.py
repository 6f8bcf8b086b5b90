from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.billing_coordinator.reports.xlsx_safe import RowStreamWorksheet

from .common import BillingCaseCommon
from .reports_common import INJECTIONS, PdfTestMixin, XlsxTestMixin, xlsx_parts

PDF = "billing_coordinator.report_aging_summary_action"
XLSX = "billing_coordinator.aging_xlsx_action"


@tagged("post_install", "-at_install")
class TestAgingReports(XlsxTestMixin, PdfTestMixin, BillingCaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.external_report_layout_id = cls.env.ref(
            "web.external_layout_standard"
        )
        cls.Aging = cls.env["billing.receivable.line"]
        today = cls.today
        cls.evil = cls.env["res.partner"].create(
            {"name": INJECTIONS[0], "is_company": True}
        )
        cls.inv_old = cls._create_invoice(
            amount=1000.0,
            invoice_date=today - timedelta(days=45),
            due_date=today - timedelta(days=45),
        )
        cls.inv_recent = cls._create_invoice(
            amount=800.0,
            invoice_date=today - timedelta(days=20),
            due_date=today - timedelta(days=10),
        )
        cls.inv_other = cls._create_invoice(
            partner=cls.other_customer, amount=300.0, due_date=today + timedelta(days=5)
        )
        cls.inv_evil = cls._create_invoice(
            partner=cls.evil, amount=42.5, invoice_date=today - timedelta(days=100)
        )
        # Paid today: open as of yesterday, not today.
        cls._register_payment(cls.inv_recent, payment_date=today)

    def _wizard(self, user=None, **vals):
        Wizard = self.env["billing.aging.report"]
        if user:
            Wizard = Wizard.with_user(user)
        return Wizard.create(
            {
                "date_at": self.today,
                "company_ids": [Command.set(self.company.ids)],
                **vals,
            }
        )

    def _engine(self, date_at=None, **filters):
        return self.Aging._get_aging(
            date_at=date_at or self.today, company_ids=self.company, **filters
        )

    def _summary_rows(self, sheet):
        header = self._find_row(sheet, "Customer")
        titles = [cell.value for cell in sheet[header]]
        rows = {}
        for row in sheet.iter_rows(min_row=header + 1, values_only=True):
            rows[row[0]] = dict(zip(titles, row, strict=False))
        return titles, rows

    def test_xlsx_summary_and_detail_agree_with_engine(self):
        wizard = self._wizard(date_at=self.today - timedelta(days=1))
        book = self._render_xlsx(XLSX, wizard.ids)
        self.assertEqual(book.sheetnames, ["Summary", "Open Items"])
        summary = book["Summary"]
        self.assertEqual(summary["A1"].value, "AR Aging Summary")
        self.assertEqual(summary["A2"].value, "As of")
        self.assertEqual(summary["B2"].value.date(), wizard.date_at)
        header = self._find_row(summary, "Customer")
        self.assertEqual(summary.freeze_panes, f"A{header + 1}")
        self.assertTrue(summary.auto_filter.ref.startswith(f"A{header}:"))
        titles, rows = self._summary_rows(summary)
        engine = self._engine(date_at=wizard.date_at)
        buckets = self.Aging._get_aging_buckets(self.company)
        self.assertEqual(
            titles[3 : 3 + len(buckets)], [bucket["label"] for bucket in buckets]
        )
        acme = rows["Acme Billing Customer"]
        # As of yesterday the 800 invoice paid today is still open: 1000 (31-60) + 800 (1-30).
        self.assertEqual(acme["Total"], 1800.0)
        self.assertEqual(acme["31-60"], 1000.0)
        self.assertEqual(acme["1-30"], 800.0)
        totals = rows["Total"]
        for bucket in buckets:
            self.assertAlmostEqual(
                totals[bucket["label"]],
                sum(line[bucket["key"]] for line in engine),
                places=2,
            )
        self.assertAlmostEqual(
            totals["Total"], sum(line["total"] for line in engine), places=2
        )
        self.assertIsInstance(totals["Total"], float, "the totals row holds numbers")
        evil_row = self._find_row(summary, INJECTIONS[0])
        self.assertEqual(summary.cell(evil_row, 1).data_type, "s")

        detail = book["Open Items"]
        header = self._find_row(detail, "Customer")
        titles = [cell.value for cell in detail[header]]
        items = [
            dict(zip(titles, row, strict=False))
            for row in detail.iter_rows(min_row=header + 1, values_only=True)
        ]
        total_row = items.pop()
        self.assertEqual(total_row["Customer"], "Total")
        engine_items = self.Aging._get_aging(
            date_at=wizard.date_at, company_ids=self.company, with_items=True
        )
        self.assertEqual(len(items), sum(len(line["items"]) for line in engine_items))
        self.assertAlmostEqual(
            total_row["Amount"], sum(line["total"] for line in engine), places=2
        )
        self.assertAlmostEqual(
            sum(item["Amount"] for item in items), total_row["Amount"], places=2
        )
        self.assertIn(self.inv_recent.name, [item["Number"] for item in items])

    def test_xlsx_fast_rows_write_the_same_file(self):
        """The aging workbook with the fast row writer is the file xlsxwriter writes
        cell by cell: same cells, values, formats and totals."""
        wizard = self._wizard(date_at=self.today - timedelta(days=1))
        Report = self.env["ir.actions.report"]
        store = RowStreamWorksheet._store_row_xml
        with patch.object(
            RowStreamWorksheet, "_store_row_xml", autospec=True, side_effect=store
        ) as stored:
            fast, _format = Report._render(XLSX, wizard.ids)
        self.assertTrue(stored.called, "the item rows take the XML path")
        with patch.object(RowStreamWorksheet, "_open_row", lambda *args: False):
            plain, _format = Report._render(XLSX, wizard.ids)
        parts = xlsx_parts(fast)
        self.assertEqual(parts, xlsx_parts(plain))
        self.assertIn(self.inv_old.name.encode(), parts["xl/worksheets/sheet2.xml"])

    def test_xlsx_customer_names_are_display_names(self):
        """Both sheets name a customer as its display name (read in one query): a
        person with a company name, a partner without a name of its own (its address
        type shows) and a contact invoiced for its company (the company's name)."""
        Partner = self.env["res.partner"]
        person = Partner.create({"name": "Carl", "company_name": "Gamma Ltd"})
        unnamed = Partner.create(
            {"name": False, "company_name": "Unnamed Ltd", "type": "invoice"}
        )
        contact = Partner.create({"name": "Dora", "parent_id": self.customer.id})
        for partner in (person, unnamed, contact):
            self._create_invoice(partner=partner, amount=100.0)
        book = self._render_xlsx(XLSX, self._wizard().ids)
        _titles, summary = self._summary_rows(book["Summary"])
        detail = book["Open Items"]
        header = self._find_row(detail, "Customer")
        customers = {
            row[0] for row in detail.iter_rows(min_row=header + 1, values_only=True)
        }
        for partner in (person, unnamed, contact):
            name = partner.commercial_partner_id.display_name
            self.assertIn(name, summary)
            self.assertIn(name, customers)
        self.assertIn("Gamma Ltd, Carl", customers)
        self.assertIn(unnamed.display_name, customers)
        self.assertTrue(unnamed.display_name.startswith("Unnamed Ltd, "))
        self.assertNotIn("Dora", str(customers))

    def test_as_of_today_payment_counts(self):
        book = self._render_xlsx(XLSX, self._wizard().ids)
        _titles, rows = self._summary_rows(book["Summary"])
        self.assertEqual(rows["Acme Billing Customer"]["Total"], 1000.0)
        detail = book["Open Items"]
        numbers = [row[2] for row in detail.iter_rows(values_only=True)]
        self.assertNotIn(self.inv_recent.name, numbers)
        self.assertIn(self.inv_old.name, numbers)

    def test_pdf_summary_agrees_with_engine(self):
        wizard = self._wizard(detail=True)
        doc = self._render_html(PDF, wizard.ids)
        engine = self._engine()
        for cell in doc.xpath("//tr[@id='aging_totals']/td[@data-bucket]"):
            key = cell.get("data-bucket")
            self.assertAlmostEqual(
                float(cell.get("data-amount")),
                sum(line[key] for line in engine),
                places=2,
            )
        lines = doc.xpath("//tr[contains(@class, 'aging_line')]")
        self.assertEqual(len(lines), len(engine))
        acme = doc.xpath(
            f"//tr[@data-partner='{self.customer.id}']/td[@data-bucket='total']"
        )[0]
        self.assertEqual(float(acme.get("data-amount")), 1000.0)
        self.assertIn(
            self.inv_old.name, self._text(doc.xpath("//table[@id='aging_summary']")[0])
        )
        self.assertEqual(
            len(doc.xpath("//tr[contains(@class, 'aging_item')]")),
            sum(
                len(line["items"])
                for line in self._engine()
                and self.Aging._get_aging(
                    date_at=self.today, company_ids=self.company, with_items=True
                )
            ),
        )

    def test_filters_team_and_partner_selection(self):
        team = self.env["billing.team"].create(
            {"name": "Key Accounts", "company_id": self.company.id}
        )
        self.other_customer.billing_team_id = team
        doc = self._render_html(PDF, self._wizard(team_id=team.id).ids)
        self.assertEqual(
            [
                row.get("data-partner")
                for row in doc.xpath("//tr[contains(@class, 'aging_line')]")
            ],
            [str(self.other_customer.id)],
        )
        wizard = (
            self.env["billing.aging.report"]
            .with_context(
                active_model="res.partner", active_ids=self.customer_contact.ids
            )
            .create({})
        )
        self.assertEqual(wizard.partner_ids, self.customer)
        _titles, rows = self._summary_rows(
            self._render_xlsx(XLSX, wizard.ids)["Summary"]
        )
        self.assertEqual(set(rows) - {"Total", None}, {"Acme Billing Customer"})

    def test_other_company_and_other_team_refused(self):
        other = self.setup_other_company(name="Aging Co")["company"]
        with self.assertRaises(AccessError):
            self._render_xlsx(
                XLSX,
                self._wizard(
                    user=self.manager, company_ids=[Command.set(other.ids)]
                ).ids,
                user=self.manager,
            )
        team = self.env["billing.team"].create(
            {"name": "Not Mine", "company_id": self.company.id}
        )
        wizard = self._wizard(user=self.coordinator, team_id=team.id)
        with self.assertRaises(AccessError):
            wizard.action_print_xlsx()
        with self.assertRaises(AccessError):
            self._render_html(PDF, wizard.ids, user=self.coordinator)
        # Without a filter a coordinator would see every team's customers: refused too.
        with self.assertRaises(UserError):
            self._wizard(user=self.coordinator).action_print_pdf()
        team.member_ids = self.coordinator
        self.other_customer.billing_team_id = team
        self.assertEqual(
            self._wizard(user=self.coordinator).team_id,
            team,
            "defaults to the own team",
        )
        action = self._wizard(user=self.coordinator, team_id=team.id).action_print_pdf()
        self.assertEqual(
            action["report_name"], "billing_coordinator.report_aging_summary"
        )
