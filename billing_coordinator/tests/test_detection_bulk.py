"""A first detection run creates its cases in one batch: the same cases, field for
field, as creating them one by one, and no chatter message per case."""

from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged
from odoo.tools import formatLang

from .common import BillingCaseCommon

# Set by the database or the numbering, not by what the detection found.
NOT_COMPARED = {"id", "name", "create_date", "write_date", "create_uid", "write_uid"}


@tagged("post_install", "-at_install")
class TestDetectionBulk(BillingCaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Case = cls.env["billing.case"]
        cls.team_member = cls._create_billing_user(
            "team_member", [cls.env.ref("billing_coordinator.group_billing_user")]
        )
        cls.team = cls.env["billing.team"].create(
            {
                "name": "Bulk Team",
                "company_id": cls.company.id,
                "assignment_method": "least_loaded",
                "membership_ids": [Command.create({"user_id": cls.team_member.id})],
            }
        )
        # One customer with its own coordinator, one routed to the team (key account),
        # and the contact of a third invoiced in its own name.
        cls.customer.billing_coordinator_id = cls.coordinator
        cls.other_customer.write(
            {"billing_team_id": cls.team.id, "billing_tier": "key_account"}
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
        )
        cls.partial_payment = cls._register_payment(cls.invoices[0], amount=300.0)

    def _snapshot(self, cases):
        """{detection key: every stored field the creation sets}, ids of relations."""
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
            values["followers"] = sorted(case.message_partner_ids.ids)
            snapshot[case.detection_key] = values
        return snapshot

    def test_bulk_first_run_equals_one_by_one(self):
        bulk = self.Case._detect(self.company, rules=["overdue"])["created"]
        self.assertEqual(len(bulk), 4)
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
                    "partner_id": self.customer.id,
                    "expected_amount": 1000.0,
                    "actual_amount": 300.0,
                    "amount_difference": -700.0,
                    "user_id": self.coordinator.id,
                    "state": "new",
                }
            ],
        )
        self.assertEqual(first.move_ids, self.invoices[0])
        self.assertEqual(first.payment_ids, self.partial_payment)
        routed = by_key[f"account.move,{self.invoices[2].id}"]
        self.assertEqual(routed.team_id, self.team)
        self.assertEqual(routed.user_id, self.team_member)
        contact_case = by_key[f"account.move,{self.invoices[3].id}"]
        self.assertEqual(contact_case.partner_id, self.customer)
        self.assertTrue(all(bulk.mapped("deadline")))
        self.assertTrue(all(score > 0 for score in bulk.mapped("priority_score")))
        # Names: unique, numbered one after the other in the order of creation.
        names = bulk.sorted("id").mapped("name")
        self.assertEqual(len(set(names)), len(names))
        prefix = names[0].rstrip("0123456789")
        numbers = [int(name[len(prefix) :]) for name in names]
        self.assertEqual(numbers, list(range(numbers[0], numbers[0] + len(names))))

        expected = self._snapshot(bulk)
        bulk.unlink()
        original = type(self.Case)._create_detected_cases

        def one_by_one(model, company, findings):
            cases = model.browse()
            for finding in findings:
                cases |= original(model, company, [finding])
            return cases

        with patch.object(type(self.Case), "_create_detected_cases", one_by_one):
            single = self.Case._detect(self.company, rules=["overdue"])["created"]
        self.assertEqual(len(single), 4)
        self.assertEqual(self._snapshot(single), expected)

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
