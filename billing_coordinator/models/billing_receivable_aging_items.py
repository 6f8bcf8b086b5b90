"""The aging engine's query: one row per open receivable item (and as-of date).

A journal item's residual *as of* a date D is its residual today plus the partial
reconciliations matched after D (``max_date > D``) added back: on the debit side the
partial had reduced a positive residual (add its amount), on the credit side it had
raised a negative one (subtract it). Items dated after D do not exist yet at D. This is
what Odoo's aged partner report and OCA's open items replay in Python; here it is one
SQL query, the partials matched after the earliest date read once and summed per item and
date by hash joins, for one or many dates at once.

The candidates are the receivable items open today (partial index on ``reconciled``)
plus, only when partials were matched after the earliest date (index on their
``max_date``), the receivable items up to the last date that such a partial touched
(one scan against a hash of those partials), so that as of today the query reads the
open items only and a date a year back reads the year's reconciliations once.
"""

from odoo import api, fields, models
from odoo.tools import SQL

from .billing_case import OPEN_STATES


class BillingReceivableLine(models.Model):
    _inherit = "billing.receivable.line"

    # ------------------------------------------------------------------ items

    @api.model
    def _aging_open_item_sql(self, accounts, companies, max_date):
        """SQL condition on the journal item ``aml``: a posted item of ``accounts`` (the
        receivable ones) of ``companies``, dated on or before ``max_date``, open today.
        The partial index on unreconciled items by account applies. The aging engine and
        the overview read "the items open today" through this one definition."""
        return SQL(
            """aml.account_id = ANY(%s)
                   AND aml.reconciled IS NOT TRUE
                   AND aml.company_id = ANY(%s)
                   AND aml.date <= %s
                   AND aml.parent_state = 'posted'""",
            accounts,
            companies.ids,
            max_date,
        )

    @api.model
    def _aging_dates(self, date_at):
        if not date_at:
            return fields.Date.context_today(self)
        return fields.Date.to_date(date_at)

    @api.model
    def _get_aging_items_query(
        self,
        date_at=None,
        company_ids=None,
        partner_ids=None,
        team_id=None,
        user_id=None,
        dates=None,
        order=True,
        columns="all",
    ):
        """The SQL of the open receivable items as of ``date_at``: one row per journal
        item (and per date when ``dates``, a list of dates, is given instead).

        Columns: ``date_at``, ``id`` (the journal item), ``move_id``, ``move_name``,
        ``move_type``, ``ref``, ``partner_id`` (commercial partner), ``company_id``,
        ``company_currency_id``, ``currency_id`` (document currency), ``account_id``,
        ``date`` (accounting date), ``invoice_date``, ``date_maturity`` (due date, the
        accounting date when the item has none), ``days_overdue``, ``aging_bucket``
        (a key of ``_get_aging_buckets()``), ``amount_residual`` (company currency),
        ``amount_residual_currency`` (document currency), ``user_id`` (the customer's
        coordinator), ``team_id`` (the customer's billing team), ``has_open_case``.
        Ordered by partner, due date and item unless ``order`` is False.

        ``columns="summary"`` leaves out ``move_type``, ``ref``, ``invoice_date`` and
        ``has_open_case`` (the move type and case lookups): the same rows and amounts,
        for callers that only add up amounts by partner and bucket.

        Filters: ``company_ids`` (default the selected companies), ``partner_ids``
        (their commercial partners), ``team_id`` and ``user_id`` (the customer's team and
        coordinator). The query reads the tables directly: the caller decides who may see
        its result. Use it as a subquery (``SELECT ... FROM (%s) AS item``) or stream it
        with ``_iter_aging_items()``.
        """
        companies = self._aging_companies(company_ids)
        dates = (
            sorted({self._aging_dates(d) for d in dates})
            if dates
            else [self._aging_dates(date_at)]
        )
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        self.env["res.partner"].flush_model(
            ["commercial_partner_id", "billing_team_id", "billing_coordinator_id"]
        )
        if columns != "summary":
            self.env["billing.case"].flush_model(["state", "active", "move_ids"])

        partner_filter = self._aging_partner_filter_sql(
            "commercial", partner_ids, team_id, user_id
        )

        if columns not in ("all", "summary"):
            raise ValueError(f"columns must be 'all' or 'summary', not {columns!r}")
        summary = columns == "summary"
        accounts = self._aging_receivable_account_ids()
        days = SQL("(item.date_at - item.date_maturity)")
        return SQL(
            """
            WITH as_of AS (
                SELECT d::date AS date_at FROM unnest(%(dates)s::date[]) AS d
            ),
            later_partial AS MATERIALIZED (
                -- the partials matched after the earliest date, once per side: what
                -- they took off the item's residual (debit side) or added (credit
                -- side); one scan of the partials gives both sides
                SELECT side.line_id, p.max_date, side.amount, side.amount_currency
                  FROM account_partial_reconcile p
                 CROSS JOIN LATERAL (
                       VALUES (p.debit_move_id, p.amount, p.debit_amount_currency),
                              (p.credit_move_id, -p.amount, -p.credit_amount_currency)
                       ) AS side (line_id, amount, amount_currency)
                 WHERE p.max_date > %(min_date)s AND p.company_id = ANY(%(company_ids)s)
            ),
            candidate AS MATERIALIZED (
                -- the receivable items open today (the partial index on unreconciled
                -- items by account applies) and those matched after the earliest date,
                -- with the columns needed: the ledger is read once. The second branch
                -- leaves out what the first one has (UNION ALL, no dedupe); it scans
                -- the receivable items up to the last date against a hash of the later
                -- partials (IS TRUE keeps it a hashed filter: as a join it probed the
                -- ledger once per partial), and only when there are later partials
                -- (one-time filter: as of today, usually none, nothing is scanned)
                SELECT %(columns)s
                  FROM account_move_line aml
                 WHERE %(open_item)s
                   AND %(contacts)s
                UNION ALL
                SELECT %(columns)s
                  FROM account_move_line aml
                 WHERE (aml.id IN (SELECT line_id FROM later_partial)) IS TRUE
                   AND EXISTS (SELECT FROM later_partial)
                   AND aml.account_id = ANY(%(accounts)s)
                   AND aml.date <= %(max_date)s
                   AND aml.parent_state = 'posted'
                   AND NOT (
                       aml.reconciled IS NOT TRUE
                       AND aml.company_id = ANY(%(company_ids)s)
                   )
                   AND %(contacts)s
            ),
            added AS (
                -- per candidate and date, the partials matched after the date (added
                -- back); only the candidates' partials are summed
                SELECT lp.line_id, as_of.date_at, SUM(lp.amount) AS amount,
                       SUM(lp.amount_currency) AS amount_currency
                  FROM later_partial lp
                  JOIN as_of ON lp.max_date > as_of.date_at
                 WHERE lp.line_id IN (SELECT id FROM candidate)
              GROUP BY 1, 2
            ),
            item AS (
                SELECT as_of.date_at,
                       aml.id,
                       aml.move_id,
                       aml.move_name,
                       %(move_columns)s
                       commercial.id AS partner_id,
                       aml.company_id,
                       aml.company_currency_id,
                       aml.currency_id,
                       aml.account_id,
                       aml.date,
                       COALESCE(aml.date_maturity, aml.date) AS date_maturity,
                       commercial.billing_coordinator_id AS user_id,
                       commercial.billing_team_id AS team_id,
                       aml.amount_residual + COALESCE(added.amount, 0) AS amount_residual,
                       aml.amount_residual_currency + COALESCE(added.amount_currency, 0)
                         AS amount_residual_currency
                  FROM candidate AS aml
                  JOIN as_of ON aml.date <= as_of.date_at
             LEFT JOIN res_partner partner ON partner.id = aml.partner_id
             LEFT JOIN res_partner commercial ON commercial.id = partner.commercial_partner_id
             LEFT JOIN added ON added.line_id = aml.id AND added.date_at = as_of.date_at
                 WHERE %(filters)s
            )
            SELECT item.*,
                   %(days)s AS days_overdue,
                   %(bucket)s AS aging_bucket
                   %(case_column)s
              FROM item
             WHERE item.amount_residual != 0 OR item.amount_residual_currency != 0
            %(order)s
            """,
            dates=[d.isoformat() for d in dates],
            min_date=dates[0],
            max_date=dates[-1],
            company_ids=companies.ids,
            accounts=accounts,
            open_item=self._aging_open_item_sql(accounts, companies, dates[-1]),
            columns=SQL(
                """aml.id, aml.move_id, aml.move_name, aml.partner_id, aml.company_id,
                   aml.company_currency_id, aml.currency_id, aml.account_id, aml.date,
                   aml.date_maturity, aml.amount_residual, aml.amount_residual_currency
                   %s""",
                SQL() if summary else SQL(", aml.ref, aml.invoice_date"),
            ),
            filters=partner_filter,
            contacts=self._aging_contact_filter_sql(
                "aml", partner_ids, team_id, user_id
            ),
            days=days,
            bucket=self._aging_bucket_sql(days, SQL("item.company_id"), companies),
            # the reference and invoice date are the item's (stored related fields of
            # its move); the type, not stored on items, is looked up by the moves'
            # primary key: a join hashed every move of the database for the open items
            move_columns=SQL()
            if summary
            else SQL(
                """(SELECT move.move_type FROM account_move move
                     WHERE move.id = aml.move_id) AS move_type,
                   aml.ref, aml.invoice_date,"""
            ),
            case_column=SQL()
            if summary
            else SQL(
                """, EXISTS (
                       SELECT 1
                         FROM billing_case_account_move_rel rel
                         JOIN billing_case bc ON bc.id = rel.case_id
                        WHERE rel.move_id = item.move_id
                          AND bc.active AND bc.state IN %s
                   ) AS has_open_case""",
                OPEN_STATES,
            ),
            order=SQL(
                "ORDER BY item.date_at, item.partner_id, item.date_maturity, item.id"
            )
            if order
            else SQL(),
        )

    @api.model
    def _aging_without_jit(self):
        """Switch PostgreSQL's JIT off for the rest of the transaction: the row estimates
        of the as-of query exceed its cost threshold, and compiling took 0.4-0.6 s of a
        1.2 s query on 25,000 invoices (no query of this size gains from it)."""
        self.env.cr.execute(SQL("SET LOCAL jit = off"))

    @api.model
    def _aging_receivable_account_ids(self):
        """The receivable accounts (of every company: the query filters companies)."""
        return [
            account_id
            for (account_id,) in self.env.execute_query(
                SQL(
                    "SELECT id FROM account_account WHERE account_type = 'asset_receivable'"
                )
            )
        ]

    @api.model
    def _iter_aging_items(self, batch_size=2000, **filters):
        """Stream the open items of ``_get_aging_items_query(**filters)`` in batches.

        Yields lists of at most ``batch_size`` row dicts (the query's columns), read
        through a server-side cursor (``DECLARE ... CURSOR``) in the current
        transaction, so memory stays constant however many items are open: an XLSX
        export of every open item writes each batch and drops it.
        """
        query = self._get_aging_items_query(**filters)
        self._aging_without_jit()
        cursor_name = SQL.identifier(f"billing_aging_{id(query)}")
        cr = self.env.cr
        cr.execute(SQL("DECLARE %s NO SCROLL CURSOR FOR %s", cursor_name, query))
        try:
            while True:
                cr.execute(SQL("FETCH FORWARD %s FROM %s", batch_size, cursor_name))
                rows = cr.dictfetchall()
                if not rows:
                    break
                yield rows
        finally:
            cr.execute(SQL("CLOSE %s", cursor_name))
