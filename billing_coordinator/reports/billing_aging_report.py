from odoo import api, models


class ReportAgingSummary(models.AbstractModel):
    """AR aging summary (PDF): one line per customer and currency with the buckets and
    the total, from ``_get_aging()``; with ``detail``, the open items under each line."""

    _name = "report.billing_coordinator.report_aging_summary"
    _description = "AR Aging Summary"

    @api.model
    def _get_report_values(self, docids, data=None):
        wizard = self.env["billing.aging.report"].browse(docids)
        wizard.ensure_one()
        filters = wizard._get_aging_filters()
        Aging = self.env["billing.receivable.line"]
        lines = Aging._get_aging(with_items=wizard.detail, **filters)
        buckets = Aging._get_aging_buckets(filters["company_ids"])
        target = Aging._aging_target_currency(filters["company_ids"])
        totals = {
            key: target.round(sum(line[key] for line in lines))
            for key in [bucket["key"] for bucket in buckets] + ["total"]
        }
        return {
            "doc_ids": wizard.ids,
            "doc_model": wizard._name,
            "docs": wizard,
            "lines": lines,
            "buckets": buckets,
            "totals": totals,
            "partners": self.env["res.partner"].browse(
                [line["partner_id"] for line in lines if line["partner_id"]]
            ),
            "currencies": self.env["res.currency"].browse(
                {line["currency_id"] for line in lines}
            ),
            "target_currency": target,
            "filter_lines": wizard._get_filter_lines(),
        }
