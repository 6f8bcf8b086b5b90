"""The aging engine's currency helpers: the currency several companies' receivables
are added up in, and the conversion of each company's amounts into it (the same rate
and rounding everywhere, each rate read once)."""

from odoo import api, models
from odoo.tools import SQL, float_round


class BillingReceivableLine(models.Model):
    _inherit = "billing.receivable.line"

    @api.model
    def _aging_target_currency(self, companies):
        """The currency the amounts of several companies are added up in: the current
        company's when it is one of them, else the first one's."""
        main = self.env.company if self.env.company in companies else companies[:1]
        return main.currency_id

    @api.model
    def _aging_convert(self, amount, company_id, target, date_at, cache):
        """``amount`` of company ``company_id``'s currency in ``target`` at ``date_at``.

        ``cache`` (a dict the caller keeps for a run) holds one ``_aging_converter``
        per target: the same rate and rounding everywhere, each rate read once."""
        convert = cache.get(("converter", target.id))
        if convert is None:
            convert = cache[("converter", target.id)] = self._aging_converter(target)
        return convert(amount, company_id, date_at)

    @api.model
    def _aging_converter(self, target, companies=None, dates=()):
        """A function ``(amount, company_id, date_at)`` giving what ``_aging_convert``
        gives (the same rate, the same rounding), with each company's currency and each
        rate read once: the dashboard converts thousands of rows. The rates of
        ``companies`` at ``dates`` are read up front, in one query per company."""
        currencies = {}
        rates = {}
        rounding = target.rounding
        for company in companies or ():
            if company.currency_id != target:
                rates.update(
                    self._aging_conversion_rates(company, target, sorted(set(dates)))
                )

        def convert(amount, company_id, date_at):
            currency = currencies.get(company_id)
            if currency is None:
                company = self.env["res.company"].browse(company_id)
                currency = currencies[company_id] = company.currency_id
            if not amount or currency.id == target.id:
                return amount
            key = (company_id, date_at)
            rate = rates.get(key)
            if rate is None:
                rate = rates[key] = self.env["res.currency"]._get_conversion_rate(
                    currency,
                    target,
                    self.env["res.company"].browse(company_id),
                    date_at,
                )
            # target.round(), without a record method call per row
            return float_round(amount * rate, precision_rounding=rounding)

        return convert

    @api.model
    def _aging_conversion_rates(self, company, target, dates):
        """``{(company id, date): rate}``: what ``res.currency._get_conversion_rate(
        company currency, target, company, date)`` gives at each of ``dates``, in one
        query. The same lookup as ``res.currency._get_rates``: the company's (root's)
        rate before the global one, the latest dated on or before the date, else the
        first one, else 1; then the same float arithmetic as ``_compute_current_rate``."""
        if not dates:
            return {}
        self.env["res.currency.rate"].flush_model()

        def rate_sql(currency):
            lookup = SQL(
                """SELECT r.rate FROM res_currency_rate r
                    WHERE r.currency_id = %s
                      AND (r.company_id IN %s OR r.company_id IS NULL)""",
                currency.id,
                (company.root_id.id,),
            )
            return SQL(
                """COALESCE((%s AND r.name <= d.day ORDER BY r.company_id, r.name DESC LIMIT 1),
                            (%s ORDER BY r.company_id, r.name ASC LIMIT 1), 1.0)""",
                lookup,
                lookup,
            )

        rows = self.env.execute_query(
            SQL(
                "SELECT d.day, %s, %s FROM unnest(%s::date[]) AS d (day)",
                rate_sql(company.currency_id),
                rate_sql(target),
                [d.isoformat() for d in dates],
            )
        )
        result = {}
        for day, from_rate, to_rate in rows:
            rate = (from_rate or 1.0) / to_rate  # res.currency.rate
            result[(company.id, day)] = 1 / rate  # inverse_rate
        return result
