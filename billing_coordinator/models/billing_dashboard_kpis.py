"""The dashboard's KPIs: one small method each, registered in
``billing.dashboard._get_dashboard_kpis()``. Each takes the :class:`DashboardPeriod`
and returns plain JSON; the formula is in its docstring.

Notation: AR(d) = open receivables as of the end of day d (aging engine, credits
included); current AR = the part not yet due; sales = credit sales of the period;
days = date_to - date_from + 1; start = date_from - 1 day; end = date_to.
A ratio whose denominator is zero is null (the card shows a dash). A DSO is null
when AR is negative or the sales are not positive (``_dso``).
"""

from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, models

from .billing_dashboard import COUNTBACK_MONTHS

TOP_CUSTOMERS = 10


def _names(records):
    """``{id: display_name}`` of ``records``, computed for all of them at once (a
    ``records.browse(id).display_name`` per row would read them one by one)."""
    return {record.id: record.display_name for record in records}


def _ratio(numerator, denominator, factor=1.0, digits=1):
    """numerator / denominator x factor rounded to ``digits`` (None: unrounded), or
    None when the denominator is zero."""
    if not denominator:
        return None
    value = numerator / denominator * factor
    return value if digits is None else round(value, digits)


def _dso(receivable, sales, days, digits=1):
    """receivable / sales x days (0 days when nothing is outstanding), or None when
    the receivable is negative (credits exceed invoices: the company owes its
    customers, no days of sales are outstanding) or the credit sales are not positive
    (a window where credit notes outweigh invoices, or no business at all: nothing to
    measure the receivable against)."""
    if receivable < 0:
        return None
    return _ratio(receivable, sales, days, digits) if sales > 0 else None


class BillingDashboard(models.AbstractModel):
    _inherit = "billing.dashboard"

    # ------------------------------------------------------------------ receivables

    @api.model
    def _kpi_total_receivable(self, period):
        """Total receivable = AR(end)."""
        return period.get("aging_totals")[period.end]["total"]

    @api.model
    def _kpi_overdue_amount(self, period):
        """Overdue amount = AR(end) of the items past their due date at end."""
        return period.get("aging_totals")[period.end]["overdue"]

    @api.model
    def _kpi_overdue_share(self, period):
        """Overdue share (%) = overdue amount / AR(end) x 100."""
        totals = period.get("aging_totals")[period.end]
        return _ratio(totals["overdue"], totals["total"], 100.0)

    @api.model
    def _kpi_credit_sales(self, period):
        """Credit sales = posted customer invoices - credit notes with an invoice date in
        [date_from, date_to], taxes included, company currency."""
        return period.currency.round(
            period.sales_between(period.date_from, period.date_to)
        )

    @api.model
    def _kpi_dso(self, period, digits=1):
        """DSO = AR(end) / sales x days."""
        return _dso(
            self._kpi_total_receivable(period),
            self._kpi_credit_sales(period),
            period.days,
            digits,
        )

    @api.model
    def _kpi_countback_dso(self, period):
        """Countback DSO: walk back from end month by month (the current month up to
        end, then whole calendar months); while AR(end) left exceeds the month's credit
        sales, subtract them and count the month's days; in the month that uses it up,
        count days x (AR left / month's sales). At most 24 months. AR(end) = 0: 0 days;
        AR(end) < 0: None."""
        left = self._kpi_total_receivable(period)
        # as ``_dso``: nothing outstanding is 0 days, a negative receivable no DSO
        if left < 0:
            return None
        if left == 0:
            return 0.0
        result = 0.0
        last = period.end
        for _month in range(COUNTBACK_MONTHS):
            first = last.replace(day=1)
            days = (last - first).days + 1
            sales = period.sales_between(first, last)
            if sales > 0 and left <= sales:
                return round(result + days * left / sales, 1)
            left -= max(sales, 0.0)
            result += days
            last = first + relativedelta(days=-1)
        return round(result, 1)

    @api.model
    def _kpi_best_possible_dso(self, period, digits=1):
        """Best possible DSO = current AR(end) / sales x days."""
        current = period.get("aging_totals")[period.end]["not_due"]
        return _dso(current, self._kpi_credit_sales(period), period.days, digits)

    @api.model
    def _kpi_add(self, period):
        """ADD (average days delinquent) = DSO - best possible DSO (unrounded)."""
        dso, best = (
            self._kpi_dso(period, None),
            self._kpi_best_possible_dso(period, None),
        )
        return None if dso is None or best is None else round(dso - best, 1)

    @api.model
    def _kpi_cei(self, period):
        """CEI (%) = (AR(start) + sales - AR(end)) / (AR(start) + sales - current AR(end)) x 100."""
        totals = period.get("aging_totals")
        begin, end = totals[period.start]["total"], totals[period.end]
        sales = self._kpi_credit_sales(period)
        return _ratio(
            begin + sales - end["total"], begin + sales - end["not_due"], 100.0
        )

    @api.model
    def _kpi_avg_days_to_pay(self, period):
        """Average days to pay = sum(amount x (payment date - invoice date)) / sum(amount)
        over the invoices paid in the period (payment date: the last reconciliation of
        the invoice); per customer the same over its invoices (the 10 largest)."""
        paid = period.get("paid_invoices")
        amount = sum(v["amount"] for v in paid.values())
        weighted = sum(v["weighted_days"] for v in paid.values())
        by_customer = sorted(paid.items(), key=lambda item: -item[1]["amount"])[
            :TOP_CUSTOMERS
        ]
        names = _names(self.env["res.partner"].browse([pid for pid, _v in by_customer]))
        return {
            "value": _ratio(weighted, amount),
            "count": sum(v["count"] for v in paid.values()),
            "by_customer": [
                {
                    "partner_id": partner_id,
                    "name": names[partner_id],
                    "value": _ratio(values["weighted_days"], values["amount"]),
                    "amount": period.currency.round(values["amount"]),
                    "count": values["count"],
                }
                for partner_id, values in by_customer
            ],
        }

    # ------------------------------------------------------------------ cases

    @api.model
    def _kpi_open_cases(self, period):
        """Open cases: count and amount at stake (sum of |difference|); new = created in
        the period, resolved = resolved in the period, average resolution days =
        sum(resolved date - creation date) / resolved."""
        rows, done = period.get("open_cases"), period.get("period_cases")
        resolved = sum(r["resolved"] for r in done)
        return {
            "value": sum(r["count"] for r in rows),
            "amount": period.currency.round(sum(r["amount"] for r in rows)),
            "new": sum(r["new"] for r in done),
            "resolved": resolved,
            "avg_resolution_days": _ratio(
                sum(r["resolution_days"] for r in done), resolved
            ),
        }

    @api.model
    def _kpi_sla_breached(self, period):
        """SLA breached = open cases past their SLA; share (%) = breached / open x 100."""
        rows = period.get("open_cases")
        breached = sum(r["count"] for r in rows if r["sla_breached"])
        return {
            "value": breached,
            "share": _ratio(breached, sum(r["count"] for r in rows), 100.0),
        }

    @api.model
    def _kpi_cases_by_type(self, period):
        """Open cases and amount at stake per case type, most cases first."""
        groups = {}
        for row in period.get("open_cases"):
            group = groups.setdefault(row["case_type_id"], {"count": 0, "amount": 0.0})
            group["count"] += row["count"]
            group["amount"] += row["amount"]
        names = _names(self.env["billing.case.type"].browse(list(groups)))
        return sorted(
            (
                {
                    "case_type_id": type_id,
                    "name": names[type_id],
                    "count": group["count"],
                    "amount": period.currency.round(group["amount"]),
                }
                for type_id, group in groups.items()
            ),
            key=lambda g: (-g["count"], -g["amount"], g["name"]),
        )

    @api.model
    def _kpi_cases_by_root_cause(self, period):
        """Open cases per root cause, with the DSO impact = amount at stake of the
        cause / sales x days (days of sales tied up in its open cases)."""
        labels = dict(
            self.env["billing.case"]
            ._fields["root_cause"]
            ._description_selection(self.env)
        )
        sales = self._kpi_credit_sales(period)
        groups = {}
        for row in period.get("open_cases"):
            group = groups.setdefault(
                row["root_cause"] or False, {"count": 0, "amount": 0.0}
            )
            group["count"] += row["count"]
            group["amount"] += row["amount"]
        return sorted(
            (
                {
                    "root_cause": cause,
                    "name": labels.get(cause) or self.env._("Not Set"),
                    "count": group["count"],
                    "amount": period.currency.round(group["amount"]),
                    "dso_impact": _ratio(group["amount"], sales, period.days),
                }
                for cause, group in groups.items()
            ),
            key=lambda g: (-g["count"], -g["amount"], g["name"]),
        )

    @api.model
    def _kpi_coordinators(self, period):
        """Per coordinator: open and breached cases now, cases resolved in the period,
        their average resolution days and the amount recovered (|difference| of the
        cases resolved in the period)."""
        users = {}

        def user_values(user_id):
            return users.setdefault(
                user_id or False,
                {
                    "open": 0,
                    "breached": 0,
                    "resolved": 0,
                    "resolution_days": 0,
                    "amount_recovered": 0.0,
                },
            )

        for row in period.get("open_cases"):
            values = user_values(row["user_id"])
            values["open"] += row["count"]
            values["breached"] += row["count"] if row["sla_breached"] else 0
        for row in period.get("period_cases"):
            values = user_values(row["user_id"])
            values["resolved"] += row["resolved"]
            values["resolution_days"] += row["resolution_days"]
            values["amount_recovered"] += row["amount"]
        names = _names(self.env["res.users"].browse([uid for uid in users if uid]))
        return sorted(
            (
                {
                    "user_id": user_id,
                    "name": names[user_id] if user_id else self.env._("Unassigned"),
                    "open": values["open"],
                    "breached": values["breached"],
                    "resolved": values["resolved"],
                    "avg_resolution_days": _ratio(
                        values["resolution_days"], values["resolved"]
                    ),
                    "amount_recovered": period.currency.round(
                        values["amount_recovered"]
                    ),
                }
                for user_id, values in users.items()
                if values["open"] or values["resolved"]
            ),
            key=lambda u: (not u["user_id"], -u["open"], u["name"]),
        )

    # ------------------------------------------------------------------ lists

    @api.model
    def _kpi_aging(self, period):
        """AR(end) per aging bucket, in bucket order."""
        totals = period.get("aging_totals")[period.end]
        buckets = self.env["billing.receivable.line"]._get_aging_buckets(
            period.companies
        )
        return [
            {"key": b["key"], "label": b["label"], "amount": totals.get(b["key"], 0.0)}
            for b in buckets
        ]

    @api.model
    def _kpi_trend(self, period):
        """At each of the last 12 month ends (the last one is end): overdue AR, total
        AR and DSO = AR(month end) / credit sales of the ``days`` days up to it x days."""
        totals = period.get("aging_totals")
        trend = []
        for month_end in period.month_ends:
            sales = period.sales_between(
                month_end - timedelta(days=period.days - 1), month_end
            )
            trend.append(
                {
                    "date": month_end.isoformat(),
                    "total": totals[month_end]["total"],
                    "overdue": totals[month_end]["overdue"],
                    "dso": _dso(totals[month_end]["total"], sales, period.days),
                }
            )
        return trend

    @api.model
    def _kpi_top_customers(self, period):
        """The 10 customers with the largest overdue AR(end), with their total AR and
        average days to pay in the period."""
        customers = {}
        for row in period.get("aging_rows"):
            values = customers.setdefault(
                row["partner_id"], {"overdue": 0.0, "total": 0.0}
            )
            values["overdue"] += row["overdue"]
            values["total"] += row["total"]
        top = sorted(
            ((pid, v) for pid, v in customers.items() if pid and v["overdue"] > 0),
            key=lambda item: -item[1]["overdue"],
        )[:TOP_CUSTOMERS]
        paid = period.get("paid_invoices")
        names = _names(self.env["res.partner"].browse([pid for pid, _v in top]))
        return [
            {
                "partner_id": pid,
                "name": names[pid],
                "overdue": period.currency.round(values["overdue"]),
                "total": period.currency.round(values["total"]),
                "avg_days_to_pay": _ratio(
                    paid[pid]["weighted_days"], paid[pid]["amount"]
                )
                if pid in paid
                else None,
            }
            for pid, values in top
        ]
