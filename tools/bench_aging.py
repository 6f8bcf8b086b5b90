"""Time the aging engine and the dashboard next to a raw SQL sum of open receivables.

Usage (from the repository root, on a database with many invoices and the module up to
date, e.g. a copy of the bench helper's template):

    source .cache/env.sh
    createdb -T <template> bc_aging_bench
    ./dev odoo -d bc_aging_bench -u billing_coordinator --stop-after-init
    "$VENV/bin/python" tools/bench_aging.py bc_aging_bench
    # without a generated database: --generate N posts N invoices (a third of them
    # paid, some partly, over the last 15 months) first
    "$VENV/bin/python" tools/bench_aging.py bc_aging_bench --generate 20000

Timed, each the median of ``--repeat`` runs in a fresh transaction with cold ORM caches,
as the superuser on every company:

- raw SQL: ``SUM(amount_residual)`` of the open receivable items grouped by partner
  (the floor: what any aged balance must at least read);
- ``billing.receivable.line._get_aging()`` as of today and as of a year ago (one dict per
  partner and currency);
- ``billing.receivable.line._get_aging_totals()`` for the 14 dates the dashboard asks;
- ``billing.dashboard.get_dashboard_data({})`` (last 90 days, every KPI).

It also checks that the engine's total as of today equals the raw SQL sum.
"""

import argparse
import os
import random
import statistics
import time
from datetime import timedelta

from odoo.api import SUPERUSER_ID, Environment
from odoo.fields import Command, Date
from odoo.modules.registry import Registry
from odoo.tools import SQL, config

BATCH = 500

RAW_SQL = SQL(
    """
    SELECT aml.partner_id, SUM(aml.amount_residual)
      FROM account_move_line aml
      JOIN account_account account ON account.id = aml.account_id
     WHERE account.account_type = 'asset_receivable'
       AND aml.parent_state = 'posted'
       AND aml.reconciled IS NOT TRUE
       AND aml.date <= CURRENT_DATE
  GROUP BY aml.partner_id
    """
)


def generate(env, count, rng):
    """``count`` posted invoices over 15 months for 2,000 customers; about a third paid
    in full and a tenth partly, each payment reconciled."""
    today = Date.today()
    partners = env["res.partner"].create(
        [{"name": f"Aging Customer {i:04d}", "is_company": True} for i in range(2000)]
    )
    Move = env["account.move"].with_context(
        mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True, tracking_disable=True
    )
    done = 0
    while done < count:
        size = min(BATCH, count - done)
        vals = []
        for _i in range(size):
            invoice_date = today - timedelta(days=rng.randint(0, 450))
            vals.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": rng.choice(partners).id,
                    "invoice_date": invoice_date,
                    "invoice_date_due": invoice_date + timedelta(days=rng.choice((0, 15, 30, 60))),
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Service", "quantity": 1, "price_unit": rng.randint(50, 5000), "tax_ids": False}
                        )
                    ],
                }
            )
        moves = Move.create(vals)
        moves.action_post()
        for move in moves:
            draw = rng.random()
            if draw > 0.45:
                continue
            pay_date = min(move.invoice_date + timedelta(days=rng.randint(1, 90)), today)
            wizard = (
                env["account.payment.register"]
                .with_context(active_model="account.move", active_ids=move.ids)
                .create({"payment_date": pay_date})
            )
            if draw < 0.1:
                wizard.amount = round(move.amount_total / 2, 2)
                wizard.payment_difference_handling = "open"
            wizard._create_payments()
        env.cr.commit()
        done += size
        print(f"  {done} invoices", flush=True)


def timed(registry, func, repeat):
    times, result = [], None
    for _i in range(repeat):
        with registry.cursor() as cr:
            env = Environment(cr, SUPERUSER_ID, {})
            env = env(context={"allowed_company_ids": env["res.company"].search([]).ids})
            env.invalidate_all()
            registry.clear_cache()
            start = time.perf_counter()
            result = func(env)
            times.append(time.perf_counter() - start)
            cr.rollback()
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database")
    parser.add_argument("--generate", type=int, default=0, metavar="N", help="post N invoices first")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    config.parse_config(
        ["--addons-path", os.environ.get("ADDONS_PATH", ""), "-d", args.database, "--log-level=warn"]
    )
    registry = Registry(args.database)
    if args.generate:
        with registry.cursor() as cr:
            generate(Environment(cr, SUPERUSER_ID, {}), args.generate, random.Random(42))
    with registry.cursor() as cr:
        cr.execute(
            "SELECT COUNT(*) FROM account_move WHERE move_type IN ('out_invoice', 'out_refund') AND state = 'posted'"
        )
        invoices = cr.fetchone()[0]
        cr.execute(RAW_SQL.code, RAW_SQL.params)
        open_partners = len(cr.fetchall())
    today = Date.today()
    year_ago = today - timedelta(days=365)
    dashboard_dates = [today - timedelta(days=90)] + [
        (today.replace(day=1) - timedelta(days=1 + 30 * i)) for i in range(12)
    ] + [today]

    def aging(date_at):
        return lambda env: env["billing.receivable.line"]._get_aging(
            date_at=date_at, company_ids=env.companies.ids
        )

    raw_time, raw_rows = timed(registry, lambda env: env.execute_query(RAW_SQL), args.repeat)
    results = [
        ("raw SQL sum of open residuals by partner", raw_time),
    ]
    today_time, today_rows = timed(registry, aging(today), args.repeat)
    results.append(("_get_aging() as of today", today_time))
    results.append(("_get_aging() as of a year ago", timed(registry, aging(year_ago), args.repeat)[0]))
    results.append(
        (
            "_get_aging_totals() for 14 dates",
            timed(
                registry,
                lambda env: env["billing.receivable.line"]._get_aging_totals(
                    dashboard_dates, company_ids=env.companies.ids
                ),
                args.repeat,
            )[0],
        )
    )
    results.append(
        ("get_dashboard_data({}) (last 90 days)",
         timed(registry, lambda env: env["billing.dashboard"].get_dashboard_data({}), args.repeat)[0])
    )
    raw_total = sum(float(amount) for _partner, amount in raw_rows)
    engine_total = sum(row["total"] for row in today_rows)
    print(f"{invoices} posted customer invoices and credit notes, {open_partners} partners with open items")
    print(f"open receivables today: raw SQL {raw_total:,.2f}, engine {engine_total:,.2f}")
    for label, seconds in results:
        print(f"{label:45s} {seconds * 1000:9.1f} ms (median of {args.repeat})")


if __name__ == "__main__":
    main()
