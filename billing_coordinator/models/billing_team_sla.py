from odoo import fields, models

from .billing_case import OPEN_STATES


class BillingTeam(models.Model):
    _inherit = "billing.team"

    breached_case_count = fields.Integer(
        string="Breached Cases",
        compute="_compute_breached_case_count",
        help="Open cases of the team whose SLA was breached.",
    )

    def _compute_breached_case_count(self):
        counts = dict(
            self.env["billing.case"]._read_group(
                [
                    ("team_id", "in", self.ids),
                    ("state", "in", OPEN_STATES),
                    ("sla_breached", "=", True),
                ],
                ["team_id"],
                ["__count"],
            )
        )
        for team in self:
            team.breached_case_count = counts.get(team, 0)

    def action_view_breached_cases(self):
        """The team queue restricted to its breached cases."""
        action = self.action_view_queue()
        action["context"] = dict(action["context"], search_default_breached=1)
        return action
