"""Time the billing discrepancy detection on a database, optionally filling it first.

Usage (from the repository root, after ./dev bootstrap):

    source .cache/env.sh
    # a database with the module and no demo data:
    ./dev odoo server -d bc_bench -i billing_coordinator --stop-after-init
    # generate 5,000 posted invoices with mixed payments, then time the detection:
    "$VENV/bin/python" tools/bench_detection.py bc_bench --generate 5000
    # time the detection only (e.g. on the demo database):
    "$VENV/bin/python" tools/bench_detection.py billing_coordinator

Generated data (reproducible, seed 42), on invoice dates spread over 150 days with 30-day
terms: about 55 % paid in full, 10 % short-paid (92-99 %), 5 % overpaid (105-120 %), 30 %
unpaid (many overdue); 5 % of lines priced 10-30 % off the product list price; 4 % of
customers with a missing city, e-mail or a wrong VAT number; 150 unapplied payments and
50 duplicated payments. The timed run is ``_run_detection()`` on all companies; it is
run twice: the first run creates the cases, the second finds nothing new (idempotency).
Each timed run is committed so that the second one sees the first one's cases.
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta

from odoo.api import SUPERUSER_ID, Environment
from odoo.fields import Command, Date
from odoo.modules.registry import Registry
from odoo.tools import config

BATCH = 200


def ensure_accounting(env):
    company = env.company
    if not env["account.journal"].search_count(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    ):
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)


def generate(env, count, rng):
    ensure_accounting(env)
    today = Date.context_today(env["billing.case"])
    us = env.ref("base.us")
    be = env.ref("base.be")
    partner_count = max(count // 10, 10)
    partner_vals = []
    for index in range(partner_count):
        vals = {
            "name": f"Bench Customer {index:05d}",
            "is_company": True,
            "email": f"ap{index}@bench.example.com",
            "street": f"{index} Bench Street",
            "city": "Springfield",
            "zip": "12345",
            "country_id": us.id,
        }
        roll = rng.random()
        if roll < 0.02:
            vals["city"] = False
        elif roll < 0.03:
            vals["email"] = False
        elif roll < 0.04:
            vals.update(country_id=be.id, vat="BE0477472702")
        partner_vals.append(vals)
    partners = env["res.partner"].with_context(no_vat_validation=True).create(partner_vals)
    products = env["product.product"].create(
        [
            {"name": f"Bench product {index}", "type": "service", "list_price": price}
            for index, price in enumerate([10.0, 25.0, 80.0, 150.0, 400.0])
        ]
    )
    env.cr.commit()

    started = time.monotonic()
    invoices = env["account.move"]
    for start in range(0, count, BATCH):
        vals_list = []
        for _index in range(start, min(start + BATCH, count)):
            days_ago = rng.randint(1, 150)
            lines = []
            for _line in range(rng.randint(1, 3)):
                product = rng.choice(products)
                price = product.list_price
                if rng.random() < 0.05:
                    price = round(price * rng.choice([0.7, 0.8, 0.9, 1.1, 1.2, 1.3]), 2)
                lines.append(
                    Command.create(
                        {
                            "product_id": product.id,
                            "quantity": rng.randint(1, 20),
                            "price_unit": price,
                            "tax_ids": False,
                        }
                    )
                )
            vals_list.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": rng.choice(partners).id,
                    "invoice_date": today - timedelta(days=days_ago),
                    "invoice_date_due": today - timedelta(days=days_ago - 30),
                    "invoice_line_ids": lines,
                }
            )
        batch = env["account.move"].create(vals_list)
        batch.action_post()
        env.cr.commit()
        invoices |= batch
        print(f"  {len(invoices)} invoices posted ({time.monotonic() - started:.0f} s)", flush=True)

    # Payments: one create() per batch, posted in batch, then reconciled with their invoice.
    started = time.monotonic()
    plan = []
    for invoice in invoices:
        roll = rng.random()
        if roll < 0.55:
            share = 1.0
        elif roll < 0.65:
            share = rng.uniform(0.92, 0.99)
        elif roll < 0.70:
            share = rng.uniform(1.05, 1.20)
        else:
            continue
        plan.append((invoice, round(invoice.amount_total * share, 2)))
    def payment_for(invoice, amount):
        """A customer payment for ``invoice``, a few weeks after it (never in the future)."""
        return {
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": invoice.partner_id.id,
            "amount": amount,
            "date": min(invoice.invoice_date + timedelta(days=rng.randint(5, 40)), today),
            "memo": invoice.name,
        }

    paid = 0
    for start in range(0, len(plan), BATCH):
        chunk = plan[start : start + BATCH]
        payments = env["account.payment"].create(
            [payment_for(invoice, amount) for invoice, amount in chunk]
        )
        payments.action_post()
        for (invoice, _amount), payment in zip(chunk, payments, strict=True):
            (invoice.line_ids + payment.move_id.line_ids).filtered(
                lambda line: (
                    line.account_id.account_type == "asset_receivable" and not line.reconciled
                )
            ).reconcile()
        env.cr.commit()
        paid += len(chunk)
        print(f"  {paid} payments reconciled ({time.monotonic() - started:.0f} s)", flush=True)

    # Unapplied payments and duplicates of payments made.
    extra = [
        {
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": rng.choice(partners).id,
            "amount": rng.choice([100.0, 250.0, 500.0, 1200.0]),
            "date": today - timedelta(days=rng.randint(1, 60)),
        }
        for _index in range(150)
    ]
    for invoice, amount in rng.sample(plan, min(50, len(plan))):
        extra.append(payment_for(invoice, amount))
    env["account.payment"].create(extra).action_post()
    env.cr.commit()


def time_detection(registry, label):
    with registry.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {})
        started = time.monotonic()
        summary = env["billing.case"]._detect()
        env.flush_all()
        elapsed = time.monotonic() - started
        counts = {}
        for case in summary["created"]:
            counts[case.detection_rule] = counts.get(case.detection_rule, 0) + 1
        print(
            f"{label}: {elapsed:.2f} s; created {len(summary['created'])} "
            f"{dict(sorted(counts.items()))}, "
            f"reopened {len(summary['reopened'])}, cleared {len(summary['cleared'])}, "
            f"updated {len(summary['updated'])}, failed {summary['failed']}",
            flush=True,
        )
        cr.commit()
        return elapsed


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("database")
    parser.add_argument(
        "--generate", type=int, default=0, metavar="N", help="post N invoices first"
    )
    args = parser.parse_args()
    config.parse_config(
        [
            "--addons-path",
            os.environ.get("ADDONS_PATH", ""),
            "-d",
            args.database,
            "--log-level=warn",
        ]
    )
    registry = Registry(args.database)
    if args.generate:
        with registry.cursor() as cr:
            env = Environment(cr, SUPERUSER_ID, {})
            print(f"generating {args.generate} invoices in {args.database}", flush=True)
            generate(env, args.generate, random.Random(42))
    with registry.cursor() as cr:
        invoice_count = Environment(cr, SUPERUSER_ID, {})["account.move"].search_count(
            [("move_type", "=", "out_invoice"), ("state", "=", "posted")]
        )
    print(f"{args.database}: {invoice_count} posted customer invoices", flush=True)
    time_detection(registry, "first run")
    time_detection(registry, "second run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
