from datetime import timedelta
from unittest.mock import patch

from lxml import etree
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.safe_eval import safe_eval

from .test_billing_team import BillingTeamCommon


@tagged("post_install", "-at_install")
class BillingCallCommon(BillingTeamCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_a.assignment_method = "manual"
        cls.team_b.assignment_method = "manual"
        ref = cls.env.ref
        cls.reached = ref("billing_coordinator.call_outcome_reached")
        cls.voicemail = ref("billing_coordinator.call_outcome_voicemail")
        cls.promise_given = ref("billing_coordinator.call_outcome_promise")

    def _log(self, case, user, outcome, **vals):
        wizard = (
            self.env["billing.case.log.call"]
            .with_user(user)
            .create({"case_id": case.id, "outcome_id": outcome.id, **vals})
        )
        wizard.action_confirm()
        return self.env["billing.case.call"].search(
            [("case_id", "=", case.id)], limit=1
        )

    def _in_queue(self, cases):
        return self.env["billing.case"].search(
            self.env["billing.case"]._get_in_queue_domain()
            & Domain("id", "in", cases.ids)
        )

    def _run_follow_up_cron(self):
        with patch.object(
            self.registry["ir.cron"], "_commit_progress", return_value=60.0
        ):
            # sudo: the cron runs as the superuser
            self.env["billing.case"].sudo()._cron_return_follow_ups()


@tagged("post_install", "-at_install")
class TestCallLog(BillingCallCommon):
    def test_call_without_follow_up(self):
        case = self._new_cases(1, user_id=self.anna.id)
        case.action_start()
        call = self._log(
            case,
            self.anna,
            self.reached,
            note="Ann confirms the price list of May.\nSends the PO.",
        )
        self.assertRecordValues(
            call,
            [
                {
                    "case_id": case.id,
                    "user_id": self.anna.id,
                    "outcome_id": self.reached.id,
                    "note": "Ann confirms the price list of May.\nSends the PO.",
                    "follow_up_date": False,
                    "company_id": self.company.id,
                    "partner_id": self.customer.id,
                }
            ],
        )
        message = call.message_id
        self.assertEqual(message.model, "billing.case")
        self.assertEqual(message.res_id, case.id)
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_note"))
        self.assertEqual(message.author_id, self.anna.partner_id)
        self.assertIn("Reached", message.body)
        self.assertIn(
            "Ann confirms the price list of May.<br>Sends the PO.", message.body
        )
        self.assertEqual(case.state, "in_progress")
        self.assertFalse(case.follow_up_date)
        self.assertEqual(self._in_queue(case), case)
        self.assertEqual(case.call_count, 1)

    def test_note_is_escaped(self):
        case = self._new_cases(1, user_id=self.anna.id)
        call = self._log(
            case, self.anna, self.reached, note="<script>alert(1)</script>"
        )
        self.assertNotIn("<script>", call.message_id.body)
        self.assertIn("&lt;script&gt;", call.message_id.body)

    def test_call_with_follow_up_leaves_the_queue(self):
        case = self._new_cases(1, user_id=self.anna.id)
        wizard = (
            self.env["billing.case.log.call"]
            .with_user(self.anna)
            .create({"case_id": case.id, "outcome_id": self.voicemail.id})
        )
        self.assertEqual(
            wizard.follow_up_date,
            self.today + timedelta(days=2),
            "the outcome proposes a date",
        )
        wizard.follow_up_date = self.today + timedelta(days=4)
        wizard.action_confirm()
        self.assertEqual(case.follow_up_date, self.today + timedelta(days=4))
        self.assertEqual(case.call_ids.follow_up_date, self.today + timedelta(days=4))
        self.assertEqual(case.state, "waiting_customer")
        self.assertIn("Follow-up on", case.call_ids.message_id.body)
        self.assertFalse(self._in_queue(case))

        # The search view's "In Queue" filter agrees with the domain of the code.
        arch = etree.fromstring(
            self.env.ref("billing_coordinator.billing_case_view_search").arch
        )
        [in_queue] = arch.xpath("//filter[@name='in_queue']")
        view_domain = safe_eval(
            in_queue.get("domain"), {"context_today": lambda: self.today}
        )
        self.assertFalse(
            self.env["billing.case"].search(
                Domain(view_domain) & Domain("id", "=", case.id)
            )
        )

        # Released to the team, take-next does not hand it out before its date.
        case.user_id = False
        result = self.env["billing.case"].with_user(self.ben).action_take_next()
        self.assertEqual(result["tag"], "display_notification")
        self.assertFalse(case.user_id)

    def test_wizard_proposes_the_running_follow_up_and_can_end_it(self):
        case = self._new_cases(1, user_id=self.anna.id)
        self._log(case, self.anna, self.voicemail)
        wizard = (
            self.env["billing.case.log.call"]
            .with_user(self.anna)
            .create({"case_id": case.id, "outcome_id": self.reached.id})
        )
        self.assertEqual(wizard.follow_up_date, case.follow_up_date)
        wizard.follow_up_date = False
        wizard.action_confirm()
        self.assertFalse(case.follow_up_date)
        self.assertEqual(
            self._in_queue(case), case, "the customer called back: work it now"
        )
        self.assertEqual(case.call_count, 2)

    def test_refused_inputs_write_nothing(self):
        case = self._new_cases(1, user_id=self.anna.id)
        Call = self.env["billing.case.call"]
        for outcome, follow_up, message in (
            (self.promise_given, False, "needs a follow-up date"),
            (self.reached, self.today, "after today"),
            (self.reached, self.today - timedelta(days=1), "after today"),
        ):
            with self.assertRaisesRegex(UserError, message):
                self._log(case, self.anna, outcome, follow_up_date=follow_up)
        self.assertFalse(Call.search([("case_id", "=", case.id)]))
        self.assertFalse(case.message_ids.filtered(lambda m: "Call:" in (m.body or "")))
        self.assertEqual(case.state, "new")
        case.write({"state": "resolved"})
        with self.assertRaisesRegex(UserError, "Only open cases"):
            case._log_call(self.reached, follow_up_date=self.today + timedelta(days=3))
        self.assertFalse(Call.search([("case_id", "=", case.id)]))

    def test_call_on_closed_case_without_follow_up(self):
        case = self._new_cases(1, user_id=self.anna.id)
        case.write({"state": "resolved"})
        call = self._log(
            case, self.anna, self.reached, note="Thanked us for the credit note."
        )
        self.assertEqual(call.case_id, case)
        self.assertEqual(case.state, "resolved")

    def test_closing_ends_the_resubmission(self):
        case = self._new_cases(1, user_id=self.anna.id)
        self._log(case, self.anna, self.voicemail)
        self.assertTrue(case.follow_up_date)
        case._mark_resolved("no_action", note="Paid in the meantime.")
        self.assertFalse(case.follow_up_date)

    def test_outcomes_count_by_read_group(self):
        cases = self._new_cases(3, user_id=self.anna.id)
        self._log(cases[0], self.anna, self.reached)
        self._log(cases[1], self.anna, self.voicemail)
        self._log(cases[2], self.anna, self.voicemail)
        counts = dict(
            self.env["billing.case.call"]._read_group(
                [("case_id", "in", cases.ids)], ["outcome_id"], ["__count"]
            )
        )
        self.assertEqual(counts, {self.reached: 1, self.voicemail: 2})


@tagged("post_install", "-at_install")
class TestFollowUpCron(BillingCallCommon):
    def test_cron_returns_cases_with_a_todo(self):
        called = self._new_cases(1, user_id=self.anna.id)
        called.action_start()
        self._log(called, self.anna, self.voicemail, note="Left a message for Ann.")
        unassigned = self._new_cases(1)
        unassigned._set_follow_up(self.today + timedelta(days=1))
        later = self._new_cases(1, user_id=self.ben.id)
        self._log(later, self.ben, self.voicemail)
        self.assertEqual(
            (called | unassigned | later).mapped("state"), ["waiting_customer"] * 3
        )
        # Their date has come (written directly: the wizard refuses dates not in the future).
        (called | unassigned).write({"follow_up_date": self.today})
        self.assertEqual(
            self._in_queue(called | unassigned | later), called | unassigned
        )

        self._run_follow_up_cron()

        self.assertEqual((called | unassigned).mapped("follow_up_date"), [False, False])
        self.assertEqual(
            (called | unassigned).mapped("state"), ["in_progress", "in_progress"]
        )
        self.assertEqual(
            called.user_id, self.anna, "the cron user does not become the coordinator"
        )
        self.assertFalse(unassigned.user_id)
        todo = self.env.ref("mail.mail_activity_data_todo")
        for case, user in ((called, self.anna), (unassigned, self.leader)):
            self.assertRecordValues(
                case.activity_ids,
                [
                    {
                        "activity_type_id": todo.id,
                        "user_id": user.id,
                        "date_deadline": self.today,
                        "summary": "Follow-up due",
                    }
                ],
            )
        self.assertIn("Voicemail", called.activity_ids.note)
        self.assertIn("Left a message for Ann.", called.activity_ids.note)
        self.assertTrue(later.follow_up_date)
        self.assertEqual(later.state, "waiting_customer")
        self.assertFalse(later.activity_ids)

        # Nothing left to return: a second run changes nothing.
        self._run_follow_up_cron()
        self.assertEqual(len(called.activity_ids), 1)

    def test_cron_is_registered(self):
        cron = self.env.ref("billing_coordinator.ir_cron_billing_case_follow_up")
        self.assertEqual(cron.code.strip(), "model._cron_return_follow_ups()")
        self.assertTrue(cron.active)


@tagged("post_install", "-at_install")
class TestCallSecurity(BillingCallCommon):
    def test_calls_follow_the_case_rules(self):
        case_a = self._new_cases(1, user_id=self.anna.id)
        case_b = self._new_cases(1, partner=self.other_customer, user_id=self.dora.id)
        call_a = self._log(case_a, self.anna, self.reached, note="Team A call")
        call_b = self._log(case_b, self.dora, self.reached, note="Team B call")
        Call = self.env["billing.case.call"]
        both = (call_a | call_b).ids

        self.assertEqual(
            Call.with_user(self.ben).search([("id", "in", both)]),
            call_a,
            "team mates see it",
        )
        self.assertEqual(
            Call.with_user(self.leader).search([("id", "in", both)]), call_a
        )
        self.assertEqual(Call.with_user(self.dora).search([("id", "in", both)]), call_b)
        self.assertEqual(
            Call.with_user(self.manager).search([("id", "in", both)]), call_a | call_b
        )
        with self.assertRaises(AccessError):
            call_b.with_user(self.anna).read(["note"])
        # Another team's case: no call can be logged on it, no e-mail sent from it.
        for action in (
            "action_open_log_call_wizard",
            "action_send_email",
            "action_view_calls",
        ):
            with self.assertRaises(AccessError):
                getattr(case_b.with_user(self.anna), action)()
        with self.assertRaises(AccessError):
            self._log(case_b, self.anna, self.reached)
        with self.assertRaises(AccessError):
            Call.with_user(self.anna).create(
                {"case_id": case_b.id, "outcome_id": self.reached.id}
            )
        # Team mates read but do not rewrite each other's calls; the author does.
        with self.assertRaises(AccessError):
            call_a.with_user(self.ben).write({"note": "changed"})
        call_a.with_user(self.anna).write({"note": "Team A call, PO number 4711"})
        with self.assertRaises(AccessError):
            call_a.with_user(self.anna).unlink()
        call_a.with_user(self.manager).unlink()
        self.assertFalse(call_a.exists())
        self.assertTrue(call_b.exists())

    def test_accounting_users_read_only(self):
        case = self._new_cases(1, user_id=self.anna.id)
        call = self._log(case, self.anna, self.reached)
        self.assertEqual(call.with_user(self.invoice_user).outcome_id, self.reached)
        with self.assertRaises(AccessError):
            self.env["billing.case.call"].with_user(self.invoice_user).create(
                {"case_id": case.id, "outcome_id": self.reached.id}
            )
        with self.assertRaises(AccessError):
            call.with_user(self.invoice_user).write({"note": "x"})

    def test_multi_company(self):
        foreign_case = self._other_company_case("Calls Co")
        other = foreign_case.company_id
        foreign_call = self.env["billing.case.call"].create(
            {"case_id": foreign_case.id, "outcome_id": self.reached.id}
        )
        self.assertEqual(foreign_call.company_id, other)
        self.assertFalse(
            self.env["billing.case.call"]
            .with_user(self.manager)
            .search([("id", "=", foreign_call.id)])
        )
        with self.assertRaises(AccessError):
            foreign_call.with_user(self.manager).read(["note"])
        outcome = self.env["billing.call.outcome"].create(
            {"name": "Only in Calls Co", "code": "calls_co", "company_id": other.id}
        )
        self.assertNotIn(
            outcome, self.env["billing.call.outcome"].with_user(self.anna).search([])
        )

    def test_outcomes_configured_by_managers(self):
        Outcome = self.env["billing.call.outcome"]
        with self.assertRaises(AccessError):
            Outcome.with_user(self.anna).create({"name": "Busy", "code": "busy"})
        with self.assertRaises(AccessError):
            self.reached.with_user(self.anna).write({"follow_up_days": 9})
        busy = Outcome.with_user(self.manager).create(
            {"name": "Busy", "code": "busy", "follow_up_days": 1}
        )
        self.assertTrue(busy.exists())
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.cr.savepoint(),
        ):
            Outcome.create({"name": "Busy again", "code": "busy"})
