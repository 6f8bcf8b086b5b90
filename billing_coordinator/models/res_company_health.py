from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    billing_health_credit_days = fields.Integer(
        string="Old Credit After (days)",
        default=60,
        help="The Billing Health page lists the customers whose credit (unapplied "
        "payments, open credit notes) has been open for more than this many days.",
    )

    @api.constrains("billing_health_credit_days")
    def _check_billing_health_credit_days(self):
        for company in self:
            if company.billing_health_credit_days < 1:
                raise ValidationError(
                    self.env._(
                        "The age of an old customer credit must be at least one day."
                    )
                )
