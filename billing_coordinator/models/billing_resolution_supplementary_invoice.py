from odoo import api, models
from odoo.exceptions import UserError
from odoo.fields import Command


class BillingResolutionSupplementaryInvoice(models.AbstractModel):
    """Supplementary invoice: a new invoice for the undercharge, in proportion to the
    case invoice's lines (or one line when the case has no invoice)."""

    _name = "billing.resolution.supplementary_invoice"
    _inherit = "billing.resolution"
    _description = "Resolution by Supplementary Invoice"

    _journal_types = ("sale",)
    _move_type = "out_invoice"

    @api.model
    def _has_tax(self, resolution):
        return bool(resolution["invoice"].invoice_line_ids.tax_ids)

    @api.model
    def _get_disputed_amount(self, resolution):
        difference = resolution["case"].amount_difference
        return -difference if difference < 0 else 0.0

    @api.model
    def _check_disputed(self, resolution, disputed):
        if resolution["case"].currency_id.is_zero(disputed):
            raise UserError(
                self.env._(
                    "Case %(case)s shows no undercharge: a supplementary invoice needs an "
                    "expected amount above the actual amount.",
                    case=resolution["case"].name,
                )
            )

    @api.model
    def _create_documents(self, resolution):
        invoice, case, amount = (
            resolution["invoice"],
            resolution["case"],
            resolution["amount"],
        )
        label = self.env._(
            "Supplement to %(invoice)s", invoice=invoice.name or case.name
        )
        if invoice:
            line_commands = [
                Command.create(
                    {
                        "name": self.env._(
                            "%(label)s: %(line)s",
                            label=label,
                            line=line.name or line.product_id.display_name or "",
                        ),
                        "product_id": line.product_id.id,
                        "product_uom_id": line.product_uom_id.id,
                        "account_id": line.account_id.id,
                        "tax_ids": [Command.set(line.tax_ids.ids)],
                        "quantity": line.quantity,
                        "price_unit": line.price_unit,
                        "discount": line.discount,
                        "analytic_distribution": line.analytic_distribution,
                    }
                )
                for line in invoice.invoice_line_ids.filtered(
                    lambda line: line.display_type == "product"
                )
            ]
        else:
            line_commands = [
                Command.create(
                    {
                        "name": label,
                        "quantity": 1.0,
                        "price_unit": amount,
                        "tax_ids": False,
                    }
                )
            ]
        supplement = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (invoice.partner_id or case.partner_id).id,
                "journal_id": resolution["journal"].id,
                "currency_id": case.currency_id.id,
                "invoice_date": resolution["date"],
                "invoice_origin": invoice.name or case.name,
                "ref": label,
                "fiscal_position_id": invoice.fiscal_position_id.id,
                "invoice_payment_term_id": invoice.invoice_payment_term_id.id,
                "invoice_line_ids": line_commands,
            }
        )
        if case.currency_id.compare_amounts(supplement.amount_total, amount):
            self._scale_invoice_lines(supplement, amount)
        supplement.action_post()
        return supplement
