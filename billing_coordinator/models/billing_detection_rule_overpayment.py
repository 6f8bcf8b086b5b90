"""Detection rule "overpayment": a customer's credit balance from unapplied payments."""

from functools import partial

from odoo import api, models
from odoo.tools import SQL


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _detect_overpayment(self, company):
        """A customer whose unapplied payments exceed what it owes (net of its open
        credit notes): a credit balance above the tolerance. Company currency."""
        rule = self._get_detection_rule_config(company, "overpayment")
        currency = company.currency_id
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH open_lines AS (
                    -- The line's payment and statement line are its move's (stored
                    -- related fields): no join with the moves.
                    SELECT partner.commercial_partner_id AS partner_id,
                           aml.amount_residual AS residual,
                           aml.balance,
                           (aml.payment_id IS NOT NULL
                            OR aml.statement_line_id IS NOT NULL) AS from_payment,
                           aml.payment_id
                      FROM account_move_line aml
                      JOIN res_partner partner ON partner.id = aml.partner_id
                     WHERE aml.company_id = %(company)s
                       -- Receivable accounts as an array and "IS NOT TRUE": the open
                       -- lines are read from Odoo's index of unreconciled lines by
                       -- account, not by a scan of every journal item.
                       AND aml.account_id = ANY(ARRAY(
                           SELECT id FROM account_account
                            WHERE account_type = 'asset_receivable'))
                       AND aml.reconciled IS NOT TRUE
                       AND NOT aml.reconciled
                       AND aml.parent_state = 'posted'
                       AND aml.amount_residual != 0
                ), balances AS (
                    SELECT partner_id,
                           COALESCE(SUM(residual) FILTER (WHERE residual > 0), 0) AS owed,
                           COALESCE(-SUM(residual)
                                    FILTER (WHERE residual < 0 AND NOT from_payment), 0)
                               AS other_credit,
                           COALESCE(-SUM(residual) FILTER (WHERE residual < 0 AND from_payment), 0)
                               AS paid_credit,
                           COALESCE(-SUM(balance) FILTER (WHERE residual < 0 AND from_payment), 0)
                               AS paid_total,
                           ARRAY_AGG(DISTINCT payment_id)
                               FILTER (WHERE residual < 0 AND payment_id IS NOT NULL) AS payment_ids
                      FROM open_lines
                     GROUP BY partner_id
                )
                SELECT partner_id, paid_credit, payment_ids,
                       GREATEST(owed - other_credit, 0) AS net_owed
                  FROM balances
                 WHERE paid_credit - GREATEST(owed - other_credit, 0) > %(tolerance)s
                 ORDER BY partner_id
                """,
                company=company.id,
                # The tolerance share applies to the payments that left the credit.
                tolerance=self._detection_tolerance_sql(rule, SQL("paid_total")),
            )
        )

        def describe(row, credit):
            return self._detection_html(
                self.env._(
                    "The customer paid %(paid)s that is not applied to any invoice, while "
                    "it owes %(owed)s: a credit balance of %(credit)s.",
                    paid=self._detection_amount(row["paid_credit"], currency),
                    owed=self._detection_amount(row["net_owed"], currency),
                    credit=self._detection_amount(credit, currency),
                )
            )

        unchanged = self._detection_unchanged_check(company, "overpayment")
        findings = []
        for row in rows:
            key = self._detection_key("res.partner", row["partner_id"])
            if unchanged(key, currency, row["net_owed"], row["paid_credit"]):
                findings.append(
                    self._new_unchanged_detection_finding("overpayment", key)
                )
                continue
            credit = row["paid_credit"] - row["net_owed"]
            findings.append(
                self._new_detection_finding(
                    "overpayment",
                    key,
                    row["partner_id"],
                    currency,
                    expected=row["net_owed"],
                    actual=row["paid_credit"],
                    payments=row["payment_ids"] or (),
                    description=partial(describe, row, credit),
                )
            )
        return findings
