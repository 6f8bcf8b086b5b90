"""The manager dashboard's server side: one call returns every card as plain JSON.

``billing.dashboard.get_dashboard_data(filters)`` parses the filters into a
:class:`DashboardPeriod`, then asks each registered KPI (``_get_dashboard_kpis()``, the
units are in ``billing_dashboard_kpis.py``) for its value. The KPIs share a few
set-based datasets computed once per call and cached on the period: the aging totals at
the period start, end and the 12 month ends with the customers' aging at the end (one
query, ``_get_aging_overview``), the credit sales per day (one query), the open cases and
the period's cases (one query) and the paid invoices (one query). A module adds a KPI by
extending ``_get_dashboard_kpis()`` with one more method; it never copies ours.
The past days' aging totals, credit sales and paid invoices come from the stored
aggregates where they are valid (``billing_dashboard_fact.py``), the rest live.
"""

from bisect import bisect_left, bisect_right
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

DEFAULT_PERIOD_DAYS = 90
TREND_MONTHS = 12
COUNTBACK_MONTHS = 24


class DashboardPeriod:
    """The parsed filters of one dashboard call and the datasets its KPIs share."""

    def __init__(self, dashboard, date_from, date_to, companies, team_id, user_id):
        self.dashboard = dashboard
        self.date_from = date_from
        self.date_to = date_to
        self.companies = companies
        self.team_id = team_id
        self.user_id = user_id
        # Receivables "at start" are those open at the end of the day before date_from.
        self.start = date_from - timedelta(days=1)
        self.end = date_to
        self.days = (date_to - date_from).days + 1
        # The trend: the 11 previous month ends, then the period end.
        self.month_ends = [
            date_to + relativedelta(months=-i, day=31)
            for i in range(TREND_MONTHS - 1, 0, -1)
        ] + [date_to]
        self.currency = dashboard.env["billing.receivable.line"]._aging_target_currency(
            companies
        )
        self._cache = {}

    def get(self, name):
        """The shared dataset ``name``, computed by ``billing.dashboard._dashboard_<name>``
        on first use."""
        if name not in self._cache:
            self._cache[name] = getattr(self.dashboard, f"_dashboard_{name}")(self)
        return self._cache[name]

    def convert(self, amount, company_id, at=None):
        """``amount`` of company ``company_id`` in the dashboard currency."""
        if "_convert" not in self._cache:
            self._cache["_convert"] = self.dashboard.env[
                "billing.receivable.line"
            ]._aging_converter(self.currency)
        return self._cache["_convert"](amount, company_id, at or self.end)

    def sales_between(self, first, last):
        """Credit sales with an invoice date in [first, last]."""
        if "_sales_days" not in self._cache:
            # sorted once: each of the ~70 calls sums a slice instead of every day
            days = sorted(self.get("sales_by_day").items())
            self._cache["_sales_days"] = ([d for d, _a in days], [a for _d, a in days])
        days, amounts = self._cache["_sales_days"]
        return sum(amounts[bisect_left(days, first) : bisect_right(days, last)])


class BillingDashboard(models.AbstractModel):
    _name = "billing.dashboard"
    _description = "Billing Dashboard"

    @api.model
    @api.readonly
    def get_dashboard_data(self, filters=None):
        """Every figure of the dashboard for ``filters`` as plain JSON.

        ``filters``: ``date_from`` and ``date_to`` (ISO strings, default the last 90
        days up to today), ``company_ids`` (default the selected companies), ``team_id``
        and ``user_id``. A coordinator who is not a manager always gets their own
        figures (``user_id`` is forced to them). Each KPI of ``_get_dashboard_kpis()``
        is under its key (a number or null, or a dict with the number under ``value``);
        ``meta`` describes the filters applied, the currency and the buckets.
        """
        period = self._dashboard_period(filters or {})
        data = {key: kpi(period) for key, kpi in self._get_dashboard_kpis().items()}
        data["meta"] = self._dashboard_meta(period)
        return data

    @api.model
    def _get_dashboard_kpis(self):
        """The registered KPIs: ``{key: method(period)}``, in display order. Extend it
        (``res = super()._get_dashboard_kpis(); res["my_kpi"] = self._kpi_my_kpi``) to
        add a figure; use ``period.get(name)`` for the shared datasets."""
        return {
            "total_receivable": self._kpi_total_receivable,
            "overdue_amount": self._kpi_overdue_amount,
            "overdue_share": self._kpi_overdue_share,
            "credit_sales": self._kpi_credit_sales,
            "dso": self._kpi_dso,
            "countback_dso": self._kpi_countback_dso,
            "best_possible_dso": self._kpi_best_possible_dso,
            "add": self._kpi_add,
            "cei": self._kpi_cei,
            "avg_days_to_pay": self._kpi_avg_days_to_pay,
            "open_cases": self._kpi_open_cases,
            "sla_breached": self._kpi_sla_breached,
            "aging": self._kpi_aging,
            "trend": self._kpi_trend,
            "cases_by_type": self._kpi_cases_by_type,
            "cases_by_root_cause": self._kpi_cases_by_root_cause,
            "coordinators": self._kpi_coordinators,
            "top_customers": self._kpi_top_customers,
        }

    # ------------------------------------------------------------------ filters

    @api.model
    def _dashboard_is_manager(self):
        """Managers, and accountants outside the billing groups, see every figure."""
        user = self.env.user
        return user.has_group(
            "billing_coordinator.group_billing_manager"
        ) or not user.has_group("billing_coordinator.group_billing_user")

    @api.model
    def _dashboard_period(self, filters):
        user = self.env.user
        if not (
            user.has_group("billing_coordinator.group_billing_user")
            or user.has_group("account.group_account_readonly")
            or user.has_group("account.group_account_invoice")
        ):
            raise AccessError(
                self.env._(
                    "Only billing and accounting users can open the billing dashboard."
                )
            )
        today = fields.Date.context_today(self)
        try:
            date_to = fields.Date.to_date(filters.get("date_to")) or today
            date_from = fields.Date.to_date(filters.get("date_from")) or (
                date_to - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
            )
        except ValueError as error:
            raise UserError(
                self.env._("The dashboard period has an invalid date.")
            ) from error
        if date_from > date_to:
            raise UserError(self.env._("The dashboard period starts after it ends."))
        company_ids = filters.get("company_ids")
        companies = self.env.companies
        if company_ids:
            companies = (
                self.env["res.company"].browse(company_ids) & self.env.user.company_ids
            )
            if not companies:
                raise AccessError(
                    self.env._("You cannot see the receivables of these companies.")
                )
        user_id = filters.get("user_id") or False
        if not self._dashboard_is_manager():
            user_id = self.env.uid
        return DashboardPeriod(
            self,
            date_from,
            date_to,
            companies,
            filters.get("team_id") or False,
            user_id,
        )

    @api.model
    def _dashboard_meta(self, period):
        currency = period.currency
        Receivable = self.env["billing.receivable.line"]
        return {
            "date_from": fields.Date.to_string(period.date_from),
            "date_to": fields.Date.to_string(period.date_to),
            "days": period.days,
            "company_ids": period.companies.ids,
            "team_id": period.team_id,
            "user_id": period.user_id,
            "is_manager": self._dashboard_is_manager(),
            "currency": {
                "id": currency.id,
                "symbol": currency.symbol,
                "position": currency.position,
                "digits": currency.decimal_places,
            },
            "buckets": [
                {"key": b["key"], "label": b["label"]}
                for b in Receivable._get_aging_buckets(period.companies)
            ],
            "teams": self._dashboard_team_options(period),
            "coordinators": self._dashboard_user_options(period),
            "empty": not (
                period.get("aging_totals")[period.end]["total"]
                or period.get("open_cases")
                or period.get("sales_by_day")
            ),
        }

    @api.model
    def _dashboard_team_options(self, period):
        """The teams a manager can filter on (a coordinator's filters are fixed)."""
        if not self._dashboard_is_manager():
            return []
        teams = self.env["billing.team"].search(
            [("company_id", "in", period.companies.ids)]
        )
        return [{"id": team.id, "name": team.display_name} for team in teams]

    @api.model
    def _dashboard_user_options(self, period):
        if not self._dashboard_is_manager():
            return []
        users = self.env["res.users"].search(
            [
                (
                    "all_group_ids",
                    "in",
                    self.env.ref("billing_coordinator.group_billing_user").ids,
                ),
                ("company_ids", "in", period.companies.ids),
                ("share", "=", False),
            ]
        )
        return [{"id": user.id, "name": user.display_name} for user in users]

    @api.model
    def _dashboard_partner_filter(self, period, alias):
        return self.env["billing.receivable.line"]._aging_partner_filter_sql(
            alias, team_id=period.team_id, user_id=period.user_id
        )

    @api.model
    def _dashboard_case_domain(self, period):
        domain = [("company_id", "in", period.companies.ids)]
        if period.team_id:
            domain.append(("team_id", "=", period.team_id))
        if period.user_id:
            domain.append(("user_id", "=", period.user_id))
        return domain

    # ------------------------------------------------------------------ shared datasets

    def _dashboard_aging(self, period):
        """Receivables as of the period start, end and month ends, and per customer at
        the end: one aging engine query (``_get_aging_overview``)."""
        return self.env["billing.receivable.line"]._get_aging_overview(
            [period.start, period.end, *period.month_ends],
            partner_date=period.end,
            company_ids=period.companies,
            team_id=period.team_id,
            user_id=period.user_id,
            stored=True,
        )

    def _dashboard_aging_totals(self, period):
        """``{date: totals}`` at the period start, end and month ends."""
        return period.get("aging")[0]

    def _dashboard_aging_rows(self, period):
        """The customers' receivables at the period end (``partner_id``, the buckets,
        ``overdue``, ``total``)."""
        return period.get("aging")[1]

    def _dashboard_sales_by_day(self, period):
        """Credit sales per invoice date, far enough back for the trend and countback:
        posted customer invoices minus credit notes, taxes included, company currency
        (``amount_total_signed`` is negative on credit notes). The past days the stored
        aggregates hold valid come from them, the others from the moves."""
        first = min(
            period.date_from,
            period.month_ends[0] - timedelta(days=period.days - 1),
            period.end + relativedelta(months=-COUNTBACK_MONTHS, day=1),
        )
        Fact = self.env["billing.dashboard.fact"]
        stored, live = Fact._split_days(period.companies, first, period.end)
        parts = []
        if stored:
            parts.append(Fact._sales_facts_sql(stored, period.team_id, period.user_id))
        if live:
            parts.append(
                self._dashboard_sales_sql(
                    live, self._dashboard_partner_filter(period, "commercial")
                )
            )
        rows = self.env.execute_query(
            SQL(
                """SELECT sales.company_id, sales.day, SUM(sales.amount)
                     FROM (%s) AS sales
                 GROUP BY 1, 2
                 ORDER BY 2, 1""",
                SQL(" UNION ALL ").join(parts),
            )
        )
        sales = {}
        for company_id, day, amount in rows:
            # at the period end's rate, as the receivables (one rate per company)
            sales[day] = sales.get(day, 0.0) + period.convert(float(amount), company_id)
        return sales

    def _dashboard_paid_invoices(self, period):
        """Per customer, the invoices paid in the period: their amount and the sum of
        amount x days to pay, where the payment date is the last reconciliation date of
        the invoice's receivable items and days to pay = payment date - invoice date.
        The past days the stored aggregates hold valid come from them."""
        Fact = self.env["billing.dashboard.fact"]
        stored, live = Fact._split_days(
            period.companies, period.date_from, period.date_to
        )
        parts = []
        if stored:
            parts.append(Fact._paid_facts_sql(stored, period.team_id, period.user_id))
        if live:
            parts.append(
                SQL(
                    """SELECT paid.partner_id, paid.company_id, paid.amount,
                              paid.weighted_days, 1 AS count
                         FROM (%s) AS paid""",
                    self._dashboard_paid_invoice_sql(
                        live, self._dashboard_partner_filter(period, "commercial")
                    ),
                )
            )
        rows = self.env.execute_query_dict(
            SQL(
                """SELECT paid.partner_id, paid.company_id,
                          SUM(paid.amount) AS amount,
                          SUM(paid.weighted_days) AS weighted_days,
                          SUM(paid.count) AS count
                     FROM (%s) AS paid
                 GROUP BY 1, 2
                 ORDER BY 1, 2""",
                SQL(" UNION ALL ").join(parts),
            )
        )
        by_partner = {}
        for row in rows:
            values = by_partner.setdefault(
                row["partner_id"], {"amount": 0.0, "weighted_days": 0.0, "count": 0}
            )
            values["amount"] += period.convert(float(row["amount"]), row["company_id"])
            values["weighted_days"] += period.convert(
                float(row["weighted_days"]), row["company_id"]
            )
            values["count"] += int(row["count"])
        return by_partner
