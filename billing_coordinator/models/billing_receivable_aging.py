"""The aging engine: open receivable items as of any date, in one set-based query.

Every receivables figure of the module (analysis view, dashboard KPIs, statements and
aging reports, month-end snapshots) comes from here, so that they agree to the cent.

Here: the buckets, the filters (companies, customers, team, coordinator) and the
results by customer (``_get_aging``). The items query and the definition of an item's
residual as of a date are in billing_receivable_aging_items, the dashboard's totals at
many dates in billing_receivable_aging_overview, the currency conversion in
billing_receivable_aging_currency.
"""

import re
from collections import defaultdict
from decimal import Decimal

from odoo import api, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, float_round

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
