from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    billing_tolerance_amount = fields.Monetary(
        related="company_id.billing_tolerance_amount", readonly=False,
        currency_field="currency_id",
    )
    billing_tolerance_percent = fields.Float(related="company_id.billing_tolerance_percent", readonly=False)
    billing_short_payment_share = fields.Float(related="company_id.billing_short_payment_share", readonly=False)
    billing_duplicate_payment_days = fields.Integer(
        related="company_id.billing_duplicate_payment_days", readonly=False
    )
    billing_unapplied_payment_days = fields.Integer(
        related="company_id.billing_unapplied_payment_days", readonly=False
    )
    billing_overdue_days = fields.Integer(related="company_id.billing_overdue_days", readonly=False)
    billing_price_deviation_percent = fields.Float(
        related="company_id.billing_price_deviation_percent", readonly=False
    )
    billing_price_check_days = fields.Integer(related="company_id.billing_price_check_days", readonly=False)
    billing_require_payment_terms = fields.Boolean(
        related="company_id.billing_require_payment_terms", readonly=False
    )
    billing_writeoff_account_id = fields.Many2one(
        related="company_id.billing_writeoff_account_id", readonly=False
    )
    billing_writeoff_limit = fields.Monetary(
        related="company_id.billing_writeoff_limit", readonly=False,
        currency_field="currency_id",
    )
