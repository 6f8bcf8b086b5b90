from odoo.tests import HttpCase, tagged

from .common import BillingCaseCommon


@tagged("post_install", "-at_install")
class TestBillingTour(BillingCaseCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tour_customer = cls.env["res.partner"].create(
            {"name": "Tour Customer", "is_company": True}
        )

    def test_case_created_and_started_in_browser(self):
        self.start_tour("/odoo", "billing_case_tour", login="coordinator")
        case = self.env["billing.case"].search(
            [("partner_id", "=", self.tour_customer.id)]
        )
        self.assertEqual(len(case), 1)
        self.assertEqual(case.state, "in_progress")
        self.assertEqual(case.case_type_id, self.type_overcharge)
        self.assertEqual(case.amount_difference, 20.0)
        self.assertEqual(
            case.user_id, self.coordinator, "starting an unassigned case takes it"
        )
        self.assertTrue(case.name.startswith("BC/"))

    def test_report_discrepancy_from_invoice_in_browser(self):
        invoice = self._create_invoice(partner=self.tour_customer, amount=800.0)
        self._register_payment(invoice, amount=700.0)
        self.start_tour(
            f"/odoo/action-account.action_move_out_invoice_type/{invoice.id}",
            "billing_report_discrepancy_tour",
            login="coordinator",
        )
        case = invoice.billing_case_ids
        self.assertEqual(len(case), 1)
        self.assertEqual(case.partner_id, self.tour_customer)
        self.assertEqual(case.case_type_id, self.type_short_payment)
        self.assertEqual(case.expected_amount, 800.0)
        self.assertEqual(case.actual_amount, 700.0)
        self.assertEqual(case.amount_difference, -100.0)

    def test_resolve_with_credit_note_in_browser(self):
        invoice = self._create_invoice(partner=self.tour_customer, amount=1000.0)
        case = self._create_case(
            partner_id=self.tour_customer.id,
            move_ids=[(6, 0, invoice.ids)],
            expected_amount=850.0,
            actual_amount=1000.0,
        )
        self.start_tour(
            f"/odoo/billing-cases/{case.id}",
            "billing_resolve_credit_note_tour",
            login="coordinator",
        )
        self.assertEqual(case.state, "resolved")
        self.assertEqual(case.resolution_type, "credit_note")
        credit_note = case.resolution_move_ids
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.amount_total, 150.0)
        self.assertEqual(
            invoice.amount_residual,
            850.0,
            "the credit note is reconciled with the invoice",
        )
