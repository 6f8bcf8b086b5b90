from odoo import api, fields, models
from odoo.exceptions import UserError


class BillingCaseReassign(models.TransientModel):
    _name = "billing.case.reassign"
    _description = "Reassign Billing Cases"

    case_ids = fields.Many2many("billing.case", string="Cases", required=True)
    case_count = fields.Integer(compute="_compute_case_count")
    team_id = fields.Many2one(
        "billing.team",
        string="Move to Team",
        help="Leave empty to keep each case in its team.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Give to",
        domain=lambda self: [
            ("share", "=", False),
            (
                "all_group_ids",
                "in",
                self.env.ref("billing_coordinator.group_billing_user").ids,
            ),
        ],
        help="Leave empty with a team chosen: the team's assignment method hands the cases out.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "billing.case":
            values["case_ids"] = [
                fields.Command.set(self.env.context.get("active_ids", []))
            ]
        return values

    @api.depends("case_ids")
    def _compute_case_count(self):
        for wizard in self:
            wizard.case_count = len(wizard.case_ids)

    def action_apply(self):
        self.ensure_one()
        if not self.team_id and not self.user_id:
            raise UserError(self.env._("Choose a coordinator, a team or both."))
        if self.user_id:
            self.case_ids._reassign(user=self.user_id, team=self.team_id or None)
        else:
            self.case_ids._reassign(user=self.env["res.users"], team=self.team_id)
            self.case_ids._assign_to_team_members()
        return {"type": "ir.actions.act_window_close"}
