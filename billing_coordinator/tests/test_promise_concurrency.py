import threading
from datetime import timedelta
from unittest.mock import patch

from odoo import api, fields
from odoo.fields import Command, Domain
from odoo.tests.common import tagged
from odoo.tools import mute_logger

from .concurrency_common import BillingConcurrencyCase

CUSTOMERS = 2
BROKEN_NOTE = "did not keep the promise to pay"


@tagged("-standard", "billing_concurrency", "-at_install", "post_install")
class TestPromiseCheckDuringDetection(BillingConcurrencyCase):
    """The daily promise check and the detection run at the same time on the same
    detected case (each its own cron, its own committed transaction): the detection
    updates the case, the promise check breaks its promises and takes the case back.
    Neither deadlocks, neither loses the other's update, each promise is checked once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_overdue_company("Promise Race", CUSTOMERS)

    def setUp(self):
        super().setUp()
        # Each test: the detection found the overdue invoices; the customer of the first
        # promised to pay in two installments, both past and unpaid; and the situation
        # the case saw has changed since (the next detection updates the case).
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            self._delete_billing_data(env, self.company_id)
            company = env["res.company"].browse(self.company_id)
            env["billing.case"]._detect_company(company, rules=["overdue"])
            case = env["billing.case"].search(
                [
                    ("company_id", "=", company.id),
                    ("detection_key", "=", f"account.move,{self.invoice_ids[0]}"),
                ]
            )
            today = fields.Date.context_today(case)
            case.with_context(billing_detection_sync=True).write(
                {
                    "state": "waiting_customer",
                    "detection_fingerprint": "seen before",
                    "promise_ids": [
                        Command.create(
                            {
                                "date": today - timedelta(days=days),
                                "amount": 500.0,
                                "target_residual": residual,
                            }
                        )
                        for days, residual in ((20, 500.0), (10, 0.0))
                    ],
                }
            )
            # Yesterday's run: today's detection cron has the company to do.
            company.billing_detection_date = fields.Datetime.now() - timedelta(days=1)
            self.case_id, self.promise_ids = case.id, case.promise_ids.ids

    def _patch_to_test_company(self):
        """The crons see the test company only (not the demo data committed in the
        database); the hooks are the ones another module would override."""
        Case = self.registry["billing.case"]
        Promise = self.registry["billing.case.promise"]
        promise_domain = Promise._get_promise_check_domain
        company_id = self.company_id
        return (
            patch.object(
                Case,
                "_get_detection_cron_companies",
                lambda self: self.env["res.company"].browse(company_id),
            ),
            patch.object(
                Promise,
                "_get_promise_check_domain",
                lambda self: promise_domain(self)
                & Domain("company_id", "=", company_id),
            ),
        )

    def _assert_both_applied(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {"active_test": False})
            case = env["billing.case"].browse(self.case_id)
            promises = env["billing.case.promise"].browse(self.promise_ids)
            # The promise check's update: promises broken, the case taken back.
            self.assertEqual(promises.mapped("state"), ["broken", "broken"])
            self.assertEqual(case.state, "in_progress")
            broken_notes = case.message_ids.filtered(
                lambda m: BROKEN_NOTE in (m.body or "")
            )
            self.assertEqual(len(broken_notes), 1, "the promises were checked once")
            self.assertEqual(len(case.activity_ids), 1)
            # The detection's update: the situation it sees now, noted once.
            self.assertNotEqual(case.detection_fingerprint, "seen before")
            changed_notes = case.message_ids.filtered(
                lambda m: "found the situation changed" in (m.body or "")
            )
            self.assertEqual(len(changed_notes), 1)
            cases = env["billing.case"].search(
                [
                    ("company_id", "=", self.company_id),
                    ("detection_rule", "=", "overdue"),
                ]
            )
            self.assertEqual(
                sorted(cases.mapped("detection_key")),
                sorted(f"account.move,{invoice_id}" for invoice_id in self.invoice_ids),
            )
            detected = env["res.company"].browse(self.company_id).billing_detection_date
            self.assertEqual(
                detected.date(), fields.Date.today(), "the detection ran today"
            )

    @mute_logger(
        "odoo.sql_db", "odoo.addons.billing_coordinator.models.billing_cron_concurrency"
    )
    def test_crons_started_together(self):
        """Both crons start at the same moment; whichever writes the case second meets
        the other's update and its batch is retried on a fresh snapshot."""
        started = threading.Barrier(2)

        def detection():
            with self.worker_env() as env:
                started.wait(timeout=60)
                env["billing.case"]._cron_run_detection()

        def promise_check():
            with self.worker_env() as env:
                started.wait(timeout=60)
                env["billing.case.promise"]._cron_check_promises()

        companies_patch, promises_patch = self._patch_to_test_company()
        with companies_patch, promises_patch:
            self.run_workers(detection, promise_check)
        self._assert_both_applied()

    @mute_logger(
        "odoo.sql_db", "odoo.addons.billing_coordinator.models.billing_cron_concurrency"
    )
    def test_promise_check_waits_for_detection(self):
        """The detection has updated the case and not committed yet when the promise
        check reaches it: the check waits on the row, then fails to serialize once the
        detection commits, and its batch runs again: promises broken once, and the
        detection's update kept."""
        detected = threading.Event()
        Promise = self.registry["billing.case.promise"]
        check_promises = Promise._check_promises
        checks = []

        def counted_check(promises):
            checks.append(promises.ids)
            return check_promises(promises)

        def detection():
            with self.worker_env() as env:
                env["billing.case"]._detect_company(
                    env["res.company"].browse(self.company_id), rules=["overdue"]
                )
                env.flush_all()
                detected.set()
                self.wait_for_lock_waiter(env)  # the promise check waits on our rows

        def promise_check():
            self.assertTrue(detected.wait(timeout=60))
            with self.worker_env() as env:
                env["billing.case.promise"]._cron_check_promises()

        companies_patch, promises_patch = self._patch_to_test_company()
        counting = patch.object(Promise, "_check_promises", counted_check)
        with companies_patch, promises_patch, counting:
            self.run_workers(detection, promise_check)
        self.assertEqual(
            checks, [sorted(self.promise_ids)] * 2, "one failed try, one retry"
        )
        self._assert_both_applied()
