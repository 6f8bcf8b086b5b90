from odoo import api, models
from odoo.exceptions import UserError
from odoo.fields import Command


class BillingResolutionCreditNote(models.AbstractModel):
    """Credit note: Odoo's standard reversal of the case invoice, cut to the amount or
    to the chosen lines, posted and matched with the invoice."""

    _name = "billing.resolution.credit_note"
    _inherit = "billing.resolution"
    _description = "Resolution by Credit Note"

    _journal_types = ("sale",)
    _move_type = "out_refund"

    @api.model
    def _invoice_required(self):
        return True

    @api.model
    def _has_tax(self, resolution):
        return bool(resolution["invoice"].invoice_line_ids.tax_ids)

    @api.model
    def _default_amount(self, resolution):
        if resolution["credit_lines"]:
            return sum(resolution["credit_lines"].mapped("price_total"))
        return super()._default_amount(resolution)

    @api.model
    def _get_disputed_amount(self, resolution):
        invoice = resolution["invoice"]
        disputed = abs(resolution["case"].amount_difference) or invoice.amount_residual
        return min(disputed, invoice.amount_total)

    @api.model
    def _check_disputed(self, resolution, disputed):
        if resolution["case"].currency_id.is_zero(disputed):
            raise UserError(
                self.env._(
                    "Nothing is in dispute on %(invoice)s: it is paid and case %(case)s has no "
                    "difference between its expected and actual amounts.",
                    invoice=resolution["invoice"].display_name,
                    case=resolution["case"].name,
                )
            )

    @api.model
    def _create_documents(self, resolution):
        invoice, case = resolution["invoice"], resolution["case"]
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "date": resolution["date"],
                    "reason": resolution["note"] or case.name,
                    "journal_id": resolution["journal"].id,
                }
            )
        )
        reversal.refund_moves()
        credit_note = reversal.new_move_ids
        if resolution["credit_lines"]:
            self._keep_credited_lines(resolution, credit_note)
        elif case.currency_id.compare_amounts(
            resolution["amount"], credit_note.amount_total
        ):
            self._scale_invoice_lines(credit_note, resolution["amount"])
        credit_note.action_post()
        self._reconcile_receivables(credit_note, invoice)
        return credit_note

    @api.model
    def _product_lines(self, move):
        return move.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        ).sorted(lambda line: (line.sequence, line.id))

    @api.model
    def _keep_credited_lines(self, resolution, credit_note):
        """Drop from the draft reversal the lines that were not chosen (the reversal
        copies the invoice lines in their order)."""
        invoice_lines = self._product_lines(resolution["invoice"])
        reversed_lines = self._product_lines(credit_note)
        if len(invoice_lines) != len(reversed_lines):
            raise UserError(
                self.env._(
                    "The credit note lines do not match the invoice lines; credit an amount "
                    "instead."
                )
            )
        credit_note.write(
            {
                "invoice_line_ids": [
                    Command.unlink(reversed_line.id)
                    for invoice_line, reversed_line in zip(
                        invoice_lines, reversed_lines, strict=True
                    )
                    if invoice_line not in resolution["credit_lines"]
                ]
            }
        )

    @api.model
    def _reconcile_receivables(self, new_move, invoice):
        """Match the receivable of a new entry with the invoice's if both are still open.

        Posting a reversal already does it; a credit note on a paid invoice stays open as a
        customer credit."""
        lines = (new_move.line_ids + invoice.line_ids).filtered(
            lambda line: line.account_type == "asset_receivable" and not line.reconciled
        )
        for account_lines in lines.grouped("account_id").values():
            debit = account_lines.filtered(lambda line: line.amount_residual > 0)
            credit = account_lines.filtered(lambda line: line.amount_residual < 0)
            if debit and credit:
                account_lines.reconcile()
