from odoo import api, models
from odoo.exceptions import UserError


class BillingResolutionRefund(models.AbstractModel):
    """Refund: pay the customer's open credit back and match the payment with it."""

    _name = "billing.resolution.refund"
    _inherit = "billing.resolution"
    _description = "Resolution by Refund"

    _journal_types = ("bank", "cash")

    @api.model
    def _get_customer_credit_lines(self, case):
        """Open credit lines of the customer in the case currency, on one receivable
        account: the lines of the case documents first, then the oldest."""
        if not case:
            return self.env["account.move.line"]
        lines = self.env["account.move.line"].search(
            [
                ("company_id", "=", case.company_id.id),
                ("partner_id", "child_of", case.partner_id.id),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("currency_id", "=", case.currency_id.id),
                ("amount_residual_currency", "<", 0.0),
            ],
            order="date, id",
        )
        case_moves = case.move_ids | case.payment_ids.move_id
        lines = lines.sorted(lambda line: line.move_id not in case_moves)
        return lines.filtered(lambda line: line.account_id == lines[:1].account_id)

    @api.model
    def _get_customer_credit(self, case):
        return -sum(
            self._get_customer_credit_lines(case).mapped("amount_residual_currency")
        )

    @api.model
    def _get_disputed_amount(self, resolution):
        credit = self._get_customer_credit(resolution["case"])
        difference = abs(resolution["case"].amount_difference)
        return min(credit, difference) if difference else credit

    @api.model
    def _check_disputed(self, resolution, disputed):
        case, amount = resolution["case"], resolution["amount"]
        credit = self._get_customer_credit(case)
        if case.currency_id.compare_amounts(amount, credit) > 0:
            raise UserError(
                self.env._(
                    "The refund of %(amount)s is larger than the open credit of "
                    "%(partner)s (%(credit)s).",
                    amount=self._format_amount(amount, case.currency_id),
                    partner=case.partner_id.display_name,
                    credit=self._format_amount(credit, case.currency_id),
                )
            )

    @api.model
    def _check_journal(self, resolution):
        res = super()._check_journal(resolution)
        journal, currency = resolution["journal"], resolution["case"].currency_id
        if journal.currency_id and journal.currency_id != currency:
            raise UserError(
                self.env._(
                    "Journal %(journal)s pays in %(journal_currency)s; the refund is in "
                    "%(currency)s.",
                    journal=journal.display_name,
                    journal_currency=journal.currency_id.name,
                    currency=currency.name,
                )
            )
        if not journal.outbound_payment_method_line_ids:
            raise UserError(
                self.env._(
                    "Journal %(journal)s has no outgoing payment method.",
                    journal=journal.display_name,
                )
            )
        return res

    @api.model
    def _get_refund_credit_lines(self, resolution):
        """The credit lines the refund pays back, case documents first, then oldest."""
        lines = self.env["account.move.line"]
        remaining = resolution["amount"]
        currency = resolution["case"].currency_id
        for line in self._get_customer_credit_lines(resolution["case"]):
            if currency.compare_amounts(remaining, 0.0) <= 0:
                break
            lines |= line
            remaining += line.amount_residual_currency
        return lines

    @api.model
    def _create_documents(self, resolution):
        case, journal = resolution["case"], resolution["journal"]
        credit_lines = self._get_refund_credit_lines(resolution)
        account = credit_lines.account_id
        # force_payment_move: the refund needs its entry to be matched with the credit,
        # also where an accounting app would leave payments without one.
        payment = (
            self.env["account.payment"]
            .with_context(force_payment_move=True)
            .create(
                {
                    "payment_type": "outbound",
                    "partner_type": "customer",
                    "partner_id": case.partner_id.id,
                    "amount": resolution["amount"],
                    "currency_id": case.currency_id.id,
                    "journal_id": journal.id,
                    "date": self._get_accounting_date(resolution),
                    "memo": self.env._("Refund: %(case)s", case=case.name),
                    "destination_account_id": account.id,
                }
            )
        )
        payment.action_post()
        if not payment.move_id:
            # Rolled back with the savepoint of _resolve.
            raise UserError(
                self.env._(
                    "Journal %(journal)s records payments without journal entries; choose a "
                    "journal with an outstanding payments account.",
                    journal=journal.display_name,
                )
            )
        payment_lines = payment.move_id.line_ids.filtered(
            lambda line: line.account_id == account and not line.reconciled
        )
        (payment_lines + credit_lines).reconcile()
        return payment.move_id
