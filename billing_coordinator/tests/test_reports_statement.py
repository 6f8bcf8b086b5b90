from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import BillingCaseCommon
from .reports_common import PdfTestMixin

REPORT = "billing_coordinator.report_customer_statement_action"


class StatementCommon(PdfTestMixin, BillingCaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.external_report_layout_id = cls.env.ref(
            "web.external_layout_standard"
        )
        cls.Aging = cls.env["billing.receivable.line"]
        today = cls.today
        # 1000 overdue 40 days, 500 due in 10 days, a 200 credit note and a 100 payment
        # applied to nothing: balance 1000 + 500 - 200 - 100 = 1200.
        cls.overdue = cls._create_invoice(
            amount=1000.0,
            invoice_date=today - timedelta(days=40),
            due_date=today - timedelta(days=40),
        )
        cls.not_due = cls._create_invoice(
            amount=500.0,
            invoice_date=today - timedelta(days=5),
            due_date=today + timedelta(days=10),
        )
        cls.refund = cls._create_invoice(
            amount=200.0, move_type="out_refund", invoice_date=today - timedelta(days=3)
        )
        cls.payment = cls.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": cls.customer.id,
                "amount": 100.0,
                "date": today - timedelta(days=2),
                "journal_id": cls.company_data["default_journal_bank"].id,
            }
        )
        cls.payment.action_post()

    def _statement(self, partners=None, user=None, **options):
        partners = partners or self.customer
        data = {
            key: fields.Date.to_string(value)
            if key.startswith("date") and value
            else value
            for key, value in options.items()
        }
        return self._render_html(REPORT, partners.ids, data=data, user=user)

    def _amounts(self, node, xpath):
        return [float(cell.get("data-amount")) for cell in node.xpath(xpath)]

    def _engine(self, partner=None, date_at=None):
        lines = self.Aging._get_aging(
            date_at=date_at or self.today,
            company_ids=self.company,
            partner_ids=(partner or self.customer).ids,
        )
        self.assertEqual(len(lines), 1)
        return lines[0]


@tagged("post_install", "-at_install")
class TestCustomerStatement(StatementCommon):
    def test_open_items_aging_and_balance_agree_with_engine(self):
        engine = self._engine()
        self.assertEqual(engine["total"], 1200.0)
        doc = self._statement()
        self.assertIn("Statement of Account", self._text(doc))
        self.assertIn(
            "1,200.00", self._text(doc.xpath("//div[@id='statement_balance']")[0])
        )
        items = doc.xpath("//table[contains(@class, 'statement_items')]//tbody/tr")
        self.assertEqual(
            [self._text(row).split()[0] for row in items],
            [self.overdue.name, self.not_due.name],
        )
        self.assertIn("40", self._text(items[0]))  # days overdue
        credits = [
            self._text(row)
            for row in doc.xpath(
                "//table[contains(@class, 'statement_credits')]//tbody/tr"
            )
        ]
        self.assertEqual(len(credits), 2)
        self.assertTrue(
            any(self.refund.name in row and "Credit Note" in row for row in credits)
        )
        self.assertTrue(any("Payment" in row and "100.00" in row for row in credits))
        # Every bucket and the total are the engine's figures, to the cent.
        for cell in doc.xpath(
            "//table[contains(@class, 'statement_aging')]//td[@data-bucket]"
        ):
            self.assertAlmostEqual(
                float(cell.get("data-amount")),
                engine[cell.get("data-bucket")],
                places=2,
            )
        self.assertEqual(
            self._amounts(doc, "//td[@data-bucket='days_31_60']"), [1000.0]
        )
        self.assertEqual(self._amounts(doc, "//td[@data-bucket='not_due']"), [500.0])
        # The credit note and the payment age by their own dates (3 and 2 days ago).
        self.assertEqual(self._amounts(doc, "//td[@data-bucket='days_1_30']"), [-300.0])

    def test_only_overdue(self):
        doc = self._statement(only_overdue=True)
        items = doc.xpath("//table[contains(@class, 'statement_items')]//tbody/tr")
        self.assertEqual(len(items), 1)
        self.assertIn(self.overdue.name, self._text(items[0]))
        self.assertEqual(self._amounts(doc, "//td[@data-bucket='total']"), [1200.0])

    def test_as_of_with_a_payment_after_the_date(self):
        yesterday = self.today - timedelta(days=1)
        self._register_payment(self.overdue, payment_date=self.today)
        self.assertIn(self.overdue.payment_state, ("paid", "in_payment"))
        doc_before = self._statement(date_at=yesterday)
        self.assertIn(
            self.overdue.name,
            self._text(
                doc_before.xpath("//table[contains(@class, 'statement_items')]")[0]
            ),
        )
        self.assertEqual(
            self._amounts(doc_before, "//td[@data-bucket='total']"), [1200.0]
        )
        self.assertEqual(self._engine(date_at=yesterday)["total"], 1200.0)
        doc_today = self._statement()
        self.assertNotIn(
            self.overdue.name,
            self._text(
                doc_today.xpath("//table[contains(@class, 'statement_items')]")[0]
            ),
        )
        self.assertEqual(
            self._amounts(doc_today, "//td[@data-bucket='total']"),
            [self._engine()["total"]],
        )
        self.assertEqual(self._engine()["total"], 200.0)

    def test_activity_statement(self):
        date_from = self.today - timedelta(days=4)
        doc = self._statement(date_from=date_from, date_to=self.today)
        self.assertIn("Activity Statement", self._text(doc))
        # Opening (end of the day before the period): 1000 + the 500 invoice of 5 days ago.
        opening = self._amounts(doc, "//td[@id='opening_balance']")
        self.assertEqual(opening, [1500.0])
        self.assertEqual(
            self._engine(date_at=date_from - timedelta(days=1))["total"], 1500.0
        )
        rows = doc.xpath("//table[@id='statement_activity']/tbody/tr[@data-balance]")
        # In the period: the credit note (-200) and the payment (-100).
        self.assertEqual(
            [float(row.get("data-balance")) for row in rows], [1300.0, 1200.0]
        )
        self.assertIn(self.refund.name, self._text(rows[0]))
        # Closing = opening + the period's movements = the engine's total at its end.
        self.assertEqual(self._amounts(doc, "//td[@id='closing_balance']"), [1200.0])
        self.assertEqual(self._engine()["total"], 1200.0)

    def test_several_customers_one_statement_each(self):
        self._create_invoice(partner=self.other_customer, amount=70.0)
        doc = self._statement(partners=self.customer | self.other_customer)
        pages = doc.xpath("//div[contains(@class, 'o_billing_statement')]")
        self.assertEqual(len(pages), 2)
        balances = [
            self._text(page.xpath(".//div[@id='statement_balance']")[0])
            for page in pages
        ]
        self.assertIn("1,200.00", balances[0])
        self.assertIn("70.00", balances[1])

    def test_wizard_print_action_and_options(self):
        wizard = (
            self.env["billing.statement.wizard"]
            .with_context(
                active_model="res.partner", active_ids=self.customer_contact.ids
            )
            .create({"only_overdue": True})
        )
        self.assertEqual(
            wizard.partner_ids, self.customer, "a contact stands for its company"
        )
        action = wizard.action_print()
        self.assertEqual(action["data"]["partner_ids"], self.customer.ids)
        # The web client renders a report action with data without record ids.
        doc = self._render_html(REPORT, None, data=action["data"])
        self.assertEqual(
            len(doc.xpath("//table[contains(@class, 'statement_items')]//tbody/tr")), 1
        )
        wizard.write(
            {
                "statement_type": "activity",
                "date_from": self.today,
                "date_to": self.today - timedelta(days=1),
            }
        )
        with self.assertRaises(UserError):
            wizard.action_print()

    def test_other_company_and_other_team_customers_refused(self):
        other = self.setup_other_company(name="Statement Co")["company"]
        foreign = self.env["res.partner"].create(
            {"name": "Foreign Customer", "company_id": other.id}
        )
        with self.assertRaises(AccessError):
            self._statement(partners=foreign, user=self.manager)
        team = self.env["billing.team"].create(
            {"name": "Elsewhere", "company_id": self.company.id}
        )
        self.customer.billing_team_id = team
        with self.assertRaises(AccessError):
            self._statement(user=self.coordinator)
        team.member_ids = self.coordinator
        # Receivables are for accounting users: a plain internal user is refused.
        clerk = self._create_billing_user(
            "sales_clerk", [self.env.ref("base.group_user")]
        )
        with self.assertRaises(AccessError):
            self._statement(user=clerk)
        doc = self._statement(user=self.coordinator)
        self.assertEqual(self._amounts(doc, "//td[@data-bucket='total']"), [1200.0])

    def test_customer_language_dates(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.customer.lang = "de_DE"
        doc = self._statement(date_at=self.today)
        self.assertEqual(
            self._text(doc.xpath("//div[@id='statement_date']")[0]),
            self.today.strftime("%d.%m.%Y"),
        )


@tagged("post_install", "-at_install")
class TestSendStatements(StatementCommon):
    def test_send_from_customer_list(self):
        no_mail = self.env["res.partner"].create(
            {"name": "No Mail Ltd", "is_company": True}
        )
        wizard = (
            self.env["billing.statement.wizard"]
            .with_context(
                active_model="res.partner", active_ids=(self.customer | no_mail).ids
            )
            .create({})
        )
        self.assertEqual(wizard.missing_email_partner_ids, no_mail)
        result = wizard.action_send()
        self.assertIn("No Mail Ltd", result["params"]["message"])
        message = self.customer.message_ids.filtered(
            lambda m: m.message_type == "comment"
        )[:1]
        self.assertTrue(message, "the statement is logged in the customer's chatter")
        self.assertIn("statement of account", message.subject)
        self.assertEqual(len(message.attachment_ids), 1)
        self.assertTrue(
            message.attachment_ids.name.startswith("Statement Acme Billing Customer")
        )
        self.assertIn(self.customer, message.partner_ids, "e-mailed to the customer")
        self.assertEqual(self.customer.billing_statement_sent_date, self.today)
        self.assertFalse(no_mail.billing_statement_sent_date)
        self.assertFalse(
            no_mail.message_ids.filtered(lambda m: m.message_type == "comment")
        )

    def test_monthly_run_in_batches(self):
        Partner = self.env["res.partner"]
        second = Partner.create(
            {
                "name": "Second Monthly",
                "is_company": True,
                "email": "s@example.com",
                "billing_statement_monthly": True,
            }
        )
        done = Partner.create(
            {
                "name": "Already Sent",
                "is_company": True,
                "email": "d@example.com",
                "billing_statement_monthly": True,
            }
        )
        done.billing_statement_sent_date = self.today.replace(day=1)
        self.customer.billing_statement_monthly = True
        self.other_customer.email = "other@example.com"  # not opted in
        due = Partner.search(Partner._get_billing_statement_run_domain())
        self.assertEqual(
            due & (self.customer | second | done | self.other_customer),
            self.customer | second,
        )

        # The first batch uses up the time: the run stops and the next one goes on.
        with patch.object(
            self.registry["ir.cron"], "_commit_progress", side_effect=[3600.0, 0.0]
        ) as progress:
            Partner._cron_send_billing_statements(batch_size=1)
        self.assertEqual(progress.call_args_list[0].kwargs, {"remaining": 2})
        sent_first = (self.customer | second).filtered("billing_statement_sent_date")
        self.assertEqual(len(sent_first), 1)
        with patch.object(
            self.registry["ir.cron"], "_commit_progress", return_value=3600.0
        ):
            Partner._cron_send_billing_statements(batch_size=1)
        self.assertEqual(
            (self.customer | second).mapped("billing_statement_sent_date"),
            [self.today] * 2,
        )
        self.assertEqual(
            len(second.message_ids.filtered(lambda m: m.message_type == "comment")), 1
        )
        self.assertFalse(
            done.message_ids.filtered(lambda m: m.message_type == "comment")
        )

    def test_cron_is_registered(self):
        cron = self.env.ref("billing_coordinator.ir_cron_billing_monthly_statements")
        self.assertEqual(cron.code.strip(), "model._cron_send_billing_statements()")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "months"))


# The statement in the customer's language: labels from i18n/de.po, German dates and amounts.
@tagged("post_install", "-at_install")
class TestCustomerStatementGerman(StatementCommon):
    def test_german_statement_labels(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.env["ir.module.module"]._load_module_terms(
            ["billing_coordinator"], ["de_DE"], overwrite=True
        )
        self.customer.lang = "de_DE"
        text = self._text(self._statement())
        for label in (
            "Kontoauszug",
            "Offene Posten",
            "Fälligkeitsdatum",
            "Tage überfällig",
            "Nicht zugeordnete Zahlungen und offene Gutschriften",
            "Saldo",
        ):
            self.assertIn(label, text)
