"""Benchmark billing_coordinator's operations, the SQL floor and the OCA peers, side by side.

Usage (from the repository root, after ./dev bootstrap), on a database built by
tools/bench_data.py (copy it first: the benchmark installs the peers and adds queue cases):

    source .cache/env.sh
    createdb -T bc_bench_tpl bc_bench_run
    "$VENV/bin/python" tools/bench.py bc_bench_run --label S/2 --json .cache/bench-S2.json
    "$VENV/bin/python" tools/bench.py bc_bench_run --only detection_rerun,sql_floor
    "$VENV/bin/python" tools/bench.py --growth .cache/bench-S10.json .cache/bench-S4.json

Each operation runs in its own child process after the registry is loaded: one warm-up,
then ``--runs`` timed runs (default 3), each in its own transaction that is rolled back,
with the ORM cache emptied before. Reported per operation: the median time, the peak RSS
of the runs (VmHWM, reset before each run through /proc/self/clear_refs) and how far it
is above the process's size once the registry is loaded (idle), and items per second
where the operation has a count of items. ``--json`` writes the same as JSON; ``--growth`` prints the time ratio of
each operation from one JSON file to the next (sizes in the order given).

Before the first timed operation the database is prepared once, committed: the OCA peers
(``account_credit_control`` 19.0) are installed from their wheels into
``.cache/peers/<name>`` (``pip install --no-deps --target``, never into the venv) and added
to the addons path of the benchmark only, with a three-level policy per company; and 10,000
open cases over two teams (tools/bench_queue.py) are created for the queue operations,
after the detection operations ran.

Operations are registered with ``@operation(...)`` below; an operation whose method is not
on this branch yet is listed as "pending". Adding one is a function of a few lines.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / ".cache" / "peers"
PEER_WHEELS = {"account_credit_control": "odoo-addon-account-credit-control==19.0.*"}
OPERATIONS = {}


class Operation:
    def __init__(self, name, label, run, setup=None, items=None, user=None, peer=None,
                 pending=None, phase="main"):
        self.name, self.label, self.run, self.setup = name, label, run, setup
        self.items, self.user, self.peer, self.pending, self.phase = items, user, peer, pending, phase


def operation(name, label, setup=None, items=None, user=None, peer=None, pending=None,
              phase="main"):
    """Register ``func(env)`` as operation ``name``. ``setup(env)`` runs untimed in the same
    transaction before it; ``items(env)`` counts what it works on (for items/s); ``user(env)``
    gives the uid to run as; ``peer`` names the OCA module it needs; ``pending(env)`` returns
    a reason when the operation cannot run on this branch; ``phase`` "queue" runs after the
    queue cases are created."""

    def register(func):
        OPERATIONS[name] = Operation(name, label, func, setup, items, user, peer, pending, phase)
        return func

    return register


# ---------------------------------------------------------------------------------------
# helpers the operations share


def open_items(env):
    """Open receivable items (what detection, aging and credit control scan)."""
    env.cr.execute("""
        SELECT COUNT(*) FROM account_move_line l
          JOIN account_account a ON a.id = l.account_id AND a.account_type = 'asset_receivable'
         WHERE l.parent_state = 'posted' AND NOT l.reconciled AND l.amount_residual != 0
    """)
    return env.cr.fetchone()[0]


def missing(model, method):
    def pending(env):
        if model not in env or not hasattr(env[model], method):
            return f"{model}.{method} not on this branch"
        return None

    return pending


def queue_user(env):
    user = env["res.users"].search([("login", "=", "queue_bench_0")], limit=1)
    if not user:
        raise RuntimeError("no queue_bench_0 user: the queue cases were not prepared")
    return user.id


def _bench_queue():
    sys.path.insert(0, str(ROOT / "tools"))
    import bench_queue  # noqa: PLC0415 (a sibling script)

    return bench_queue


# ---------------------------------------------------------------------------------------
# detection


@operation("detection_first", "detection: first run, all rules (creates cases)", items=open_items)
def _detection_first(env):
    env["billing.case"]._run_detection()


@operation("detection_rerun", "detection: idempotent rerun, all rules",
           setup=lambda env: env["billing.case"]._run_detection(), items=open_items)
def _detection_rerun(env):
    env["billing.case"]._run_detection()


@operation("detection_overdue_first", "detection: first run, overdue rule only",
           items=open_items)
def _detection_overdue(env):
    env["billing.case"]._detect(rules=["overdue"])


@operation("peer_credit_control", "OCA account_credit_control: run (line generation)",
           items=open_items, peer="account_credit_control")
def _peer_credit_control(env):
    today = env.cr.now().date()
    for company in env["res.company"].search([]):
        run = env["credit.control.run"].with_company(company).create({
            "date": today, "company_id": company.id,
            "policy_ids": [(6, 0, company.credit_policy_id.ids)],
        })
        run.generate_credit_lines()


# ---------------------------------------------------------------------------------------
# the floor: one SQL aggregate of open receivable residuals by partner and bucket


@operation("sql_floor", "SQL floor: open residuals by partner and age bucket", items=open_items)
def _sql_floor(env):
    env.cr.execute("""
        SELECT l.company_id, l.partner_id,
               SUM(l.amount_residual) FILTER (WHERE COALESCE(l.date_maturity, l.date) >= CURRENT_DATE),
               SUM(l.amount_residual) FILTER (WHERE CURRENT_DATE - COALESCE(l.date_maturity, l.date) BETWEEN 1 AND 30),
               SUM(l.amount_residual) FILTER (WHERE CURRENT_DATE - COALESCE(l.date_maturity, l.date) BETWEEN 31 AND 60),
               SUM(l.amount_residual) FILTER (WHERE CURRENT_DATE - COALESCE(l.date_maturity, l.date) BETWEEN 61 AND 90),
               SUM(l.amount_residual) FILTER (WHERE CURRENT_DATE - COALESCE(l.date_maturity, l.date) > 90)
          FROM account_move_line l
          JOIN account_account a ON a.id = l.account_id AND a.account_type = 'asset_receivable'
         WHERE l.parent_state = 'posted' AND NOT l.reconciled
         GROUP BY l.company_id, l.partner_id
    """)
    env.cr.fetchall()


# ---------------------------------------------------------------------------------------
# queue (10,000 open cases, as coordinator queue_bench_0)


@operation("queue_first_page", "queue: My Queue first page (urgency groups + 80 rows)",
           user=queue_user, phase="queue")
def _queue_first_page(env):
    bench_queue = _bench_queue()
    bench_queue.grouped_page(env, bench_queue.queue_domain(env.uid))


@operation("queue_flat_page", "queue: My Queue list, 80 rows by score", user=queue_user,
           phase="queue")
def _queue_flat_page(env):
    bench_queue = _bench_queue()
    bench_queue.flat_page(env, bench_queue.queue_domain(env.uid))


@operation("queue_take_next", "queue: Take Next", user=queue_user, phase="queue")
def _queue_take_next(env):
    env["billing.case"].action_take_next()


# ---------------------------------------------------------------------------------------
# slots for the operations of the dashboard, receivables and reports issues: each runs
# once its method is on the branch (replace the body by the real call when it lands)


@operation("dashboard_all", "dashboard: get_dashboard_data, all companies",
           pending=missing("billing.case", "get_dashboard_data"))
def _dashboard_all(env):
    env["billing.case"].get_dashboard_data()


@operation("aging_today", "aging: as of today", items=open_items,
           pending=missing("res.partner", "_get_aging"))
def _aging_today(env):
    env["res.partner"]._get_aging()


# ---------------------------------------------------------------------------------------
# preparation (committed once in the database)


def install_peers(database, addons_path):
    """Install the OCA peers' wheels under .cache/peers and into ``database``."""
    paths = []
    for module, requirement in PEER_WHEELS.items():
        target = PEERS / module
        if not (target / "odoo" / "addons" / module).is_dir():
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                            "--target", str(target), requirement], check=True)
        paths.append(str(target / "odoo" / "addons"))
    full = ",".join([addons_path] + paths)
    names = ",".join(f"'{m}'" for m in PEER_WHEELS)
    installed = _query(database, "SELECT name FROM ir_module_module WHERE state = 'installed' "
                       f"AND name = ANY(ARRAY[{names}])")
    todo = [m for m in PEER_WHEELS if m not in installed]
    if todo:
        print(f"installing {', '.join(todo)} in {database}", flush=True)
        subprocess.run([sys.executable, "-m", "odoo", "server", f"--addons-path={full}",
                        "-d", database, "-i", ",".join(todo), "--stop-after-init",
                        "--no-http", "--log-level=warn"], check=True)
    return full


def _query(database, sql):
    out = subprocess.run(["psql", "-d", database, "-Atqc", sql], capture_output=True,
                         text=True, check=True).stdout
    return out.split()


def prepare_credit_control(env):
    """One three-level policy per company on its receivable accounts (OCA's own levels)."""
    template = env.ref("account_credit_control.credit_control_3_time")
    for company in env["res.company"].search([]):
        if company.credit_policy_id.company_id == company:
            continue
        accounts = env["account.account"].with_company(company).search(
            [("account_type", "=", "asset_receivable"), ("company_ids", "in", company.ids)]
        )
        policy = template.copy({"name": f"3 reminders ({company.name})", "company_id": company.id,
                                "account_ids": [(6, 0, accounts.ids)]})
        company.credit_policy_id = policy


def prepare_queue(env, count=10000):
    if env["res.users"].search_count([("login", "=", "queue_bench_0")]):
        return
    import random

    _bench_queue().generate(env, count, random.Random(42))


# ---------------------------------------------------------------------------------------
# child: one operation, warm-up and timed runs


def _memory():
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _sep, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(value.split()[0]) / 1024
    return fields


def child(database, name, runs, addons_path):
    from odoo.api import SUPERUSER_ID, Environment
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["--addons-path", addons_path, "-d", database, "--log-level=warn"])
    registry = Registry(database)
    with registry.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {})
        if name == "prepare_peers":
            prepare_credit_control(env)
            cr.commit()
            return {"name": name}
        if name == "prepare_queue":
            prepare_queue(env)
            cr.commit()
            return {"name": name}
        op = OPERATIONS[name]
        reason = op.pending and op.pending(env)
        if reason:
            return {"name": name, "label": op.label, "pending": reason}
        uid = op.user(env) if op.user else SUPERUSER_ID
        items = op.items(env) if op.items else None
    # the process after loading the registry: memory of a run is counted above this
    # (a warm run reuses memory the warm-up took, so its own growth reads as zero)
    idle = _memory()["VmRSS"]
    times, peaks, deltas = [], [], []
    for index in range(runs + 1):  # the first is the warm-up
        with registry.cursor() as cr:
            env = Environment(cr, uid, {})
            env.invalidate_all()
            if op.setup:
                op.setup(env)
                env.flush_all()
                env.invalidate_all()
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")
            started = time.perf_counter()
            op.run(env)
            env.flush_all()
            elapsed = time.perf_counter() - started
            memory = _memory()
            cr.rollback()
        if index:
            times.append(elapsed)
            peaks.append(memory["VmHWM"])
            deltas.append(memory["VmHWM"] - idle)
    median = statistics.median(times)
    return {
        "name": name, "label": op.label, "runs": runs, "times": times, "median_s": median,
        "peak_rss_mb": max(peaks), "above_idle_mb": max(deltas), "items": items,
        "items_per_s": items / median if items and median else None,
    }


def run_child(database, name, runs, addons_path):
    cmd = [sys.executable, __file__, database, "--child", name, "--runs", str(runs),
           "--addons-path", addons_path]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        sys.stderr.write(proc.stderr[-3000:])
        return {"name": name, "label": getattr(OPERATIONS.get(name), "label", name),
                "error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(lines[-1])


# ---------------------------------------------------------------------------------------
# parent: table, JSON, growth


def print_table(results, label):
    print(f"\n{label}")
    print(f"{'operation':58s} {'median':>10s} {'peak RSS':>9s} {'+RSS':>7s} {'items/s':>9s}")
    for r in results:
        if "median_s" not in r:
            print(f"{r['label']:58s} {r.get('pending') or 'ERROR: ' + r.get('error', '')}")
            continue
        rate = f"{r['items_per_s']:9.0f}" if r.get("items_per_s") else " " * 9
        print(f"{r['label']:58s} {r['median_s'] * 1000:8.1f}ms {r['peak_rss_mb']:7.0f}MB "
              f"{r['above_idle_mb']:5.0f}MB {rate}")
    by_name = {r["name"]: r for r in results if "median_s" in r}
    ratios = [("detection_overdue_first", "peer_credit_control",
               "OCA credit control run / our overdue detection first run"),
              ("detection_first", "peer_credit_control",
               "OCA credit control run / our detection (all rules) first run"),
              ("sql_floor", "detection_rerun", "detection rerun / SQL floor")]
    for ours, theirs, text in ratios:
        if ours in by_name and theirs in by_name:
            print(f"  {text}: {by_name[theirs]['median_s'] / by_name[ours]['median_s']:.2f}x")


def print_growth(paths):
    runs = [json.loads(Path(p).read_text()) for p in paths]
    print(f"{'operation':58s} " + " ".join(f"{r['label']:>10s}" for r in runs)
          + "  growth (time ratio from one size to the next; items ratio in brackets)")
    names = [r["name"] for r in runs[0]["results"]]
    for name in names:
        rows = [next((x for x in r["results"] if x["name"] == name), {}) for r in runs]
        if not all("median_s" in x for x in rows):
            continue
        cells = " ".join(f"{x['median_s'] * 1000:8.0f}ms" for x in rows)
        growth = []
        for a, b, ra, rb in zip(rows, rows[1:], runs, runs[1:]):
            items = (f" [{rb['open_items'] / ra['open_items']:.2f}]"
                     if ra.get("open_items") else "")
            growth.append(f"{b['median_s'] / a['median_s']:.2f}x{items}")
        print(f"{rows[0]['label']:58s} {cells}  {', '.join(growth)}")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("database", nargs="?")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", help="comma-separated operation names")
    parser.add_argument("--label", help="a name for this run (the dataset size)")
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--no-peers", action="store_true", help="skip the OCA peers")
    parser.add_argument("--growth", nargs="+", metavar="JSON", help="compare earlier runs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--addons-path", help=argparse.SUPPRESS)
    parser.add_argument("--list", action="store_true", help="list the operations")
    args = parser.parse_args()
    if args.list:
        for op in OPERATIONS.values():
            print(f"{op.name:26s} {op.label}" + (f"  (peer {op.peer})" if op.peer else ""))
        return 0
    if args.growth:
        print_growth(args.growth)
        return 0
    if not args.database:
        parser.error("a database is required")
    if args.child:
        print(json.dumps(child(args.database, args.child, args.runs, args.addons_path)))
        return 0
    addons_path = os.environ.get("ADDONS_PATH", "")
    names = args.only.split(",") if args.only else list(OPERATIONS)
    if args.no_peers:
        names = [n for n in names if not OPERATIONS[n].peer]
    if any(OPERATIONS[n].peer for n in names) or (PEERS / "account_credit_control").is_dir():
        # once installed in the database, every process needs the peers on its path
        addons_path = install_peers(args.database, addons_path)
        if any(OPERATIONS[n].peer for n in names):
            run_child(args.database, "prepare_peers", 0, addons_path)
    open_count = int(_query(args.database, """
        SELECT COUNT(*) FROM account_move_line l JOIN account_account a ON a.id = l.account_id
         WHERE a.account_type = 'asset_receivable' AND l.parent_state = 'posted'
           AND NOT l.reconciled AND l.amount_residual != 0""")[0])
    invoices = int(_query(args.database, "SELECT COUNT(*) FROM account_move WHERE "
                          "move_type = 'out_invoice' AND state = 'posted'")[0])
    label = args.label or args.database
    print(f"{args.database}: {invoices} posted invoices, {open_count} open items; "
          f"{args.runs} runs per operation", flush=True)
    results = []
    for phase in ("main", "queue"):
        todo = [n for n in names if OPERATIONS[n].phase == phase]
        if phase == "queue" and todo:
            run_child(args.database, "prepare_queue", 0, addons_path)
        for name in todo:
            result = run_child(args.database, name, args.runs, addons_path)
            results.append(result)
            if "median_s" in result:
                print(f"  {name}: {result['median_s'] * 1000:.1f} ms", flush=True)
    print_table(results, f"{label}: {invoices} invoices, {open_count} open items")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"label": label, "database": args.database, "invoices": invoices,
             "open_items": open_count, "results": results}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
