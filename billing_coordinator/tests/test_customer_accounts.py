from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import BillingCaseCommon


@tagged("post_install", "-at_install")
class TestCustomerAccounts(BillingCaseCommon):
    """New customer accounts: probable duplicates, the billing ready check and its
    posting block, bounced invoice e-mails."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Case = cls.env["billing.case"]
        cls.Partner = cls.env["res.partner"]
        cls.existing = cls.Partner.create(
            {
                "name": "Brightwater Trading Ltd",
                "is_company": True,
                "email": "accounts@brightwater.example.com",
                "street": "Rue de la Loi 16",
                "city": "Brussels",
                "zip": "1000",
                "country_id": cls.env.ref("base.be").id,
                "vat": "BE0477472701",
                "property_payment_term_id": cls.pay_terms_a.id,
                "bank_ids": [Command.create({"acc_number": "BE68 5390 0754 7034"})],
            }
        )
        cls.existing_contact = cls.Partner.create(
            {
                "name": "Brightwater Payables",
                "parent_id": cls.existing.id,
                "type": "invoice",
                "email": "payables@brightwater.example.com",
            }
        )

    def _ready_customer(self, name="Ready Customer", **vals):
        values = {
            "name": name,
            "is_company": True,
            "email": "billing@ready.example.com",
            "street": "Main Street 1",
            "city": "Springfield",
            "zip": "12345",
            "country_id": self.env.ref("base.us").id,
            "child_ids": [Command.create({"name": "AP", "type": "invoice"})],
        }
        values.update(vals)
        return self.Partner.create(values)

    # ------------------------------------------------------------ duplicates

    def test_duplicate_same_vat_while_typing(self):
        new = self.Partner.new(
            {"name": "Other Name", "is_company": True, "vat": "be 0477.472.701"}
        )
        self.assertEqual(new.billing_duplicate_partner_ids._origin, self.existing)
        self.assertIn("same VAT number", new.billing_duplicate_reasons)
        self.assertIn(self.existing.display_name, new.billing_duplicate_reasons)
        other = self.Partner.new(
            {"name": "Other Name", "is_company": True, "vat": "BE0403019261"}
        )
        self.assertFalse(other.billing_duplicate_partner_ids)
        self.assertFalse(other.billing_duplicate_reasons)

    def test_duplicate_same_domain_and_name(self):
        new = self.Partner.new(
            {"name": "BRIGHTWATER TRADING", "email": "sales@brightwater.example.com"}
        )
        self.assertEqual(new.billing_duplicate_partner_ids._origin, self.existing)
        self.assertIn("same e-mail domain and name", new.billing_duplicate_reasons)
        # Same name at another domain, or another name at the same domain: not a duplicate.
        for vals in (
            {"name": "Brightwater Trading", "email": "info@elsewhere.example.com"},
            {"name": "Brightwater Logistics", "email": "info@brightwater.example.com"},
        ):
            self.assertFalse(self.Partner.new(vals).billing_duplicate_partner_ids, vals)

    def test_duplicate_same_iban(self):
        new = self.Partner.create(
            {
                "name": "Unrelated Name",
                "bank_ids": [Command.create({"acc_number": "BE68539007547034"})],
            }
        )
        # Not stored: each form load computes it afresh.
        self.env.invalidate_all()
        self.assertEqual(new.billing_duplicate_partner_ids, self.existing)
        self.assertIn("same bank account", new.billing_duplicate_reasons)
        # The existing customer sees the new one too, never itself or its contacts.
        self.assertEqual(self.existing.billing_duplicate_partner_ids, new)
        self.assertFalse(self.existing_contact.billing_duplicate_partner_ids)
        new.bank_ids.acc_number = "BE71096123456769"
        new.invalidate_recordset(["billing_duplicate_partner_ids"])
        self.assertFalse(new.billing_duplicate_partner_ids)

    def test_duplicate_customer_rule(self):
        self._create_invoice(partner=self.existing, amount=100.0)
        duplicate = self.Partner.create(
            {"name": "Brightwater Trading", "is_company": True, "vat": "BE 0477472701"}
        )
        # Not customers at all: not listed.
        self.Partner.create({"name": "Lone Vendor", "vat": "BE0403019261"})
        self.Partner.create({"name": "Lone Vendor Bis", "vat": "BE0403019261"})
        case = self.Case._detect(self.company, rules=["duplicate_customer"])["created"]
        self.assertRecordValues(
            case,
            [
                {
                    "partner_id": duplicate.id,
                    "case_code": "customer_data",
                    "detection_key": f"res.partner,{self.existing.id}+res.partner,{duplicate.id}",
                    "detection_fingerprint": "vat",
                }
            ],
        )
        self.assertIn(self.existing.name, case.description)
        self.assertIn("same VAT number", case.description)
        # Corrected: the case clears.
        duplicate.vat = "BE0403019261"
        summary = self.Case._detect(self.company, rules=["duplicate_customer"])
        self.assertEqual(summary["cleared"], case)
        self.assertEqual(case.resolution_type, "cleared")

    def test_duplicate_customer_rule_negative(self):
        self._create_invoice(partner=self.existing, amount=100.0)
        self.Partner.create({"name": "Brightwater Trading", "vat": "BE0403019261"})
        archived = self.Partner.create(
            {"name": "Old Brightwater", "vat": "BE0477472701"}
        )
        archived.active = False
        summary = self.Case._detect(self.company, rules=["duplicate_customer"])
        self.assertFalse(summary["created"])
        self.assertFalse(summary["failed"])

    # ---------------------------------------------------------- billing ready

    def test_billing_ready(self):
        self.assertTrue(self.existing.billing_ready)
        self.assertFalse(self.existing.billing_ready_issues)
        # A contact shows its company's check.
        self.assertTrue(self.existing_contact.billing_ready)
        us_customer = self._ready_customer()
        self.assertTrue(us_customer.billing_ready, us_customer.billing_ready_issues)

    def test_billing_ready_missing(self):
        self.env["billing.detection.rule"]._get_rule(
            self.company, "customer_data"
        ).require_payment_terms = True
        partner = self.Partner.create(
            {
                "name": "Half Done SA",
                "is_company": True,
                "street": "Rue Haute 1",
                "country_id": self.env.ref("base.be").id,
            }
        )
        self.assertFalse(partner.billing_ready)
        issues = partner.billing_ready_issues.splitlines()
        self.assertEqual(
            issues,
            [
                "No invoicing e-mail address.",
                "Incomplete address: no city, ZIP.",
                "No payment terms.",
                "No VAT number.",
                "No billing contact (an Invoice Address contact).",
            ],
        )
        invalid = self.Partner.with_context(no_vat_validation=True).create(
            {
                "name": "Bad VAT",
                "is_company": True,
                "vat": "BE0477472702",
                "country_id": self.env.ref("base.be").id,
            }
        )
        self.assertIn("BE0477472702 is not valid", invalid.billing_ready_issues)
        # A private person needs neither a VAT number nor a billing contact.
        person = self._ready_customer(
            name="Jane Doe",
            is_company=False,
            country_id=self.env.ref("base.be").id,
            child_ids=[],
            property_payment_term_id=self.pay_terms_a.id,
        )
        self.assertTrue(person.billing_ready, person.billing_ready_issues)

    def test_first_invoice_blocked_when_not_ready(self):
        self.company.billing_block_unready_first_invoice = True
        partner = self.Partner.create({"name": "Fresh Prospect", "is_company": True})
        invoice = self._create_invoice(partner=partner, amount=100.0, post=False)
        with self.assertRaises(UserError) as error:
            invoice.action_post()
        message = str(error.exception)
        self.assertIn("Fresh Prospect is not billing ready", message)
        self.assertIn("- No invoicing e-mail address.", message)
        self.assertIn("- Incomplete address: no street, city, ZIP, country.", message)
        self.assertIn("- No billing contact", message)
        self.assertEqual(invoice.state, "draft")
        # A billing ready customer's first invoice posts.
        ready = self._create_invoice(
            partner=self._ready_customer(), amount=100.0, post=False
        )
        ready.action_post()
        self.assertEqual(ready.state, "posted")

    def test_first_invoice_not_blocked(self):
        partner = self.Partner.create({"name": "Fresh Prospect", "is_company": True})
        # Setting off: posts.
        first = self._create_invoice(partner=partner, amount=100.0)
        self.assertEqual(first.state, "posted")
        # Setting on, but the customer was invoiced before: not its first invoice.
        self.company.billing_block_unready_first_invoice = True
        second = self._create_invoice(partner=partner, amount=50.0)
        self.assertEqual(second.state, "posted")
        # Credit notes are never blocked.
        other = self.Partner.create({"name": "Refund Only", "is_company": True})
        refund = self._create_invoice(
            partner=other, amount=10.0, move_type="out_refund"
        )
        self.assertEqual(refund.state, "posted")

    # ---------------------------------------------------------------- bounces

    def _bounce(self, invoice, email):
        """What Odoo's mail gateway does on a bounce of a mail sent from ``invoice``
        (mail.thread._routing_handle_bounce): the partners with that address count the
        bounce, then the invoice the mail was posted on is told."""
        partners = self.Partner.search([("email_normalized", "=", email)])
        partners._message_receive_bounce(email, partners[:1])
        invoice._message_receive_bounce(email, partners[:1])

    def test_bounce_opens_customer_data_case(self):
        invoice = self._create_invoice(partner=self.existing, amount=100.0)
        self._bounce(invoice, "payables@brightwater.example.com")
        case = self.Case.search(
            [
                ("partner_id", "=", self.existing.id),
                ("detection_rule", "=", "customer_data"),
            ]
        )
        self.assertEqual(len(case), 1)
        self.assertEqual(case.case_code, "customer_data")
        self.assertEqual(
            case.detection_fingerprint, "bounce:payables@brightwater.example.com"
        )
        self.assertIn("bounce", case.description)
        # The daily rule sees the same situation: nothing new, nothing cleared.
        summary = self.Case._detect(self.company, rules=["customer_data"])
        self.assertFalse(summary["created"] | summary["cleared"] | summary["updated"])
        # The coordinator fixes the address: the bounce counter resets, the case clears.
        self.existing_contact.email = "ap@brightwater.example.com"
        summary = self.Case._detect(self.company, rules=["customer_data"])
        self.assertEqual(summary["cleared"], case)

    def test_bounce_updates_open_case(self):
        invoice = self._create_invoice(partner=self.existing, amount=100.0)
        self.existing.city = False
        case = self.Case._detect(self.company, rules=["customer_data"])[
            "created"
        ].filtered(lambda c: c.partner_id == self.existing)
        self.assertEqual(case.detection_fingerprint, "address:city")
        self._bounce(invoice, "accounts@brightwater.example.com")
        self.assertEqual(
            case.detection_fingerprint,
            "address:city|bounce:accounts@brightwater.example.com",
        )
        self.assertEqual(
            self.Case.search_count(
                [
                    ("partner_id", "=", self.existing.id),
                    ("detection_rule", "=", "customer_data"),
                ]
            ),
            1,
        )

    def test_bounce_on_draft_or_other_mail_no_case(self):
        draft = self._create_invoice(partner=self.existing, amount=100.0, post=False)
        self._bounce(draft, "payables@brightwater.example.com")
        self.assertFalse(self.Case.search([("partner_id", "=", self.existing.id)]))
        # A bounce elsewhere still counts on the partner: the daily rule reports it.
        self._create_invoice(partner=self.existing, amount=100.0)
        case = self.Case._detect(self.company, rules=["customer_data"])[
            "created"
        ].filtered(lambda c: c.partner_id == self.existing)
        self.assertEqual(
            case.detection_fingerprint, "bounce:payables@brightwater.example.com"
        )

    # ------------------------------------------------------ duplicate invoices

    def test_duplicate_invoice_warning(self):
        first = self._create_invoice(partner=self.existing, amount=450.0)
        first.ref = "PO-7781"
        draft = self._create_invoice(partner=self.existing, amount=450.0, post=False)
        draft.ref = "po-7781 "
        self.assertEqual(draft.billing_duplicate_invoice_ids, first)
        alert = draft.alerts["billing_duplicate_invoice"]
        self.assertIn(first.name, alert["message"])
        self.assertEqual(alert["action"]["res_id"], first.id)
        # Posted, it is no longer warned about.
        draft.action_post()
        self.assertFalse(draft.billing_duplicate_invoice_ids)

    def test_duplicate_invoice_no_warning(self):
        first = self._create_invoice(partner=self.existing, amount=450.0)
        first.ref = "PO-7781"
        # Another reference, another amount, another customer, or out of the window.
        other_ref = self._create_invoice(
            partner=self.existing, amount=450.0, post=False
        )
        other_ref.ref = "PO-7782"
        other_amount = self._create_invoice(
            partner=self.existing, amount=451.0, post=False
        )
        other_amount.ref = "PO-7781"
        other_customer = self._create_invoice(
            partner=self.customer, amount=450.0, post=False
        )
        other_customer.ref = "PO-7781"
        self.company.billing_duplicate_invoice_days = 7
        late = self._create_invoice(
            partner=self.existing,
            amount=450.0,
            post=False,
            invoice_date=first.invoice_date + timedelta(days=8),
        )
        late.ref = "PO-7781"
        for move in (other_ref, other_amount, other_customer, late):
            self.assertFalse(move.billing_duplicate_invoice_ids, move.ref)
            self.assertNotIn("billing_duplicate_invoice", move.alerts or {})
