import threading
import uuid
from functools import partial

from odoo import Command, api
from odoo.exceptions import UserError
from odoo.tests.common import tagged
from odoo.tools import mute_logger

from .concurrency_common import BillingConcurrencyCase


@tagged("-standard", "billing_concurrency", "-at_install", "post_install")
class TestResolveConcurrency(BillingConcurrencyCase):
    """The same resolution applied twice at the same moment (double click, two tabs),
    each Apply in its own committed transaction as two browser requests: one credit note."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.addClassCleanup(cls._cleanup_data)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            # The main company has a chart of accounts in the test database.
            company = env.ref("base.main_company")
            run = uuid.uuid4().hex[:8]
            user = env["res.users"].create(
                {
                    "name": "Double Clicker",
                    "login": f"double_clicker_{run}",
                    "company_id": company.id,
                    "company_ids": [Command.set(company.ids)],
                    "group_ids": [
                        Command.set(
                            env.ref("billing_coordinator.group_billing_user").ids
                        )
                    ],
                }
            )
            partner = env["res.partner"].create(
                {"name": f"Double Click Customer {run}", "is_company": True}
            )
            invoice = (
                env["account.move"]
                .with_company(company)
                .create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": "Service",
                                    "quantity": 1,
                                    "price_unit": 500.0,
                                    "tax_ids": False,
                                }
                            )
                        ],
                    }
                )
            )
            invoice.action_post()
            # A customer with a rank gets its rank raised after commit on a new cursor,
            # which waits for the registry lock the test server holds: rank 0 is raised
            # in the transaction itself.
            partner.customer_rank = 0
            case = (
                env["billing.case"]
                .with_company(company)
                .create(
                    {
                        "partner_id": partner.id,
                        "company_id": company.id,
                        "case_type_id": env.ref(
                            "billing_coordinator.case_type_overcharge"
                        ).id,
                        "move_ids": [Command.set(invoice.ids)],
                        "currency_id": invoice.currency_id.id,
                        "expected_amount": 400.0,
                        "actual_amount": 500.0,
                        "user_id": user.id,
                    }
                )
            )
            # Two tabs: two wizards opened on the case before either is applied.
            wizards = (
                env(user=user)["billing.case.resolve"]
                .with_context(default_case_id=case.id, allowed_company_ids=company.ids)
                .create([{}, {}])
            )
            cls.user_id, cls.partner_id, cls.invoice_id = (
                user.id,
                partner.id,
                invoice.id,
            )
            cls.case_id, cls.company_id, cls.wizard_ids = (
                case.id,
                company.id,
                wizards.ids,
            )

    @classmethod
    def _cleanup_data(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {"active_test": False})
            case = env["billing.case"].browse(cls.case_id)
            moves = case.resolution_move_ids | env["account.move"].browse(
                cls.invoice_id
            )
            moves.line_ids.remove_move_reconcile()
            moves.button_draft()
            case.resolution_move_ids = False
            case.unlink()
            moves.with_context(force_delete=True).unlink()
            env["res.partner"].browse(cls.partner_id).unlink()
            env["res.users"].browse(cls.user_id).action_archive()

    @mute_logger("odoo.sql_db")
    def test_double_apply_posts_one_credit_note(self):
        """The first Apply holds the case until it commits; the second, meanwhile, is
        refused at once with a message (without the lock it would post a second credit
        note, or wait on the first one's rows and fail with a serialization error)."""
        first_applied = threading.Event()
        second_done = threading.Event()

        def apply(wizard_id, first):
            with self.worker_env(
                self.user_id, {"allowed_company_ids": [self.company_id]}
            ) as env:
                wizard = env["billing.case.resolve"].browse(wizard_id)
                if first:
                    wizard.action_apply()
                    env.flush_all()
                    first_applied.set()
                    second_done.wait(timeout=30)  # commit only after the second tried
                    return "applied"
                first_applied.wait(timeout=30)
                try:
                    wizard.action_apply()
                    env.flush_all()
                except UserError as error:
                    return str(error)
                finally:
                    second_done.set()
                return "applied"

        first, second = self.run_workers(
            *(
                partial(apply, wizard_id, first)
                for wizard_id, first in zip(
                    self.wizard_ids, (True, False), strict=False
                )
            )
        )
        self.assertEqual(first, "applied")
        self.assertIn("is being resolved in another window", second)

        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            case = env["billing.case"].browse(self.case_id)
            self.assertEqual(case.state, "resolved")
            self.assertEqual(len(case.resolution_move_ids), 1)
            refunds = env["account.move"].search(
                [("partner_id", "=", self.partner_id), ("move_type", "=", "out_refund")]
            )
            self.assertEqual(refunds, case.resolution_move_ids)
            self.assertEqual(
                env["account.move"].browse(self.invoice_id).amount_residual, 400.0
            )
            # Pressing Apply again later (the retry of a browser) is refused as well.
            wizard = env(user=self.user_id)["billing.case.resolve"].browse(
                self.wizard_ids[1]
            )
            with self.assertRaisesRegex(
                UserError, "is not open and cannot be resolved"
            ):
                wizard.with_context(
                    allowed_company_ids=[self.company_id]
                ).action_apply()
