from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    billing_order_qty_tolerance_percent = fields.Float(
        related="company_id.billing_order_qty_tolerance_percent", readonly=False
    )
    billing_order_price_tolerance_percent = fields.Float(
        related="company_id.billing_order_price_tolerance_percent", readonly=False
    )
    billing_order_discount_tolerance = fields.Float(
        related="company_id.billing_order_discount_tolerance", readonly=False
    )
