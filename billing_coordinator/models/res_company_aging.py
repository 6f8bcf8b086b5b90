from odoo import api, fields, models
from odoo.exceptions import ValidationError

DEFAULT_AGING_LIMITS = "30,60,90,120"


class ResCompany(models.Model):
    _inherit = "res.company"

    billing_aging_bucket_limits = fields.Char(
        string="Aging Buckets (days)",
        default=DEFAULT_AGING_LIMITS,
        required=True,
        help="Last day overdue of each aging bucket, comma separated and increasing; "
        "items beyond the last limit fall into the open-ended bucket. "
        "30,60,90,120 gives Not Due, 1-30, 31-60, 61-90, 91-120 and Over 120.",
    )

    @api.constrains("billing_aging_bucket_limits")
    def _check_billing_aging_bucket_limits(self):
        for company in self:
            company._parse_billing_aging_limits()

    def _parse_billing_aging_limits(self):
        """The bucket limits as increasing positive integers, or a ValidationError."""
        self.ensure_one()
        text = self.billing_aging_bucket_limits or DEFAULT_AGING_LIMITS
        try:
            limits = [int(part) for part in text.replace(" ", "").split(",") if part]
        except ValueError:
            limits = []
        if (
            not limits
            or limits[0] < 1
            or any(b <= a for a, b in zip(limits, limits[1:], strict=False))
        ):
            raise ValidationError(
                self.env._(
                    "The aging buckets of %(company)s must be increasing whole numbers of "
                    "days, separated by commas (for example 30,60,90,120).",
                    company=self.display_name,
                )
            )
        return limits

    def _get_billing_aging_buckets(self):
        """The aging buckets of this company, in order.

        Each bucket is a dict ``{"key", "label", "days_from", "days_to"}`` over the days
        overdue (as-of date minus due date); ``days_to`` is ``None`` for the open-ended
        last bucket. The first bucket is always ``not_due`` (days overdue <= 0). Keys are
        stable names derived from the limits (``days_1_30``, ``days_over_120``), so two
        companies with the same limits share keys.
        """
        self.ensure_one()
        buckets = [
            {
                "key": "not_due",
                "label": self.env._("Not Due"),
                "days_from": None,
                "days_to": 0,
            }
        ]
        start = 1
        for limit in self._parse_billing_aging_limits():
            buckets.append(
                {
                    "key": f"days_{start}_{limit}",
                    "label": f"{start}-{limit}",
                    "days_from": start,
                    "days_to": limit,
                }
            )
            start = limit + 1
        buckets.append(
            {
                "key": f"days_over_{start - 1}",
                "label": self.env._("Over %(days)s", days=start - 1),
                "days_from": start,
                "days_to": None,
            }
        )
        return buckets
