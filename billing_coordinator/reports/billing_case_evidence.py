from odoo import api, models


class ReportBillingCase(models.AbstractModel):
    """Case evidence pack: what a coordinator sends a customer or an auditor."""

    _name = "report.billing_coordinator.report_billing_case"
    _description = "Billing Case Evidence Pack"

    @api.model
    def _get_report_values(self, docids, data=None):
        cases = self.env["billing.case"].browse(docids)
        # Record rules first: another team's or company's case is refused, not printed.
        cases.check_access("read")
        return {
            "doc_ids": cases.ids,
            "doc_model": "billing.case",
            "docs": cases,
            "breakdowns": cases._get_amount_breakdown(),
            "logs": cases._get_communication_log(),
        }
