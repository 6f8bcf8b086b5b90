from odoo import fields, models


class BillingCaseCancel(models.TransientModel):
    _name = "billing.case.cancel"
    _description = "Cancel Billing Cases"

    case_ids = fields.Many2many("billing.case", string="Cases", required=True)
    reason = fields.Text(
        required=True, help="Kept in the cases' resolution note and chatter."
    )

    def action_confirm(self):
        self.ensure_one()
        self.case_ids.write({"resolution_note": self.reason})
        self.case_ids.action_cancel()
        return {"type": "ir.actions.act_window_close"}
