from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Settings that are amounts or day counts (>= 0) and shares of a document (0 to 100 %).
BILLING_NON_NEGATIVE_FIELDS = (
    "billing_tolerance_amount",
    "billing_duplicate_payment_days",
    "billing_unapplied_payment_days",
    "billing_overdue_days",
    "billing_price_check_days",
    "billing_writeoff_limit",
)
BILLING_PERCENT_FIELDS = (
    "billing_tolerance_percent",
    "billing_short_payment_share",
    "billing_price_deviation_percent",
)


class ResCompany(models.Model):
    _inherit = "res.company"

    # Detection thresholds are on billing.detection.rule records (one per rule).
    # Resolution settings
    billing_writeoff_account_id = fields.Many2one(
        "account.account",
        string="Write-off Account",
        check_company=True,
        help="Account that absorbs small differences written off from billing cases.",
    )
    billing_writeoff_limit = fields.Monetary(
        string="Write-off Limit",
        currency_field="currency_id",
        default=50.0,
        help="Coordinators may write off up to this amount (company currency); above it "
        "only billing managers may.",
    )

    @api.constrains(*BILLING_NON_NEGATIVE_FIELDS, *BILLING_PERCENT_FIELDS)
    def _check_billing_thresholds(self):
        # A negative tolerance or window would flag every document, or none, without a word.
        for company in self:
            for name in BILLING_NON_NEGATIVE_FIELDS:
                if company[name] < 0:
                    raise ValidationError(
                        self.env._(
                            "%(setting)s cannot be negative.",
                            setting=self._fields[name]._description_string(self.env),
                        )
                    )
            for name in BILLING_PERCENT_FIELDS:
                if not 0 <= company[name] <= 100:
                    raise ValidationError(
                        self.env._(
                            "%(setting)s is a share of the document amount: it must be between "
                            "0 and 100.",
                            setting=self._fields[name]._description_string(self.env),
                        )
                    )
