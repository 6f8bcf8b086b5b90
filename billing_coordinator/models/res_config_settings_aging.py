from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    billing_aging_bucket_limits = fields.Char(
        related="company_id.billing_aging_bucket_limits", readonly=False
    )
