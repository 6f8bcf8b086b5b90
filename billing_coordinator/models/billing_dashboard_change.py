"""The change log of the stored dashboard aggregates (``billing.dashboard.fact``).

Insert-only: every change that can alter a past day's dashboard figures adds a row
``(company, first day altered)`` (no company: every company; no day: every day), so
that postings never wait on one shared row. The facts of company C for day D are valid
while no row of C (or of every company) is dated on or before D. The refresh deletes the
rows it saw. The rows come from the hooks in ``billing_dashboard_change_hooks.py``.
"""

from odoo import api, fields, models
from odoo.tools import SQL


class BillingDashboardChange(models.Model):
    _name = "billing.dashboard.change"
    _description = "Billing Dashboard Change"
    _log_access = False
    _order = "id"

    company_id = fields.Many2one("res.company", readonly=True, ondelete="cascade")
    date = fields.Date(readonly=True, help="The first day altered; empty: every day.")

    # the dashboard's validity check: the first change of a company (or of all)
    _company_date_idx = models.Index("(company_id, date)")

    @api.model
    def _log_dashboard_changes(self, changes):
        """Log ``changes``, an iterable of ``(company id or None, date or None)``, in
        one insert (duplicates once)."""
        changes = list(set(changes))
        if not changes:
            return
        self.env.execute_query(
            SQL(
                """INSERT INTO billing_dashboard_change (company_id, date)
                   SELECT * FROM unnest(%s::integer[], %s::date[])""",
                [company_id for company_id, _day in changes],
                [day and fields.Date.to_string(day) for _company, day in changes],
            )
        )

    @api.model
    def _log_dashboard_change_everything(self):
        """Every company, every day: the partners' grouping or the accounts changed."""
        self._log_dashboard_changes([(None, None)])
