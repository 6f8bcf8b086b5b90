from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .billing_case import OPEN_STATES

# the context key of the as-of date of the rows
AGING_DATE_CONTEXT = ("billing_aging_date",)


class BillingReceivableLine(models.Model):
    """Receivables analysis: one row per receivable journal item open today.

    A read-only SQL view over the aging engine's items query
    (``billing_receivable_aging_items.py``) as of today, so the pivot, the dashboard
    and the reports show the same figures. With ``billing_aging_date`` in the context
    (a date, e.g. a month end of the dashboard's trend) the rows are the items open as
    of that date, with their residual, days overdue and bucket then."""

    _name = "billing.receivable.line"
    _description = "Receivables Analysis"
    _auto = False
    _rec_name = "move_id"
    _order = "date_maturity, id"
    _depends = {
        "account.move.line": [
            "amount_residual",
            "amount_residual_currency",
            "reconciled",
            "date",
            "date_maturity",
            "partner_id",
            "company_id",
            "currency_id",
            "account_id",
            "parent_state",
            "move_id",
        ],
        "account.move": ["move_type", "invoice_date", "ref"],
        "account.partial.reconcile": [
            "max_date",
            "amount",
            "debit_move_id",
            "credit_move_id",
        ],
        "res.partner": [
            "commercial_partner_id",
            "billing_team_id",
            "billing_coordinator_id",
        ],
        "res.company": ["billing_aging_bucket_limits"],
        "billing.case": ["state", "active", "move_ids"],
    }

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    move_id = fields.Many2one("account.move", string="Document", readonly=True)
    move_type = fields.Selection(
        lambda self: self.env["account.move"]._fields["move_type"].selection,
        string="Document Type",
        readonly=True,
    )
    company_id = fields.Many2one("res.company", readonly=True)
    company_currency_id = fields.Many2one(
        "res.currency", string="Company Currency", readonly=True
    )
    currency_id = fields.Many2one("res.currency", string="Currency", readonly=True)
    date = fields.Date(string="Accounting Date", readonly=True)
    invoice_date = fields.Date(readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    # The figures as of ``billing_aging_date`` (see ``_table_query``): their cache is
    # keyed on it, so one transaction reading the same rows as of two dates gets each
    # date's figures, not the first date's from the cache. The other columns are the
    # same whatever the date.
    days_overdue = fields.Integer(
        readonly=True, aggregator="max", depends_context=AGING_DATE_CONTEXT
    )
    aging_bucket = fields.Selection(
        selection="_selection_aging_bucket",
        readonly=True,
        group_expand=True,
        depends_context=AGING_DATE_CONTEXT,
    )
    amount_residual = fields.Monetary(
        string="Amount Due",
        currency_field="company_currency_id",
        readonly=True,
        help="Open amount in company currency.",
        depends_context=AGING_DATE_CONTEXT,
    )
    amount_residual_currency = fields.Monetary(
        string="Amount Due in Currency",
        currency_field="currency_id",
        readonly=True,
        help="Open amount in the document's currency.",
        depends_context=AGING_DATE_CONTEXT,
    )
    user_id = fields.Many2one("res.users", string="Coordinator", readonly=True)
    team_id = fields.Many2one("billing.team", string="Billing Team", readonly=True)
    has_open_case = fields.Boolean(string="With Open Case", readonly=True)
    case_ids = fields.Many2many(
        "billing.case",
        string="Open Cases",
        compute="_compute_case_ids",
        help="The open billing cases on this document.",
    )

    @property
    def _table_query(self) -> SQL:
        # Every company: the record rules restrict rows per user. ``sudo`` because the
        # view is defined once for all users, not per the current user's companies.
        companies = self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        return SQL(
            """
            SELECT item.id, item.partner_id, item.move_id, item.move_type, item.company_id,
                   item.company_currency_id, item.currency_id, item.date, item.invoice_date,
                   item.date_maturity, item.days_overdue, item.aging_bucket,
                   item.amount_residual, item.amount_residual_currency, item.user_id,
                   item.team_id, item.has_open_case
              FROM (%s) AS item
            """,
            # sudo: the query is built once for all users; record rules filter its rows.
            self.sudo()._get_aging_items_query(
                date_at=self._aging_view_date(),
                company_ids=companies,
                order=False,
            ),
        )

    @api.model
    def _aging_view_date(self):
        """The date the rows are open at: ``billing_aging_date`` of the context, else
        today."""
        value = self.env.context.get("billing_aging_date")
        if not value:
            return fields.Date.context_today(self)
        try:
            return fields.Date.to_date(value)
        except (TypeError, ValueError):
            raise UserError(
                self.env._(
                    "The receivables cannot be shown as of %(value)s: not a date.",
                    value=value,
                )
            ) from None

    @api.model
    def _selection_aging_bucket(self):
        # sudo: the labels of every company's buckets, as the view covers every company
        buckets = self._get_aging_buckets(self.env["res.company"].sudo().search([]))  # pylint: disable=no-search-all
        return [(b["key"], b["label"]) for b in buckets]

    def _compute_case_ids(self):
        # One read of the open cases of all the documents shown.
        cases = self.env["billing.case"].search(
            [("move_ids", "in", self.move_id.ids), ("state", "in", OPEN_STATES)]
        )
        by_move = {}
        for case in cases:
            for move in case.move_ids:
                by_move.setdefault(move.id, self.env["billing.case"])
                by_move[move.id] |= case
        for line in self:
            line.case_ids = by_move.get(line.move_id.id, self.env["billing.case"])
