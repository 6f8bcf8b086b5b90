"""A first detection run creates its cases in one batch: the same cases, field for
field, as creating them one by one with ``create()``, and no chatter message per case.

The batch goes through the set-wise path (``_bulk_create_cases``); the reference run
through ``create()`` one finding at a time. The data makes each computed field matter:
a working-day SLA over a weekend and a public holiday, a least-loaded team that gets
two cases of the batch, a key-account customer (score), a coordinator of the customer,
payments linked, and a second company with its own numbering."""

from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import formatLang, mute_logger

from odoo.addons.billing_coordinator.models.billing_case_detection_bulk_html import (
    PLAIN_PARAGRAPH,
)

from .sla_common import SlaCommon

# Set by the database or the numbering, not by what the detection found (followers
# are compared by partner).
NOT_COMPARED = {
    "id",
    "name",
    "create_date",
    "write_date",
    "create_uid",
    "write_uid",
    "message_follower_ids",
}


@tagged("post_install", "-at_install")
class TestDetectionBulk(SlaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The chatter as in production (the test classes disable it): tracking,
        # creation messages and subscriptions are what the comparison is about.
        cls.Case = cls.env["billing.case"].with_context(
            tracking_disable=False,
            mail_create_nolog=False,
            mail_create_nosubscribe=False,
            mail_notrack=False,
        )
        user_group = cls.env.ref("billing_coordinator.group_billing_user")
        cls.team_member = cls._create_billing_user("team_member", [user_group])
        cls.team_member_2 = cls._create_billing_user("team_member_2", [user_group])
        cls.team = cls.env["billing.team"].create(
            {
                "name": "Bulk Team",
                "company_id": cls.company.id,
                "assignment_method": "least_loaded",
                "membership_ids": [
                    Command.create({"user_id": cls.team_member.id, "sequence": 1}),
                    Command.create({"user_id": cls.team_member_2.id, "sequence": 2}),
                ],
            }
        )
        # One customer with its own coordinator, two routed to the team (one a key
        # account), and the contact of the first invoiced in its own name.
        cls.customer.billing_coordinator_id = cls.coordinator
        cls.other_customer.write(
            {"billing_team_id": cls.team.id, "billing_tier": "key_account"}
        )
        cls.third_customer = cls.env["res.partner"].create(
            {
                "name": "Third Customer",
                "is_company": True,
                "billing_team_id": cls.team.id,
            }
        )
        long_ago, due = cls.today - timedelta(days=90), cls.today - timedelta(days=40)
        cls.invoices = (
            cls._create_invoice(amount=1000.0, invoice_date=long_ago, due_date=due)
            | cls._create_invoice(amount=250.0, invoice_date=long_ago, due_date=due)
            | cls._create_invoice(
                partner=cls.other_customer,
                amount=4000.0,
                invoice_date=long_ago,
                due_date=due - timedelta(days=20),
            )
            | cls._create_invoice(
                partner=cls.customer_contact,
                amount=600.0,
                invoice_date=long_ago,
                due_date=due,
            )
            | cls._create_invoice(
                partner=cls.third_customer,
                amount=300.0,
                invoice_date=long_ago,
                due_date=due,
            )
        )
        cls.partial_payment = cls._register_payment(cls.invoices[0], amount=300.0)
        # A second company: its own sequence, calendar and customers.
        cls.company_2 = cls.setup_other_company(name="Bulk Company 2")["company"]
        cls.customer_2 = cls.env["res.partner"].create(
            {"name": "Second Company Customer", "is_company": True}
        )
        cls.invoice_2 = cls._create_invoice(
            partner=cls.customer_2,
            amount=700.0,
            invoice_date=long_ago,
            due_date=due,
            company=cls.company_2,
        )
        cls.companies = cls.company | cls.company_2

    def _snapshot(self, cases):
        """{detection key: every stored field the creation sets}, ids of relations,
        as stored (read again from the database)."""
        self.env.flush_all()
        self.env.invalidate_all()
        fnames = [
            name
            for name, field in self.Case._fields.items()
            if field.store and name not in NOT_COMPARED
        ]
        snapshot = {}
        for case in cases:
            values = {}
            for name in fnames:
                value = case[name]
                values[name] = sorted(value.ids) if hasattr(value, "_name") else value
            values["followers"] = sorted(
                (follower.partner_id.id, tuple(sorted(follower.subtype_ids.ids)))
                for follower in case.message_follower_ids
            )
            # what the chatter posted or notified (e.g. the assignment notification)
            values["messages"] = sorted(
                (message.message_type, message.subtype_id.id, message.partner_ids.ids)
                for message in self.env["mail.message"].search(
                    [("model", "=", case._name), ("res_id", "=", case.id)]
                )
            )
            snapshot[case.detection_key] = values
        return snapshot

    def _detect_one_by_one(self):
        """The reference: the same run, each case through create() on its own."""
        model = type(self.Case)
        original = model._create_detected_cases

        def one_by_one(records, company, findings):
            cases = records.browse()
            for finding in findings:
                cases |= original(records, company, [finding])
            return cases

        with (
            patch.object(model, "_create_detected_cases", one_by_one),
            patch.object(model, "_get_bulk_create_blocker", return_value="reference"),
            patch.object(model, "_bulk_create_cases") as bulk,
        ):
            cases = self.Case._detect(self.companies, rules=["overdue"])["created"]
        bulk.assert_not_called()
        return cases

    def _detect_in_bulk(self):
        model = type(self.Case)
        with patch.object(
            model,
            "_bulk_create_cases",
            autospec=True,
            side_effect=model._bulk_create_cases,
        ) as bulk:
            cases = self.Case._detect(self.companies, rules=["overdue"])["created"]
        self.assertEqual(bulk.call_count, 2, "one set-wise batch per company")
        return cases

    def test_bulk_first_run_equals_one_by_one(self):
        # A Thursday: 14 working days (the overdue SLA) span weekends, and the Friday
        # after is a public holiday.
        thursday = self.today + timedelta(days=(3 - self.today.weekday()) % 7)
        self._add_public_holiday(thursday + timedelta(days=1))
        with self.on(thursday):
            bulk = self._detect_in_bulk()
            self.env.flush_all()
        self.assertEqual(len(bulk), 6)
        self.env.cr.precommit.run()  # tracking of the creation, if any, is posted here
        self.assertFalse(
            bulk.message_ids, "no chatter message per case created by the detection"
        )
        # Amounts, links, coordinator, team, deadline and score, as created.
        by_key = {case.detection_key: case for case in bulk}
        first = by_key[f"account.move,{self.invoices[0].id}"]
        self.assertRecordValues(
            first,
            [
                {
                    "company_id": self.company.id,
                    "partner_id": self.customer.id,
                    "expected_amount": 1000.0,
                    "actual_amount": 300.0,
                    "amount_difference": -700.0,
                    "user_id": self.coordinator.id,
                    "team_id": False,
                    "state": "new",
                    "priority": "1",
                    "case_code": "overdue",
                }
            ],
        )
        self.assertEqual(first.move_ids, self.invoices[0])
        self.assertEqual(first.payment_ids, self.partial_payment)
        self.assertFalse(first.message_partner_ids, "no follower from the creation")
        # 14 working days from Thursday: 3 weeks less the holiday, a Thursday again.
        self.assertEqual(first.deadline, thursday + timedelta(days=21))
        # The team's two cases are balanced over its two members, the more urgent one
        # (the key account's larger amount) to the first member; each follows its case.
        routed = by_key[f"account.move,{self.invoices[2].id}"]
        routed_2 = by_key[f"account.move,{self.invoices[4].id}"]
        self.assertEqual((routed | routed_2).team_id, self.team)
        self.assertGreater(routed.priority_score, routed_2.priority_score)
        self.assertEqual(routed.user_id, self.team_member)
        self.assertEqual(routed_2.user_id, self.team_member_2)
        self.assertEqual(routed.message_partner_ids, self.team_member.partner_id)
        self.assertEqual(routed_2.message_partner_ids, self.team_member_2.partner_id)
        self.assertEqual(routed.queue_urgency, "later")
        contact_case = by_key[f"account.move,{self.invoices[3].id}"]
        self.assertEqual(contact_case.partner_id, self.customer)
        self.assertTrue(all(score > 0 for score in bulk.mapped("priority_score")))
        other = by_key[f"account.move,{self.invoice_2.id}"]
        self.assertEqual(other.company_id, self.company_2)
        # Names: unique, numbered one after the other in the order of creation.
        names = (bulk - other).sorted("id").mapped("name")
        self.assertEqual(len(set(names)), len(names))
        prefix = names[0].rstrip("0123456789")
        numbers = [int(name[len(prefix) :]) for name in names]
        self.assertEqual(numbers, list(range(numbers[0], numbers[0] + len(names))))

        expected = self._snapshot(bulk)
        bulk.unlink()
        with self.on(thursday):
            single = self._detect_one_by_one()
            self.env.flush_all()
        self.assertEqual(len(single), 6)
        self.assertEqual(self._snapshot(single), expected)

    def test_bulk_with_computes_left_to_the_orm(self):
        """When a compute is no longer this module's (another module overrides it),
        the ORM computes that field for the batch after the INSERT: still what
        create() gives."""
        thursday = self.today + timedelta(days=(3 - self.today.weekday()) % 7)
        with (
            patch.object(type(self.Case), "_bulk_owns", return_value=False),
            self.on(thursday),
        ):
            bulk = self._detect_in_bulk()
            self.env.flush_all()
        self.assertEqual(len(bulk), 6)
        expected = self._snapshot(bulk)
        bulk.unlink()
        with self.on(thursday):
            single = self._detect_one_by_one()
            self.env.flush_all()
        self.assertEqual(self._snapshot(single), expected)

    def test_bulk_path_refused_when_create_would_do_more(self):
        """Where create() logs, subscribes from the values or takes context defaults,
        the detection uses create()."""
        vals = [{"partner_id": self.customer.id, "case_type_id": self.type_sla3.id}]
        Case = self.Case.with_context(mail_create_nolog=True)
        self.assertFalse(Case._get_bulk_create_blocker(vals))
        self.assertTrue(self.Case._get_bulk_create_blocker(vals))
        self.assertTrue(
            Case.with_context(default_priority="3")._get_bulk_create_blocker(vals)
        )
        self.assertTrue(
            Case._get_bulk_create_blocker([dict(vals[0], user_id=self.coordinator.id)])
        )
        self.assertTrue(
            Case._get_bulk_create_blocker(
                [dict(vals[0], move_ids=[Command.create({})])]
            )
        )

    def test_unique_violation_falls_back_one_by_one(self):
        """A case a concurrent run created first makes the INSERT fail on the unique
        index of open detected cases: the batch is retried one by one and only that
        finding is skipped."""
        Case = self.Case.with_company(self.company).with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True
        )
        findings = Case._detect_overdue(self.company)
        Case._set_detection_case_types(self.company, findings, "overdue")
        taken = findings[1]
        Case.create(
            dict(
                Case._prepare_detected_case_vals(self.company, taken),
                move_ids=[],
                payment_ids=[],
            )
        )
        model = type(self.Case)
        with (
            mute_logger("odoo.sql_db"),  # the refused INSERTs
            patch.object(
                model,
                "_bulk_create_cases",
                autospec=True,
                side_effect=model._bulk_create_cases,
            ) as bulk,
        ):
            created = Case._create_detected_cases(self.company, findings)
        bulk.assert_called_once()
        self.assertEqual(len(created), len(findings) - 1)
        self.assertNotIn(taken["key"], created.mapped("detection_key"))

    def test_bulk_path_refuses_what_create_refuses(self):
        """The set-wise constraints and company check raise the errors of create()
        (validation errors, the ORM's company error):
        an invoice or a payment of another customer, a negative amount, a type of
        another company."""
        Case = self.Case.with_context(mail_create_nolog=True)
        other_type = self.env["billing.case.type"].create(
            {
                "name": "Other Co Type",
                "code": "overdue",
                "company_id": self.company_2.id,
            }
        )

        def vals(**values):
            return {
                "company_id": self.company.id,
                "partner_id": self.customer.id,
                "case_type_id": self.env.ref(
                    "billing_coordinator.case_type_overdue"
                ).id,
                "currency_id": self.company.currency_id.id,
                "expected_amount": 100.0,
                "actual_amount": 50.0,
                "move_ids": [Command.set(self.invoices[0].ids)],
                **values,
            }

        good = vals()
        for bad, message in [
            (vals(move_ids=[Command.set(self.invoices[2].ids)]), "belongs to"),
            (vals(payment_ids=[Command.link(self._pay_other().id)]), "belongs to"),
            (vals(actual_amount=-1.0), "cannot be negative"),
            (vals(case_type_id=other_type.id), "company inconsistencies"),
        ]:
            with self.assertRaisesRegex(UserError, message):
                with self.env.cr.savepoint():
                    Case._bulk_create_cases(self.company, [dict(good), bad])
        self.assertEqual(len(Case._bulk_create_cases(self.company, [good, vals()])), 2)

    def _pay_other(self):
        return self._register_payment(self.invoices[2], amount=10.0)

    def test_batch_sanitize_equals_field_sanitize(self):
        """The descriptions sanitized in one batch come out as the field sanitizes
        each: escaped quotes and ampersands, non-breaking spaces, text that looks like
        a mail quote or a signature, lists, and values that are not simple HTML."""
        Case = self.Case
        field = Case._fields["description"]
        values = [
            Case._detection_html('O\'Brien & Sons paid "twice": 1\xa0000.00 $'),
            Case._detection_html("Line one\n> quoted\n-- \nsignature", ["a < b", "c"]),
            Case._detection_html("<script>alert(1)</script> plain"),
            "<p>not <b>markup</b> but a string</p>",
            "<p class='x' onclick='evil()'>attributes</p>",
            "text without a tag",
            "<b>inline</b><i>only</i>",
            "<p>text</p> between <p>blocks</p>",
            "<p>a</p><br><p>b</p>",
            "<hr><p>a rule</p>",
            False,
            "",
        ]
        expected = [field.convert_to_cache(value, Case) for value in values]
        self.assertEqual(Case._bulk_sanitize_html(field, values), expected)

    def test_plain_paragraph_equals_field_sanitize(self):
        """A paragraph of escaped text (PLAIN_PARAGRAPH) is not parsed: what the
        bulk path writes is what the field's sanitizer gives, for every character the
        pattern allows (alone, doubled, at both ends), the escaped ones, spaces at the
        ends, signature and quote look-alikes, and the descriptions the rules write."""
        Case = self.Case
        field = Case._fields["description"]
        allowed = [
            chr(code)
            for code in [
                *range(0x20, 0x7F),
                *range(0xA0, 0x250),
                *range(0x20A0, 0x20D0),
            ]
        ]
        texts = [f"{c}a{c}{c} b{c}" for c in allowed] + [
            "",
            " ",
            "  two  spaces  ",
            "-- ",
            "--",
            "--\xa0",
            "> quoted",
            ">> twice",
            'O\'Brien & Sons paid "twice": 1\xa0000.00\xa0€ < 5 > 3',
        ]
        eur = self.setup_other_currency("EUR")
        for currency in (self.company.currency_id, eur):
            row = {
                "name": "INV/2026/00042",
                "invoice_date_due": self.today - timedelta(days=40),
                "amount_residual": 1234.5,
                "amount_total": 98765.43,
            }
            texts.append(Case._describe_overdue(row, currency))
        values = [Case._detection_html(text) for text in texts]
        self.assertTrue(all(PLAIN_PARAGRAPH.fullmatch(value) for value in values))
        expected = [field.convert_to_cache(value, Case) for value in values]
        with patch(
            "odoo.addons.billing_coordinator.models.billing_case_detection_bulk_html"
            ".html_sanitize"
        ) as sanitize:
            self.assertEqual(Case._bulk_sanitize_html(field, values), expected)
        sanitize.assert_not_called()  # none of them parsed
        # a line break, a tag or another character: parsed as before
        for value in [
            "<p>a\nb</p>",
            "<p>a<b>b</b></p>",
            "<p>\u4e2d</p>",
            "<p>a &nbsp;</p>",
        ]:
            self.assertFalse(PLAIN_PARAGRAPH.fullmatch(value))

    def test_detection_amount_as_format_lang(self):
        """The detection's amount formatting writes what formatLang writes."""
        self.env["res.lang"]._activate_lang("de_DE")
        eur = self.setup_other_currency("EUR")
        no_symbol = self.env["res.currency"].create(
            {"name": "XBC", "symbol": "", "decimal_places": 0, "rounding": 1.0}
        )
        amounts = [0.0, 0.005, 0.015, 2.675, -1234.5, 999.995, 1234567.891, 10**9]
        for lang in ("en_US", "de_DE"):
            Case = self.Case.with_context(lang=lang)
            for currency in (self.company.currency_id, eur, no_symbol):
                for amount in amounts:
                    self.assertEqual(
                        Case._detection_amount(amount, currency),
                        formatLang(Case.env, float(amount), currency_obj=currency),
                        f"{amount} {currency.name} in {lang}",
                    )

    def test_bulk_assignment_and_followers_equal_create(self):
        """Assignees chosen before the INSERT are the ones create() and the write after
        it give: a round-robin team whose pointer moves on, a coordinator away (the
        team's pick instead) who is also a member (skipped), loads counting the cases
        of the batch kept by their coordinator; the creator and the assignees follow
        the cases with the subtypes the chatter gives, in both paths."""
        user_group = self.env.ref("billing_coordinator.group_billing_user")
        away_member = self._create_billing_user("away_member", [user_group])
        robin = self.env["billing.team"].create(
            {
                "name": "Robin Team",
                "company_id": self.company.id,
                "assignment_method": "round_robin",
                "membership_ids": [
                    Command.create({"user_id": self.team_member.id, "sequence": 1}),
                    Command.create({"user_id": away_member.id, "sequence": 2}),
                    Command.create({"user_id": self.coordinator.id, "sequence": 3}),
                ],
            }
        )
        robin.membership_ids.filtered(lambda m: m.user_id == away_member).away_until = (
            self.today + timedelta(days=7)
        )
        routed = self.env["res.partner"].create(
            [{"name": f"Robin Customer {i}", "is_company": True} for i in range(4)]
        )
        routed.billing_team_id = robin
        routed[0].billing_coordinator_id = away_member  # away: the team picks
        routed[1].billing_coordinator_id = self.coordinator  # kept, counts in loads
        customers = routed | self.third_customer | self.customer
        case_type = self.env.ref("billing_coordinator.case_type_overdue")
        vals_list = [
            {
                "company_id": self.company.id,
                "partner_id": partner.id,
                "case_type_id": case_type.id,
                "currency_id": self.company.currency_id.id,
                "expected_amount": 100.0 * (i + 1),
                "actual_amount": 10.0,
                "detection_rule": "overdue",
                "detection_key": f"res.partner,{partner.id}",
            }
            for i, partner in enumerate(customers)
        ]
        Case = self.Case.with_context(mail_create_nolog=True)
        self.assertFalse(Case._get_bulk_create_blocker(vals_list))
        for context in ({}, {"mail_create_nosubscribe": True}):
            Case = Case.with_context(**context)
            with self.env.cr.savepoint(flush=True) as savepoint:
                pointer = robin.last_assigned_user_id
                model = type(Case)
                with patch.object(
                    model,
                    "_bulk_first_assignees",
                    autospec=True,
                    side_effect=model._bulk_first_assignees,
                ) as before_insert:
                    bulk = Case._bulk_create_cases(
                        self.company, [dict(v) for v in vals_list]
                    )
                before_insert.assert_called_once()  # assigned before the INSERT
                self.env.flush_all()
                bulk_pointer = robin.last_assigned_user_id
                expected = self._snapshot(bulk)
                savepoint.rollback()
            self.env.invalidate_all()
            self.assertEqual(robin.last_assigned_user_id, pointer)
            # the reference: create() of the same batch, then its first assignment
            single = Case.create([dict(vals) for vals in vals_list])
            self.env.flush_all()
            self.assertEqual(robin.last_assigned_user_id, bulk_pointer)
            self.assertEqual(self._snapshot(single), expected)
            by_partner = {case.partner_id: case for case in single}
            self.assertNotEqual(by_partner[routed[0]].user_id, away_member)
            self.assertTrue(by_partner[routed[0]].user_id)
            self.assertEqual(by_partner[routed[1]].user_id, self.coordinator)
            subscribed = not context
            self.assertEqual(
                self.env.user.partner_id in single.message_partner_ids, subscribed
            )
            self.assertTrue(
                by_partner[routed[0]].user_id.partner_id
                in by_partner[routed[0]].message_partner_ids
            )
            # the team's picks are notified of their assignment, in both paths
            self.assertEqual(
                len(expected[f"res.partner,{routed[0].id}"]["messages"]), 1
            )
            single.unlink()
