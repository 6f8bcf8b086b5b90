"""Who works a case: team routing, automatic assignment, take / release / reassign and
take-next. The team's method hands out new cases in one pass per batch (see
``_assign_to_team_members``)."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL

from .billing_case import OPEN_STATES


class BillingCase(models.Model):
    _inherit = "billing.case"

    team_id = fields.Many2one(
        "billing.team",
        string="Team",
        compute="_compute_team_id",
        store=True,
        readonly=False,
        index=True,
        tracking=True,
        check_company=True,
        help="The team whose queue holds the case: the customer's team, else the team "
        "routing by customer tag or country.",
    )

    # Take Next walks this index in its order and stops at the first case of the
    # user's teams: no sort over all open cases (the WHERE is the one of
    # _get_take_next_domain without its per-user parts; states are OPEN_STATES).
    _take_next_idx = models.Index(
        "(priority_score DESC NULLS LAST, deadline, id)"
        " WHERE user_id IS NULL AND active IS TRUE"
        " AND state IN ('new', 'in_progress', 'waiting_customer')"
    )

    @api.depends("partner_id", "company_id")
    def _compute_team_id(self):
        Team = self.env["billing.team"]
        for company, cases in self.filtered("partner_id").grouped("company_id").items():
            routes = Team._route_partners(cases.partner_id, company)
            for case in cases:
                case.team_id = routes.get(
                    case.partner_id.commercial_partner_id.id, False
                )

    # ------------------------------------------------------------------- CRUD

    @api.model_create_multi
    def create(self, vals_list):
        cases = super().create(vals_list)
        if self.env.context.get("billing_no_auto_assign"):
            return cases
        cases._assign_new_cases(vals_list)
        return cases

    @api.private
    def _assign_new_cases(self, vals_list):
        """The first assignee of these new cases (created from ``vals_list``, in that
        order): the customer's coordinator comes first, unless they are away: then the
        team's method decides, as for customers without a coordinator."""
        chosen = {i for i, vals in enumerate(vals_list) if vals.get("user_id")}
        defaulted = self.browse(
            c.id for i, c in enumerate(self) if i not in chosen and c.user_id
        )
        away = self._get_away_users(defaulted.user_id)
        # The first assignee is part of the creation: no tracking message per case (a
        # detection run creates hundreds at once).
        quiet = self.with_context(mail_notrack=True)
        if away:
            quiet.filtered(lambda c: c.user_id in away).user_id = False
        quiet.filtered(lambda c: not c.user_id)._assign_to_team_members()

    # ------------------------------------------------------------- assignment

    @api.model
    def _get_open_case_loads(self, users):
        """Open cases per coordinator: {user id: count}, one query for all ``users``."""
        if not users:
            return {}
        # sudo: a coordinator's load counts all their open cases, also those of teams
        # the user assigning cannot see.
        groups = self.sudo()._read_group(
            # sudo: a member's load counts all their cases, also those the caller cannot see.
            [("user_id", "in", users.ids), ("state", "in", OPEN_STATES)],
            ["user_id"],
            ["__count"],
        )
        return {user.id: count for user, count in groups}

    @api.model
    def _get_away_users(self, users):
        """The ``users`` marked away today in one of their teams."""
        if not users:
            return users
        # sudo: absence is team bookkeeping that the creating user may not read.
        memberships = (
            self.env["billing.team.member"]
            .sudo()
            .search(
                Domain("user_id", "in", users.ids) & Domain("is_away", "in", [True])
            )
        )
        return memberships.user_id.with_env(self.env)

    @api.private
    def _assign_to_team_members(self, exclude_users=None):
        """Hand these unassigned open cases to members of their teams by each team's
        method, in one pass (``_plan_team_assignment``): one write per member. Cases
        of a manual team, of no team, or of a team whose members are all away or at
        capacity stay unassigned."""
        cases = self.filtered(
            lambda c: not c.user_id and c.team_id and c.state in OPEN_STATES
        )
        plan = self._plan_team_assignment(
            [(case, case.team_id.id, case.priority_score, case.id) for case in cases],
            exclude_users,
        )
        handed = {}  # user -> cases
        for case, user in plan:
            handed.setdefault(user, self.browse())
            handed[user] |= case
        assigned = self.browse()
        for user, user_cases in handed.items():
            user_cases.write({"user_id": user.id})
            assigned |= user_cases
        return assigned

    @api.model
    def _plan_team_assignment(self, candidates, exclude_users=None, extra_loads=None):
        """Who gets which unassigned open case, by each team's method: [(key, user)]
        in the order handed out. ``candidates``: (key, team id, priority score, order)
        per case, in the order of the cases; each team hands out its cases by score,
        then ``order``. One load query for all members (plus ``extra_loads``, {user id:
        open cases not in the database yet}), the round-robin position of each team
        written once. Shared by ``_assign_to_team_members`` and the cases a first
        detection run inserts already assigned (billing_case_detection_bulk_assign)."""
        teams = (
            self.env["billing.team"]
            .browse(dict.fromkeys(team_id for _key, team_id, *_rest in candidates))
            .filtered(lambda t: t.assignment_method != "manual")
        )
        if not teams:
            return []
        exclude = exclude_users or self.env["res.users"]
        # sudo: routing reads the memberships and the round-robin position of the team,
        # which coordinators do not edit.
        memberships = teams.sudo().membership_ids.filtered(
            lambda m: not m.is_away and m.user_id.active and m.user_id not in exclude
        )
        loads = self._get_open_case_loads(memberships.user_id)
        for user_id, count in (extra_loads or {}).items():
            loads[user_id] = loads.get(user_id, 0) + count
        by_team = {}
        for candidate in candidates:
            by_team.setdefault(candidate[1], []).append(candidate)
        plan = []
        for team in teams:
            members = memberships.filtered(
                lambda m, team=team: m.team_id == team
            ).sorted(lambda m: (m.sequence, m.id))
            todo = sorted(by_team[team.id], key=lambda c: (-c[2], c[3]))
            if not members or not todo:
                continue
            pick = (
                self._pick_round_robin
                if team.assignment_method == "round_robin"
                else self._pick_least_loaded
            )
            # sudo: the round-robin pointer is bookkeeping of the assignment, read and
            # written for users who have no write right on teams.
            last = team.sudo().last_assigned_user_id
            for key, *_rest in todo:
                member = pick(members, loads, last)
                if not member:
                    break  # everybody is at capacity: the rest waits in the team queue
                user = member.user_id
                loads[user.id] = loads.get(user.id, 0) + 1
                plan.append((key, user))
                last = user
            if (
                team.assignment_method == "round_robin"
                # sudo: the round-robin pointer, see above.
                and last != team.sudo().last_assigned_user_id
            ):
                # sudo: the round-robin pointer, see above.
                team.sudo().last_assigned_user_id = last
        return plan

    @staticmethod
    def _has_capacity(member, loads):
        return not member.capacity or loads.get(member.user_id.id, 0) < member.capacity

    @api.model
    def _pick_round_robin(self, members, loads, last_user):
        """The member after ``last_user`` in team order who still has capacity."""
        users = members.user_id
        start = users.ids.index(last_user.id) + 1 if last_user in users else 0
        ordered = list(members)[start:] + list(members)[:start]
        return next((m for m in ordered if self._has_capacity(m, loads)), None)

    @api.model
    def _pick_least_loaded(self, members, loads, last_user):
        """The member with the fewest open cases who still has capacity (ties: team order)."""
        candidates = [m for m in members if self._has_capacity(m, loads)]
        return min(candidates, key=lambda m: loads.get(m.user_id.id, 0), default=None)

    # ---------------------------------------------------------------- actions

    def _check_open(self):
        closed = self.filtered(lambda c: c.state not in OPEN_STATES)
        if closed:
            raise UserError(
                self.env._(
                    "Only open cases can be taken, released or reassigned: %(cases)s.",
                    cases=", ".join(closed.mapped("name")),
                )
            )

    def action_take(self):
        """Assign these cases to the current user."""
        self._check_open()
        self.write({"user_id": self.env.uid})
        return True

    def action_release(self):
        """Give these cases back to their team queue (unassigned)."""
        self._check_open()
        self.write({"user_id": False})
        return True

    def _check_can_reassign(self):
        """Managers reassign any case; team leaders the cases of their teams."""
        if self.env.user.has_group("billing_coordinator.group_billing_manager"):
            return
        foreign = self.filtered(lambda c: c.team_id.leader_id != self.env.user)
        if foreign:
            raise AccessError(
                self.env._(
                    "Only billing managers and the team leader can reassign %(cases)s.",
                    cases=", ".join(foreign.mapped("name")),
                )
            )

    def _reassign(self, user=None, team=None):
        """Give these open cases to ``user`` and/or move them to ``team`` (leaders and
        managers). Each change is tracked in the chatter of the case."""
        self._check_open()
        self._check_can_reassign()
        vals = {}
        if team is not None:
            vals["team_id"] = team.id
        if user is not None:
            vals["user_id"] = user.id
        if team and user and user not in team.member_ids | team.leader_id:
            raise UserError(
                self.env._(
                    "%(user)s is not a member of team %(team)s.",
                    user=user.name,
                    team=team.name,
                )
            )
        if vals:
            self.write(vals)
        return True

    def action_open_reassign_wizard(self):
        self.check_access("write")  # no wizard over cases the user cannot change
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reassign Cases"),
            "res_model": "billing.case.reassign",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": "billing.case", "active_ids": self.ids},
        }

    @api.model
    def _get_take_next_domain(self):
        """Cases the current user may take next: open, unassigned, in one of their teams
        or in no team, not waiting for a follow-up date."""
        user = self.env.user
        teams = self.env["billing.team"].search(
            Domain("member_ids", "in", user.ids) | Domain("leader_id", "=", user.id)
        )
        return (
            self._get_in_queue_domain()
            & Domain("user_id", "=", False)
            & Domain("company_id", "in", self.env.companies.ids)
            & (Domain("team_id", "in", teams.ids) | Domain("team_id", "=", False))
        )

    def action_take_next(self):
        """Give the current user the highest-scored unassigned case of their teams.

        Not ``@api.model``: the list header button calls it through ``call_button``,
        which passes the (empty) selection as ids; the records of ``self`` are ignored.

        The row is claimed with ``FOR NO KEY UPDATE SKIP LOCKED`` (as ir.cron claims a
        job): two coordinators pressing it at the same time get different cases."""
        # Readers of cases (invoicing clerks) are told now, not after a case was claimed.
        self.check_access("write")
        query = self._search(
            self._get_take_next_domain(),
            order="priority_score DESC NULLS LAST, deadline, id",
            limit=1,
        )
        self.flush_model(["user_id", "priority_score", "deadline"])
        rows = self.env.execute_query(
            SQL(
                "%s FOR NO KEY UPDATE OF %s SKIP LOCKED",
                query.select(),
                SQL.identifier(self._table),
            )
        )
        if not rows:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "title": self.env._("Nothing to take"),
                    "message": self.env._(
                        "Your teams have no unassigned open case right now. Well done!"
                    ),
                    "type": "info",
                },
            }
        case = self.browse(rows[0][0])
        case.write({"user_id": self.env.uid})
        if case.state == "new":
            case.action_start()
        return case._get_take_next_form_action()

    def _get_take_next_form_action(self):
        """The form of the taken case in the case window action (its name and path for
        the breadcrumb and the URL). Built here, not read with ``_for_xml_id``: that
        reads the whole action (views, groups, list help) which a form does not use,
        and was about a fifth of the time of Take Next."""
        self.ensure_one()
        # sudo: window actions are read as _for_xml_id reads them (users have no read
        # right on ir.actions.act_window); only the name and path are returned.
        window = self.env.ref("billing_coordinator.billing_case_action").sudo()
        return {
            "type": "ir.actions.act_window",
            "id": window.id,
            "name": window.name,
            "path": window.path,
            "res_model": self._name,
            "res_id": self.id,
            "domain": [("id", "in", self.ids)],
            "context": {"create": False},
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }
