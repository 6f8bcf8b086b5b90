from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import BillingCaseCommon


@tagged("post_install", "-at_install")
class BillingTeamCommon(BillingCaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        user_group = cls.env.ref("billing_coordinator.group_billing_user")
        cls.anna, cls.ben, cls.cleo, cls.dora = (
            cls._create_billing_user(login, [user_group])
            for login in ("t_anna", "t_ben", "t_cleo", "t_dora")
        )
        cls.leader = cls._create_billing_user("team_leader", [user_group])
        cls.team_a = cls.env["billing.team"].create(
            {
                "name": "Key Accounts",
                "sequence": 1,
                "leader_id": cls.leader.id,
                "assignment_method": "round_robin",
                "member_ids": [Command.set((cls.anna | cls.ben | cls.cleo).ids)],
            }
        )
        cls.team_b = cls.env["billing.team"].create(
            {
                "name": "Small Business",
                "sequence": 2,
                "assignment_method": "least_loaded",
                "member_ids": [Command.set(cls.dora.ids)],
            }
        )
        cls.customer.billing_team_id = cls.team_a
        cls.other_customer.billing_team_id = cls.team_b

    @classmethod
    def _new_cases(cls, count, partner=None, **vals):
        partner = partner or cls.customer
        return cls.env["billing.case"].create(
            [
                {
                    "partner_id": partner.id,
                    "case_type_id": cls.type_overcharge.id,
                    **vals,
                }
                for _i in range(count)
            ]
        )


@tagged("post_install", "-at_install")
class TestTeamAssignment(BillingTeamCommon):
    def test_members_are_memberships(self):
        self.assertEqual(
            self.team_a.membership_ids.user_id, self.anna | self.ben | self.cleo
        )
        self.team_a.member_ids = [Command.unlink(self.ben.id)]
        self.assertEqual(self.team_a.member_ids, self.anna | self.cleo)
        self.assertEqual(
            self.env["billing.team"].search([("member_ids", "in", self.cleo.ids)]),
            self.team_a,
        )

    def test_round_robin_continues_across_runs(self):
        first = self._new_cases(2)
        self.assertEqual(first.mapped("user_id"), self.anna | self.ben)
        self.assertEqual([c.user_id for c in first], [self.anna, self.ben])
        self.assertEqual(self.team_a.last_assigned_user_id, self.ben)
        second = self._new_cases(2)
        self.assertEqual(
            [c.user_id for c in second],
            [self.cleo, self.anna],
            "the second run goes on after Ben, not with Anna again",
        )
        self.assertTrue(all(case.team_id == self.team_a for case in first | second))

    def test_least_loaded_counts_open_cases(self):
        self.team_a.assignment_method = "least_loaded"
        # Anna has two open cases, Ben one closed and one open, Cleo none.
        self._new_cases(2, user_id=self.anna.id)
        closed = self._new_cases(1, user_id=self.ben.id)
        closed.state = "cancelled"
        self._new_cases(1, user_id=self.ben.id)
        cases = self._new_cases(3)
        # Loads 2/1/0: Cleo (0 -> 1); Ben and Cleo tie at 1, team order gives Ben (-> 2);
        # then Cleo has the fewest (1 against 2 and 2).
        self.assertEqual([c.user_id for c in cases], [self.cleo, self.ben, self.cleo])

    def test_capacity_stops_assignment(self):
        self.team_a.membership_ids.filtered(
            lambda m: m.user_id == self.anna
        ).capacity = 1
        self.team_a.membership_ids.filtered(
            lambda m: m.user_id == self.ben
        ).capacity = 1
        self.team_a.membership_ids.filtered(
            lambda m: m.user_id == self.cleo
        ).capacity = 1
        cases = self._new_cases(4)
        self.assertEqual(cases[:3].user_id, self.anna | self.ben | self.cleo)
        self.assertFalse(
            cases[3].user_id,
            "everybody is at capacity: the case waits in the team queue",
        )
        self.assertEqual(cases[3].team_id, self.team_a)

    def test_away_member_gets_nothing(self):
        self.team_a.membership_ids.filtered(
            lambda m: m.user_id == self.ben
        ).away_until = self.today + timedelta(days=3)
        cases = self._new_cases(4)
        self.assertNotIn(self.ben, cases.user_id)
        self.assertEqual(
            [c.user_id for c in cases], [self.anna, self.cleo, self.anna, self.cleo]
        )
        # Back yesterday: counts again (after Cleo comes Anna, then Ben).
        self.team_a.membership_ids.filtered(
            lambda m: m.user_id == self.ben
        ).away_until = self.today - timedelta(days=1)
        self.assertEqual([c.user_id for c in self._new_cases(2)], [self.anna, self.ben])

    def test_assignment_is_one_pass(self):
        """Handing out 30 or 300 cases costs the same few queries: no query per case or
        per member (detection creates hundreds of cases in one run)."""
        for count in (30, 300):
            cases = self._new_cases(count).with_context(mail_notrack=True)
            cases.user_id = False
            self.env.invalidate_all()
            with self.assertQueryCount(15):
                cases._assign_to_team_members()
            self.assertEqual(
                sorted(
                    len(cases.filtered(lambda c, u=u: c.user_id == u))
                    for u in self.team_a.member_ids
                ),
                [count // 3] * 3,
            )

    def test_manual_team_leaves_cases_unassigned(self):
        self.team_a.assignment_method = "manual"
        cases = self._new_cases(2)
        self.assertFalse(cases.user_id)
        self.assertEqual(cases.team_id, self.team_a)

    def test_customer_coordinator_comes_first(self):
        self.customer.billing_coordinator_id = self.cleo
        cases = self._new_cases(2)
        self.assertEqual(cases.user_id, self.cleo)
        self.assertFalse(self.team_a.last_assigned_user_id, "round robin did not move")
        # Away: the team's method decides.
        self.team_a.membership_ids.filtered(
            lambda m: m.user_id == self.cleo
        ).away_until = self.today
        case = self._new_cases(1)
        self.assertEqual(case.user_id, self.anna)

    def test_explicit_coordinator_kept(self):
        case = self._new_cases(1, user_id=self.dora.id)
        self.assertEqual(case.user_id, self.dora)

    def test_redistribute_away_member(self):
        cases = self._new_cases(6)
        bens = cases.filtered(lambda c: c.user_id == self.ben)
        self.assertEqual(len(bens), 2)
        membership = self.team_a.membership_ids.filtered(
            lambda m: m.user_id == self.ben
        )
        membership.away_until = self.today + timedelta(days=7)
        with self.assertRaises(AccessError):
            membership.with_user(self.anna).action_redistribute_cases()
        # Tests disable tracking by default; a user's session does not.
        membership.with_user(self.leader).with_context(
            tracking_disable=False, mail_notrack=False
        ).action_redistribute_cases()
        self.assertFalse(bens.user_id & self.ben)
        self.assertEqual(
            len(bens.user_id), 2, "one each to Anna and Cleo, by round robin"
        )
        self.env.cr.flush()  # tracking values are written at flush time
        # sudo: tracking values are readable by administrators only
        tracking = (
            bens[0]
            .message_ids.sudo()
            .tracking_value_ids.filtered(lambda t: t.field_id.name == "user_id")
        )
        self.assertTrue(tracking, "the reassignment is tracked in the chatter")


@tagged("post_install", "-at_install")
class TestTeamRouting(BillingTeamCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tag_key = cls.env["res.partner.category"].create({"name": "Key Account"})
        cls.team_a.partner_category_ids = cls.tag_key
        cls.team_b.country_ids = cls.env.ref("base.de")

    def test_routing_order(self):
        Partner = self.env["res.partner"]
        tagged_german = Partner.create(
            {
                "name": "Tagged GmbH",
                "is_company": True,
                "category_id": [Command.set(self.tag_key.ids)],
                "country_id": self.env.ref("base.de").id,
            }
        )
        german = Partner.create(
            {
                "name": "Deutsch AG",
                "is_company": True,
                "country_id": self.env.ref("base.de").id,
            }
        )
        french = Partner.create(
            {
                "name": "Paris SARL",
                "is_company": True,
                "country_id": self.env.ref("base.fr").id,
            }
        )
        own = Partner.create(
            {
                "name": "Own Team GmbH",
                "is_company": True,
                "country_id": self.env.ref("base.de").id,
                "category_id": [Command.set(self.tag_key.ids)],
                "billing_team_id": self.team_b.id,
            }
        )
        routes = self.env["billing.team"]._route_partners(
            tagged_german | german | french | own, self.company
        )
        self.assertEqual(
            routes[tagged_german.id], self.team_a, "a tag wins over the country"
        )
        self.assertEqual(routes[german.id], self.team_b)
        self.assertNotIn(french.id, routes)
        self.assertEqual(
            routes[own.id], self.team_b, "the customer's own team wins over everything"
        )
        case = self._new_cases(1, partner=german)
        self.assertEqual(case.team_id, self.team_b)
        self.assertEqual(case.user_id, self.dora)
        self.assertFalse(self._new_cases(1, partner=french).team_id)

    def test_contact_uses_commercial_partner_team(self):
        case = self._new_cases(1, partner=self.customer_contact)
        self.assertEqual(case.partner_id, self.customer)
        self.assertEqual(case.team_id, self.team_a)

    def test_team_of_other_company_not_routed(self):
        other = self.setup_other_company(name="Routing Co")["company"]
        self.assertFalse(self.env["billing.team"]._route_partners(self.customer, other))


@tagged("post_install", "-at_install")
class TestTakeNextAndReassign(BillingTeamCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_a.assignment_method = "manual"
        cls.team_b.assignment_method = "manual"

    def test_take_next_gives_highest_score(self):
        low, high, mid = self._new_cases(3)
        low.priority_score, high.priority_score, mid.priority_score = 10, 90, 50
        other_team = self._new_cases(1, partner=self.other_customer)
        other_team.priority_score = 500
        Case = self.env["billing.case"].with_user(self.anna)
        Case.action_take_next()
        self.assertEqual(high.user_id, self.anna)
        self.assertEqual(high.state, "in_progress")
        Case.action_take_next()
        Case.action_take_next()
        self.assertEqual((low | mid).user_id, self.anna)
        self.assertFalse(other_team.user_id, "another team's case is never handed out")
        result = Case.action_take_next()
        self.assertEqual(
            result["tag"], "display_notification", "nothing left: a message, no error"
        )

    def test_take_next_opens_the_taken_case(self):
        first, second = self._new_cases(2)
        first.priority_score, second.priority_score = 20, 80
        action = self.env["billing.case"].with_user(self.anna).action_take_next()
        window = self.env.ref("billing_coordinator.billing_case_action")
        self.assertEqual(
            (action["res_model"], action["res_id"], action["views"]),
            ("billing.case", second.id, [(False, "form")]),
        )
        self.assertEqual((action["id"], action["path"]), (window.id, window.path))
        self.assertEqual(action["domain"], [("id", "in", second.ids)])
        self.assertFalse(first.user_id)

    def test_take_release(self):
        case = self._new_cases(1)
        case.with_user(self.ben).action_take()
        self.assertEqual(case.user_id, self.ben)
        case.with_user(self.ben).action_release()
        self.assertFalse(case.user_id)
        case.state = "resolved"
        with self.assertRaises(UserError):
            case.with_user(self.ben).action_take()

    def test_bulk_reassign_by_leader_only(self):
        cases = self._new_cases(3)
        wizard = (
            self.env["billing.case.reassign"]
            .with_user(self.anna)
            .with_context(active_model="billing.case", active_ids=cases.ids)
            .create({"user_id": self.ben.id})
        )
        with self.assertRaises(AccessError):
            wizard.action_apply()
        self.assertFalse(cases.user_id)
        wizard = (
            self.env["billing.case.reassign"]
            .with_user(self.leader)
            .with_context(active_model="billing.case", active_ids=cases.ids)
            .create({"user_id": self.ben.id})
        )
        wizard.action_apply()
        self.assertEqual(cases.user_id, self.ben)
        # A manager moves them to the other team, whose method hands them out.
        self.team_b.assignment_method = "least_loaded"
        wizard = (
            self.env["billing.case.reassign"]
            .with_user(self.manager)
            .with_context(active_model="billing.case", active_ids=cases.ids)
            .create({"team_id": self.team_b.id})
        )
        wizard.action_apply()
        self.assertEqual(cases.team_id, self.team_b)
        self.assertEqual(cases.user_id, self.dora)

    def test_reassign_to_non_member_refused(self):
        cases = self._new_cases(1)
        with self.assertRaises(UserError):
            cases.with_user(self.manager)._reassign(user=self.dora, team=self.team_a)
        self.assertFalse(cases.user_id)


@tagged("post_install", "-at_install")
class TestTeamSecurity(BillingTeamCommon):
    def test_coordinators_see_own_team_and_pool(self):
        case_a = self._new_cases(1)
        case_b = self._new_cases(1, partner=self.other_customer)
        pool = self._new_cases(
            1, partner=self.env["res.partner"].create({"name": "No Team"})
        )
        self.assertFalse(pool.team_id)
        Case = self.env["billing.case"].with_user(self.anna)
        visible = Case.search([("id", "in", (case_a | case_b | pool).ids)])
        self.assertEqual(visible, case_a | pool)
        with self.assertRaises(AccessError):
            case_b.with_user(self.anna).read(["name"])
        with self.assertRaises(AccessError):
            case_b.with_user(self.anna).write({"expected_amount": 1.0})
        with self.assertRaises(AccessError):
            case_b.with_user(self.anna).action_start()
        self.assertEqual(case_b.state, "new")
        # The leader of team A (not a member) sees team A.
        self.assertIn(
            case_a, self.env["billing.case"].with_user(self.leader).search([])
        )
        # Managers see everything.
        self.assertEqual(
            self.env["billing.case"]
            .with_user(self.manager)
            .search([("id", "in", (case_a | case_b | pool).ids)]),
            case_a | case_b | pool,
        )

    def test_every_action_refused_on_other_team_case(self):
        """Any action method called over RPC on another team's case is refused."""
        case_b = self._new_cases(1, partner=self.other_customer)
        model_level = {"action_take_next", "action_run_detection"}
        actions = sorted(
            name
            for name in dir(type(case_b))
            if name.startswith("action_")
            and name not in model_level
            and callable(getattr(type(case_b), name))
        )
        self.assertIn("action_take", actions)
        for name in actions:
            with self.subTest(action=name), self.assertRaises(AccessError):
                getattr(case_b.with_user(self.anna), name)()
        self.assertEqual(case_b.state, "new")
        self.assertFalse(case_b.user_id & self.anna)
        # The case summary report is refused too.
        with self.assertRaises(AccessError):
            self.env["ir.actions.report"].with_user(self.anna)._render_qweb_html(
                "billing_coordinator.billing_case_report_action", case_b.ids
            )

    def test_leader_edits_own_team_members_only(self):
        anna_membership = self.team_a.membership_ids.filtered(
            lambda m: m.user_id == self.anna
        )
        anna_membership.with_user(self.leader).capacity = 5
        self.assertEqual(anna_membership.capacity, 5)
        with self.assertRaises(AccessError):
            anna_membership.with_user(self.ben).capacity = 9
        with self.assertRaises(AccessError):
            self.team_a.with_user(self.leader).name = "Renamed"
