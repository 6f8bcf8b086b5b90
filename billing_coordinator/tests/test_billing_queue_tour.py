from odoo import Command
from odoo.fields import Domain
from odoo.tests import HttpCase, tagged

from .common import BillingCaseCommon


@tagged("post_install", "-at_install")
class TestBillingQueueTour(BillingCaseCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.team = cls.env["billing.team"].create(
            {
                "name": "Tour Team",
                "assignment_method": "manual",
                "member_ids": [Command.set(cls.coordinator.ids)],
            }
        )
        cls.tour_customer = Partner.create(
            {
                "name": "Queue Tour Customer",
                "is_company": True,
                "billing_team_id": cls.team.id,
            }
        )
        neighbour = Partner.create(
            {
                "name": "Queue Neighbour",
                "is_company": True,
                "billing_team_id": cls.team.id,
            }
        )
        cls.case = cls._create_case(
            partner_id=cls.tour_customer.id, expected_amount=500.0, actual_amount=450.0
        )
        cls.case.priority_score = 1000.0  # the one take-next hands out
        cls.neighbour_case = cls._create_case(
            partner_id=neighbour.id, user_id=cls.coordinator.id
        )

    def test_take_next_log_call_leaves_queue(self):
        self.assertFalse(self.case.user_id)
        self.assertEqual(self.case.team_id, self.team)
        self.start_tour("/odoo", "billing_queue_tour", login="coordinator")

        self.assertEqual(self.case.user_id, self.coordinator)
        self.assertEqual(self.case.state, "waiting_customer")
        call = self.case.call_ids
        self.assertEqual(len(call), 1)
        self.assertRecordValues(
            call,
            [
                {
                    "user_id": self.coordinator.id,
                    "outcome_id": self.env.ref(
                        "billing_coordinator.call_outcome_reached"
                    ).id,
                    "note": "The customer checks the delivery notes and calls back.",
                }
            ],
        )
        self.assertTrue(call.follow_up_date)
        self.assertGreater(call.follow_up_date, self.today)
        self.assertEqual(self.case.follow_up_date, call.follow_up_date)
        Case = self.env["billing.case"]
        in_queue = Case.search(
            Case._get_in_queue_domain()
            & Domain("id", "in", (self.case | self.neighbour_case).ids)
        )
        self.assertEqual(
            in_queue,
            self.neighbour_case,
            "the case left the queue until its follow-up date",
        )
