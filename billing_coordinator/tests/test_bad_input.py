"""Bad-input catalogue (issue 10, part 2).

Each test feeds one kind of bad input the way a user would (forms, wizards, buttons) and
checks two things: the refusal names the problem in the user's words, and nothing was
half-written (no case, journal entry, payment, reconciliation, promise or call left
behind). A few inputs are not refused but normalized or accepted on purpose; their test
says what happens instead (amounts rounded to the currency, archived customers, a team
without members, take-next without a team, reopening a case with posted documents).

No ``assertRaises`` around the call under test: its savepoint would roll back what was
written before the error and hide it from the counts.
"""

from datetime import timedelta

from markupsafe import escape

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import BillingResolutionCommon

COUNTED_MODELS = (
    "billing.case",
    "account.move",
    "account.payment",
    "account.partial.reconcile",
    "billing.case.promise",
    "billing.case.call",
)

FORMULA = "=cmd|' /C calc'!A0"
SCRIPT = "<script>alert('pwned')</script>"
SQL_TEXT = "Robert'); DROP TABLE billing_case; --"


@tagged("post_install", "-at_install")
class TestBadInput(BillingResolutionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ref = cls.env.ref
        cls.past = cls.today - timedelta(days=40)
        cls.eur = cls.setup_other_currency("EUR", rates=[("1900-01-01", 2.0)])
        cls.tax = cls.company_data["default_tax_sale"]

    # ----------------------------------------------------------------- helpers

    def _counts(self):
        return {
            # sudo: count every record, whatever the record rules
            model: self.env[model]
            .sudo()
            .with_context(active_test=False)
            .search_count([])
            for model in COUNTED_MODELS
        }

    def assertRefused(self, call, message, exception=UserError, rollback=False):
        """``call()`` raises ``exception`` whose text contains ``message`` and writes
        nothing; returns the error text.

        ``rollback``: for refusals by ORM constraints (``ValidationError``, company
        checks), which Odoo runs after writing the row; the request's rollback removes
        it, as the savepoint does here. Wizard checks must refuse before writing: they
        are measured without a savepoint."""
        before = self._counts()
        savepoint = self.env.cr.savepoint() if rollback else None
        try:
            call()
        except exception as error:
            if exception is UserError:
                self.assertNotIsInstance(error, AccessError)
            text = str(error.args[0] if error.args else error)
            self.assertIn(message, text)
        else:
            self.fail(f"not refused (expected {message!r})")
        finally:
            if savepoint:
                savepoint.close(rollback=True)
        self.env.invalidate_all()
        self.assertEqual(
            self._counts(), before, "a refused input must not leave records behind"
        )
        return text

    def _case(self, invoices=None, expected=900.0, actual=1000.0, **vals):
        invoices = (
            invoices if invoices is not None else self._create_invoice(amount=1000.0)
        )
        return self._create_case(
            move_ids=[Command.set(invoices.ids)],
            expected_amount=expected,
            actual_amount=actual,
            currency_id=(invoices[:1].currency_id or self.company.currency_id).id,
            **vals,
        )

    def _wizard(self, case, user=None, **vals):
        env = self.env(user=user or self.coordinator)
        return (
            env["billing.case.resolve"]
            .with_context(default_case_id=case.id)
            .create(vals)
        )

    def _apply(self, case, user=None, **vals):
        """Open the resolution wizard on ``case`` and press Apply, as a user does."""
        return lambda: self._wizard(case, user=user, **vals).action_apply()

    def _overpayment_case(self, credit=100.0):
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": credit,
                "journal_id": self.company_data["default_journal_bank"].id,
            }
        )
        payment.action_post()
        return self._create_case(
            case_type_id=self.type_overpayment.id,
            payment_ids=[Command.set(payment.ids)],
            expected_amount=0.0,
            actual_amount=credit,
        )

    def _plan(self, case, *installments):
        return self._apply(
            case,
            resolution_type="payment_plan",
            promise_line_ids=[
                Command.create({"date": d, "amount": a}) for d, a in installments
            ],
        )

    def _overdue_case(self, amount=600.0):
        invoice = self._create_invoice(
            amount=amount, invoice_date=self.past, due_date=self.past
        )
        return self._case(
            invoice, expected=0.0, actual=0.0, case_type_id=self.type_overdue.id
        )

    # ------------------------------------------------------------------ amounts

    def test_01_amount_zero(self):
        case = self._case()
        self.assertRefused(self._apply(case, amount=0.0), "must be greater than zero")

    def test_02_amount_negative(self):
        case = self._case()
        self.assertRefused(self._apply(case, amount=-50.0), "must be greater than zero")

    def test_03_amount_larger_than_disputed(self):
        case = self._case()
        text = self.assertRefused(
            self._apply(case, amount=150.0), "larger than the amount in dispute"
        )
        self.assertIn("100.00", text)

    def test_04_amount_with_too_many_decimals_is_rounded(self):
        """Normalized, not refused: amounts keep the currency's precision, so no entry has
        a fraction of a cent."""
        case = self._case()
        self._apply(case, amount=33.333)()
        credit_note = case.resolution_move_ids
        self.assertEqual(credit_note.amount_total, 33.33)
        self.assertEqual(case.move_ids.amount_residual, 966.67)

    def test_05_negative_case_amounts(self):
        self.assertRefused(
            lambda: self._create_case(expected_amount=-10.0),
            "cannot be negative",
            ValidationError,
            rollback=True,
        )

    def test_06_write_off_over_the_limit(self):
        invoice = self._create_invoice(amount=1000.0)
        self._register_payment(invoice, amount=920.0)
        case = self._case(
            invoice,
            expected=1000.0,
            actual=920.0,
            case_type_id=self.type_short_payment.id,
        )
        self.assertRefused(
            self._apply(case, resolution_type="write_off", amount=80.0),
            "exceeds the write-off limit of",
        )
        self.assertEqual(invoice.amount_residual, 80.0)

    def test_07_refund_over_the_credit(self):
        case = self._overpayment_case(credit=100.0)
        self.assertRefused(
            self._apply(case, resolution_type="refund", amount=120.0),
            "larger than the open credit",
        )

    def test_08_write_off_of_paid_invoice(self):
        invoice = self._create_invoice(amount=100.0)
        self._register_payment(invoice)
        case = self._case(
            invoice,
            expected=100.0,
            actual=100.0,
            case_type_id=self.type_short_payment.id,
        )
        self.assertRefused(
            self._apply(case, resolution_type="write_off", amount=10.0), "is fully paid"
        )

    def test_09_supplementary_invoice_without_undercharge(self):
        case = self._case(
            expected=1000.0, actual=1000.0, case_type_id=self.type_undercharge.id
        )
        self.assertRefused(self._apply(case, amount=10.0), "shows no undercharge")

    # -------------------------------------------------- currencies and owners

    def test_10_invoice_in_another_currency(self):
        invoice = self._create_invoice(amount=100.0, currency=self.eur)
        self.assertRefused(
            lambda: self._create_case(move_ids=[Command.set(invoice.ids)]),
            "use one case per currency",
            ValidationError,
            rollback=True,
        )

    def test_11_refund_journal_in_another_currency(self):
        case = self._overpayment_case()
        journal = self.env["account.journal"].create(
            {
                "name": "EUR Bank",
                "code": "BEUR",
                "type": "bank",
                "currency_id": self.eur.id,
            }
        )
        self.assertRefused(
            self._apply(
                case, resolution_type="refund", journal_id=journal.id, amount=50.0
            ),
            "pays in EUR",
        )

    def test_12_invoice_of_another_customer(self):
        invoice = self._create_invoice(partner=self.other_customer)
        self.assertRefused(
            lambda: self._create_case(move_ids=[Command.set(invoice.ids)]),
            "belongs to Other Customer, not to the case customer",
            ValidationError,
            rollback=True,
        )

    def test_13_payment_of_another_customer(self):
        invoice = self._create_invoice(partner=self.other_customer)
        payment = self._register_payment(invoice)
        case = self._create_case()
        self.assertRefused(
            lambda: case.write({"payment_ids": [Command.link(payment.id)]}),
            "belongs to Other Customer",
            ValidationError,
            rollback=True,
        )
        self.assertFalse(case.payment_ids)

    def test_14_invoice_of_another_company(self):
        other = self.setup_other_company(name="Bad Input Other Co")["company"]
        invoice = self._create_invoice(company=other)
        self.assertRefused(
            lambda: self._create_case(move_ids=[Command.set(invoice.ids)]),
            "belongs to company Bad Input Other Co",
            ValidationError,
            rollback=True,
        )

    def test_15_case_type_of_another_company(self):
        other = self.setup_other_company(name="Type Other Co")["company"]
        foreign_type = self.env["billing.case.type"].create(
            {"name": "Other Co Type", "code": "other", "company_id": other.id}
        )
        self.assertRefused(
            lambda: self._create_case(case_type_id=foreign_type.id),
            "belongs to another company",
            rollback=True,
        )

    # ------------------------------------------------------- document states

    def test_16_draft_invoice(self):
        draft = self._create_invoice(post=False)
        self.assertRefused(
            lambda: draft.with_user(self.coordinator).action_report_discrepancy(),
            "only be reported on posted customer invoices",
        )
        case = self._case(draft)
        self.assertRefused(
            self._apply(case, resolution_type="credit_note"),
            "Choose the invoice of the case",
        )
        self.assertEqual(draft.state, "draft")

    def test_17_cancelled_invoice(self):
        invoice = self._create_invoice(post=False)
        invoice.button_cancel()
        case = self._case(invoice)
        self.assertRefused(
            self._apply(case, resolution_type="credit_note"),
            "Choose the invoice of the case",
        )
        self.assertRefused(
            self._apply(case, resolution_type="credit_note", invoice_id=invoice.id),
            "is not a posted customer invoice of case",
        )

    def test_18_archived_customer_is_accepted(self):
        """Accepted on purpose: an archived customer can still owe or be owed money, so
        its open case is resolved as any other."""
        case = self._case()
        self.customer.action_archive()
        self._apply(case)()
        self.assertEqual(case.state, "resolved")
        self.assertEqual(case.resolution_move_ids.state, "posted")
        self.assertEqual(case.resolution_move_ids.partner_id, self.customer)

    # --------------------------------------------------------------- lock dates

    def _locked_case(self, lock_field, with_tax=False):
        invoice = self._create_invoice(amount=1000.0, invoice_date=self.past)
        if with_tax:
            invoice = self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_date": self.past,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Taxed",
                                "price_unit": 1000.0,
                                "tax_ids": [Command.set(self.tax.ids)],
                            }
                        )
                    ],
                }
            )
            invoice.action_post()
        case = self._case(
            invoice, expected=invoice.amount_total - 100.0, actual=invoice.amount_total
        )
        # sudo: lock dates are set by an adviser, not the test user
        self.company.sudo().write({lock_field: self.today})
        return case

    def test_19_fiscal_year_lock_date(self):
        case = self._locked_case("fiscalyear_lock_date")
        self.assertRefused(
            self._apply(case, date=self.past), "Ask an accountant to reopen the period"
        )

    def test_20_tax_lock_date(self):
        case = self._locked_case("tax_lock_date", with_tax=True)
        self.assertRefused(
            self._apply(case, date=self.past), "Ask an accountant to reopen the period"
        )

    def test_21_sales_lock_date(self):
        case = self._locked_case("sale_lock_date")
        self.assertRefused(self._apply(case, date=self.past), "Sales Lock Date")

    def test_22_hard_lock_date(self):
        case = self._locked_case("hard_lock_date")
        self.assertRefused(
            self._apply(case, date=self.past), "Ask an accountant to reopen the period"
        )

    def test_23_purchase_lock_date_does_not_block_sales(self):
        """The purchase lock date locks vendor bills only: a credit note goes through."""
        case = self._locked_case("purchase_lock_date")
        self._apply(case, date=self.past)()
        self.assertEqual(case.resolution_move_ids.date, self.past)

    def test_24_closed_period_moves_the_entry_to_the_first_open_date(self):
        """A closed period with a later open date: the entry lands on the first open day
        (as Odoo posts into a locked period), and the wizard said so beforehand."""
        invoice = self._create_invoice(amount=1000.0, invoice_date=self.past)
        case = self._case(invoice)
        lock = self.today - timedelta(days=10)
        # sudo: lock dates are set by an adviser, not the test user
        self.company.sudo().fiscalyear_lock_date = lock
        wizard = self._wizard(case, date=self.past)
        self.assertIn("locked period", wizard.lock_date_message)
        wizard.action_apply()
        self.assertEqual(case.resolution_move_ids.date, lock + timedelta(days=1))

    def test_25_accounting_date_in_the_future(self):
        case = self._case()
        self.assertRefused(
            self._apply(case, date=self.today + timedelta(days=3)),
            "cannot be in the future",
        )

    # ------------------------------------------------------------ payment plans

    def test_26_installments_exceed_the_amount_due(self):
        case = self._overdue_case(600.0)
        soon = self.today + timedelta(days=10)
        text = self.assertRefused(
            self._plan(case, (soon, 400.0), (soon + timedelta(days=30), 300.0)),
            "add up to",
        )
        self.assertIn("700.00", text)

    def test_27_installment_in_the_past(self):
        case = self._overdue_case()
        self.assertRefused(
            self._plan(case, (self.today - timedelta(days=1), 100.0)), "is in the past"
        )

    def test_28_installments_on_the_same_date(self):
        case = self._overdue_case()
        day = self.today + timedelta(days=7)
        self.assertRefused(
            self._plan(case, (day, 100.0), (day, 200.0)), "Two installments fall on"
        )

    def test_29_installment_of_zero(self):
        case = self._overdue_case()
        self.assertRefused(
            self._plan(case, (self.today + timedelta(days=7), 0.0)),
            "must be greater than zero",
        )

    def test_30_payment_plan_without_installments(self):
        case = self._overdue_case()
        self.assertRefused(self._plan(case), "Add the installments")

    # ------------------------------------------------------ teams and queue

    def test_31_team_without_members(self):
        """Accepted: a case routed to a team nobody is in waits unassigned in its queue."""
        team = self.env["billing.team"].create(
            {"name": "Empty Team", "assignment_method": "round_robin"}
        )
        self.customer.billing_team_id = team
        case = self._create_case()
        self.assertEqual(case.team_id, team)
        self.assertFalse(case.user_id)
        self.assertRefused(
            lambda: self.env["billing.case.reassign"]
            .create(
                {
                    "case_ids": [Command.set(case.ids)],
                    "team_id": team.id,
                    "user_id": self.coordinator.id,
                }
            )
            .action_apply(),
            "is not a member of team Empty Team",
        )
        self.assertFalse(case.user_id)

    def test_32_take_next_without_a_team(self):
        """A coordinator in no team takes only from the company pool; an empty pool says
        so and changes nothing."""
        team = self.env["billing.team"].create(
            {"name": "Busy Team", "member_ids": [Command.set(self.manager.ids)]}
        )
        self.customer.billing_team_id = team
        team_case = self._create_case(user_id=False)
        team_case.user_id = False
        action = self.env["billing.case"].with_user(self.coordinator).action_take_next()
        self.assertEqual(action["params"]["title"], "Nothing to take")
        self.assertFalse(team_case.user_id)
        self.customer.billing_team_id = False
        pool_case = self._create_case(partner_id=self.other_customer.id)
        self.assertFalse(pool_case.team_id)
        self.env["billing.case"].with_user(self.coordinator).action_take_next()
        self.assertEqual(pool_case.user_id, self.coordinator)

    def test_33_call_without_required_follow_up(self):
        case = self._create_case()
        outcome = self.env["billing.call.outcome"].create(
            {"name": "Promised", "code": "promised_x", "requires_follow_up": True}
        )
        self.assertRefused(
            lambda: self.env["billing.case.log.call"]
            .with_user(self.coordinator)
            .create(
                {"case_id": case.id, "outcome_id": outcome.id, "follow_up_date": False}
            )
            .action_confirm(),
            "needs a follow-up date",
        )

    # ------------------------------------------------------------- lifecycle

    def test_34_resolving_a_cancelled_case(self):
        case = self._case(resolution_note="Opened by mistake.")
        case.action_cancel()
        self.assertRefused(self._apply(case), "is not open and cannot be resolved")
        self.assertRefused(
            case.action_open_resolve_wizard, "Only open cases can be resolved"
        )

    def test_35_cancel_without_reason(self):
        case = self._create_case()
        self.assertRefused(
            case.with_user(self.coordinator).action_cancel, "Say why you cancel"
        )
        self.assertEqual(case.state, "new")

    def test_36_reopening_a_case_with_posted_documents(self):
        """Documents stay posted and linked, the case reopens, and the chatter says that
        the documents stay."""
        case = self._case()
        self._apply(case)()
        credit_note = case.resolution_move_ids
        before = self._counts()
        case.with_user(self.coordinator).action_reopen()
        self.assertEqual(case.state, "in_progress")
        self.assertEqual(case.resolution_move_ids, credit_note)
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(self._counts(), before)
        self.assertIn(credit_note.name, case.message_ids[:1].body)
        self.assertIn("stay posted", case.message_ids[:1].body)

    def test_37_deleting_a_case_with_resolution_documents(self):
        case = self._case()
        self._apply(case)()
        self.assertRefused(
            case.unlink, "has resolution documents and cannot be deleted"
        )
        self.assertTrue(case.exists())

    def test_38_resolving_twice(self):
        case = self._case()
        wizard = self._wizard(case)
        wizard.action_apply()
        self.assertRefused(wizard.action_apply, "is not open and cannot be resolved")
        self.assertEqual(len(case.resolution_move_ids), 1)

    # ------------------------------------------------------- text and names

    def test_39_very_long_texts(self):
        note = "Checked with the customer. " * 4000  # about 100 000 characters
        case = self._case(description=f"<p>{'Long description. ' * 5000}</p>")
        self._apply(case, note=note)()
        self.assertEqual(case.resolution_note, note)
        html = self._render_report(case)
        self.assertIn(case.name, html)

    def _render_report(self, case):
        self.company.external_report_layout_id = self.ref(
            "web.external_layout_standard"
        )
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "billing_coordinator.billing_case_report_action", case.ids
        )
        return html.decode()

    def test_40_hostile_customer_names_in_chatter_and_pdf(self):
        for name in (FORMULA, SCRIPT, SQL_TEXT):
            with self.subTest(name=name):
                partner = self.env["res.partner"].create(
                    {"name": name, "is_company": True}
                )
                invoice = self._create_invoice(partner=partner, amount=200.0)
                case = self._create_case(
                    partner_id=partner.id,
                    move_ids=[Command.set(invoice.ids)],
                    expected_amount=150.0,
                    actual_amount=200.0,
                )
                wizard = (
                    self.env["billing.case.cancel"]
                    .with_user(self.coordinator)
                    .create(
                        {
                            "case_ids": [Command.set(case.ids)],
                            "reason": f"Customer {name} called",
                        }
                    )
                )
                wizard.action_confirm()
                case.action_reopen()
                self._apply(case, note=name)()
                bodies = "".join(case.message_ids.mapped("body"))
                self.assertNotIn("<script>", bodies)
                html = self._render_report(case)
                self.assertNotIn("<script>alert", html)
                self.assertIn(str(escape(name)), html)
                # The text is data everywhere: searching for it finds the case, the
                # table is still there.
                self.assertEqual(
                    self.env["billing.case"].search([("partner_id.name", "=", name)]),
                    case,
                )
        self.assertTrue(self.env["billing.case"].search_count([]))

    # ---------------------------------------------------------------- settings

    def test_41_negative_detection_threshold_in_settings(self):
        Rule = self.env["billing.detection.rule"]
        for code, field, value in (
            ("overpayment", "tolerance_amount", -1.0),
            ("overdue", "overdue_days", -5),
            ("duplicate_payment", "duplicate_payment_days", -1),
        ):
            rule = Rule._get_rule(self.company, code)
            before = rule[field]
            with self.subTest(field=field):
                self.assertRefused(
                    lambda rule=rule, field=field, value=value: rule.write(
                        {field: value}
                    ),
                    "cannot be negative",
                    ValidationError,
                    rollback=True,
                )
            self.assertEqual(rule[field], before)
        self.assertRefused(
            lambda: self.env["res.config.settings"]
            .create({"billing_writeoff_limit": -10.0})
            .execute(),
            "cannot be negative",
            ValidationError,
            rollback=True,
        )

    def test_42_absurd_percentage_in_settings(self):
        Rule = self.env["billing.detection.rule"]
        for code, field in (
            ("overpayment", "tolerance_percent"),
            ("short_payment", "short_payment_share"),
            ("overcharge", "price_deviation_percent"),
        ):
            rule = Rule._get_rule(self.company, code)
            with self.subTest(field=field):
                self.assertRefused(
                    lambda rule=rule, field=field: rule.write({field: 250.0}),
                    "between 0 and 100",
                    ValidationError,
                    rollback=True,
                )

    # -------------------------------------------------------------------- mail

    def test_43_mail_to_customer_without_email(self):
        customer = self.env["res.partner"].create(
            {"name": "No Mail Ltd", "is_company": True}
        )
        case = self._create_case(partner_id=customer.id)
        self.assertRefused(
            case.with_user(self.coordinator).action_send_email,
            "No Mail Ltd has no e-mail address",
        )
        # The template itself still renders (a coordinator may preview it).
        template = case._get_mail_template()
        rendered = template._generate_template(case.ids, ["body_html"])[case.id]
        self.assertIn("No Mail Ltd", rendered["body_html"])

    def test_44_wizard_on_a_case_of_another_team_is_refused_without_trace(self):
        team = self.env["billing.team"].create(
            {"name": "Other Team", "member_ids": [Command.set(self.manager.ids)]}
        )
        self.customer.billing_team_id = team
        case = self._case()
        self.assertRefused(self._apply(case), "", AccessError)
        self.assertEqual(case.state, "new")
