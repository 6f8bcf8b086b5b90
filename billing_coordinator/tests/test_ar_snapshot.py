import io
import json
import zipfile
from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL

from ..models.billing_ar_snapshot_files import sha256_hex
from .common import BillingCaseCommon
from .reports_common import open_xlsx


@tagged("post_install", "-at_install")
class TestArSnapshot(BillingCaseCommon):
    """Month-end snapshots: figures from the aging engine, comparison with the previous
    month, files and checksums, sign-off lock, integrity check, health chain, cron."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Snapshot = cls.env["billing.ar.snapshot"]
        cls.month_end = Snapshot._last_month_end(cls.today)
        cls.prev_month_end = cls.month_end.replace(day=1) - timedelta(days=1)
        m0, m1 = cls.prev_month_end, cls.month_end
        cls.cleared_customer = cls.env["res.partner"].create(
            {"name": "Cleared Customer", "is_company": True}
        )
        cls.shrunk_customer = cls.env["res.partner"].create(
            {"name": "Shrunk Customer", "is_company": True}
        )
        # Acme: 1000 overdue since before m0, 400 of it paid after m1 (as of m1: 1000, today 600);
        # another 300 in m1's month: grown.
        cls.invoice_a = cls._create_invoice(
            amount=1000.0, invoice_date=m0 - timedelta(days=10)
        )
        cls._register_payment(cls.invoice_a, amount=400.0, payment_date=cls.today)
        cls._create_invoice(amount=300.0, invoice_date=m1.replace(day=5))
        # Other Customer: first invoice in m1's month, not due at m1: new.
        cls._create_invoice(
            partner=cls.other_customer,
            amount=500.0,
            invoice_date=m1.replace(day=15),
            due_date=m1 + timedelta(days=15),
        )
        # Cleared: open at m0, paid in full in m1's month.
        invoice_c = cls._create_invoice(
            partner=cls.cleared_customer, amount=200.0, invoice_date=m0.replace(day=5)
        )
        cls._register_payment(invoice_c, payment_date=m1.replace(day=10))
        # Shrunk: 800 at m0, 300 paid in m1's month.
        invoice_d = cls._create_invoice(
            partner=cls.shrunk_customer, amount=800.0, invoice_date=m0.replace(day=1)
        )
        cls._register_payment(invoice_d, amount=300.0, payment_date=m1.replace(day=20))
        cls.Snapshot = Snapshot.with_context(allowed_company_ids=cls.company.ids)

    def _snapshot(self, date=None):
        return self.Snapshot._create_month_end_snapshots(
            date=date or self.month_end, companies=self.company
        )

    def _line(self, snapshot, partner):
        return snapshot.line_ids.filtered(lambda line: line.partner_id == partner)

    # ------------------------------------------------------------------ figures

    def test_figures_from_aging_engine(self):
        snapshot = self._snapshot()
        self.assertEqual(
            (snapshot.date, snapshot.company_id, snapshot.state),
            (self.month_end, self.company, "draft"),
        )
        aging = self.env["billing.receivable.line"]._get_aging(
            date_at=self.month_end, company_ids=self.company
        )
        buckets = [
            b["key"]
            for b in self.env["billing.receivable.line"]._get_aging_buckets(
                self.company
            )
        ]
        lines = snapshot.line_ids.filtered(lambda line: line.change != "cleared")
        self.assertEqual(len(lines), len(aging))
        self.assertEqual(snapshot.line_count, len(aging))
        for values in aging:
            line = lines.filtered(
                lambda ln, v=values: ln.partner_id.id == v["partner_id"]
                and ln.currency_id.id == v["currency_id"]
            )
            self.assertEqual(len(line), 1)
            self.assertEqual(
                (line.total, line.not_due, line.overdue, line.total_currency),
                (
                    values["total"],
                    values["not_due"],
                    values["overdue"],
                    values["total_currency"],
                ),
            )
            self.assertEqual(line.bucket_amounts, {key: values[key] for key in buckets})
        # As of the month end, not today: the 400 paid after it is still open.
        self.assertEqual(self._line(snapshot, self.customer).total, 1300.0)
        self.assertEqual(self._line(snapshot, self.other_customer).not_due, 500.0)
        self.assertEqual(self._line(snapshot, self.shrunk_customer).total, 500.0)
        # Bucket totals add up to the total, the lines to the header.
        self.assertEqual(snapshot.total, 1300.0 + 500.0 + 500.0)
        self.assertAlmostEqual(sum(snapshot.bucket_totals.values()), snapshot.total)
        self.assertEqual(snapshot.bucket_totals["not_due"], snapshot.not_due)
        self.assertAlmostEqual(snapshot.not_due + snapshot.overdue, snapshot.total)
        self.assertEqual(snapshot.currency_id, self.company.currency_id)

    def test_second_snapshot_same_date_refused(self):
        self._snapshot()
        with self.assertRaisesRegex(UserError, "already a snapshot"):
            self._snapshot()
        with self.assertRaises(UserError):
            self._snapshot(date=self.today)
        self.assertEqual(
            self.Snapshot.search_count([("company_id", "=", self.company.id)]), 1
        )

    def test_comparison_with_previous_month(self):
        first = self._snapshot(self.prev_month_end)
        self.assertEqual(self._line(first, self.customer).total, 1000.0)
        self.assertEqual(self._line(first, self.cleared_customer).total, 200.0)
        self.assertEqual(set(first.line_ids.mapped("change")), {"new"})
        second = self._snapshot()
        self.assertEqual(second.previous_id, first)
        changes = {line.partner_id: line.change for line in second.line_ids}
        self.assertEqual(
            changes,
            {
                self.customer: "grown",
                self.other_customer: "new",
                self.shrunk_customer: "shrunk",
                self.cleared_customer: "cleared",
            },
        )
        cleared = self._line(second, self.cleared_customer)
        self.assertEqual((cleared.total, cleared.previous_total), (0.0, 200.0))
        self.assertEqual(self._line(second, self.shrunk_customer).previous_total, 800.0)
        self.assertEqual(
            (
                second.count_new,
                second.count_grown,
                second.count_shrunk,
                second.count_cleared,
            ),
            (1, 1, 1, 1),
        )
        action = second.with_context(snapshot_change="cleared").action_view_lines()
        self.assertEqual(action["context"], {"search_default_change_cleared": 1})
        self.assertEqual(
            self.env["billing.ar.snapshot.line"].search(
                action["domain"] + [("change", "=", "cleared")]
            ),
            cleared,
        )

    # ------------------------------------------------------------------ files

    def test_files_and_deterministic_zip(self):
        snapshot = self._snapshot()
        files = snapshot._snapshot_file_bytes()
        self.assertTrue(files["xlsx"].startswith(b"PK"))
        self.assertEqual(sha256_hex(files["xlsx"]), snapshot.xlsx_sha256)
        self.assertEqual(sha256_hex(files["zip"]), snapshot.zip_sha256)
        # Two builds of the same data: the same bytes.
        self.assertEqual(
            snapshot._snapshot_render_zip(), snapshot._snapshot_render_zip()
        )
        self.assertEqual(
            sha256_hex(snapshot._snapshot_render_zip()), snapshot.zip_sha256
        )
        with zipfile.ZipFile(io.BytesIO(files["zip"])) as archive:
            self.assertEqual(
                archive.namelist(),
                ["aging.json", "cases.json", "invoices.json", "payments.json"],
            )
            aging = json.loads(archive.read("aging.json"))
            invoices = json.loads(archive.read("invoices.json"))["invoices"]
        self.assertEqual(sum(line["total"] for line in aging["lines"]), snapshot.total)
        # The period is the snapshot's month: the invoices dated in it only.
        self.assertEqual(
            sorted(inv["amount_total"] for inv in invoices), [300.0, 500.0]
        )
        book = open_xlsx(files["xlsx"])
        self.assertEqual(book.sheetnames[0], "Summary")
        self.assertTrue(snapshot._snapshot_chain_verifies())

    # ------------------------------------------------------------------ sign-off

    def test_sign_off_lock(self):
        snapshot = self._snapshot()
        with self.assertRaises(AccessError):
            snapshot.with_user(self.coordinator).read(["total"])
        with self.assertRaises(AccessError):
            snapshot.with_user(self.coordinator).action_sign_off()
        snapshot.with_user(self.manager).action_sign_off()
        self.assertEqual(snapshot.state, "signed")
        self.assertEqual(snapshot.signed_by_id, self.manager)
        self.assertTrue(snapshot.signed_date)
        with self.assertRaises(UserError):
            snapshot.action_sign_off()
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            snapshot.write({"total": 1.0})
        with self.assertRaises(UserError):
            snapshot.line_ids[:1].write({"total": 1.0})
        with self.assertRaises(UserError):
            self.env["billing.ar.snapshot.line"].create(
                {"snapshot_id": snapshot.id, "total": 5.0}
            )
        with self.assertRaises(UserError):
            snapshot.line_ids[:1].unlink()
        with self.assertRaises(UserError):
            snapshot.unlink()
        snapshot.write({"integrity_state": "ok"})  # the check's result may still change
        self.assertEqual(snapshot.total, 2300.0)
        # A draft one may go.
        draft = self._snapshot(self.prev_month_end - timedelta(days=31))
        draft.unlink()
        self.assertFalse(draft.exists())

    # ------------------------------------------------------------------ integrity

    def test_integrity_detects_back_dated_invoice(self):
        snapshot = self._snapshot()
        snapshot.action_sign_off()
        result = snapshot._check_integrity()
        self.assertTrue(result["ok"], result["message"])
        snapshot.action_check_integrity()
        self.assertEqual(snapshot.integrity_state, "ok")
        # Posted after signing, dated in the signed month.
        self._create_invoice(
            partner=self.other_customer,
            amount=250.0,
            invoice_date=self.month_end - timedelta(days=3),
        )
        result = snapshot._check_integrity()
        self.assertFalse(result["ok"])
        self.assertEqual(result["files"], [])
        self.assertEqual(
            result["changes"],
            [
                {
                    "partner_id": self.other_customer.id,
                    "currency_id": self.company.currency_id.id,
                    "old": 500.0,
                    "new": 750.0,
                }
            ],
        )
        action = snapshot.action_check_integrity()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(snapshot.integrity_state, "changed")
        self.assertIn("Other Customer", snapshot.integrity_message)
        self.assertIn("500.00 then, 750.00 now", snapshot.integrity_message)
        self.assertIn("Other Customer", snapshot.message_ids[:1].body)
        # The frozen figures did not move.
        self.assertEqual(self._line(snapshot, self.other_customer).total, 500.0)

    def test_integrity_after_bucket_limits_changed(self):
        """New bucket limits after signing are no change of the figures."""
        snapshot = self._snapshot()
        snapshot.action_sign_off()
        self.company.billing_aging_bucket_limits = "45,90"
        result = snapshot._check_integrity()
        self.assertTrue(result["ok"], result["message"])
        self._create_invoice(amount=50.0, invoice_date=self.month_end)
        result = snapshot._check_integrity()
        self.assertEqual(
            [c["partner_id"] for c in result["changes"]], self.customer.ids
        )

    def test_integrity_detects_tampered_file(self):
        snapshot = self._snapshot()
        snapshot.action_sign_off()
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", snapshot._name),
                    ("res_id", "=", snapshot.id),
                    ("res_field", "=", "xlsx_file"),
                ]
            )
        )
        self.assertEqual(len(attachment), 1)
        attachment.raw = b"PK tampered workbook"
        result = snapshot._check_integrity()
        self.assertFalse(result["ok"])
        self.assertEqual(result["changes"], [])
        self.assertEqual(result["files"], [snapshot.xlsx_filename])
        self.assertIn(snapshot.xlsx_filename, result["message"])

    # ------------------------------------------------------------------ health and cron

    def test_health_chain_status(self):
        # Never a snapshot: no chain to break yet, nothing to warn about.
        status = self.Snapshot._health_chain_status()
        self.assertEqual((status["status"], status["count"]), ("info", 1))
        self.assertIn("No snapshot yet", status["message"])
        self.assertIn(self.company.name, status["message"])
        # Snapshots before, none for last month end: a gap in the chain.
        first = self._snapshot(self.prev_month_end)
        first.action_sign_off()
        status = self.Snapshot._health_chain_status()
        self.assertEqual((status["status"], status["count"]), ("warning", 1))
        self.assertIn(
            f"No snapshot as of {self.month_end.isoformat()}", status["message"]
        )
        self.assertNotIn("No snapshot yet", status["message"])
        snapshot = self._snapshot()
        status = self.Snapshot._health_chain_status()
        self.assertEqual(
            (status["status"], status["res_ids"]), ("warning", snapshot.ids)
        )
        snapshot.action_sign_off()
        status = self.Snapshot._health_chain_status()
        self.assertEqual((status["status"], status["count"]), ("ok", 2))
        # A stored hash changed behind the ORM's back breaks the chain of both.
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE billing_ar_snapshot SET chain_hash = %s WHERE id = %s",
                "0" * 64,
                first.id,
            )
        )
        self.env.invalidate_all()
        status = self.Snapshot._health_chain_status()
        self.assertEqual(status["status"], "error")
        self.assertEqual(set(status["res_ids"]), {first.id, snapshot.id})
        lines = (
            self.env["billing.health"]
            .with_context(allowed_company_ids=self.company.ids)
            .get_health_data()
        )
        self.assertTrue(lines)

    def test_health_chain_status_companies_without_snapshot(self):
        """A company that never had a snapshot is named as info beside the others'
        status: with a gap elsewhere the line is a warning that names both, with a
        signed chain elsewhere it stays info."""
        other = self.setup_other_company(name="Snapshot Newcomer Co")["company"]
        companies = self.company | other
        Snapshot = self.Snapshot.with_context(allowed_company_ids=companies.ids)
        self._snapshot(self.prev_month_end).action_sign_off()
        status = Snapshot._health_chain_status()
        self.assertEqual((status["status"], status["count"]), ("warning", 1))
        self.assertIn(f"for {self.company.name}.", status["message"])
        self.assertIn("No snapshot yet for Snapshot Newcomer Co.", status["message"])

        self._snapshot().action_sign_off()
        status = Snapshot._health_chain_status()
        self.assertEqual((status["status"], status["count"]), ("info", 1))
        self.assertIn("No snapshot yet for Snapshot Newcomer Co.", status["message"])
        self.assertIn("2 signed snapshot(s)", status["message"])
        line = next(
            line
            for line in self.env["billing.health"]
            .with_context(allowed_company_ids=companies.ids)
            .get_health_data()
            if line["code"] == "snapshot_chain"
        )
        self.assertEqual((line["status"], line["action"]), ("info", False))

    def test_cron_creates_last_month_end_once(self):
        Snapshot = self.env["billing.ar.snapshot"]
        created = Snapshot._cron_create_month_end_snapshots()
        mine = created.filtered(lambda s: s.company_id == self.company)
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine.date, self.month_end)
        self.assertEqual(mine.total, 2300.0)
        self.assertFalse(Snapshot._cron_create_month_end_snapshots())
        self.assertEqual(
            Snapshot.sudo().search_count(
                [("company_id", "=", self.company.id), ("date", "=", self.month_end)]
            ),
            1,
        )
