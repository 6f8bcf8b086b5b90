from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    billing_order_qty_tolerance_percent = fields.Float(
        string="Quantity Tolerance (%)",
        default=0.0,
        help="An order line may be invoiced this share above its ordered quantity (or "
        "delivered quantity, for products invoiced on delivery) before it is over-invoiced.",
    )
    billing_order_price_tolerance_percent = fields.Float(
        string="Unit Price Tolerance (%)",
        default=0.5,
        help="An invoiced unit price may differ this much from the sales order's before "
        "it is a changed price.",
    )
    billing_order_discount_tolerance = fields.Float(
        string="Discount Tolerance (points)",
        default=0.0,
        help="An invoiced discount may differ this many percentage points from the sales "
        "order's before it is a changed discount.",
    )
