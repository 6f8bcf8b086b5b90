import copy
from datetime import timedelta
from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import BillingCaseCommon

DETECTION_LOGGER = "odoo.addons.billing_coordinator.models.billing_case_detection"


@tagged("post_install", "-at_install")
class TestDetection(BillingCaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Case = cls.env["billing.case"]
        # 2 EUR for 1 USD today (AccountTestInvoicingCommon's rates).
        cls.eur = cls.setup_other_currency("EUR")
        cls.product = cls._create_product(name="Detection widget", lst_price=100.0)
        cls.company_data_2 = cls.setup_other_company()
        cls.company_2 = cls.company_data_2["company"]
        # Payments of the second company get a journal entry too, like in the first one.
        outstanding = (
            cls.env["account.chart.template"]
            .with_company(cls.company_2)
            .ref("account_journal_payment_debit_account_id", raise_if_not_found=False)
        )
        cls.company_data_2["default_journal_bank"].inbound_payment_method_line_ids[
            :1
        ].payment_account_id = outstanding
        # A customer with complete, valid billing data.
        cls.good_customer = cls.env["res.partner"].create(
            {
                "name": "Well Kept Customer",
                "is_company": True,
                "email": "billing@wellkept.example.com",
                "street": "Rue de la Loi 16",
                "city": "Brussels",
                "zip": "1000",
                "country_id": cls.env.ref("base.be").id,
                "vat": "BE0477472701",
                "property_payment_term_id": cls.pay_terms_a.id,
            }
        )

    # ---------------------------------------------------------------- helpers

    def _detect(self, rule=None, company=None):
        return self.Case._detect(
            company or self.company, rules=[rule] if rule else None
        )

    def _cases(self, rule, company=None):
        return self.Case.with_context(active_test=False).search(
            [
                ("detection_rule", "=", rule),
                ("company_id", "=", (company or self.company).id),
            ]
        )

    def _rule(self, code, company=None):
        return self.env["billing.detection.rule"]._get_rule(
            company or self.company, code
        )

    def _days_ago(self, days):
        return self.today - timedelta(days=days)

    @classmethod
    def _create_payment(
        cls,
        amount,
        days_ago=0,
        partner=None,
        currency=None,
        memo=False,
        company=None,
        payment_type="inbound",
    ):
        """A posted customer payment reconciled with nothing."""
        company = company or cls.company
        payment = (
            cls.env["account.payment"]
            .with_company(company)
            .create(
                {
                    "payment_type": payment_type,
                    "partner_type": "customer",
                    "partner_id": (partner or cls.customer).id,
                    "amount": amount,
                    "date": cls.today - timedelta(days=days_ago),
                    "currency_id": (currency or company.currency_id).id,
                    "memo": memo,
                }
            )
        )
        payment.action_post()
        return payment

    @staticmethod
    def _receivable_lines(records):
        moves = records.move_id if records._name == "account.payment" else records
        return moves.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )

    def _reconcile(self, *records):
        lines = self.env["account.move.line"]
        for record in records:
            lines |= self._receivable_lines(record)
        lines.filtered(lambda line: not line.reconciled).reconcile()

    def _create_product_invoice(self, lines, currency=None, days_ago=10):
        """``lines``: (price_unit, quantity, discount) triples of ``self.product``."""
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": self._days_ago(days_ago),
                "currency_id": (currency or self.company.currency_id).id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "quantity": quantity,
                            "price_unit": price,
                            "discount": discount,
                            "tax_ids": False,
                        }
                    )
                    for price, quantity, discount in lines
                ],
            }
        )
        move.action_post()
        return move

    def _assert_cleared(self, case):
        self.assertEqual(case.state, "resolved")
        self.assertEqual(case.resolution_type, "cleared")
        self.assertIn("Cleared by the automatic detection", case.resolution_note)
        self.assertTrue(
            any(
                "Cleared by the automatic detection" in body
                for body in case.message_ids.mapped("body")
            )
        )

    # ------------------------------------------------------------ overpayment

    def test_overpayment_found(self):
        invoice = self._create_invoice(amount=1000.0, invoice_date=self._days_ago(20))
        payment = self._register_payment(invoice, amount=1200.0)
        created = self._detect("overpayment")["created"]
        self.assertEqual(len(created), 1)
        self.assertRecordValues(
            created,
            [
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "currency_id": self.company.currency_id.id,
                    "case_code": "overpayment",
                    "expected_amount": 0.0,
                    "actual_amount": 200.0,
                    "amount_difference": 200.0,
                    "detection_rule": "overpayment",
                    "detection_key": f"res.partner,{self.customer.id}",
                    "state": "new",
                }
            ],
        )
        self.assertEqual(created.payment_ids, payment)

    def test_overpayment_not_found(self):
        # Within the tolerance: 3.00 left on 1,003.00 (tolerance 0.5 % = 5.02).
        invoice = self._create_invoice(amount=1000.0)
        self._register_payment(invoice, amount=1003.0)
        # A credit of 200 while the customer still owes 500 on another invoice.
        first = self._create_invoice(partner=self.other_customer, amount=1000.0)
        self._create_invoice(partner=self.other_customer, amount=500.0)
        self._register_payment(first, amount=1200.0)
        self.assertFalse(self._detect("overpayment")["created"])

    def test_overpayment_multi_currency(self):
        invoice = self._create_invoice(amount=1000.0, currency=self.eur)
        self._register_payment(invoice, amount=1100.0, currency=self.eur)
        case = self._detect("overpayment")["created"]
        # 100 EUR of credit at 2 EUR per USD: 50 USD, in the company currency.
        self.assertRecordValues(
            case,
            [
                {
                    "currency_id": self.company.currency_id.id,
                    "actual_amount": 50.0,
                    "amount_difference": 50.0,
                }
            ],
        )

    def test_overpayment_other_company(self):
        invoice = self._create_invoice(amount=1000.0, company=self.company_2)
        self._create_payment(1300.0, company=self.company_2, memo=invoice.name)
        self.assertFalse(self._detect("overpayment")["created"])
        case = self._detect("overpayment", company=self.company_2)["created"]
        self.assertEqual(case.company_id, self.company_2)
        self.assertEqual(case.actual_amount - case.expected_amount, 300.0)

    def test_overpayment_clears_when_refunded(self):
        invoice = self._create_invoice(amount=1000.0)
        payment = self._register_payment(invoice, amount=1200.0)
        case = self._detect("overpayment")["created"]
        refund = self._create_payment(200.0, payment_type="outbound")
        self._reconcile(payment, refund)
        summary = self._detect("overpayment")
        self.assertEqual(summary["cleared"], case)
        self._assert_cleared(case)

    # ---------------------------------------------------------- short payment

    def test_short_payment_found(self):
        invoice = self._create_invoice(amount=1000.0, invoice_date=self._days_ago(30))
        payment = self._register_payment(invoice, amount=950.0)
        case = self._detect("short_payment")["created"]
        self.assertRecordValues(
            case,
            [
                {
                    "case_code": "short_payment",
                    "currency_id": self.company.currency_id.id,
                    "expected_amount": 1000.0,
                    "actual_amount": 950.0,
                    "amount_difference": -50.0,
                    "detection_key": f"account.move,{invoice.id}",
                }
            ],
        )
        self.assertEqual(case.move_ids, invoice)
        self.assertEqual(case.payment_ids, payment)
        self.assertIn(invoice.name, case.description)

    def test_short_payment_not_found(self):
        half_paid = self._create_invoice(amount=1000.0)
        self._register_payment(half_paid, amount=500.0)  # 50 % open: not a deduction
        within_tolerance = self._create_invoice(amount=1000.0)
        self._register_payment(within_tolerance, amount=997.0)  # 3.00 <= 5.00
        fully_paid = self._create_invoice(amount=1000.0)
        self._register_payment(fully_paid)
        self._create_invoice(amount=1000.0, company=self.company_2)
        self.assertFalse(self._detect("short_payment")["created"])

    def test_short_payment_multi_currency(self):
        invoice = self._create_invoice(amount=1000.0, currency=self.eur)
        self._register_payment(invoice, amount=960.0, currency=self.eur)
        case = self._detect("short_payment")["created"]
        self.assertRecordValues(
            case,
            [
                {
                    "currency_id": self.eur.id,
                    "expected_amount": 1000.0,
                    "actual_amount": 960.0,
                }
            ],
        )

    def test_short_payment_other_company(self):
        invoice = self._create_invoice(amount=1000.0, company=self.company_2)
        wizard = (
            self.env["account.payment.register"]
            .with_company(self.company_2)
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": 950.0, "payment_difference_handling": "open"})
        )
        wizard._create_payments()
        self.assertFalse(self._detect("short_payment")["created"])
        self.assertEqual(
            self._detect("short_payment", company=self.company_2)["created"].move_ids,
            invoice,
        )

    def test_short_payment_clears_and_reopens(self):
        invoice = self._create_invoice(amount=1000.0)
        self._register_payment(invoice, amount=950.0)
        case = self._detect("short_payment")["created"]
        balance = self._register_payment(invoice, amount=50.0)
        self.assertEqual(self._detect("short_payment")["cleared"], case)
        self._assert_cleared(case)
        # The reconciliation of the balance payment is undone: the deduction is back.
        self._receivable_lines(balance).remove_move_reconcile()
        summary = self._detect("short_payment")
        self.assertEqual(summary["reopened"], case)
        self.assertFalse(summary["created"])
        self.assertEqual(case.state, "in_progress")
        self.assertTrue(
            any(
                "Reopened by the automatic detection" in body
                for body in case.message_ids.mapped("body")
            )
        )
        self.assertEqual(self._cases("short_payment"), case)

    def test_short_payment_closed_case_comes_back_only_when_amount_changes(self):
        invoice = self._create_invoice(amount=1000.0)
        self._register_payment(invoice, amount=950.0)
        case = self._detect("short_payment")["created"]
        case._mark_resolved("no_action", note="Agreed discount.")
        self.assertFalse(self._detect("short_payment")["created"])
        self._register_payment(invoice, amount=10.0)
        new_case = self._detect("short_payment")["created"]
        self.assertTrue(new_case)
        self.assertNotEqual(new_case, case)
        self.assertEqual(new_case.amount_difference, -40.0)

    def test_short_payment_covered_by_manual_case(self):
        invoice = self._create_invoice(amount=1000.0)
        self._register_payment(invoice, amount=950.0)
        self._create_case(
            case_type_id=self.type_short_payment.id, move_ids=[Command.set(invoice.ids)]
        )
        self.assertFalse(self._detect("short_payment")["created"])

    # ------------------------------------------------------ duplicate payment

    def test_duplicate_payment_found(self):
        invoice = self._create_invoice(amount=1000.0, invoice_date=self._days_ago(10))
        first = self._register_payment(invoice, payment_date=self._days_ago(4))
        second = self._create_payment(1000.0, days_ago=2, memo=first.memo)
        case = self._detect("duplicate_payment")["created"]
        self.assertRecordValues(
            case,
            [
                {
                    "case_code": "duplicate_payment",
                    "expected_amount": 1000.0,
                    "actual_amount": 2000.0,
                    "detection_key": f"account.payment,{first.id}+account.payment,{second.id}",
                }
            ],
        )
        self.assertEqual(case.payment_ids, first | second)

    def test_duplicate_payment_not_found(self):
        self._create_payment(500.0, days_ago=20)
        self._create_payment(
            500.0, days_ago=5
        )  # 15 days apart: outside the 7-day window
        self._create_payment(600.0, days_ago=3, memo="INV/A")
        self._create_payment(600.0, days_ago=2, memo="INV/B")  # other memo
        self._create_payment(700.0, days_ago=3)
        self._create_payment(701.0, days_ago=2)  # other amount
        self._create_payment(800.0, days_ago=2, company=self.company_2)
        self._create_payment(800.0, days_ago=2)  # other company
        self.assertFalse(self._detect("duplicate_payment")["created"])

    def test_duplicate_payment_clears_when_refunded(self):
        invoice = self._create_invoice(amount=1000.0)
        first = self._register_payment(invoice)
        second = self._create_payment(1000.0, memo=first.memo)
        case = self._detect("duplicate_payment")["created"]
        self.assertTrue(case)
        refund = self._create_payment(1000.0, payment_type="outbound")
        self._reconcile(second, refund)
        self.assertEqual(self._detect("duplicate_payment")["cleared"], case)
        self._assert_cleared(case)

    # ------------------------------------------------------ unapplied payment

    def test_unapplied_payment_found(self):
        payment = self._create_payment(700.0, days_ago=10)
        case = self._detect("unapplied_payment")["created"]
        self.assertRecordValues(
            case,
            [
                {
                    "case_code": "unapplied_payment",
                    "expected_amount": 0.0,
                    "actual_amount": 700.0,
                    "detection_key": f"account.payment,{payment.id}",
                }
            ],
        )
        self.assertEqual(case.payment_ids, payment)

    def test_unapplied_payment_not_found(self):
        self._create_payment(700.0, days_ago=2)  # too recent
        invoice = self._create_invoice(amount=800.0, invoice_date=self._days_ago(20))
        self._register_payment(invoice, payment_date=self._days_ago(10))  # applied
        self._create_payment(
            900.0, days_ago=10, company=self.company_2
        )  # other company
        self.assertFalse(self._detect("unapplied_payment")["created"])

    def test_unapplied_payment_without_journal_entry(self):
        """With full accounting (accountant module), payments on a method without
        outstanding account have no journal entry: applied when linked to an invoice."""
        self.inbound_payment_method_line.payment_account_id = False
        AccountMove = type(self.env["account.move"])
        with patch.object(
            AccountMove, "_get_invoice_in_payment_state", return_value="in_payment"
        ):
            unapplied = self._create_payment(700.0, days_ago=10)
            invoice = self._create_invoice(
                amount=800.0, invoice_date=self._days_ago(20)
            )
            applied = self._register_payment(invoice, payment_date=self._days_ago(10))
        self.assertFalse(unapplied.move_id)
        self.assertFalse(applied.move_id)
        case = self._detect("unapplied_payment")["created"]
        self.assertEqual(case.payment_ids, unapplied)

    def test_unapplied_payment_clears_and_reopens(self):
        payment = self._create_payment(700.0, days_ago=10)
        case = self._detect("unapplied_payment")["created"]
        invoice = self._create_invoice(amount=700.0)
        self._reconcile(payment, invoice)
        self.assertEqual(self._detect("unapplied_payment")["cleared"], case)
        self._assert_cleared(case)
        self._receivable_lines(payment).remove_move_reconcile()
        self.assertEqual(self._detect("unapplied_payment")["reopened"], case)
        self.assertIn(case.state, ("new", "in_progress", "waiting_customer"))

    # ---------------------------------------------------------------- overdue

    def test_overdue_found(self):
        invoice = self._create_invoice(
            amount=1000.0, invoice_date=self._days_ago(60), due_date=self._days_ago(30)
        )
        case = self._detect("overdue")["created"]
        self.assertRecordValues(
            case,
            [
                {
                    "case_code": "overdue",
                    "expected_amount": 1000.0,
                    "actual_amount": 0.0,
                    "detection_key": f"account.move,{invoice.id}",
                }
            ],
        )
        self.assertEqual(case.move_ids, invoice)

    def test_overdue_not_found(self):
        self._create_invoice(
            amount=1000.0, invoice_date=self._days_ago(30), due_date=self._days_ago(5)
        )
        paid = self._create_invoice(
            amount=1000.0, invoice_date=self._days_ago(60), due_date=self._days_ago(30)
        )
        self._register_payment(paid)
        covered = self._create_invoice(
            amount=1000.0, invoice_date=self._days_ago(60), due_date=self._days_ago(30)
        )
        self._create_case(
            move_ids=[Command.set(covered.ids)],
            expected_amount=900.0,
            actual_amount=1000.0,
        )
        self._create_invoice(
            amount=1000.0,
            invoice_date=self._days_ago(60),
            due_date=self._days_ago(30),
            company=self.company_2,
        )
        self.assertFalse(self._detect("overdue")["created"])

    def test_overdue_clears_when_paid(self):
        invoice = self._create_invoice(
            amount=1000.0, invoice_date=self._days_ago(60), due_date=self._days_ago(30)
        )
        case = self._detect("overdue")["created"]
        self._register_payment(invoice)
        self.assertEqual(self._detect("overdue")["cleared"], case)
        self._assert_cleared(case)

    # ------------------------------------------------ overcharge / undercharge

    def test_price_deviation(self):
        deviating = self._create_product_invoice([(120.0, 2, 0.0), (80.0, 1, 0.0)])
        self._create_product_invoice([(103.0, 5, 0.0), (125.0, 1, 20.0)])  # within 5 %
        over = self._detect("overcharge")["created"]
        under = self._detect("undercharge")["created"]
        self.assertRecordValues(
            over,
            [
                {
                    "case_code": "overcharge",
                    "expected_amount": 200.0,
                    "actual_amount": 240.0,
                    "amount_difference": 40.0,
                }
            ],
        )
        self.assertRecordValues(
            under,
            [
                {
                    "case_code": "undercharge",
                    "expected_amount": 100.0,
                    "actual_amount": 80.0,
                    "amount_difference": -20.0,
                }
            ],
        )
        self.assertEqual(over.move_ids, deviating)
        self.assertEqual(under.detection_key, f"account.move,{deviating.id}")
        self.assertIn(self.product.display_name, over.description)

    def test_price_deviation_multi_currency_and_other_company(self):
        # 240 EUR at 2 EUR per USD is 120 USD per unit against a reference of 100 USD.
        invoice = self._create_product_invoice([(240.0, 1, 0.0)], currency=self.eur)
        self.assertFalse(self._detect("overcharge", company=self.company_2)["created"])
        case = self._detect("overcharge")["created"]
        self.assertRecordValues(
            case,
            [
                {
                    "currency_id": self.eur.id,
                    "expected_amount": 200.0,
                    "actual_amount": 240.0,
                }
            ],
        )
        self.assertEqual(case.move_ids, invoice)
        # 200 EUR is the reference price: no undercharge either.
        self._create_product_invoice([(200.0, 1, 0.0)], currency=self.eur)
        self.assertFalse(self._detect("undercharge")["created"])

    def test_price_deviation_only_on_recent_invoices(self):
        self._rule("overcharge").price_check_days = 60
        self._create_product_invoice(
            [(130.0, 1, 0.0)], days_ago=120
        )  # before the window
        recent = self._create_product_invoice([(130.0, 1, 0.0)], days_ago=30)
        case = self._detect("overcharge")["created"]
        self.assertEqual(
            case.move_ids, recent, "an old invoice is not checked against today's price"
        )
        # The invoice ages out of the window: its open case stays open, not "cleared".
        self._rule("overcharge").price_check_days = 10
        summary = self._detect("overcharge")
        self.assertFalse(summary["created"] | summary["cleared"])
        self.assertEqual(case.state, "new")

    def _count_price_reads(self):
        """A context manager and the list it fills: the queries run in it that read the
        priced invoice lines (the price rules' query)."""
        reads = []
        cursor_class = type(self.env.cr)
        execute = cursor_class.execute

        def counting_execute(cr, query, params=None, log_exceptions=True):
            if "priced AS MATERIALIZED" in str(query):
                reads.append(query)
            return execute(cr, query, params, log_exceptions)

        return patch.object(cursor_class, "execute", counting_execute), reads

    def test_price_rules_together_as_each_alone(self):
        """Both price rules in one run find what each finds alone and read the priced
        lines once; each keeps its own window: an invoice in the overcharge window
        only is not checked for undercharge, though it has an open overcharge case."""
        self._rule("overcharge").price_check_days = 60
        self._rule("undercharge").price_check_days = 20
        both = self._create_product_invoice([(120.0, 2, 0.0), (80.0, 1, 0.0)])
        over_only = self._create_product_invoice(
            [(130.0, 1, 0.0), (70.0, 1, 0.0)], days_ago=40
        )
        self._create_product_invoice([(103.0, 5, 0.0)])  # within 5 %
        counter, reads = self._count_price_reads()
        with counter:
            over = self._detect("overcharge")["created"]
            under = self._detect("undercharge")["created"]
        self.assertEqual(len(reads), 2, "alone: one read per rule")
        self.assertEqual(over.move_ids, both | over_only)
        self.assertEqual(under.move_ids, both)
        alone = {
            (case.detection_rule, case.detection_key): (
                case.expected_amount,
                case.actual_amount,
            )
            for case in over | under
        }
        self.assertEqual(
            alone[("undercharge", f"account.move,{both.id}")], (100.0, 80.0)
        )
        # Together, on the cases each found alone: nothing new, nothing changed.
        reads.clear()
        with counter:
            summary = self.Case._detect(
                self.company, rules=["overcharge", "undercharge"]
            )
        self.assertEqual(len(reads), 1, "together: the lines are read once")
        for key in ("created", "reopened", "cleared", "updated"):
            self.assertFalse(summary[key], key)
        # From scratch together: the same cases as alone.
        (over | under).unlink()
        reads.clear()
        with counter:
            together = self.Case._detect(
                self.company, rules=["overcharge", "undercharge"]
            )["created"]
        self.assertEqual(len(reads), 1)
        self.assertEqual(
            {
                (case.detection_rule, case.detection_key): (
                    case.expected_amount,
                    case.actual_amount,
                )
                for case in together
            },
            alone,
        )
        # A later run in the same transaction reads the lines again (no stale memo).
        self._rule("undercharge").price_check_days = 60
        reads.clear()
        with counter:
            created = self._detect("undercharge")["created"]
        self.assertEqual(len(reads), 1)
        self.assertEqual(created.move_ids, over_only)

    # ---------------------------------------------------------- customer data

    def test_customer_data_found(self):
        self._rule("customer_data").require_payment_terms = True
        partner = (
            self.env["res.partner"]
            .with_context(no_vat_validation=True)
            .create(
                {
                    "name": "Sloppy Data Ltd",
                    "is_company": True,
                    "street": "Somewhere 1",
                    "city": "Ghent",
                    "country_id": self.env.ref("base.be").id,
                    "vat": "BE0477472702",
                }
            )
        )
        self._create_invoice(partner=partner, amount=100.0)
        case = self._detect("customer_data")["created"].filtered(
            lambda c: c.partner_id == partner
        )
        self.assertEqual(len(case), 1)
        self.assertEqual(case.case_code, "customer_data")
        self.assertEqual(
            case.detection_fingerprint,
            "vat:BE0477472702|email|address:zip|payment_terms",
        )
        for text in ("BE0477472702", "e-mail", "ZIP", "payment terms"):
            self.assertIn(text, case.description)

    def test_customer_data_not_found(self):
        self._rule("customer_data").require_payment_terms = True
        self._create_invoice(partner=self.good_customer, amount=100.0)
        # Invoicing e-mail on an invoice contact is enough.
        self.good_customer.email = False
        self.env["res.partner"].create(
            {
                "name": "AP",
                "parent_id": self.good_customer.id,
                "type": "invoice",
                "email": "ap@wellkept.example.com",
            }
        )
        # No posted invoice in this company: not checked.
        self._create_invoice(partner=self.other_customer, amount=100.0, post=False)
        self._create_invoice(
            partner=self.other_customer, amount=100.0, company=self.company_2
        )
        created = self._detect("customer_data")["created"]
        self.assertFalse(
            created.filtered(
                lambda c: c.partner_id in (self.good_customer | self.other_customer)
            )
        )

    def test_customer_data_clears_and_reopens(self):
        self._create_invoice(partner=self.good_customer, amount=100.0)
        self.good_customer.city = False
        case = self._detect("customer_data")["created"].filtered(
            lambda c: c.partner_id == self.good_customer
        )
        self.assertEqual(case.detection_fingerprint, "address:city")
        self.good_customer.city = "Brussels"
        self.assertIn(case, self._detect("customer_data")["cleared"])
        self._assert_cleared(case)
        self.good_customer.city = False
        self.assertIn(case, self._detect("customer_data")["reopened"])

    def test_vat_check(self):
        self.assertTrue(self.Case._is_valid_vat("BE0477472701", "BE"))
        self.assertTrue(self.Case._is_valid_vat("0477472701", "BE"))
        self.assertFalse(self.Case._is_valid_vat("BE0477472702", "BE"))
        self.assertFalse(self.Case._is_valid_vat("0477472702", "BE"))
        self.assertTrue(self.Case._is_valid_vat("BE0477472701", "FR"))  # prefix wins
        self.assertTrue(
            self.Case._is_valid_vat("12-3456789", "US")
        )  # no validator: not wrong
        self.assertTrue(self.Case._is_valid_vat("/", "BE"))

    # ----------------------------------------------------- engine and safety

    def _create_one_of_each(self):
        invoice = self._create_invoice(
            amount=1000.0, invoice_date=self._days_ago(60), due_date=self._days_ago(30)
        )
        self._register_payment(invoice, amount=960.0)  # short payment
        self._create_invoice(
            amount=500.0, invoice_date=self._days_ago(60), due_date=self._days_ago(30)
        )  # overdue
        self._create_payment(300.0, days_ago=10)  # unapplied
        self._create_product_invoice([(130.0, 1, 0.0)])  # overcharge

    def test_idempotent_over_three_runs(self):
        self._create_one_of_each()
        first = self.Case._run_detection(self.company)
        self.assertEqual(
            set(first.mapped("detection_rule")),
            {
                "short_payment",
                "overdue",
                "unapplied_payment",
                "overcharge",
                "customer_data",
            },
        )
        count = self.Case.search_count([("company_id", "=", self.company.id)])
        self.assertFalse(self.Case._run_detection(self.company))
        self.assertFalse(self.Case._run_detection(self.company))
        self.assertEqual(
            self.Case.search_count([("company_id", "=", self.company.id)]), count
        )
        self.assertTrue(all(case.state == "new" for case in first))

    def test_rerun_formats_only_changed_cases(self):
        """A rerun compares the figures of what it finds with the open cases: an unchanged
        situation formats no amount and writes nothing; a changed one gets its text."""
        self._create_one_of_each()
        invoice = self._create_invoice(
            amount=700.0, invoice_date=self._days_ago(60), due_date=self._days_ago(30)
        )
        self.Case._run_detection(self.company)
        case = self._cases("overdue").filtered(lambda c: invoice in c.move_ids)
        self.assertEqual(len(case), 1)
        CaseClass = type(self.Case)
        with patch.object(
            CaseClass,
            "_detection_amount",
            autospec=True,
            side_effect=CaseClass._detection_amount,
        ) as amount:
            summary = self._detect()
            self.assertFalse(
                summary["created"] | summary["updated"] | summary["reopened"]
            )
            self.assertFalse(amount.called)
            self._register_payment(invoice, amount=200.0)
            summary = self._detect("overdue")
        self.assertEqual(summary["updated"], case)
        self.assertTrue(amount.called)
        self.assertEqual(case.actual_amount, 200.0)
        notes = case.message_ids.filtered(lambda m: "situation changed" in m.body)
        self.assertEqual(len(notes), 1)
        self.assertIn("500.00", notes.body)

    def test_open_case_unique_in_database(self):
        self._create_invoice(
            amount=1000.0, invoice_date=self._days_ago(60), due_date=self._days_ago(30)
        )
        case = self._detect("overdue")["created"]
        vals = {
            "partner_id": case.partner_id.id,
            "case_type_id": case.case_type_id.id,
            "detection_rule": case.detection_rule,
            "detection_key": case.detection_key,
        }
        with (
            self.assertRaises(IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.Case.create(vals)
        # Once the case is closed, a new open one with the same source is allowed.
        case._mark_resolved("no_action")
        case.flush_recordset()
        self.assertTrue(self.Case.create(vals))

    def test_concurrent_runs_create_one_case(self):
        """A second run that did not see the first one's case: the unique index refuses
        its insert and the run skips that case instead of failing."""
        self._create_invoice(
            amount=1000.0, invoice_date=self._days_ago(60), due_date=self._days_ago(30)
        )
        CaseClass = type(self.Case)
        create_cases = CaseClass._create_detected_cases

        def racing_create(case_model, company, findings):
            create_cases(
                case_model, company, copy.deepcopy(findings)
            )  # the other run wins
            return create_cases(case_model, company, findings)

        with (
            patch.object(CaseClass, "_create_detected_cases", racing_create),
            mute_logger("odoo.sql_db", DETECTION_LOGGER),
        ):
            summary = self._detect("overdue")
        self.assertFalse(summary["created"])
        self.assertEqual(len(self._cases("overdue")), 1)

    def test_failing_rule_is_skipped(self):
        self._create_invoice(
            amount=1000.0, invoice_date=self._days_ago(60), due_date=self._days_ago(30)
        )
        with (
            patch.object(
                type(self.Case), "_detect_short_payment", side_effect=UserError("boom")
            ),
            mute_logger(DETECTION_LOGGER),
        ):
            summary = self.Case._detect(self.company)
        self.assertEqual(summary["failed"], [(self.company, "short_payment")])
        self.assertIn("overdue", summary["created"].mapped("detection_rule"))

    def test_cron(self):
        self._create_invoice(
            amount=1000.0, invoice_date=self._days_ago(60), due_date=self._days_ago(30)
        )
        others = self.env["res.company"].search([("id", "!=", self.company.id)])
        others.billing_detection_date = fields.Datetime.now()
        IrCron = type(self.env["ir.cron"])
        with patch.object(IrCron, "_commit_progress", return_value=3600.0) as progress:
            self.Case._cron_run_detection()
        progress.assert_any_call(remaining=1)
        progress.assert_any_call(1)
        self.assertTrue(self._cases("overdue"))
        self.assertTrue(self.company.billing_detection_date)
        # Done today: a second call in the same day skips the company.
        with patch.object(type(self.Case), "_detect_company") as detect:
            with patch.object(IrCron, "_commit_progress", return_value=3600.0):
                self.Case._cron_run_detection()
        detect.assert_not_called()

    def test_detect_now_for_managers_only(self):
        self._create_invoice(
            amount=1000.0, invoice_date=self._days_ago(60), due_date=self._days_ago(30)
        )
        with self.assertRaises(AccessError):
            self.Case.with_user(self.coordinator).action_run_detection()
        action = self.Case.with_user(self.manager).action_run_detection()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(action["params"]["next"]["res_model"], "billing.case")
        self.assertTrue(self._cases("overdue"))

    def test_open_case_updated_when_situation_changes(self):
        invoice = self._create_invoice(
            amount=1000.0, invoice_date=self._days_ago(60), due_date=self._days_ago(30)
        )
        case = self._detect("overdue")["created"]
        self._register_payment(invoice, amount=400.0)
        summary = self._detect("overdue")
        self.assertEqual(summary["updated"], case)
        self.assertEqual(case.actual_amount, 400.0)
        self.assertEqual(len(case.payment_ids), 1)
