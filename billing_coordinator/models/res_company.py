from odoo import fields, models


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
