"""Time and peak memory of the billing reports on a database: the AR aging XLSX (summary
and detail sheets) and a customer statement with many open items.

Usage (from the repository root, after ./dev bootstrap; the database has the module):

    source .cache/env.sh
    # AR aging XLSX as of today (or --date-at YYYY-MM-DD), all companies:
    "$VENV/bin/python" tools/bench_reports.py aging-xlsx bc_reports_bench
    # A customer with N open invoices (created once, "Statement Bench N"), its
    # statement rendered to PDF with wkhtmltopdf (--out keeps the file):
    "$VENV/bin/python" tools/bench_reports.py statement bc_reports_demo --items 500 --out /tmp/s.pdf

Each measurement runs in a child process of its own, so that its peak resident memory
(VmHWM of /proc/self/status) is the report's and not the harness's; the child also
reports its resident memory before the report (Odoo and the registry loaded).
"""

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta

from odoo.api import SUPERUSER_ID, Environment
from odoo.fields import Command
from odoo.modules.registry import Registry
from odoo.tools import config


def memory_kb(key):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def child_aging_xlsx(env, args):
    from openpyxl import load_workbook

    report = env["report.billing_coordinator.aging_xlsx"]
    timings = {}

    def timed(name, method):
        def wrapper(*a, **kw):
            start, cpu = time.perf_counter(), time.process_time()
            result = method(*a, **kw)
            timings[name] = time.perf_counter() - start
            timings[name[:-2] + "_cpu_s"] = time.process_time() - cpu
            return result
        return wrapper

    cls = type(report)
    cls._write_summary = timed("summary_sheet_s", cls._write_summary)
    cls._write_detail = timed("detail_sheet_s", cls._write_detail)
    wizard = env["billing.aging.report"].create({
        "date_at": args.date_at or date.today(),
        "company_ids": [Command.set(env["res.company"].search([]).ids)],
    })
    rss_before = memory_kb("VmRSS")
    start, cpu = time.perf_counter(), time.process_time()
    content, _fmt = env["ir.actions.report"]._render("billing_coordinator.aging_xlsx_action", wizard.ids)
    total, total_cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = memory_kb("VmHWM")
    book = load_workbook(io.BytesIO(content), read_only=True)
    rows = {sheet.title: sheet.max_row for sheet in book.worksheets}
    invoices = env["account.move"].search_count([("move_type", "=", "out_invoice"), ("state", "=", "posted")])
    return {
        "posted_customer_invoices": invoices, "sheet_rows": rows, "xlsx_bytes": len(content),
        "total_s": round(total, 2), "total_cpu_s": round(total_cpu, 2),
        **{k: round(v, 2) for k, v in timings.items()},
        "load_average": os.getloadavg()[0],
        "rss_before_mb": round(rss_before / 1024, 1), "peak_rss_mb": round(peak / 1024, 1),
    }


def ensure_statement_customer(env, items):
    name = f"Statement Bench {items}"
    partner = env["res.partner"].search([("name", "=", name)], limit=1)
    if partner:
        return partner
    partner = env["res.partner"].create({"name": name, "is_company": True, "email": "bench@example.com"})
    today = date.today()
    for start in range(0, items, 200):
        moves = env["account.move"].create([
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": today - timedelta(days=(i * 7) % 400),
                "invoice_date_due": today - timedelta(days=(i * 7) % 400) + timedelta(days=30),
                "invoice_line_ids": [Command.create({
                    "name": f"Service {i}", "quantity": 1, "price_unit": 10 + (i * 37) % 990, "tax_ids": False,
                })],
            }
            for i in range(start, min(start + 200, items))
        ])
        moves.action_post()
        env.cr.commit()
    return partner


def child_statement(env, args):
    partner = ensure_statement_customer(env, args.items)
    env.cr.commit()
    rss_before = memory_kb("VmRSS")
    start, cpu = time.perf_counter(), time.process_time()
    content, _fmt = env["ir.actions.report"]._render_qweb_pdf(
        "billing_coordinator.report_customer_statement_action", partner.ids,
        data={"date_at": date.today().isoformat()},
    )
    total, total_cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = memory_kb("VmHWM")
    if args.out:
        with open(args.out, "wb") as out:
            out.write(content)
    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(content)).pages) if content.startswith(b"%PDF") else 0
    return {
        "open_items": args.items, "pdf_bytes": len(content), "pdf_pages": pages,
        "render_s": round(total, 2), "odoo_cpu_s": round(total_cpu, 2),
        "load_average": os.getloadavg()[0], "rss_before_mb": round(rss_before / 1024, 1),
        "peak_rss_mb": round(peak / 1024, 1),
        # wkhtmltopdf is a child of this process: the largest child's peak.
        "wkhtmltopdf_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }


def run_child(args):
    config.parse_config(
        ["--addons-path", os.environ.get("ADDONS_PATH", ""), "-d", args.database, "--log-level=warn"]
    )
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = Environment(cr, SUPERUSER_ID, {})
        result = {"aging-xlsx": child_aging_xlsx, "statement": child_statement}[args.command](env, args)
        cr.rollback()
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["aging-xlsx", "statement"])
    parser.add_argument("database")
    parser.add_argument("--date-at", help="as-of date of the aging (default today)")
    parser.add_argument("--items", type=int, default=500, help="open items of the statement customer")
    parser.add_argument("--out", help="write the report here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run_child(args)
    child = subprocess.run(
        [sys.executable, __file__, *sys.argv[1:], "--child"], capture_output=True, text=True, check=False
    )
    if child.returncode:
        sys.stderr.write(child.stderr)
        sys.exit(child.returncode)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    for key, value in result.items():
        print(f"{key:28s} {value}")


if __name__ == "__main__":
    main()
