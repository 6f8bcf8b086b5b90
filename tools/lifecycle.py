"""Lifecycle check: install, detect, uninstall and reinstall in a database with history.

Usage (from the repository root, after ./dev bootstrap):

    source .cache/env.sh
    "$VENV/bin/python" tools/lifecycle.py                      # bc_lifecycle_acc, 400 invoices
    "$VENV/bin/python" tools/lifecycle.py bc_lc --invoices 2000 --customers 200 \
        --json .cache/lifecycle.json

The database is dropped and created with ``account`` only (no demo data), then filled by
``tools/bench_data.py`` (posted invoices, credit notes, payments and reconciliations in two
companies). The accounting tables are checksummed (md5 over the rows ordered by id, the
columns the table had before our module was installed):

    account_move, account_move_line, account_partial_reconcile, account_full_reconcile,
    account_payment

at five points: before the install, after installing ``billing_coordinator`` (timed, with
its query count), after running the detection on every company (timed, cases created),
after the uninstall (and no ``billing_*`` table left) and after the reinstall. A table is
printed, ``--json`` writes the figures; the exit code is 1 when any checksum differs from
the first one or a table of ours survives the uninstall.
"""

import argparse
import json
import os
import subprocess
import sys
import time

TABLES = [
    "account_move",
    "account_move_line",
    "account_partial_reconcile",
    "account_full_reconcile",
    "account_payment",
]
MODULE = "billing_coordinator"
HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------------------------------
# the child: one step in its own process (a fresh registry each time)


def child(step, database, invoices, customers):
    sys.path.insert(0, HERE)
    import odoo.sql_db
    from odoo.api import SUPERUSER_ID, Environment
    from odoo.modules.registry import Registry
    from odoo.tools import config

    addons = os.environ.get("ADDONS_PATH", "")
    config.parse_config(
        ["--addons-path", addons, "-d", database, "--log-level=warn", "--no-http"],
        setup_logging=True,
    )
    registry = Registry(database)
    result = {}
    queries = odoo.sql_db.sql_counter
    started = time.monotonic()
    with registry.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {})
        if step == "generate":
            import bench_data

            result = bench_data.generate(
                env,
                customers,
                invoices,
                seed=42,
                path="fast",
                shapes_per_month=bench_data.default_shapes(invoices),
                log=lambda m: None,
            )
        elif step in ("install", "uninstall"):
            module = env["ir.module.module"].search([("name", "=", MODULE)])
            if step == "install":
                module.button_immediate_install()
            else:
                module.button_immediate_uninstall()
        elif step == "detect":
            env = env(context={"tracking_disable": False})
            cases = env["billing.case"]._run_detection()
            result = {
                "cases_created": len(cases),
                "cases": env["billing.case"].search_count([]),
            }
        cr.commit()
    result["seconds"] = round(time.monotonic() - started, 2)
    result["queries"] = odoo.sql_db.sql_counter - queries
    print("LIFECYCLE-RESULT " + json.dumps(result), flush=True)


def run_child(step, args):
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            os.path.abspath(__file__),
            "--child",
            step,
            args.database,
            "--invoices",
            str(args.invoices),
            "--customers",
            str(args.customers),
        ],
        capture_output=True,
        text=True,
    )
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith("LIFECYCLE-RESULT "):
            result = json.loads(line.split(" ", 1)[1])
    if proc.returncode or result is None:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-8000:])
        sys.exit(f"step {step} failed (exit {proc.returncode})")
    noise = [
        line
        for line in proc.stderr.splitlines()
        if " ERROR " in line or " CRITICAL " in line
    ]
    result["errors"] = noise[:20]
    result["wall_seconds"] = round(time.monotonic() - started, 2)
    return result


# ---------------------------------------------------------------------------------------
# the parent: checksums over plain SQL


def columns(cr, table):
    cr.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cr.fetchall()]


def checksums(database, baseline_columns):
    import psycopg2
    from psycopg2 import sql

    result = {}
    with psycopg2.connect(dbname=database) as conn, conn.cursor() as cr:
        for table in TABLES:
            cols = baseline_columns[table]
            query = sql.SQL(
                "SELECT COUNT(*), md5(COALESCE(string_agg(row_text, E'\\n' ORDER BY id), ''))"
                " FROM (SELECT id, ROW({cols})::text AS row_text FROM {table}) AS t"
            ).format(
                cols=sql.SQL(", ").join(map(sql.Identifier, cols)),
                table=sql.Identifier(table),
            )
            cr.execute(query)
            count, digest = cr.fetchone()
            result[table] = {"rows": count, "md5": digest}
        cr.execute(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
            " AND table_name LIKE 'billing\\_%%'"
        )
        result["billing_tables"] = cr.fetchone()[0]
    return result


def baseline(database):
    import psycopg2

    with psycopg2.connect(dbname=database) as conn, conn.cursor() as cr:
        return {table: columns(cr, table) for table in TABLES}


def create(args):
    addons = os.environ.get("ADDONS_PATH", "")
    subprocess.run(["dropdb", "--if-exists", args.database], check=True)
    started = time.monotonic()
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
            "account",
            "--stop-after-init",
            "--no-http",
            "--log-level=warn",
        ],
        check=True,
    )
    return round(time.monotonic() - started, 1)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("database", nargs="?", default="bc_lifecycle_acc")
    parser.add_argument("--invoices", type=int, default=400)
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.database, args.invoices, args.customers)

    print(f"creating {args.database} with account only", flush=True)
    report = {"database": args.database, "create_seconds": create(args), "steps": []}
    generated = run_child("generate", args)
    report["generated"] = generated
    print(
        "generated: "
        + ", ".join(f"{k} {v}" for k, v in generated.items() if k != "errors"),
        flush=True,
    )
    cols = baseline(args.database)
    points = [("before install", None)]
    points += [
        (label, step)
        for label, step in (
            ("after install", "install"),
            ("after detection", "detect"),
            ("after uninstall", "uninstall"),
            ("after reinstall", "install"),
        )
    ]
    first = None
    failed = []
    for label, step in points:
        result = run_child(step, args) if step else {}
        sums = checksums(args.database, cols)
        first = first or sums
        changed = [t for t in TABLES if sums[t] != first[t]]
        if changed:
            failed.append(f"{label}: {', '.join(changed)} changed")
        if step == "uninstall" and sums["billing_tables"]:
            failed.append(f"{label}: {sums['billing_tables']} billing_* table(s) left")
        if result.get("errors"):
            failed.append(f"{label}: errors in the log: {result['errors'][:3]}")
        report["steps"].append(
            {
                "point": label,
                "step": step,
                "result": result,
                "checksums": sums,
                "changed": changed,
            }
        )
        print(
            f"{label}: "
            + ("ok" if not changed else "CHANGED " + ", ".join(changed))
            + (
                ""
                if not step
                else f" ({result['seconds']} s, {result['queries']} queries"
                + (
                    f", {result['cases_created']} cases"
                    if "cases_created" in result
                    else ""
                )
                + ")"
            ),
            flush=True,
        )

    width = max(len(t) for t in TABLES)
    print()
    print(
        f"{'table':<{width}}  "
        + "  ".join(f"{p['point']:<22}" for p in report["steps"])
    )
    for table in TABLES:
        cells = []
        for point in report["steps"]:
            value = point["checksums"][table]
            mark = "" if table not in point["changed"] else " !"
            cells.append(f"{value['rows']:>6} {value['md5'][:12]}{mark:<2}")
        print(f"{table:<{width}}  " + "  ".join(f"{c:<22}" for c in cells))
    print(
        f"{'billing_* tables':<{width}}  "
        + "  ".join(f"{p['checksums']['billing_tables']:<22}" for p in report["steps"])
    )
    report["failed"] = failed
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2, default=str)
    print()
    print("FAILED:\n  " + "\n  ".join(failed) if failed else "all checksums unchanged")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
