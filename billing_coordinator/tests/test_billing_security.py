from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import BillingCaseCommon


@tagged("post_install", "-at_install")
class TestBillingSecurity(BillingCaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.case = cls._create_case(expected_amount=10.0)

    def test_coordinator_creates_and_edits(self):
        case = (
            self.env["billing.case"]
            .with_user(self.coordinator)
            .create(
                {
                    "partner_id": self.customer.id,
                    "case_type_id": self.type_overcharge.id,
                }
            )
        )
        case.write({"expected_amount": 42.0})
        case.action_start()
        self.assertEqual(case.state, "in_progress")

    def test_invoicing_user_reads_but_cannot_edit(self):
        invoice = self._create_invoice()
        self.case.move_ids = invoice
        as_clerk = self.case.with_user(self.invoice_user)
        self.assertEqual(as_clerk.expected_amount, 10.0)
        self.assertEqual(invoice.with_user(self.invoice_user).billing_case_count, 1)
        with self.assertRaises(AccessError):
            self.env["billing.case"].with_user(self.invoice_user).create(
                {
                    "partner_id": self.customer.id,
                    "case_type_id": self.type_overcharge.id,
                }
            )
        with self.assertRaises(AccessError):
            as_clerk.write({"expected_amount": 99.0})
        with self.assertRaises(AccessError):
            as_clerk.action_start()
        with self.assertRaises(AccessError):
            invoice.with_user(self.invoice_user).action_report_discrepancy()
        self.assertEqual(self.case.expected_amount, 10.0)
        self.assertEqual(self.case.state, "new")

    def test_internal_user_without_accounting_sees_nothing(self):
        plain_user = self._create_billing_user(
            "plain_user", [self.env.ref("base.group_user")]
        )
        with self.assertRaises(AccessError):
            self.case.with_user(plain_user).read(["name"])

    def test_only_managers_configure_case_types(self):
        with self.assertRaises(AccessError):
            self.env["billing.case.type"].with_user(self.coordinator).create(
                {"name": "X", "code": "other"}
            )
        with self.assertRaises(AccessError):
            self.type_overcharge.with_user(self.coordinator).write({"sla_days": 1})
        new_type = (
            self.env["billing.case.type"]
            .with_user(self.manager)
            .create({"name": "X", "code": "other"})
        )
        self.assertTrue(new_type.exists())

    def test_multi_company_isolation(self):
        foreign_case = self._other_company_case("Isolated Co")
        other = foreign_case.company_id
        Case = self.env["billing.case"].with_user(self.coordinator)
        self.assertIn(self.case, Case.search([]))
        self.assertNotIn(foreign_case, Case.search([]))
        with self.assertRaises(AccessError):
            foreign_case.with_user(self.coordinator).read(["name"])
        foreign_type = self.env["billing.case.type"].create(
            {"name": "Only other", "code": "other", "company_id": other.id}
        )
        self.assertNotIn(
            foreign_type,
            self.env["billing.case.type"].with_user(self.coordinator).search([]),
        )

        # A coordinator of both companies sees both when both are active.
        self.coordinator.company_ids = [Command.link(other.id)]
        both = Case.with_context(allowed_company_ids=[self.company.id, other.id])
        self.assertIn(foreign_case, both.search([]))

    def test_resolution_needs_coordinator_rights(self):
        with self.assertRaises(AccessError):
            self.env["billing.case.resolve"].with_user(self.invoice_user).create(
                {
                    "case_id": self.case.id,
                    "resolution_type": "no_action",
                    "note": "nothing",
                }
            )
        wizard = (
            self.env["billing.case.resolve"]
            .with_user(self.coordinator)
            .create(
                {
                    "case_id": self.case.id,
                    "resolution_type": "no_action",
                    "note": "Checked, invoice right.",
                }
            )
        )
        wizard.action_apply()
        self.assertEqual(self.case.state, "resolved")
        self.assertEqual(self.case.resolution_type, "no_action")

    def test_promises_readable_not_writable_by_invoicing_users(self):
        promise = self.env["billing.case.promise"].create(
            {"case_id": self.case.id, "date": self.today, "amount": 5.0}
        )
        self.assertEqual(promise.with_user(self.invoice_user).amount, 5.0)
        with self.assertRaises(AccessError):
            promise.with_user(self.invoice_user).write({"amount": 1.0})
        with self.assertRaises(AccessError):
            self.env["billing.case.promise"].with_user(self.invoice_user).create(
                {"case_id": self.case.id, "date": self.today, "amount": 1.0}
            )

    def test_promises_isolated_by_company(self):
        foreign_case = self._other_company_case("Promise Co")
        foreign_promise = self.env["billing.case.promise"].create(
            {"case_id": foreign_case.id, "date": self.today, "amount": 5.0}
        )
        Promise = self.env["billing.case.promise"].with_user(self.coordinator)
        self.assertNotIn(foreign_promise, Promise.search([]))
        with self.assertRaises(AccessError):
            foreign_promise.with_user(self.coordinator).read(["amount"])
