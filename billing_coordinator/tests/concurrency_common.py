"""Shared set-up of the concurrency tests: real cursors in threads on committed data.

As Odoo's own concurrency tests (``onboarding/tests/test_onboarding_concurrency.py``):
a ``BaseCase``, data committed in ``setUpClass`` through ``registry.cursor()`` and
removed in a class cleanup, workers that each open their own cursor in a thread.
"""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

from odoo import Command, api, fields
from odoo.modules.registry import Registry
from odoo.orm.environments import Transaction
from odoo.tests.common import BaseCase, get_db_name
from odoo.tools import SQL


def create_overdue_company(env, name, count, partner_values=None):
    """A company of its own (a chart of accounts, no other data in reach of the
    detection) with ``count`` customers, each with one posted invoice long overdue;
    returns (company, partners, invoices). Names end with a random suffix: the data is
    committed, whatever an earlier run left behind. ``partner_values(company, index)``
    returns extra values of the index-th customer. Shared by the concurrency tests and
    ``tools/crash_test.py``."""
    run = uuid.uuid4().hex[:8]
    company = env["res.company"].create({"name": f"{name} {run}"})
    env["account.chart.template"].try_loading(
        "generic_coa", company=company, install_demo=False
    )
    partners = env["res.partner"].create(
        [
            {
                "name": f"{name} Customer {i} {run}",
                "is_company": True,
                **(partner_values(company, i) if partner_values else {}),
            }
            for i in range(count)
        ]
    )
    # New customers have rank 0: posting raises it in the transaction, not after
    # commit on a new cursor (which would wait for the test server's registry lock).
    today = fields.Date.context_today(env["res.partner"])
    invoices = (
        env["account.move"]
        .with_company(company)
        .create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_date": today - timedelta(days=120),
                    "invoice_date_due": today - timedelta(days=90),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Service",
                                "quantity": 1,
                                "price_unit": 1000.0,
                                "tax_ids": False,
                            }
                        )
                    ],
                }
                for partner in partners
            ]
        )
    )
    invoices.action_post()
    return company, partners, invoices


class BillingConcurrencyCase(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())

    @contextmanager
    def worker_env(self, uid=api.SUPERUSER_ID, context=None):
        """An environment on a cursor of its own, committed when the block ends."""
        with self.registry.cursor() as cr:
            # The threaded test server holds Registry._lock while tests run;
            # giving the cursor its transaction avoids looking the registry up.
            cr.transaction = Transaction(self.registry)
            cr.execute("SET LOCAL lock_timeout = '20s'")
            yield api.Environment(cr, uid, dict(context or {}))

    def run_workers(self, *workers, timeout=120):
        """Run each callable in its own thread; fail on any worker's error (all of them
        are shown: the first is often another worker's broken barrier)."""
        with ThreadPoolExecutor(max_workers=len(workers)) as executor:
            futures = [executor.submit(worker) for worker in workers]
            errors = [future.exception(timeout=timeout) for future in futures]
        self.assertFalse([repr(error) for error in errors if error], "a worker failed")
        return [future.result() for future in futures]

    def wait_for_lock_waiter(self, env, tries=300):
        """Return once another backend of this database waits on a lock (the other
        worker is blocked on our rows); fail after ``tries`` polls."""
        for _try in range(tries):
            [[waiting]] = env.execute_query(
                SQL(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid != pg_backend_pid() AND wait_event_type = 'Lock'"
                )
            )
            if waiting:
                return
            time.sleep(0.1)
        self.fail("the other worker never waited on a lock")

    # --------------------------------------------------------------- data

    @classmethod
    def _setup_overdue_company(cls, name, count):
        """A committed company with ``count`` overdue customers, removed after the
        class: sets ``company_id``, ``partner_ids`` and ``invoice_ids``."""
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            company, partners, invoices = cls._create_overdue_company(env, name, count)
            cls.company_id = company.id
            cls.partner_ids, cls.invoice_ids = partners.ids, invoices.ids
        cls.addClassCleanup(
            cls._cleanup_company, cls.company_id, cls.invoice_ids, cls.partner_ids
        )

    @classmethod
    def _create_overdue_company(cls, env, name, count):
        """See :func:`create_overdue_company`."""
        return create_overdue_company(env, name, count)

    @classmethod
    def _delete_billing_data(cls, env, company_id):
        """Remove what the runs made in the company: cases and run logs."""
        env["billing.case"].with_context(active_test=False).search(
            [("company_id", "=", company_id)]
        ).unlink()
        env["billing.detection.run"].search([("company_id", "=", company_id)]).unlink()

    @classmethod
    def _cleanup_company(cls, company_id, invoice_ids, partner_ids):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {"active_test": False})
            cls._delete_billing_data(env, company_id)
            invoices = env["account.move"].browse(invoice_ids)
            invoices.button_draft()
            invoices.with_context(force_delete=True).unlink()
            env["res.partner"].browse(partner_ids).unlink()
            env["res.company"].browse(company_id).action_archive()
