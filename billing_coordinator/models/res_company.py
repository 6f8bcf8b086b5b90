from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Settings that are amounts (>= 0); the detection thresholds are checked on their rule
# records (billing.detection.rule).
BILLING_NON_NEGATIVE_FIELDS = ("billing_writeoff_limit",)


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

    @api.constrains(*BILLING_NON_NEGATIVE_FIELDS)
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
