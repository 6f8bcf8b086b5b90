from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import BillingCaseCommon


@tagged("post_install", "-at_install")
class TestBillingCase(BillingCaseCommon):
    # ------------------------------------------------------------ from invoice

    def test_report_discrepancy_prefills_case_from_invoice(self):
        invoice = self._create_invoice(partner=self.customer_contact, amount=1000.0)
        self._register_payment(invoice, amount=900.0)
        action = invoice.with_user(self.coordinator).action_report_discrepancy()
        self.assertEqual(action["res_model"], "billing.case")

        form = Form(
            self.env["billing.case"]
            .with_user(self.coordinator)
            .with_context(**action["context"])
        )
        form.case_type_id = self.type_short_payment
        case = form.save()

        self.assertEqual(
            case.partner_id, self.customer, "the case belongs to the commercial entity"
        )
        self.assertEqual(case.move_ids, invoice)
        self.assertEqual(case.currency_id, invoice.currency_id)
        self.assertEqual(case.company_id, invoice.company_id)
        self.assertEqual(case.expected_amount, 1000.0)
        self.assertEqual(case.actual_amount, 900.0)
        self.assertEqual(case.amount_difference, -100.0)
        self.assertEqual(case.state, "new")
        self.assertEqual(invoice.billing_case_ids, case)
        self.assertEqual(invoice.billing_case_count, 1)
        self.assertEqual(self.customer.billing_case_count, 1)
        self.assertEqual(
            self.customer_contact.billing_case_count,
            1,
            "contacts show their company's cases",
        )

    def test_report_discrepancy_refused_on_draft_and_vendor_bill(self):
        draft = self._create_invoice(post=False)
        with self.assertRaisesRegex(UserError, "posted customer invoices"):
            draft.action_report_discrepancy()
        bill = self.init_invoice(
            "in_invoice", partner=self.customer, amounts=[100.0], post=True
        )
        with self.assertRaisesRegex(UserError, "posted customer invoices"):
            bill.action_report_discrepancy()

    def test_payment_smart_button_counts_cases(self):
        invoice = self._create_invoice(amount=300.0)
        payment = self._register_payment(invoice)
        case = self._create_case(
            move_ids=[Command.set(invoice.ids)], payment_ids=[Command.set(payment.ids)]
        )
        self.assertEqual(payment.billing_case_ids, case)
        self.assertEqual(payment.billing_case_count, 1)
        action = payment.action_view_billing_cases()
        self.assertEqual(action["res_id"], case.id)

    # --------------------------------------------------------------- defaults

    def test_defaults_from_type_and_customer(self):
        self.customer.billing_coordinator_id = self.coordinator
        case_type = self.env["billing.case.type"].create(
            {
                "name": "Urgent pricing",
                "code": "overcharge",
                "sla_days": 4,
                "default_priority": "3",
            }
        )
        case = self._create_case(case_type_id=case_type.id)
        self.assertEqual(case.user_id, self.coordinator)
        self.assertEqual(case.priority, "3")
        # The SLA counts working days of the company calendar (Monday to Friday here).
        expected = self.today
        for _day in range(4):
            expected += timedelta(days=1)
            while expected.weekday() >= 5:
                expected += timedelta(days=1)
        self.assertEqual(case.deadline, expected)
        self.assertEqual(case.currency_id, self.company.currency_id)
        self.assertFalse(case.is_late)
        case.deadline = self.today - timedelta(days=1)
        self.assertTrue(case.is_late)
        self.assertIn(case, self.env["billing.case"].search([("is_late", "=", True)]))
        self.assertNotIn(
            case, self.env["billing.case"].search([("is_late", "=", False)])
        )

    def test_contact_is_normalized_to_commercial_partner(self):
        case = self._create_case(partner_id=self.customer_contact.id)
        self.assertEqual(case.partner_id, self.customer)
        case.partner_id = self.customer_contact
        self.assertEqual(case.partner_id, self.customer)

    # --------------------------------------------------------------- sequence

    def test_sequence_per_company(self):
        first = self._create_case()
        second = self._create_case()
        year = self.today.year
        prefix = f"BC/{year}/"
        self.assertTrue(first.name.startswith(prefix))
        self.assertEqual(
            int(second.name.split("/")[-1]), int(first.name.split("/")[-1]) + 1
        )

        other_case = self._other_company_case("Billing Second Co")
        other = other_case.company_id
        self.assertEqual(
            other_case.name, f"{prefix}00001", "a new company starts its own numbering"
        )
        third = self._create_case()
        self.assertEqual(
            int(third.name.split("/")[-1]), int(second.name.split("/")[-1]) + 1
        )

        # A batch (as detection creates them) is numbered in one go, in order, per company.
        batch = self.env["billing.case"].create(
            [
                {
                    "partner_id": self.customer.id,
                    "case_type_id": self.type_overcharge.id,
                },
                {
                    "partner_id": self.other_customer.id,
                    "case_type_id": self.type_overcharge.id,
                    "company_id": other.id,
                },
                {
                    "partner_id": self.customer.id,
                    "case_type_id": self.type_overcharge.id,
                },
            ]
        )
        number = int(third.name.split("/")[-1])
        self.assertEqual(
            batch.mapped("name"),
            [
                f"{prefix}{number + 1:05d}",
                f"{prefix}00002",
                f"{prefix}{number + 2:05d}",
            ],
        )

    # ------------------------------------------------------------ transitions

    def test_state_flow(self):
        case = self._create_case()
        self.assertEqual(case.state, "new")
        case.with_user(self.coordinator).action_start()
        self.assertEqual(case.state, "in_progress")
        self.assertEqual(
            case.user_id, self.coordinator, "starting an unassigned case assigns it"
        )
        case.action_wait_customer()
        self.assertEqual(case.state, "waiting_customer")
        case.action_start()
        self.assertEqual(case.state, "in_progress")
        case._mark_resolved(
            "no_action", note="Checked with the customer: invoice correct."
        )
        self.assertEqual(case.state, "resolved")
        self.assertEqual(case.resolution_type, "no_action")
        self.assertEqual(case.resolved_date, self.today)
        case.action_reopen()
        self.assertEqual(case.state, "in_progress")
        self.assertFalse(case.resolved_date)
        self.assertFalse(case.resolution_type)
        case.resolution_note = "Customer withdrew the claim."
        case.action_cancel()
        self.assertEqual(case.state, "cancelled")
        case.action_reopen()
        self.assertEqual(case.state, "in_progress")

    def test_new_case_can_wait_for_customer_directly(self):
        case = self._create_case()
        case.action_wait_customer()
        self.assertEqual(case.state, "waiting_customer")

    def test_refused_transitions(self):
        case = self._create_case()
        with self.assertRaisesRegex(
            UserError, "Only resolved or cancelled cases can be reopened"
        ):
            case.action_reopen()
        with self.assertRaisesRegex(UserError, "Say why you cancel"):
            case.action_cancel()
        self.assertEqual(case.state, "new")
        case.resolution_note = "   "
        with self.assertRaisesRegex(UserError, "Say why you cancel"):
            case.action_cancel()

        case.action_start()
        with self.assertRaisesRegex(UserError, "Only new cases or cases waiting"):
            case.action_start()
        case.action_wait_customer()
        with self.assertRaisesRegex(
            UserError, "Only new or in-progress cases can wait"
        ):
            case.action_wait_customer()

        case._mark_resolved("no_action", note="done")
        with self.assertRaisesRegex(UserError, "Only new cases or cases waiting"):
            case.action_start()
        with self.assertRaisesRegex(
            UserError, "Only new or in-progress cases can wait"
        ):
            case.action_wait_customer()
        with self.assertRaisesRegex(UserError, "Only open cases can be cancelled"):
            case.action_cancel()
        with self.assertRaisesRegex(UserError, "Only open cases can be resolved"):
            case._mark_resolved("no_action")
        self.assertEqual(case.state, "resolved")

    def test_cancel_wizard_records_reason(self):
        case = self._create_case()
        action = case.action_open_cancel_wizard()
        wizard = Form(self.env[action["res_model"]].with_context(**action["context"]))
        wizard.reason = "Duplicate of an older case"
        wizard.save().action_confirm()
        self.assertEqual(case.state, "cancelled")
        self.assertEqual(case.resolution_note, "Duplicate of an older case")

    # ---------------------------------------------------------------- amounts

    def test_amount_difference(self):
        case = self._create_case(expected_amount=1000.0, actual_amount=1150.5)
        self.assertEqual(case.amount_difference, 150.5)
        case.actual_amount = 800.0
        self.assertEqual(case.amount_difference, -200.0)
        case.expected_amount = 0.0
        self.assertEqual(case.amount_difference, 800.0)

    def test_negative_amounts_refused(self):
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self._create_case(expected_amount=-5.0)
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self._create_case(actual_amount=-5.0)
        case = self._create_case(expected_amount=10.0)
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            case.expected_amount = -1.0

    # ------------------------------------------------------------ consistency

    def test_invoice_of_another_customer_refused(self):
        invoice = self._create_invoice(partner=self.other_customer)
        with self.assertRaisesRegex(
            ValidationError, "belongs to Other Customer, not to the case customer"
        ):
            self._create_case(move_ids=[Command.set(invoice.ids)])
        case = self._create_case()
        with self.assertRaisesRegex(ValidationError, "not to the case customer"):
            case.move_ids = invoice
        with self.assertRaisesRegex(ValidationError, "not to the case customer"):
            case.partner_id = self.other_customer
            case.move_ids = self._create_invoice(partner=self.customer)

    def test_invoice_of_contact_accepted(self):
        invoice = self._create_invoice(partner=self.customer_contact)
        case = self._create_case(move_ids=[Command.set(invoice.ids)])
        self.assertEqual(case.move_ids, invoice)

    def test_vendor_bill_refused(self):
        bill = self.init_invoice(
            "in_invoice", partner=self.customer, amounts=[100.0], post=True
        )
        with self.assertRaisesRegex(
            ValidationError, "not a customer invoice or credit note"
        ):
            self._create_case(move_ids=[Command.set(bill.ids)])

    def test_invoice_in_other_currency_refused(self):
        eur = self.setup_other_currency("EUR")
        invoice = self._create_invoice(currency=eur)
        with self.assertRaisesRegex(ValidationError, "use one case per currency"):
            self._create_case(move_ids=[Command.set(invoice.ids)])
        case = self._create_case(
            move_ids=[Command.set(invoice.ids)], currency_id=eur.id
        )
        self.assertEqual(case.currency_id, eur)

    def test_payment_of_another_customer_refused(self):
        payment = self.init_payment(100.0, post=True, partner=self.other_customer)
        with self.assertRaisesRegex(
            ValidationError, "belongs to Other Customer, not to the case customer"
        ):
            self._create_case(payment_ids=[Command.set(payment.ids)])

    def test_documents_of_another_company_refused(self):
        other = self.setup_other_company(name="Billing Other Co")["company"]
        foreign_invoice = self._create_invoice(company=other)
        with self.assertRaisesRegex(
            ValidationError, "belongs to company Billing Other Co"
        ):
            self._create_case(move_ids=[Command.set(foreign_invoice.ids)])
        foreign_payment = (
            self.env["account.payment"]
            .with_company(other)
            .create(
                {
                    "amount": 50.0,
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": self.customer.id,
                }
            )
        )
        with self.assertRaisesRegex(
            ValidationError, "belongs to company Billing Other Co"
        ):
            self._create_case(payment_ids=[Command.set(foreign_payment.ids)])

    # ----------------------------------------------------------------- delete

    def test_case_with_resolution_documents_cannot_be_deleted(self):
        invoice = self._create_invoice()
        case = self._create_case(move_ids=[Command.set(invoice.ids)])
        case.action_start()
        credit_note = invoice._reverse_moves()
        case._mark_resolved("credit_note", note="Accepted", moves=credit_note)
        with self.assertRaisesRegex(UserError, "archive it instead"):
            case.unlink()
        self.assertTrue(case.exists())
        case.action_archive()
        self.assertFalse(case.active)

        plain = self._create_case()
        plain.unlink()
        self.assertFalse(plain.exists())

    # ---------------------------------------------------------------- chatter

    def test_tracking_written_to_chatter(self):
        # Tests disable tracking by default (DISABLED_MAIL_CONTEXT); a user's session does not.
        case = (
            self.env["billing.case"]
            .with_context(tracking_disable=False, mail_notrack=False)
            .create(
                {
                    "partner_id": self.customer.id,
                    "case_type_id": self.type_overcharge.id,
                    "expected_amount": 100.0,
                    "actual_amount": 100.0,
                }
            )
        )
        # Changes in the transaction that created a record are not tracked: end it first.
        self.env.flush_all()
        self.cr.flush()
        case.action_start()
        case.user_id = self.manager
        case.actual_amount = 130.0
        self.env.flush_all()
        self.cr.flush()  # tracking values are written at flush time
        case.invalidate_recordset(["message_ids"])
        tracked = (
            case.message_ids.sudo().tracking_value_ids
        )  # tracking values are system-only
        by_field = {value.field_id.name: value for value in tracked}
        self.assertIn("state", by_field)
        self.assertEqual(by_field["state"].old_value_char, "New")
        self.assertEqual(by_field["state"].new_value_char, "In Progress")
        self.assertIn("user_id", by_field)
        self.assertIn("actual_amount", by_field)
        self.assertEqual(by_field["actual_amount"].new_value_float, 130.0)
        self.assertIn("amount_difference", by_field)

    # ----------------------------------------------------------------- report

    def test_case_summary_report_content(self):
        invoice = self._create_invoice(amount=640.0)
        case = self._create_case(
            move_ids=[Command.set(invoice.ids)],
            expected_amount=600.0,
            actual_amount=640.0,
            description="<p>Customer disputes the storage fee.</p>",
        )
        report = self.env.ref("billing_coordinator.billing_case_report_action")
        self.assertEqual(
            report.binding_model_id.model,
            "billing.case",
            "the report is in the Print menu",
        )
        html, _report_type = self.env["ir.actions.report"]._render_qweb_html(
            report.report_name, case.ids
        )
        html = html.decode()
        self.assertIn(case.name, html)
        self.assertIn(invoice.name, html)
        self.assertIn("Acme Billing Customer", html)
        self.assertIn("Customer disputes the storage fee.", html)
        for amount in ("600.00", "640.00", "40.00"):
            self.assertIn(amount, html)
