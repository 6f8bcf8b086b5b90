import importlib.util
import random
from pathlib import Path

from odoo.tests import tagged

from .common import BillingCaseCommon


def _load_bench_data():
    path = Path(__file__).resolve().parents[2] / "tools" / "bench_data.py"
    spec = importlib.util.spec_from_file_location("bench_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestBenchData(BillingCaseCommon):
    """The benchmark generator's fast path (ORM-built templates copied as rows) gives the
    same accounting as building every document through the ORM."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bench = _load_bench_data()
        eur = cls.env.ref("base.EUR")
        eur.active = True
        cls.company_eu = cls.setup_other_company(
            name="Bench EU test", currency_id=eur.id
        )["company"]
        cls.env.user.company_ids |= cls.company_eu

    def _snapshot(self, move_ids):
        """The rows of one item, without ids and numbers: moves, lines, reconciliations."""
        moves = self.env["account.move"].browse(move_ids)
        moves = moves.sorted(
            lambda m: (
                m.move_type,
                m.date,
                m.journal_id.type,
                m.amount_total_signed,
                m.id,
            )
        )
        line_keys, snapshot = {}, {"moves": [], "partials": []}
        for move_index, move in enumerate(moves):
            lines = move.line_ids.sorted(
                lambda line: (
                    line.display_type,
                    line.account_id.code,
                    line.balance,
                    line.amount_currency,
                    line.id,
                )
            )
            for line_index, line in enumerate(lines):
                line_keys[line.id] = (move_index, line_index)
            snapshot["moves"].append(
                {
                    "move": [
                        move.move_type,
                        move.state,
                        move.date,
                        move.invoice_date,
                        move.invoice_date_due if move.is_invoice() else None,
                        move.partner_id.id,
                        move.commercial_partner_id.id,
                        move.invoice_partner_display_name,
                        move.currency_id.id,
                        move.journal_id.id,
                        move.company_id.id,
                        move.amount_untaxed,
                        move.amount_tax,
                        move.amount_total,
                        move.amount_residual,
                        move.amount_total_signed,
                        move.amount_residual_signed,
                        move.payment_state,
                        bool(move.reversed_entry_id),
                        move.origin_payment_id.amount,
                        move.origin_payment_id.date,
                        move.origin_payment_id.state,
                        bool(move.name and move.name != "/"),
                    ],
                    "lines": [
                        [
                            line.account_id.id,
                            line.display_type,
                            line.partner_id.id,
                            line.product_id.id,
                            line.quantity,
                            line.price_unit,
                            line.tax_ids.ids,
                            line.tax_line_id.id,
                            line.tax_tag_ids.ids,
                            line.debit,
                            line.credit,
                            line.balance,
                            line.amount_currency,
                            line.amount_residual,
                            line.amount_residual_currency,
                            line.reconciled,
                            line.date,
                            line.date_maturity,
                            bool(line.full_reconcile_id),
                            bool(line.matching_number),
                        ]
                        for line in lines
                    ],
                }
            )
        partials = moves.line_ids.matched_debit_ids | moves.line_ids.matched_credit_ids
        for partial in partials:
            snapshot["partials"].append(
                [
                    line_keys[partial.debit_move_id.id],
                    line_keys[partial.credit_move_id.id],
                    partial.amount,
                    partial.debit_amount_currency,
                    partial.credit_amount_currency,
                    partial.max_date,
                    bool(partial.full_reconcile_id),
                    bool(partial.exchange_move_id),
                ]
            )
        snapshot["partials"].sort()
        return snapshot

    def test_fast_path_rows_equal_orm_rows(self):
        bench = self.bench
        rng = random.Random(7)
        world = bench.setup_world(
            self.env, 8, rng, self.today, companies=(self.company, self.company_eu)
        )
        # 30 invoices in three months from two shapes a month: most are copies
        plan = bench.make_plan(world, 30, rng, self.today, shapes_per_month=2, months=3)
        items, shapes = plan["items"], plan["shapes"]
        # every kind of event somewhere (shapes: month by month, one per company)
        shapes[0]["events"] = [("refund_partial", 2, 0.25), ("pay", 4, 1.0)]
        shapes[1].update(
            currency=world["gbp"], events=[("pay", 25, 0.8)]
        )  # next month's rate
        shapes[2]["events"] = [("pay", 3, 1.0), ("dup", 5, 0)]
        shapes[3].update(currency=world["gbp"], events=[("refund_full", 1, 0)])
        for item in items:
            if item["kind"] == "invoice":
                item["events"] = tuple(
                    e
                    for e in shapes[item["shape"]]["events"]
                    if (item["date"] - self.today).days + e[1] <= 0
                )

        quiet = lambda _message: None  # noqa: E731
        orm_made = bench.with_exchange_moves(
            self.env, bench.build_orm(self.env, world, plan, items, log=quiet)
        )
        fast_made = bench.with_exchange_moves(
            self.env, bench.build_fast(self.env, world, plan, log=quiet)
        )
        bench.check(self.env)

        groups = {bench.group_key(plan, item) for item in items}
        self.assertLess(
            len(groups), len(items) / 2, "most items are copies of a template"
        )
        kinds = {e[0] for item in items for e in item["events"]}
        self.assertLessEqual({"refund_partial", "refund_full", "pay", "dup"}, kinds)
        exchange = self.env["account.partial.reconcile"].search_count(
            [("exchange_move_id", "!=", False)]
        )
        self.assertTrue(exchange, "a GBP invoice paid at another month's rate")
        for index, (orm_moves, fast_moves) in enumerate(
            zip(orm_made, fast_made, strict=True)
        ):
            self.assertFalse(set(orm_moves) & set(fast_moves))
            self.assertEqual(
                self._snapshot(orm_moves), self._snapshot(fast_moves), f"item {index}"
            )
        # the copies are numbered in their journal's sequence, one number each
        fast_moves = self.env["account.move"].browse(
            [m for moves in fast_made for m in moves]
        )
        numbers = [(move.journal_id, move.name) for move in fast_moves]
        self.assertEqual(len(numbers), len(set(numbers)))
        for move in fast_moves:
            digits = len(move.name) - len(move.sequence_prefix)
            self.assertEqual(
                move.name, f"{move.sequence_prefix}{move.sequence_number:0{digits}d}"
            )
