from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    billing_auto_writeoff = fields.Boolean(
        string="Automatic Write-off",
        help="Every day, write off the small open remainders of short payment and overdue "
        "cases within the tolerance, against the write-off account.",
    )
    billing_auto_writeoff_amount = fields.Monetary(
        string="Auto Write-off Tolerance",
        currency_field="currency_id",
        default=5.0,
        help="Open remainders up to this amount (company currency) are written off; never "
        "more than the coordinator write-off limit.",
    )
    billing_auto_writeoff_percent = fields.Float(
        string="Auto Write-off Tolerance (%)",
        default=1.0,
        help="Open remainders up to this share of the invoice total are written off; both "
        "tolerances must hold.",
    )
    billing_auto_writeoff_days = fields.Integer(
        string="Auto Write-off After (days)",
        default=30,
        help="Only remainders of invoices due more than this many days ago are written off.",
    )
    billing_auto_writeoff_journal_id = fields.Many2one(
        "account.journal",
        string="Auto Write-off Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="Miscellaneous journal of the automatic write-offs; empty: the first one.",
    )
