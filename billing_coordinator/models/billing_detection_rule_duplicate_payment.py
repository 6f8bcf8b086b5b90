"""Detection rule "duplicate_payment": the same payment received twice."""

from functools import partial

from odoo import api, fields, models
from odoo.tools import SQL


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _detect_duplicate_payment(self, company):
        """Two or more posted customer payments of the same customer, amount and currency
        within the duplicate window, with the same memo when both have one, and not all
        of them applied (a refunded or applied duplicate is no longer a case)."""
        rule = self._get_detection_rule_config(company, "duplicate_payment")
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH payments AS (
                    SELECT pay.id, pay.name, pay.date, pay.amount, pay.currency_id,
                           partner.commercial_partner_id AS partner_id,
                           LOWER(COALESCE(NULLIF(TRIM(pay.memo), ''),
                                          NULLIF(TRIM(pay.payment_reference), ''))) AS reference,
                           CASE WHEN pay.move_id IS NULL
                                THEN EXISTS (SELECT 1 FROM account_move__account_payment rel
                                              WHERE rel.payment_id = pay.id)
                                ELSE COALESCE(pay.is_reconciled, FALSE)
                           END AS applied
                      FROM account_payment pay
                      JOIN res_partner partner ON partner.id = pay.partner_id
                     WHERE pay.company_id = %(company)s
                       AND pay.payment_type = 'inbound'
                       AND pay.partner_type = 'customer'
                       AND pay.state IN ('in_process', 'paid')
                       AND pay.amount > 0
                )
                SELECT p1.id AS id1, p2.id AS id2, p1.partner_id, p1.currency_id, p1.amount
                  FROM payments p1
                  JOIN payments p2 ON p2.partner_id = p1.partner_id
                                  AND p2.currency_id = p1.currency_id
                                  AND p2.amount = p1.amount
                                  AND p2.id > p1.id
                                  AND ABS(p2.date - p1.date) <= %(days)s
                                  AND (p1.reference IS NULL OR p2.reference IS NULL
                                       OR p1.reference = p2.reference)
                 WHERE NOT (p1.applied AND p2.applied)
                 ORDER BY p1.id, p2.id
                """,
                company=company.id,
                days=rule.duplicate_payment_days,
            )
        )
        # Group the pairs into clusters (three payments of the same amount are one case).
        parent = {}

        def find(payment_id):
            while parent.setdefault(payment_id, payment_id) != payment_id:
                payment_id = parent[payment_id]
            return payment_id

        info = {}
        for row in rows:
            parent[find(row["id2"])] = find(row["id1"])
            info[row["id1"]] = info[row["id2"]] = row
        clusters = {}
        for payment_id in parent:
            clusters.setdefault(find(payment_id), []).append(payment_id)

        Payment = self.env["account.payment"]
        Currency = self.env["res.currency"]

        # The payments of every cluster are read together when the first text is built.
        prefetch_ids = list(parent)

        def describe(row, currency, payment_ids):
            payments = Payment.browse(sorted(payment_ids)).with_prefetch(prefetch_ids)
            return self._detection_html(
                self.env._(
                    "%(count)s payments of %(amount)s each from the same customer within "
                    "%(days)s days:",
                    count=len(payment_ids),
                    amount=self._detection_amount(row["amount"], currency),
                    days=rule.duplicate_payment_days,
                ),
                [
                    f"{payment.name} ({fields.Date.to_string(payment.date)})"
                    + (f" {payment.memo}" if payment.memo else "")
                    for payment in payments
                ],
            )

        unchanged = self._detection_unchanged_check(company, "duplicate_payment")
        findings = []
        for payment_ids in clusters.values():
            row = info[payment_ids[0]]
            currency = Currency.browse(row["currency_id"])
            key = self._detection_key("account.payment", payment_ids)
            if unchanged(
                key, currency, row["amount"], row["amount"] * len(payment_ids)
            ):
                findings.append(
                    self._new_unchanged_detection_finding("duplicate_payment", key)
                )
                continue
            findings.append(
                self._new_detection_finding(
                    "duplicate_payment",
                    key,
                    row["partner_id"],
                    currency,
                    expected=row["amount"],
                    actual=row["amount"] * len(payment_ids),
                    payments=payment_ids,
                    description=partial(describe, row, currency, payment_ids),
                )
            )
        return findings
