"""19.0.1.1.0: detection thresholds move from the company to billing.detection.rule.

The former res.company columns are still in the database (Odoo does not drop the
columns of removed fields); copy each company's values to its rule records.
"""

from odoo.api import SUPERUSER_ID, Environment
from odoo.tools import SQL

# former res.company column -> (rule codes, billing.detection.rule field)
MOVED = {
    "billing_tolerance_amount": (
        ("overpayment", "short_payment", "overcharge", "undercharge", "overdue"),
        "tolerance_amount",
    ),
    "billing_tolerance_percent": (
        ("overpayment", "short_payment", "overcharge", "undercharge", "overdue"),
        "tolerance_percent",
    ),
    "billing_short_payment_share": (("short_payment",), "short_payment_share"),
    "billing_duplicate_payment_days": (
        ("duplicate_payment",),
        "duplicate_payment_days",
    ),
    "billing_unapplied_payment_days": (
        ("unapplied_payment",),
        "unapplied_payment_days",
    ),
    "billing_overdue_days": (("overdue",), "overdue_days"),
    "billing_price_deviation_percent": (
        ("overcharge", "undercharge"),
        "price_deviation_percent",
    ),
    "billing_price_check_days": (("overcharge", "undercharge"), "price_check_days"),
    "billing_require_payment_terms": (("customer_data",), "require_payment_terms"),
}


def migrate(cr, version):
    cr.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'res_company' AND column_name IN %s",
        [tuple(MOVED)],
    )
    columns = [row[0] for row in cr.fetchall()]
    if not columns:
        return
    env = Environment(cr, SUPERUSER_ID, {})
    rules = env["billing.detection.rule"]._ensure_rules()
    cr.execute(
        SQL(
            "SELECT id, %s FROM res_company",
            SQL(", ").join(SQL.identifier(column) for column in columns),
        )
    )
    for company_id, *values in cr.fetchall():
        company_rules = rules.filtered(lambda rule: rule.company_id.id == company_id)
        for column, value in zip(columns, values, strict=False):
            if value is None:
                continue
            codes, field_name = MOVED[column]
            company_rules.filtered(lambda rule: rule.code in codes).write(
                {field_name: value}
            )
