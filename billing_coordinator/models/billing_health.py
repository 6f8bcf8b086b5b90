"""The "Billing Health" page of the managers: is the billing software itself working?

``billing.health.get_health_data(company_ids)`` runs every registered check
(``_get_health_checks()``, the units are in ``billing_health_checks.py``) and returns
their lines as plain JSON. A check takes the companies and returns a list of lines made
by :meth:`_health_line` (none when it has nothing to say, e.g. a model it reads is not
installed). Each check is set-based: one or two queries whatever the number of records.
A module adds a check by extending ``_get_health_checks()`` with one more method; it
never copies ours.
"""

from odoo import api, models
from odoo.exceptions import AccessError

# ``info``: nothing wrong, something to know (e.g. no snapshot taken yet).
STATUSES = ("ok", "info", "warning", "error")
# The cursor cache key of what the checks of one page load share (``_health_memo``).
MEMO_KEY = "billing_health_memo"


class BillingHealth(models.AbstractModel):
    _name = "billing.health"
    _description = "Billing Health"

    @api.model
    @api.readonly
    def get_health_data(self, company_ids=None):
        """The lines of the Billing Health page, for billing managers only.

        ``company_ids``: the companies to check (default: the selected companies); each
        must be one of the user's companies. Returns a list of dicts, in check order:

        - ``code``: the check's code (a key of ``_get_health_checks()``),
        - ``label``: what is checked; ``message``: what was found, in the user's words,
        - ``status``: ``ok``, ``info`` (nothing wrong, worth knowing), ``warning`` or
          ``error``,
        - ``count``: the number of records concerned,
        - ``company_id``/``company_name``: the company of a per-company line or False,
        - ``action``: an ``ir.actions.act_window`` dict opening the records concerned,
          or False when there is nothing to open (or the user may not open them).
        """
        if not self.env.user.has_group("billing_coordinator.group_billing_manager"):
            raise AccessError(
                self.env._("Only billing managers can open the Billing Health page.")
            )
        companies = self.env.companies
        if company_ids:
            companies = self.env["res.company"].browse(company_ids)
            if companies - self.env.user.company_ids:
                raise AccessError(
                    self.env._("You cannot check the billing of these companies.")
                )
        lines = []
        # What several checks read is read once per page load: a memo on the cursor
        # for this call only (as Odoo's export shares its properties cache).
        self.env.cr.cache[MEMO_KEY] = {}
        try:
            for check in self._get_health_checks().values():
                lines.extend(check(companies))
        finally:
            self.env.cr.cache.pop(MEMO_KEY, None)
        return lines

    @api.model
    def _get_health_checks(self):
        """The registered checks: ``{code: method(companies) -> [line, ...]}``, in
        display order. Extend it (``res = super()._get_health_checks();
        res["my_check"] = self._health_check_my_check``) to add a check."""
        return {
            "detection_last_run": self._health_check_detection_last_run,
            "detection_failed_rules": self._health_check_detection_failed_rules,
            "crons": self._health_check_crons,
            "cases_unassigned": self._health_check_cases_unassigned,
            "promises_unchecked": self._health_check_promises_unchecked,
            "old_credit": self._health_check_old_credit,
            "snapshot_chain": self._health_check_snapshot_chain,
        }

    # ------------------------------------------------------------------ helpers

    @api.model
    def _health_memo(self, key, compute):
        """``compute()``, once per ``get_health_data()`` call and ``key`` (a hashable
        naming what is read and for which companies); outside a page load, every time.
        Keep plain values (ids, rows) in it, not records of one environment."""
        memo = self.env.cr.cache.get(MEMO_KEY)
        if memo is None:
            return compute()
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    @api.model
    def _health_line(
        self, code, label, status, count, message, action=False, company=None
    ):
        """One line of the page; ``status`` is one of ``STATUSES``."""
        assert status in STATUSES, status
        return {
            "code": code,
            "label": label,
            "status": status,
            "count": count,
            "message": message,
            "action": action or False,
            "company_id": company.id if company else False,
            "company_name": company.name if company else False,
        }

    @api.model
    def _health_action(self, name, res_model, domain, views=None, context=None):
        """An act_window opening the records of a line (domain: a JSON-ready list)."""
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": res_model,
            "views": views or [[False, "list"], [False, "form"]],
            "domain": domain,
            "context": context or {},
            "target": "current",
        }
