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
(``account_credit_control``, ``account_financial_report``, ``partner_statement`` and their
OCA dependencies, the 19.0 wheels pinned in tools/requirements-peers.txt) are installed into
``.cache/peers`` (``pip install --no-deps --target``, never into the venv, never a module
dependency) and added to the addons path of the benchmark only, with a three-level credit
policy per company; after the "main" operations, 10,000 open cases over two teams of five
coordinators (the bench customers split between the teams) are created for the "queue"
phase: the queue, the dashboard (all companies and one team), the case register and the
overdue rule's first run on customers in teams.

Superuser operations run with every company allowed; the queue ones as coordinator
``queue_bench_0``. Ratios of ours against the peers and the SQL floor are printed under the
table, all measured in the same run.

Operations are registered with ``@operation(...)`` below; an operation whose method is not
on this branch yet is listed as "pending". Adding one is a function of a few lines.
"""

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / ".cache" / "peers"
PEER_REQUIREMENTS = ROOT / "tools" / "requirements-peers.txt"
PEER_MODULES = (
    "account_credit_control",
    "account_financial_report",
    "partner_statement",
)
OPEN_STATES = ("new", "in_progress", "waiting_customer")  # billing_case.OPEN_STATES
OPERATIONS = {}


class Operation:
    def __init__(
        self,
        name,
        label,
        run,
        setup=None,
        items=None,
        user=None,
        peer=None,
        pending=None,
        phase="main",
    ):
        self.name, self.label, self.run, self.setup = name, label, run, setup
        self.items, self.user, self.peer, self.pending, self.phase = (
            items,
            user,
            peer,
            pending,
            phase,
        )


def operation(
    name,
    label,
    setup=None,
    items=None,
    user=None,
    peer=None,
    pending=None,
    phase="main",
):
    """Register ``func(env)`` as operation ``name``. ``setup(env)`` runs untimed in the same
    transaction before it; ``items(env)`` counts what it works on (for items/s); ``user(env)``
    gives the uid to run as; ``peer`` names the OCA module it needs; ``pending(env)`` returns
    a reason when the operation cannot run on this branch; ``phase`` "queue" runs after the
    queue cases are created."""

    def register(func):
        OPERATIONS[name] = Operation(
            name, label, func, setup, items, user, peer, pending, phase
        )
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


def open_cases(env):
    return env["billing.case"].search_count([("state", "in", OPEN_STATES)])


def missing(model, method):
    def pending(env):
        if model not in env or not hasattr(env[model], method):
            return f"{model}.{method} not on this branch"
        return None

    return pending


def all_companies(env):
    return env["res.company"].search([], order="id")


def queue_user(env):
    user = env["res.users"].search([("login", "=", "queue_bench_0")], limit=1)
    if not user:
        raise RuntimeError("no queue_bench_0 user: the queue cases were not prepared")
    return user.id


def queue_team(env):
    team = env["billing.team"].search([("name", "=", "Bench Team 0")], limit=1)
    if not team:
        raise RuntimeError("no Bench Team 0: the queue cases were not prepared")
    return team


_LARGEST_CUSTOMER = {}


def largest_customer(env):
    """(company, commercial partner) with the most open receivable items: looked up once
    per process (every run is rolled back), so it is not timed with the statements."""
    if env.cr.dbname not in _LARGEST_CUSTOMER:
        _LARGEST_CUSTOMER[env.cr.dbname] = _largest_customer_ids(env)
    company_id, partner_id = _LARGEST_CUSTOMER[env.cr.dbname]
    return env["res.company"].browse(company_id), env["res.partner"].browse(partner_id)


def _largest_customer_ids(env):
    env.cr.execute("""
        SELECT l.company_id, p.commercial_partner_id, COUNT(*)
          FROM account_move_line l
          JOIN account_account a ON a.id = l.account_id AND a.account_type = 'asset_receivable'
          JOIN res_partner p ON p.id = l.partner_id
         WHERE l.parent_state = 'posted' AND NOT l.reconciled AND l.amount_residual != 0
      GROUP BY 1, 2 ORDER BY 3 DESC, 2 LIMIT 1
    """)
    company_id, partner_id, _count = env.cr.fetchone()
    return company_id, partner_id


def largest_customer_items(env):
    company, partner = largest_customer(env)
    env.cr.execute(
        """
        SELECT COUNT(*) FROM account_move_line l
          JOIN account_account a ON a.id = l.account_id AND a.account_type = 'asset_receivable'
          JOIN res_partner p ON p.id = l.partner_id
         WHERE l.parent_state = 'posted' AND NOT l.reconciled AND l.amount_residual != 0
           AND l.company_id = %s AND p.commercial_partner_id = %s
    """,
        [company.id, partner.id],
    )
    return env.cr.fetchone()[0]


def year_ago(env):
    return env.cr.now().date() - timedelta(days=365)


# ---------------------------------------------------------------------------------------
# detection


@operation(
    "detection_first",
    "detection: first run, all rules (creates cases)",
    items=open_items,
)
def _detection_first(env):
    env["billing.case"]._run_detection()


@operation(
    "detection_rerun",
    "detection: idempotent rerun, all rules",
    setup=lambda env: env["billing.case"]._run_detection(),
    items=open_items,
)
def _detection_rerun(env):
    env["billing.case"]._run_detection()


@operation(
    "detection_overdue_first",
    "detection: first run, overdue rule only",
    items=open_items,
)
def _detection_overdue(env):
    env["billing.case"]._detect(rules=["overdue"])


@operation(
    "peer_credit_control",
    "OCA account_credit_control: run (line generation)",
    items=open_items,
    peer="account_credit_control",
)
def _peer_credit_control(env):
    today = env.cr.now().date()
    for company in all_companies(env):
        run = (
            env["credit.control.run"]
            .with_company(company)
            .create(
                {
                    "date": today,
                    "company_id": company.id,
                    "policy_ids": [(6, 0, company.credit_policy_id.ids)],
                }
            )
        )
        run.generate_credit_lines()


CLEARING_CASES = 2000


def _clearing_setup(env):
    partner = env["res.partner"].create(
        {"name": "Clearing Bench Customer", "is_company": True}
    )
    case_type = env.ref("billing_coordinator.case_type_overdue")
    Case = env["billing.case"].with_context(
        mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True
    )
    Case.create(
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
            for index in range(CLEARING_CASES)
        ]
    )


@operation(
    "detection_clearing",
    f"detection: clear {CLEARING_CASES:,} cases at once",
    setup=_clearing_setup,
    items=lambda env: CLEARING_CASES,
)
def _detection_clearing(env):
    Case = env["billing.case"]
    cases = Case.search(
        [
            ("detection_fingerprint", "=", "bench"),
            ("detection_rule", "=", "overdue"),
            ("state", "in", OPEN_STATES),
        ]
    )
    Case._clear_detected_cases(cases, "overdue")


DUPLICATE_COMPANIES = 100000


def _duplicate_setup(env):
    """100,000 companies (every 500th shares a VAT number with the next one, every 700th
    the e-mail domain and name), half of them invoiced, inserted by SQL: rolled back."""
    cr, company = env.cr, env.company
    cr.execute(
        """
        INSERT INTO res_partner (name, vat, email, email_normalized, active, is_company, type,
                                 autopost_bills, create_date, write_date)
        SELECT 'Bench Co ' || (CASE WHEN g %% 700 = 1 THEN g - 1 ELSE g END) || ' Ltd',
               CASE WHEN g %% 500 IN (0, 1) THEN 'BE0' || (g / 2)::text ELSE 'XX' || g END,
               'ap@bench' || (CASE WHEN g %% 700 = 1 THEN g - 1 ELSE g END) || '.example.com',
               'ap@bench' || (CASE WHEN g %% 700 = 1 THEN g - 1 ELSE g END) || '.example.com',
               TRUE, TRUE, 'contact', 'ask', now(), now()
          FROM generate_series(1, %s) g
    """,
        [DUPLICATE_COMPANIES],
    )
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id "
        "WHERE commercial_partner_id IS NULL"
    )
    cr.execute(
        """
        INSERT INTO account_move (move_type, state, company_id, commercial_partner_id,
                                  partner_id, journal_id, currency_id, date, auto_post,
                                  create_date, write_date)
        SELECT 'out_invoice', 'posted', %s, id, id,
               (SELECT id FROM account_journal WHERE type = 'sale' AND company_id = %s LIMIT 1),
               %s, now(), 'no', now(), now()
          FROM res_partner WHERE name LIKE 'Bench Co %%' AND id %% 50 < 25
    """,
        [company.id, company.id, company.currency_id.id],
    )
    env.invalidate_all()


@operation(
    "duplicate_customer",
    "detection: duplicate_customer rule on 100,000 companies",
    setup=_duplicate_setup,
    items=lambda env: DUPLICATE_COMPANIES,
)
def _duplicate_customer(env):
    env["billing.case"]._detect_duplicate_customer(env.company)


# ---------------------------------------------------------------------------------------
# the floor: one SQL aggregate of open receivable residuals by partner and bucket


@operation(
    "sql_floor", "SQL floor: open residuals by partner and age bucket", items=open_items
)
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
# aging and dashboard (every company; "one team": Bench Team 0 of the queue preparation)


@operation(
    "aging_today", "aging: _get_aging() as of today, all companies", items=open_items
)
def _aging_today(env):
    env["billing.receivable.line"]._get_aging(company_ids=all_companies(env))


@operation(
    "aging_year_ago",
    "aging: _get_aging() as of a year ago, all companies",
    items=open_items,
)
def _aging_year_ago(env):
    env["billing.receivable.line"]._get_aging(
        date_at=year_ago(env), company_ids=all_companies(env)
    )


def _dashboard_facts_setup(env):
    """The stored dashboard aggregates as the nightly cron leaves them: refreshed and
    committed in a cursor of its own (untimed; a no-op once they are fresh), before the
    timed transaction reads anything."""
    with env.registry.cursor() as cr:
        fresh = env(cr=cr)
        fresh["billing.dashboard.fact"]._refresh_dashboard_facts()
        cr.commit()


@operation(
    "dashboard_all",
    "dashboard: get_dashboard_data, all companies (facts refreshed, untimed)",
    setup=_dashboard_facts_setup,
    phase="queue",
)
def _dashboard_all(env):
    env["billing.dashboard"].get_dashboard_data({"company_ids": all_companies(env).ids})


@operation(
    "dashboard_team",
    "dashboard: get_dashboard_data, one team (facts refreshed, untimed)",
    setup=_dashboard_facts_setup,
    phase="queue",
)
def _dashboard_team(env):
    env["billing.dashboard"].get_dashboard_data(
        {"company_ids": all_companies(env).ids, "team_id": queue_team(env).id}
    )


# ---------------------------------------------------------------------------------------
# reports


def _aging_wizard(env, detail=True):
    return env["billing.aging.report"].create(
        {
            "date_at": env.cr.now().date(),
            "detail": detail,
            "company_ids": [(6, 0, all_companies(env).ids)],
        }
    )


@operation(
    "aging_xlsx_summary", "reports: AR aging XLSX, summary sheet", items=open_items
)
def _aging_xlsx_summary(env):
    import xlsxwriter  # noqa: PLC0415

    wizard = _aging_wizard(env, detail=False)
    report = env["report.billing_coordinator.aging_xlsx"]
    filters = wizard._get_aging_filters()
    Aging = env["billing.receivable.line"]
    workbook = xlsxwriter.Workbook(io.BytesIO(), report.get_workbook_options())
    report._write_summary(
        report._xlsx_writer(workbook),
        workbook.add_worksheet("Summary"),
        wizard,
        filters,
        Aging._get_aging_buckets(filters["company_ids"]),
        Aging._aging_target_currency(filters["company_ids"]),
    )
    workbook.close()


@operation(
    "aging_xlsx_detail",
    "reports: AR aging XLSX, summary + every open item",
    items=open_items,
)
def _aging_xlsx_detail(env):
    wizard = _aging_wizard(env)
    env["ir.actions.report"]._render(
        "billing_coordinator.aging_xlsx_action", wizard.ids
    )


def _peer_aged_partner(env, detail):
    for company in all_companies(env):
        accounts = env["account.account"].search(
            [
                ("account_type", "=", "asset_receivable"),
                ("company_ids", "in", company.ids),
            ]
        )
        wizard = (
            env["aged.partner.balance.report.wizard"]
            .with_company(company)
            .create(
                {
                    "company_id": company.id,
                    "date_at": env.cr.now().date(),
                    "account_ids": [(6, 0, accounts.ids)],
                    "receivable_accounts_only": True,
                    "show_move_line_details": detail,
                }
            )
        )
        # the data as the web client posts it (report_action's data goes through JSON)
        data = json.loads(json.dumps(wizard._prepare_report_data(), default=str))
        env["ir.actions.report"].with_company(company)._render(
            "account_financial_report.action_report_aged_partner_balance_xlsx",
            wizard.ids,
            data=data,
        )


@operation(
    "peer_aged_partner",
    "OCA account_financial_report: aged partner XLSX",
    items=open_items,
    peer="account_financial_report",
)
def _peer_aged(env):
    _peer_aged_partner(env, False)


@operation(
    "peer_aged_partner_detail",
    "OCA account_financial_report: aged partner XLSX, line detail",
    items=open_items,
    peer="account_financial_report",
)
def _peer_aged_detail(env):
    _peer_aged_partner(env, True)


@operation(
    "statement_html",
    "reports: statement HTML, largest customer",
    items=largest_customer_items,
)
def _statement_html(env):
    company, partner = largest_customer(env)
    env["ir.actions.report"]._render_qweb_html(
        "billing_coordinator.report_customer_statement_action",
        partner.ids,
        data={"date_at": env.cr.now().date().isoformat(), "company_id": company.id},
    )


@operation(
    "peer_outstanding_statement",
    "OCA partner_statement: outstanding statement HTML, largest customer",
    items=largest_customer_items,
    peer="partner_statement",
)
def _peer_statement(env):
    company, partner = largest_customer(env)
    wizard = (
        env["outstanding.statement.wizard"]
        .with_context(active_ids=partner.ids, active_model="res.partner")
        .create({"company_id": company.id, "date_end": env.cr.now().date()})
    )
    data = wizard._prepare_statement()
    env["ir.actions.report"]._render_qweb_html(
        "partner_statement.action_print_outstanding_statement_html",
        partner.ids,
        data=data,
    )


@operation(
    "detection_overdue_first_teams",
    "detection: first run, overdue rule only, customers in two teams",
    items=open_items,
    phase="queue",
)
def _detection_overdue_teams(env):
    # the queue phase's customers belong to two round-robin teams of five coordinators
    # with 10,000 open cases between them: each new case gets its first assignee and
    # their subscription (the main phase's customers have no team)
    env["billing.case"]._detect(rules=["overdue"])


@operation(
    "case_register_xlsx",
    "reports: case register XLSX, 10,000 cases",
    items=lambda env: len(_register_cases(env)),
    phase="queue",
)
def _case_register(env):
    env["ir.actions.report"]._render(
        "billing_coordinator.billing_case_register_xlsx_action",
        _register_cases(env).ids,
    )


def _register_cases(env):
    return env["billing.case"].search(
        [("state", "in", OPEN_STATES)], limit=QUEUE_CASES, order="id"
    )


# ---------------------------------------------------------------------------------------
# queue (10,000 open cases over two teams, as coordinator queue_bench_0)

QUEUE_CASES = 10000


def queue_domain(env):
    """My Queue's default filters ("My Cases", "In Queue") from the search view."""
    today = env.cr.now().date().isoformat()
    return [
        ("user_id", "=", env.uid),
        ("state", "in", OPEN_STATES),
        "|",
        ("follow_up_date", "=", False),
        ("follow_up_date", "<=", today),
    ]


_LIST_SPEC = {}


def queue_list_spec(env):
    """The fields the My Queue action's list view reads, as a web_search_read spec
    (read once per process, as the web client caches its views)."""
    if _LIST_SPEC:
        return _LIST_SPEC
    # sudo: the view's structure only; the timed read is the coordinator's
    action = env.ref("billing_coordinator.billing_case_action_my").sudo()
    view_id = next(v.view_id.id for v in action.view_ids if v.view_mode == "list")
    Case = env["billing.case"].sudo()
    views = Case.get_views([(view_id, "list")])
    arch = etree.fromstring(views["views"]["list"]["arch"])
    spec = {}
    for node in arch.iter("field"):
        name = node.get("name")
        if name in Case._fields:
            field = Case._fields[name]
            spec[name] = (
                {"fields": {"display_name": {}}} if field.type == "many2one" else {}
            )
    _LIST_SPEC.update(spec)
    return spec


@operation(
    "queue_first_page",
    "queue: My Queue list, 80 rows by score (web_search_read)",
    user=queue_user,
    phase="queue",
)
def _queue_first_page(env):
    order = "priority_score desc, deadline, id"
    env["billing.case"].web_search_read(
        queue_domain(env),
        queue_list_spec(env),
        limit=80,
        order=order,
        count_limit=10001,
    )


@operation("queue_take_next", "queue: Take Next", user=queue_user, phase="queue")
def _queue_take_next(env):
    env["billing.case"].action_take_next()


def prepare_queue(env, count=QUEUE_CASES):
    """10 coordinators in two teams of five, the bench customers split between the teams
    (their billing team), ``count`` open cases of random type, amount and age on them,
    20 % unassigned (the team queue Take Next draws from). Seed 42."""
    if env["res.users"].search_count([("login", "=", "queue_bench_0")]):
        return
    rng = random.Random(42)
    company = env["res.company"].search([], order="id", limit=1)
    group = env.ref("billing_coordinator.group_billing_user")
    users = env["res.users"].create(
        [
            {
                "name": f"Queue Bench {i}",
                "login": f"queue_bench_{i}",
                "company_id": company.id,
                "company_ids": [(6, 0, all_companies(env).ids)],
                "group_ids": [(6, 0, group.ids)],
            }
            for i in range(10)
        ]
    )
    teams = env["billing.team"].create(
        [
            {
                "name": f"Bench Team {t}",
                "assignment_method": "round_robin",
                "member_ids": [(6, 0, users[t * 5 : (t + 1) * 5].ids)],
            }
            for t in range(2)
        ]
    )
    partners = env["res.partner"].search(
        [("is_company", "=", True), ("customer_rank", ">", 0)], order="id"
    )
    if len(partners) < 100:
        partners |= (
            env["res.partner"]
            .with_context(tracking_disable=True)
            .create(
                [
                    {"name": f"Queue Customer {i:04d}", "is_company": True}
                    for i in range(1000)
                ]
            )
        )
    for index, team in enumerate(teams):
        partners[index::2].with_context(tracking_disable=True).write(
            {"billing_team_id": team.id}
        )
    types = env["billing.case.type"].search([])
    # No chatter work in a bulk fixture: no tracking, no assignment notification e-mails.
    Case = env["billing.case"].with_context(
        mail_create_nolog=True,
        mail_create_nosubscribe=True,
        mail_notrack=True,
        tracking_disable=True,
        mail_auto_subscribe_no_notify=True,
    )
    for start in range(0, count, 1000):
        vals = []
        for _i in range(start, min(start + 1000, count)):
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
        cases.filtered(lambda c: rng.random() < 0.2).user_id = False
        for state in ("in_progress", "waiting_customer"):
            cases.filtered(
                lambda c, s=state: rng.random() < 0.3 and c.user_id
            ).state = state
        env.cr.commit()
    Case.search([("state", "in", OPEN_STATES)])._refresh_priority_scores()
    # What autovacuum would do after 10,000 inserts (it is off on these machines): without
    # statistics the planner takes billing_case for one row and sorts every case.
    env.cr.execute("ANALYZE billing_case, billing_case_account_move_rel, res_partner")


# ---------------------------------------------------------------------------------------
# preparation (committed once in the database)


def install_peers(database, addons_path):
    """Install the OCA peers' pinned 19.0 wheels (tools/requirements-peers.txt) under
    .cache/peers and the peer modules into ``database``."""
    marker = PEERS / ".req-bench"
    if not marker.exists() or marker.read_text() != PEER_REQUIREMENTS.read_text():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "--no-deps",
                "--target",
                str(PEERS),
                "-r",
                str(PEER_REQUIREMENTS),
            ],
            check=True,
        )
        marker.write_text(PEER_REQUIREMENTS.read_text())
    full = ",".join([addons_path, str(PEERS / "odoo" / "addons")])
    installed = _query(
        database, "SELECT name FROM ir_module_module WHERE state = 'installed'"
    )
    todo = [m for m in PEER_MODULES if m not in installed]
    if todo:
        print(f"installing {', '.join(todo)} in {database}", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "odoo",
                "server",
                f"--addons-path={full}",
                "-d",
                database,
                "-i",
                ",".join(todo),
                "--stop-after-init",
                "--no-http",
                "--log-level=warn",
            ],
            check=True,
        )
    return full


def _query(database, sql):
    out = subprocess.run(
        ["psql", "-d", database, "-Atqc", sql],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()


# the tables the operations write (cases, their links and messages, the run log) and any
# other table with dead rows the statistics already show
VACUUM_SQL = r"""SELECT format('VACUUM %I', relname) FROM pg_stat_user_tables
 WHERE relname LIKE 'billing\_%' OR relname LIKE 'mail\_%' OR n_dead_tup > 0
\gexec
"""


def _vacuum_dead_rows(database):
    """VACUUM (outside any transaction, so through psql) the tables a rolled-back run
    may have left dead rows in; a few milliseconds per table when there are none."""
    subprocess.run(
        ["psql", "-d", database, "-Atq"],
        input=VACUUM_SQL,
        capture_output=True,
        text=True,
        check=True,
    )


def prepare_credit_control(env):
    """One three-level policy per company on its receivable accounts (OCA's own levels)."""
    template = env.ref("account_credit_control.credit_control_3_time")
    for company in all_companies(env):
        if company.credit_policy_id.company_id == company:
            continue
        accounts = (
            env["account.account"]
            .with_company(company)
            .search(
                [
                    ("account_type", "=", "asset_receivable"),
                    ("company_ids", "in", company.ids),
                ]
            )
        )
        policy = template.copy(
            {
                "name": f"3 reminders ({company.name})",
                "company_id": company.id,
                "account_ids": [(6, 0, accounts.ids)],
            }
        )
        company.credit_policy_id = policy


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

    config.parse_config(
        ["--addons-path", addons_path, "-d", database, "--log-level=warn"]
    )
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
        context = {} if op.user else {"allowed_company_ids": all_companies(env).ids}
        items = op.items(env) if op.items else None
    # the process after loading the registry: memory of a run is counted above this
    # (a warm run reuses memory the warm-up took, so its own growth reads as zero)
    idle = _memory()["VmRSS"]
    times, peaks, deltas = [], [], []
    for index in range(runs + 1):  # the first is the warm-up
        with registry.cursor() as cr:
            env = Environment(cr, uid, context)
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
        # what the rolled-back run inserted is dead rows now: autovacuum (off on these
        # machines, on in a real install) would clean them before long, so the next run
        # starts from the same tables instead of wading through the runs before it
        _vacuum_dead_rows(database)
        if index:
            times.append(elapsed)
            peaks.append(memory["VmHWM"])
            deltas.append(memory["VmHWM"] - idle)
    median = statistics.median(times)
    return {
        "name": name,
        "label": op.label,
        "runs": runs,
        "times": times,
        "median_s": median,
        "peak_rss_mb": max(peaks),
        "above_idle_mb": max(deltas),
        "items": items,
        "items_per_s": items / median if items and median else None,
    }


def run_child(database, name, runs, addons_path):
    cmd = [
        sys.executable,
        __file__,
        database,
        "--child",
        name,
        "--runs",
        str(runs),
        "--addons-path",
        addons_path,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        sys.stderr.write(proc.stderr[-3000:])
        return {
            "name": name,
            "label": getattr(OPERATIONS.get(name), "label", name),
            "error": (proc.stderr.strip().splitlines() or ["failed"])[-1],
        }
    return json.loads(lines[-1])


# ---------------------------------------------------------------------------------------
# parent: table, JSON, growth


def print_table(results, label):
    print(f"\n{label}")
    print(
        f"{'operation':58s} {'median':>10s} {'peak RSS':>9s} {'+RSS':>7s} {'items/s':>9s}"
    )
    for r in results:
        if "median_s" not in r:
            print(
                f"{r['label']:58s} {r.get('pending') or 'ERROR: ' + r.get('error', '')}"
            )
            continue
        rate = f"{r['items_per_s']:9.0f}" if r.get("items_per_s") else " " * 9
        print(
            f"{r['label']:58s} {r['median_s'] * 1000:8.1f}ms {r['peak_rss_mb']:7.0f}MB "
            f"{r['above_idle_mb']:5.0f}MB {rate}"
        )
    by_name = {r["name"]: r for r in results if "median_s" in r}
    for ours, theirs, text in RATIOS:
        if ours in by_name and theirs in by_name:
            print(
                f"  {text}: {by_name[theirs]['median_s'] / by_name[ours]['median_s']:.2f}x"
            )
    for ours, theirs, text in MEMORY_RATIOS:
        if (
            ours in by_name
            and theirs in by_name
            and by_name[theirs]["above_idle_mb"] > 0
        ):
            print(
                f"  {text}: {by_name[ours]['above_idle_mb']:.0f} MB / "
                f"{by_name[theirs]['above_idle_mb']:.0f} MB"
            )


# (a, b, text): b's median / a's median
RATIOS = [
    (
        "detection_overdue_first",
        "peer_credit_control",
        "OCA credit control run / our overdue detection first run (target >= 10x)",
    ),
    (
        "detection_first",
        "peer_credit_control",
        "OCA credit control run / our detection (all rules) first run",
    ),
    (
        "detection_overdue_first_teams",
        "peer_credit_control",
        "OCA credit control run / our overdue detection first run, with teams",
    ),
    ("sql_floor", "detection_rerun", "detection rerun / SQL floor"),
    (
        "sql_floor",
        "dashboard_all",
        "dashboard all companies / SQL floor (target <= 2x)",
    ),
    ("sql_floor", "dashboard_team", "dashboard one team / SQL floor"),
    ("sql_floor", "aging_today", "aging today / SQL floor"),
    ("sql_floor", "aging_year_ago", "aging a year ago / SQL floor (target <= 3x)"),
    (
        "aging_xlsx_summary",
        "peer_aged_partner",
        "OCA aged partner XLSX / our AR aging XLSX summary",
    ),
    (
        "aging_xlsx_detail",
        "peer_aged_partner_detail",
        "OCA aged partner XLSX with detail / our AR aging XLSX with detail (target >= 3x)",
    ),
    (
        "statement_html",
        "peer_outstanding_statement",
        "OCA outstanding statement / our statement (target > 1x)",
    ),
]
MEMORY_RATIOS = [
    (
        "aging_xlsx_detail",
        "peer_aged_partner_detail",
        "memory above idle, our AR aging XLSX detail / OCA's (target <= 1/3)",
    ),
]


def print_growth(paths):
    runs = [json.loads(Path(p).read_text()) for p in paths]
    print(
        f"{'operation':58s} "
        + " ".join(f"{r['label']:>10s}" for r in runs)
        + "  growth (time ratio from one size to the next; items ratio in brackets)"
    )
    names = [r["name"] for r in runs[0]["results"]]
    for name in names:
        rows = [next((x for x in r["results"] if x["name"] == name), {}) for r in runs]
        if not all("median_s" in x for x in rows):
            continue
        cells = " ".join(f"{x['median_s'] * 1000:8.0f}ms" for x in rows)
        growth = []
        for a, b, ra, rb in zip(rows, rows[1:], runs, runs[1:], strict=False):
            items = (
                f" [{rb['open_items'] / ra['open_items']:.2f}]"
                if ra.get("open_items")
                else ""
            )
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
    parser.add_argument(
        "--growth", nargs="+", metavar="JSON", help="compare earlier runs"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--addons-path", help=argparse.SUPPRESS)
    parser.add_argument("--list", action="store_true", help="list the operations")
    args = parser.parse_args()
    if args.list:
        for op in OPERATIONS.values():
            print(
                f"{op.name:26s} {op.label}" + (f"  (peer {op.peer})" if op.peer else "")
            )
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
    if any(OPERATIONS[n].peer for n in names) or (PEERS / "odoo" / "addons").is_dir():
        # once installed in the database, every process needs the peers on its path
        addons_path = install_peers(args.database, addons_path)
        if any(OPERATIONS[n].peer for n in names):
            run_child(args.database, "prepare_peers", 0, addons_path)
    open_count = int(
        _query(
            args.database,
            """
        SELECT COUNT(*) FROM account_move_line l JOIN account_account a ON a.id = l.account_id
         WHERE a.account_type = 'asset_receivable' AND l.parent_state = 'posted'
           AND NOT l.reconciled AND l.amount_residual != 0""",
        )[0]
    )
    invoices = int(
        _query(
            args.database,
            "SELECT COUNT(*) FROM account_move WHERE "
            "move_type = 'out_invoice' AND state = 'posted'",
        )[0]
    )
    label = args.label or args.database
    print(
        f"{args.database}: {invoices} posted invoices, {open_count} open items; "
        f"{args.runs} runs per operation",
        flush=True,
    )
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
        Path(args.json).write_text(
            json.dumps(
                {
                    "label": label,
                    "database": args.database,
                    "invoices": invoices,
                    "open_items": open_count,
                    "results": results,
                },
                indent=1,
                default=str,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
