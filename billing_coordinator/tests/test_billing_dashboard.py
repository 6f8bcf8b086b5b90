from datetime import timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import BillingCaseCommon


@tagged("post_install", "-at_install")
class TestBillingDashboard(BillingCaseCommon):
    """Every KPI on a small ledger, the expected figures worked out by hand.

    The period is the calendar month M two months back: S = its first day, E = its last,
    n = its number of days; m = the number of days of the month before (M-1).

    Before M (in M-1):  A 1000 dated S-20 due S-5, 600 paid at S+10
                        D 1000 dated S-10 due S+20, paid in full at S+20 (30 days to pay)
                        F 3000 dated S-15 due S+40, open
    In M:               B 2000 dated S+5 due S+15, paid in full at S+20 (15 days to pay)
                        C 3000 dated S+25 due E+20, credit note R 500 dated S+26 matched
    AR(start) = A 1000 + D 1000 + F 3000 = 5000
    AR(end)   = A 400 + F 3000 + C 2500 = 5900; current (not due) 5500; overdue 400
    credit sales(M) = B 2000 + C 3000 - R 500 = 4500; credit sales(M-1) = 5000
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start = (cls.today - relativedelta(months=2)).replace(day=1)
        cls.end = cls.start + relativedelta(day=31)
        cls.n = (cls.end - cls.start).days + 1
        cls.m = (cls.start - (cls.start - relativedelta(months=1))).days
        cls.customer.billing_coordinator_id = cls.coordinator
        s = lambda k: cls.start + timedelta(days=k)  # noqa: E731
        inv = cls._create_invoice
        cls.inv_a = inv(amount=1000.0, invoice_date=s(-20), due_date=s(-5))
        cls._register_payment(cls.inv_a, amount=600.0, payment_date=s(10))
        cls.inv_d = inv(amount=1000.0, invoice_date=s(-10), due_date=s(20))
        cls._register_payment(cls.inv_d, payment_date=s(20))
        cls.inv_f = inv(amount=3000.0, invoice_date=s(-15), due_date=s(40))
        cls.inv_b = inv(amount=2000.0, invoice_date=s(5), due_date=s(15))
        cls._register_payment(cls.inv_b, payment_date=s(20))
        cls.inv_c = inv(
            amount=3000.0, invoice_date=s(25), due_date=cls.end + timedelta(days=20)
        )
        cls.refund = inv(amount=500.0, move_type="out_refund", invoice_date=s(26))
        (cls.inv_c | cls.refund).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).reconcile()

        Case = cls.env["billing.case"]
        cls.case_price = cls._create_case(
            user_id=cls.coordinator.id,
            root_cause="pricing_error",
            expected_amount=100.0,
            actual_amount=150.0,
        )
        cls.case_short = cls._create_case(
            user_id=cls.coordinator.id,
            case_type_id=cls.type_short_payment.id,
            root_cause="customer_paid_wrong",
            expected_amount=1000.0,
            actual_amount=700.0,
        )
        cls.case_short.sla_breached = True
        cls.case_done = cls._create_case(
            user_id=cls.manager.id,
            root_cause="pricing_error",
            expected_amount=0.0,
            actual_amount=200.0,
        )
        cls.case_done.write({"state": "resolved", "resolved_date": s(10)})
        # Created at S+4: resolved 6 days later.
        Case.flush_model()
        cls.env.cr.execute(
            "UPDATE billing_case SET create_date = %s WHERE id = %s",
            (s(4), cls.case_done.id),
        )
        Case.invalidate_model(["create_date"])

    def _data(self, env=None, **filters):
        filters = {
            "date_from": self.start.isoformat(),
            "date_to": self.end.isoformat(),
            "company_ids": self.company.ids,
        } | filters
        return (env or self.env)["billing.dashboard"].get_dashboard_data(filters)

    def test_receivable_kpis(self):
        data = self._data()
        n, m = self.n, self.m
        self.assertEqual(data["total_receivable"], 5900.0)
        self.assertEqual(data["overdue_amount"], 400.0)
        # 400 / 5900 x 100 = 6.78
        self.assertEqual(data["overdue_share"], 6.8)
        self.assertEqual(data["credit_sales"], 4500.0)
        # DSO = 5900 / 4500 x n
        self.assertEqual(data["dso"], round(5900 / 4500 * n, 1))
        # best possible = 5500 / 4500 x n; ADD = 400 / 4500 x n
        self.assertEqual(data["best_possible_dso"], round(5500 / 4500 * n, 1))
        self.assertEqual(data["add"], round(400 / 4500 * n, 1))
        # Countback: 5900 > 4500 of M -> n days, 1400 left; M-1 sold 5000 -> m x 1400 / 5000
        self.assertEqual(data["countback_dso"], round(n + m * 1400 / 5000, 1))
        # CEI = (5000 + 4500 - 5900) / (5000 + 4500 - 5500) x 100 = 3600 / 4000 x 100
        self.assertEqual(data["cei"], 90.0)
        # Paid in M: B 2000 in 15 days, D 1000 in 30 days: (30000 + 30000) / 3000 = 20
        self.assertEqual(data["avg_days_to_pay"]["value"], 20.0)
        self.assertEqual(data["avg_days_to_pay"]["count"], 2)
        [customer] = data["avg_days_to_pay"]["by_customer"]
        self.assertEqual(
            (customer["partner_id"], customer["amount"]), (self.customer.id, 3000.0)
        )

    def test_aging_and_trend(self):
        data = self._data()
        aging = {b["key"]: b["amount"] for b in data["aging"]}
        # At E: A (due S-5) is n + 4 (32 to 35) days overdue, 400; F and C are not due.
        self.assertEqual(aging["not_due"], 5500.0)
        self.assertEqual(aging["days_31_60"], 400.0)
        self.assertEqual(sum(aging.values()), 5900.0)
        trend = data["trend"]
        self.assertEqual(len(trend), 12)
        self.assertEqual(trend[-1]["date"], self.end.isoformat())
        self.assertEqual((trend[-1]["total"], trend[-1]["overdue"]), (5900.0, 400.0))
        # End of M-1 (S-1): A 1000 overdue, D and F not due: 5000; the n days before
        # S-1 sold A + D + F = 5000, so DSO = 5000 / 5000 x n = n.
        before = trend[-2]
        self.assertEqual(before["date"], (self.start - timedelta(days=1)).isoformat())
        self.assertEqual((before["total"], before["overdue"]), (5000.0, 1000.0))
        self.assertEqual(before["dso"], float(self.n))
        self.assertEqual(trend[0]["total"], 0.0)
        # nothing outstanding a year back and no sales: nothing to measure
        self.assertIsNone(trend[0]["dso"])

    def test_case_kpis(self):
        data = self._data()
        n = self.n
        # Open: 50 (price) + 300 (short payment); new in M: case_done only; resolved 1 in 6 days
        self.assertEqual(
            data["open_cases"],
            {
                "value": 2,
                "amount": 350.0,
                "new": 1,
                "resolved": 1,
                "avg_resolution_days": 6.0,
            },
        )
        self.assertEqual(data["sla_breached"], {"value": 1, "share": 50.0})
        self.assertEqual(
            [
                (t["case_type_id"], t["count"], t["amount"])
                for t in data["cases_by_type"]
            ],
            [
                (self.type_short_payment.id, 1, 300.0),
                (self.type_overcharge.id, 1, 50.0),
            ],
        )
        causes = {c["root_cause"]: c for c in data["cases_by_root_cause"]}
        # DSO impact = 300 / 4500 x n
        self.assertEqual(
            causes["customer_paid_wrong"]["dso_impact"], round(300 / 4500 * n, 1)
        )
        self.assertEqual(causes["pricing_error"]["amount"], 50.0)
        coordinators = {c["user_id"]: c for c in data["coordinators"]}
        self.assertEqual(
            coordinators[self.coordinator.id],
            {
                "user_id": self.coordinator.id,
                "name": self.coordinator.name,
                "open": 2,
                "breached": 1,
                "resolved": 0,
                "avg_resolution_days": None,
                "amount_recovered": 0.0,
            },
        )
        self.assertEqual(coordinators[self.manager.id]["resolved"], 1)
        self.assertEqual(coordinators[self.manager.id]["avg_resolution_days"], 6.0)
        self.assertEqual(coordinators[self.manager.id]["amount_recovered"], 200.0)
        [top] = data["top_customers"]
        self.assertEqual(
            (top["partner_id"], top["overdue"], top["total"], top["avg_days_to_pay"]),
            (self.customer.id, 400.0, 5900.0, 20.0),
        )

    def test_coordinator_sees_own_figures(self):
        """A coordinator gets their own customers and cases whatever user they ask for;
        a manager gets everything."""
        self._create_invoice(
            partner=self.other_customer,
            amount=777.0,
            invoice_date=self.start,
            due_date=self.start,
        )
        self.assertEqual(self._data()["total_receivable"], 6677.0)
        self.assertEqual(
            self._data(self.env(user=self.manager))["total_receivable"], 6677.0
        )
        data = self._data(self.env(user=self.coordinator), user_id=self.manager.id)
        self.assertEqual(data["meta"]["user_id"], self.coordinator.id)
        self.assertFalse(data["meta"]["is_manager"])
        self.assertEqual(data["total_receivable"], 5900.0)
        self.assertEqual(data["open_cases"]["value"], 2)
        self.assertEqual(
            [c["user_id"] for c in data["coordinators"]], [self.coordinator.id]
        )
        # The manager may narrow to one coordinator.
        mine = self._data(self.env(user=self.manager), user_id=self.coordinator.id)
        self.assertEqual(mine["total_receivable"], 5900.0)

    def test_team_filter(self):
        team = self.env["billing.team"].create(
            {"name": "Dashboard Team", "company_id": self.company.id}
        )
        self.other_customer.billing_team_id = team
        self._create_invoice(
            partner=self.other_customer,
            amount=777.0,
            invoice_date=self.start,
            due_date=self.start,
        )
        data = self._data(team_id=team.id)
        self.assertEqual(data["total_receivable"], 777.0)
        self.assertEqual(data["credit_sales"], 777.0)
        self.assertEqual(data["open_cases"]["value"], 0)

    def test_dso_without_positive_sales(self):
        """A period whose credit notes outweigh its invoices has no DSO (not a negative
        number of days): the headline, the best possible DSO and the trend point."""
        company = self.setup_other_company(name="Credit Note Dashboard Co")["company"]
        self._create_invoice(
            amount=1000.0,
            invoice_date=self.start - timedelta(days=40),
            due_date=self.start + timedelta(days=60),
            company=company,
        )
        self._create_invoice(
            amount=300.0,
            move_type="out_refund",
            invoice_date=self.start + timedelta(days=3),
            company=company,
        )
        data = self._data(company_ids=company.ids)
        self.assertEqual(data["credit_sales"], -300.0)
        self.assertEqual(data["total_receivable"], 700.0)
        self.assertIsNone(data["dso"])
        self.assertIsNone(data["best_possible_dso"])
        self.assertIsNone(data["add"])
        self.assertIsNone(data["trend"][-1]["dso"])
        self.assertEqual(data["trend"][-1]["total"], 700.0)

    def test_dso_without_receivables(self):
        """Nothing outstanding with sales is a DSO of 0 days; a negative receivable (credits
        exceed invoices, the company owes its customers) has no DSO, in the headline,
        the countback, the best possible DSO, the ADD and the trend point, even with
        positive sales in the window."""
        company = self.setup_other_company(name="Credit Balance Dashboard Co")[
            "company"
        ]
        self._create_invoice(
            amount=500.0,
            invoice_date=self.start + timedelta(days=3),
            due_date=self.start + timedelta(days=10),
            company=company,
        )
        # an open credit note from before the window, not yet matched
        refund = self._create_invoice(
            amount=500.0,
            move_type="out_refund",
            invoice_date=self.start - timedelta(days=40),
            company=company,
        )
        data = self._data(company_ids=company.ids)
        self.assertEqual(data["credit_sales"], 500.0)
        self.assertEqual(data["total_receivable"], 0.0)
        self.assertEqual(data["dso"], 0.0)
        self.assertEqual(data["countback_dso"], 0.0)
        self.assertEqual(data["trend"][-1]["dso"], 0.0)
        # a second credit note: AR(end) = -300
        self._create_invoice(
            amount=300.0,
            move_type="out_refund",
            invoice_date=refund.invoice_date,
            company=company,
        )
        data = self._data(company_ids=company.ids)
        self.assertEqual(data["credit_sales"], 500.0)
        self.assertEqual(data["total_receivable"], -300.0)
        self.assertIsNone(data["dso"])
        self.assertIsNone(data["countback_dso"])
        self.assertIsNone(data["add"])
        self.assertIsNone(data["trend"][-1]["dso"])
        self.assertEqual(data["trend"][-1]["total"], -300.0)

    def test_empty_company_and_bad_period(self):
        company = self.setup_other_company(name="Empty Dashboard Co")["company"]
        data = self._data(company_ids=company.ids)
        self.assertTrue(data["meta"]["empty"])
        self.assertEqual(data["total_receivable"], 0.0)
        # no business: no DSO (0 outstanding over 0 sales); the countback has
        # nothing left to walk back through
        self.assertIsNone(data["dso"])
        self.assertEqual(data["countback_dso"], 0.0)
        self.assertEqual(data["top_customers"], [])
        self.assertFalse(self._data()["meta"]["empty"])
        with self.assertRaises(UserError):
            self._data(date_from=self.end.isoformat(), date_to=self.start.isoformat())

    def test_registered_kpi(self):
        """A KPI is one registered unit: the registry drives the keys returned."""
        kpis = self.env["billing.dashboard"]._get_dashboard_kpis()
        for key in (
            "total_receivable",
            "overdue_amount",
            "overdue_share",
            "credit_sales",
            "dso",
            "countback_dso",
            "best_possible_dso",
            "add",
            "cei",
            "avg_days_to_pay",
            "open_cases",
            "sla_breached",
            "aging",
            "trend",
            "cases_by_type",
            "cases_by_root_cause",
            "coordinators",
            "top_customers",
        ):
            self.assertIn(key, kpis)
        self.assertEqual(set(self._data()) - {"meta"}, set(kpis))

    def test_one_aging_query_and_readonly(self):
        """Every receivable figure comes from one aging engine call (totals and the
        customers' aging at the end agree with ``_get_aging``), and the RPC method is
        routed to a read replica (``@api.readonly``)."""
        Aging = type(self.env["billing.receivable.line"])
        calls = []
        overview = Aging._get_aging_overview

        def counted(model, *args, **kwargs):
            calls.append(args)
            return overview(model, *args, **kwargs)

        with (
            patch.object(Aging, "_get_aging_overview", counted),
            patch.object(
                Aging,
                "_get_aging",
                side_effect=AssertionError("a second aging computation"),
            ),
        ):
            data = self._data()
        self.assertEqual(len(calls), 1)
        [top] = data["top_customers"]
        [row] = self.env["billing.receivable.line"]._get_aging(date_at=self.end)
        self.assertEqual((top["overdue"], top["total"]), (row["overdue"], row["total"]))
        self.assertEqual(data["total_receivable"], row["total"])
        for method in (
            type(self.env["billing.dashboard"]).get_dashboard_data,
            type(self.env["res.partner"]).get_billing_context_panel,
        ):
            self.assertTrue(getattr(method, "_readonly", False), method.__name__)
