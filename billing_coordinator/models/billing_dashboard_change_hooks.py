"""The hooks that log changes of past dashboard figures (``billing.dashboard.change``).

A change is logged with the first day it can alter: a move with receivable items posted,
reset or cancelled (its date or invoice date, the earlier); a partial matched or
unmatched (its match date); a posted receivable item's due date, partner or account
changed (its date); a company's aging buckets (that company, every day); a customer's
commercial entity, team or coordinator, an account's type, a team or user deleted
(every company, every day).
"""

from odoo import api, models

_PARTNER_GROUPING = (
    "parent_id",
    "is_company",
    "billing_team_id",
    "billing_coordinator_id",
)


def _changed(records, vals, names):
    """Whether ``vals`` changes one of ``names`` on one of ``records``."""
    for name in names:
        if name not in vals:
            continue
        field = records._fields[name]
        new = vals[name]
        for record in records:
            old = record[name]
            old = old.id if field.type == "many2one" else old
            if (old or False) != (new or False):
                return True
    return False


class AccountMove(models.Model):
    _inherit = "account.move"

    def write(self, vals):
        if "state" not in vals:
            return super().write(vals)
        changes = [
            (move.company_id.id, min(move.date, move.invoice_date or move.date))
            for move in self
            if (move.state == "posted") != (vals["state"] == "posted")
            and move.date
            and (
                move.is_sale_document(include_receipts=True)
                or "asset_receivable" in move.line_ids.mapped("account_id.account_type")
            )
        ]
        res = super().write(vals)
        self.env["billing.dashboard.change"]._log_dashboard_changes(changes)
        return res


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def write(self, vals):
        if {"date_maturity", "partner_id", "account_id"}.isdisjoint(vals):
            return super().write(vals)
        changes = [
            (line.company_id.id, line.date)
            for line in self
            if line.parent_state == "posted" and line.date
        ]
        res = super().write(vals)
        self.env["billing.dashboard.change"]._log_dashboard_changes(changes)
        return res


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        self.env["billing.dashboard.change"]._log_dashboard_changes(
            (partial.company_id.id, partial.max_date) for partial in partials
        )
        return partials

    def unlink(self):
        changes = [(partial.company_id.id, partial.max_date) for partial in self]
        res = super().unlink()
        self.env["billing.dashboard.change"]._log_dashboard_changes(changes)
        return res


class ResPartner(models.Model):
    _inherit = "res.partner"

    def write(self, vals):
        changed = _changed(self, vals, _PARTNER_GROUPING)
        res = super().write(vals)
        if changed:
            self.env["billing.dashboard.change"]._log_dashboard_change_everything()
        return res


class AccountAccount(models.Model):
    _inherit = "account.account"

    def write(self, vals):
        changed = _changed(self, vals, ("account_type",))
        res = super().write(vals)
        if changed:
            self.env["billing.dashboard.change"]._log_dashboard_change_everything()
        return res


class ResCompany(models.Model):
    _inherit = "res.company"

    def write(self, vals):
        changes = []
        if "billing_aging_bucket_limits" in vals:
            changes = [
                (company.id, None)
                for company in self
                if company.billing_aging_bucket_limits
                != vals["billing_aging_bucket_limits"]
            ]
        res = super().write(vals)
        self.env["billing.dashboard.change"]._log_dashboard_changes(changes)
        return res


class BillingTeam(models.Model):
    _inherit = "billing.team"

    def unlink(self):
        # the customers' team is emptied by the database (no write to hook)
        res = super().unlink()
        self.env["billing.dashboard.change"]._log_dashboard_change_everything()
        return res


class ResUsers(models.Model):
    _inherit = "res.users"

    def unlink(self):
        # the customers' coordinator is emptied by the database, as for teams
        res = super().unlink()
        self.env["billing.dashboard.change"]._log_dashboard_change_everything()
        return res
