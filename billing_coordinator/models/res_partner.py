from odoo import api, fields, models

from .billing_case import OPEN_STATES


class ResPartner(models.Model):
    _inherit = "res.partner"

    billing_coordinator_id = fields.Many2one(
        "res.users",
        string="Billing Coordinator",
        tracking=True,
        domain="[('share', '=', False)]",
        help="Coordinator who gets this customer's new billing cases.",
    )
    billing_team_id = fields.Many2one(
        "billing.team",
        string="Billing Team",
        tracking=True,
        index="btree_not_null",
        help="Team whose queue gets this customer's new billing cases. Empty: the team "
        "routing by tag and country decides.",
    )
    billing_case_ids = fields.One2many(
        "billing.case", "partner_id", string="Billing Cases"
    )
    billing_open_case_ids = fields.One2many(
        "billing.case",
        "partner_id",
        string="Open Billing Cases",
        domain=[("state", "in", OPEN_STATES)],
    )
    billing_case_count = fields.Integer(compute="_compute_billing_case_count")

    @api.depends("billing_case_ids")
    def _compute_billing_case_count(self):
        # Cases hang on the commercial entity: a contact shows its company's cases.
        commercial_partners = self.commercial_partner_id
        counts = dict(
            self.env["billing.case"]._read_group(
                [("partner_id", "in", commercial_partners.ids)],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.billing_case_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_billing_cases(self):
        self.ensure_one()
        cases = self.env["billing.case"].search(
            [("partner_id", "=", self.commercial_partner_id.id)]
        )
        action = cases._action_open_cases()
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + [
            "billing_coordinator_id",
            "billing_team_id",
        ]
