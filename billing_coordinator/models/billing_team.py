from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command, Domain

ASSIGNMENT_METHODS = [
    ("manual", "Manual"),
    ("round_robin", "Round Robin"),
    ("least_loaded", "Least Loaded"),
]


class BillingTeam(models.Model):
    """A group of coordinators sharing a queue.

    Which team serves a customer, in this order (see ``_route_partners``):

    1. the customer's own team (``res.partner.billing_team_id``);
    2. the first team, by sequence, with one of the customer's tags;
    3. the first team, by sequence, serving the customer's country;
    4. no team: the case waits in the company-wide pool.
    """

    _name = "billing.team"
    _description = "Billing Team"
    _inherit = ["mail.thread"]
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(
        default=10, help="Routing order when several teams match."
    )
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    leader_id = fields.Many2one(
        "res.users",
        string="Team Leader",
        tracking=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Gets the escalations of the team and may reassign its cases.",
    )
    membership_ids = fields.One2many(
        "billing.team.member", "team_id", string="Members and Capacity", copy=True
    )
    member_ids = fields.Many2many(
        "res.users",
        string="Members",
        compute="_compute_member_ids",
        inverse="_inverse_member_ids",
        search="_search_member_ids",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    assignment_method = fields.Selection(
        ASSIGNMENT_METHODS,
        default="round_robin",
        required=True,
        tracking=True,
        help="How new cases of the team are handed out: left in the team queue (manual), "
        "to each member in turn (round robin) or to the member with the fewest open cases "
        "(least loaded). Members who are away or at capacity are skipped.",
    )
    partner_category_ids = fields.Many2many(
        "res.partner.category",
        string="Customer Tags",
        help="Customers with one of these tags go to this team (unless they have a team "
        "of their own).",
    )
    country_ids = fields.Many2many(
        "res.country",
        string="Countries",
        help="Customers in these countries go to this team, after tags and explicit teams.",
    )
    partner_ids = fields.One2many(
        "res.partner",
        "billing_team_id",
        string="Customers",
        domain=[("parent_id", "=", False)],
    )
    # Where round robin stands, so that the next run continues with the next member.
    last_assigned_user_id = fields.Many2one("res.users", readonly=True, copy=False)
    case_ids = fields.One2many("billing.case", "team_id", string="Cases")
    open_case_count = fields.Integer(compute="_compute_case_counts")
    unassigned_case_count = fields.Integer(compute="_compute_case_counts")

    @api.depends("membership_ids.user_id")
    def _compute_member_ids(self):
        for team in self:
            team.member_ids = team.membership_ids.user_id

    def _inverse_member_ids(self):
        for team in self:
            users = team.member_ids
            team.membership_ids.filtered(lambda m: m.user_id not in users).unlink()
            missing = users - team.membership_ids.user_id
            team.membership_ids = [
                Command.create({"user_id": user.id}) for user in missing
            ]

    def _search_member_ids(self, operator, value):
        return [("membership_ids.user_id", operator, value)]

    def _compute_case_counts(self):
        from .billing_case import OPEN_STATES

        groups = self.env["billing.case"]._read_group(
            [("team_id", "in", self.ids), ("state", "in", OPEN_STATES)],
            ["team_id", "user_id"],
            ["__count"],
        )
        total, unassigned = {}, {}
        for team, user, count in groups:
            total[team] = total.get(team, 0) + count
            if not user:
                unassigned[team] = count
        for team in self:
            team.open_case_count = total.get(team, 0)
            team.unassigned_case_count = unassigned.get(team, 0)

    @api.constrains("company_id", "membership_ids", "leader_id")
    def _check_members_company(self):
        for team in self:
            users = team.membership_ids.user_id | team.leader_id
            foreign = users.filtered(lambda u: team.company_id not in u.company_ids)
            if foreign:
                raise UserError(
                    self.env._(
                        "%(users)s cannot work in team %(team)s: they have no access to "
                        "company %(company)s.",
                        users=", ".join(foreign.mapped("name")),
                        team=team.name,
                        company=team.company_id.name,
                    )
                )

    # ---------------------------------------------------------------- routing

    @api.model
    def _route_partners(self, partners, company):
        """The team serving each customer in ``company``: {partner id: team}.

        One search of the company's teams for the whole batch; the order is in the class
        docstring. Partners without a matching team are missing from the result.
        """
        partners = partners.commercial_partner_id
        teams = self.search(Domain("company_id", "=", company.id))
        result = {}
        for partner in partners:
            own = partner.billing_team_id
            if own and own.active and own.company_id == company:
                result[partner.id] = own
                continue
            team = next(
                (t for t in teams if t.partner_category_ids & partner.category_id), None
            ) or next((t for t in teams if partner.country_id in t.country_ids), None)
            if team:
                result[partner.id] = team
        return result

    # ---------------------------------------------------------------- actions

    def action_view_queue(self):
        """The team queue: its open cases, unassigned first."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "billing_coordinator.billing_case_action_team"
        )
        action["domain"] = [("team_id", "=", self.id)]
        action["context"] = {"default_team_id": self.id, "search_default_open": 1}
        action["display_name"] = self.env._("Queue of %(team)s", team=self.name)
        return action
