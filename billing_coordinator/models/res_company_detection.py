from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    billing_detection_date = fields.Datetime(
        string="Last Discrepancy Detection",
        readonly=True,
        copy=False,
        help="When the billing discrepancy detection last ran on this company; the daily "
        "scheduled action skips companies already done that day.",
    )
    billing_detection_log_days = fields.Integer(
        string="Keep Detection Runs (days)",
        default=30,
        help="Detection runs older than this many days are removed from the run log.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        # Every company gets its detection rules, with the default thresholds.
        # sudo: also when an administrator without billing rights creates the company
        # (the rules' search and return need read access to billing.detection.rule).
        self.env["billing.detection.rule"].sudo()._ensure_rules(companies)
        return companies
