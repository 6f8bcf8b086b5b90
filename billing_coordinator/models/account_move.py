from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "billing.case.document"]

    billing_case_ids = fields.Many2many(
        "billing.case",
        "billing_case_account_move_rel",
        "move_id",
        "case_id",
        string="Billing Cases",
        copy=False,
    )
    billing_case_count = fields.Integer(compute="_compute_billing_case_count")

    @api.depends("billing_case_ids")
    def _compute_billing_case_count(self):
        for move in self:
            move.billing_case_count = len(move.billing_case_ids)

    def action_report_discrepancy(self):
        """Open a new case prefilled from this posted customer invoice."""
        self.ensure_one()
        if self.state != "posted" or self.move_type not in (
            "out_invoice",
            "out_refund",
        ):
            raise UserError(
                self.env._(
                    "Discrepancies can only be reported on posted customer invoices and "
                    "credit notes."
                )
            )
        self.env["billing.case"].check_access("create")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Report Discrepancy"),
            "res_model": "billing.case",
            "view_mode": "form",
            "target": "current",
            "context": {
                "default_partner_id": self.commercial_partner_id.id,
                "default_company_id": self.company_id.id,
                "default_currency_id": self.currency_id.id,
                "default_move_ids": [fields.Command.set(self.ids)],
                "default_expected_amount": self.amount_total,
                "default_actual_amount": self.amount_total - self.amount_residual,
            },
        }

    def action_view_billing_cases(self):
        self.ensure_one()
        return self.billing_case_ids._action_open_cases()
