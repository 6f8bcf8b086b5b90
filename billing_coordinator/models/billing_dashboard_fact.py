"""Stored dashboard aggregates: the past days' figures, kept exactly right.

Live, the dashboard's past figures (the aging at the period start and 11 month ends,
the credit sales over 24 months, the invoices paid in the period) need every partial
matched in the last 13 months. Past days change only when something dated on or before
them changes, so they are computed once (by the same queries as the live figures,
grouped by the commercial partner's billing team and coordinator, the dashboard's
filters) and stored here per company and day:

- ``day``: one row per company and day computed (the days covered);
- ``aging``: the residual per aging bucket (key) as of the day, company currency;
- ``sales``: the credit sales with that invoice date;
- ``paid``: per customer, the invoices last matched that day (amount, amount x days to
  pay, count).

Every change that can alter a past day inserts a row into ``billing.dashboard.change``
(the company and the earliest day it alters; see ``billing_dashboard_change.py``). The
facts of company C for day D are valid when no change of C (or of every company) is
dated on or before D; the dashboard reads the valid days here and everything else (today,
the customers at the end date, stale days) live. ``_refresh_dashboard_facts()`` (a
nightly cron) recomputes the stale and missing days up to yesterday.
"""

from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

# the window the dashboard reads by default: 24 months of sales for the countback DSO
# before the 12 month trend's first month end, rounded to whole months
FACT_MONTHS = 25


class BillingDashboardFact(models.Model):
    _name = "billing.dashboard.fact"
    _description = "Billing Dashboard Stored Figure"
    _log_access = False
    _order = "company_id, date, kind"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="cascade"
    )
    kind = fields.Selection(
        [
            ("day", "Day Computed"),
            ("aging", "Receivables"),
            ("sales", "Credit Sales"),
            ("paid", "Paid Invoices"),
        ],
        required=True,
        readonly=True,
    )
    date = fields.Date(required=True, readonly=True)
    team_id = fields.Many2one("billing.team", readonly=True, ondelete="cascade")
    coordinator_id = fields.Many2one("res.users", readonly=True, ondelete="cascade")
    aging_bucket = fields.Char(readonly=True)
    partner_id = fields.Many2one("res.partner", readonly=True, ondelete="cascade")
    # numeric without a fixed precision: sums of stored rows equal the live sums
    amount = fields.Float(digits=False, readonly=True)
    weighted_days = fields.Float(digits=False, readonly=True)
    invoice_count = fields.Integer(readonly=True)

    _company_kind_date_idx = models.Index("(company_id, kind, date)")
    # two refreshes at once: the second fails on the first's days instead of storing
    # every figure twice (the figures of a day are stored with its "day" row)
    _day_unique = models.UniqueIndex(
        "(company_id, date) WHERE kind = 'day'",
        "A day of the stored dashboard figures is computed once.",
    )

    # ------------------------------------------------------------------ validity

    @api.model
    def _get_valid_ranges(self, companies):
        """``{company id: (first day, last day)}``: the days whose stored figures are
        valid, per company (past days only; companies without any are left out)."""
        self.env["billing.dashboard.change"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT company.id, covered.first_day, covered.last_day,
                       changed.first_change, changed.everything
                  FROM unnest(%s::integer[]) AS company (id)
            CROSS JOIN LATERAL (
                    SELECT MIN(fact.date) AS first_day, MAX(fact.date) AS last_day
                      FROM billing_dashboard_fact fact
                     WHERE fact.company_id = company.id AND fact.kind = 'day'
                  ) AS covered
            CROSS JOIN LATERAL (
                    -- two index lookups each (company, date), however long the log
                    SELECT LEAST(
                               (SELECT MIN(change.date)
                                  FROM billing_dashboard_change change
                                 WHERE change.company_id = company.id),
                               (SELECT MIN(change.date)
                                  FROM billing_dashboard_change change
                                 WHERE change.company_id IS NULL)
                           ) AS first_change,
                           EXISTS (
                               SELECT 1 FROM billing_dashboard_change change
                                WHERE change.date IS NULL
                                  AND (change.company_id = company.id
                                       OR change.company_id IS NULL)
                           ) AS everything
                  ) AS changed
                """,
                companies.ids,
            )
        )
        yesterday = fields.Date.context_today(self) - timedelta(days=1)
        ranges = {}
        for company_id, first_day, last_day, first_change, everything in rows:
            if not first_day or everything:
                continue
            last_day = min(last_day, yesterday)
            if first_change:
                last_day = min(last_day, first_change - timedelta(days=1))
            if first_day <= last_day:
                ranges[company_id] = (first_day, last_day)
        return ranges

    @api.model
    def _split_days(self, companies, first, last):
        """The days ``first``..``last`` of ``companies`` as two lists of spans
        ``(company id, first day, last day)``: those the facts hold valid, the rest."""
        ranges = self._get_valid_ranges(companies)
        stored, live = [], []
        for company_id in companies.ids:
            valid = ranges.get(company_id)
            if not valid or valid[1] < first or valid[0] > last:
                live.append((company_id, first, last))
                continue
            low, high = max(first, valid[0]), min(last, valid[1])
            stored.append((company_id, low, high))
            if first < low:
                live.append((company_id, first, low - timedelta(days=1)))
            if high < last:
                live.append((company_id, high + timedelta(days=1), last))
        return stored, live

    # ------------------------------------------------------------------ reading

    @api.model
    def _fact_filter_sql(self, team_id, user_id):
        """The dashboard's team and coordinator filters on the facts ``fact``."""
        conditions = [SQL("TRUE")]
        if team_id:
            conditions.append(SQL("fact.team_id = %s", int(team_id)))
        if user_id:
            conditions.append(SQL("fact.coordinator_id = %s", int(user_id)))
        return SQL(" AND ").join(conditions)

    @api.model
    def _read_aging_facts(self, dates, companies, team_id=None, user_id=None):
        """``(rows, covered)``: the rows of ``_aging_overview_query()`` (totals, no
        customer) of the (date, company) pairs of ``dates`` x ``companies`` the facts
        hold valid, and the set of those pairs."""
        ranges = self._get_valid_ranges(companies)
        covered = {
            (day, company_id)
            for company_id, (first, last) in ranges.items()
            for day in dates
            if first <= day <= last
        }
        if not covered:
            return [], covered
        pairs = sorted(covered)
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT fact.date AS date_at, fact.company_id, fact.aging_bucket,
                       NULL::integer AS partner_id, SUM(fact.amount) AS amount_residual
                  FROM billing_dashboard_fact fact
                  JOIN unnest(%s::date[], %s::integer[]) AS wanted (date, company_id)
                    ON wanted.company_id = fact.company_id AND wanted.date = fact.date
                 WHERE fact.kind = 'aging' AND %s
              GROUP BY 1, 2, 3
                """,
                [day.isoformat() for day, _company in pairs],
                [company_id for _day, company_id in pairs],
                self._fact_filter_sql(team_id, user_id),
            )
        )
        return rows, covered

    @api.model
    def _facts_sql(self, kind, spans, team_id, user_id, columns):
        return SQL(
            """SELECT %s
                 FROM billing_dashboard_fact fact
                 JOIN %s
                   ON span.company_id = fact.company_id
                  AND fact.date BETWEEN span.first_day AND span.last_day
                WHERE fact.kind = %s AND %s""",
            columns,
            self.env["billing.dashboard"]._dashboard_spans_sql(spans),
            kind,
            self._fact_filter_sql(team_id, user_id),
        )

    @api.model
    def _sales_facts_sql(self, spans, team_id=None, user_id=None):
        """Rows ``(company_id, day, amount)`` of the stored credit sales in ``spans``."""
        return self._facts_sql(
            "sales",
            spans,
            team_id,
            user_id,
            SQL("fact.company_id, fact.date AS day, fact.amount"),
        )

    @api.model
    def _paid_facts_sql(self, spans, team_id=None, user_id=None):
        """Rows ``(partner_id, company_id, amount, weighted_days, count)`` of the stored
        paid invoices in ``spans``."""
        return self._facts_sql(
            "paid",
            spans,
            team_id,
            user_id,
            SQL(
                "fact.partner_id, fact.company_id, fact.amount, fact.weighted_days,"
                " fact.invoice_count AS count"
            ),
        )

    # ------------------------------------------------------------------ refresh

    @api.model
    def _cron_refresh_dashboard_facts(self):
        self._refresh_dashboard_facts()

    @api.model
    def _refresh_dashboard_facts(self, companies=None):
        """Recompute the stored figures of ``companies`` (default: all) that are stale
        or missing, up to yesterday, over the last ``FACT_MONTHS`` months, and delete
        the change rows this run saw (by id: a concurrent transaction may commit a row
        with a lower id later, and it must stay)."""
        # sudo: the stored figures serve every user's dashboard; only this method
        # writes them, and only through SQL from the live queries
        self = self.sudo()
        Change = self.env["billing.dashboard.change"]
        # every company, archived ones too (their dashboards may still be opened)
        all_companies = self.env["res.company"].browse(
            company_id
            for (company_id,) in self.env.execute_query(
                SQL("SELECT id FROM res_company ORDER BY id")
            )
        )
        companies = (companies or all_companies).with_env(self.env)
        today = fields.Date.context_today(self)
        yesterday = today - timedelta(days=1)
        window = today + relativedelta(months=-FACT_MONTHS, day=1)
        self.env.flush_all()
        changes = self.env.execute_query(
            SQL(
                """SELECT id, company_id, date FROM billing_dashboard_change
                    WHERE company_id = ANY(%s) OR company_id IS NULL""",
                companies.ids,
            )
        )
        covered = dict(
            (company_id, (first_day, last_day))
            for company_id, first_day, last_day in self.env.execute_query(
                SQL(
                    """SELECT company_id, MIN(date), MAX(date)
                         FROM billing_dashboard_fact
                        WHERE kind = 'day' AND company_id = ANY(%s)
                     GROUP BY company_id""",
                    companies.ids,
                )
            )
        )
        for company in companies:
            first_day, last_day = covered.get(company.id, (None, None))
            dates = [day for _id, cid, day in changes if cid in (company.id, None)]
            if not first_day or first_day > window or None in dates:
                start = window
            else:
                start = max(window, min([last_day + timedelta(days=1), *dates]))
            self.env.execute_query(
                SQL(
                    """DELETE FROM billing_dashboard_fact
                        WHERE company_id = %s AND (date >= %s OR date < %s)""",
                    company.id,
                    start,
                    window,
                )
            )
            if start <= yesterday:
                self._compute_facts(company, start, yesterday)
        # a change of every company seen here still holds for the companies not
        # refreshed: it stays, as one row per such company
        others = all_companies - companies
        seen_global = [day for _id, cid, day in changes if cid is None]
        if others and seen_global:
            self.env.execute_query(
                SQL(
                    """INSERT INTO billing_dashboard_change (company_id, date)
                       SELECT company.id, change.date
                         FROM unnest(%s::integer[]) AS company (id)
                   CROSS JOIN unnest(%s::date[]) AS change (date)""",
                    others.ids,
                    [day and day.isoformat() for day in set(seen_global)],
                )
            )
        if changes:
            self.env.execute_query(
                SQL(
                    "DELETE FROM billing_dashboard_change WHERE id = ANY(%s)",
                    [row[0] for row in changes],
                )
            )
        Change.invalidate_model()
        self.invalidate_model()

    @api.model
    def _compute_facts(self, company, first, last):
        """Store the figures of ``company`` for the days ``first``..``last``, from the
        live queries (one computation per kind)."""
        Receivable = self.env["billing.receivable.line"]
        Dashboard = self.env["billing.dashboard"]
        spans = [(company.id, first, last)]
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        Receivable._aging_without_jit()
        self.env.execute_query(
            SQL(
                """INSERT INTO billing_dashboard_fact (company_id, kind, date)
                   SELECT %s, 'day', day FROM unnest(%s::date[]) AS day""",
                company.id,
                [day.isoformat() for day in days],
            )
        )
        self.env.execute_query(
            SQL(
                """INSERT INTO billing_dashboard_fact
                          (company_id, kind, date, aging_bucket, team_id, coordinator_id,
                           amount)
                   SELECT aging.company_id, 'aging', aging.date_at, aging.aging_bucket,
                          aging.team_id, aging.coordinator_id, aging.amount_residual
                     FROM (%s) AS aging""",
                Receivable._aging_overview_query(days, None, company, by_team=True),
            )
        )
        self.env.execute_query(
            SQL(
                """INSERT INTO billing_dashboard_fact
                          (company_id, kind, date, team_id, coordinator_id, amount)
                   SELECT sales.company_id, 'sales', sales.day, sales.billing_team_id,
                          sales.billing_coordinator_id, sales.amount
                     FROM (%s) AS sales""",
                Dashboard._dashboard_sales_sql(spans, SQL("TRUE"), by_team=True),
            )
        )
        self.env.execute_query(
            SQL(
                """INSERT INTO billing_dashboard_fact
                          (company_id, kind, date, partner_id, team_id, coordinator_id,
                           amount, weighted_days, invoice_count)
                   SELECT paid.company_id, 'paid', paid.paid_date, paid.partner_id,
                          paid.team_id, paid.coordinator_id, SUM(paid.amount),
                          SUM(paid.weighted_days), COUNT(*)
                     FROM (%s) AS paid
                 GROUP BY paid.company_id, paid.paid_date, paid.partner_id,
                          paid.team_id, paid.coordinator_id""",
                Dashboard._dashboard_paid_invoice_sql(spans, SQL("TRUE")),
            )
        )
