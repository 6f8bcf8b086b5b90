import re
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools import SQL, mute_logger

from ..models.billing_health import STATUSES
from .common import BillingCaseCommon

DETECTION_LOGGER = "odoo.addons.billing_coordinator.models.billing_case_detection"


class BillingHealthCommon(BillingCaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Every scheduled action of the module on time, whatever the database's history.
        cls.crons = cls._module_crons()
        cls.crons.write(
            {
                "active": True,
                "nextcall": fields.Datetime.now() + timedelta(hours=1),
                "failure_count": 0,
            }
        )

    @classmethod
    def _module_crons(cls):
        xmlids = cls.env["ir.model.data"].search(
            [("module", "=", "billing_coordinator"), ("model", "=", "ir.cron")]
        )
        return (
            cls.env["ir.cron"]
            .with_context(active_test=False)
            .browse(xmlids.mapped("res_id"))
        )

    @classmethod
    def _create_old_case(cls, days=5, **vals):
        """An open case without a coordinator, created ``days`` ago."""
        case = cls._create_case(user_id=False, **vals)
        case.flush_recordset()
        cls.env.cr.execute(
            SQL(
                "UPDATE billing_case SET create_date = %s WHERE id = %s",
                fields.Datetime.now() - timedelta(days=days),
                case.id,
            )
        )
        case.invalidate_recordset(["create_date"])
        return case


@tagged("post_install", "-at_install")
class TestBillingHealth(BillingHealthCommon):
    def _health(self, user=None, company_ids=None):
        env = self.env(user=user or self.manager)
        return env["billing.health"].get_health_data(company_ids or self.company.ids)

    def _line(self, code, user=None):
        lines = [line for line in self._health(user) if line["code"] == code]
        self.assertEqual(len(lines), 1, code)
        return lines[0]

    def _records(self, line):
        """The records the line's action opens, searched as the manager."""
        action = line["action"]
        self.assertEqual(action["type"], "ir.actions.act_window")
        return (
            self.env(user=self.manager)[action["res_model"]]
            .with_context(**action["context"])
            .search(action["domain"])
        )

    def _create_payment(self, amount, days_ago=0, partner=None):
        """A posted customer payment reconciled with nothing: a customer credit."""
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": (partner or self.customer).id,
                "amount": amount,
                "date": self.today - timedelta(days=days_ago),
            }
        )
        payment.action_post()
        return payment

    # ------------------------------------------------------------------ page

    def test_lines_and_access(self):
        lines = self._health()
        codes = [line["code"] for line in lines]
        registry = list(self.env["billing.health"]._get_health_checks())
        self.assertEqual(
            codes, [code for code in registry if code in codes], "in registry order"
        )
        for code in (
            "detection_last_run",
            "detection_failed_rules",
            "crons",
            "cases_unassigned",
            "promises_unchecked",
            "old_credit",
        ):
            self.assertIn(code, codes)
        for line in lines:
            self.assertIn(line["status"], STATUSES)
            self.assertTrue(line["label"] and line["message"])
        for user in (self.coordinator, self.invoice_user):
            with self.assertRaises(AccessError):
                self._health(user)
        other = self.setup_other_company(name="Health Other Company")["company"]
        with self.assertRaises(AccessError):
            self._health(company_ids=other.ids)

    def test_registered_check(self):
        """A module adds a check through the registry: its lines come last."""
        Health = type(self.env["billing.health"])
        checks = Health._get_health_checks

        def with_extra(health):
            res = checks(health)
            res["extra"] = lambda companies: [
                health._health_line(
                    "extra", "Extra", "error", len(companies), "Extra check"
                )
            ]
            return res

        with patch.object(Health, "_get_health_checks", with_extra):
            lines = self._health()
        self.assertEqual(lines[-1]["code"], "extra")
        self.assertEqual((lines[-1]["status"], lines[-1]["count"]), ("error", 1))

    def test_snapshot_chain(self):
        """Without the snapshot model there is no line; with it, the model's status."""
        lines = [line for line in self._health() if line["code"] == "snapshot_chain"]
        if "billing.ar.snapshot" not in self.env:
            self.assertEqual(lines, [])
        else:
            self.assertEqual(len(lines), 1)
            self.assertIn(lines[0]["status"], STATUSES)

    # ------------------------------------------------------------------ detection

    def test_detection_last_run(self):
        line = self._line("detection_last_run")
        self.assertEqual(
            (line["status"], line["count"], line["action"]), ("warning", 0, False)
        )
        self.assertIn("never ran", line["message"])
        self.assertEqual(line["company_id"], self.company.id)

        summary = self.env["billing.case"]._detect(self.company)
        run = summary["runs"]
        line = self._line("detection_last_run")
        self.assertEqual(line["status"], "ok")
        self.assertIn(f"{run.duration:.1f} s", line["message"])
        self.assertEqual(self._records(line), run)

        # sudo: the run log is read-only for users; backdated as the system
        run.sudo().start = fields.Datetime.now() - timedelta(
            days=3
        )  # the log is read-only
        line = self._line("detection_last_run")
        self.assertEqual(line["status"], "warning")
        self.assertIn("more than 2 days ago", line["message"])

    def test_detection_failed_rules(self):
        self.env["billing.case"]._detect(self.company)
        line = self._line("detection_failed_rules")
        self.assertEqual(
            (line["status"], line["count"], line["action"]), ("ok", 0, False)
        )

        Case = type(self.env["billing.case"])
        with (
            patch.object(Case, "_detect_short_payment", side_effect=UserError("boom")),
            mute_logger(DETECTION_LOGGER),
        ):
            run = self.env["billing.case"]._detect(self.company)["runs"]
        line = self._line("detection_failed_rules")
        self.assertEqual((line["status"], line["count"]), ("error", 1))
        failed = run.line_ids.filtered("failed")
        self.assertIn(failed.rule_name, line["message"])
        self.assertEqual(self._records(line), failed)
        self.assertEqual(failed.rule_code, "short_payment")

        # Only the last run counts: a clean run after it clears the line.
        self.env["billing.case"]._detect(self.company)
        self.assertEqual(self._line("detection_failed_rules")["status"], "ok")

    def test_last_runs_read_once(self):
        """The two detection checks share one read of the last runs per page load;
        the next page load reads them again (a run made in between is seen)."""
        last_runs_query = re.compile(
            r"DISTINCT ON \(company_id\).*FROM billing_detection_run\b", re.S
        )
        queries = []
        cr = self.env.cr
        execute = cr.execute

        def spy(query, *args, **kwargs):
            code = query.code if isinstance(query, SQL) else str(query)
            if last_runs_query.search(code):
                queries.append(code)
            return execute(query, *args, **kwargs)

        with patch.object(cr, "execute", spy):
            self._health()
            self.assertEqual(len(queries), 1)
            run = self.env["billing.case"]._detect(self.company)["runs"]
            line = self._line("detection_last_run")
        self.assertEqual(len(queries), 2)
        self.assertEqual(self._records(line), run)

    # ------------------------------------------------------------------ crons

    def test_crons(self):
        line = self._line("crons")
        self.assertEqual((line["status"], line["count"]), ("ok", 0))
        self.assertIn(f"{len(self.crons)} scheduled actions", line["message"])

        detection = self.env.ref("billing_coordinator.ir_cron_billing_detection")
        detection.active = False
        line = self._line("crons")
        self.assertEqual((line["status"], line["count"]), ("error", 1))
        self.assertIn(f"Inactive: {detection.name}.", line["message"])
        self.assertFalse(
            line["action"], "managers without admin rights get no link to ir.cron"
        )

        detection.active = True
        promise = self.env.ref("billing_coordinator.ir_cron_billing_case_promise_check")
        promise.nextcall = fields.Datetime.now() - timedelta(hours=1)
        line = self._line("crons")
        self.assertEqual((line["status"], line["count"]), ("warning", 1))
        self.assertIn(f"Late: {promise.name}", line["message"])
        admin = self._create_billing_user(
            "health_admin",
            [
                self.env.ref("billing_coordinator.group_billing_manager"),
                self.env.ref("base.group_system"),
            ],
        )
        line = self._line("crons", admin)
        self.assertEqual(
            self.env(user=admin)["ir.cron"]
            .with_context(active_test=False)
            .search(line["action"]["domain"]),
            promise,
        )

        # Ten minutes late is within the tolerance; crashing is an error.
        promise.nextcall = fields.Datetime.now() - timedelta(minutes=10)
        self.assertEqual(self._line("crons")["status"], "ok")
        promise.write({"failure_count": 2, "first_failure_date": fields.Datetime.now()})
        line = self._line("crons")
        self.assertEqual((line["status"], line["count"]), ("error", 1))
        self.assertIn("2 failures", line["message"])

    # ------------------------------------------------------------------ cases

    def test_cases_unassigned(self):
        self._create_case(user_id=False)  # new today: the queue has time to take it
        old_assigned = self._create_old_case()
        old_assigned.user_id = self.coordinator
        line = self._line("cases_unassigned")
        self.assertEqual(
            (line["status"], line["count"], line["action"]), ("ok", 0, False)
        )

        stuck = self._create_old_case()
        cancelled = self._create_old_case(resolution_note="Opened twice.")
        cancelled.action_cancel()
        line = self._line("cases_unassigned")
        self.assertEqual((line["status"], line["count"]), ("warning", 1))
        self.assertEqual(self._records(line), stuck)

        stuck.user_id = self.coordinator
        self.assertEqual(self._line("cases_unassigned")["status"], "ok")

    def test_promises_unchecked(self):
        case = self._create_case(user_id=self.coordinator.id)
        Promise = self.env["billing.case.promise"]
        Promise.create(
            {"case_id": case.id, "date": self.today - timedelta(days=1), "amount": 10.0}
        )
        line = self._line("promises_unchecked")
        self.assertEqual(
            (line["status"], line["count"]),
            ("ok", 0),
            "due yesterday: today's check may come",
        )

        late = Promise.create(
            {
                "case_id": case.id,
                "date": self.today - timedelta(days=5),
                "amount": 20.0,
                "target_residual": -1.0,
            }
        )
        line = self._line("promises_unchecked")
        self.assertEqual((line["status"], line["count"]), ("warning", 1))
        self.assertEqual(self._records(line), late)

        # The promise check marks it broken (the customer paid nothing): checked.
        late._check_promises()
        self.assertEqual(late.state, "broken")
        self.assertEqual(self._line("promises_unchecked")["status"], "ok")

    # ------------------------------------------------------------------ receivables

    def test_old_credit(self):
        self.assertEqual(self.company.billing_health_credit_days, 60)
        self._create_payment(300.0, days_ago=5)
        line = self._line("old_credit")
        self.assertEqual(
            (line["status"], line["count"]), ("ok", 0), "a fresh credit is not old"
        )

        old = self._create_payment(500.0, days_ago=70, partner=self.other_customer)
        line = self._line("old_credit")
        self.assertEqual((line["status"], line["count"]), ("warning", 1))
        self.assertIn("more than 60 days", line["message"])
        records = self._records(line)
        self.assertEqual(records.partner_id, self.other_customer)
        self.assertEqual(records.move_id, old.move_id)
        self.assertAlmostEqual(sum(records.mapped("amount_residual")), -500.0)

        # Applied to an invoice, the credit is gone.
        invoice = self._create_invoice(partner=self.other_customer, amount=500.0)
        (invoice.line_ids | old.move_id.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).reconcile()
        self.assertEqual(self._line("old_credit")["status"], "ok")

    def test_old_credit_days_setting(self):
        self._create_payment(500.0, days_ago=70)
        self.assertEqual(self._line("old_credit")["count"], 1)
        settings = self.env["res.config.settings"].with_company(self.company).create({})
        settings.billing_health_credit_days = 90
        settings.execute()
        self.assertEqual(self.company.billing_health_credit_days, 90)
        line = self._line("old_credit")
        self.assertEqual((line["status"], line["count"]), ("ok", 0))
        with self.assertRaises(ValidationError):
            self.company.billing_health_credit_days = 0


@tagged("post_install", "-at_install")
class TestBillingHealthTour(BillingHealthCommon, HttpCase):
    """A manager opens Billing Health and clicks a line: the list of its records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_old_case(partner_id=cls.other_customer.id)

    def test_health_tour(self):
        self.start_tour(
            "/odoo/billing-health", "billing_health_tour", login="billing_manager"
        )
