"""The dashboard's case datasets: the open cases and the period's cases from one scan
of the cases (grouping sets), their amounts in the dashboard currency."""

from datetime import datetime, time, timedelta

from odoo import models
from odoo.tools import SQL

from .billing_case import OPEN_STATES


class BillingDashboard(models.AbstractModel):
    _inherit = "billing.dashboard"

    def _dashboard_cases(self, period):
        """The open cases and the period's cases from one scan of the cases:
        ``(open_rows, period_rows)``, see ``_dashboard_open_cases`` and
        ``_dashboard_period_cases``. Record rules apply (``_search``)."""
        Case = self.env["billing.case"]
        Case.flush_model()
        start = datetime.combine(period.date_from, time.min)
        stop = datetime.combine(period.date_to + timedelta(days=1), time.min)
        open_domain = [("state", "in", OPEN_STATES)]
        period_domain = [
            "|",
            "&",
            ("create_date", ">=", start),
            ("create_date", "<", stop),
            "&",
            ("resolved_date", ">=", period.date_from),
            ("resolved_date", "<=", period.date_to),
        ]
        query = Case._search(
            self._dashboard_case_domain(period) + ["|", *open_domain, *period_domain]
        )
        case = SQL.identifier(query.table)
        # the same conditions as the domains above, for the FILTER clauses
        is_open = SQL("%s.state IN %s", case, OPEN_STATES)
        is_new = SQL(
            "(%s.create_date >= %s AND %s.create_date < %s)", case, start, case, stop
        )
        in_period = SQL(
            "(%s OR %s.resolved_date BETWEEN %s AND %s)",
            is_new,
            case,
            period.date_from,
            period.date_to,
        )
        resolved = SQL(
            "(%s.state = 'resolved' AND %s.resolved_date BETWEEN %s AND %s)",
            case,
            case,
            period.date_from,
            period.date_to,
        )
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT %(case)s.company_id, %(case)s.user_id, %(case)s.currency_id,
                       %(case)s.case_type_id, %(case)s.root_cause,
                       COALESCE(%(case)s.sla_breached, FALSE) AS sla_breached,
                       GROUPING(%(case)s.case_type_id) = 1 AS is_period_row,
                       COUNT(*) FILTER (WHERE %(is_open)s) AS count,
                       SUM(ABS(%(case)s.amount_difference)) FILTER (WHERE %(is_open)s)
                           AS open_amount,
                       COUNT(*) FILTER (WHERE %(in_period)s) AS period_count,
                       COUNT(*) FILTER (WHERE %(is_new)s) AS new,
                       COUNT(*) FILTER (WHERE %(resolved)s) AS resolved,
                       COALESCE(SUM(%(case)s.resolved_date - (%(case)s.create_date)::date)
                                FILTER (WHERE %(resolved)s), 0) AS resolution_days,
                       COALESCE(SUM(ABS(%(case)s.amount_difference))
                                FILTER (WHERE %(resolved)s), 0) AS resolved_amount
                  FROM %(from)s
                 WHERE %(where)s
              GROUP BY GROUPING SETS (
                    (%(case)s.company_id, %(case)s.user_id, %(case)s.currency_id,
                     %(case)s.case_type_id, %(case)s.root_cause,
                     COALESCE(%(case)s.sla_breached, FALSE)),
                    (%(case)s.company_id, %(case)s.user_id, %(case)s.currency_id)
                )
                """,
                case=case,
                is_open=is_open,
                is_new=is_new,
                in_period=in_period,
                resolved=resolved,
                **{"from": query.from_clause},
                where=query.where_clause or SQL("TRUE"),
            )
        )
        open_keys = (
            "company_id",
            "case_type_id",
            "root_cause",
            "user_id",
            "currency_id",
            "sla_breached",
            "count",
        )
        period_keys = (
            "company_id",
            "user_id",
            "currency_id",
            "new",
            "resolved",
            "resolution_days",
        )
        open_rows, period_rows = [], []
        for row in rows:
            if row["is_period_row"]:
                found, keys, amount, target = (
                    row["period_count"],
                    period_keys,
                    "resolved_amount",
                    period_rows,
                )
            else:
                found, keys, amount, target = (
                    row["count"],
                    open_keys,
                    "open_amount",
                    open_rows,
                )
            if found:
                values = {key: row[key] for key in keys} | {"amount": row[amount]}
                values["amount"] = self._dashboard_case_amount(period, values)
                target.append(values)
        return open_rows, period_rows

    def _dashboard_open_cases(self, period):
        """The open cases by company, type, root cause, coordinator, currency and
        breach: ``count`` and ``amount`` at stake = sum of |difference| in the dashboard
        currency (as the priority score counts it)."""
        return period.get("cases")[0]

    def _dashboard_period_cases(self, period):
        """The cases created or resolved in the period, by company, coordinator and
        currency: ``new`` (created in it), ``resolved`` (resolved in it),
        ``resolution_days`` = sum of resolved date - creation date of those, ``amount``
        = their |difference| (recovered)."""
        return period.get("cases")[1]

    def _dashboard_case_amount(self, period, row):
        """A case row's amount (case currency) in the dashboard currency."""
        amount = float(row["amount"] or 0.0)
        currency = self.env["res.currency"].browse(row["currency_id"])
        if not amount or currency == period.currency:
            return amount
        company = self.env["res.company"].browse(row["company_id"])
        return currency._convert(amount, period.currency, company, period.end)
