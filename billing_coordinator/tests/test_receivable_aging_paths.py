from collections import defaultdict
from datetime import timedelta

from odoo.tests import tagged
from odoo.tools import float_round

from .common import BillingCaseCommon


@tagged("post_install", "-at_install")
class TestReceivableAgingPaths(BillingCaseCommon):
    """The aggregate path of ``_get_aging()`` (summary columns, SQL sums, whole-cent
    totals, partner names by one query) against a reference recomputed from the ORM
    and against the item path, on partials before and after the date, credit notes,
    a document currency and a converted company, to the cent, per bucket, per partner
    and in order.

    d(n) = D0 + n days, D0 = today - 200:
    alpha (company)   1000.10 due d(30): paid 400.05 at d(10), 300.03 at d(80);
                      credit note 200.01 at d(90) matched
    beta (person)     1000 EUR (1 unit = 2 EUR) due d(0): 400 EUR paid at d(90)
    gamma (individual with a company name) 333.33 dated d(70), due d(100)
    alpha in a second company (EUR, converted) 777.77 EUR due d(20), 100 EUR paid d(50)
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.d0 = cls.today - timedelta(days=200)
        d = lambda n: cls.d0 + timedelta(days=n)  # noqa: E731
        cls.d60 = d(60)
        cls.eur = cls.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        Partner = cls.env["res.partner"]
        cls.alpha = Partner.create({"name": "alpha Paths Co", "is_company": True})
        cls.beta = Partner.create({"name": "Beta Paths Person"})
        cls.gamma = Partner.create({"name": "Carl", "company_name": "Gamma Ltd"})
        inv = cls._create_invoice(
            partner=cls.alpha, amount=1000.10, invoice_date=d(0), due_date=d(30)
        )
        cls._register_payment(inv, amount=400.05, payment_date=d(10))
        cls._register_payment(inv, amount=300.03, payment_date=d(80))
        refund = cls._create_invoice(
            partner=cls.alpha, amount=200.01, move_type="out_refund", invoice_date=d(90)
        )
        (inv | refund).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
            and not line.reconciled
        ).reconcile()
        eur_inv = cls._create_invoice(
            partner=cls.beta,
            amount=1000.0,
            currency=cls.eur,
            invoice_date=d(0),
            due_date=d(0),
        )
        cls._register_payment(
            eur_inv, amount=400.0, currency=cls.eur, payment_date=d(90)
        )
        cls._create_invoice(
            partner=cls.gamma, amount=333.33, invoice_date=d(70), due_date=d(100)
        )
        cls.company_eur = cls.setup_other_company(
            name="Aging Paths EUR Co", currency_id=cls.eur.id
        )["company"]
        eur_co_inv = cls._create_invoice(
            partner=cls.alpha,
            amount=777.77,
            company=cls.company_eur,
            invoice_date=d(0),
            due_date=d(20),
        )
        cls._register_payment(
            eur_co_inv.with_company(cls.company_eur),
            amount=100.0,
            payment_date=d(50),
        )
        cls.partners = cls.alpha | cls.beta | cls.gamma
        cls.Aging = cls.env["billing.receivable.line"]
        cls.dates = [d(5), d(60), d(85), d(95), cls.today]

    def _reference(self, as_of, company):
        """Per (partner, currency): bucket sums recomputed from the journal items and
        their partials (company currency, one company: no conversion)."""
        buckets = company._get_billing_aging_buckets()
        lines = self.env["account.move.line"].search(
            [
                ("company_id", "=", company.id),
                ("partner_id", "in", self.partners.ids),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("date", "<=", as_of),
            ]
        )
        Partial = self.env["account.partial.reconcile"]
        result = defaultdict(lambda: defaultdict(float))
        for line in lines:
            later = [("max_date", ">", as_of)]
            debit = Partial.search([("debit_move_id", "=", line.id), *later])
            credit = Partial.search([("credit_move_id", "=", line.id), *later])
            residual = (
                line.amount_residual
                + sum(debit.mapped("amount"))
                - sum(credit.mapped("amount"))
            )
            residual_currency = (
                line.amount_residual_currency
                + sum(debit.mapped("debit_amount_currency"))
                - sum(credit.mapped("credit_amount_currency"))
            )
            if not residual and not residual_currency:
                continue
            days = (as_of - (line.date_maturity or line.date)).days
            bucket = next(
                b["key"]
                for b in buckets
                if b["days_to"] is None or days <= b["days_to"]
            )
            values = result[(line.partner_id.id, line.currency_id.id)]
            values[bucket] += residual
            values["total"] += residual
            values["total_currency"] += residual_currency
            if bucket != "not_due":
                values["overdue"] += residual
        return {
            key: {name: float_round(amount, 2) for name, amount in values.items()}
            for key, values in result.items()
        }

    def _lines(self, as_of, companies, **kwargs):
        return self.Aging._get_aging(
            date_at=as_of,
            company_ids=companies.ids,
            partner_ids=self.partners.ids,
            **kwargs,
        )

    def test_aggregate_matches_reference(self):
        keys = [b["key"] for b in self.Aging._get_aging_buckets(self.company)]
        for as_of in self.dates:
            with self.subTest(as_of=as_of):
                lines = self._lines(as_of, self.company)
                got = {
                    (line["partner_id"], line["currency_id"]): {
                        name: line[name]
                        for name in (*keys, "overdue", "total", "total_currency")
                        if line[name]
                    }
                    for line in lines
                }
                expected = {
                    key: {name: amount for name, amount in values.items() if amount}
                    for key, values in self._reference(as_of, self.company).items()
                }
                self.assertEqual(got, expected)

    def test_aggregate_matches_items(self):
        """The summary path gives what the item path gives, figure by figure and in
        the same order; the items of both column sets are the same."""
        both = self.company | self.company_eur
        for companies in (self.company, self.company_eur, both):
            for as_of in self.dates:
                with self.subTest(companies=companies.ids, as_of=as_of):
                    lines = self._lines(as_of, companies)
                    with_items = self._lines(as_of, companies, with_items=True)
                    self.assertEqual(
                        lines,
                        [
                            {k: v for k, v in line.items() if k != "items"}
                            for line in with_items
                        ],
                    )
                    full, summary = (
                        sorted(
                            (r["id"], r["amount_residual"], r["aging_bucket"])
                            for batch in self.Aging._iter_aging_items(
                                date_at=as_of, company_ids=companies, columns=columns
                            )
                            for r in batch
                        )
                        for columns in ("all", "summary")
                    )
                    self.assertEqual(full, summary)

    def test_converted_company_and_order(self):
        """As of d(60) with both companies, in the first company's currency: alpha's
        EUR-company item (777.77 - 100 EUR = 677.77 EUR, due d(20): 31-60) converted
        at d(60) and rounded; lines ordered by display name, case-insensitive."""
        both = self.company | self.company_eur
        lines = self._lines(self.d60, both)
        self.assertEqual(
            [line["partner_id"] for line in lines],
            [self.alpha.id, self.alpha.id, self.beta.id],
            "alpha's lines (company currency, then EUR) before Beta; gamma's "
            "invoice is dated after d(60)",
        )
        eur_line = next(
            line
            for line in lines
            if line["partner_id"] == self.alpha.id
            and line["currency_id"] == self.eur.id
        )
        rate = self.env["res.currency"]._get_conversion_rate(
            self.eur, self.company.currency_id, self.company_eur, self.d60
        )
        converted = self.company.currency_id.round(677.77 * rate)
        self.assertEqual(eur_line["days_31_60"], converted)
        self.assertEqual(eur_line["total"], converted)
        self.assertEqual(eur_line["overdue"], converted)
        self.assertEqual(eur_line["total_currency"], 677.77)
        today = self._lines(self.today, self.company)
        self.assertEqual(
            [line["partner_id"] for line in today],
            sorted(
                {line["partner_id"] for line in today},
                key=lambda pid: self.env["res.partner"]
                .browse(pid)
                .display_name.lower(),
            ),
        )

    def test_sort_names_are_display_names(self):
        unnamed = self.env["res.partner"].create(
            {"name": False, "company_name": "Unnamed Ltd", "type": "invoice"}
        )
        partners = self.partners | unnamed
        names = self.Aging._aging_partner_sort_names(set(partners.ids))
        self.assertEqual(names, {p.id: p.display_name for p in partners})
        self.assertEqual(names[self.gamma.id], "Gamma Ltd, Carl")
        with_email = self.Aging.with_context(show_email=True)
        self.beta.email = "beta@example.com"
        self.assertEqual(
            with_email._aging_partner_sort_names({self.beta.id}),
            {self.beta.id: self.beta.with_context(show_email=True).display_name},
        )
