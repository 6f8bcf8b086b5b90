from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    billing_detection_date = fields.Datetime(
        string="Last Discrepancy Detection",
        readonly=True,
        copy=False,
        help="When the billing discrepancy detection last ran on this company; the daily "
        "scheduled action skips companies already done that day.",
    )
