"""Detection rule ``duplicate_customer``: pairs of customers that look like the same
one (same VAT number, same e-mail domain and name, or a shared bank account), found in
one set-based query. The case (type customer_data) is on the newer of the two."""

from odoo import api, fields, models
from odoo.tools import SQL


class BillingCase(models.Model):
    _inherit = "billing.case"

    detection_rule = fields.Selection(
        selection_add=[("duplicate_customer", "Duplicate Customer")],
        ondelete={"duplicate_customer": "set null"},
    )

    @api.model
    def _get_detection_rules(self):
        rules = super()._get_detection_rules()
        return self._insert_detection_rule(
            rules, "duplicate_customer", "_detect_duplicate_customer"
        )

    @api.model
    def _insert_detection_rule(self, rules, code, method):
        """``rules`` with ``code`` added before "overdue", which must stay last."""
        result = {key: value for key, value in rules.items() if key != "overdue"}
        result[code] = method
        if "overdue" in rules:
            result["overdue"] = rules["overdue"]
        return result

    @api.model
    def _get_detection_clear_reason(self, rule):
        if rule == "duplicate_customer":
            return self.env._(
                "the two customers no longer share a VAT number, an e-mail domain and name, "
                "or a bank account (merged, archived or corrected)."
            )
        return super()._get_detection_clear_reason(rule)

    @api.model
    def _detect_duplicate_customer(self, company):
        """Pairs of active commercial partners visible in ``company``, at least one of
        them with posted customer invoices in ``company``, with the same VAT number, the
        same e-mail domain and name, or a bank account with the same number."""
        Partner = self.env["res.partner"]
        Partner.flush_model(["name", "vat", "email_normalized", "active"])
        self.env["account.move"].flush_model(
            ["commercial_partner_id", "move_type", "state"]
        )
        self.env["res.partner.bank"].flush_model(
            ["sanitized_acc_number", "partner_id", "active"]
        )
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH partners AS MATERIALIZED (
                    SELECT id,
                           %(vat_key)s AS vat_key,
                           SPLIT_PART(COALESCE(email_normalized, ''), '@', 2) AS domain,
                           %(name_key)s AS name_key
                      FROM res_partner
                     WHERE active
                       AND id = commercial_partner_id
                       AND (company_id IS NULL OR company_id = %(company)s)
                ), groups AS (
                    -- One group per shared key (hash aggregates, no self-join).
                    SELECT 'vat' AS reason, ARRAY_AGG(id) AS ids
                      FROM partners
                     WHERE vat_key != ''
                     GROUP BY vat_key
                    HAVING COUNT(*) > 1
                    UNION ALL
                    SELECT 'name', ARRAY_AGG(id)
                      FROM partners
                     WHERE domain != '' AND name_key != ''
                     GROUP BY domain, name_key
                    HAVING COUNT(*) > 1
                    UNION ALL
                    SELECT 'iban', ARRAY_AGG(DISTINCT partners.id)
                      FROM res_partner_bank bank
                      JOIN res_partner holder ON holder.id = bank.partner_id
                      JOIN partners ON partners.id = holder.commercial_partner_id
                     WHERE bank.active AND COALESCE(bank.sanitized_acc_number, '') != ''
                     GROUP BY bank.sanitized_acc_number
                    HAVING COUNT(DISTINCT partners.id) > 1
                ), pairs AS (
                    SELECT a.id AS a_id, b.id AS b_id, groups.reason
                      FROM groups, UNNEST(groups.ids) a(id), UNNEST(groups.ids) b(id)
                     WHERE b.id > a.id
                ), customers AS (
                    SELECT DISTINCT commercial_partner_id AS id
                      FROM account_move
                     WHERE company_id = %(company)s
                       AND move_type IN ('out_invoice', 'out_refund')
                       AND state = 'posted'
                )
                SELECT pairs.a_id, pairs.b_id,
                       ARRAY_AGG(DISTINCT pairs.reason ORDER BY pairs.reason) AS reasons
                  FROM pairs
                 WHERE pairs.a_id IN (SELECT id FROM customers)
                    OR pairs.b_id IN (SELECT id FROM customers)
                 GROUP BY pairs.a_id, pairs.b_id
                 ORDER BY pairs.a_id, pairs.b_id
                """,
                vat_key=Partner._billing_vat_key_sql(SQL("vat")),
                name_key=Partner._billing_name_key_sql(SQL("name")),
                company=company.id,
            )
        )
        # Pairs whose open case saw the same reasons are unchanged: no text for them.
        open_fingerprints = self._get_detection_open_fingerprints(
            company, "duplicate_customer"
        )
        findings, changed = [], []
        for row in rows:
            key = self._detection_key("res.partner", [row["a_id"], row["b_id"]])
            if open_fingerprints.get(key) == "|".join(row["reasons"]):
                findings.append(
                    self._new_unchanged_detection_finding("duplicate_customer", key)
                )
            else:
                changed.append(row)
        names = dict(
            (partner.id, partner.display_name)
            for partner in Partner.browse(
                {r["a_id"] for r in changed} | {r["b_id"] for r in changed}
            )
        )
        currency = company.currency_id
        for row in changed:
            reasons = row["reasons"]
            labels = Partner._billing_duplicate_reason_labels(
                "vat" in reasons, "name" in reasons, "iban" in reasons
            )
            findings.append(
                self._new_detection_finding(
                    "duplicate_customer",
                    self._detection_key("res.partner", [row["a_id"], row["b_id"]]),
                    row["b_id"],
                    currency,
                    description=self._detection_html(
                        self.env._(
                            "%(new)s looks like a duplicate of the existing customer "
                            "%(existing)s: %(reasons)s. Merge them or correct the data.",
                            new=names[row["b_id"]],
                            existing=names[row["a_id"]],
                            reasons=", ".join(labels),
                        )
                    ),
                    fingerprint="|".join(reasons),
                    case_code="customer_data",
                )
            )
        return findings
