from odoo import fields, models


class BillingCase(models.Model):
    _inherit = "billing.case"

    sla_breached = fields.Boolean(
        string="SLA Breached", readonly=True, copy=False, index=True,
        help="The deadline passed while the case was open.",
    )
