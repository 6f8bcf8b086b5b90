from odoo import fields, models

URGENCIES = [
    ("breached", "Breached"),
    ("today", "Due Today"),
    ("week", "Due This Week"),
    ("later", "Later"),
]


class BillingCase(models.Model):
    _inherit = "billing.case"

    priority_score = fields.Float(
        string="Score",
        readonly=True,
        copy=False,
        index=True,
        digits=(16, 1),
        help="Queue rank: the higher, the sooner the case should be worked.",
    )
    queue_urgency = fields.Selection(
        URGENCIES, string="Urgency", readonly=True, copy=False, index=True
    )
