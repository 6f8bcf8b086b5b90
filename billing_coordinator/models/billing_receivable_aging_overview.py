"""The dashboard's aging totals at many dates without replaying every item per date.

``_get_aging_overview()`` needs, per as-of date D, the receivables by company and aging
bucket (and per customer at one date). The engine (``_get_aging_items_query``) builds
one row per item and date: every item matched in the last 13 months times 14 dates.
Here the same figures come from two small sets that are each read once:

- the items open today, with their residual today;
- the partials matched after the earliest date, one row per side, with what they took
  off (debit side) or added to (credit side) the residual of their item.

The residual of an item at D is its residual today plus its partials matched after D
(the engine's definition). Summed per company and bucket, that is: the items open today
dated <= D, plus the partials with ``max_date > D`` of items dated <= D, each in the
bucket of D - the item's due date. An item matched in full today has a residual of zero
(Odoo marks an item ``reconciled`` only when both residuals are zero), so only its
partials after D count, as in the engine. Grouped by (company, date, due date) before
they meet the dates, a few thousand rows stand for all of them; the sums are the
engine's to the cent (numeric sums of the same terms).
"""

from odoo import api, fields, models
from odoo.tools import SQL, float_round


class BillingReceivableLine(models.Model):
    _inherit = "billing.receivable.line"

    @api.model
    def _aging_overview_query(
        self,
        dates,
        partner_date,
        companies,
        partner_ids=None,
        team_id=None,
        user_id=None,
        by_team=False,
    ):
        """SQL of the rows ``(date_at, company_id, aging_bucket, partner_id, team_id,
        coordinator_id, amount_residual)`` summing the residuals as of each of ``dates``
        (sorted dates) per company and bucket; at ``partner_date`` (one of them, or None)
        per customer too (``partner_id`` is the commercial partner, NULL on the other
        dates). ``by_team``: also per billing team and coordinator of the commercial
        partner (what the dashboard filters on; NULL columns otherwise), as the stored
        dashboard aggregates need. Filters as in ``_get_aging_items_query()``; the
        tables are read directly."""
        self.env["account.move.line"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        self.env["res.partner"].flush_model(
            ["commercial_partner_id", "billing_team_id", "billing_coordinator_id"]
        )
        partner_filter = self._aging_contact_filter_sql(
            "aml", partner_ids, team_id, user_id
        )
        accounts = self._aging_receivable_account_ids()
        days = SQL("(contribution.date_at - contribution.date_maturity)")
        if by_team:
            team_join = SQL(
                "LEFT JOIN res_partner commercial"
                " ON commercial.id = partner.commercial_partner_id"
            )
            team_columns = SQL(
                "commercial.billing_team_id AS team_id,"
                " commercial.billing_coordinator_id AS coordinator_id"
            )
        else:
            team_join = SQL()
            team_columns = SQL(
                "NULL::integer AS team_id, NULL::integer AS coordinator_id"
            )
        return SQL(
            """
            WITH as_of AS (
                SELECT d::date AS date_at FROM unnest(%(dates)s::date[]) AS d
            ),
            open_item AS MATERIALIZED (
                -- the receivable items open today (partial index on unreconciled items)
                SELECT aml.company_id, aml.date,
                       COALESCE(aml.date_maturity, aml.date) AS date_maturity,
                       partner.commercial_partner_id AS partner_id, %(team_columns)s,
                       aml.amount_residual AS amount
                  FROM account_move_line aml
             LEFT JOIN res_partner partner ON partner.id = aml.partner_id
                       %(team_join)s
                 WHERE %(open_item)s
                   AND %(filters)s
            ),
            later_item AS MATERIALIZED (
                -- the partials matched after the earliest date on receivable items, once
                -- per side (one scan): what they took off the residual (debit) or added
                -- (credit); a side dated on the match date (the later one, mostly the
                -- payment) is open at no date before it and counts nowhere
                SELECT aml.company_id, aml.date,
                       COALESCE(aml.date_maturity, aml.date) AS date_maturity,
                       partner.commercial_partner_id AS partner_id, %(team_columns)s,
                       p.max_date, side.amount
                  FROM account_partial_reconcile p
            CROSS JOIN LATERAL (
                    VALUES (p.debit_move_id, p.amount), (p.credit_move_id, -p.amount)
                  ) AS side (line_id, amount)
                  JOIN account_move_line aml ON aml.id = side.line_id
             LEFT JOIN res_partner partner ON partner.id = aml.partner_id
                       %(team_join)s
                 WHERE p.max_date > %(min_date)s
                   AND p.company_id = ANY(%(company_ids)s)
                   AND aml.account_id = ANY(%(accounts)s)
                   AND aml.date <= %(max_date)s
                   AND aml.date < p.max_date
                   AND aml.parent_state = 'posted'
                   AND %(filters)s
            ),
            contribution AS (
                -- totals: grouped by (company, date, due date) before meeting the dates
                SELECT as_of.date_at, o.company_id, o.date_maturity,
                       NULL::integer AS partner_id, o.team_id, o.coordinator_id, o.amount
                  FROM (
                    SELECT company_id, date, date_maturity, team_id, coordinator_id,
                           SUM(amount) AS amount
                      FROM open_item GROUP BY 1, 2, 3, 4, 5
                  ) AS o
                  JOIN as_of ON o.date <= as_of.date_at
                 WHERE as_of.date_at IS DISTINCT FROM %(partner_date)s
                UNION ALL
                SELECT as_of.date_at, l.company_id, l.date_maturity, NULL,
                       l.team_id, l.coordinator_id, l.amount
                  FROM (
                    SELECT company_id, date, date_maturity, max_date, team_id,
                           coordinator_id, SUM(amount) AS amount
                      FROM later_item GROUP BY 1, 2, 3, 4, 5, 6
                  ) AS l
                  JOIN as_of ON l.date <= as_of.date_at AND l.max_date > as_of.date_at
                 WHERE as_of.date_at IS DISTINCT FROM %(partner_date)s
                -- per customer at partner_date
                UNION ALL
                SELECT %(partner_date)s, o.company_id, o.date_maturity, o.partner_id,
                       o.team_id, o.coordinator_id, o.amount
                  FROM open_item o
                 WHERE o.date <= %(partner_date)s
                UNION ALL
                SELECT %(partner_date)s, l.company_id, l.date_maturity, l.partner_id,
                       l.team_id, l.coordinator_id, l.amount
                  FROM later_item l
                 WHERE l.date <= %(partner_date)s AND l.max_date > %(partner_date)s
            )
            SELECT contribution.date_at, contribution.company_id,
                   %(bucket)s AS aging_bucket, contribution.partner_id,
                   contribution.team_id, contribution.coordinator_id,
                   SUM(contribution.amount) AS amount_residual
              FROM contribution
          GROUP BY 1, 2, 3, 4, 5, 6
            """,
            dates=[d.isoformat() for d in dates],
            min_date=dates[0],
            max_date=dates[-1],
            partner_date=SQL("%s::date", partner_date),
            company_ids=companies.ids,
            accounts=accounts,
            open_item=self._aging_open_item_sql(accounts, companies, dates[-1]),
            filters=partner_filter,
            team_join=team_join,
            team_columns=team_columns,
            bucket=self._aging_bucket_sql(
                days, SQL("contribution.company_id"), companies
            ),
        )

    @api.model
    def _aging_overview_rows(
        self,
        dates,
        partner_date,
        companies,
        partner_ids=None,
        team_id=None,
        user_id=None,
        stored=False,
    ):
        """The rows of ``_aging_overview_query()`` as dicts, in a fixed order (the
        callers add floats up: the same order gives the same sums). ``stored``: the
        totals of the (date, company) pairs that ``billing.dashboard.fact`` holds valid
        come from there, the rest (always ``partner_date``) from the live query."""
        rows, covered = [], set()
        if stored and not partner_ids:
            rows, covered = self.env["billing.dashboard.fact"]._read_aging_facts(
                [d for d in dates if d != partner_date], companies, team_id, user_id
            )
        live = [
            d
            for d in dates
            if d == partner_date or any((d, c) not in covered for c in companies.ids)
        ]
        if live:
            live_rows = self.env.execute_query_dict(
                self._aging_overview_query(
                    live,
                    partner_date,
                    companies,
                    partner_ids=partner_ids,
                    team_id=team_id,
                    user_id=user_id,
                )
            )
            rows += [
                row
                for row in live_rows
                if (row["date_at"], row["company_id"]) not in covered
            ]
        rows.sort(
            key=lambda row: (
                row["date_at"],
                row["company_id"],
                row["aging_bucket"] or "",
                row["partner_id"] or 0,
            )
        )
        return rows

    @api.model
    def _get_aging_totals(
        self, dates, company_ids=None, partner_ids=None, team_id=None, user_id=None
    ):
        """Receivable totals as of each of ``dates`` in one query: a dict
        ``{date: {"total", "not_due", "overdue", "<bucket key>": ...}}`` in the target
        currency (see ``_get_aging``). The dashboard uses it for the receivables at the
        start and end of the period and for the month-end trend."""
        return self._get_aging_overview(
            dates,
            company_ids=company_ids,
            partner_ids=partner_ids,
            team_id=team_id,
            user_id=user_id,
        )[0]

    @api.model
    def _get_aging_overview(
        self,
        dates,
        partner_date=None,
        company_ids=None,
        partner_ids=None,
        team_id=None,
        user_id=None,
        stored=False,
    ):
        """The totals of ``_get_aging_totals(dates)`` and, as of ``partner_date`` (one of
        ``dates``), the totals per customer, from one query: ``(totals, partners)`` where
        ``partners`` is a list of ``{"partner_id", "not_due", "<bucket key>", ...,
        "overdue", "total"}`` (all currencies together, target currency; empty without
        ``partner_date``). The dashboard takes every receivable figure from this call.
        ``stored``: the past totals the stored dashboard aggregates hold valid are read
        from them (the same figures, see ``_aging_overview_rows``)."""
        companies = self._aging_companies(company_ids)
        dates = sorted({self._aging_dates(d) for d in dates})
        partner_date = self._aging_dates(partner_date) if partner_date else None
        bucket_keys = [b["key"] for b in self._get_aging_buckets(companies)]
        target = self._aging_target_currency(companies)
        self._aging_without_jit()
        # the engine's sums per date, company, bucket (and customer at partner_date)
        # without one row per item and date: see billing_receivable_aging_overview.py
        rows = self._aging_overview_rows(
            dates,
            partner_date if partner_date in dates else None,
            companies,
            partner_ids=partner_ids,
            team_id=team_id,
            user_id=user_id,
            stored=stored,
        )

        def empty():
            return {**dict.fromkeys(bucket_keys, 0.0), "overdue": 0.0, "total": 0.0}

        totals = {d: empty() for d in dates}
        partners = {}
        convert = self._aging_converter(target, companies, dates)
        for row in rows:
            as_of = fields.Date.to_date(row["date_at"])
            amount = convert(float(row["amount_residual"]), row["company_id"], as_of)
            targets = [totals[as_of]]
            if partner_date and as_of == partner_date:
                values = partners.get(row["partner_id"] or False)
                if values is None:
                    values = partners[row["partner_id"] or False] = {
                        "partner_id": row["partner_id"] or False,
                        **empty(),
                    }
                targets.append(values)
            for values in targets:
                values[row["aging_bucket"]] += amount
                values["total"] += amount
                if row["aging_bucket"] != "not_due":
                    values["overdue"] += amount
        # target.round() without a call per figure (thousands of them): every term summed
        # is a numeric of the company currency or already rounded by the converter, so a
        # sum is a multiple of the rounding up to float noise, never halfway between two
        # (round() to the digits then gives what float_round gives)
        rounding = target.rounding
        digits = target.decimal_places
        exact = float_round(10**-digits, precision_digits=digits) == rounding
        for values in [*totals.values(), *partners.values()]:
            for key in values:
                if key != "partner_id" and values[key]:
                    values[key] = (
                        round(values[key], digits) + 0.0
                        if exact
                        else float_round(values[key], precision_rounding=rounding)
                    )
        return totals, list(partners.values())
