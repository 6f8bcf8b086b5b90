"""Our detection and resolution never alter a posted entry (issue 10, section 5).

The full lifecycle (install into a database with thousands of posted invoices, detection,
uninstall, reinstall, with checksums of the accounting tables) is ``tools/lifecycle.py``;
this is its cheap form for every CI run: checksums, in SQL, of the posted moves and their
lines before and after ``_run_detection`` and each kind of resolution.
"""

from datetime import timedelta

from odoo import Command
from odoo.tests import Form, tagged
from odoo.tools import SQL

from ..hooks import uninstall_hook
from .common import BillingResolutionCommon

# Columns of a posted entry that nothing may change once it is posted. Reconciliation
# columns (residuals, matching number, payment state) are left out of the resolution
# check: reconciling a credit note or a write-off with the invoice sets them, in Odoo.
MOVE_COLUMNS = [
    "id",
    "name",
    "state",
    "move_type",
    "date",
    "invoice_date",
    "invoice_date_due",
    "journal_id",
    "partner_id",
    "company_id",
    "currency_id",
    "amount_total",
    "amount_untaxed",
    "amount_tax",
    "ref",
]
LINE_COLUMNS = [
    "id",
    "move_id",
    "account_id",
    "partner_id",
    "journal_id",
    "company_id",
    "currency_id",
    "date",
    "date_maturity",
    "name",
    "debit",
    "credit",
    "balance",
    "amount_currency",
    "quantity",
    "price_unit",
    "price_subtotal",
    "price_total",
    "tax_line_id",
    "display_type",
    "parent_state",
]


@tagged("post_install", "-at_install", "bc_lifecycle")
class TestLifecycle(BillingResolutionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def days(days):
            return cls.today - timedelta(days=days)

        cls.short_paid = cls._create_invoice(
            amount=1000.0, invoice_date=days(days=60), due_date=days(days=30)
        )
        cls._register_payment(cls.short_paid, amount=960.0)
        cls.overpaid = cls._create_invoice(amount=400.0, invoice_date=days(days=20))
        cls._register_payment(cls.overpaid, amount=450.0)
        cls.overdue = cls._create_invoice(
            amount=500.0, invoice_date=days(days=70), due_date=days(days=40)
        )
        cls.open_invoice = cls._create_invoice(amount=800.0)
        cls.env.flush_all()

    def _checksum(self, table, columns, move_ids, all_columns=False):
        """md5 over the rows (ordered by id) of ``table`` for these moves: ``columns``,
        or every column of the row with ``all_columns``."""
        self.env.flush_all()
        key = SQL.identifier("id" if table == "account_move" else "move_id")
        row = (
            SQL("t::text")
            if all_columns
            else SQL(
                "ROW(%s)::text", SQL(", ").join(SQL.identifier(c) for c in columns)
            )
        )
        [(count, digest)] = self.env.execute_query(
            SQL(
                "SELECT COUNT(*), md5(string_agg(%s, '|' ORDER BY t.id)) FROM %s AS t"
                " WHERE %s = ANY(%s)",
                row,
                SQL.identifier(table),
                key,
                move_ids,
            )
        )
        return count, digest

    def _posted_state(self, all_columns=False):
        move_ids = self.env["account.move"].search([("state", "=", "posted")]).ids
        return move_ids, (
            self._checksum("account_move", MOVE_COLUMNS, move_ids, all_columns),
            self._checksum("account_move_line", LINE_COLUMNS, move_ids, all_columns),
        )

    def _partials(self):
        [(count, digest)] = self.env.execute_query(
            SQL(
                "SELECT COUNT(*), md5(string_agg(t::text, '|' ORDER BY t.id))"
                " FROM account_partial_reconcile AS t"
            )
        )
        return count, digest

    def test_detection_leaves_posted_entries_untouched(self):
        """Every column of every posted move and line, and the reconciliations, are as
        they were after two detection runs, which did find cases."""
        move_ids, before = self._posted_state(all_columns=True)
        partials = self._partials()
        self.assertGreater(before[1][0], 10, "the checksum covers the invoices' lines")
        cases = self.env["billing.case"]._run_detection(self.company)
        self.assertTrue(
            {"short_payment", "overdue"} <= set(cases.mapped("detection_rule")),
            cases.mapped("detection_rule"),
        )
        self.env["billing.case"]._run_detection(self.company)
        self.assertEqual(self._posted_state(all_columns=True), (move_ids, before))
        self.assertEqual(self._partials(), partials)

    def test_resolutions_leave_posted_entries_untouched(self):
        """Credit note, write-off, refund and payment plan post new entries and reconcile
        them; the entries that were posted before keep every amount, account and date."""
        move_ids, before = self._posted_state()

        def case_for(invoice, expected, actual, case_type):
            return self._create_case(
                move_ids=[Command.set(invoice.ids)],
                expected_amount=expected,
                actual_amount=actual,
                case_type_id=case_type.id,
            )

        credit_note = case_for(
            self.open_invoice, 700.0, 800.0, self.type_overcharge
        )._resolve("credit_note")
        write_off = case_for(
            self.short_paid, 1000.0, 960.0, self.type_short_payment
        )._resolve("write_off")
        refund = case_for(self.overpaid, 400.0, 450.0, self.type_overpayment)._resolve(
            "refund", journal_id=self.bank_journal.id
        )
        promises = case_for(self.overdue, 500.0, 0.0, self.type_overdue)._resolve(
            "payment_plan", installments=[(self.today + timedelta(days=10), 500.0)]
        )
        new_moves = credit_note | write_off | refund
        self.assertEqual(set(new_moves.mapped("state")), {"posted"})
        self.assertEqual(len(promises), 1)
        # The resolutions did reconcile: the invoices' residuals moved.
        self.assertEqual(self.open_invoice.amount_residual, 700.0)
        self.assertEqual(self.short_paid.amount_residual, 0.0)
        self.assertEqual(
            self._checksum("account_move", MOVE_COLUMNS, move_ids), before[0]
        )
        self.assertEqual(
            self._checksum("account_move_line", LINE_COLUMNS, move_ids), before[1]
        )
        self.assertFalse(set(new_moves.ids) & set(move_ids))

    def test_uninstall_hook_removes_cases_and_keeps_documents(self):
        """Before the uninstall the hook removes the cases and their calls, so Odoo can
        delete our case types and call outcomes; every posted entry stays as it was."""
        cases = self.env["billing.case"]._run_detection(self.company)
        self.env["billing.case.call"].create(
            {
                "case_id": cases[0].id,
                "outcome_id": self.env.ref(
                    "billing_coordinator.call_outcome_reached"
                ).id,
            }
        )
        move_ids, before = self._posted_state(all_columns=True)
        partials = self._partials()
        uninstall_hook(self.env)
        self.assertFalse(self.env["billing.case"].search_count([]))
        self.assertFalse(self.env["billing.case.call"].search_count([]))
        self.assertEqual(self._posted_state(all_columns=True), (move_ids, before))
        self.assertEqual(self._partials(), partials)
        # What blocked the uninstall is gone: the module's own data can be deleted.
        self.env.ref("billing_coordinator.call_outcome_reached").unlink()
        self.type_overdue.unlink()
        self.env.flush_all()

    def test_company_created_by_an_administrator_without_billing_rights(self):
        """Odoo's own tests (and any settings administrator) create companies as a user
        without our groups: the company gets its detection rules all the same."""
        admin = self.env["res.users"].create(
            {
                "name": "Settings Admin",
                "login": "settings_admin",
                "group_ids": [Command.set([self.env.ref("base.group_system").id])],
            }
        )
        self.assertFalse(admin.has_group("billing_coordinator.group_billing_user"))
        company = (
            self.env["res.company"].with_user(admin).create({"name": "New Branch Co"})
        )
        codes = set(self.env["billing.case"]._get_detection_rules())
        # sudo: the test user is not in the new company (company record rule).
        rules = (
            self.env["billing.detection.rule"]
            .sudo()
            .search([("company_id", "=", company.id)])
        )
        self.assertEqual(set(rules.mapped("code")), codes)

    def test_invoice_form_with_the_currency_emptied(self):
        """As Odoo's test_invoice_with_empty_currency does: emptying the currency on the
        form of a draft invoice computes the alerts (our duplicate check) without error."""
        draft = self._create_invoice(amount=115.0, post=False)
        self._create_invoice(amount=115.0)  # a posted twin: the check has work to do
        self.env.user.group_ids |= self.env.ref("base.group_multi_currency")
        move_form = Form(draft)
        move_form.currency_id = self.env["res.currency"]
        self.assertTrue(draft.currency_id)
