import importlib.util
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger
from odoo.tools.misc import file_path

from .common import BillingCaseCommon

DETECTION_LOGGER = "odoo.addons.billing_coordinator.models.billing_case_detection"


@tagged("post_install", "-at_install")
class TestDetectionRules(BillingCaseCommon):
    """billing.detection.rule records (switch off, thresholds, case type), the run log
    and manual amounts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Case = cls.env["billing.case"]
        cls.Rule = cls.env["billing.detection.rule"]

    def _rule(self, code, company=None):
        return self.Rule._get_rule(company or self.company, code)

    def _overdue_invoice(self, days_overdue=30, amount=1000.0, partner=None):
        due = self.today - timedelta(days=days_overdue)
        return self._create_invoice(
            partner=partner,
            amount=amount,
            invoice_date=due - timedelta(days=30),
            due_date=due,
        )

    def _detect(self, rule=None):
        return self.Case._detect(self.company, rules=[rule] if rule else None)

    # ---------------------------------------------------------------- records

    def test_one_rule_per_code_and_company(self):
        codes = set(self.Case._get_detection_rules())
        rules = self.Rule.with_context(active_test=False).search(
            [("company_id", "=", self.company.id)]
        )
        self.assertEqual(set(rules.mapped("code")), codes)
        self.assertEqual(len(rules), len(codes))
        new_company = self.env["res.company"].create({"name": "Fresh Billing Company"})
        new_rules = self.Rule.search([("company_id", "=", new_company.id)])
        self.assertEqual(set(new_rules.mapped("code")), codes)
        self.assertRecordValues(
            new_rules.filtered(lambda rule: rule.code == "overdue"),
            [{"active": True, "overdue_days": 15, "tolerance_amount": 1.0}],
        )
        # Ensuring again creates nothing more.
        self.Rule._ensure_rules(new_company)
        self.assertEqual(
            self.Rule.search_count([("company_id", "=", new_company.id)]), len(codes)
        )

    def test_switched_off_rule_creates_and_clears_nothing(self):
        invoice = self._overdue_invoice()
        case = self._detect("overdue")["created"]
        self.assertTrue(case)
        self._rule("overdue").active = False
        self._register_payment(invoice)
        self._overdue_invoice(amount=500.0)
        summary = self._detect()
        self.assertFalse(
            summary["created"].filtered(lambda c: c.detection_rule == "overdue")
        )
        self.assertFalse(summary["cleared"])
        self.assertEqual(case.state, "new")
        self.assertNotIn("overdue", summary["runs"].line_ids.mapped("rule_code"))

    def test_thresholds_per_rule(self):
        self._overdue_invoice(days_overdue=10)
        self.assertFalse(self._detect("overdue")["created"], "15 days by default")
        self._rule("overdue").overdue_days = 5
        case = self._detect("overdue")["created"]
        self.assertEqual(case.case_code, "overdue")
        # Another company's rule keeps its own threshold.
        other = self.env["res.company"].create({"name": "Other Thresholds"})
        self.assertEqual(self._rule("overdue", other).overdue_days, 15)
        # The tolerance is the rule's own: a large one on the overdue rule hides it.
        self._rule("overdue").tolerance_amount = 5000.0
        self._overdue_invoice(
            days_overdue=10, amount=700.0, partner=self.other_customer
        )
        self.assertFalse(self._detect("overdue")["created"])

    def test_case_type_of_the_rule(self):
        special = self.env.ref("billing_coordinator.case_type_overdue").copy(
            {"name": "Overdue (key accounts)"}
        )
        self._rule("overdue").case_type_id = special
        self._overdue_invoice()
        case = self._detect("overdue")["created"]
        self.assertEqual(case.case_type_id, special)

    # ---------------------------------------------------------------- run log

    def test_run_log_counts_match_the_cases(self):
        paid_later = self._overdue_invoice(days_overdue=40)
        self._overdue_invoice(days_overdue=20, amount=300.0)
        first = self._detect()
        run = first["runs"]
        self.assertEqual(len(run), 1)
        self.assertEqual(run.company_id, self.company)
        self.assertEqual(run.created, len(first["created"]))
        overdue_line = run.line_ids.filtered(lambda line: line.rule_code == "overdue")
        overdue_cases = first["created"].filtered(
            lambda c: c.detection_rule == "overdue"
        )
        self.assertEqual(len(overdue_cases), 2)
        self.assertRecordValues(
            overdue_line, [{"found": 2, "created": 2, "cleared": 0, "failed": False}]
        )
        self.assertRecordValues(
            self._rule("overdue"),
            [{"last_found": 2, "last_created": 2, "last_error": False}],
        )
        self.assertGreaterEqual(run.duration, 0.0)

        self._register_payment(paid_later)
        second = self._detect()["runs"]
        line = second.line_ids.filtered(lambda line: line.rule_code == "overdue")
        self.assertRecordValues(line, [{"found": 1, "created": 0, "cleared": 1}])
        self.assertEqual(second.cleared, 1)
        self.assertEqual(self._rule("overdue").last_cleared, 1)

    def test_failing_rule_is_logged_and_the_others_run(self):
        self._overdue_invoice()
        with (
            patch.object(
                type(self.Case),
                "_detect_short_payment",
                side_effect=UserError("boom today"),
            ),
            mute_logger(DETECTION_LOGGER),
        ):
            summary = self._detect()
        lines = summary["runs"].line_ids
        failed = lines.filtered("failed")
        self.assertEqual(failed.rule_code, "short_payment")
        self.assertIn("boom today", failed.error)
        self.assertEqual(summary["runs"].failed, 1)
        self.assertIn("boom today", self._rule("short_payment").last_error)
        self.assertEqual(
            lines.filtered(lambda line: line.rule_code == "overdue").created, 1
        )

    def test_old_runs_are_removed(self):
        self.company.billing_detection_log_days = 10
        old, recent = self._detect()["runs"], self._detect()["runs"]
        # sudo: the log is read-only for users, written by the detection only.
        old.sudo().start = fields.Datetime.now() - timedelta(days=11)
        # sudo: the run log is read-only for users; backdated as the system
        recent.sudo().start = fields.Datetime.now() - timedelta(days=9)
        self.env["billing.detection.run"]._gc_detection_runs()
        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())
        self.assertFalse(
            self.env["billing.detection.run.line"].search([("run_id", "=", old.id)])
        )

    def test_detect_now_shows_the_summary(self):
        self._overdue_invoice()
        action = self.Case.with_user(self.manager).action_run_detection()
        run = self.env["billing.detection.run"].search(
            [("company_id", "=", self.company.id)], limit=1
        )
        self.assertEqual(
            run.line_ids.filtered(lambda line: line.rule_code == "overdue").created, 1
        )
        message = action["params"]["message"]
        self.assertIn(f"{run.created} new case(s)", message)
        self.assertIn(
            f"{self.company.name}: {run.found} found, {run.created} new", message
        )

    # ---------------------------------------------------------- manual amounts

    def test_manual_amounts_are_kept(self):
        invoice = self._overdue_invoice()
        case = self._detect("overdue")["created"]
        self.assertFalse(case.detection_manual_amounts)
        case.with_user(self.manager).write({"expected_amount": 800.0})
        self.assertTrue(case.detection_manual_amounts)
        self._register_payment(invoice, amount=400.0)
        summary = self._detect("overdue")
        self.assertEqual(summary["updated"], case)
        self.assertRecordValues(
            case, [{"expected_amount": 800.0, "actual_amount": 0.0}]
        )
        self.assertIn("400.00", case.detection_fingerprint)
        note = case.message_ids[:1]
        self.assertIn("amounts set by hand are kept", note.body)
        self.assertIn("400.00", note.body)
        # Without a hand edit, the detection follows the situation.
        other_invoice = self._overdue_invoice(amount=600.0, partner=self.other_customer)
        other = self._detect("overdue")["created"]
        self._register_payment(other_invoice, amount=100.0)
        self._detect("overdue")
        self.assertEqual(other.actual_amount, 100.0)
        self.assertFalse(other.detection_manual_amounts)

    # ------------------------------------------------------------ clearing

    def test_clearing_many_cases_logs_one_note_each(self):
        invoices = [self._overdue_invoice(amount=100.0 + index) for index in range(3)]
        cases = self._detect("overdue")["created"]
        self.assertEqual(len(cases), 3)
        cases[0].resolution_note = "Customer called."
        for invoice in invoices:
            self._register_payment(invoice)
        self.assertEqual(self._detect("overdue")["cleared"], cases)
        for case in cases:
            self.assertEqual(case.resolution_type, "cleared")
            notes = case.message_ids.filtered(
                lambda m: "Cleared by the automatic" in m.body
            )
            self.assertEqual(len(notes), 1)
        self.assertTrue(
            cases[0].resolution_note.startswith("Customer called.\nCleared by")
        )

    # ------------------------------------------------------------ security

    def test_managers_edit_rules_coordinators_read(self):
        rule = self._rule("overdue")
        self.assertEqual(rule.with_user(self.coordinator).overdue_days, 15)
        with self.assertRaises(AccessError):
            rule.with_user(self.coordinator).overdue_days = 3
        rule.with_user(self.manager).overdue_days = 3
        self.assertEqual(rule.overdue_days, 3)
        other = self.env["res.company"].create({"name": "Hidden Company"})
        self.assertFalse(
            self.Rule.with_user(self.manager).search([("company_id", "=", other.id)])
        )

    # ------------------------------------------------------------ migration

    def test_migration_copies_company_settings(self):
        path = file_path("billing_coordinator/migrations/19.0.1.1.0/post-migration.py")
        spec = importlib.util.spec_from_file_location("billing_post_migration", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        cr = self.env.cr
        # The columns of the former company fields, as a 19.0.1.0.0 database has them.
        for column, sql_type in [
            ("billing_overdue_days", "integer"),
            ("billing_tolerance_amount", "numeric"),
            ("billing_require_payment_terms", "boolean"),
        ]:
            cr.execute(
                SQL(
                    "ALTER TABLE res_company ADD COLUMN IF NOT EXISTS %s %s",
                    SQL.identifier(column),
                    SQL(sql_type),
                )
            )
        cr.execute(
            SQL(
                "UPDATE res_company SET billing_overdue_days = 21, "
                "billing_tolerance_amount = 2.5, billing_require_payment_terms = TRUE "
                "WHERE id = %s",
                self.company.id,
            )
        )
        migration.migrate(cr, "19.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual(self._rule("overdue").overdue_days, 21)
        for code in (
            "overpayment",
            "short_payment",
            "overcharge",
            "undercharge",
            "overdue",
        ):
            self.assertEqual(self._rule(code).tolerance_amount, 2.5, code)
        self.assertTrue(self._rule("customer_data").require_payment_terms)
        self.assertEqual(self._rule("duplicate_payment").duplicate_payment_days, 7)
