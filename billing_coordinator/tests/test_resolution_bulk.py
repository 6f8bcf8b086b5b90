from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from .common import BillingCaseCommon


@tagged("post_install", "-at_install")
class TestResolutionBulk(BillingCaseCommon):
    """Bulk resolution from the case list and the automatic write-off."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.misc_journal = cls.company_data["default_journal_misc"]
        cls.writeoff_account = cls.company_data["default_account_expense"]
        cls.company.write(
            {
                "billing_writeoff_account_id": cls.writeoff_account.id,
                "billing_writeoff_limit": 50.0,
                "billing_auto_writeoff_amount": 5.0,
                "billing_auto_writeoff_percent": 1.0,
                "billing_auto_writeoff_days": 30,
                "billing_auto_writeoff_journal_id": cls.misc_journal.id,
            }
        )

    def _short_payment(self, amount=1000.0, paid=997.0, due_days_ago=40):
        due = self.today - timedelta(days=due_days_ago)
        invoice = self._create_invoice(amount=amount, invoice_date=due, due_date=due)
        self._register_payment(invoice, amount=paid)
        case = self._create_case(
            move_ids=[Command.set(invoice.ids)],
            expected_amount=amount,
            actual_amount=paid,
            case_type_id=self.type_short_payment.id,
        )
        return invoice, case

    def _moves(self):
        # sudo: count every record, whatever the record rules
        return self.env["account.move"].sudo().search_count([])

    # ------------------------------------------------------------------ bulk

    def test_bulk_write_off_with_one_refused_case(self):
        small_1, case_1 = self._short_payment(paid=980.0)
        small_2, case_2 = self._short_payment(paid=990.0)
        large, case_3 = self._short_payment(paid=900.0)  # 100 is above the 50 limit
        cases = case_1 | case_2 | case_3
        wizard = (
            self.env["billing.case.resolve.bulk"]
            .with_user(self.coordinator)
            .with_context(active_ids=cases.ids, active_model="billing.case")
            .create({"resolution_type": "write_off"})
        )
        self.assertEqual(wizard.case_ids, cases)
        self.assertNotIn("payment_plan", dict(wizard._selection_resolution_type()))
        moves_before = self._moves()

        action = wizard.action_apply()

        self.assertEqual(action["res_id"], wizard.id)
        self.assertEqual(wizard.state, "done")
        self.assertEqual(self._moves(), moves_before + 2)
        self.assertEqual((case_1 | case_2).mapped("state"), ["resolved", "resolved"])
        self.assertEqual((small_1 | small_2).mapped("amount_residual"), [0.0, 0.0])
        self.assertRecordValues(case_3, [{"state": "new", "resolution_type": False}])
        self.assertEqual(large.amount_residual, 100.0)
        self.assertIn("2 case(s) resolved, 1 refused", wizard.summary)
        self.assertIn(case_3.name, wizard.summary)
        self.assertIn("exceeds the write-off limit", wizard.summary)

    def test_bulk_note_needs_a_note(self):
        case_1 = self._create_case()
        case_2 = self._create_case()
        result = (
            (case_1 | case_2).with_user(self.coordinator)._resolve_bulk("no_action")
        )
        self.assertFalse(result["done"])
        self.assertEqual(
            [case for case, _reason in result["refused"]], [case_1, case_2]
        )
        self.assertIn("Explain the resolution", result["refused"][0][1])
        result = (case_1 | case_2)._resolve_bulk("no_action", note="Duplicate ticket.")
        self.assertEqual(result["done"], case_1 | case_2)
        self.assertEqual(case_1.resolution_note, "Duplicate ticket.")

    # --------------------------------------------------------- auto write-off

    def _run_cron(self):
        cron = self.env.ref("billing_coordinator.ir_cron_billing_auto_write_off")
        self.assertEqual(cron.code.strip(), "model._cron_auto_write_off()")
        with patch.object(
            self.registry["ir.cron"], "_commit_progress", return_value=60.0
        ):
            # sudo: the cron runs as the superuser
            self.env["billing.case"].sudo()._cron_auto_write_off()
        self.env.invalidate_all()

    def test_auto_write_off_off_by_default(self):
        self.assertFalse(self.env["res.company"].new({}).billing_auto_writeoff)
        _invoice, case = self._short_payment()
        moves_before = self._moves()
        self._run_cron()
        self.assertEqual(self._moves(), moves_before)
        self.assertEqual(case.state, "new")

    def test_auto_write_off_within_and_above_tolerance_and_limit(self):
        self.company.billing_auto_writeoff = True
        within, case_within = self._short_payment(paid=997.0)  # 3 <= 5 and <= 1 %
        above_amount, case_amount = self._short_payment(paid=992.0)  # 8 > 5
        above_share, case_share = self._short_payment(
            amount=200.0, paid=196.0
        )  # 4 > 1 % of 200
        too_recent, case_recent = self._short_payment(paid=997.0, due_days_ago=10)

        self._run_cron()

        self.assertEqual(case_within.state, "resolved")
        self.assertEqual(case_within.resolution_type, "write_off")
        self.assertIn("Written off automatically", case_within.resolution_note)
        self.assertEqual(within.amount_residual, 0.0)
        write_off = case_within.resolution_move_ids
        self.assertEqual(write_off.journal_id, self.misc_journal)
        self.assertEqual(
            write_off.line_ids.filtered(
                lambda line: line.account_id == self.writeoff_account
            ).balance,
            3.0,
        )
        for case in (case_amount, case_share, case_recent):
            self.assertEqual(case.state, "new", case.name)
        self.assertEqual(above_amount.amount_residual, 8.0)
        self.assertEqual(too_recent.amount_residual, 3.0)
        # The daily summary for the managers.
        summary = self.env["mail.message"].search(
            [("partner_ids", "in", self.manager.partner_id.id)],
            order="id desc",
            limit=1,
        )
        self.assertIn("Automatic write-off", summary.subject)
        self.assertIn(case_within.name, summary.body)
        self.assertIn("1 case(s) written off", summary.body)

    def test_auto_write_off_never_above_the_coordinator_limit(self):
        self.company.write(
            {
                "billing_auto_writeoff": True,
                "billing_auto_writeoff_amount": 500.0,
                "billing_auto_writeoff_percent": 10.0,
                "billing_writeoff_limit": 50.0,
            }
        )
        _invoice, case_60 = self._short_payment(paid=940.0)  # 60 > the 50 limit
        _invoice, case_40 = self._short_payment(paid=960.0)
        self._run_cron()
        self.assertEqual(case_60.state, "new")
        self.assertEqual(case_40.state, "resolved")
