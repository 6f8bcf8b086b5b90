from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import BillingCaseCommon
from .reports_common import PdfTestMixin


@tagged("post_install", "-at_install")
class TestCaseEvidencePack(PdfTestMixin, BillingCaseCommon):
    REPORT = "billing_coordinator.billing_case_report_action"

    @classmethod
    def _match(cls, *moves):
        """Reconcile the receivable lines of ``moves`` with each other."""
        lines = cls.env["account.move.line"]
        for move in moves:
            lines |= move.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
            )
        lines.reconcile()

    def test_evidence_pack_figures_and_log(self):
        invoice = self._create_invoice(amount=1000.0)
        case = self._create_case(
            move_ids=[Command.set(invoice.ids)],
            expected_amount=900.0,
            actual_amount=1000.0,
        )
        self._register_payment(invoice, amount=300.0)
        refund = self._create_invoice(amount=100.0, move_type="out_refund")
        self._match(invoice, refund)
        receivable = invoice.line_ids.filtered(
            lambda line: line.display_type == "payment_term"
        ).account_id
        write_off = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": self.company_data["default_journal_misc"].id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": receivable.id,
                            "partner_id": self.customer.id,
                            "credit": 50.0,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": self.company_data[
                                "default_account_expense"
                            ].id,
                            "debit": 50.0,
                        }
                    ),
                ],
            }
        )
        write_off.action_post()
        self._match(invoice, write_off)
        case.resolution_move_ids = [Command.link(refund.id)]
        self.env["billing.case.promise"].create(
            {
                "case_id": case.id,
                "date": self.today + timedelta(days=7),
                "amount": 550.0,
            }
        )
        case.message_post(
            body="Customer sent the delivery note.", message_type="comment"
        )
        case._log_call(
            self.env.ref("billing_coordinator.call_outcome_promise"),
            note="Pays next week.",
            follow_up_date=self.today + timedelta(days=7),
        )
        call = case.call_ids
        call.date = fields.Datetime.now() - timedelta(days=1)  # the call came first
        self.assertEqual(invoice.amount_residual, 550.0)

        doc = self._render_html(self.REPORT, case.ids)
        amounts = {
            cell.get("data-amount"): self._text(cell)
            for cell in doc.xpath("//table[@id='amount_breakdown']//td[@data-amount]")
        }
        # 1000 invoiced = 300 paid + 100 credited + 50 written off + 550 still open.
        expected = {
            "original": "1,000.00",
            "in_dispute": "100.00",
            "paid": "300.00",
            "credited": "100.00",
            "written_off": "50.00",
            "open": "550.00",
        }
        for key, amount in expected.items():
            self.assertIn(amount, amounts[key], key)
        self.assertIn(
            invoice.name, self._text(doc.xpath("//table[@id='case_documents']")[0])
        )
        self.assertIn(
            refund.name, self._text(doc.xpath("//table[@id='resolution_documents']")[0])
        )
        promises = self._text(doc.xpath("//table[@id='case_promises']")[0])
        self.assertIn("550.00", promises)
        self.assertIn("Pending", promises)
        log_rows = [
            self._text(row)
            for row in doc.xpath("//table[@id='communication_log']/tbody/tr")
        ]
        self.assertEqual(
            len(log_rows), 2, "the call's own chatter note is not listed twice"
        )
        self.assertIn("Call", log_rows[0])
        self.assertIn("Promise Given", log_rows[0])
        self.assertIn("Pays next week.", log_rows[0])
        self.assertIn("Customer sent the delivery note.", log_rows[1])

        breakdown = case._get_amount_breakdown()[case.id]
        self.assertEqual(
            breakdown["original"],
            breakdown["paid"]
            + breakdown["credited"]
            + breakdown["written_off"]
            + breakdown["open"],
        )

    def test_other_company_case_refused(self):
        foreign = self._other_company_case("Evidence Co")
        with self.assertRaises(AccessError):
            self._render_html(self.REPORT, foreign.ids, user=self.manager)
