"""Time the detection clearing many cases at once (chatter notes logged in one batch).

Usage (from the repository root, after ./dev bootstrap):

    source .cache/env.sh
    ./dev odoo server -d bc_clear -i billing_coordinator --stop-after-init
    "$VENV/bin/python" tools/bench_clearing.py bc_clear --cases 2000

Each round creates ``--cases`` open overdue cases found by the detection (on sources
that are gone), times ``billing.case._clear_detected_cases`` on all of them, then rolls
the transaction back, so the database is left as it was. ``--per-case`` times the way
clearing worked before (one ``_mark_resolved`` and one ``message_post`` per case, with
tracking) for comparison. Prints the median of ``--repeat`` rounds.
"""

import argparse
import os
import statistics
import time

from odoo.api import SUPERUSER_ID, Environment
from odoo.modules.registry import Registry
from odoo.tools import config


def make_cases(env, count):
    partner = env["res.partner"].create({"name": "Clearing Bench Customer", "is_company": True})
    case_type = env.ref("billing_coordinator.case_type_overdue")
    Case = env["billing.case"].with_context(
        mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True
    )
    return Case.create(
        [
            {
                "partner_id": partner.id,
                "case_type_id": case_type.id,
                "expected_amount": 100.0,
                "actual_amount": 0.0,
                "detection_rule": "overdue",
                "detection_key": f"account.move,{900000000 + index}",
                "detection_fingerprint": "bench",
            }
            for index in range(count)
        ]
    ).with_context(mail_create_nolog=False, mail_notrack=False)


def clear_per_case(cases):
    """The former clearing: a write and a posted message per case."""
    Case = cases.env["billing.case"]
    note = Case._get_detection_clear_reason("overdue")
    for case in cases:
        case._mark_resolved("cleared", note=note)
        case.message_post(body=note)


def one_round(registry, count, per_case):
    with registry.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {})
        cases = make_cases(env, count)
        env.flush_all()
        started = time.perf_counter()
        if per_case:
            clear_per_case(cases)
        else:
            env["billing.case"]._clear_detected_cases(cases, "overdue")
        env.flush_all()
        elapsed = time.perf_counter() - started
        cleared = env["billing.case"].search_count(
            [("id", "in", cases.ids), ("resolution_type", "=", "cleared")]
        )
        assert cleared == count, f"{cleared} of {count} cases cleared"
        cr.rollback()
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database")
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--per-case", action="store_true", help="time the former clearing")
    args = parser.parse_args()
    config.parse_config(
        ["--addons-path", os.environ.get("ADDONS_PATH", ""), "-d", args.database,
         "--log-level=warn"]
    )
    registry = Registry(args.database)
    times = [one_round(registry, args.cases, args.per_case) for _round in range(args.repeat)]
    seconds = statistics.median(times)
    label = "per case (former)" if args.per_case else "batch"
    print(
        f"clearing {args.cases} cases, {label}: {seconds:.2f} s "
        f"({seconds * 1000 / args.cases:.2f} ms per case, median of {args.repeat})"
    )


if __name__ == "__main__":
    main()
