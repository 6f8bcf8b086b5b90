import threading
import uuid
from functools import partial

from odoo import Command, api
from odoo.tests.common import tagged
from odoo.tools import mute_logger

from .concurrency_common import BillingConcurrencyCase

WORKERS = 2
TAKES_PER_WORKER = 3


@tagged("-standard", "billing_concurrency", "-at_install", "post_install")
class TestTakeNextConcurrency(BillingConcurrencyCase):
    """Two coordinators press Take Next at the same moment, each in their own committed
    transaction (as two browser requests would): nobody gets a case twice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.addClassCleanup(cls._cleanup_data)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            group = env.ref("billing_coordinator.group_billing_user")
            run = uuid.uuid4().hex[
                :8
            ]  # committed data: unique names, whatever is left behind
            # A company of its own: no other case (demo data, earlier runs) is in reach.
            company = env["res.company"].create({"name": f"Racing Company {run}"})
            users = env["res.users"].create(
                [
                    {
                        "name": f"Racing Coordinator {i}",
                        "login": f"racing_coordinator_{run}_{i}",
                        "company_id": company.id,
                        "company_ids": [Command.set(company.ids)],
                        "group_ids": [Command.set(group.ids)],
                    }
                    for i in range(WORKERS)
                ]
            )
            team = env["billing.team"].create(
                {
                    "name": "Racing Team",
                    "company_id": company.id,
                    "assignment_method": "manual",
                    "member_ids": [Command.set(users.ids)],
                }
            )
            partner = env["res.partner"].create(
                {
                    "name": "Racing Customer",
                    "is_company": True,
                    "billing_team_id": team.id,
                    "company_id": company.id,
                }
            )
            cases = env["billing.case"].create(
                [
                    {
                        "partner_id": partner.id,
                        "company_id": company.id,
                        "case_type_id": env.ref(
                            "billing_coordinator.case_type_overcharge"
                        ).id,
                    }
                    for _i in range(WORKERS * TAKES_PER_WORKER)
                ]
            )
            for score, case in enumerate(cases):
                case.priority_score = 100 - score
            cls.user_ids, cls.team_id, cls.partner_id = users.ids, team.id, partner.id
            cls.company_id = company.id
            cls.case_ids = cases.ids

    @classmethod
    def _cleanup_data(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {"active_test": False})
            env["billing.case"].browse(cls.case_ids).unlink()
            env["billing.team"].browse(cls.team_id).unlink()
            env["res.partner"].browse(cls.partner_id).unlink()
            env["res.users"].browse(cls.user_ids).action_archive()
            env["res.company"].browse(cls.company_id).action_archive()

    @mute_logger("odoo.sql_db")
    def test_take_next_never_hands_a_case_twice(self):
        """In each round both coordinators claim a case and only then commit: the second
        claim has to skip the row the first one holds (SKIP LOCKED). Without the lock both
        would pick the same case and the second would block on the first one's update
        until the barrier or the lock timeout breaks."""
        started = threading.Barrier(WORKERS)
        claimed = threading.Barrier(WORKERS)
        committed = threading.Barrier(WORKERS)

        def press_take_next(uid):
            with self.worker_env(
                uid, {"allowed_company_ids": [self.company_id]}
            ) as env:
                env["billing.case"].search_count(
                    []
                )  # the transaction's snapshot starts here
                started.wait(timeout=30)
                result = env["billing.case"].action_take_next()
                env.flush_all()
                claimed.wait(timeout=30)  # both hold their claim, nobody has committed
            # Both committed before the next round starts: a round that began while the
            # other one's commit was pending would meet a serialization failure (the RPC
            # layer retries those; this test is about the claim itself).
            committed.wait(timeout=30)
            return result.get("res_id")

        def take(uid):
            return [press_take_next(uid) for _i in range(TAKES_PER_WORKER)]

        results = self.run_workers(*(partial(take, uid) for uid in self.user_ids))

        handed = [case_id for taken in results for case_id in taken]
        self.assertNotIn(None, handed, "every press got a case")
        self.assertEqual(len(handed), len(set(handed)), "no case was handed out twice")
        self.assertEqual(set(handed), set(self.case_ids))
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            cases = env["billing.case"].browse(self.case_ids)
            for uid, taken in zip(self.user_ids, results, strict=False):
                self.assertEqual(
                    set(cases.filtered(lambda c, uid=uid: c.user_id.id == uid).ids),
                    set(taken),
                )
            # Each round handed out the two best cases left: highest score first.
            by_score = cases.sorted("priority_score", reverse=True).ids
            for round_no in range(TAKES_PER_WORKER):
                pair = {results[0][round_no], results[1][round_no]}
                self.assertEqual(pair, set(by_score[2 * round_no : 2 * round_no + 2]))
