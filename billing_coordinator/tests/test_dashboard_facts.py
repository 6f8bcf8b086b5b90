from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import BillingCaseCommon


@tagged("post_install", "-at_install")
class TestDashboardFacts(BillingCaseCommon):
    """The dashboard from the stored aggregates equals the dashboard computed live, to
    the cent, after every kind of change, before and after the refresh.

    T = today. Company 1: the customer (coordinator), other_customer (team), invoices
    over the last 14 months, paid in part, in full, late, with a credit note; company 2
    in EUR (converted at read time) with its own invoices and a credit note."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t = lambda n: cls.today + timedelta(days=n)  # noqa: E731
        cls.customer.billing_coordinator_id = cls.coordinator
        cls.team = cls.env["billing.team"].create(
            {"name": "Facts Team", "company_id": cls.company.id}
        )
        cls.team_2 = cls.env["billing.team"].create(
            {"name": "Facts Team 2", "company_id": cls.company.id}
        )
        cls.other_customer.billing_team_id = cls.team
        cls.eur = cls.setup_other_currency(
            "EUR", rates=[("2000-01-01", 2.0), (fields.Date.to_string(t(-180)), 2.5)]
        )
        inv, pay = cls._create_invoice, cls._register_payment
        cls.inv_old = inv(amount=1000.0, invoice_date=t(-420), due_date=t(-390))
        pay(cls.inv_old, amount=400.0, payment_date=t(-300))
        cls.inv_split = inv(amount=1200.0, invoice_date=t(-200), due_date=t(-170))
        pay(cls.inv_split, amount=500.0, payment_date=t(-150))
        pay(cls.inv_split, payment_date=t(-60))
        cls.inv_paid = inv(amount=1500.0, invoice_date=t(-130), due_date=t(-100))
        pay(cls.inv_paid, payment_date=t(-70))
        cls.inv_credit = inv(amount=700.0, invoice_date=t(-90), due_date=t(-60))
        refund = inv(amount=300.0, move_type="out_refund", invoice_date=t(-80))
        cls._receivable(cls.inv_credit | refund).reconcile()
        cls.inv_team = inv(
            partner=cls.other_customer,
            amount=900.0,
            invoice_date=t(-50),
            due_date=t(-20),
        )
        pay(cls.inv_team, amount=100.0, payment_date=t(-30))
        cls.inv_team_paid = inv(
            partner=cls.other_customer, amount=450.0, invoice_date=t(-35)
        )
        pay(cls.inv_team_paid, payment_date=t(-12))
        cls.inv_open = inv(amount=600.0, invoice_date=t(-10), due_date=t(20))

        cls.company_2 = cls.setup_other_company(
            name="Facts Second Co", currency_id=cls.eur.id
        )["company"]
        cls.env.user.company_ids |= cls.company_2
        first = inv(
            amount=333.33, invoice_date=t(-200), due_date=t(-170), company=cls.company_2
        )
        credit = inv(
            amount=111.11,
            move_type="out_refund",
            invoice_date=t(-100),
            company=cls.company_2,
        )
        cls._receivable(first | credit).reconcile()
        cls.inv_c2 = inv(amount=777.77, invoice_date=t(-30), company=cls.company_2)
        cls._register_payment(cls.inv_c2, amount=77.77, payment_date=t(-15))
        cls.Fact = cls.env["billing.dashboard.fact"]
        cls.Change = cls.env["billing.dashboard.change"]
        cls.companies = cls.company | cls.company_2

    def t(self, days):
        return self.today + timedelta(days=days)

    @classmethod
    def _receivable(cls, moves):
        return moves.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )

    @contextmanager
    def _live_only(self):
        with patch.object(
            type(self.Fact), "_get_valid_ranges", lambda model, companies: {}
        ):
            yield

    def _filters(self):
        ids = self.companies.ids
        return [
            {"company_ids": ids},
            {"company_ids": ids, "team_id": self.team.id},
            {"company_ids": ids, "user_id": self.coordinator.id},
            {"company_ids": self.company_2.ids},
            {
                "company_ids": ids,
                "date_from": self.t(-160).isoformat(),
                "date_to": self.t(-40).isoformat(),
            },
        ]

    def _assert_equal_live(self, expect_stored=True):
        """Every filter: the dashboard with the facts equals the live one."""
        self.env.flush_all()
        ranges = self.Fact._get_valid_ranges(self.companies)
        if expect_stored:
            self.assertTrue(ranges, "no valid stored day: the test would prove nothing")
        for filters in self._filters():
            stored = self.env["billing.dashboard"].get_dashboard_data(filters)
            with self._live_only():
                live = self.env["billing.dashboard"].get_dashboard_data(filters)
            self.assertEqual(stored, live, filters)
        return ranges

    def _refresh(self):
        self.Fact._refresh_dashboard_facts()
        self.assertFalse(self.Change.search([]), "the refresh saw every change row")
        ranges = self._assert_equal_live()
        yesterday = self.today - timedelta(days=1)
        for company in self.companies:
            self.assertEqual(ranges[company.id][1], yesterday)
        return ranges

    def _assert_facts_are_read(self):
        """A stored figure off by 100 shows on the dashboard (undone after)."""
        filters = {"company_ids": self.company.ids}
        with self._live_only():
            live = self.env["billing.dashboard"].get_dashboard_data(filters)
        cr = self.env.cr
        cr.execute("SAVEPOINT dashboard_facts_off")
        try:
            cr.execute(
                """UPDATE billing_dashboard_fact SET amount = amount + 100
                    WHERE id = (SELECT MAX(id) FROM billing_dashboard_fact
                                 WHERE kind = 'sales' AND company_id = %s)""",
                [self.company.id],
            )
            stored = self.env["billing.dashboard"].get_dashboard_data(filters)
        finally:
            cr.execute("ROLLBACK TO SAVEPOINT dashboard_facts_off")
        self.assertEqual(stored["credit_sales"], live["credit_sales"] + 100)

    def test_equal_after_every_change(self):
        self._refresh()
        # the stored rows are used: the facts hold the past aging and sales
        self.assertTrue(self.Fact.search_count([("kind", "=", "aging")]))
        self.assertTrue(self.Fact.search_count([("kind", "=", "paid")]))
        self._assert_facts_are_read()

        # a backdated invoice: stale from its date on, the rest still stored
        late = self._create_invoice(amount=250.0, invoice_date=self.t(-45))
        ranges = self._assert_equal_live()
        self.assertEqual(ranges[self.company.id][1], self.t(-46))
        self.assertEqual(ranges[self.company_2.id][1], self.t(-1))
        self._refresh()

        # a backdated payment reconciled with an open invoice
        self._register_payment(late, amount=50.0, payment_date=self.t(-25))
        self._assert_equal_live()
        self._refresh()

        # an unreconcile of the payments matched 150 and 60 days back
        self._receivable(self.inv_split).remove_move_reconcile()
        ranges = self._assert_equal_live()
        self.assertEqual(ranges[self.company.id][1], self.t(-151))
        self._refresh()

        # an invoice reset to draft
        self.inv_paid.line_ids.remove_move_reconcile()
        self.inv_paid.button_draft()
        self._assert_equal_live()
        self._refresh()

        # a customer moved to another team: every stored day is stale
        self.other_customer.billing_team_id = self.team_2
        self.assertFalse(self._assert_equal_live(expect_stored=False))
        self._refresh()

        # the bucket settings of company 1: its stored days are stale, company 2's not
        self.company.billing_aging_bucket_limits = "15,45"
        ranges = self._assert_equal_live()
        self.assertNotIn(self.company.id, ranges)
        self.assertIn(self.company_2.id, ranges)
        self._refresh()

    def test_refresh_one_company_keeps_the_others_changes(self):
        self.Fact._refresh_dashboard_facts()
        self.other_customer.billing_team_id = self.team_2
        self.env.flush_all()
        self.Fact._refresh_dashboard_facts(self.company)
        # the change of every company is kept for company 2, which was not refreshed
        self.assertEqual(
            [(c.company_id, c.date) for c in self.Change.search([])],
            [(self.company_2, False)],
        )
        ranges = self._assert_equal_live()
        self.assertEqual(list(ranges), [self.company.id])
        self._refresh()

    def test_read_path_writes_nothing(self):
        self.Fact._refresh_dashboard_facts()
        # stale days too: the read path mixes the stored and the live figures
        self._create_invoice(amount=250.0, invoice_date=self.t(-45))
        self.env.flush_all()
        self.env.invalidate_all()
        cr = self.env.cr
        cr.execute("SAVEPOINT dashboard_facts_read_only")
        try:
            # PostgreSQL refuses any write in a read-only transaction
            cr.execute("SET LOCAL transaction_read_only = on")
            for filters in self._filters():
                self.env["billing.dashboard"].get_dashboard_data(filters)
        finally:
            cr.execute("ROLLBACK TO SAVEPOINT dashboard_facts_read_only")

    def test_access(self):
        self.Fact._refresh_dashboard_facts()
        coordinator = self.Fact.with_user(self.coordinator)
        facts = coordinator.search([])
        self.assertTrue(facts)
        self.assertEqual(facts.company_id, self.company)
        self.assertTrue(self.Fact.search([("company_id", "=", self.company_2.id)]))
        with self.assertRaises(AccessError):
            facts[:1].write({"amount": 1.0})
        with self.assertRaises(AccessError):
            self.Change.with_user(self.coordinator).search([])
