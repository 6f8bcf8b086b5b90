from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged
from odoo.tools import date_utils

from .common import BillingResolutionCommon


@tagged("post_install", "-at_install")
class TestResolution(BillingResolutionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ref = cls.env.ref
        cls.past = cls.today - timedelta(days=40)
        # 1 USD = 2 EUR when the EUR invoices are issued, 2.5 EUR today.
        cls.eur = cls.setup_other_currency(
            "EUR",
            rates=[("1900-01-01", 2.0), (fields.Date.to_string(cls.today), 2.5)],
        )
        cls.other_company_data = cls.setup_other_company(name="Other Billing Company")

    # ----------------------------------------------------------------- helpers

    def _case_for(self, invoices, expected, actual, case_type=None, **vals):
        return self._create_case(
            move_ids=[Command.set(invoices.ids)],
            expected_amount=expected,
            actual_amount=actual,
            case_type_id=(case_type or self.type_overcharge).id,
            currency_id=invoices[:1].currency_id.id or self.company.currency_id.id,
            **vals,
        )

    def _wizard(self, case, user=None, **vals):
        env = self.env(user=user or self.coordinator)
        return (
            env["billing.case.resolve"]
            .with_context(default_case_id=case.id)
            .create(vals)
        )

    def _counts(self):
        return tuple(
            # sudo: count every record, whatever the record rules
            self.env[model].sudo().search_count([])
            for model in (
                "account.move",
                "account.payment",
                "account.partial.reconcile",
                "billing.case.promise",
            )
        )

    def assertRefused(self, wizard, message):
        """The wizard raises a UserError matching ``message`` and writes nothing.

        No assertRaises here: its savepoint would roll back whatever was created before
        the error, hiding it from the counts."""
        case = wizard.case_id
        before = self._counts()
        state = (case.state, case.resolution_type)
        try:
            wizard.action_apply()
        except UserError as error:
            self.assertRegex(str(error), message)
        else:
            self.fail(f"The resolution was not refused (expected {message!r})")
        self.env.invalidate_all()
        self.assertEqual(
            self._counts(), before, "A refused resolution must not create anything"
        )
        self.assertEqual((case.state, case.resolution_type), state)

    def assertBalancedPosted(self, moves):
        for move in moves:
            self.assertEqual(move.state, "posted")
            currency = move.company_id.currency_id
            self.assertTrue(
                currency.is_zero(
                    sum(move.line_ids.mapped("debit"))
                    - sum(move.line_ids.mapped("credit"))
                ),
                f"{move.display_name} is not balanced",
            )

    def _receivable(self, moves):
        return moves.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        )

    def _customer_residual(self):
        lines = self.env["account.move.line"].search(
            [
                ("partner_id", "child_of", self.customer.id),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("company_id", "=", self.company.id),
            ]
        )
        return sum(lines.mapped("amount_residual"))

    # -------------------------------------------------------------- credit note

    def test_credit_note_for_overcharge(self):
        invoice = self._create_invoice(amount=1000.0)
        case = self._case_for(invoice, expected=900.0, actual=1000.0)
        wizard = self._wizard(case)
        self.assertEqual(wizard.resolution_type, "credit_note")
        self.assertEqual(wizard.invoice_id, invoice)
        self.assertEqual(wizard.amount, 100.0)
        self.assertEqual(wizard.journal_id, invoice.journal_id)

        wizard.action_apply()

        credit_note = case.resolution_move_ids
        self.assertEqual(len(credit_note), 1)
        self.assertRecordValues(
            credit_note,
            [
                {
                    "move_type": "out_refund",
                    "reversed_entry_id": invoice.id,
                    "amount_total": 100.0,
                    "amount_residual": 0.0,
                    "partner_id": self.customer.id,
                }
            ],
        )
        self.assertBalancedPosted(credit_note)
        self.assertTrue(self._receivable(credit_note).reconciled)
        self.assertEqual(invoice.amount_residual, 900.0)
        self.assertEqual(invoice.payment_state, "partial")
        self.assertEqual(self._customer_residual(), 900.0)
        self.assertRecordValues(
            case,
            [
                {
                    "state": "resolved",
                    "resolution_type": "credit_note",
                    "resolved_date": self.today,
                }
            ],
        )

    def test_credit_note_full_reversal_keeps_taxes(self):
        invoice = self._create_invoice(amount=1000.0, post=False)
        invoice.invoice_line_ids.tax_ids = self.tax_sale_a
        invoice.action_post()
        self.assertTrue(invoice.amount_tax)
        case = self._case_for(invoice, expected=0.0, actual=invoice.amount_total)

        self._wizard(case).action_apply()

        credit_note = case.resolution_move_ids
        self.assertBalancedPosted(credit_note)
        self.assertEqual(credit_note.amount_total, invoice.amount_total)
        self.assertEqual(credit_note.amount_tax, invoice.amount_tax)
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertEqual(self._customer_residual(), 0.0)

    def test_credit_note_partial_amount_credits_taxes_in_proportion(self):
        invoice = self._create_invoice(amount=1000.0, post=False)
        invoice.invoice_line_ids.tax_ids = self.tax_sale_a
        invoice.action_post()
        share = invoice.amount_total / 10.0
        case = self._case_for(
            invoice, expected=invoice.amount_total - share, actual=invoice.amount_total
        )

        self._wizard(case).action_apply()

        credit_note = case.resolution_move_ids
        self.assertBalancedPosted(credit_note)
        self.assertAlmostEqual(credit_note.amount_total, share, places=2)
        self.assertAlmostEqual(
            credit_note.amount_untaxed, invoice.amount_untaxed / 10.0, places=2
        )
        self.assertAlmostEqual(
            credit_note.amount_tax, invoice.amount_tax / 10.0, places=2
        )
        self.assertAlmostEqual(
            invoice.amount_residual, invoice.amount_total - share, places=2
        )

    def test_credit_note_for_chosen_lines(self):
        invoice = self._create_invoice(amount=600.0, post=False)
        invoice.invoice_line_ids = [
            Command.create(
                {
                    "name": "Wrong extra",
                    "quantity": 2,
                    "price_unit": 200.0,
                    "tax_ids": False,
                }
            )
        ]
        invoice.action_post()
        extra_line = invoice.invoice_line_ids.filtered(
            lambda line: line.name == "Wrong extra"
        )
        case = self._case_for(invoice, expected=600.0, actual=1000.0)
        wizard = self._wizard(case, credit_line_ids=[Command.set(extra_line.ids)])
        self.assertEqual(wizard.amount, 400.0)

        wizard.action_apply()

        credit_note = case.resolution_move_ids
        self.assertBalancedPosted(credit_note)
        self.assertEqual(credit_note.invoice_line_ids.mapped("name"), ["Wrong extra"])
        self.assertEqual(credit_note.amount_total, 400.0)
        self.assertEqual(invoice.amount_residual, 600.0)

    def test_credit_note_on_paid_invoice_leaves_a_customer_credit(self):
        """A credit note on a paid invoice cannot be matched: it stays open as a credit,
        which a refund resolution then pays back."""
        invoice = self._create_invoice(amount=1000.0)
        self._register_payment(invoice)
        self.assertEqual(invoice.amount_residual, 0.0)
        case = self._case_for(invoice, expected=950.0, actual=1000.0)

        self._wizard(case).action_apply()

        credit_note = case.resolution_move_ids
        self.assertBalancedPosted(credit_note)
        self.assertEqual(credit_note.amount_residual, 50.0)
        self.assertFalse(self._receivable(credit_note).reconciled)
        self.assertEqual(self._customer_residual(), -50.0)

        refund_case = self._case_for(
            invoice, expected=1000.0, actual=1050.0, case_type=self.type_overpayment
        )
        wizard = self._wizard(refund_case)
        self.assertEqual(wizard.resolution_type, "refund")
        self.assertEqual(wizard.customer_credit, 50.0)
        wizard.action_apply()
        self.assertEqual(credit_note.amount_residual, 0.0)
        self.assertEqual(self._customer_residual(), 0.0)

    def test_credit_note_multi_currency(self):
        invoice = self._create_invoice(
            amount=1000.0, currency=self.eur, invoice_date=self.past
        )
        self.assertNotEqual(self.company.currency_id, self.eur)
        self.assertEqual(invoice.amount_total_signed, 500.0)  # 2 EUR per USD
        case = self._case_for(invoice, expected=800.0, actual=1000.0)
        self.assertEqual(case.currency_id, self.eur)

        self._wizard(case).action_apply()

        credit_note = case.resolution_move_ids
        self.assertBalancedPosted(credit_note)
        self.assertRecordValues(
            credit_note,
            [
                {
                    "currency_id": self.eur.id,
                    "amount_total": 200.0,
                    "amount_total_signed": -80.0,
                    "amount_residual": 0.0,
                }
            ],
        )
        self.assertEqual(invoice.amount_residual, 800.0)
        # In company currency the invoice keeps its own rate; the rate difference
        # went to an exchange difference entry.
        self.assertAlmostEqual(self._receivable(invoice).amount_residual, 400.0)
        self.assertAlmostEqual(self._customer_residual(), 400.0)

    def test_credit_note_in_locked_period_is_accounted_on_first_open_date(self):
        invoice = self._create_invoice(amount=1000.0, invoice_date=self.past)
        lock_date = date_utils.start_of(self.today, "month") - timedelta(days=1)
        # sudo: lock dates are set by an adviser, not the test user
        self.company.sudo().sale_lock_date = lock_date
        case = self._case_for(invoice, expected=900.0, actual=1000.0)
        wizard = self._wizard(case, date=self.past)
        self.assertIn("locked period", wizard.lock_date_message)

        wizard.action_apply()

        credit_note = case.resolution_move_ids
        self.assertBalancedPosted(credit_note)
        self.assertEqual(credit_note.invoice_date, self.past)
        self.assertGreater(credit_note.date, lock_date)
        self.assertLessEqual(credit_note.date, self.today)
        self.assertEqual(invoice.amount_residual, 900.0)

    def test_credit_note_refused_inputs(self):
        invoice = self._create_invoice(amount=1000.0)
        case = self._case_for(invoice, expected=900.0, actual=1000.0)
        self.assertRefused(self._wizard(case, amount=0.0), "greater than zero")
        self.assertRefused(self._wizard(case, amount=-10.0), "greater than zero")
        self.assertRefused(
            self._wizard(case, amount=150.0),
            r"larger than the amount in dispute \(.*100\.00",
        )
        self.assertRefused(
            self._wizard(case, date=self.today + timedelta(days=1)),
            "cannot be in the future",
        )
        self.assertRefused(
            self._wizard(case, journal_id=self.bank_journal.id), "must be of type Sales"
        )
        other_invoice = self._create_invoice(amount=1000.0)
        self.assertRefused(
            self._wizard(case, invoice_id=other_invoice.id),
            "is not a posted customer invoice of case",
        )
        # A journal of another company (the wizard is built by a user of both companies).
        foreign_journal = self.other_company_data["default_journal_sale"]
        both_companies = (self.company + foreign_journal.company_id).ids
        wizard = (
            self.env["billing.case.resolve"]
            .with_context(default_case_id=case.id, allowed_company_ids=both_companies)
            .create({"journal_id": foreign_journal.id})
        )
        self.assertRefused(wizard, "belongs to company Other Billing Company")
        # Nothing left to settle without amounts on the case once the invoice is paid.
        self._register_payment(invoice)
        bare_case = self._case_for(invoice, expected=0.0, actual=0.0)
        self.assertRefused(
            self._wizard(bare_case, amount=10.0), "Nothing is in dispute on"
        )

    def test_lock_date_without_open_date_is_refused(self):
        invoice = self._create_invoice(amount=1000.0, invoice_date=self.past)
        # sudo: lock dates are set by an adviser, not the test user
        self.company.sudo().sale_lock_date = self.today
        case = self._case_for(invoice, expected=900.0, actual=1000.0)
        self.assertRefused(self._wizard(case), r"is locked \(.*Sales Lock Date")

    # ---------------------------------------------------- supplementary invoice

    def test_supplementary_invoice_for_undercharge(self):
        invoice = self._create_invoice(amount=1000.0)
        case = self._case_for(
            invoice, expected=1200.0, actual=1000.0, case_type=self.type_undercharge
        )
        wizard = self._wizard(case)
        self.assertEqual(wizard.resolution_type, "supplementary_invoice")
        self.assertEqual(wizard.amount, 200.0)

        wizard.action_apply()

        supplement = case.resolution_move_ids
        self.assertBalancedPosted(supplement)
        self.assertRecordValues(
            supplement,
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "amount_total": 200.0,
                    "amount_residual": 200.0,
                    "currency_id": self.company.currency_id.id,
                    "invoice_origin": invoice.name,
                }
            ],
        )
        self.assertIn(invoice.name, supplement.invoice_line_ids.name)
        self.assertEqual(invoice.amount_residual, 1000.0)
        self.assertEqual(self._customer_residual(), 1200.0)
        self.assertEqual(case.resolution_type, "supplementary_invoice")

    def test_supplementary_invoice_refused_inputs(self):
        invoice = self._create_invoice(amount=1000.0)
        case = self._case_for(
            invoice, expected=1200.0, actual=1000.0, case_type=self.type_undercharge
        )
        self.assertRefused(
            self._wizard(case, amount=250.0), "larger than the amount in dispute"
        )
        overcharge = self._case_for(
            invoice, expected=900.0, actual=1000.0, case_type=self.type_undercharge
        )
        self.assertRefused(
            self._wizard(
                overcharge, resolution_type="supplementary_invoice", amount=50.0
            ),
            "shows no undercharge",
        )

    # ------------------------------------------------------------------ refund

    def test_refund_of_overpayment(self):
        invoice = self._create_invoice(amount=1000.0)
        payment = self._register_payment(invoice, amount=1100.0)
        self.assertEqual(self._customer_residual(), -100.0)
        case = self._case_for(
            invoice,
            expected=1000.0,
            actual=1100.0,
            case_type=self.type_overpayment,
            payment_ids=[Command.set(payment.ids)],
        )
        wizard = self._wizard(case)
        self.assertEqual(wizard.resolution_type, "refund")
        self.assertEqual(wizard.customer_credit, 100.0)
        self.assertEqual(wizard.amount, 100.0)
        self.assertEqual(wizard.journal_id.type, "bank")

        wizard.action_apply()

        refund_move = case.resolution_move_ids
        self.assertBalancedPosted(refund_move)
        refund = refund_move.origin_payment_id
        self.assertRecordValues(
            refund,
            [
                {
                    "payment_type": "outbound",
                    "partner_type": "customer",
                    "partner_id": self.customer.id,
                    "amount": 100.0,
                }
            ],
        )
        self.assertTrue(self._receivable(refund_move).reconciled)
        self.assertTrue(self._receivable(payment.move_id).reconciled)
        self.assertEqual(self._customer_residual(), 0.0)
        self.assertEqual(case.state, "resolved")

    def test_refund_refused_inputs(self):
        invoice = self._create_invoice(amount=1000.0)
        self._register_payment(invoice, amount=1100.0)
        case = self._case_for(
            invoice, expected=1000.0, actual=1100.0, case_type=self.type_overpayment
        )
        self.assertRefused(
            self._wizard(case, amount=150.0), r"larger than the open credit .*100\.00"
        )
        self.assertRefused(
            self._wizard(case, journal_id=self.sale_journal.id),
            "must be of type Bank / Cash",
        )
        no_credit_case = self._create_case(
            case_type_id=self.type_overpayment.id, partner_id=self.other_customer.id
        )
        self.assertRefused(
            self._wizard(no_credit_case, amount=10.0), "larger than the open credit"
        )

    # --------------------------------------------------------------- write-off

    def test_write_off_within_limit_by_coordinator(self):
        invoice = self._create_invoice(amount=1000.0)
        self._register_payment(invoice, amount=970.0)
        case = self._case_for(
            invoice, expected=1000.0, actual=970.0, case_type=self.type_short_payment
        )
        wizard = self._wizard(case)
        self.assertEqual(wizard.resolution_type, "write_off")
        self.assertEqual(wizard.amount, 30.0)
        self.assertEqual(wizard.write_off_account_id, self.writeoff_account)
        wizard.journal_id = self.misc_journal

        wizard.action_apply()

        write_off = case.resolution_move_ids
        self.assertBalancedPosted(write_off)
        self.assertEqual(write_off.move_type, "entry")
        self.assertRecordValues(
            write_off.line_ids.sorted("balance"),
            [
                {
                    "account_id": invoice.line_ids.filtered(
                        lambda line: line.account_type == "asset_receivable"
                    ).account_id.id,
                    "balance": -30.0,
                    "reconciled": True,
                },
                {
                    "account_id": self.writeoff_account.id,
                    "balance": 30.0,
                    "reconciled": False,
                },
            ],
        )
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(self._customer_residual(), 0.0)

    def test_write_off_above_limit_needs_a_manager(self):
        invoice = self._create_invoice(amount=1000.0)
        self._register_payment(invoice, amount=920.0)
        case = self._case_for(
            invoice, expected=1000.0, actual=920.0, case_type=self.type_short_payment
        )
        self.assertEqual(
            self._wizard(case).resolution_type, "credit_note"
        )  # 80 is above the limit
        self.assertRefused(
            self._wizard(
                case, resolution_type="write_off", journal_id=self.misc_journal.id
            ),
            r"exceeds the write-off limit of .*50\.00",
        )

        self._wizard(
            case,
            user=self.manager,
            resolution_type="write_off",
            journal_id=self.misc_journal.id,
        ).action_apply()

        self.assertBalancedPosted(case.resolution_move_ids)
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertEqual(case.resolution_type, "write_off")

    def test_write_off_refused_inputs(self):
        invoice = self._create_invoice(amount=1000.0)
        self._register_payment(invoice, amount=970.0)
        case = self._case_for(
            invoice, expected=1000.0, actual=970.0, case_type=self.type_short_payment
        )
        values = {"resolution_type": "write_off", "journal_id": self.misc_journal.id}
        self.assertRefused(
            self._wizard(case, **values, amount=40.0),
            "larger than the amount in dispute",
        )
        self.assertRefused(
            self._wizard(case, **values, amount=0.0), "greater than zero"
        )
        self.company.billing_writeoff_account_id = False
        self.assertRefused(self._wizard(case, **values), "in Settings > Billing")
        self.company.billing_writeoff_account_id = self.writeoff_account
        receivable = invoice.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        ).account_id
        self.assertRefused(
            self._wizard(case, **values, write_off_account_id=receivable.id),
            "receivable or payable",
        )
        paid_invoice = self._create_invoice(amount=100.0)
        self._register_payment(paid_invoice)
        paid_case = self._case_for(
            paid_invoice, expected=100.0, actual=90.0, case_type=self.type_short_payment
        )
        self.assertRefused(
            self._wizard(paid_case, **values, amount=10.0), "nothing to write off"
        )

    def test_write_off_multi_currency_checks_limit_in_company_currency(self):
        invoice = self._create_invoice(
            amount=1000.0, currency=self.eur, invoice_date=self.past
        )
        self._register_payment(
            invoice, amount=900.0, payment_date=self.past, currency=self.eur
        )
        # 100 EUR is 40 USD today: within the 50 USD limit.
        case = self._case_for(
            invoice, expected=1000.0, actual=900.0, case_type=self.type_short_payment
        )
        wizard = self._wizard(case)
        self.assertEqual(wizard.resolution_type, "write_off")
        wizard.journal_id = self.misc_journal

        wizard.action_apply()

        write_off = case.resolution_move_ids
        self.assertBalancedPosted(write_off)
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertTrue(self._receivable(invoice).reconciled)
        # The whole residual is written off at its booked value: no exchange difference.
        self.assertEqual(
            write_off.line_ids.filtered(
                lambda line: line.account_id == self.writeoff_account
            ).balance,
            50.0,
        )
        self.assertEqual(self._customer_residual(), 0.0)

    def test_write_off_in_locked_period_is_accounted_on_first_open_date(self):
        invoice = self._create_invoice(amount=1000.0, invoice_date=self.past)
        self._register_payment(invoice, amount=980.0, payment_date=self.past)
        lock_date = date_utils.start_of(self.today, "month") - timedelta(days=1)
        # sudo: lock dates are set by an adviser, not the test user
        self.company.sudo().fiscalyear_lock_date = lock_date
        case = self._case_for(
            invoice, expected=1000.0, actual=980.0, case_type=self.type_short_payment
        )
        wizard = self._wizard(case, date=self.past, journal_id=self.misc_journal.id)
        self.assertIn("locked period", wizard.lock_date_message)

        wizard.action_apply()

        write_off = case.resolution_move_ids
        self.assertBalancedPosted(write_off)
        self.assertGreater(write_off.date, lock_date)
        self.assertEqual(invoice.amount_residual, 0.0)

    # ------------------------------------------------------------ payment plan

    def _plan_case(self):
        invoice = self._create_invoice(
            amount=900.0, invoice_date=self.past, due_date=self.past
        )
        case = self._case_for(
            invoice,
            expected=900.0,
            actual=0.0,
            case_type=self.type_overdue,
            user_id=self.coordinator.id,
        )
        return invoice, case

    def _plan_wizard(self, case, installments):
        return self._wizard(
            case,
            promise_line_ids=[
                Command.create(
                    {"date": self.today + timedelta(days=days), "amount": amount}
                )
                for days, amount in installments
            ],
        )

    def _run_promise_cron(self):
        """Run the daily check as the cron does, its commits turned into no-ops (a
        triggered cron would run in another transaction, blind to the test data)."""
        cron = self.env.ref("billing_coordinator.ir_cron_billing_case_promise_check")
        self.assertEqual(cron.code.strip(), "model._cron_check_promises()")
        with patch.object(
            self.registry["ir.cron"], "_commit_progress", return_value=60.0
        ):
            # sudo: the cron runs as the superuser
            self.env["billing.case.promise"].sudo()._cron_check_promises()
        self.env.invalidate_all()

    def test_payment_plan_kept_resolves_the_case(self):
        invoice, case = self._plan_case()
        wizard = self._plan_wizard(case, [(10, 300.0), (20, 600.0)])
        self.assertEqual(wizard.resolution_type, "payment_plan")
        self.assertEqual(wizard.amount, 900.0)
        moves_before = self._counts()[0]

        wizard.action_apply()

        self.assertEqual(
            self._counts()[0], moves_before, "A payment plan posts nothing"
        )
        self.assertRecordValues(
            case, [{"state": "waiting_customer", "resolution_type": "payment_plan"}]
        )
        self.assertRecordValues(
            case.promise_ids,
            [
                {"amount": 300.0, "target_residual": 600.0, "state": "pending"},
                {"amount": 600.0, "target_residual": 0.0, "state": "pending"},
            ],
        )

        self._run_promise_cron()
        self.assertEqual(case.promise_ids.mapped("state"), ["pending", "pending"])

        self._register_payment(invoice, amount=300.0)
        self._run_promise_cron()
        self.assertRecordValues(
            case.promise_ids,
            [
                {"state": "kept", "kept_date": self.today},
                {"state": "pending", "kept_date": False},
            ],
        )
        self.assertEqual(case.state, "waiting_customer")

        self._register_payment(invoice, amount=600.0)
        self._run_promise_cron()
        self.assertEqual(case.promise_ids.mapped("state"), ["kept", "kept"])
        self.assertRecordValues(
            case, [{"state": "resolved", "resolution_type": "payment_plan"}]
        )

    def test_payment_plan_broken_promise_returns_the_case(self):
        invoice, case = self._plan_case()
        self._plan_wizard(case, [(0, 300.0), (30, 600.0)]).action_apply()
        first, second = case.promise_ids
        # Time passes: the first date is over and the customer paid only 100.
        first.sudo().date = self.today - timedelta(days=1)
        self._register_payment(invoice, amount=100.0)

        self._run_promise_cron()

        self.assertEqual(first.state, "broken")
        self.assertEqual(second.state, "pending")
        self.assertEqual(case.state, "in_progress")
        activity = case.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.coordinator)
        self.assertEqual(
            activity.activity_type_id, self.ref("mail.mail_activity_data_todo")
        )

    def test_payment_plan_refused_inputs(self):
        _invoice, case = self._plan_case()
        self.assertRefused(self._plan_wizard(case, []), "Add the installments")
        self.assertRefused(self._plan_wizard(case, [(5, 0.0)]), "greater than zero")
        self.assertRefused(self._plan_wizard(case, [(5, -10.0)]), "greater than zero")
        self.assertRefused(self._plan_wizard(case, [(-1, 100.0)]), "in the past")
        self.assertRefused(
            self._plan_wizard(case, [(5, 500.0), (10, 500.0)]),
            r"more than the amount due .*900\.00",
        )

    # ------------------------------------------------------ note-only and misc

    def test_note_only_resolutions_need_a_note(self):
        case = self._create_case(case_type_id=self.type_customer_data.id)
        wizard = self._wizard(case)
        self.assertEqual(wizard.resolution_type, "customer_data_fixed")
        self.assertRefused(wizard, "Explain the resolution")
        self.assertRefused(
            self._wizard(case, resolution_type="no_action", note="   "),
            "Explain the resolution",
        )

        self._wizard(case, note="Invoice address corrected.").action_apply()

        self.assertRecordValues(
            case,
            [
                {
                    "state": "resolved",
                    "resolution_type": "customer_data_fixed",
                    "resolution_note": "Invoice address corrected.",
                }
            ],
        )
        other = self._create_case()
        self._wizard(
            other, resolution_type="no_action", note="The customer withdrew."
        ).action_apply()
        self.assertEqual(other.resolution_type, "no_action")
        self.assertFalse(other.resolution_move_ids)

    def test_closed_case_cannot_be_resolved(self):
        case = self._create_case(case_type_id=self.type_customer_data.id)
        self._wizard(case, note="Fixed.").action_apply()
        self.assertRefused(self._wizard(case, note="Again."), "not open")
        with self.assertRaises(UserError):
            case.action_open_resolve_wizard()

    def test_resolve_button_opens_the_wizard_with_defaults(self):
        invoice = self._create_invoice(amount=1000.0)
        case = self._case_for(invoice, expected=900.0, actual=1000.0)
        action = case.with_user(self.coordinator).action_open_resolve_wizard()
        self.assertEqual(action["res_model"], "billing.case.resolve")
        wizard_form = Form(
            self.env(user=self.coordinator)[action["res_model"]].with_context(
                **action["context"]
            )
        )
        self.assertEqual(wizard_form.resolution_type, "credit_note")
        self.assertEqual(wizard_form.amount, 100.0)
        wizard_form.resolution_type = "write_off"
        self.assertEqual(wizard_form.amount, 100.0)
        self.assertEqual(wizard_form.journal_id.type, "general")
        wizard_form.resolution_type = "credit_note"
        wizard_form.amount = 60.0
        wizard_form.save().action_apply()
        self.assertEqual(case.resolution_move_ids.amount_total, 60.0)
        self.assertEqual(invoice.amount_residual, 940.0)
