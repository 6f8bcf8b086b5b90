import threading
from unittest.mock import patch

from odoo import api
from odoo.tests.common import tagged
from odoo.tools import mute_logger

from ..models.billing_cron_concurrency import run_cron_batch
from .concurrency_common import BillingConcurrencyCase

CUSTOMERS = 3


@tagged("-standard", "billing_concurrency", "-at_install", "post_install")
class TestDetectionConcurrency(BillingConcurrencyCase):
    """Two detection runs on the same company at the same moment (the cron and a
    manager's "Detect Now", or two cron workers), each in its own committed
    transaction: every case is created once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_overdue_company("Detection Race", CUSTOMERS)
        cls.keys = {f"account.move,{invoice_id}" for invoice_id in cls.invoice_ids}

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            self._delete_billing_data(
                api.Environment(cr, api.SUPERUSER_ID, {}), self.company_id
            )

    def _detect(self, env):
        """Detect on the test company; what the run did, read before its cursor closes."""
        Case = env["billing.case"]
        company = env["res.company"].browse(self.company_id)
        summary = Case._detect_company(company, rules=["overdue"])
        return {
            "created": set(summary["created"].mapped("detection_key")),
            "skipped": summary["runs"].skipped,
            "found": summary["runs"].found,
        }

    def _assert_each_case_once(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {"active_test": False})
            cases = env["billing.case"].search(
                [
                    ("company_id", "=", self.company_id),
                    ("detection_rule", "=", "overdue"),
                ]
            )
            self.assertEqual(sorted(cases.mapped("detection_key")), sorted(self.keys))
            for case in cases:
                self.assertEqual(len(case.move_ids), 1, "the case has its invoice")
            return env["billing.detection.run"].search_read(
                [("company_id", "=", self.company_id)],
                ["skipped", "created"],
                order="id",
            )

    @mute_logger("odoo.sql_db")
    def test_second_run_skips_a_company_in_progress(self):
        """The second run starts while the first holds the company's detection lock
        (not committed yet): it leaves the company to the first and logs a skipped run.
        Without the lock it would find the same invoices and wait on the first one's
        inserts (then fail on the unique index or create nothing in a broken way)."""
        first_detected = threading.Event()
        second_done = threading.Event()

        def first():
            with self.worker_env() as env:
                result = self._detect(env)
                env.flush_all()
                first_detected.set()
                self.assertTrue(
                    second_done.wait(timeout=60)
                )  # commit after the second ran
            return result

        def second():
            try:
                self.assertTrue(first_detected.wait(timeout=60))
                with self.worker_env() as env:
                    result = self._detect(env)
                    # What "Detect Now" tells the manager.
                    run = env["billing.detection.run"].search(
                        [("company_id", "=", self.company_id)], order="id desc", limit=1
                    )
                    result["text"] = run._get_summary_text()
                    return result
            finally:
                second_done.set()

        first_result, second_result = self.run_workers(first, second)
        self.assertEqual(
            first_result, {"created": self.keys, "skipped": False, "found": CUSTOMERS}
        )
        self.assertIn(
            "skipped, another detection run is working on it", second_result.pop("text")
        )
        self.assertEqual(second_result, {"created": set(), "skipped": True, "found": 0})
        runs = self._assert_each_case_once()
        self.assertEqual(
            [(run["skipped"], run["created"]) for run in runs],
            [(False, CUSTOMERS), (True, 0)],
        )

    @mute_logger(
        "odoo.sql_db", "odoo.addons.billing_coordinator.models.billing_cron_concurrency"
    )
    def test_run_on_a_stale_snapshot_is_retried(self):
        """The second run took its snapshot before the first one committed, and gets the
        lock once the first is done: its snapshot does not show the new cases. Locking
        the company raises a serialization failure, which the detection lets through
        (no rule swallows it); the cron batch runs again on a fresh snapshot and finds
        nothing new."""
        second_started = threading.Event()
        first_committed = threading.Event()
        attempts = []

        def first():
            self.assertTrue(second_started.wait(timeout=60))
            try:
                with self.worker_env() as env:
                    return self._detect(env)
            finally:
                first_committed.set()

        def second():
            with self.worker_env() as env:
                env["billing.case"].search_count([])  # the snapshot starts here
                second_started.set()
                self.assertTrue(first_committed.wait(timeout=60))

                def process(company):
                    attempts.append(company.id)
                    attempts.append(self._detect(env))

                # No commit between batches here: this batch runs on the old snapshot,
                # as one whose transaction began before the other run committed.
                IrCron = type(env["ir.cron"])
                with patch.object(IrCron, "_commit_progress", return_value=3600.0):
                    run_cron_batch(
                        env, [env["res.company"].browse(self.company_id)], process
                    )
            return attempts

        first_result, second_attempts = self.run_workers(first, second)
        self.assertEqual(first_result["created"], self.keys)
        # The first attempt failed before it returned; the retry found the cases made.
        self.assertEqual(
            second_attempts,
            [
                self.company_id,
                self.company_id,
                {"created": set(), "skipped": False, "found": CUSTOMERS},
            ],
        )
        runs = self._assert_each_case_once()
        self.assertEqual(
            [(run["skipped"], run["created"]) for run in runs],
            [(False, CUSTOMERS), (False, 0)],
        )
