from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    billing_health_credit_days = fields.Integer(
        related="company_id.billing_health_credit_days", readonly=False
    )
