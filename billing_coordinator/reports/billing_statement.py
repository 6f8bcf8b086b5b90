from odoo import api, models


class ReportCustomerStatement(models.AbstractModel):
    """Customer statement: one per customer, in the customer's language, figures from
    ``res.partner._get_billing_statement_data()`` (the aging engine)."""

    _name = "report.billing_coordinator.report_customer_statement"
    _description = "Customer Statement"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        partners = self.env["res.partner"].browse(
            docids or data.get("partner_ids") or []
        )
        # Each statement in its customer's language: the labels computed in Python
        # (kinds of documents, aging buckets) as well as the template's (t-lang).
        statements = {}
        by_lang = partners.commercial_partner_id.grouped(
            lambda p: p.lang or self.env.lang
        )
        for lang, group in by_lang.items():
            group = group.with_context(lang=lang)
            lang_statements = group._get_billing_statement_data(data)
            company = (
                next(iter(lang_statements.values()))["company"]
                if lang_statements
                else None
            )
            buckets = group.env["billing.receivable.line"]._get_aging_buckets(company)
            for statement in lang_statements.values():
                statement["buckets"] = buckets
            statements.update(lang_statements)
        return {
            "doc_ids": list(statements),
            "doc_model": "res.partner",
            "docs": partners.commercial_partner_id,
            "statements": statements,
            "buckets": next(iter(statements.values()))["buckets"] if statements else [],
        }
