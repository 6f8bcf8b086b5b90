from odoo.tests import HttpCase, tagged

from .common import BillingCaseCommon


@tagged("post_install", "-at_install")
class TestBillingTour(BillingCaseCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tour_customer = cls.env["res.partner"].create({"name": "Tour Customer", "is_company": True})

    def test_case_created_and_started_in_browser(self):
        self.start_tour("/odoo", "billing_case_tour", login="coordinator")
        case = self.env["billing.case"].search([("partner_id", "=", self.tour_customer.id)])
        self.assertEqual(len(case), 1)
        self.assertEqual(case.state, "in_progress")
        self.assertEqual(case.case_type_id, self.type_overcharge)
        self.assertEqual(case.amount_difference, 20.0)
        self.assertEqual(case.user_id, self.coordinator, "starting an unassigned case takes it")
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
