from odoo.tests import tagged

from .common import BillingCaseCommon


@tagged("post_install", "-at_install")
class TestBillingCase(BillingCaseCommon):
    def test_case_from_invoice_smoke(self):
        invoice = self._create_invoice(amount=500.0)
        case = self._create_case(move_ids=[(6, 0, invoice.ids)], expected_amount=450.0, actual_amount=500.0)
        self.assertEqual(case.amount_difference, 50.0)
        self.assertEqual(invoice.billing_case_count, 1)
