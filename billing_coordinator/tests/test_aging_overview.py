from datetime import timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from .common import BillingCaseCommon


@tagged("post_install", "-at_install")
class TestAgingOverview(BillingCaseCommon):
    """The dashboard's aging overview (totals at the period start, end and 12 month
    ends, customers at the end: ``_get_aging_overview``) equals the aging engine
    (``_get_aging_items_query`` one row per item and date, ``_get_aging``) to the cent.

    T = today. Company 1 (its currency), customer (coordinator) and other_customer
    (a billing team):
      inv_split   1000 dated T-300 due T-270: 400 paid at T-200, the rest at T-20
      inv_paid    1500 dated T-150 due T-120: paid in full at T-100
      inv_eur     2000 EUR dated T-250 due T-220 (rate 2.0, then 2.5 from T-180):
                  800 EUR paid at T-120 (an exchange difference), the rest open
      inv_credit   700 dated T-90 due T-60, credit note 300 dated T-60 matched
      refund_open  120 dated T-45, open (a credit item)
      inv_team     900 dated T-40 due T-10 (other_customer): 100 paid at T-5
      inv_future   600 dated T-10 due T+20: 200 paid at T+5 (matched after today)
    Company 2 (a foreign currency, converted per date): 333.33 dated T-200, a credit
    note 111.11 dated T-100 matched with it, 777.77 dated T-30 open.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t = lambda n: cls.today + timedelta(days=n)  # noqa: E731
        cls.customer.billing_coordinator_id = cls.coordinator
        cls.team = cls.env["billing.team"].create(
            {"name": "Overview Team", "company_id": cls.company.id}
        )
        cls.other_customer.billing_team_id = cls.team
        cls.eur = cls.setup_other_currency(
            "EUR", rates=[("2000-01-01", 2.0), (fields.Date.to_string(t(-180)), 2.5)]
        )
        inv, pay = cls._create_invoice, cls._register_payment
        cls.inv_split = inv(amount=1000.0, invoice_date=t(-300), due_date=t(-270))
        pay(cls.inv_split, amount=400.0, payment_date=t(-200))
        pay(cls.inv_split, payment_date=t(-20))
        cls.inv_paid = inv(amount=1500.0, invoice_date=t(-150), due_date=t(-120))
        pay(cls.inv_paid, payment_date=t(-100))
        cls.inv_eur = inv(
            amount=2000.0, currency=cls.eur, invoice_date=t(-250), due_date=t(-220)
        )
        pay(cls.inv_eur, amount=800.0, currency=cls.eur, payment_date=t(-120))
        cls.inv_credit = inv(amount=700.0, invoice_date=t(-90), due_date=t(-60))
        refund = inv(amount=300.0, move_type="out_refund", invoice_date=t(-60))
        cls._receivable(cls.inv_credit | refund).reconcile()
        inv(amount=120.0, move_type="out_refund", invoice_date=t(-45))
        cls.inv_team = inv(
            partner=cls.other_customer,
            amount=900.0,
            invoice_date=t(-40),
            due_date=t(-10),
        )
        pay(cls.inv_team, amount=100.0, payment_date=t(-5))
        cls.inv_future = inv(amount=600.0, invoice_date=t(-10), due_date=t(20))
        pay(cls.inv_future, amount=200.0, payment_date=t(5))

        cls.company_2 = cls.setup_other_company(
            name="Overview Second Co", currency_id=cls.eur.id
        )["company"]
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
        inv(amount=777.77, invoice_date=t(-30), company=cls.company_2)
        cls.Aging = cls.env["billing.receivable.line"]

    @classmethod
    def _receivable(cls, moves):
        return moves.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )

    def _engine_overview(self, dates, partner_date, companies, **filters):
        """The overview from the engine's rows (one per item and date), summed and
        converted as ``_get_aging_overview`` does: the reference."""
        Aging = self.Aging
        bucket_keys = [b["key"] for b in Aging._get_aging_buckets(companies)]
        target = Aging._aging_target_currency(companies)
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT item.date_at, item.company_id, item.aging_bucket,
                       CASE WHEN item.date_at = %s THEN item.partner_id END AS partner_id,
                       SUM(item.amount_residual) AS amount_residual
                  FROM (%s) AS item
              GROUP BY 1, 2, 3, 4
                """,
                partner_date,
                Aging._get_aging_items_query(
                    dates=dates, company_ids=companies, order=False, **filters
                ),
            )
        )

        def empty():
            return {**dict.fromkeys(bucket_keys, 0.0), "overdue": 0.0, "total": 0.0}

        totals = {d: empty() for d in dates}
        partners = {}
        rates = {}
        for row in rows:
            as_of = fields.Date.to_date(row["date_at"])
            amount = Aging._aging_convert(
                float(row["amount_residual"]), row["company_id"], target, as_of, rates
            )
            targets = [totals[as_of]]
            if as_of == partner_date:
                key = row["partner_id"] or False
                targets.append(partners.setdefault(key, empty()))
            for values in targets:
                values[row["aging_bucket"]] += amount
                values["total"] += amount
                if row["aging_bucket"] != "not_due":
                    values["overdue"] += amount
        for values in [*totals.values(), *partners.values()]:
            for key in values:
                values[key] = target.round(values[key])
        return totals, partners

    def _dashboard_dates(self, **filters):
        period = self.env["billing.dashboard"]._dashboard_period(filters)
        return period, sorted({period.start, period.end, *period.month_ends})

    def test_overview_equals_engine(self):
        """Start, end and month ends, per customer at the end: the same figures as
        the engine, one company and two (converted per date), with a team or
        coordinator filter or none."""
        period, dates = self._dashboard_dates()
        self.assertEqual(len(dates), 13)
        checked = 0
        for companies in (self.company, self.company | self.company_2):
            for filters in (
                {},
                {"team_id": self.team.id},
                {"user_id": self.coordinator.id},
            ):
                with self.subTest(companies=companies.ids, filters=filters):
                    totals, partners = self.Aging._get_aging_overview(
                        dates, partner_date=period.end, company_ids=companies, **filters
                    )
                    expected, expected_partners = self._engine_overview(
                        dates, period.end, companies, **filters
                    )
                    self.assertEqual(totals, expected)
                    self.assertEqual(
                        {p.pop("partner_id"): p for p in partners}, expected_partners
                    )
                    checked += sum(1 for values in totals.values() if values["total"])
        self.assertGreater(checked, 30, "most dates have receivables")

    def test_overview_equals_get_aging(self):
        """Each date's totals are what ``_get_aging`` as of that date sums to (one
        company: nothing converted), and ``_get_aging_totals`` gives the same."""
        _period, dates = self._dashboard_dates()
        t = self.today
        dates += [t - timedelta(days=6), t + timedelta(days=10)]
        totals = self.Aging._get_aging_totals(dates, company_ids=self.company)
        for as_of in dates:
            rows = self.Aging._get_aging(date_at=as_of, company_ids=self.company)
            for key in ("total", "overdue", "not_due"):
                self.assertEqual(
                    totals[as_of][key],
                    self.company.currency_id.round(sum(r[key] for r in rows)),
                    f"{key} at {as_of}",
                )
        # By hand: at T+10 the 200 paid at T+5 is applied, at T not yet
        self.assertEqual(
            totals[t + timedelta(days=10)]["total"],
            self.company.currency_id.round(totals[t]["total"] - 200.0),
        )
        team = self.Aging._get_aging_totals(
            dates, company_ids=self.company, team_id=self.team.id
        )
        # inv_team: 900 from T-40, 100 paid at T-5; overdue from T-9
        self.assertEqual(team[t - timedelta(days=6)]["total"], 900.0)
        self.assertEqual(team[t - timedelta(days=6)]["overdue"], 900.0)
        self.assertEqual((team[t]["total"], team[t]["overdue"]), (800.0, 800.0))

    def test_dashboard_figures_equal_engine(self):
        """The dashboard's trend, start (CEI), aging and top customers come from the
        overview: they equal the engine's figures, with and without a filter."""
        for filters in (
            {},
            {"team_id": self.team.id},
            {"user_id": self.coordinator.id},
        ):
            with self.subTest(filters=filters):
                companies = self.company | self.company_2
                period, dates = self._dashboard_dates(company_ids=companies.ids)
                expected, expected_partners = self._engine_overview(
                    dates, period.end, companies, **filters
                )
                data = self.env["billing.dashboard"].get_dashboard_data(
                    {"company_ids": companies.ids, **filters}
                )
                self.assertEqual(
                    [(p["date"], p["total"], p["overdue"]) for p in data["trend"]],
                    [
                        (d.isoformat(), expected[d]["total"], expected[d]["overdue"])
                        for d in period.month_ends
                    ],
                )
                end = expected[period.end]
                self.assertEqual(data["total_receivable"], end["total"])
                self.assertEqual(data["overdue_amount"], end["overdue"])
                self.assertEqual(
                    [b["amount"] for b in data["aging"]],
                    [end[b["key"]] for b in data["aging"]],
                )
                sales = data["credit_sales"]
                begin = expected[period.start]["total"]
                denominator = begin + sales - end["not_due"]
                self.assertEqual(
                    data["cei"],
                    round((begin + sales - end["total"]) / denominator * 100.0, 1)
                    if denominator
                    else None,
                )
                top = {c["partner_id"]: c for c in data["top_customers"]}
                for partner_id, values in expected_partners.items():
                    if partner_id in top:
                        self.assertEqual(top[partner_id]["overdue"], values["overdue"])
                        self.assertEqual(top[partner_id]["total"], values["total"])
                self.assertEqual(
                    set(top),
                    {
                        pid
                        for pid, values in expected_partners.items()
                        if pid and values["overdue"] > 0
                    },
                )

    def test_paid_invoices_equal_all_partials(self):
        """The invoices paid in the period, found from the period's partials, are
        those whose last match over all their partials is in it (inv_split: 400 long
        before, the rest at T-20; inv_paid: before the period)."""
        period, _dates = self._dashboard_dates(
            date_from=(self.today - timedelta(days=30)).isoformat()
        )
        paid = self.env["billing.dashboard"]._dashboard_paid_invoices(period)
        self.assertEqual(list(paid), [self.customer.id])
        # inv_split 1000 paid 280 days after its date
        self.assertEqual(
            paid[self.customer.id],
            {"amount": 1000.0, "weighted_days": 1000.0 * 280, "count": 1},
        )
        wide, _dates = self._dashboard_dates(
            date_from=(self.today - timedelta(days=400)).isoformat(),
            date_to=(self.today + timedelta(days=10)).isoformat(),
        )
        paid = self.env["billing.dashboard"]._dashboard_paid_invoices(wide)
        # inv_split and inv_paid (50 days); the others are not paid in full
        self.assertEqual(paid[self.customer.id]["count"], 2)
        self.assertEqual(
            paid[self.customer.id]["weighted_days"], 1000.0 * 280 + 1500.0 * 50
        )

    def test_conversion_rates_in_one_query(self):
        """The rates read up front are those of ``_get_conversion_rate`` at each date:
        before the first rate, between rates, a company rate over the global one."""
        t = self.today
        self.env["res.currency.rate"].create(
            {
                "currency_id": self.eur.id,
                "company_id": self.company_2.id,
                "name": t - timedelta(days=50),
                "rate": 0.8,
            }
        )
        dates = [t - timedelta(days=n) for n in (40000, 400, 181, 180, 100, 50, 0)]
        Currency = self.env["res.currency"]
        for company, target in (
            (self.company, self.eur),
            (self.company_2, self.company.currency_id),
        ):
            rates = self.Aging._aging_conversion_rates(company, target, dates)
            for as_of in dates:
                self.assertEqual(
                    rates[(company.id, as_of)],
                    Currency._get_conversion_rate(
                        company.currency_id, target, company, as_of
                    ),
                    f"{company.name} at {as_of}",
                )
