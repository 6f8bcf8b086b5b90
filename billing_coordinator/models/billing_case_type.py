from odoo import fields, models

CASE_CODES = [
    ("overcharge", "Overcharge"),
    ("undercharge", "Undercharge"),
    ("overpayment", "Overpayment"),
    ("short_payment", "Short Payment"),
    ("duplicate_payment", "Duplicate Payment"),
    ("unapplied_payment", "Unapplied Payment"),
    ("overdue", "Late Payment"),
    ("customer_data", "Wrong Customer Data"),
    ("other", "Other"),
]

PRIORITIES = [
    ("0", "Normal"),
    ("1", "Medium"),
    ("2", "High"),
    ("3", "Urgent"),
]


class BillingCaseType(models.Model):
    _name = "billing.case.type"
    _description = "Billing Case Type"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    code = fields.Selection(
        CASE_CODES,
        required=True,
        default="other",
        help="What kind of discrepancy this type stands for; detection rules and "
        "resolutions rely on it.",
    )
    sla_days = fields.Integer(
        string="SLA (days)",
        default=5,
        help="Days a coordinator has to resolve a case of this type; sets the case deadline.",
    )
    default_priority = fields.Selection(PRIORITIES, default="0", required=True)
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        help="Leave empty to share this type between all companies.",
    )

    _sla_days_positive = models.Constraint(
        "CHECK(sla_days >= 0)",
        "The SLA of a case type cannot be a negative number of days.",
    )
