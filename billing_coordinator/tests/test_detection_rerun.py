"""The rerun's fast path: rules compare their rows with the open cases' fingerprints
and report an unchanged source without building a finding; new and changed sources
still get a full finding (with their payments), a source gone still clears its case."""

from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged

from .common import BillingCaseCommon


@tagged("post_install", "-at_install")
class TestDetectionRerun(BillingCaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Case = cls.env["billing.case"]
        cls.CaseClass = type(cls.Case)

    def _days_ago(self, days):
        return self.today - timedelta(days=days)

    def _overdue_invoice(self, amount=1000.0):
        return self._create_invoice(
            amount=amount,
            invoice_date=self._days_ago(60),
            due_date=self._days_ago(30),
        )

    def _detect(self, rule=None):
        return self.Case._detect(self.company, rules=[rule] if rule else None)

    def _spy(self, method):
        """Count the calls of ``billing.case.<method>`` (still run)."""
        return patch.object(
            self.CaseClass,
            method,
            autospec=True,
            side_effect=getattr(self.CaseClass, method),
        )

    def _found(self, summary):
        return {line.rule_code: line.found for line in summary["runs"].line_ids}

    def test_unchanged_rerun_builds_no_finding(self):
        """Every source still found unchanged: no finding built, the same counts found,
        nothing written."""
        invoice = self._overdue_invoice()
        self._register_payment(self._create_invoice(amount=500.0), amount=490.0)
        first = self._detect()
        self.assertTrue(first["created"])
        with self._spy("_new_detection_finding") as built:
            second = self._detect()
        self.assertFalse(built.called)
        self.assertFalse(
            second["created"]
            | second["updated"]
            | second["cleared"]
            | second["reopened"]
        )
        self.assertEqual(self._found(second), self._found(first))
        case = first["created"].filtered(lambda c: c.detection_rule == "overdue")
        self.assertEqual(case.move_ids, invoice)

    def test_changed_source_updated_beside_unchanged_ones(self):
        """One invoice paid in part between the runs: only its finding is built, its case
        follows the new amounts and links the payment; the other case is left alone."""
        changed = self._overdue_invoice(1000.0)
        unchanged = self._overdue_invoice(800.0)
        cases = self._detect("overdue")["created"]
        self.assertEqual(len(cases), 2)
        case = cases.filtered(lambda c: c.move_ids == changed)
        other = cases - case
        other_messages = len(other.message_ids)
        payment = self._register_payment(changed, amount=300.0)
        with self._spy("_new_detection_finding") as built:
            summary = self._detect("overdue")
        self.assertEqual(built.call_count, 1)
        self.assertEqual(summary["updated"], case)
        self.assertRecordValues(
            case, [{"expected_amount": 1000.0, "actual_amount": 300.0}]
        )
        self.assertEqual(case.payment_ids, payment)
        self.assertEqual(self._found(summary), {"overdue": 2})
        self.assertEqual(len(other.message_ids), other_messages)
        self.assertEqual(other.move_ids, unchanged)
        self.assertEqual(other.actual_amount, 0.0)

    def test_short_payment_paid_further_then_in_full(self):
        """A short payment paid a bit more (still a deduction) updates its case with both
        payments; paid in full it clears."""
        invoice = self._create_invoice(amount=1000.0)
        first_payment = self._register_payment(invoice, amount=950.0)
        case = self._detect("short_payment")["created"]
        self.assertEqual(case.payment_ids, first_payment)
        second_payment = self._register_payment(invoice, amount=20.0)
        self.assertEqual(self._detect("short_payment")["updated"], case)
        self.assertEqual(case.actual_amount, 970.0)
        self.assertEqual(case.payment_ids, first_payment | second_payment)
        self._register_payment(invoice)
        self.assertEqual(self._detect("short_payment")["cleared"], case)
        self.assertEqual(case.resolution_type, "cleared")

    def test_overpayment_grows(self):
        """A customer-level source: a second overpayment changes the credit balance and
        updates the case; an unchanged rerun leaves it."""
        invoice = self._create_invoice(amount=1000.0, invoice_date=self._days_ago(20))
        self._register_payment(invoice, amount=1200.0)
        case = self._detect("overpayment")["created"]
        self.assertEqual(case.actual_amount, 200.0)
        self.assertFalse(self._detect("overpayment")["updated"])
        other = self._create_invoice(amount=100.0, invoice_date=self._days_ago(10))
        self._register_payment(other, amount=150.0)
        self.assertEqual(self._detect("overpayment")["updated"], case)
        self.assertEqual(case.actual_amount, 250.0)

    def test_changed_case_by_hand_is_compared_again(self):
        """The comparison is with the case's fingerprint: a case whose fingerprint no
        longer matches (e.g. written by an older version) is updated again."""
        self._overdue_invoice()
        case = self._detect("overdue")["created"]
        case.detection_fingerprint = "stale"
        self.assertEqual(self._detect("overdue")["updated"], case)
        self.assertNotEqual(case.detection_fingerprint, "stale")
        self.assertFalse(self._detect("overdue")["updated"])

    def test_unchanged_marker_without_open_case_creates_nothing(self):
        """An unchanged finding only stands for an open case: without one it is ignored
        (it carries nothing to create a case from)."""
        self._overdue_invoice()
        key = "account.move,999999999"
        with patch.object(
            self.CaseClass,
            "_detect_overdue",
            lambda case, company: [
                case._new_unchanged_detection_finding("overdue", key)
            ],
        ):
            summary = self._detect("overdue")
        self.assertFalse(summary["created"])
        self.assertEqual(self._found(summary), {"overdue": 1})

    def test_open_cases_of_an_earlier_rule_call_not_reused(self):
        """The open cases a rule compared its rows with are taken by its own sync only:
        rows left by a call outside the run are not compared with the run's findings."""
        self._overdue_invoice()
        case = self._detect("overdue")["created"]
        self.Case._get_detection_open_fingerprints(self.company, "overdue")
        case.resolution_note = "Handled by phone."
        case.action_cancel()
        # A rule that returns classic findings only (as another module's may).
        with patch.object(self.CaseClass, "_detect_overdue", lambda case, company: []):
            summary = self._detect("overdue")
        self.assertFalse(summary["cleared"])
        self.assertEqual(case.state, "cancelled")
