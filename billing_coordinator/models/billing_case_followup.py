from odoo import fields, models


class BillingCase(models.Model):
    _inherit = "billing.case"

    follow_up_date = fields.Date(
        string="Follow-up Date",
        tracking=True,
        copy=False,
        index="btree_not_null",
        help="Resubmission: the case leaves the queue until this date.",
    )
