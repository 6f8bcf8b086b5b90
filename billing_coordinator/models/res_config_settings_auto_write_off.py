from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    billing_auto_writeoff = fields.Boolean(
        related="company_id.billing_auto_writeoff", readonly=False
    )
    billing_auto_writeoff_amount = fields.Monetary(
        related="company_id.billing_auto_writeoff_amount",
        readonly=False,
        currency_field="currency_id",
    )
    billing_auto_writeoff_percent = fields.Float(
        related="company_id.billing_auto_writeoff_percent", readonly=False
    )
    billing_auto_writeoff_days = fields.Integer(
        related="company_id.billing_auto_writeoff_days", readonly=False
    )
    billing_auto_writeoff_journal_id = fields.Many2one(
        related="company_id.billing_auto_writeoff_journal_id", readonly=False
    )
