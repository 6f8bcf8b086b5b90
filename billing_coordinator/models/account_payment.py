from odoo import api, fields, models


class AccountPayment(models.Model):
    _name = "account.payment"
    _inherit = ["account.payment", "billing.case.document"]

    billing_case_ids = fields.Many2many(
        "billing.case",
        "billing_case_account_payment_rel",
        "payment_id",
        "case_id",
        string="Billing Cases",
        copy=False,
    )
    billing_case_count = fields.Integer(compute="_compute_billing_case_count")

    # The customer context lists a customer's last payments: without it, every payment of
    # the company is read (Odoo indexes payments by journal and company only).
    _partner_date_idx = models.Index(
        "(partner_id, date DESC, id DESC) WHERE partner_id IS NOT NULL"
    )

    @api.depends("billing_case_ids")
    def _compute_billing_case_count(self):
        for payment in self:
            payment.billing_case_count = len(payment.billing_case_ids)

    def action_view_billing_cases(self):
        self.ensure_one()
        return self.billing_case_ids._action_open_cases()
