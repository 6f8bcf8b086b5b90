"""Time the coordinator queue: My Queue's first page and Take Next, with many open cases.

Usage (from the repository root, after ./dev bootstrap):

    source .cache/env.sh
    ./dev odoo server -d bc_queue -i billing_coordinator --stop-after-init
    # 10,000 open cases over two teams of five coordinators, then time the queue:
    "$VENV/bin/python" tools/bench_queue.py bc_queue --generate 10000

Generated data (seed 42): 1,000 customers, half in each team (by their billing team);
cases of random type, amount and age; 20 % unassigned (the team queue that Take Next
draws from). Timed, as coordinator ``queue_bench_0`` of the first team, each the median
of ``--repeat`` runs with cold caches:

- the first page of My Queue as the web client asks for it: ``web_read_group`` by
  urgency (the default grouping) and ``web_search_read`` of the first 80 cases of a group;
- the flat first page (``web_search_read``, 80 rows, sorted by score);
- Take Next (``action_take_next``), each in its own committed transaction.
"""

import argparse
import os
import random
import statistics
import sys
import time

from odoo.api import SUPERUSER_ID, Environment
from odoo.fields import Command, Date
from odoo.modules.registry import Registry
from odoo.tools import config

BATCH = 1000
LIST_SPEC = {
    name: {}
    for name in (
        "priority_score", "priority", "name", "partner_id", "case_type_id", "team_id",
        "user_id", "deadline", "sla_breached", "amount_difference", "currency_id", "state",
        "is_late", "company_id",
    )
}


def generate(env, count, rng):
    company = env.company
    group = env.ref("billing_coordinator.group_billing_user")
    users = env["res.users"].create(
        [
            {
                "name": f"Queue Bench {i}",
                "login": f"queue_bench_{i}",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "group_ids": [Command.set(group.ids)],
            }
            for i in range(10)
        ]
    )
    teams = env["billing.team"].create(
        [
            {"name": f"Bench Team {t}", "assignment_method": "round_robin",
             "member_ids": [Command.set(users[t * 5:(t + 1) * 5].ids)]}
            for t in range(2)
        ]
    )
    partners = env["res.partner"].with_context(tracking_disable=True).create(
        [
            {"name": f"Queue Customer {i:04d}", "is_company": True,
             "billing_team_id": teams[i % 2].id}
            for i in range(1000)
        ]
    )
    types = env["billing.case.type"].search([])
    # No chatter work in a bulk fixture: no tracking, no assignment notification e-mails.
    Case = env["billing.case"].with_context(
        mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True,
        tracking_disable=True, mail_auto_subscribe_no_notify=True,
    )
    states = ["new", "in_progress", "waiting_customer"]
    for start in range(0, count, BATCH):
        vals = []
        for _i in range(start, min(start + BATCH, count)):
            expected = rng.randint(50, 20000)
            vals.append(
                {
                    "partner_id": rng.choice(partners).id,
                    "case_type_id": rng.choice(types).id,
                    "expected_amount": expected,
                    "actual_amount": max(expected + rng.randint(-2000, 2000), 0),
                    "priority": rng.choice("0123"),
                }
            )
        cases = Case.create(vals)
        unassigned = cases.filtered(lambda c: rng.random() < 0.2)
        unassigned.user_id = False
        for state in states[1:]:
            cases.filtered(lambda c, s=state: rng.random() < 0.3 and c.user_id).state = state
        env.cr.commit()
        print(f"  {start + len(vals)} cases", flush=True)
    refresh = getattr(Case, "_cron_refresh_priority_score", None)
    if refresh:
        refresh()
        env.cr.commit()


def queue_domain(uid):
    """My Queue's default filters (My Cases, In Queue) as the search view applies them."""
    today = Date.today().isoformat()
    return [
        ("user_id", "=", uid),
        ("state", "in", ("new", "in_progress", "waiting_customer")),
        "|", ("follow_up_date", "=", False), ("follow_up_date", "<=", today),
    ]


def grouped_page(env, domain):
    """The web client's first page of My Queue: the urgency groups, then the first group's
    first 80 cases by score."""
    Case = env["billing.case"]
    groups = Case.web_read_group(domain, ["queue_urgency"], ["__count"])
    first = next((g for g in groups["groups"] if g["__count"]), None)
    if first:
        Case.web_search_read(
            domain + (first.get("__extra_domain") or []), LIST_SPEC, limit=80,
            order="priority_score desc, deadline, id",
        )


def flat_page(env, domain):
    """The list without grouping: 80 rows by score."""
    env["billing.case"].web_search_read(
        domain, LIST_SPEC, limit=80, order="priority_score desc, deadline, id", count_limit=10001
    )


def timed(registry, uid, func, repeat):
    times = []
    for _i in range(repeat):
        with registry.cursor() as cr:
            env = Environment(cr, uid, {})
            env.invalidate_all()
            registry.clear_cache()
            start = time.perf_counter()
            func(env)
            env.flush_all()
            times.append(time.perf_counter() - start)
            cr.rollback()
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database")
    parser.add_argument("--generate", type=int, default=0, metavar="N", help="create N open cases first")
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
        env = Environment(cr, SUPERUSER_ID, {})
        user = env["res.users"].search([("login", "=", "queue_bench_0")])
        if not user:
            sys.exit("no queue_bench_0 user: run once with --generate N")
        uid = user.id
        open_count = env["billing.case"].search_count([("state", "in", ("new", "in_progress", "waiting_customer"))])
        mine = env["billing.case"].with_user(uid).search_count([("user_id", "=", uid)])
    domain = queue_domain(uid)

    results = {
        "My Queue first page (grouped by urgency)": timed(
            registry, uid, lambda env: grouped_page(env, domain), args.repeat
        ),
        "My Queue first page (flat, 80 rows)": timed(
            registry, uid, lambda env: flat_page(env, domain), args.repeat
        ),
        "Take Next": timed(registry, uid, lambda env: env["billing.case"].action_take_next(), args.repeat),
    }
    print(f"{open_count} open cases, {mine} in the coordinator's queue")
    for label, seconds in results.items():
        print(f"{label:45s} {seconds * 1000:8.1f} ms (median of {args.repeat})")


if __name__ == "__main__":
    main()
