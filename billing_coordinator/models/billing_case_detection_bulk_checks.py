"""Automatic detection of billing discrepancies: the constraints and the company check
of the cases a first run creates in bulk, set-wise.

``create()`` runs the constraints of the case for each case (reading each linked
invoice and payment through the ORM) and the company check of each linked record. Here
the constraints of billing_case.py are one SQL query each over the new rows, while
they are still this module's (a module overriding one gets it run by the ORM); the
ORM's method runs only when the query finds a violation, to raise its own error. Any
other constraint runs as the ORM runs it.
"""

from odoo import api, models
from odoo.tools import SQL

from .billing_case_detection_bulk_values import _MODULE

# the constraints of billing_case.py checked by one query (_bulk_find_violation)
BULK_CHECKS = ("_check_amounts", "_check_moves", "_check_payments")


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _bulk_validate_cases(self, cases, fnames):
        """As ``cases._validate_fields(fnames)``, with the constraints of BULK_CHECKS
        checked by one query each."""
        fnames = set(fnames)
        records = cases.sudo()  # as the ORM runs constraints
        for check in self._constraint_methods:
            if fnames.isdisjoint(check._constrains):
                continue
            name = check.__name__
            if (
                name in BULK_CHECKS
                and check.__module__ == _MODULE + "billing_case"
                and not self._bulk_find_violation(name, cases.ids)
            ):
                continue
            check(records)

    @api.model
    def _bulk_find_violation(self, check, ids):
        """Whether a case of ``ids`` violates the constraint ``check``."""
        if check == "_check_amounts":
            query = SQL(
                "SELECT 1 FROM billing_case WHERE id = ANY(%s)"
                " AND (expected_amount < 0 OR actual_amount < 0) LIMIT 1",
                ids,
            )
        elif check == "_check_moves":
            self.env["account.move"].flush_model(
                ["move_type", "commercial_partner_id", "company_id", "currency_id"]
            )
            query = SQL(
                """
                SELECT 1
                  FROM billing_case_account_move_rel rel
                  JOIN billing_case bc ON bc.id = rel.case_id
                  JOIN account_move am ON am.id = rel.move_id
                 WHERE rel.case_id = ANY(%s)
                   AND (am.move_type NOT IN ('out_invoice', 'out_refund')
                        OR am.commercial_partner_id IS DISTINCT FROM bc.partner_id
                        OR am.company_id IS DISTINCT FROM bc.company_id
                        OR am.currency_id IS DISTINCT FROM bc.currency_id)
                 LIMIT 1
                """,
                ids,
            )
        else:
            self.env["account.payment"].flush_model(["partner_id", "company_id"])
            self.env["res.partner"].flush_model(["commercial_partner_id"])
            query = SQL(
                """
                SELECT 1
                  FROM billing_case_account_payment_rel rel
                  JOIN billing_case bc ON bc.id = rel.case_id
                  JOIN account_payment pay ON pay.id = rel.payment_id
                  LEFT JOIN res_partner rp ON rp.id = pay.partner_id
                 WHERE rel.case_id = ANY(%s)
                   AND (rp.commercial_partner_id IS DISTINCT FROM bc.partner_id
                        OR pay.company_id IS DISTINCT FROM bc.company_id)
                 LIMIT 1
                """,
                ids,
            )
        return bool(self.env.execute_query(query))

    @api.model
    def _bulk_check_company(self, cases, rows):
        """As ``cases._check_company()``: the many2one values of ``rows`` (the values
        inserted) checked once per distinct (field, company, record); the other
        checked fields (e.g. computed after the INSERT) through the ORM."""
        checked = [
            field
            for field in self._fields.values()
            if field.relational and field.check_company
        ]
        if any(field.company_dependent for field in checked):
            return cases._check_company()
        from_rows = [
            field
            for field in checked
            if field.type == "many2one" and all(field.name in row for row in rows)
        ]
        Company = self.env["res.company"]
        # the linked records per field and company, checked together: the company
        # domain depends on the model and the company only
        linked = {}
        for field in from_rows:
            for row in rows:
                if row[field.name]:
                    linked.setdefault((field, row["company_id"]), set()).add(
                        row[field.name]
                    )
        pairs = {
            (
                field.name,
                Company.browse(company_id),
                self.env[field.comodel_name].browse(sorted(record_ids)),
            )
            for (field, company_id), record_ids in linked.items()
        }
        if not self._check_company_pairs(pairs):
            cases._check_company([field.name for field in from_rows])  # raises
        others = [field.name for field in checked if field not in from_rows]
        if others:
            cases._check_company(others)
        return None
