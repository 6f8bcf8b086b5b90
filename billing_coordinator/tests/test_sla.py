from datetime import date

from odoo import Command
from odoo.tests import tagged

from .sla_common import (
    FRI,
    MON,
    NEXT_MON,
    NEXT_THU,
    NEXT_TUE,
    NEXT_WED,
    SAT,
    THU,
    TUE,
    WED,
    SlaCommon,
)


@tagged("post_install", "-at_install")
class TestSlaDeadline(SlaCommon):
    def test_deadline_skips_the_weekend(self):
        # Created on Thursday with 3 working days: Friday, Monday, Tuesday.
        case = self._case_on(THU)
        self.assertEqual(case.deadline, NEXT_TUE)
        # Created on Saturday: the clock starts with Monday.
        self.assertEqual(self._case_on(SAT).deadline, NEXT_WED)

    def test_deadline_skips_public_holidays_of_the_company(self):
        self._add_public_holiday(NEXT_MON, name="Company holiday")
        # A holiday of another company, on the Tuesday, does not count here.
        other = self.setup_other_company(name="SLA Other Co")["company"]
        self._add_public_holiday(NEXT_TUE, company=other, name="Holiday elsewhere")
        case = self._case_on(THU)
        # Friday, (Monday off), Tuesday, Wednesday.
        self.assertEqual(case.deadline, NEXT_WED)

    def test_holiday_on_the_calendar_counts_too(self):
        self._add_public_holiday(FRI, calendar=self.calendar)
        self.assertEqual(self._case_on(THU).deadline, NEXT_WED)

    def test_sla_of_zero_days_is_due_the_same_day(self):
        self.type_sla3.sla_days = 0
        self.assertEqual(self._case_on(WED).deadline, WED)

    def test_type_change_recomputes_in_working_days(self):
        case = self._case_on(MON)
        self.assertEqual(case.deadline, THU)
        with self.on(TUE):
            case.case_type_id = self.env["billing.case.type"].create(
                {"name": "Six-day SLA", "code": "overcharge", "sla_days": 6}
            )
        # From the creation day, not from the day of the change.
        self.assertEqual(case.deadline, NEXT_TUE)

    def test_deadlines_of_a_batch_cost_the_same_queries(self):
        """The calendar is read once per company, not once per case."""
        types = self.env["billing.case.type"].create(
            [{"name": f"SLA {n}", "code": "other", "sla_days": n} for n in range(1, 11)]
        )
        with self.on(THU):
            cases = self.Case.create(
                [
                    {"partner_id": self.customer.id, "case_type_id": types[n % 10].id}
                    for n in range(40)
                ]
            )
        # 1 day after Thursday: Friday; 2: Monday; ... 10: Thursday two weeks later.
        self.assertEqual(cases[0].deadline, FRI)  # 1 working day
        self.assertEqual(cases[1].deadline, NEXT_MON)  # 2
        self.assertEqual(
            cases[9].deadline, date(2026, 1, 22)
        )  # 10: Thursday two weeks on
        self.assertEqual(cases[19].deadline, date(2026, 1, 22))

        def queries(records):
            self.env.invalidate_all()
            field = self.Case._fields["deadline"]
            self.env.add_to_compute(field, records)
            before = self.env.cr.sql_log_count
            with self.on(THU):
                records._recompute_recordset(["deadline"])
            return self.env.cr.sql_log_count - before

        self.assertEqual(queries(cases[:4]), queries(cases))


@tagged("post_install", "-at_install")
class TestSlaPause(SlaCommon):
    def test_waiting_moves_the_deadline_by_the_working_days_paused(self):
        case = self._case_on(MON)  # due Thursday
        self.assertEqual(case.deadline, THU)
        with self.on(TUE):
            case.action_wait_customer()
        self.assertEqual(case.sla_paused_since, TUE)
        # Friday: the deadline (Thursday) is behind us, but the clock stands still.
        with self.on(FRI):
            self.assertFalse(case.is_late)
            self.assertNotIn(case, self.Case.search([("is_late", "=", True)]))
            case._refresh_priority_scores()
            self.assertNotEqual(case.queue_urgency, "breached")
            self.assertLess(case.priority_score, 1000)
        # The customer answers on the next Monday: Tuesday to Friday were paused (4
        # working days, the weekend does not count), so Thursday + 4 working days.
        with self.on(NEXT_MON):
            case.action_start()
        self.assertEqual(case.state, "in_progress")
        self.assertFalse(case.sla_paused_since)
        self.assertEqual(case.sla_paused_days, 4)
        self.assertEqual(case.deadline, NEXT_WED)
        # Two working days left, as when the wait started on Tuesday.
        with self.on(NEXT_MON):
            self.assertFalse(case.is_late)

    def test_pauses_add_up_and_survive_a_type_change(self):
        case = self._case_on(MON)
        with self.on(TUE):
            case.action_wait_customer()
        with self.on(WED):
            case.action_start()  # one working day paused: due Friday
        self.assertEqual(case.deadline, FRI)
        with self.on(FRI):
            case.action_wait_customer()
        with self.on(NEXT_TUE):
            case.action_start()  # Friday and Monday paused: due Tuesday
        self.assertEqual(case.sla_paused_days, 3)
        self.assertEqual(case.deadline, NEXT_TUE)
        # A new type counts its SLA from the creation day, plus the paused days.
        with self.on(NEXT_TUE):
            case.case_type_id = self.env["billing.case.type"].create(
                {"name": "Five-day SLA", "code": "overcharge", "sla_days": 5}
            )
        self.assertEqual(case.deadline, NEXT_THU)  # 5 + 3 = 8 working days after Monday

    def test_pause_over_a_weekend_or_a_holiday_costs_nothing(self):
        self._add_public_holiday(NEXT_MON)
        case = self._case_on(MON)
        with self.on(SAT):
            case.action_wait_customer()
        with self.on(NEXT_TUE):
            case.action_start()
        self.assertEqual(case.sla_paused_days, 0)
        self.assertEqual(case.deadline, THU)

    def test_batch_resume(self):
        first = self._case_on(MON)
        second = self._case_on(TUE)  # due Friday
        with self.on(TUE):
            first.action_wait_customer()
        with self.on(THU):
            second.action_wait_customer()
        with self.on(NEXT_MON):
            (first | second).action_start()
        self.assertEqual((first.sla_paused_days, first.deadline), (4, NEXT_WED))
        self.assertEqual((second.sla_paused_days, second.deadline), (2, NEXT_TUE))

    def test_case_created_waiting_is_paused(self):
        with self.on(MON):
            case = self._create_case(
                case_type_id=self.type_sla3.id, state="waiting_customer"
            )
        self.assertEqual(case.sla_paused_since, MON)
        with self.on(WED):
            case.action_start()
        self.assertEqual(case.sla_paused_days, 2)
        self.assertEqual(case.deadline, NEXT_MON)

    def test_resolving_a_waiting_case_ends_the_pause(self):
        case = self._case_on(MON)
        with self.on(TUE):
            case.action_wait_customer()
        with self.on(THU):
            case._mark_resolved("no_action")
        self.assertFalse(case.sla_paused_since)
        self.assertEqual(case.sla_paused_days, 2)
        self.assertEqual(case.deadline, NEXT_MON)


@tagged("post_install", "-at_install")
class TestSlaEscalation(SlaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.leader = cls._create_billing_user(
            "sla_leader", [cls.env.ref("billing_coordinator.group_billing_user")]
        )
        cls.team = cls.env["billing.team"].create(
            {
                "name": "SLA Team",
                "leader_id": cls.leader.id,
                "assignment_method": "manual",
                "member_ids": [Command.set(cls.coordinator.ids)],
            }
        )
        cls.customer.billing_team_id = cls.team

    def _leader_activities(self, case):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "billing.case"),
                ("res_id", "=", case.id),
                ("user_id", "=", self.leader.id),
            ]
        )

    def _breach_notes(self, case):
        return case.message_ids.filtered(lambda m: "SLA breached" in (m.body or ""))

    def test_breach_escalates_once(self):
        case = self._case_on(MON, priority="1")  # due Thursday
        self.assertEqual(case.team_id, self.team)
        with self.on(THU):  # due today: not breached
            self._run_cron("_cron_escalate_sla_breaches")
        self.assertFalse(case.sla_breached)
        self.assertFalse(self._leader_activities(case))

        with self.on(FRI):
            self._run_cron("_cron_escalate_sla_breaches")
        self.assertTrue(case.sla_breached)
        self.assertEqual(case.priority, "2")
        self.assertEqual(len(self._breach_notes(case)), 1)
        self.assertIn("Priority is now High", self._breach_notes(case).body)
        activity = self._leader_activities(case)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.date_deadline, FRI)
        self.assertEqual(activity.summary, "SLA breached")
        self.assertEqual(self.team.breached_case_count, 1)
        self.assertIn(case, self.Case.search([("sla_breached", "=", True)]))

        # The next days: the same breach, nothing new.
        with self.on(NEXT_MON):
            self._run_cron("_cron_escalate_sla_breaches")
        self.assertEqual(case.priority, "2")
        self.assertEqual(len(self._breach_notes(case)), 1)
        self.assertEqual(len(self._leader_activities(case)), 1)

    def test_new_deadline_then_new_breach_escalates_again(self):
        case = self._case_on(MON, priority="2")
        with self.on(FRI):
            self._run_cron("_cron_escalate_sla_breaches")
            self.assertEqual(case.priority, "3")
            case.deadline = NEXT_TUE  # agreed with the customer
        self.assertFalse(case.sla_breached)
        self.assertEqual(self.team.breached_case_count, 0)
        with self.on(NEXT_WED):
            self._run_cron("_cron_escalate_sla_breaches")
        self.assertTrue(case.sla_breached)
        self.assertEqual(case.priority, "3")  # Urgent is the top
        self.assertEqual(len(self._breach_notes(case)), 2)
        self.assertEqual(len(self._leader_activities(case)), 2)

    def test_waiting_case_is_not_escalated_closed_case_keeps_its_breach(self):
        waiting = self._case_on(MON)
        with self.on(WED):
            waiting.action_wait_customer()
        late = self._case_on(MON)
        with self.on(NEXT_MON):
            self._run_cron("_cron_escalate_sla_breaches")
        self.assertFalse(waiting.sla_breached)
        self.assertTrue(late.sla_breached)
        with self.on(NEXT_MON):
            late._mark_resolved("no_action")
        self.assertTrue(
            late.sla_breached, "a resolved case still shows it was breached"
        )

    def test_case_without_team_leader_gets_no_activity(self):
        self.team.leader_id = False
        case = self._case_on(MON)
        with self.on(FRI):
            self._run_cron("_cron_escalate_sla_breaches")
        self.assertTrue(case.sla_breached)
        self.assertEqual(len(self._breach_notes(case)), 1)
        self.assertFalse(case.activity_ids)

    def test_breached_counter_opens_the_team_queue(self):
        case = self._case_on(MON)
        with self.on(FRI):
            self._run_cron("_cron_escalate_sla_breaches")
        action = self.team.action_view_breached_cases()
        self.assertEqual(action["context"]["search_default_breached"], 1)
        self.assertEqual(
            self.Case.search(action["domain"] + [("sla_breached", "=", True)]), case
        )
