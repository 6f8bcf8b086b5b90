from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.service.model import call_kw
from odoo.tests import tagged

from .common import BillingResolutionCommon


@tagged("post_install", "-at_install")
class TestResolutionEngine(BillingResolutionCommon):
    """billing.case._resolve called directly, as a bulk action or an integration does."""

    def _case_for(self, invoices, expected, actual, case_type=None, **vals):
        return self._create_case(
            move_ids=[Command.set(invoices.ids)],
            expected_amount=expected,
            actual_amount=actual,
            case_type_id=(case_type or self.type_overcharge).id,
            **vals,
        )

    def _as(self, case, user=None):
        return case.with_user(user or self.coordinator)

    def _counts(self):
        return tuple(
            # sudo: count every record, whatever the record rules
            self.env[model].sudo().search_count([])
            for model in (
                "account.move",
                "account.payment",
                "account.partial.reconcile",
                "billing.case.promise",
                "mail.message",
            )
        )

    def assertResolveRefused(self, case, resolution_type, message, user=None, **values):
        """_resolve raises a UserError matching ``message`` and writes nothing (no
        assertRaises: its savepoint would hide what was written before the error)."""
        before = self._counts()
        state = (case.state, case.resolution_type)
        try:
            self._as(case, user)._resolve(resolution_type, **values)
        except UserError as error:
            self.assertRegex(str(error), message)
        else:
            self.fail(f"The resolution was not refused (expected {message!r})")
        self.env.invalidate_all()
        self.assertEqual(
            self._counts(), before, "A refused resolution must not write anything"
        )
        self.assertEqual((case.state, case.resolution_type), state)

    # ----------------------------------------------------------- every type

    def test_credit_note_with_defaults(self):
        invoice = self._create_invoice(amount=1000.0)
        case = self._case_for(invoice, expected=900.0, actual=1000.0)
        documents = self._as(case)._resolve("credit_note")
        self.assertEqual(documents, case.resolution_move_ids)
        self.assertRecordValues(
            documents,
            [
                {
                    "move_type": "out_refund",
                    "amount_total": 100.0,
                    "state": "posted",
                    "reversed_entry_id": invoice.id,
                    "journal_id": invoice.journal_id.id,
                }
            ],
        )
        self.assertEqual(invoice.amount_residual, 900.0)
        self.assertRecordValues(
            case, [{"state": "resolved", "resolution_type": "credit_note"}]
        )

    def test_resolve_over_rpc(self):
        """An integration resolves through the public wrapper, as RPC calls it, with ids
        and ISO dates; the private method itself cannot be called remotely."""
        invoice = self._create_invoice(amount=500.0)
        case = self._case_for(invoice, expected=450.0, actual=500.0)
        env = self.env(user=self.coordinator)
        ids = call_kw(
            env["billing.case"],
            "resolve_for_integration",
            [case.ids, "credit_note"],
            {"values": {"amount": 50.0, "date": fields.Date.to_string(self.today)}},
        )
        self.assertEqual(ids, case.resolution_move_ids.ids)
        self.assertRecordValues(
            case.resolution_move_ids,
            [{"move_type": "out_refund", "amount_total": 50.0}],
        )
        with self.assertRaises(AccessError):
            call_kw(env["billing.case"], "_resolve", [case.ids, "credit_note"], {})

    def test_credit_note_of_chosen_lines_by_ids(self):
        invoice = self._create_invoice(amount=600.0, post=False)
        invoice.invoice_line_ids = [
            Command.create(
                {"name": "Extra", "quantity": 1, "price_unit": 150.0, "tax_ids": False}
            )
        ]
        invoice.action_post()
        extra = invoice.invoice_line_ids.filtered(lambda line: line.name == "Extra")
        case = self._case_for(invoice, expected=600.0, actual=750.0)
        credit_note = self._as(case)._resolve(
            "credit_note",
            invoice_id=invoice.id,
            credit_line_ids=extra.ids,
            note="Extra line",
        )
        self.assertEqual(credit_note.invoice_line_ids.mapped("name"), ["Extra"])
        self.assertEqual(credit_note.amount_total, 150.0)
        self.assertEqual(case.resolution_note, "Extra line")

    def test_supplementary_invoice(self):
        invoice = self._create_invoice(amount=1000.0)
        case = self._case_for(invoice, 1200.0, 1000.0, case_type=self.type_undercharge)
        supplement = self._as(case)._resolve(
            "supplementary_invoice",
            amount=150.0,
            date=fields.Date.to_string(self.today),
        )
        self.assertRecordValues(
            supplement,
            [
                {
                    "move_type": "out_invoice",
                    "amount_total": 150.0,
                    "state": "posted",
                    "invoice_origin": invoice.name,
                }
            ],
        )
        self.assertEqual(case.resolution_type, "supplementary_invoice")

    def test_refund(self):
        invoice = self._create_invoice(amount=1000.0)
        self._register_payment(invoice, amount=1080.0)
        case = self._case_for(invoice, 1000.0, 1080.0, case_type=self.type_overpayment)
        refund_move = self._as(case)._resolve("refund", journal_id=self.bank_journal.id)
        payment = refund_move.origin_payment_id
        self.assertRecordValues(payment, [{"payment_type": "outbound", "amount": 80.0}])
        self.assertTrue(
            refund_move.line_ids.filtered(
                lambda line: line.account_type == "asset_receivable"
            ).reconciled
        )
        self.assertEqual(case.resolution_move_ids, refund_move)

    def test_write_off_default_journal_and_account(self):
        invoice = self._create_invoice(amount=1000.0)
        self._register_payment(invoice, amount=975.0)
        case = self._case_for(invoice, 1000.0, 975.0, case_type=self.type_short_payment)
        write_off = self._as(case)._resolve("write_off")
        self.assertEqual(write_off.journal_id.type, "general")
        self.assertEqual(
            write_off.line_ids.filtered(
                lambda line: line.account_id == self.writeoff_account
            ).balance,
            25.0,
        )
        self.assertEqual(invoice.amount_residual, 0.0)

    def test_payment_plan_returns_the_promises(self):
        invoice = self._create_invoice(amount=900.0)
        case = self._case_for(invoice, 900.0, 0.0, case_type=self.type_overdue)
        later = fields.Date.to_string(self.today + timedelta(days=20))
        promises = self._as(case)._resolve(
            "payment_plan",
            installments=[(later, 600.0), (self.today + timedelta(days=10), 300.0)],
        )
        self.assertEqual(promises._name, "billing.case.promise")
        self.assertRecordValues(
            promises,
            [
                {"amount": 300.0, "target_residual": 600.0},
                {"amount": 600.0, "target_residual": 0.0},
            ],
        )
        self.assertRecordValues(
            case, [{"state": "waiting_customer", "resolution_type": "payment_plan"}]
        )

    def test_note_only(self):
        case = self._create_case(case_type_id=self.type_customer_data.id)
        documents = self._as(case)._resolve(
            "customer_data_fixed", note="Address fixed."
        )
        self.assertFalse(documents)
        self.assertRecordValues(
            case,
            [
                {
                    "state": "resolved",
                    "resolution_type": "customer_data_fixed",
                    "resolution_note": "Address fixed.",
                }
            ],
        )

    def test_registry_lists_every_type_of_the_wizard(self):
        types = self.env["billing.case"]._get_resolution_types()
        self.assertNotIn("cleared", types)
        selection = self.env["billing.case.resolve"]._selection_resolution_type()
        codes = [code for code, _label in selection]
        self.assertEqual(set(codes), set(types))
        for model in set(types.values()):
            self.assertIsInstance(self.env[model], self.registry["billing.resolution"])

    # ------------------------------------------------------------- refusals

    def test_refusals_of_every_type(self):
        invoice = self._create_invoice(amount=1000.0)
        case = self._case_for(invoice, expected=900.0, actual=1000.0)
        other_invoice = self._create_invoice(amount=500.0)
        refused = self.assertResolveRefused
        refused(case, False, "Choose how the case is resolved")
        refused(case, "cleared", "is not a resolution")
        refused(case, "credit_note", "Unknown resolution values: colour", colour="red")
        refused(case, "credit_note", "does not exist", invoice_id=999999999)
        # credit note
        refused(case, "credit_note", "greater than zero", amount=0.0)
        refused(
            case,
            "credit_note",
            r"larger than the amount in dispute \(.*100\.00",
            amount=101.0,
        )
        tomorrow = self.today + timedelta(days=1)
        refused(case, "credit_note", "cannot be in the future", date=tomorrow)
        refused(
            case,
            "credit_note",
            "must be of type Sales",
            journal_id=self.bank_journal.id,
        )
        refused(
            case,
            "credit_note",
            "is not a posted customer invoice",
            invoice_id=other_invoice.id,
        )
        refused(
            case,
            "credit_note",
            "must belong to invoice",
            credit_line_ids=other_invoice.invoice_line_ids.ids,
        )
        refused(case, "credit_note", "Choose the invoice", invoice_id=False)
        # supplementary invoice
        refused(case, "supplementary_invoice", "shows no undercharge", amount=10.0)
        # refund
        refused(case, "refund", "larger than the open credit", amount=10.0)
        # write-off
        refused(case, "write_off", "exceeds the write-off limit", amount=60.0)
        refused(
            case,
            "write_off",
            "receivable or payable",
            write_off_account_id=invoice.line_ids.filtered(
                lambda line: line.account_type == "asset_receivable"
            ).account_id.id,
        )
        refused(case, "write_off", r"in Settings > Billing", write_off_account_id=False)
        # payment plan
        refused(case, "payment_plan", "Add the installments")
        yesterday = self.today - timedelta(days=1)
        refused(case, "payment_plan", "in the past", installments=[(yesterday, 5.0)])
        refused(
            case, "payment_plan", "greater than zero", installments=[(self.today, 0.0)]
        )
        too_much = [(self.today, 1500.0)]
        refused(case, "payment_plan", "more than the amount due", installments=too_much)
        refused(case, "payment_plan", "needs a date", installments=[(False, 10.0)])
        # note only
        refused(case, "no_action", "Explain the resolution", note="  ")
        # a closed case
        self._as(case)._resolve("no_action", note="Withdrawn.")
        refused(case, "credit_note", "is not open")

    def test_refund_journal_in_another_currency_is_refused(self):
        invoice = self._create_invoice(amount=1000.0)
        self._register_payment(invoice, amount=1100.0)
        case = self._case_for(invoice, 1000.0, 1100.0, case_type=self.type_overpayment)
        eur = self.setup_other_currency("EUR")
        journal = self.bank_journal.copy({"currency_id": eur.id, "code": "BEUR"})
        self.assertResolveRefused(case, "refund", "pays in EUR", journal_id=journal.id)

    def test_a_late_failure_leaves_nothing_written(self):
        """A failure while the documents are written rolls back what was written before."""
        invoice = self._create_invoice(amount=1000.0)
        self._register_payment(invoice, amount=980.0)
        case = self._case_for(invoice, 1000.0, 980.0, case_type=self.type_short_payment)
        WriteOff = self.registry["billing.resolution.write_off"]
        original = WriteOff._create_documents

        def failing(unit, resolution):
            original(unit, resolution)
            raise UserError(unit.env._("Posting failed"))

        with patch.object(WriteOff, "_create_documents", failing):
            self.assertResolveRefused(case, "write_off", "Posting failed")
        self.assertEqual(invoice.amount_residual, 20.0)

    def test_resolving_needs_write_access(self):
        invoice = self._create_invoice(amount=1000.0)
        case = self._case_for(invoice, expected=900.0, actual=1000.0)
        with self.assertRaises(AccessError):
            case.with_user(self.invoice_user)._resolve("credit_note")
        self.assertEqual(case.state, "new")

    def test_manager_writes_off_above_the_limit(self):
        invoice = self._create_invoice(amount=1000.0)
        self._register_payment(invoice, amount=900.0)
        case = self._case_for(invoice, 1000.0, 900.0, case_type=self.type_short_payment)
        self.assertResolveRefused(case, "write_off", "exceeds the write-off limit")
        self._as(case, self.manager)._resolve(
            "write_off", journal_id=self.misc_journal.id
        )
        self.assertEqual(invoice.amount_residual, 0.0)
