from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    billing_block_unready_first_invoice = fields.Boolean(
        related="company_id.billing_block_unready_first_invoice", readonly=False
    )
    billing_duplicate_invoice_days = fields.Integer(
        related="company_id.billing_duplicate_invoice_days", readonly=False
    )
