from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    billing_detection_log_days = fields.Integer(
        related="company_id.billing_detection_log_days", readonly=False
    )
    billing_writeoff_account_id = fields.Many2one(
        related="company_id.billing_writeoff_account_id", readonly=False
    )
    billing_writeoff_limit = fields.Monetary(
        related="company_id.billing_writeoff_limit",
        readonly=False,
        currency_field="currency_id",
    )

    def action_open_detection_rules(self):
        """The detection rules of the settings' company, to switch off and tune."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "billing_coordinator.billing_detection_rule_action"
        )
        action["domain"] = [("company_id", "=", self.company_id.id)]
        return action
