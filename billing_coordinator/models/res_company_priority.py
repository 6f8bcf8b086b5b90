from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .billing_case_priority import LATE_BAND


class ResCompany(models.Model):
    _inherit = "res.company"

    # Weights of the queue score (see billing_case_priority.py): the points a case gets
    # at most from each part.
    billing_score_weight_deadline = fields.Float(
        string="Deadline Weight",
        default=40.0,
        help="Points for a case due today (none when due in 10 days or more); late cases "
        "earn them again by days late, above every case on time.",
    )
    billing_score_weight_priority = fields.Float(
        string="Priority Weight",
        default=20.0,
        help="Points for an Urgent case (3 stars); a third of them per star.",
    )
    billing_score_weight_amount = fields.Float(
        string="Amount Weight",
        default=20.0,
        help="Points for a difference of at least the amount for full points.",
    )
    billing_score_weight_age = fields.Float(
        string="Age Weight",
        default=10.0,
        help="Points for a case open 30 days or more, in proportion below.",
    )
    billing_score_weight_customer = fields.Float(
        string="Customer Tier Weight",
        default=10.0,
        help="Points for a key account customer; half of them for an important one.",
    )
    billing_score_amount_full = fields.Monetary(
        string="Amount for Full Points",
        currency_field="currency_id",
        default=10000.0,
        help="A difference of this amount or more (company currency) earns all the "
        "points of the amount weight; smaller ones in proportion.",
    )

    @api.model
    def _get_billing_score_weight_fields(self):
        """{score part key: weight field}: a module adding a score part adds its field."""
        return {
            "deadline": "billing_score_weight_deadline",
            "priority": "billing_score_weight_priority",
            "amount": "billing_score_weight_amount",
            "age": "billing_score_weight_age",
            "customer": "billing_score_weight_customer",
        }

    @api.model
    def _get_billing_score_fields(self):
        """Fields whose change ranks the company's open cases again."""
        return [
            *self._get_billing_score_weight_fields().values(),
            "billing_score_amount_full",
        ]

    def _get_billing_score_weights(self):
        self.ensure_one()
        return {
            key: self[name]
            for key, name in self._get_billing_score_weight_fields().items()
        }

    @api.constrains(lambda self: self._get_billing_score_fields())
    def _check_billing_score_weights(self):
        for company in self:
            weights = company._get_billing_score_weights()
            if any(weight < 0 for weight in weights.values()):
                raise ValidationError(
                    self.env._("The weights of the queue score cannot be negative.")
                )
            if sum(weights.values()) > LATE_BAND:
                raise ValidationError(
                    self.env._(
                        "The weights of the queue score add up to %(total)s; keep them at "
                        "%(max)s or less, so that a late case always ranks above a case on time.",
                        total=f"{sum(weights.values()):g}",
                        max=f"{LATE_BAND:g}",
                    )
                )
            if company.billing_score_amount_full <= 0:
                raise ValidationError(
                    self.env._(
                        "The amount for full points of the queue score must be positive."
                    )
                )

    def write(self, vals):
        names = [name for name in self._get_billing_score_fields() if name in vals]
        if not names:
            return super().write(vals)
        before = {company.id: [company[name] for name in names] for company in self}
        result = super().write(vals)
        changed = self.filtered(lambda c: [c[name] for name in names] != before[c.id])
        if changed:
            self.env["billing.case"]._refresh_company_priority_scores(changed)
        return result
