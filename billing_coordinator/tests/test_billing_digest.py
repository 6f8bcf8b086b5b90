from datetime import timedelta

from lxml import html

from odoo.tests import tagged
from odoo.tools import format_date

from .test_billing_team import BillingTeamCommon


@tagged("post_install", "-at_install")
class TestDailyDigest(BillingTeamCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_a.assignment_method = "manual"
        cls.team_b.assignment_method = "manual"
        Case = cls.env["billing.case"]
        cls.case_new = cls._new_cases(1, user_id=cls.anna.id)
        cls.case_due = cls._new_cases(1, user_id=cls.anna.id)
        cls.case_due.write({"state": "in_progress", "deadline": cls.today})
        cls.case_breached = cls._new_cases(1, user_id=cls.anna.id)
        cls.case_breached.write(
            {
                "state": "in_progress",
                "deadline": cls.today - timedelta(days=3),
                "sla_breached": True,
            }
        )
        cls.case_promise = cls._new_cases(1, user_id=cls.anna.id)
        cls.case_promise.write(
            {"state": "waiting_customer", "deadline": cls.today + timedelta(days=9)}
        )
        cls.env["billing.case.promise"].create(
            [
                {"case_id": cls.case_promise.id, "date": cls.today, "amount": 100.0},
                {
                    "case_id": cls.case_promise.id,
                    "date": cls.today + timedelta(days=30),
                    "amount": 50.0,
                },
            ]
        )
        # Ben has an open case, but nothing new, due or breached: no digest.
        cls.case_ben = cls._new_cases(1, user_id=cls.ben.id)
        cls.case_ben.write(
            {"state": "in_progress", "deadline": cls.today + timedelta(days=5)}
        )
        cls.unassigned = cls._new_cases(1)
        cls.unassigned.write(
            {"deadline": cls.today - timedelta(days=2), "sla_breached": True}
        )
        # Closed, and another team's: never counted for team A.
        cls.closed = cls._new_cases(1, user_id=cls.anna.id)
        cls.closed.write({"state": "resolved", "deadline": cls.today})
        cls.case_dora = cls._new_cases(
            1, partner=cls.other_customer, user_id=cls.dora.id
        )
        cls.case_dora.write(
            {"state": "in_progress", "deadline": cls.today + timedelta(days=5)}
        )
        cls.Case = Case

    def _send(self):
        """The digests of this test's users (demo data may add others)."""
        ours = self.anna | self.ben | self.cleo | self.dora | self.leader
        mails = self.env["billing.case"]._cron_send_daily_digest()
        return {
            mail.recipient_ids.user_ids: mail
            for mail in mails
            if mail.recipient_ids.user_ids & ours
        }

    def _section(self, tree, key):
        [heading] = tree.xpath(f"//h3[@data-section='{key}']")
        items = heading.getnext().xpath("./li")
        return heading.text_content().split(":")[-1].strip(), [
            li.text_content() for li in items
        ]

    def test_one_mail_per_user_with_something(self):
        by_user = self._send()
        self.assertEqual(
            set(by_user),
            {self.anna, self.leader},
            "Ben, Cleo and Dora have nothing to report",
        )
        for mail in by_user.values():
            self.assertEqual(len(mail.recipient_ids), 1)
            self.assertEqual(mail.state, "outgoing")

    def test_coordinator_queue_content(self):
        mail = self._send()[self.anna]
        tree = html.fromstring(mail.body_html)
        count, items = self._section(tree, "new")
        self.assertEqual(count, "1")
        self.assertIn(self.case_new.name, items[0])
        self.assertIn(self.customer.name, items[0])
        count, items = self._section(tree, "due_today")
        self.assertEqual((count, len(items)), ("1", 1))
        self.assertIn(self.case_due.name, items[0])
        count, items = self._section(tree, "breached")
        self.assertEqual((count, len(items)), ("1", 1))
        self.assertIn(self.case_breached.name, items[0])
        count, items = self._section(tree, "promises")
        self.assertEqual(
            count, "1", "one installment due today, the later one is not due"
        )
        self.assertIn(self.case_promise.name, items[0])
        self.assertNotIn(self.closed.name, mail.body_html)
        self.assertNotIn(self.case_ben.name, mail.body_html)
        self.assertFalse(tree.xpath("//h3[@data-team]"), "Anna leads no team")
        links = tree.xpath("//a/@href")
        self.assertTrue(
            any(
                link.endswith(f"/odoo/billing-cases/{self.case_new.id}")
                for link in links
            )
        )

    def test_leader_team_summary(self):
        mail = self._send()[self.leader]
        tree = html.fromstring(mail.body_html)
        self.assertFalse(
            tree.xpath("//h3[@data-section]"), "the leader has no case of their own"
        )
        [heading] = tree.xpath(f"//h3[@data-team='{self.team_a.id}']")
        self.assertIn("Key Accounts", heading.text_content())
        summary = " ".join(heading.getnext().text_content().split())
        # Team A: Anna 4 open (1 breached), Ben 1, unassigned 1 (breached).
        self.assertIn("Open: 6", summary)
        self.assertIn("Unassigned: 1", summary)
        self.assertIn("Breached: 2", summary)
        rows = {
            int(row.get("data-user")): [
                cell.text_content() for cell in row.xpath("./td")
            ]
            for row in tree.xpath("//tr[@data-user]")
        }
        self.assertEqual(rows[self.anna.id][1:], ["4", "1"])
        self.assertEqual(rows[self.ben.id][1:], ["1", "0"])
        self.assertEqual(
            rows[self.cleo.id][1:], ["0", "0"], "members without cases are listed"
        )
        self.assertNotIn(self.dora.id, rows)

    def test_to_dos_and_many_cases(self):
        # A follow-up back from resubmission is listed as a to-do; more cases than shown
        # give "and N more".
        self.case_due.activity_schedule(
            "mail.mail_activity_data_todo", user_id=self.anna.id
        )
        many = self._new_cases(12, user_id=self.anna.id)
        for score, case in enumerate(many):
            case.priority_score = score
        mail = self._send()[self.anna]
        tree = html.fromstring(mail.body_html)
        count, items = self._section(tree, "activities")
        self.assertEqual(count, "1")
        self.assertIn(self.case_due.name, items[0])
        count, items = self._section(tree, "new")
        self.assertEqual(count, "13")
        self.assertEqual(len(items), 11, "ten cases and the rest as a count")
        self.assertIn(many[-1].name, items[0], "the highest score first")
        self.assertIn("and 3 more", items[-1])

    def test_in_the_user_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.anna.lang = "fr_FR"
        by_user = self._send()
        french_date = format_date(
            self.env(context={"lang": "fr_FR"}), self.today, date_format="long"
        )
        english_date = format_date(
            self.env(context={"lang": "en_US"}), self.today, date_format="long"
        )
        self.assertNotEqual(french_date, english_date)
        self.assertIn(french_date, by_user[self.anna].subject)
        self.assertIn(english_date, by_user[self.leader].subject)
        # Dates in the body follow the user's language too.
        deadline = format_date(
            self.env(context={"lang": "fr_FR"}), self.case_breached.deadline
        )
        self.assertIn(deadline, by_user[self.anna].body_html)

    def test_nothing_to_report_sends_nothing(self):
        self.Case.search([("team_id", "in", (self.team_a | self.team_b).ids)]).write(
            {"state": "cancelled", "resolution_note": "Withdrawn"}
        )
        self.assertFalse(self._send())

    def test_cron_is_registered(self):
        cron = self.env.ref("billing_coordinator.ir_cron_billing_case_digest")
        self.assertEqual(cron.code.strip(), "model._cron_send_daily_digest()")
