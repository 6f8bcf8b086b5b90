from odoo import fields, models


class BillingCallOutcome(models.Model):
    """What came of a call with the customer; managers configure the list."""

    _name = "billing.call.outcome"
    _description = "Billing Call Outcome"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Stable key for reports and integrations (e.g. 'promise_given').",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to offer the outcome in every company.",
    )
    reached_customer = fields.Boolean(
        string="Customer Reached",
        help="The coordinator spoke with the customer (counts as a reached contact in KPIs).",
    )
    follow_up_days = fields.Integer(
        string="Follow-up after (days)",
        help="Proposes a follow-up date this many days after the call; 0 proposes none.",
    )
    requires_follow_up = fields.Boolean(
        string="Follow-up Required",
        help="A call with this outcome cannot be logged without a follow-up date, e.g. a "
        "promise or a payment to check.",
    )
    description = fields.Text(translate=True)

    _code_company_uniq = models.UniqueIndex(
        "(code, COALESCE(company_id, 0))",
        "Another outcome already has this code.",
    )
    _follow_up_days_positive = models.Constraint(
        "CHECK(follow_up_days >= 0)",
        "The follow-up delay cannot be negative.",
    )
