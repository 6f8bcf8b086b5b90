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

    # Detection thresholds (see billing.case detection rules)
    billing_tolerance_amount = fields.Monetary(
        string="Tolerance Amount",
        currency_field="currency_id",
        default=1.0,
        help="Differences up to this amount (company currency) are not discrepancies.",
    )
    billing_tolerance_percent = fields.Float(
        string="Tolerance (%)",
        default=0.5,
        help="Differences up to this share of the document amount are not discrepancies.",
    )
    billing_short_payment_share = fields.Float(
        string="Short Payment Share (%)",
        default=10.0,
        help="A partial payment whose open remainder is below this share of the invoice "
        "total is a probable deduction (short payment).",
    )
    billing_duplicate_payment_days = fields.Integer(
        string="Duplicate Payment Window (days)",
        default=7,
        help="Two payments of the same amount within this many days are probable duplicates.",
    )
    billing_unapplied_payment_days = fields.Integer(
        string="Unapplied Payment After (days)",
        default=5,
        help="A received payment still unmatched after this many days becomes a case.",
    )
    billing_overdue_days = fields.Integer(
        string="Overdue After (days)",
        default=15,
        help="An invoice past its due date by more than this many days becomes a case.",
    )
    billing_price_deviation_percent = fields.Float(
        string="Price Deviation (%)",
        default=5.0,
        help="An invoiced unit price deviating more than this from the reference price is "
        "an over- or undercharge.",
    )
    billing_price_check_days = fields.Integer(
        string="Price Check Window (days)",
        default=90,
        help="Only invoices of the last this many days are compared with the reference "
        "price, so that a later price change does not flag old invoices.",
    )
    billing_require_payment_terms = fields.Boolean(
        string="Require Payment Terms",
        help="Report customers without payment terms as wrong customer data.",
    )
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
