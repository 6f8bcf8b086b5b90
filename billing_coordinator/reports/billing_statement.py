from odoo import api, models


class ReportCustomerStatement(models.AbstractModel):
    """Customer statement: one per customer, in the customer's language, figures from
    ``res.partner._get_billing_statement_data()`` (the aging engine)."""

    _name = "report.billing_coordinator.report_customer_statement"
    _description = "Customer Statement"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        partners = self.env["res.partner"].browse(docids or data.get("partner_ids") or [])
        statements = partners._get_billing_statement_data(data)
        return {
            "doc_ids": list(statements),
            "doc_model": "res.partner",
            "docs": partners.commercial_partner_id,
            "statements": statements,
            "buckets": self.env["billing.receivable.line"]._get_aging_buckets(
                next(iter(statements.values()))["company"] if statements else None
            ),
        }
