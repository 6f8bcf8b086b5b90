"""Time the duplicate_customer rule and the partner form's duplicate check on 100,000
companies (inserted with SQL and rolled back at the end: the database is unchanged).

Usage (from the repository root, on a database with billing_coordinator installed):

    source .cache/env.sh
    "$VENV/bin/python" -m odoo --addons-path="$ADDONS_PATH" shell -d DB --no-http \
        < tools/bench_duplicate_customer.py

Every 500th company shares its VAT number with the next one, every 700th its e-mail
domain and name; half of them get a posted invoice (only pairs with an invoiced customer
of the company are listed).
"""
import time
from odoo.tools import SQL
cr = env.cr
company = env.company
# 100,000 companies: every 500th shares a VAT with the next one, every 700th the
# e-mail domain and name; one posted invoice customer in 50 is enough to list the pair.
cr.execute("""
    INSERT INTO res_partner (name, vat, email, email_normalized, active, is_company, type, autopost_bills, create_date, write_date)
    SELECT 'Bench Co ' || (CASE WHEN g % 700 = 1 THEN g - 1 ELSE g END) || ' Ltd',
           CASE WHEN g % 500 IN (0, 1) THEN 'BE0' || (g / 2)::text ELSE 'XX' || g END,
           'ap@bench' || (CASE WHEN g % 700 = 1 THEN g - 1 ELSE g END) || '.example.com',
           'ap@bench' || (CASE WHEN g % 700 = 1 THEN g - 1 ELSE g END) || '.example.com',
           TRUE, TRUE, 'contact', 'ask', now(), now()
      FROM generate_series(1, 100000) g
""")
cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL")
env.invalidate_all()
Case = env["billing.case"]
cr.execute("INSERT INTO account_move (move_type, state, company_id, commercial_partner_id, partner_id, journal_id, currency_id, date, auto_post, create_date, write_date) SELECT 'out_invoice', 'posted', %s, id, id, (SELECT id FROM account_journal WHERE type = 'sale' AND company_id = %s LIMIT 1), %s, now(), 'no', now(), now() FROM res_partner WHERE name LIKE 'Bench Co %%' AND id %% 50 < 25", [company.id, company.id, company.currency_id.id])
for run in range(2):
    t = time.monotonic()
    rows = Case._detect_duplicate_customer(company)
    print(f"run {run + 1}: _detect_duplicate_customer on {company.name}: {len(rows)} findings in {time.monotonic() - t:.2f} s")
partner = env["res.partner"].new({"name": "Bench Co 700 Ltd", "email": "x@bench700.example.com", "vat": "BE0250"})
t = time.monotonic()
dups = partner.billing_duplicate_partner_ids
print(f"form check (one new partner against 100k): {len(dups)} duplicates in {time.monotonic() - t:.3f} s")
cr.rollback()
