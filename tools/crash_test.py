"""Crash safety of the detection cron and the monthly statement run (issue 10, section 4).

Usage (from the repository root, after ./dev bootstrap, with a database that has the
module installed to copy, e.g. the test or the demo database):

    source .cache/env.sh
    "$VENV/bin/python" tools/crash_test.py --db bc_crash --from bc_test

What it does, on a scratch copy ``--db`` of ``--from`` (dropped and made again):

1. adds three companies of its own (a chart of accounts each) with customers whose
   invoices are long overdue, opted in to the monthly statement with an e-mail address;
   every company is due for today's detection, every opted-in customer for its statement;
2. runs the detection cron in an Odoo subprocess as the scheduler would
   (``ir.cron.method_direct_trigger``) with ``BC_CRASH_AFTER_BATCHES=1``: the cron
   batch helper kills the process with SIGKILL in the middle of its second company
   (the first committed, the second's cases made and flushed, not committed); checks
   what survived;
3. runs the cron again to the end and checks: the companies done before the kill
   stay done (their run log rows exist and are not run again), no duplicate case
   (one open case per company, rule and source), no half-made case (every open
   detected case has the invoice or payment it was detected on);
4. the same for the statement run (batches of two customers): after the kill and the
   rerun every opted-in customer got exactly one statement (PDF in its chatter).

Prints a short report; exits 1 when a check fails. The scratch database is dropped at
the end unless ``--keep``.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import psycopg2

COMPANIES = 3
CUSTOMERS = 3
DETECTION_CRON = "billing_coordinator.ir_cron_billing_detection"
STATEMENT_CRON = "billing_coordinator.ir_cron_billing_monthly_statements"
PREFIX = "Crash Test"


# ------------------------------------------------------------ in the subprocess


def odoo_registry(database):
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(
        [
            "--addons-path",
            os.environ.get("ADDONS_PATH", ""),
            "-d",
            database,
            # wkhtmltopdf's warnings (no web server for the assets) would drown the report
            "--log-level=error",
        ]
    )
    return Registry(database)


def prepare(database):
    """Step 1, in a subprocess of its own (a registry loaded once per process)."""
    from odoo.api import SUPERUSER_ID, Environment
    from odoo.fields import Datetime

    registry = odoo_registry(database)
    # The test suite's factory (after the registry: the add-on is on the path then).
    from odoo.addons.billing_coordinator.tests.concurrency_common import (
        create_overdue_company,
    )

    with registry.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {})
        for i in range(COMPANIES):
            create_overdue_company(
                env,
                f"{PREFIX} Company {i}",
                CUSTOMERS,
                partner_values=lambda company, j, i=i: {
                    "company_id": company.id,
                    "email": f"crash{i}{j}@example.com",
                    "billing_statement_monthly": True,
                },
            )
        # Every company is due today (the copy may hold runs of today), every opted-in
        # customer due for this month's statement.
        env["res.company"].search([]).billing_detection_date = (
            Datetime.now() - timedelta(days=1)
        )
        env["res.partner"].search([("billing_statement_monthly", "=", True)]).write(
            {"billing_statement_sent_date": False}
        )
        statement_cron = env.ref(STATEMENT_CRON)
        statement_cron.code = "model._cron_send_billing_statements(batch_size=2)"
    return 0


def run_cron(database, xmlid):
    """Steps 2-4: run one cron as the scheduler would; killed by the batch helper when
    BC_CRASH_AFTER_BATCHES is set."""
    from odoo.api import SUPERUSER_ID, Environment

    registry = odoo_registry(database)
    with registry.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {})
        env.ref(xmlid).method_direct_trigger()
    return 0


# -------------------------------------------------------------- in the parent


def child(args, mode, xmlid="", crash_after=0):
    env = dict(os.environ)
    env.pop("BC_CRASH_AFTER_BATCHES", None)
    if crash_after:
        env["BC_CRASH_AFTER_BATCHES"] = str(crash_after)
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--db",
        args.db,
        "--child",
        mode,
    ]
    if xmlid:
        command += ["--cron", xmlid]
    started = time.monotonic()
    result = subprocess.run(command, env=env, check=False)
    return result.returncode, time.monotonic() - started


def query(args, sql, params=()):
    with psycopg2.connect(dbname=args.db) as cnx, cnx.cursor() as cr:
        cr.execute(sql, params)
        return cr.fetchall()


class Report:
    def __init__(self):
        self.failures = 0

    def check(self, ok, text):
        print(f"  [{'ok' if ok else 'FAIL'}] {text}", flush=True)
        self.failures += not ok


def db_now(args):
    """The database's clock in UTC, as Odoo stores datetimes."""
    return query(args, "SELECT now() AT TIME ZONE 'UTC'")[0][0]


def detection_state(args, since):
    """Per active company: done since ``since``, and its run log rows since then."""
    rows = query(
        args,
        """SELECT c.id, c.name, COALESCE(c.billing_detection_date >= %s, FALSE),
                  (SELECT count(*) FROM billing_detection_run r
                    WHERE r.company_id = c.id AND r.start >= %s AND NOT r.skipped)
             FROM res_company c WHERE c.active ORDER BY c.id""",
        (since, since),
    )
    return {row[0]: {"name": row[1], "done": row[2], "runs": row[3]} for row in rows}


def check_cases(args, report, complete=True):
    [[duplicates]] = query(
        args,
        """SELECT count(*) FROM (
               SELECT 1 FROM billing_case
                WHERE detection_rule IS NOT NULL
                  AND state IN ('new', 'in_progress', 'waiting_customer')
                GROUP BY company_id, detection_rule, detection_key HAVING count(*) > 1) d""",
    )
    report.check(
        duplicates == 0,
        f"no duplicate open case per company, rule and source ({duplicates})",
    )
    [[half_made]] = query(
        args,
        """SELECT count(*) FROM billing_case bc
            WHERE bc.detection_rule IS NOT NULL
              AND bc.state IN ('new', 'in_progress', 'waiting_customer')
              AND (bc.name IS NULL OR bc.partner_id IS NULL OR EXISTS (
                   -- a source (keys like account.payment,7+account.payment,8) not linked
                   SELECT 1 FROM unnest(string_to_array(bc.detection_key, '+')) AS part
                    WHERE (part LIKE 'account.move,%%' AND NOT EXISTS (
                               SELECT 1 FROM billing_case_account_move_rel rel
                                WHERE rel.case_id = bc.id
                                  AND 'account.move,' || rel.move_id = part))
                       OR (part LIKE 'account.payment,%%' AND NOT EXISTS (
                               SELECT 1 FROM billing_case_account_payment_rel rel
                                WHERE rel.case_id = bc.id
                                  AND 'account.payment,' || rel.payment_id = part))))""",
    )
    report.check(
        half_made == 0,
        f"no half-made case: every detected case has its document ({half_made})",
    )
    if not complete:
        return
    [[ours]] = query(
        args,
        """SELECT count(*) FROM billing_case bc JOIN res_company c ON c.id = bc.company_id
            WHERE c.name LIKE %s AND bc.detection_rule = 'overdue'""",
        (f"{PREFIX} Company %",),
    )
    report.check(
        ours == COMPANIES * CUSTOMERS,
        f"each overdue invoice of the test companies has its case ({ours}/{COMPANIES * CUSTOMERS})",
    )


def statement_state(args, since):
    return query(
        args,
        """SELECT p.id, p.billing_statement_sent_date IS NOT NULL,
                  (SELECT count(*) FROM ir_attachment a
                    WHERE a.res_model = 'res.partner' AND a.res_id = p.id
                      AND a.mimetype = 'application/pdf' AND a.create_date >= %s)
             FROM res_partner p
            WHERE p.billing_statement_monthly AND p.email IS NOT NULL AND p.parent_id IS NULL
              AND p.active
            ORDER BY p.id""",
        (since,),
    )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--db", required=True, help="scratch database (dropped and made again)"
    )
    parser.add_argument(
        "--from", dest="source", help="database to copy (module installed)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--child", choices=["prepare", "cron"], help=argparse.SUPPRESS)
    parser.add_argument("--cron", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "prepare":
        return prepare(args.db)
    if args.child == "cron":
        return run_cron(args.db, args.cron)
    if not args.source:
        parser.error("--from is required")

    report = Report()
    print(f"crash test on {args.db} (a copy of {args.source})", flush=True)
    subprocess.run(["dropdb", "--if-exists", args.db], check=True)
    subprocess.run(["createdb", "-T", args.source, args.db], check=True)
    rc, seconds = child(args, "prepare")
    report.check(
        rc == 0,
        f"prepared {COMPANIES} companies x {CUSTOMERS} customers ({seconds:.0f} s)",
    )
    if rc:
        return 1

    print("detection cron:", flush=True)
    since = db_now(args)
    before = detection_state(args, since)
    rc, seconds = child(args, "cron", DETECTION_CRON, crash_after=1)
    report.check(
        rc == -signal.SIGKILL,
        f"first run killed by SIGKILL in its second company (rc {rc}, {seconds:.0f} s)",
    )
    after_kill = detection_state(args, since)
    done = [cid for cid, state in after_kill.items() if state["done"]]
    report.check(
        len(done) == 1 and after_kill[done[0]]["runs"] == 1,
        f"after the kill: {len(done)} of {len(before)} companies done, "
        f"with {sum(after_kill[c]['runs'] for c in done)} run log row(s)",
    )
    check_cases(args, report, complete=False)
    rc, seconds = child(args, "cron", DETECTION_CRON)
    report.check(rc == 0, f"second run finished (rc {rc}, {seconds:.0f} s)")
    final = detection_state(args, since)
    report.check(
        all(state["done"] for state in final.values()), "every company done today"
    )
    report.check(
        all(final[cid]["runs"] == 1 for cid in done),
        "the company done before the kill kept its run and was not run again",
    )
    report.check(
        all(state["runs"] == 1 for state in final.values()),
        "one run log row per company today",
    )
    check_cases(args, report)

    print("statement run:", flush=True)
    since = db_now(args)
    due = statement_state(args, since)
    rc, seconds = child(args, "cron", STATEMENT_CRON, crash_after=1)
    report.check(
        rc == -signal.SIGKILL,
        f"first run killed by SIGKILL in its second batch (rc {rc}, {seconds:.0f} s)",
    )
    after_kill = statement_state(args, since)
    sent = [row for row in after_kill if row[1]]
    report.check(
        len(sent) == 2 and all(row[2] == 1 for row in sent),
        f"after the kill: {len(sent)} of {len(due)} customers sent, each with one statement",
    )
    rc, seconds = child(args, "cron", STATEMENT_CRON)
    report.check(rc == 0, f"second run finished (rc {rc}, {seconds:.0f} s)")
    final = statement_state(args, since)
    report.check(
        all(row[1] for row in final), f"every due customer stamped ({len(final)})"
    )
    counts = sorted({row[2] for row in final})
    report.check(
        counts == [1],
        f"exactly one statement per customer (statements per customer: {counts})",
    )

    if not args.keep:
        subprocess.run(["dropdb", "--if-exists", args.db], check=False)
    verdict = "FAILED" if report.failures else "PASSED"
    print(f"{verdict}: {report.failures} check(s) failed", flush=True)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
