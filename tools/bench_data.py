"""Build a deterministic, realistic receivables dataset for benchmarks.

Usage (from the repository root, after ./dev bootstrap):

    source .cache/env.sh
    "$VENV/bin/python" tools/bench_data.py bc_bench --size S/10          # fast path
    "$VENV/bin/python" tools/bench_data.py bc_bench --size S/10 --path orm

The database is created (with billing_coordinator, without demo data) when it does not
exist; it must not hold generated data yet. Sizes: S = 2,000 customers, 50,000 invoices
(about 40,000 payments); S/10, S/4, S/2 and L = 10 x S scale both. Same seed, same data.

What it builds: two companies (Bench US in USD, Bench Europe in EUR), each with the generic
chart and its 15 % sale tax; GBP documents in both with monthly GBP rates (exchange
differences when a GBP invoice is paid in a later month); customers in eight countries, a
few with no e-mail, no VAT number or no street; products with list prices and about 6 % of
invoice lines priced off the list; posted customer invoices over 24 months (1-4 lines,
15 % tax) with due dates 14-60 days out; full and partial credit notes reconciled with their
invoice; payments (most in full and on time, some late, partial, over, duplicated) and
payments on account left unreconciled. Whatever would fall after today is not paid yet.

Two paths build the same rows:

- ``orm``: every invoice, credit note and payment through Odoo (``create``, ``action_post``,
  ``_reverse_moves``, ``_reconcile_plan``), in batches.
- ``fast`` (default): invoices are drawn from a pool of shapes per company and month (lines,
  currency, terms, what happens to it). For each (shape, months of its dates) the first
  invoice is built through the ORM path above with everything that happens to it (credit
  note, payments, reconciliations, exchange difference entries); every further invoice of
  that key is a copy of those rows for another customer, shifted by whole days within the
  same months (so sequence prefixes and monthly rates stay right), with new numbers, new
  ids and the reconciliation links remapped, inserted set-wise. ``test_bench_data`` checks
  that both paths give the same amounts, lines, residuals and reconciliations.

At the end the data is checked (every move balanced, every receivable line's residual equal
to its balance minus its partial reconciliations) and the counts are printed.
"""

import argparse
import os
import random
import re
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, timedelta

SIZES = {
    "S/10": (200, 5000),
    "S/4": (500, 12500),
    "S/2": (1000, 25000),
    "S": (2000, 50000),
    "L": (20000, 500000),
}
MONTHS = 24
BATCH = 250
COUNTRIES = [  # code, share, VAT prefix (False: customers there have no VAT number)
    ("US", 30, False),
    ("CA", 6, False),
    ("DE", 20, "DE"),
    ("FR", 12, "FR"),
    ("GB", 10, "GB"),
    ("NL", 8, "NL"),
    ("BE", 7, "BE"),
    ("CH", 7, "CHE"),
]
NAME_A = [
    "Nordwind",
    "Alpine",
    "Blue Harbor",
    "Cedar",
    "Delta",
    "Evergreen",
    "Falcon",
    "Granite",
    "Horizon",
    "Iris",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Meridian",
    "Northstar",
    "Oakridge",
    "Pioneer",
    "Quartz",
    "Riverside",
    "Summit",
]
NAME_B = [
    "Trading",
    "Logistics",
    "Foods",
    "Systems",
    "Builders",
    "Retail",
    "Medical",
    "Energy",
    "Studios",
    "Textiles",
    "Motors",
    "Labs",
]
PRODUCTS = [  # name, list price (company currency)
    ("Consulting hour", 120.0),
    ("Support plan (month)", 450.0),
    ("Installation", 890.0),
    ("Licence seat", 39.0),
    ("Hardware kit", 1250.0),
    ("Training day", 980.0),
    ("Spare part A", 14.5),
    ("Spare part B", 27.9),
    ("Maintenance visit", 310.0),
    ("Cloud storage (TB)", 22.0),
    ("Shipping", 35.0),
    ("Custom development", 1500.0),
    ("Audit", 2400.0),
    ("Subscription (year)", 3600.0),
    ("Cable set", 8.75),
    ("Sensor", 64.0),
    ("Controller", 329.0),
    ("Manual (print)", 19.9),
    ("Express fee", 49.0),
    ("Data migration", 1750.0),
]
GBP_RATES = {"USD": 0.79, "EUR": 0.86}  # GBP per unit of the company currency


# ---------------------------------------------------------------------------------------
# the world: companies, currencies, customers, products


def month_start(day, shift=0):
    month = day.month - 1 + shift
    return date(day.year + month // 12, month % 12 + 1, 1)


def setup_world(env, customers, rng, today, companies=None):
    """Companies, GBP rates, products and customers; returns ids the plan refers to.

    ``companies``: two companies with a chart of accounts to use (tests); by default the
    main company becomes Bench US and a Bench Europe company is created."""
    usd, eur, gbp = (env.ref(f"base.{c}") for c in ("USD", "EUR", "GBP"))
    (usd | eur | gbp).active = True
    if companies:
        first, second = companies
    else:
        first = env.ref("base.main_company")
        if not first.chart_template:
            env["account.chart.template"].try_loading(
                "generic_coa", first, install_demo=False
            )
        first.write({"name": "Bench US Inc.", "country_id": env.ref("base.us").id})
        second = env["res.company"].search(
            [("name", "=", "Bench Europe GmbH")], limit=1
        )
        second = second or env["res.company"].create(
            {
                "name": "Bench Europe GmbH",
                "currency_id": eur.id,
                "country_id": env.ref("base.de").id,
            }
        )
        if not second.chart_template:
            env["account.chart.template"].try_loading(
                "generic_coa", second, install_demo=False
            )
            second.currency_id = eur  # the generic chart sets USD; no entry exists yet
    env.user.company_ids |= first | second
    companies = []
    rate_vals = []
    for company in (first, second):
        tax = company.account_sale_tax_id
        if tax.amount != 15.0 or tax.amount_type != "percent":
            tax = env["account.tax"].create(
                {
                    "name": "15%",
                    "amount": 15.0,
                    "type_tax_use": "sale",
                    "company_id": company.id,
                }
            )
        base = GBP_RATES.get(company.currency_id.name, 0.8)
        for shift in range(-MONTHS, 1):
            rate_vals.append(
                {
                    "currency_id": gbp.id,
                    "company_id": company.id,
                    "name": month_start(today, shift),
                    "rate": round(base * (1 + rng.uniform(-0.04, 0.04)), 6),
                }
            )
        bank = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        companies.append(
            {
                "id": company.id,
                "currency": company.currency_id.id,
                "tax": tax.id,
                "bank": bank.id,
                "gbp_rate": base,
                "sale": env["account.journal"]
                .search(
                    [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
                )
                .id,
            }
        )
    env["res.currency.rate"].create(rate_vals)
    products = env["product.product"].create(
        [
            {
                "name": name,
                "type": "service",
                "list_price": price,
                "default_code": f"B{index:03d}",
                "taxes_id": [(6, 0, [c["tax"] for c in companies])],
            }
            for index, (name, price) in enumerate(PRODUCTS)
        ]
    )
    countries = {
        code: env.ref("base.uk" if code == "GB" else f"base.{code.lower()}").id
        for code, _s, _v in COUNTRIES
    }
    weights = [share for _c, share, _v in COUNTRIES]
    partner_vals, homes = [], []
    for index in range(customers):
        code, _share, vat_prefix = rng.choices(COUNTRIES, weights)[0]
        name = f"{rng.choice(NAME_A)} {rng.choice(NAME_B)} {index + 1:05d}"
        slug = re.sub(r"\W+", "", name.lower())
        vals = {
            "name": name,
            "is_company": True,
            "country_id": countries[code],
            "email": f"accounts@{slug}.example.com",
            "street": f"{rng.randint(1, 250)} Market Street",
            "city": "Springfield",
            "zip": f"{rng.randint(10000, 99999)}",
            "vat": vat_prefix and f"{vat_prefix}{rng.randint(100000000, 999999999)}",
        }
        roll = rng.random()  # seeded billing-data errors
        if roll < 0.03:
            vals["email"] = False
        elif roll < 0.06 and vat_prefix:
            vals["vat"] = False
        elif roll < 0.08:
            vals["street"] = False
        partner_vals.append(vals)
        # Customers in Europe mostly buy from the European company.
        homes.append(1 if code not in ("US", "CA") and rng.random() < 0.6 else 0)
    partners = (
        env["res.partner"].with_context(no_vat_validation=True).create(partner_vals)
    )
    env.flush_all()
    return {
        "companies": companies,
        "gbp": gbp.id,
        "products": products.ids,
        "prices": [price for _n, price in PRODUCTS],
        "customers": [
            [p for p, h in zip(partners.ids, homes, strict=False) if h == c]
            or partners.ids
            for c in (0, 1)
        ],
    }


# ---------------------------------------------------------------------------------------
# the plan: what every invoice looks like and what happens to it


def draw_shape(rng, world, company):
    """One invoice shape: currency, due days, lines and its events (offsets in days)."""
    currency = (
        world["gbp"] if rng.random() < 0.1 else world["companies"][company]["currency"]
    )
    # GBP prices are the list prices at the usual rate (list prices are company currency)
    factor = (
        world["companies"][company]["gbp_rate"] if currency == world["gbp"] else 1.0
    )
    lines = []
    for _i in range(rng.choice([1, 1, 2, 2, 3, 4])):
        product = rng.randrange(len(world["products"]))
        price = world["prices"][product] * factor
        if rng.random() < 0.06:  # off-list price
            price *= rng.choice([0.75, 0.85, 0.9, 1.1, 1.2])
        qty = rng.randint(1, 40) if price < 50 else rng.randint(1, 6)
        lines.append((product, qty, round(price, 2)))
    term = rng.choice([14, 30, 30, 30, 45, 60])
    roll = rng.random()
    events = []
    on_time = rng.randint(max(term // 3, 3), term)
    if roll < 0.58:
        events = [("pay", on_time, 1.0)]
    elif roll < 0.70:
        events = [("pay", term + rng.randint(5, 90), 1.0)]
    elif roll < 0.76:
        events = [("pay", on_time, round(rng.uniform(0.5, 0.95), 2))]
    elif roll < 0.79:
        events = [("pay", on_time, round(rng.uniform(1.02, 1.15), 2))]
    elif roll < 0.81:
        events = [("pay", on_time, 1.0), ("dup", on_time + rng.randint(1, 10), 0)]
    elif roll < 0.84:
        events = [("refund_full", rng.randint(2, 20), 0)]
    elif roll < 0.88:
        refund = rng.randint(2, 20)
        events = [("refund_partial", refund, round(rng.uniform(0.1, 0.4), 2))]
        if rng.random() < 0.6:
            events.append(("pay", refund + rng.randint(3, term), 1.0))
    return {
        "company": company,
        "currency": currency,
        "term": term,
        "lines": lines,
        "events": events,
    }


def default_shapes(invoices):
    """Shapes per month: more for larger sets (the fast path copies each about 10-40 times)."""
    return max(10, min(100, invoices // 500))


def make_plan(world, invoices, rng, today, shapes_per_month=50, months=MONTHS):
    """Items: invoices (a shape, a customer, a date) and payments on account."""
    items = []
    shapes = []
    first = month_start(today, -(months - 1))
    for month in range(months):
        start = month_start(first, month)
        last = min(month_start(start, 1) - timedelta(days=1), today)
        count = invoices // months + (1 if month < invoices % months else 0)
        pools = []
        for company in (0, 1):
            pool = []
            for _i in range(max(1, shapes_per_month * (3 if company == 0 else 1) // 4)):
                shapes.append(draw_shape(rng, world, company))
                pool.append(len(shapes) - 1)
            pools.append(pool)
        for _i in range(count):
            company = 0 if rng.random() < 0.7 else 1
            shape_id = rng.choice(pools[company])
            invoice_date = start + timedelta(days=rng.randint(0, (last - start).days))
            shape = shapes[shape_id]
            events = tuple(
                e
                for e in shape["events"]
                if invoice_date + timedelta(days=e[1]) <= today
            )
            items.append(
                {
                    "kind": "invoice",
                    "shape": shape_id,
                    "company": company,
                    "customer": rng.choice(world["customers"][company]),
                    "date": invoice_date,
                    "events": events,
                }
            )
    for _i in range(max(2, invoices // 50)):  # payments on account, never applied
        company = 0 if rng.random() < 0.7 else 1
        currency = world["companies"][company]["currency"]
        items.append(
            {
                "kind": "payment",
                "company": company,
                "shape": ("payment", currency),
                "customer": rng.choice(world["customers"][company]),
                "date": today - timedelta(days=rng.randint(0, 30 * months - 20)),
                "amount": rng.choice([100.0, 250.0, 480.0, 1200.0, 3000.0]),
                "events": (),
            }
        )
    return {"items": items, "shapes": shapes}


def item_dates(item):
    return [item["date"]] + [
        item["date"] + timedelta(days=e[1]) for e in item["events"]
    ]


def group_key(plan, item):
    """Items of one key differ only by customer and a whole-day shift within the same months."""
    months = tuple((d.year, d.month) for d in item_dates(item))
    if item["kind"] == "payment":
        return ("payment", item["company"], item["amount"], months)
    return (item["shape"], item["events"], months)


# ---------------------------------------------------------------------------------------
# the ORM path


def build_orm(env, world, plan, items, log=print):
    """Build ``items`` through Odoo; returns, per item, the ids of the moves it made."""
    Move = env["account.move"].with_context(
        tracking_disable=True, mail_create_nolog=True
    )
    Payment = env["account.payment"].with_context(
        tracking_disable=True, mail_create_nolog=True
    )
    made = [[] for _i in items]
    started = time.monotonic()
    for start in range(0, len(items), BATCH):
        chunk = list(range(start, min(start + BATCH, len(items))))
        by_company = defaultdict(list)
        for index in chunk:
            by_company[items[index]["company"]].append(index)
        invoices = {}
        for company, indexes in by_company.items():
            vals_list, inv_idx = [], []
            cdata = world["companies"][company]
            for index in indexes:
                item = items[index]
                if item["kind"] == "payment":
                    continue
                shape = plan["shapes"][item["shape"]]
                inv_idx.append(index)
                vals_list.append(
                    {
                        "move_type": "out_invoice",
                        "partner_id": item["customer"],
                        "journal_id": cdata["sale"],
                        "currency_id": shape["currency"],
                        "invoice_date": item["date"],
                        "invoice_date_due": item["date"]
                        + timedelta(days=shape["term"]),
                        "invoice_line_ids": [
                            (
                                0,
                                0,
                                {
                                    "product_id": world["products"][p],
                                    "quantity": q,
                                    "price_unit": price,
                                    "tax_ids": [(6, 0, [cdata["tax"]])],
                                },
                            )
                            for p, q, price in shape["lines"]
                        ],
                    }
                )
            moves = Move.with_company(cdata["id"]).create(vals_list)
            moves.action_post()
            for index, move in zip(inv_idx, moves, strict=False):
                invoices[index] = move
                made[index].append(move.id)
            on_account = [i for i in indexes if items[i]["kind"] == "payment"]
            if on_account:
                payments = Payment.with_company(cdata["id"]).create(
                    [
                        {
                            "payment_type": "inbound",
                            "partner_type": "customer",
                            "partner_id": items[i]["customer"],
                            "amount": items[i]["amount"],
                            "currency_id": cdata["currency"],
                            "date": items[i]["date"],
                            "journal_id": cdata["bank"],
                            "memo": "Payment on account",
                        }
                        for i in on_account
                    ]
                )
                payments.action_post()
                for index, payment in zip(on_account, payments, strict=False):
                    made[index].append(payment.move_id.id)
        # events, slot by slot: an item's events are in date order
        last_amount = {}
        for slot in range(max((len(items[i]["events"]) for i in chunk), default=0)):
            todo = [i for i in chunk if len(items[i]["events"]) > slot]
            plans = []
            for kind in ("refund_full", "refund_partial", "pay", "dup"):
                indexes = [i for i in todo if items[i]["events"][slot][0] == kind]
                if indexes:
                    plans += _run_event(
                        env,
                        world,
                        plan,
                        items,
                        invoices,
                        made,
                        kind,
                        indexes,
                        slot,
                        last_amount,
                    )
            if plans:
                env["account.move.line"]._reconcile_plan(plans)
        env.flush_all()
        log(
            f"  orm: {min(start + BATCH, len(items))}/{len(items)} items "
            f"({time.monotonic() - started:.0f} s)"
        )
    return made


def _receivable(moves):
    return moves.line_ids.filtered(
        lambda line: line.account_id.account_type == "asset_receivable"
        and not line.reconciled
    )


def _run_event(
    env, world, plan, items, invoices, made, kind, indexes, slot, last_amount
):
    """Create the documents of one event kind for ``indexes``; returns reconciliation plans."""
    Move = env["account.move"].with_context(
        tracking_disable=True, mail_create_nolog=True
    )
    Payment = env["account.payment"].with_context(
        tracking_disable=True, mail_create_nolog=True
    )
    plans = []
    for company in (0, 1):
        cdata = world["companies"][company]
        mine = [i for i in indexes if items[i]["company"] == company]
        if not mine:
            continue
        dates = {
            i: items[i]["date"] + timedelta(days=items[i]["events"][slot][1])
            for i in mine
        }
        if kind == "refund_full":
            moves = Move.browse([invoices[i].id for i in mine]).with_company(
                cdata["id"]
            )
            refunds = moves._reverse_moves(
                [
                    {
                        "date": dates[i],
                        "invoice_date": dates[i],
                        "invoice_date_due": dates[i],
                    }
                    for i in mine
                ],
                cancel=True,
            )
            for index, refund in zip(mine, refunds, strict=False):
                made[index].append(refund.id)
            continue
        if kind == "refund_partial":
            vals_list = []
            for i in mine:
                invoice, fraction = invoices[i], items[i]["events"][slot][2]
                shape = plan["shapes"][items[i]["shape"]]
                vals_list.append(
                    {
                        "move_type": "out_refund",
                        "partner_id": items[i]["customer"],
                        "journal_id": cdata["sale"],
                        "currency_id": shape["currency"],
                        "invoice_date": dates[i],
                        "invoice_date_due": dates[i],
                        "reversed_entry_id": invoice.id,
                        "ref": f"Price adjustment {invoice.name}",
                        "invoice_line_ids": [
                            (
                                0,
                                0,
                                {
                                    "product_id": world["products"][
                                        shape["lines"][0][0]
                                    ],
                                    "name": "Price adjustment",
                                    "quantity": 1,
                                    "price_unit": round(
                                        invoice.amount_untaxed * fraction, 2
                                    ),
                                    "tax_ids": [(6, 0, [cdata["tax"]])],
                                },
                            )
                        ],
                    }
                )
            refunds = Move.with_company(cdata["id"]).create(vals_list)
            refunds.action_post()
            for index, refund in zip(mine, refunds, strict=False):
                made[index].append(refund.id)
                plans.append(_receivable(invoices[index] | refund))
            continue
        vals_list = []
        for i in mine:
            invoice, fraction = invoices[i], items[i]["events"][slot][2]
            if kind == "dup":
                amount = last_amount[i]
            else:
                # what is left after earlier events (a credit note) were reconciled
                amount = invoice.currency_id.round(invoice.amount_residual * fraction)
                last_amount[i] = amount
            vals_list.append(
                {
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": items[i]["customer"],
                    "amount": amount,
                    "currency_id": invoice.currency_id.id,
                    "date": dates[i],
                    "journal_id": cdata["bank"],
                    "memo": invoice.name,
                }
            )
        payments = Payment.with_company(cdata["id"]).create(vals_list)
        payments.action_post()
        for index, payment in zip(mine, payments, strict=False):
            made[index].append(payment.move_id.id)
            if kind == "pay":
                plans.append(_receivable(invoices[index] | payment.move_id))
    return plans


# ---------------------------------------------------------------------------------------
# the fast path: build each key once through the ORM, copy its rows for the others

CLONED = [
    "account_move",
    "account_move_line",
    "account_payment",
    "account_partial_reconcile",
    "account_full_reconcile",
]


def build_fast(env, world, plan, log=print):
    items = plan["items"]
    groups = defaultdict(list)
    for index, item in enumerate(items):
        groups[group_key(plan, item)].append(index)
    firsts = sorted(indexes[0] for indexes in groups.values())
    log(f"  fast: {len(firsts)} templates through the ORM for {len(items)} items")
    made = [None] * len(items)
    template_made = with_exchange_moves(
        env, build_orm(env, world, plan, [items[i] for i in firsts], log=log)
    )
    for index, moves in zip(firsts, template_made, strict=False):
        made[index] = moves
    started = time.monotonic()
    copies = [
        (indexes[0], other) for indexes in groups.values() for other in indexes[1:]
    ]
    cloner = Cloner(env)
    for start in range(0, len(copies), 5000):
        chunk = copies[start : start + 5000]
        result = cloner.clone(
            [
                (
                    made[src],
                    items[src]["customer"],
                    items[dst]["customer"],
                    (items[dst]["date"] - items[src]["date"]).days,
                )
                for src, dst in chunk
            ]
        )
        for (_src, dst), moves in zip(chunk, result, strict=False):
            made[dst] = moves
        log(
            f"  fast: {start + len(chunk)}/{len(copies)} copies ({time.monotonic() - started:.0f} s)"
        )
    cloner.finish()
    env.invalidate_all()
    return made


def with_exchange_moves(env, made):
    """Add to each item's moves the exchange difference entries of its reconciliations."""
    env.flush_all()
    owner = {move: index for index, moves in enumerate(made) for move in moves}
    env.cr.execute(
        """
        SELECT DISTINCT l.move_id, p.exchange_move_id
          FROM account_partial_reconcile p
          JOIN account_move_line l ON l.id IN (p.debit_move_id, p.credit_move_id)
         WHERE p.exchange_move_id IS NOT NULL AND l.move_id = ANY(%s)
    """,
        [list(owner)],
    )
    result = [list(moves) for moves in made]
    for move, exchange in env.cr.fetchall():
        if exchange not in owner:
            owner[exchange] = owner[move]
            result[owner[move]].append(exchange)
    return result


class Cloner:
    """Copies clusters of moves (with their lines, payments and reconciliations) as rows."""

    def __init__(self, env):
        self.env = env
        cr = env.cr
        self.columns = {}
        self.dates = {}
        self.texts = {}
        self.jsons = {}
        for table in CLONED + self._rel_tables():
            cr.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = %s ORDER BY ordinal_position",
                [table],
            )
            rows = cr.fetchall()
            self.columns[table] = [name for name, _t in rows]
            self.dates[table] = {name for name, kind in rows if kind == "date"}
            self.texts[table] = {
                name for name, kind in rows if kind in ("character varying", "text")
            }
            self.jsons[table] = {
                name for name, kind in rows if kind in ("json", "jsonb")
            }
        # foreign keys of the copied tables: column -> referenced table
        cr.execute(
            """
            SELECT cl.relname, att.attname, ref.relname
              FROM pg_constraint con
              JOIN pg_class cl ON cl.oid = con.conrelid
              JOIN pg_class ref ON ref.oid = con.confrelid
              JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1]
             WHERE con.contype = 'f' AND cl.relname = ANY(%s)
        """,
            [CLONED + self.rel_tables],
        )
        self.fks = defaultdict(dict)
        for table, column, ref in cr.fetchall():
            self.fks[table][column] = ref
        # sequence counters per (journal, prefix)
        cr.execute("""SELECT journal_id, sequence_prefix, MAX(sequence_number)
                        FROM account_move WHERE sequence_prefix IS NOT NULL GROUP BY 1, 2""")
        self.numbers = {(j, p): n for j, p, n in cr.fetchall()}
        self.partners = set()
        self._dates = {}

    def _rel_tables(self):
        """Many2many tables pointing at a copied table (tax and tag links, payment invoices)."""
        self.env.cr.execute(
            """
            SELECT DISTINCT cl.relname
              FROM pg_constraint con
              JOIN pg_class cl ON cl.oid = con.conrelid
              JOIN pg_class ref ON ref.oid = con.confrelid
             WHERE con.contype = 'f' AND ref.relname = ANY(%s) AND NOT cl.relname = ANY(%s)
               AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = cl.oid
                                  AND a.attname = 'id' AND NOT a.attisdropped)
        """,
            [CLONED, CLONED],
        )
        self.rel_tables = sorted(r[0] for r in self.env.cr.fetchall())
        return self.rel_tables

    def _fetch(self, table, column, ids):
        cr = self.env.cr
        cr.execute(f'SELECT * FROM "{table}" WHERE "{column}" = ANY(%s)', [list(ids)])
        names = [d[0] for d in cr.description]
        return [dict(zip(names, row, strict=False)) for row in cr.fetchall()]

    def clone(self, jobs):
        """jobs: (move ids of a template, its customer, the copy's customer, day shift)."""
        cr = self.env.cr
        # 1. read every template's rows once
        move_ids = set()
        for moves, *_rest in jobs:
            move_ids.update(moves)
        rows = {"account_move": self._fetch("account_move", "id", move_ids)}
        rows["account_move_line"] = self._fetch(
            "account_move_line", "move_id", move_ids
        )
        rows["account_payment"] = self._fetch("account_payment", "move_id", move_ids)
        line_ids = [r["id"] for r in rows["account_move_line"]]
        rows["account_partial_reconcile"] = self._fetch(
            "account_partial_reconcile", "debit_move_id", line_ids
        ) + [
            r
            for r in self._fetch(
                "account_partial_reconcile", "credit_move_id", line_ids
            )
        ]
        seen = set()
        rows["account_partial_reconcile"] = [
            r
            for r in rows["account_partial_reconcile"]
            if not (r["id"] in seen or seen.add(r["id"]))
        ]
        full_ids = {
            r["full_reconcile_id"]
            for r in rows["account_move_line"]
            if r["full_reconcile_id"]
        }
        rows["account_full_reconcile"] = self._fetch(
            "account_full_reconcile", "id", full_ids
        )
        for partial in rows["account_partial_reconcile"]:
            exchange = partial["exchange_move_id"]
            if exchange and exchange not in move_ids:
                raise RuntimeError(f"exchange move {exchange} outside its template")
        ids_of = {
            "account_move": move_ids,
            "account_move_line": set(line_ids),
            "account_payment": {r["id"] for r in rows["account_payment"]},
            "account_partial_reconcile": {
                r["id"] for r in rows["account_partial_reconcile"]
            },
            "account_full_reconcile": full_ids,
        }
        rel_rows = {}
        for rel in self.rel_tables:
            for column, ref in self.fks[rel].items():
                if ref in CLONED:
                    rel_rows.setdefault(rel, []).extend(
                        r for r in self._fetch(rel, column, ids_of[ref])
                    )
        # 2. rows of each template
        owner = {}  # (table, id) -> template key (tuple of move ids)
        per_template = {}
        for moves, *_rest in jobs:
            key = tuple(moves)
            if key in per_template:
                continue
            per_template[key] = {t: [] for t in CLONED}
            for move in moves:
                owner[("account_move", move)] = key
        for row in rows["account_move_line"]:
            owner[("account_move_line", row["id"])] = owner[
                ("account_move", row["move_id"])
            ]
        for row in rows["account_payment"]:
            owner[("account_payment", row["id"])] = owner[
                ("account_move", row["move_id"])
            ]
        for row in rows["account_partial_reconcile"]:
            owner[("account_partial_reconcile", row["id"])] = owner[
                ("account_move_line", row["debit_move_id"])
            ]
        for row in rows["account_move_line"]:
            if row["full_reconcile_id"]:
                owner[("account_full_reconcile", row["full_reconcile_id"])] = owner[
                    ("account_move_line", row["id"])
                ]
        for table in CLONED:
            for row in rows[table]:
                per_template[owner[(table, row["id"])]][table].append(row)
        per_template_rel = defaultdict(lambda: defaultdict(list))
        for rel, rel_list in rel_rows.items():
            done = set()
            for row in rel_list:
                frozen = tuple(sorted(row.items()))
                if frozen in done:
                    continue
                done.add(frozen)
                for column, ref in self.fks[rel].items():
                    if ref in CLONED and (ref, row[column]) in owner:
                        per_template_rel[owner[(ref, row[column])]][rel].append(row)
                        break
        line_dates = {r["id"]: r["date"] for r in rows["account_move_line"]}
        exchange_lines = {
            r["exchange_move_id"]: (r["debit_move_id"], r["credit_move_id"])
            for r in rows["account_partial_reconcile"]
            if r["exchange_move_id"]
        }
        # 3. new ids for every copied row
        need = defaultdict(int)
        for moves, *_rest in jobs:
            for table in CLONED:
                need[table] += len(per_template[tuple(moves)][table])
        next_id = {}
        for table in CLONED:
            if need[table]:
                cr.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    "nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                    [table, table, need[table]],
                )
                next_id[table] = cr.fetchone()[0] - need[table] + 1
        # 4. the copies
        out = {t: [] for t in CLONED}
        out_rel = defaultdict(list)
        result = []
        for moves, src_partner, dst_partner, shift in jobs:
            key = tuple(moves)
            template = per_template[key]
            self.partners.add(dst_partner)
            idmap = {}
            for table in CLONED:
                for row in template[table]:
                    idmap[(table, row["id"])] = next_id[table]
                    next_id[table] += 1
            # Exchange difference entries are dated by their journal from the reconciled
            # lines' date (the last day of a past month): date them as Odoo would.
            move_days = {}
            for row in template["account_move"]:
                lines = exchange_lines.get(row["id"])
                if lines:
                    moved = max(line_dates[line] for line in lines) + timedelta(
                        days=shift
                    )
                    move_days[row["id"]] = (
                        self._accounting_date(row["journal_id"], moved) - row["date"]
                    ).days
                else:
                    move_days[row["id"]] = shift
            names = {}
            for row in template["account_move"]:
                if row["sequence_prefix"] and row["state"] == "posted":
                    counter = (row["journal_id"], row["sequence_prefix"])
                    self.numbers[counter] = self.numbers.get(counter, 0) + 1
                    padding = len(row["name"]) - len(row["sequence_prefix"])
                    names[row["name"]] = (
                        f"{row['sequence_prefix']}{self.numbers[counter]:0{padding}d}",
                        self.numbers[counter],
                    )
            pattern = names and re.compile(
                r"(?<![\w/])("
                + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
                + r")(?!\d)"
            )

            def rename(text, pattern=pattern, names=names):
                return (
                    pattern.sub(lambda m: names[m.group(1)][0], text)
                    if pattern
                    else text
                )

            new_line_dates = {}
            for table in CLONED:
                for row in template[table]:
                    new = dict(row)
                    new["id"] = idmap[(table, row["id"])]
                    for column, ref in self.fks[table].items():
                        value = row.get(column)
                        if value is None:
                            continue
                        if ref in CLONED:
                            new[column] = idmap.get((ref, value), value)
                        elif ref == "res_partner" and value == src_partner:
                            new[column] = dst_partner
                    days = (
                        move_days[
                            row["id"] if table == "account_move" else row["move_id"]
                        ]
                        if table
                        in ("account_move", "account_move_line", "account_payment")
                        else shift
                    )
                    for column in self.dates[table]:
                        if row[column] is not None:
                            new[column] = row[column] + timedelta(days=days)
                    if table == "account_move" and row["move_type"] == "entry":
                        # an entry's due date is the day it was created, not a document date
                        new["invoice_date_due"] = row["invoice_date_due"]
                    if table == "account_partial_reconcile":
                        new["max_date"] = max(
                            new_line_dates[new["debit_move_id"]],
                            new_line_dates[new["credit_move_id"]],
                        )
                    if table == "account_move_line":
                        new_line_dates[new["id"]] = new["date"]
                    for column in self.texts[table]:
                        if row[column] and column != "sequence_prefix":
                            new[column] = rename(row[column])
                    if table == "account_move":
                        if row["name"] in names:
                            new["sequence_number"] = names[row["name"]][1]
                        new["access_token"] = None
                        if (new["date"].year, new["date"].month) != (
                            row["date"].year,
                            row["date"].month,
                        ):
                            raise RuntimeError("a copy left its template's month")
                    if table == "account_move_line" and row["matching_number"]:
                        number = row["matching_number"]
                        if number.startswith("P"):
                            new["matching_number"] = "P{}".format(
                                idmap[("account_partial_reconcile", int(number[1:]))]
                            )
                        else:
                            new["matching_number"] = str(
                                idmap[("account_full_reconcile", int(number))]
                            )
                    out[table].append(new)
            for rel, rel_list in per_template_rel[key].items():
                for row in rel_list:
                    new = dict(row)
                    for column, ref in self.fks[rel].items():
                        if ref in CLONED:
                            new[column] = idmap.get((ref, row[column]), row[column])
                    out_rel[rel].append(new)
            result.append([idmap[("account_move", m)] for m in moves])
        # 5. insert (foreign keys are checked once all copies are in: finish())
        cr.execute("SET LOCAL session_replication_role = replica")
        for table in CLONED:
            self._insert(table, out[table])
        for rel, rel_list in out_rel.items():
            self._insert(rel, rel_list)
        cr.execute("SET LOCAL session_replication_role = DEFAULT")
        # the stored display name of the customer on the copies
        cr.execute(
            """
            UPDATE account_move m SET invoice_partner_display_name = p.complete_name
              FROM res_partner p
             WHERE p.id = m.partner_id AND m.id = ANY(%s)
        """,
            [[row["id"] for row in out["account_move"]]],
        )
        return result

    def _accounting_date(self, journal_id, day):
        key = (journal_id, day)
        if key not in self._dates:
            journal = self.env["account.journal"].browse(journal_id)
            self._dates[key] = journal.with_context(move_date=day).accounting_date
        return self._dates[key]

    def _insert(self, table, rows):
        from psycopg2.extras import Json, execute_values

        if not rows:
            return
        columns = self.columns[table]
        jsons = self.jsons[table]
        values = [
            tuple(
                Json(r[c]) if c in jsons and r[c] is not None else r[c] for c in columns
            )
            for r in rows
        ]
        quoted = ", ".join(f'"{c}"' for c in columns)
        execute_values(
            self.env.cr._obj,
            f'INSERT INTO "{table}" ({quoted}) VALUES %s',
            values,
            page_size=2000,
        )

    def _check_foreign_keys(self):
        """Every reference of the copied rows points at an existing row."""
        cr = self.env.cr
        for table in CLONED + self.rel_tables:
            for column, ref in self.fks[table].items():
                cr.execute(
                    f'SELECT COUNT(*) FROM "{table}" t WHERE t."{column}" IS NOT NULL AND '
                    f'NOT EXISTS (SELECT 1 FROM "{ref}" r WHERE r.id = t."{column}")'
                )
                if cr.fetchone()[0]:
                    raise RuntimeError(f"{table}.{column}: dangling reference to {ref}")

    def finish(self):
        """Check the copies' references; customers of copies count as customers (posting
        an invoice does that in the ORM)."""
        # statistics for the check's plans (autovacuum may be off; the copies are many)
        for table in CLONED:
            self.env.cr.execute(f'ANALYZE "{table}"')
        self._check_foreign_keys()
        if self.partners:
            self.env.cr.execute(
                "UPDATE res_partner SET customer_rank = GREATEST(customer_rank, 1) "
                "WHERE id = ANY(%s)",
                [sorted(self.partners)],
            )


# ---------------------------------------------------------------------------------------
# the check


def check(env):
    """Raise when a move is unbalanced or a receivable residual disagrees with its partials."""
    cr = env.cr
    env.flush_all()
    cr.execute("""
        SELECT COUNT(*) FROM (
            SELECT move_id FROM account_move_line GROUP BY move_id
            HAVING ROUND(SUM(balance), 2) != 0 OR ROUND(SUM(debit) - SUM(credit), 2) != 0
        ) unbalanced
    """)
    unbalanced = cr.fetchone()[0]
    # per line through the partials' indexes: a sound plan even without statistics
    cr.execute("""
        SELECT COUNT(*) FROM account_move_line l
          JOIN account_account a ON a.id = l.account_id AND a.account_type = 'asset_receivable'
          LEFT JOIN LATERAL (
                SELECT SUM(p.amount) AS amount, SUM(p.debit_amount_currency) AS amount_currency
                  FROM account_partial_reconcile p WHERE p.debit_move_id = l.id) d ON TRUE
          LEFT JOIN LATERAL (
                SELECT SUM(p.amount) AS amount, SUM(p.credit_amount_currency) AS amount_currency
                  FROM account_partial_reconcile p WHERE p.credit_move_id = l.id) c ON TRUE
         WHERE l.parent_state = 'posted' AND (
               ROUND(l.amount_residual - (l.balance - COALESCE(d.amount, 0)
                                          + COALESCE(c.amount, 0)), 2) != 0
            OR ROUND(l.amount_residual_currency - (l.amount_currency
                     - COALESCE(d.amount_currency, 0) + COALESCE(c.amount_currency, 0)), 2) != 0
            OR (l.full_reconcile_id IS NOT NULL AND l.amount_residual != 0))
    """)
    wrong = cr.fetchone()[0]
    if unbalanced or wrong:
        raise RuntimeError(
            f"check failed: {unbalanced} unbalanced moves, "
            f"{wrong} receivable lines whose residual disagrees with their partials"
        )


def counts(env):
    cr = env.cr
    cr.execute("""
        SELECT COUNT(*) FILTER (WHERE move_type = 'out_invoice'),
               COUNT(*) FILTER (WHERE move_type = 'out_refund'),
               COUNT(*) FILTER (WHERE origin_payment_id IS NOT NULL),
               COUNT(*) FILTER (WHERE move_type = 'entry' AND origin_payment_id IS NULL),
               COUNT(*) FILTER (WHERE move_type = 'out_invoice'
                                  AND payment_state IN ('not_paid', 'partial'))
          FROM account_move WHERE state = 'posted'
    """)
    invoices, refunds, payments, other, open_invoices = cr.fetchone()
    cr.execute("""
        SELECT COUNT(*) FROM account_move_line l
          JOIN account_account a ON a.id = l.account_id AND a.account_type = 'asset_receivable'
         WHERE l.parent_state = 'posted' AND NOT l.reconciled AND l.amount_residual != 0
    """)
    open_items = cr.fetchone()[0]
    cr.execute("SELECT COUNT(*) FROM res_partner WHERE customer_rank > 0")
    customers = cr.fetchone()[0]
    return {
        "customers": customers,
        "invoices": invoices,
        "credit_notes": refunds,
        "payments": payments,
        "other_entries": other,
        "open_invoices": open_invoices,
        "open_items": open_items,
    }


# ---------------------------------------------------------------------------------------


def generate(
    env, customers, invoices, seed=42, path="fast", shapes_per_month=50, log=print
):
    rng = random.Random(seed)
    today = date.today()
    world = setup_world(env, customers, rng, today)
    plan = make_plan(world, invoices, rng, today, shapes_per_month)
    if path == "orm":
        build_orm(env, world, plan, plan["items"], log=log)
    else:
        build_fast(env, world, plan, log=log)
    check(env)
    return counts(env)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("database")
    parser.add_argument("--size", default="S/10", choices=sorted(SIZES))
    parser.add_argument(
        "--invoices", type=int, help="override the size's invoice count"
    )
    parser.add_argument(
        "--customers", type=int, help="override the size's customer count"
    )
    parser.add_argument("--path", default="fast", choices=["fast", "orm"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--shapes-per-month",
        type=int,
        help="invoice shapes per month (default: invoices / 500, 10 to 100; "
        "fewer shapes, more copies on the fast path)",
    )
    args = parser.parse_args()
    customers, invoices = SIZES[args.size]
    customers = args.customers or customers
    invoices = args.invoices or invoices
    addons = os.environ.get("ADDONS_PATH", "")
    exists = subprocess.run(
        [
            "psql",
            "-d",
            "postgres",
            "-Atqc",
            f"SELECT 1 FROM pg_database WHERE datname = '{args.database}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        print(
            f"creating {args.database} with billing_coordinator (no demo data)",
            flush=True,
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "odoo",
                "server",
                f"--addons-path={addons}",
                "-d",
                args.database,
                "-i",
                "billing_coordinator",
                "--stop-after-init",
                "--no-http",
                "--log-level=warn",
            ],
            check=True,
        )
    from odoo.api import SUPERUSER_ID, Environment
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(
        ["--addons-path", addons, "-d", args.database, "--log-level=warn"]
    )
    registry = Registry(args.database)
    started = time.monotonic()
    with registry.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {})
        if env["account.move"].search_count(
            [("move_type", "=", "out_invoice")], limit=1
        ):
            sys.exit(
                f"{args.database} already holds generated data: use a fresh database"
            )
        print(
            f"generating {customers} customers, {invoices} invoices in {args.database} "
            f"({args.path} path, seed {args.seed})",
            flush=True,
        )
        result = generate(
            env,
            customers,
            invoices,
            args.seed,
            args.path,
            args.shapes_per_month or default_shapes(invoices),
            log=lambda m: print(m, flush=True),
        )
        cr.commit()
    elapsed = time.monotonic() - started
    print(
        f"done in {elapsed:.0f} s ({result['invoices'] / elapsed:.0f} invoices/s), check passed: "
        + ", ".join(f"{k} {v}" for k, v in result.items()),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
