from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import BillingCaseCommon


@tagged("post_install", "-at_install")
class TestReceivableAging(BillingCaseCommon):
    """The aging engine as of a past date A = D0 + 60 and as of today (D0 + 200).

    inv_paid    1000, dated D0, due D0+30, paid in full at D0+100 (after A)
    inv_credit   500, dated D0, due D0,    credit note 200 dated D0+90 matched (after A)
    inv_partial 1000, dated D0, due D0+60, paid 400 at D0+10 (before A), 300 at D0+80 (after A)
    inv_late     250, dated D0+70 (after A), due D0+70
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.d0 = cls.today - timedelta(days=200)
        cls.as_of = cls.d0 + timedelta(days=60)
        d = lambda n: cls.d0 + timedelta(days=n)  # noqa: E731
        cls.inv_paid = cls._create_invoice(
            amount=1000.0, invoice_date=d(0), due_date=d(30)
        )
        cls._register_payment(cls.inv_paid, payment_date=d(100))
        cls.inv_credit = cls._create_invoice(
            amount=500.0, invoice_date=d(0), due_date=d(0)
        )
        cls.refund = cls._create_invoice(
            amount=200.0, move_type="out_refund", invoice_date=d(90)
        )
        cls._receivable(cls.inv_credit | cls.refund).reconcile()
        cls.inv_partial = cls._create_invoice(
            amount=1000.0, invoice_date=d(0), due_date=d(60)
        )
        cls._register_payment(cls.inv_partial, amount=400.0, payment_date=d(10))
        cls._register_payment(cls.inv_partial, amount=300.0, payment_date=d(80))
        cls.inv_late = cls._create_invoice(
            amount=250.0, invoice_date=d(70), due_date=d(70)
        )
        cls.Aging = cls.env["billing.receivable.line"]

    @classmethod
    def _receivable(cls, moves):
        return moves.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )

    def _items(self, date_at, **kwargs):
        rows = self.Aging._get_aging(date_at=date_at, with_items=True, **kwargs)
        return {item["move_id"]: item for row in rows for item in row["items"]}

    def test_buckets_default(self):
        buckets = self.Aging._get_aging_buckets(self.company)
        self.assertEqual(
            [b["key"] for b in buckets],
            [
                "not_due",
                "days_1_30",
                "days_31_60",
                "days_61_90",
                "days_91_120",
                "days_over_120",
            ],
        )
        self.assertEqual(buckets[1]["label"], "1-30")
        self.assertEqual(buckets[-1]["days_from"], 121)
        self.assertIsNone(buckets[-1]["days_to"])

    def test_as_of_past_date(self):
        """At A: the later payment, credit note and partial payment are added back; the
        invoice dated after A does not exist yet."""
        items = self._items(self.as_of.isoformat())
        self.assertNotIn(
            self.inv_late.id, items, "documents dated after A are excluded"
        )
        # inv_paid: 1000 open, due D0+30: 60 - 30 = 30 days overdue -> 1-30
        self.assertEqual(items[self.inv_paid.id]["amount_residual"], 1000.0)
        self.assertEqual(items[self.inv_paid.id]["days_overdue"], 30)
        self.assertEqual(items[self.inv_paid.id]["aging_bucket"], "days_1_30")
        # inv_credit: the credit note (D0+90) is not applied yet: 500, 60 days -> 31-60
        self.assertEqual(items[self.inv_credit.id]["amount_residual"], 500.0)
        self.assertEqual(items[self.inv_credit.id]["aging_bucket"], "days_31_60")
        # inv_partial: 1000 - 400 (before A) = 600; due at A: not due
        self.assertEqual(items[self.inv_partial.id]["amount_residual"], 600.0)
        self.assertEqual(items[self.inv_partial.id]["aging_bucket"], "not_due")
        self.assertNotIn(self.refund.id, items, "the credit note is dated after A")
        [row] = self.Aging._get_aging(date_at=self.as_of)
        self.assertEqual(row["partner_id"], self.customer.id)
        self.assertEqual(row["currency_id"], self.company.currency_id.id)
        # 1000 + 500 + 600 = 2100, of which 600 not due and 1500 overdue
        self.assertEqual(row["total"], 2100.0)
        self.assertEqual(row["not_due"], 600.0)
        self.assertEqual(row["days_1_30"], 1000.0)
        self.assertEqual(row["days_31_60"], 500.0)
        self.assertEqual(row["overdue"], 1500.0)
        self.assertEqual(row["total_currency"], 2100.0)
        self.assertNotIn("items", row)

    def test_as_of_between_partials(self):
        """At D0+85 the 300 (D0+80) is applied, the credit note (D0+90) and the full
        payment (D0+100) are not."""
        items = self._items(self.d0 + timedelta(days=85))
        self.assertEqual(items[self.inv_paid.id]["amount_residual"], 1000.0)
        self.assertEqual(items[self.inv_partial.id]["amount_residual"], 300.0)
        self.assertEqual(items[self.inv_credit.id]["amount_residual"], 500.0)
        self.assertEqual(items[self.inv_late.id]["amount_residual"], 250.0)

    def test_as_of_today(self):
        """Today: inv_paid is closed; 500 - 200 = 300; 1000 - 400 - 300 = 300; 250."""
        items = self._items(None)
        self.assertNotIn(self.inv_paid.id, items)
        self.assertEqual(items[self.inv_credit.id]["amount_residual"], 300.0)
        self.assertEqual(items[self.inv_credit.id]["days_overdue"], 200)
        self.assertEqual(items[self.inv_credit.id]["aging_bucket"], "days_over_120")
        self.assertEqual(items[self.inv_partial.id]["amount_residual"], 300.0)
        self.assertEqual(items[self.inv_late.id]["days_overdue"], 130)
        [row] = self.Aging._get_aging()
        self.assertEqual(row["total"], 850.0)
        self.assertEqual(row["days_over_120"], 850.0)

    def test_totals_at_several_dates(self):
        """One query for several dates gives what one call per date gives."""
        dates = [self.as_of, self.d0 + timedelta(days=85), self.today]
        totals = self.Aging._get_aging_totals(dates)
        for as_of in dates:
            rows = self.Aging._get_aging(date_at=as_of)
            self.assertEqual(totals[as_of]["total"], sum(r["total"] for r in rows))
            self.assertEqual(totals[as_of]["overdue"], sum(r["overdue"] for r in rows))
        self.assertEqual(totals[self.as_of]["total"], 2100.0)
        # D0+85: inv_paid (paid at D0+100) 1000 + 500 + 300 + 250 = 2050
        self.assertEqual(totals[dates[1]]["total"], 2050.0)

    def test_streamed_items_match(self):
        streamed = [
            row
            for batch in self.Aging._iter_aging_items(batch_size=2, date_at=self.as_of)
            for row in batch
        ]
        self.assertEqual(
            sorted(r["move_id"] for r in streamed),
            sorted([self.inv_paid.id, self.inv_credit.id, self.inv_partial.id]),
        )

    def test_foreign_currency_invoice(self):
        """A EUR invoice in the company's currency: 1 company unit = 2 EUR. 1000 EUR is
        500 in company currency; 400 EUR paid after A gives back 200."""
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        other = self.env["res.partner"].create({"name": "Euro Customer"})
        invoice = self._create_invoice(
            partner=other,
            amount=1000.0,
            currency=eur,
            invoice_date=self.d0,
            due_date=self.d0,
        )
        self._register_payment(
            invoice,
            amount=400.0,
            currency=eur,
            payment_date=self.d0 + timedelta(days=90),
        )
        [past] = self.Aging._get_aging(date_at=self.as_of, partner_ids=other.ids)
        self.assertEqual(past["currency_id"], eur.id)
        self.assertEqual(past["total"], 500.0)
        self.assertEqual(past["total_currency"], 1000.0)
        [now] = self.Aging._get_aging(partner_ids=other.ids, with_items=True)
        self.assertEqual(now["total"], 300.0)
        self.assertEqual(now["total_currency"], 600.0)
        self.assertEqual(now["items"][0]["amount_residual_currency"], 600.0)

    def test_multi_company_and_team(self):
        company_2 = self.setup_other_company(
            name="Aging Second Co", currency_id=self.company.currency_id.id
        )["company"]
        self._create_invoice(
            partner=self.other_customer, amount=700.0, company=company_2
        )
        team = self.env["billing.team"].create(
            {"name": "Aging Team", "company_id": self.company.id}
        )
        self.other_customer.billing_team_id = team
        self._create_invoice(partner=self.other_customer, amount=90.0)
        self.customer.billing_coordinator_id = self.coordinator

        def totals(**kwargs):
            return {
                (r["partner_id"]): r["total"] for r in self.Aging._get_aging(**kwargs)
            }

        self.assertEqual(
            totals(company_ids=company_2.ids), {self.other_customer.id: 700.0}
        )
        self.assertEqual(
            totals(company_ids=self.company.ids),
            {self.customer.id: 850.0, self.other_customer.id: 90.0},
        )
        self.assertEqual(
            totals(company_ids=self.company.ids, team_id=team.id),
            {self.other_customer.id: 90.0},
        )
        self.assertEqual(
            totals(company_ids=self.company.ids, user_id=self.coordinator.id),
            {self.customer.id: 850.0},
        )
        # Both companies share a currency here: the totals add up.
        both = totals(company_ids=(self.company | company_2).ids)
        self.assertEqual(both[self.other_customer.id], 790.0)
        # A user of the first company only cannot age the second one.
        with self.assertRaises(AccessError):
            self.Aging.with_user(self.coordinator)._get_aging(company_ids=company_2.ids)

    def test_configured_buckets(self):
        self.company.billing_aging_bucket_limits = "15,45"
        keys = [b["key"] for b in self.Aging._get_aging_buckets(self.company)]
        self.assertEqual(keys, ["not_due", "days_1_15", "days_16_45", "days_over_45"])
        items = self._items(self.as_of)
        self.assertEqual(items[self.inv_paid.id]["aging_bucket"], "days_16_45")
        self.assertEqual(items[self.inv_credit.id]["aging_bucket"], "days_over_45")
        with self.assertRaises(ValidationError):
            self.company.billing_aging_bucket_limits = "30,20"
        with self.assertRaises(ValidationError):
            self.company.billing_aging_bucket_limits = "thirty"

    def test_view_rows_match_move_lines(self):
        """The analysis view has one row per open receivable item with its residual."""
        case = self._create_case(move_ids=[Command.set(self.inv_credit.ids)])
        lines = self.env["account.move.line"].search(
            [
                ("company_id", "=", self.company.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "!=", 0),
            ]
        )
        rows = self.env["billing.receivable.line"].search(
            [("company_id", "=", self.company.id)]
        )
        self.assertEqual(sorted(rows.ids), sorted(lines.ids))
        for row in rows:
            line = lines.browse(row.id)
            self.assertEqual(row.move_id, line.move_id)
            self.assertEqual(row.partner_id, line.partner_id.commercial_partner_id)
            self.assertAlmostEqual(row.amount_residual, line.amount_residual)
            self.assertAlmostEqual(
                row.amount_residual_currency, line.amount_residual_currency
            )
            self.assertEqual(row.date_maturity, line.date_maturity)
            self.assertEqual(row.has_open_case, row.move_id == self.inv_credit)
        credit_row = rows.filtered(lambda r: r.move_id == self.inv_credit)
        self.assertEqual(credit_row.case_ids, case)
        self.assertEqual(credit_row.aging_bucket, "days_over_120")
        # The pivot's figures: sum by bucket
        groups = dict(
            self.env["billing.receivable.line"]._read_group(
                [("company_id", "=", self.company.id)],
                ["aging_bucket"],
                ["amount_residual:sum"],
            )
        )
        self.assertEqual(groups["days_over_120"], 850.0)

    def test_view_as_of_date(self):
        """With ``billing_aging_date`` (the dashboard's trend drill-down) the view has
        the items open at that date, as the engine has them; a bad date is refused."""
        Line = self.env["billing.receivable.line"].with_context(
            billing_aging_date=self.as_of.isoformat()
        )
        rows = Line.search_fetch(
            [("company_id", "=", self.company.id)],
            ["move_id", "amount_residual", "days_overdue", "aging_bucket"],
        )
        items = self._items(self.as_of)
        self.assertEqual(
            sorted(rows.move_id.ids),
            sorted(items),
            "the invoice paid after A is there, the one dated after A is not",
        )
        self.assertIn(self.inv_paid, rows.move_id)
        self.assertNotIn(self.inv_late, rows.move_id)
        for row in rows:
            item = items[row.move_id.id]
            self.assertAlmostEqual(row.amount_residual, item["amount_residual"])
            self.assertEqual(row.days_overdue, item["days_overdue"])
            self.assertEqual(row.aging_bucket, item["aging_bucket"])
        [(overdue,)] = Line._read_group(
            [("company_id", "=", self.company.id), ("days_overdue", ">", 0)],
            [],
            ["amount_residual:sum"],
        )
        self.assertEqual(overdue, 1500.0, "the trend's overdue bar at A")
        self.env.invalidate_all()
        today_moves = (
            self.env["billing.receivable.line"]
            .search([("company_id", "=", self.company.id)])
            .move_id
        )
        self.assertNotIn(self.inv_paid, today_moves, "without the key: today")
        with self.assertRaises(UserError):
            self.env["billing.receivable.line"].with_context(
                billing_aging_date="end of October"
            ).search([])

    def test_view_two_dates_one_transaction(self):
        """The same rows read as of A and as of today in one transaction, the cache not
        invalidated in between: each date's figures (the fields depend on the context
        key), and A's again after today's."""
        line_a = (
            self.env["billing.receivable.line"]
            .with_context(billing_aging_date=self.as_of.isoformat())
            .search([("move_id", "=", self.inv_partial.id)])
        )
        self.assertEqual(len(line_a), 1)
        # paid 400 before A and 300 after, due at A
        self.assertEqual(line_a.amount_residual, 600.0)
        self.assertEqual(line_a.amount_residual_currency, 600.0)
        self.assertEqual(line_a.days_overdue, 0)
        self.assertEqual(line_a.aging_bucket, "not_due")
        line_today = self.env["billing.receivable.line"].browse(line_a.ids)
        self.assertEqual(line_today.amount_residual, 300.0)
        self.assertEqual(line_today.amount_residual_currency, 300.0)
        self.assertEqual(line_today.days_overdue, 140)
        self.assertEqual(line_today.aging_bucket, "days_over_120")
        self.assertEqual(line_a.amount_residual, 600.0)
        self.assertEqual(line_a.days_overdue, 0)
        # the columns that do not depend on the date are shared
        self.assertEqual(line_a.move_id, line_today.move_id)

    def test_view_rules_for_coordinator(self):
        """A coordinator sees their customers and customers without a team, not another
        team's customers; a manager sees all."""
        team = self.env["billing.team"].create(
            {"name": "Other Team", "company_id": self.company.id}
        )
        self.other_customer.billing_team_id = team
        self._create_invoice(partner=self.other_customer, amount=90.0)
        Line = self.env["billing.receivable.line"]
        seen = Line.with_user(self.coordinator).search([]).partner_id
        self.assertIn(self.customer, seen)
        self.assertNotIn(self.other_customer, seen)
        self.assertIn(
            self.other_customer, Line.with_user(self.manager).search([]).partner_id
        )
