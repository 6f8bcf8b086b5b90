from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    billing_score_weight_deadline = fields.Float(
        related="company_id.billing_score_weight_deadline", readonly=False
    )
    billing_score_weight_priority = fields.Float(
        related="company_id.billing_score_weight_priority", readonly=False
    )
    billing_score_weight_amount = fields.Float(
        related="company_id.billing_score_weight_amount", readonly=False
    )
    billing_score_weight_age = fields.Float(
        related="company_id.billing_score_weight_age", readonly=False
    )
    billing_score_weight_customer = fields.Float(
        related="company_id.billing_score_weight_customer", readonly=False
    )
    billing_score_amount_full = fields.Monetary(
        related="company_id.billing_score_amount_full",
        readonly=False,
        currency_field="currency_id",
    )
    billing_sla_calendar_id = fields.Many2one(
        related="company_id.resource_calendar_id",
        readonly=False,
        string="SLA Working Days",
        help="Case deadlines count the working days of this schedule; its global time off "
        "(without a resource) are the public holidays.",
    )
