from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .sla_common import FRI, MON, NEXT_MON, NEXT_TUE, TUE, WED, SlaCommon


@tagged("post_install", "-at_install")
class TestPriorityScore(SlaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "billing_score_weight_deadline": 40,
                "billing_score_weight_priority": 20,
                "billing_score_weight_amount": 20,
                "billing_score_weight_age": 10,
                "billing_score_weight_customer": 10,
                "billing_score_amount_full": 10000,
            }
        )
        cls.key_account = cls.env["res.partner"].create(
            {
                "name": "Key Account Ltd",
                "is_company": True,
                "billing_tier": "key_account",
            }
        )

    def _ranked(self, cases):
        return self.Case.search(
            [("id", "in", cases.ids)], order="priority_score desc, deadline, id"
        )

    def test_late_low_amount_beats_on_time_high_amount(self):
        late_small = self._case_on(
            MON, expected_amount=100, actual_amount=110
        )  # due Thursday
        big = self._case_on(
            WED,
            expected_amount=50000,
            actual_amount=100000,
            priority="3",
            partner_id=self.key_account.id,
        )  # due next Monday, urgent, key account
        with self.on(FRI):
            (late_small | big)._refresh_priority_scores()
            self.assertEqual(late_small.queue_urgency, "breached")
            self.assertEqual(big.queue_urgency, "later")
        # Late: 1000 + deadline 40 x 1/10 + amount 20 x 10/10000 + age 10 x 4/30.
        self.assertAlmostEqual(
            late_small.priority_score, 1000 + 4 + 0.02 + 1.33, delta=0.1
        )
        # On time: deadline 40 x (1 - 3/10) + urgent 20 + amount 20 (capped) + age
        # 10 x 2/30 + key account 10.
        self.assertAlmostEqual(big.priority_score, 28 + 20 + 20 + 0.67 + 10, delta=0.1)
        self.assertEqual(self._ranked(late_small | big), late_small | big)

    def test_key_account_beats_standard_customer_otherwise_equal(self):
        standard = self._case_on(TUE, expected_amount=500, actual_amount=400)
        key = self._case_on(
            TUE, expected_amount=500, actual_amount=400, partner_id=self.key_account.id
        )
        self.assertAlmostEqual(
            key.priority_score - standard.priority_score, 10.0, places=1
        )
        self.assertEqual(self._ranked(standard | key)[0], key)
        # Tiers belong to the commercial entity: a contact carries its company's tier.
        contact = self.env["res.partner"].create(
            {"name": "Kim", "parent_id": self.key_account.id}
        )
        self.assertEqual(contact.billing_tier, "key_account")
        # Raising the customer's tier ranks its open cases at once.
        with self.on(TUE):
            self.customer.billing_tier = "important"
            self.env.flush_all()
        self.assertAlmostEqual(
            key.priority_score - standard.priority_score, 5.0, places=1
        )

    def test_weights_change_the_ordering(self):
        money = self._case_on(TUE, expected_amount=0, actual_amount=10000)
        urgent = self._case_on(TUE, priority="3")
        self.company.write(
            {"billing_score_weight_amount": 50, "billing_score_weight_priority": 10}
        )
        self.assertEqual(self._ranked(money | urgent)[0], money)
        # Saving other weights ranks the open cases again, no cron needed.
        self.company.write(
            {"billing_score_weight_amount": 10, "billing_score_weight_priority": 50}
        )
        self.assertEqual(self._ranked(money | urgent)[0], urgent)
        self.assertGreater(urgent.priority_score - money.priority_score, 39)

    def test_amount_in_foreign_currency_counts_in_company_currency(self):
        other = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        case = self._case_on(
            TUE, currency_id=other.id, expected_amount=0, actual_amount=10000
        )
        with self.on(TUE):
            case._refresh_priority_scores()
            breakdown = case.priority_score_breakdown
        # 10,000 EUR at 2 EUR per dollar: 5,000 of the 10,000 for full points.
        amount_row = next(
            row for row in str(breakdown).split("<tr") if "Amount at Stake" in row
        )
        self.assertIn("10.0", amount_row)
        self.assertIn("5,000.00", amount_row)

    def test_breakdown_explains_each_part(self):
        case = self._case_on(
            MON,
            expected_amount=1000,
            actual_amount=3000,
            priority="2",
            partner_id=self.key_account.id,
        )
        with self.on(NEXT_MON):
            case._refresh_priority_scores()
            html = str(case.priority_score_breakdown)
        # Due Thursday, now the Monday after: 4 days late.
        for text in (
            "Past due",
            "1000",
            "Deadline",
            "4 day(s) late",
            "16.0",
            "Priority",
            "High",
            "13.3",
            "Amount at Stake",
            "2,000.00",
            "4.0",
            "Case Age",
            "Open for 7 day(s)",
            "2.3",
            "Customer Tier",
            "Key Account",
            "10.0",
            "Score today",
            f"{case.priority_score:.1f}",
        ):
            self.assertIn(text, html)
        self.assertAlmostEqual(
            case.priority_score, 1000 + 16 + 13.3 + 4 + 2.3 + 10, delta=0.1
        )

    def test_urgency_groups(self):
        with self.on(WED):
            today = self._create_case(case_type_id=self.type_sla3.id, deadline=WED)
            week = self._create_case(case_type_id=self.type_sla3.id, deadline=FRI)
            later = self._create_case(case_type_id=self.type_sla3.id, deadline=NEXT_MON)
            late = self._create_case(case_type_id=self.type_sla3.id, deadline=TUE)
            self.assertEqual(
                (today | week | later | late).mapped("queue_urgency"),
                ["today", "week", "later", "breached"],
            )
            self.assertEqual(
                self._ranked(today | week | later | late), late | today | week | later
            )
            # The queue list groups by urgency and sorts by score: groups keep their own
            # order, not the alphabetical one nor that of their score sums.
            cases = today | week | later | late
            for order in (None, "priority_score, deadline, id", "priority_score desc"):
                groups = self.Case.web_read_group(
                    [("id", "in", cases.ids)],
                    ["queue_urgency"],
                    ["priority_score:sum"],
                    order=order,
                )["groups"]
                self.assertEqual(
                    [g["queue_urgency"] for g in groups],
                    ["breached", "today", "week", "later"],
                    order,
                )
            late._mark_resolved("no_action")
        self.assertFalse(late.queue_urgency)
        self.assertEqual(late.priority_score, 0.0)
        self.assertIn("not ranked", str(late.priority_score_breakdown))

    def test_cron_refreshes_scores_as_time_passes(self):
        case = self._case_on(MON)  # due Thursday
        self.assertEqual(case.queue_urgency, "week")
        monday_score = case.priority_score
        with self.on(NEXT_TUE):
            # Nothing changed on the case: the stored rank is Monday's until the cron.
            self.assertEqual(case.priority_score, monday_score)
            self._run_cron("_cron_refresh_priority_scores")
        self.assertEqual(case.queue_urgency, "breached")
        self.assertGreater(case.priority_score, 1000 + monday_score - 40)
        self.assertIn(case, self.Case.search([("queue_urgency", "=", "breached")]))
        cron = self.env.ref("billing_coordinator.ir_cron_billing_case_refresh_scores")
        self.assertEqual(cron.code.strip(), "model._cron_refresh_priority_scores()")

    def test_take_next_gives_the_late_case_first(self):
        on_time = self._case_on(
            WED, expected_amount=0, actual_amount=90000, priority="3"
        )
        late = self._case_on(MON)
        with self.on(FRI):
            (on_time | late)._refresh_priority_scores()
            self.Case.with_user(self.coordinator).action_take_next()
        self.assertEqual(late.user_id, self.coordinator)
        self.assertFalse(on_time.user_id)

    def test_weights_are_checked(self):
        for vals, message in (
            ({"billing_score_weight_age": -1}, "cannot be negative"),
            ({"billing_score_weight_deadline": 990}, "1000 or less"),
            ({"billing_score_amount_full": 0}, "must be positive"),
        ):
            with self.subTest(vals=vals):
                with self.assertRaises(ValidationError) as caught:
                    self.company.write(vals)
                self.assertIn(message, str(caught.exception))
