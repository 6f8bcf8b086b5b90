"""The dashboard's live queries of credit sales and paid invoices, over spans of days.

The dashboard reads them for the days the stored aggregates (``billing.dashboard.fact``)
do not hold valid, and the refresh stores their rows grouped by team and coordinator:
one definition for both, so the stored and the live figures are the same sums.
"""

from odoo import api, models
from odoo.tools import SQL


class BillingDashboard(models.AbstractModel):
    _inherit = "billing.dashboard"

    @api.model
    def _dashboard_sales_sql(self, spans, partners, by_team=False):
        """SQL of the rows ``(company_id, day, [team_id, coordinator_id,] amount)``: the
        credit sales per company and invoice date within ``spans`` (a list of
        ``(company id, first day, last day)``) of the customers ``partners`` selects
        (SQL on ``commercial``); ``by_team``: also per team and coordinator of the
        commercial partner (the stored aggregates)."""
        self.env["account.move"].flush_model()
        self.env["res.partner"].flush_model()
        team = SQL(
            "commercial.billing_team_id, commercial.billing_coordinator_id,"
            if by_team
            else ""
        )
        return SQL(
            """
            SELECT move.company_id, move.invoice_date AS day, %(team)s
                   SUM(move.amount_total_signed) AS amount
              FROM account_move move
              JOIN res_partner commercial ON commercial.id = move.commercial_partner_id
              JOIN %(spans)s
                ON span.company_id = move.company_id
               AND move.invoice_date BETWEEN span.first_day AND span.last_day
             WHERE move.move_type IN ('out_invoice', 'out_refund')
               AND move.state = 'posted'
               AND move.company_id = ANY(%(companies)s)
               AND move.invoice_date BETWEEN %(first)s AND %(last)s
               AND %(partners)s
          GROUP BY move.company_id, move.invoice_date %(team_group)s
            """,
            team=team,
            team_group=SQL(
                ", commercial.billing_team_id, commercial.billing_coordinator_id"
                if by_team
                else ""
            ),
            spans=self._dashboard_spans_sql(spans),
            companies=sorted({span[0] for span in spans}),
            first=min(span[1] for span in spans),
            last=max(span[2] for span in spans),
            partners=partners,
        )

    @api.model
    def _dashboard_spans_sql(self, spans):
        """``spans`` (``(company id, first day, last day)``) as a table ``span``."""
        return SQL(
            "unnest(%s::integer[], %s::date[], %s::date[])"
            " AS span (company_id, first_day, last_day)",
            [span[0] for span in spans],
            [span[1].isoformat() for span in spans],
            [span[2].isoformat() for span in spans],
        )

    @api.model
    def _dashboard_paid_invoice_sql(self, spans, partners):
        """SQL of one row per invoice paid within ``spans`` (``(company id, first day,
        last day)``, on its payment date) of the customers ``partners`` selects:
        ``partner_id`` (the commercial partner), ``company_id``, ``paid_date``,
        ``amount``, ``weighted_days`` (amount x days to pay) and the commercial
        partner's ``team_id`` and ``coordinator_id``."""
        self.env["account.move"].flush_model()
        self.env["account.move.line"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        self.env["res.partner"].flush_model()
        return SQL(
            """
            SELECT invoice.*,
                   invoice.amount * (invoice.paid_date - invoice.invoice_date)
                       AS weighted_days
              FROM (
                SELECT move.commercial_partner_id AS partner_id, move.company_id,
                       move.amount_total_signed AS amount, move.invoice_date,
                       commercial.billing_team_id AS team_id,
                       commercial.billing_coordinator_id AS coordinator_id,
                       MAX(partial.max_date) AS paid_date
                  FROM account_move move
                  JOIN res_partner commercial ON commercial.id = move.commercial_partner_id
                  JOIN account_move_line aml ON aml.move_id = move.id
                  JOIN account_account account
                    ON account.id = aml.account_id AND account.account_type = 'asset_receivable'
                  JOIN account_partial_reconcile partial ON partial.debit_move_id = aml.id
                 WHERE move.move_type = 'out_invoice'
                   AND move.state = 'posted'
                   AND move.payment_state IN ('paid', 'in_payment')
                   -- an invoice last matched in the spans has a partial matched in
                   -- them: only those invoices (looked up by id through the arrays),
                   -- not every paid invoice's partials
                   AND move.id = ANY(ARRAY(
                       SELECT line.move_id
                         FROM account_move_line line
                        WHERE line.id = ANY(ARRAY(
                            SELECT period_partial.debit_move_id
                              FROM account_partial_reconcile period_partial
                             WHERE period_partial.max_date BETWEEN %(first)s AND %(last)s
                        ))
                   ))
                   AND move.company_id = ANY(%(companies)s)
                   AND %(partners)s
              GROUP BY move.id, commercial.id
                HAVING MAX(partial.max_date) BETWEEN %(first)s AND %(last)s
              ) AS invoice
              JOIN %(spans)s
                ON span.company_id = invoice.company_id
               AND invoice.paid_date BETWEEN span.first_day AND span.last_day
            """,
            spans=self._dashboard_spans_sql(spans),
            companies=sorted({span[0] for span in spans}),
            first=min(span[1] for span in spans),
            last=max(span[2] for span in spans),
            partners=partners,
        )
