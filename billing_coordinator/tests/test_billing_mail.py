from datetime import timedelta

from markupsafe import Markup

from odoo import Command
from odoo.tests import tagged
from odoo.tools import format_amount, format_date

from odoo.addons.mail.tests.common import MailCommon

from .common import BillingCaseCommon

REPLY = """From: {email_from}
To: {to}
Subject: {subject}
Message-ID: <reply-to-case-1@acme.example.com>
In-Reply-To: {parent}
References: {parent}
Date: Fri, 10 Aug 2012 14:16:26 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

We paid 850.00 on Monday; the remittance advice is on its way.
"""


@tagged("post_install", "-at_install")
class TestCaseMail(BillingCaseCommon, MailCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_contact.email = "ann.payable@acme.example.com"
        cls.ref = cls.env.ref
        cls.tpl_notice = cls.ref(
            "billing_coordinator.mail_template_billing_case_notice"
        )
        cls.tpl_resolved = cls.ref(
            "billing_coordinator.mail_template_billing_case_resolved"
        )
        cls.tpl_reminder = cls.ref(
            "billing_coordinator.mail_template_billing_case_reminder"
        )
        cls.tpl_promise = cls.ref(
            "billing_coordinator.mail_template_billing_case_promise"
        )
        cls.type_overdue = cls.ref("billing_coordinator.case_type_overdue")
        cls.usd = cls.company.currency_id

    def _render(self, template, case):
        return template._generate_template(
            case.ids, ("subject", "body_html", "lang", "partner_to")
        )[case.id]

    def _money(self, amount, lang=None):
        env = self.env(context=dict(self.env.context, lang=lang)) if lang else self.env
        return format_amount(env, amount, self.usd)

    def _overcharge_case(self, amount=1000.0, expected=850.0):
        invoice = self._create_invoice(amount=amount)
        case = self._create_case(
            move_ids=[Command.set(invoice.ids)],
            expected_amount=expected,
            actual_amount=amount,
            user_id=self.coordinator.id,
        )
        return invoice, case

    # ------------------------------------------------------------ templates

    def test_template_by_case_state(self):
        invoice, case = self._overcharge_case()
        self.assertEqual(case._get_mail_template(), self.tpl_notice)
        action = case.with_user(self.coordinator).action_send_email()
        self.assertEqual(action["res_model"], "mail.compose.message")
        self.assertEqual(action["context"]["default_template_id"], self.tpl_notice.id)
        self.assertEqual(action["context"]["default_res_ids"], case.ids)

        overdue = self._create_case(
            case_type_id=self.type_overdue.id, move_ids=[Command.set(invoice.ids)]
        )
        self.assertEqual(overdue._get_mail_template(), self.tpl_reminder)
        self._register_payment(invoice)
        self.assertEqual(
            overdue._get_mail_template(),
            self.tpl_notice,
            "nothing open any more: no reminder",
        )

        self.env["billing.case.promise"].create(
            {
                "case_id": case.id,
                "date": self.today + timedelta(days=5),
                "amount": 100.0,
            }
        )
        self.assertEqual(case._get_mail_template(), self.tpl_promise)
        case._mark_resolved("no_action", note="Checked")
        self.assertEqual(case._get_mail_template(), self.tpl_resolved)
        overdue.write({"state": "cancelled", "resolution_note": "Withdrawn"})
        self.assertFalse(overdue._get_mail_template())

    def test_discrepancy_notice_renders_amounts(self):
        invoice, case = self._overcharge_case(amount=1000.0, expected=850.0)
        values = self._render(self.tpl_notice, case)
        self.assertIn(case.name, values["subject"])
        body = values["body_html"]
        self.assertIn(invoice.name, body)
        self.assertIn(self._money(850.0), body)
        self.assertIn(self._money(1000.0), body)
        self.assertIn(self._money(150.0), body)
        self.assertIn("in your favour", body)
        self.assertEqual(
            values["partner_ids"],
            self.customer_contact.ids,
            "the invoice contact gets it",
        )

    def test_resolution_confirmation_names_the_credit_note(self):
        invoice, case = self._overcharge_case(amount=1000.0, expected=850.0)
        wizard = (
            self.env["billing.case.resolve"]
            .with_context(default_case_id=case.id)
            .create({"resolution_type": "credit_note", "amount": 150.0})
        )
        wizard.action_apply()
        credit_note = case.resolution_move_ids
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(case._get_mail_template(), self.tpl_resolved)
        body = self._render(self.tpl_resolved, case)["body_html"]
        self.assertIn("Credit note", body)
        self.assertIn(credit_note.name, body)
        self.assertIn(self._money(150.0), body)
        self.assertIn(self._money(850.0), body, "what is still due on the invoice")

    def test_resolution_confirmation_names_the_refund(self):
        invoice = self._create_invoice(amount=1000.0)
        payment = self._register_payment(invoice, amount=1120.0)
        case = self._create_case(
            case_type_id=self.ref("billing_coordinator.case_type_overpayment").id,
            move_ids=[Command.set(invoice.ids)],
            payment_ids=[Command.set(payment.ids)],
            expected_amount=1000.0,
            actual_amount=1120.0,
        )
        self.env["billing.case.resolve"].with_context(default_case_id=case.id).create(
            {"resolution_type": "refund", "amount": 120.0}
        ).action_apply()
        refund_move = case.resolution_move_ids
        self.assertTrue(refund_move.origin_payment_id)
        body = self._render(self.tpl_resolved, case)["body_html"]
        self.assertIn("Refund", body)
        self.assertIn(refund_move.name, body)
        self.assertIn(self._money(120.0), body)
        self.assertIn("Nothing is due any more", body)

    def test_payment_reminder_lists_open_amounts(self):
        first = self._create_invoice(
            amount=400.0, due_date=self.today - timedelta(days=20)
        )
        second = self._create_invoice(
            amount=700.0, due_date=self.today - timedelta(days=5)
        )
        paid = self._create_invoice(amount=90.0)
        self._register_payment(second, amount=250.0)
        self._register_payment(paid)
        case = self._create_case(
            case_type_id=self.type_overdue.id,
            move_ids=[Command.set((first | second | paid).ids)],
        )
        body = self._render(self.tpl_reminder, case)["body_html"]
        self.assertIn(first.name, body)
        self.assertIn(second.name, body)
        self.assertNotIn(paid.name, body, "a paid invoice is not reminded")
        self.assertIn(self._money(400.0), body)
        self.assertIn(self._money(450.0), body)
        self.assertIn(self._money(850.0), body, "the total still due")
        self.assertIn(format_date(self.env, first.invoice_date_due), body)
        self.assertLess(
            body.index(first.name), body.index(second.name), "oldest due first"
        )

    def test_promise_confirmation_lists_installments(self):
        invoice = self._create_invoice(amount=900.0)
        case = self._create_case(
            case_type_id=self.type_overdue.id, move_ids=[Command.set(invoice.ids)]
        )
        first, second = self.today + timedelta(days=10), self.today + timedelta(days=40)
        self.env["billing.case.promise"].create(
            [
                {
                    "case_id": case.id,
                    "date": first,
                    "amount": 300.0,
                    "target_residual": 600.0,
                },
                {
                    "case_id": case.id,
                    "date": second,
                    "amount": 600.0,
                    "target_residual": 0.0,
                },
            ]
        )
        body = self._render(self.tpl_promise, case)["body_html"]
        self.assertIn(format_date(self.env, first), body)
        self.assertIn(format_date(self.env, second), body)
        self.assertIn(self._money(300.0), body)
        self.assertIn(self._money(600.0), body)
        self.assertIn(self._money(900.0), body, "the plan's total")

    def test_rendered_in_the_customer_language(self):
        for code in ("fr_FR", "de_DE"):
            self.env["res.lang"]._activate_lang(code)
        self.type_overcharge.with_context(lang="fr_FR").name = "Surfacturation"
        self.customer.lang = "fr_FR"
        invoice, case = self._overcharge_case(amount=1000.0, expected=850.0)
        values = self._render(self.tpl_notice, case)
        self.assertEqual(values["lang"], "fr_FR")
        self.assertIn(
            "Surfacturation",
            values["body_html"],
            "translatable terms in the customer's language",
        )
        self.assertIn(self._money(150.0, lang="fr_FR"), values["body_html"])
        self.assertNotEqual(self._money(150.0, lang="fr_FR"), self._money(150.0))

        # The composer opened from the case takes the same language.
        composer = (
            self.env["mail.compose.message"]
            .with_context(**case.action_send_email()["context"])
            .create({})
        )
        self.assertEqual(composer.lang, "fr_FR")
        self.assertIn("Surfacturation", composer.body)

        self.customer.lang = "de_DE"
        self.assertEqual(self.tpl_notice._render_lang(case.ids)[case.id], "de_DE")
        self.assertIn(
            self._money(150.0, lang="de_DE"),
            self._render(self.tpl_notice, case)["body_html"],
        )

    # ------------------------------------------------------- send and reply

    def test_send_from_case_and_reply_lands_in_chatter(self):
        invoice, case = self._overcharge_case()
        as_coordinator = case.with_user(self.coordinator)
        composer = (
            self.env["mail.compose.message"]
            .with_user(self.coordinator)
            .with_context(**as_coordinator.action_send_email()["context"])
            .create({})
        )
        self.assertEqual(composer.template_id, self.tpl_notice)
        # The invoice contact, and the coordinator as Odoo suggests the responsible (the
        # author is not mailed a copy).
        self.assertIn(self.customer_contact, composer.partner_ids)
        self.assertNotIn(self.customer, composer.partner_ids)
        with self.mock_mail_gateway():
            composer._action_send_mail()
        sent = case.message_ids.filtered(
            lambda m: m.message_type == "comment" and m.subject
        )
        self.assertEqual(len(sent), 1)
        self.assertIn(case.name, sent.subject)
        self.assertIn(self._money(150.0), Markup(sent.body).unescape())
        self.assertEqual(sent.author_id, self.coordinator.partner_id)
        self.assertEqual(len(self._mails), 1)
        self.assertIn(self.customer_contact.email, self._mails[0]["email_to"][0])

        raw = REPLY.format(
            email_from=self.customer_contact.email_formatted,
            to=sent.reply_to or "catchall@example.com",
            subject=f"Re: {sent.subject}",
            parent=sent.message_id,
        )
        # sudo: the mail gateway runs as the superuser
        thread_id = self.env["mail.thread"].sudo().message_process(None, raw)
        self.assertEqual(thread_id, case.id)
        reply = case.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertEqual(len(reply), 1, "the reply is in the case chatter")
        self.assertIn("We paid 850.00 on Monday", reply.body)
        self.assertEqual(reply.author_id, self.customer_contact)
        self.assertEqual(reply.parent_id, sent)
