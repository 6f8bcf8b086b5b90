"""Who may print receivables reports (statements, aging) on which customers.

The aging engine reads the ledger directly and leaves access to its callers. The reports
apply the rules of the receivables analysis (``billing_receivable_security.xml``):
coordinators report on their own customers, their teams' customers and customers
without a team; billing managers, and accountants outside the billing groups, on every
customer of their companies."""

from odoo import models
from odoo.exceptions import AccessError


class ResUsers(models.Model):
    _inherit = "res.users"

    def _is_billing_report_restricted(self):
        self.ensure_one()
        return self.has_group(
            "billing_coordinator.group_billing_user"
        ) and not self.has_group("billing_coordinator.group_billing_manager")

    def _get_billing_report_teams(self):
        """The teams whose customers this user may report on."""
        self.ensure_one()
        Team = self.env["billing.team"]
        return Team.search(
            ["|", ("membership_ids.user_id", "=", self.id), ("leader_id", "=", self.id)]
        )


class BillingTeam(models.Model):
    _inherit = "billing.team"

    def _check_billing_report_access(self):
        user = self.env.user
        if self.env.su or not self or not user._is_billing_report_restricted():
            return
        if self - user._get_billing_report_teams():
            raise AccessError(
                self.env._(
                    "You can only report on the receivables of your own teams, not of %(teams)s.",
                    teams=", ".join(
                        (self - user._get_billing_report_teams()).mapped("name")
                    ),
                )
            )


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _check_billing_report_access(self):
        """Refuse users without accounting rights, and customers of another company or
        of another coordinator's team."""
        partners = self.commercial_partner_id
        partners.check_access("read")
        user = self.env.user
        if self.env.su:
            return
        if not (
            user.has_group("account.group_account_invoice")
            or user.has_group("account.group_account_readonly")
        ):
            raise AccessError(
                self.env._("Only accounting users can print customer statements.")
            )
        if not user._is_billing_report_restricted():
            return
        teams = user._get_billing_report_teams()
        refused = partners.filtered(
            lambda p: p.billing_team_id
            and p.billing_team_id not in teams
            and p.billing_coordinator_id != user
        )
        if refused:
            raise AccessError(
                self.env._(
                    "You can only report on your own and your teams' customers, "
                    "not on %(customers)s.",
                    customers=", ".join(refused.mapped("display_name")),
                )
            )
