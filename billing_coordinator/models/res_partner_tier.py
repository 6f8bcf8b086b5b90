from odoo import api, fields, models

BILLING_TIERS = [
    ("standard", "Standard"),
    ("important", "Important"),
    ("key_account", "Key Account"),
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    billing_tier = fields.Selection(
        BILLING_TIERS,
        default="standard",
        tracking=True,
        help="How important the customer is in the billing queue: key accounts get the "
        "full customer points of the case score, important customers half.",
    )

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + ["billing_tier"]
