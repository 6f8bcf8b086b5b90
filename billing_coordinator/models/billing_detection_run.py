"""The run log of the discrepancy detection: one record per run and company, one line
per rule with what it found and did, or why it failed."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import format_datetime

COUNTS = ("found", "created", "updated", "cleared", "reopened")


class BillingDetectionRun(models.Model):
    _name = "billing.detection.run"
    _description = "Billing Detection Run"
    _order = "start desc, id desc"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    start = fields.Datetime(required=True, readonly=True, index=True)
    duration = fields.Float(string="Duration (s)", readonly=True, digits=(16, 2))
    user_id = fields.Many2one("res.users", string="Started By", readonly=True)
    line_ids = fields.One2many("billing.detection.run.line", "run_id", readonly=True)
    found = fields.Integer(compute="_compute_totals", store=True)
    created = fields.Integer(compute="_compute_totals", store=True)
    updated = fields.Integer(compute="_compute_totals", store=True)
    cleared = fields.Integer(compute="_compute_totals", store=True)
    reopened = fields.Integer(compute="_compute_totals", store=True)
    failed = fields.Integer(
        string="Failed Rules", compute="_compute_totals", store=True
    )
    skipped = fields.Boolean(
        readonly=True,
        help="Another detection run was working on this company at the same time: this "
        "one left the company to it and did nothing.",
    )

    @api.depends(
        "line_ids.found",
        "line_ids.created",
        "line_ids.updated",
        "line_ids.cleared",
        "line_ids.reopened",
        "line_ids.failed",
    )
    def _compute_totals(self):
        for run in self:
            for name in COUNTS:
                run[name] = sum(run.line_ids.mapped(name))
            run.failed = len(run.line_ids.filtered("failed"))

    @api.depends("company_id", "start")
    def _compute_display_name(self):
        for run in self:
            run.display_name = self.env._(
                "%(company)s, %(start)s",
                company=run.company_id.name,
                start=format_datetime(self.env, run.start) if run.start else "",
            )

    @api.private
    def _get_summary_text(self):
        """One line per company run: the counts and the failed rules."""
        texts = []
        for run in self:
            if run.skipped:
                texts.append(
                    self.env._(
                        "%(company)s: skipped, another detection run is working on it.",
                        company=run.company_id.name,
                    )
                )
                continue
            text = self.env._(
                "%(company)s: %(found)s found, %(created)s new, %(updated)s updated, "
                "%(cleared)s cleared, %(reopened)s reopened (%(duration)s s).",
                company=run.company_id.name,
                found=run.found,
                created=run.created,
                updated=run.updated,
                cleared=run.cleared,
                reopened=run.reopened,
                duration=f"{run.duration:.1f}",
            )
            failed = run.line_ids.filtered("failed")
            if failed:
                text += " " + self.env._(
                    "Failed: %(rules)s.", rules=", ".join(failed.mapped("rule_name"))
                )
            texts.append(text)
        return "\n".join(texts)

    @api.autovacuum
    def _gc_detection_runs(self):
        """Daily (the autovacuum job): drop runs older than each company's log days."""
        for company in self.env["res.company"].search([]):  # pylint: disable=no-search-all
            limit = fields.Datetime.now() - timedelta(
                days=company.billing_detection_log_days
            )
            self.search(
                [("company_id", "=", company.id), ("start", "<", limit)]
            ).unlink()


class BillingDetectionRunLine(models.Model):
    _name = "billing.detection.run.line"
    _description = "Billing Detection Run Rule"
    _order = "run_id, sequence, id"

    run_id = fields.Many2one(
        "billing.detection.run",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    sequence = fields.Integer(readonly=True)
    rule_code = fields.Char(readonly=True, required=True)
    rule_name = fields.Char(readonly=True)
    found = fields.Integer(
        readonly=True, help="Sources the rule found a discrepancy on."
    )
    created = fields.Integer(readonly=True)
    updated = fields.Integer(readonly=True)
    cleared = fields.Integer(readonly=True)
    reopened = fields.Integer(readonly=True)
    duration = fields.Float(string="Duration (s)", readonly=True, digits=(16, 2))
    failed = fields.Boolean(readonly=True)
    error = fields.Text(readonly=True)
