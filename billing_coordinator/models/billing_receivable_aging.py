"""The aging engine: open receivable items as of any date, in one set-based query.

Every receivables figure of the module (analysis view, dashboard KPIs, statements and
aging reports, month-end snapshots) comes from here, so that they agree to the cent.

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

import re
from collections import defaultdict
from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, float_round

from .billing_case import OPEN_STATES

# what res.partner._compute_display_name removes from a name
_DISPLAY_NAME_BLANK_LINES = re.compile(r"\s+\n")
# the keys of an item of _get_aging(with_items=True), besides its two amounts
_ITEM_KEYS = (
    "id",
    "move_id",
    "move_name",
    "move_type",
    "ref",
    "company_id",
    "invoice_date",
    "date",
    "date_maturity",
    "days_overdue",
    "aging_bucket",
    "has_open_case",
)


class BillingReceivableLine(models.Model):
    _inherit = "billing.receivable.line"

    # ------------------------------------------------------------------ buckets

    @api.model
    def _get_aging_buckets(self, companies=None):
        """The aging bucket definitions of ``companies`` (default: the selected
        companies), in order: a list of ``{"key", "label", "days_from", "days_to"}``.

        ``not_due`` comes first; then one bucket per range of days overdue, the last one
        open-ended (``days_to`` None). Companies with different limits give the union of
        their buckets, ordered by their first day. Use it to print column headers: the
        keys are those of the dicts ``_get_aging()`` returns.
        """
        companies = companies if companies is not None else self.env.companies
        buckets = {}
        for company in companies.sudo():  # bucket limits are configuration, not data
            for bucket in company._get_billing_aging_buckets():
                buckets.setdefault(bucket["key"], bucket)
        return sorted(
            buckets.values(),
            key=lambda b: (
                b["days_from"] is not None,
                b["days_from"] or 0,
                b["days_to"] is None,
            ),
        )

    @api.model
    def _aging_bucket_sql(self, days, company_id, companies):
        """SQL for the bucket key of an item ``days`` overdue in company ``company_id``,
        each company with its own limits (companies sharing limits share one branch)."""
        by_limits = defaultdict(list)
        for company in companies.sudo():  # configuration, see _get_aging_buckets
            by_limits[tuple(company._parse_billing_aging_limits())].append(company)
        branches = []
        for group in by_limits.values():
            buckets = group[0]._get_billing_aging_buckets()
            whens = SQL(" ").join(
                SQL("WHEN %s <= %s THEN %s", days, bucket["days_to"], bucket["key"])
                for bucket in buckets[:-1]
            )
            case = SQL("CASE %s ELSE %s END", whens, buckets[-1]["key"])
            branches.append(
                SQL(
                    "WHEN %s = ANY(%s) THEN %s", company_id, [c.id for c in group], case
                )
            )
        if not branches:
            return SQL("NULL::varchar")
        return SQL("(CASE %s END)", SQL(" ").join(branches))

    # ------------------------------------------------------------------ the query

    @api.model
    def _aging_companies(self, company_ids=None):
        """The companies to age: ``company_ids`` (ids or records) or the selected ones;
        outside superuser mode, only companies the user may access."""
        if company_ids is None or company_ids is False:
            return self.env.companies
        companies = self._aging_browse("res.company", company_ids)
        if not self.env.su and companies - self.env.user.company_ids:
            raise AccessError(
                self.env._("You cannot see the receivables of these companies.")
            )
        return companies

    @api.model
    def _aging_browse(self, model, ids):
        """Records of ``model`` from records, a list of ids or one id."""
        if isinstance(ids, models.BaseModel):
            return ids
        return self.env[model].browse([ids] if isinstance(ids, int) else ids)

    @api.model
    def _aging_partner_filter_sql(
        self, alias, partner_ids=None, team_id=None, user_id=None
    ):
        """SQL condition on the commercial partner table ``alias``: these customers
        (their commercial partners), the customers of this billing team, of this
        coordinator. The dashboard filters its other figures with it too."""
        conditions = [SQL("TRUE")]
        if partner_ids:
            # sudo: the commercial entity of a contact the user may not read (the query
            # result is the caller's to guard, see _get_aging_items_query)
            partners = self._aging_browse("res.partner", partner_ids)
            conditions.append(
                # sudo: the commercial entity, see above
                SQL(
                    "%s = ANY(%s)",
                    SQL.identifier(alias, "id"),
                    partners.sudo().commercial_partner_id.ids,
                )
            )
        if team_id:
            conditions.append(
                SQL("%s = %s", SQL.identifier(alias, "billing_team_id"), int(team_id))
            )
        if user_id:
            conditions.append(
                SQL(
                    "%s = %s",
                    SQL.identifier(alias, "billing_coordinator_id"),
                    int(user_id),
                )
            )
        return SQL(" AND ").join(conditions)

    @api.model
    def _aging_contact_filter_sql(
        self, alias, partner_ids=None, team_id=None, user_id=None
    ):
        """SQL condition on the journal item table ``alias``: its partner is a contact
        of the customers ``_aging_partner_filter_sql`` selects (TRUE without a filter).
        The customers' contacts are listed first, so the items are read as without a
        filter (the partial index on unreconciled items), not per customer."""
        if not (partner_ids or team_id or user_id):
            return SQL("TRUE")
        return SQL(
            """%s = ANY(ARRAY(
                   SELECT partner.id
                     FROM res_partner partner
                     JOIN res_partner commercial
                       ON commercial.id = partner.commercial_partner_id
                    WHERE %s))""",
            SQL.identifier(alias, "partner_id"),
            self._aging_partner_filter_sql("commercial", partner_ids, team_id, user_id),
        )

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

    # ------------------------------------------------------------------ results

    @api.model
    def _aging_partner_sort_names(self, partner_ids):
        """``{partner id: the name Odoo shows for it}`` to order aging lines by (and to
        print them: the aging workbook checks read access first).

        The display name of a partner is its stored ``complete_name`` (cleaned as
        ``_compute_display_name`` does) unless the context asks for more (e-mail,
        address, VAT...) or the partner has no name of its own (then its translated
        address type shows): those few are computed by the ORM. One query instead of
        computing ``display_name`` for every customer."""
        Partner = self.env["res.partner"].sudo()  # names only, to order the lines
        # the context keys display_name depends on (lang only matters for the unnamed),
        # and one _get_complete_name reads without declaring it
        context_keys = {
            *self.env.registry.field_depends_context.get(
                Partner._fields["display_name"], ()
            ),
            "partner_display_name_hide_company",
        } - {"lang"}
        if any(self.env.context.get(key) for key in context_keys):
            return {p.id: p.display_name or "" for p in Partner.browse(partner_ids)}
        Partner.flush_model(["name", "complete_name"])
        names, unnamed = {}, []
        for partner_id, name, complete_name in self.env.execute_query(
            SQL(
                "SELECT id, name, complete_name FROM res_partner WHERE id = ANY(%s)",
                list(partner_ids),
            )
        ):
            if name:
                names[partner_id] = _DISPLAY_NAME_BLANK_LINES.sub(
                    "\n", complete_name or ""
                ).strip()
            else:
                unnamed.append(partner_id)
        names.update((p.id, p.display_name or "") for p in Partner.browse(unnamed))
        return names

    @api.model
    def _get_aging(
        self,
        date_at=None,
        company_ids=None,
        partner_ids=None,
        team_id=None,
        user_id=None,
        with_items=False,
    ):
        """The aged receivables as of ``date_at`` (date or ISO string, default today).

        Returns a list with one dict per partner and document currency, ordered by
        partner name::

            {"partner_id": int or False, "currency_id": int,
             "company_currency_id": int,           # currency of the amounts below
             "not_due": float, "<bucket key>": float, ...,   # see _get_aging_buckets()
             "overdue": float,                     # total minus not_due
             "total": float,                       # company currency
             "total_currency": float,              # document currency
             "items": [...]}                       # only with with_items=True

        Amounts are in company currency; when the companies have different currencies
        they are converted to the current company's at ``date_at``. Each item is
        ``{"id" (move line), "move_id", "move_name", "move_type", "ref", "company_id",
        "invoice_date", "date", "date_maturity", "days_overdue", "aging_bucket",
        "amount_residual" (company currency), "amount_residual_currency" (document
        currency), "has_open_case"}``, oldest due date first. Filters as in
        ``_get_aging_items_query()``. For very many items, stream them with
        ``_iter_aging_items()`` instead of ``with_items``.
        """
        companies = self._aging_companies(company_ids)
        as_of = self._aging_dates(date_at)
        filters = dict(
            date_at=as_of,
            company_ids=companies,
            partner_ids=partner_ids,
            team_id=team_id,
            user_id=user_id,
        )
        # the two company fields read here, not every column of res.company (sudo:
        # bucket limits are configuration, see _get_aging_buckets)
        companies.sudo().fetch(["billing_aging_bucket_limits", "currency_id"])
        bucket_keys = [b["key"] for b in self._get_aging_buckets(companies)]
        target = self._aging_target_currency(companies)
        convert = self._aging_converter(target)
        result = {}
        # Amounts on the target's grid (whole cents) are also added up as integers: the
        # integer sum divided back is exactly what float_round() of the float sum gives,
        # without a float_round() per figure. Any amount off the grid: the float sums.
        factor = 10**target.decimal_places
        on_grid = target.rounding == 1 / factor
        units = {}

        def entry(partner_id, currency_id):
            key = (partner_id or False, currency_id)
            values = result.get(key)
            if values is None:
                values = result[key] = {
                    "partner_id": partner_id or False,
                    "currency_id": currency_id,
                    "company_currency_id": target.id,
                    **dict.fromkeys(bucket_keys, 0.0),
                    "overdue": 0.0,
                    "total": 0.0,
                    "total_currency": Decimal(0),
                }
                units[key] = dict.fromkeys((*bucket_keys, "overdue", "total"), 0)
                if with_items:
                    values["items"] = []
            return values, units[key]

        if with_items:
            rows = [
                (
                    row["partner_id"],
                    row["currency_id"],
                    row["company_id"],
                    row["aging_bucket"],
                    row["amount_residual"],
                    row["amount_residual_currency"],
                    row,
                )
                for batch in self._iter_aging_items(**filters)
                for row in batch
            ]
        else:
            self._aging_without_jit()
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT item.partner_id, item.currency_id, item.company_id, item.aging_bucket,
                           SUM(item.amount_residual) AS amount_residual,
                           SUM(item.amount_residual_currency) AS amount_residual_currency,
                           NULL
                      FROM (%s) AS item
                  GROUP BY 1, 2, 3, 4
                    """,
                    self._get_aging_items_query(
                        order=False, columns="summary", **filters
                    ),
                )
            )
        for (
            partner_id,
            currency_id,
            company_id,
            bucket,
            residual,
            residual_currency,
            row,
        ) in rows:
            values, values_units = entry(partner_id, currency_id)
            amount = convert(float(residual), company_id, as_of)
            values[bucket] += amount
            values["total"] += amount
            if bucket != "not_due":
                values["overdue"] += amount
            if on_grid:
                amount_units = round(amount * factor)
                on_grid = amount_units / factor == amount
                values_units[bucket] += amount_units
                values_units["total"] += amount_units
                if bucket != "not_due":
                    values_units["overdue"] += amount_units
            # the exact decimal sum (the cursor gives numerics as floats, their repr is
            # the stored value): a float sum would depend on the row order
            values["total_currency"] += Decimal(repr(residual_currency))
            if with_items:
                values["items"].append(
                    {key: row[key] for key in _ITEM_KEYS}
                    | {
                        "amount_residual": float(residual),
                        "amount_residual_currency": float(residual_currency),
                    }
                )
        rounding = target.rounding
        for key, values in result.items():
            values["total_currency"] = float(values["total_currency"])
            for figure, figure_units in units[key].items():
                if on_grid:
                    values[figure] = figure_units / factor
                elif values[figure]:
                    # target.round(), zero stays zero
                    values[figure] = float_round(
                        values[figure], precision_rounding=rounding
                    )
        names = self._aging_partner_sort_names(
            {pid for pid, _currency in result if pid}
        )
        return sorted(
            result.values(),
            key=lambda v: (
                names.get(v["partner_id"], "").lower(),
                v["partner_id"] or 0,
                v["currency_id"],
            ),
        )

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
