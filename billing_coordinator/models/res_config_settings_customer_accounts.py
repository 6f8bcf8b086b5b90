from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    billing_block_unready_first_invoice = fields.Boolean(
        related="company_id.billing_block_unready_first_invoice", readonly=False
    )
