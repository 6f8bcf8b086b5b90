from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain


class BillingTeamMember(models.Model):
    """A coordinator's place in a team: capacity and absence."""

    _name = "billing.team.member"
    _description = "Billing Team Member"
    _order = "team_id, sequence, id"
    _rec_name = "user_id"

    team_id = fields.Many2one(
        "billing.team", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="team_id.company_id", store=True, index=True)
    user_id = fields.Many2one(
        "res.users",
        string="Coordinator",
        required=True,
        index=True,
        ondelete="cascade",
        domain="[('share', '=', False)]",
    )
    sequence = fields.Integer(
        default=10, help="Order in which round robin hands out cases."
    )
    capacity = fields.Integer(
        string="Max Open Cases",
        default=0,
        help="A member with this many open cases gets no new case; 0 means no limit.",
    )
    away_until = fields.Date(
        help="Away up to and including this date: no new cases until then.",
    )
    is_away = fields.Boolean(compute="_compute_is_away", search="_search_is_away")
    open_case_count = fields.Integer(compute="_compute_open_case_count")

    _user_team_unique = models.UniqueIndex(
        "(team_id, user_id)", "A coordinator is a member of a team only once."
    )
    _capacity_positive = models.Constraint(
        "CHECK(capacity >= 0)", "The capacity of a team member cannot be negative."
    )

    def write(self, vals):
        # Leaders may write their team's memberships (rule), but only capacity, order and
        # absence: who is in which team is the managers' decision, like creating one.
        if (
            {"team_id", "user_id"} & set(vals)
            and not self.env.su
            and not self.env.user.has_group("billing_coordinator.group_billing_manager")
        ):
            raise AccessError(
                self.env._(
                    "Only billing managers change who is in a team; team leaders change the "
                    "capacity, order and absence of their members."
                )
            )
        return super().write(vals)

    @api.depends("away_until")
    @api.depends_context("tz")
    def _compute_is_away(self):
        today = fields.Date.context_today(self)
        for member in self:
            member.is_away = bool(member.away_until and member.away_until >= today)

    def _search_is_away(self, operator, value):
        if operator != "in":
            return NotImplemented
        today = fields.Date.context_today(self)
        if True in value:
            return Domain("away_until", ">=", today)
        return Domain("away_until", "=", False) | Domain("away_until", "<", today)

    def _compute_open_case_count(self):
        loads = self.env["billing.case"]._get_open_case_loads(self.user_id)
        for member in self:
            member.open_case_count = loads.get(member.user_id.id, 0)

    def action_redistribute_cases(self):
        """Hand this member's open cases in the team to the other members by the team's
        method (leaders and managers); cases nobody can take wait in the team queue."""
        from .billing_case import OPEN_STATES

        user = self.env.user
        if not user.has_group("billing_coordinator.group_billing_manager") and any(
            member.team_id.leader_id != user for member in self
        ):
            raise AccessError(
                self.env._(
                    "Only billing managers and the team leader redistribute cases."
                )
            )
        Case = self.env["billing.case"]
        redistributed = Case
        for member in self:
            cases = Case.search(
                Domain("team_id", "=", member.team_id.id)
                & Domain("user_id", "=", member.user_id.id)
                & Domain("state", "in", OPEN_STATES)
            )
            cases.write({"user_id": False})
            cases._assign_to_team_members(exclude_users=member.user_id)
            redistributed |= cases
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Cases redistributed"),
                "message": self.env._(
                    "%(count)s case(s) handed to other members; %(left)s wait in the team queue.",
                    count=len(redistributed.filtered("user_id")),
                    left=len(redistributed.filtered(lambda c: not c.user_id)),
                ),
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
