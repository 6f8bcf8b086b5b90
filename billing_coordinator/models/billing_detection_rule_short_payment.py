"""Detection rule "short_payment": an invoice paid in part, a probable deduction."""

from odoo import api, models
from odoo.tools import SQL


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _detect_short_payment(self, company):
        """An invoice paid in part whose open remainder is below the short payment share
        of its total and above the tolerance: a probable deduction. Invoice currency."""
        rule = self._get_detection_rule_config(company, "short_payment")
        invoices = SQL(
            """
            SELECT am.id, am.name, am.commercial_partner_id AS partner_id, am.currency_id,
                   am.amount_total, am.amount_residual
              FROM account_move am
             WHERE am.company_id = %(company)s
               AND am.move_type = 'out_invoice'
               AND am.state = 'posted'
               AND am.payment_state = 'partial'
               AND am.amount_residual > 0
               AND am.amount_residual < am.amount_total * %(share)s / 100
               AND ABS(am.amount_residual_signed) > %(tolerance)s
            """,
            company=company.id,
            share=rule.short_payment_share,
            tolerance=self._detection_tolerance_sql(
                rule, SQL("am.amount_total_signed")
            ),
        )
        return self._new_open_invoice_findings(
            company,
            "short_payment",
            self.env.execute_query_dict(invoices),
            self._describe_short_payment,
        )

    @api.model
    def _describe_short_payment(self, row, currency):
        """The text of a short payment finding (built only for a new or changed case)."""
        total, residual = row["amount_total"], row["amount_residual"]
        return self.env._(
            "Invoice %(invoice)s of %(total)s was paid %(paid)s; %(open)s "
            "(%(share)s%%) is still open: a probable deduction.",
            invoice=row["name"],
            total=self._detection_amount(total, currency),
            paid=self._detection_amount(total - residual, currency),
            open=self._detection_amount(residual, currency),
            share=f"{residual * 100 / total:.1f}",
        )
