"""Detection rule "unapplied_payment": a payment matched with nothing."""

from datetime import timedelta
from functools import partial

from odoo import api, fields, models
from odoo.tools import SQL


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _detect_unapplied_payment(self, company):
        """A posted customer payment older than the unapplied window and not reconciled
        with anything (partly applied payments are the overpayment rule's business)."""
        rule = self._get_detection_rule_config(company, "unapplied_payment")
        limit = fields.Date.context_today(self) - timedelta(
            days=rule.unapplied_payment_days
        )
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT pay.id, pay.name, pay.date, pay.amount, pay.currency_id,
                       partner.commercial_partner_id AS partner_id
                  FROM account_payment pay
                  JOIN res_partner partner ON partner.id = pay.partner_id
                  JOIN account_account destination ON destination.id = pay.destination_account_id
                 WHERE pay.company_id = %(company)s
                   AND pay.payment_type = 'inbound'
                   AND pay.partner_type = 'customer'
                   AND pay.state IN ('in_process', 'paid')
                   AND pay.amount > 0
                   AND pay.date < %(limit)s
                   AND destination.account_type = 'asset_receivable'
                   -- no journal entry: applied when linked to an invoice
                   AND NOT EXISTS (
                       SELECT 1 FROM account_move__account_payment rel
                        WHERE pay.move_id IS NULL
                          AND rel.payment_id = pay.id)
                   -- else: its receivable line is reconciled with nothing, even in part
                   -- (anti-joins, not a subquery per payment: see the overdue rule)
                   AND NOT EXISTS (
                       SELECT 1
                         FROM account_move_line aml
                        WHERE aml.move_id = pay.move_id
                          AND aml.account_id = pay.destination_account_id
                          AND aml.amount_residual = 0)
                   AND NOT EXISTS (
                       SELECT 1
                         FROM account_move_line aml
                         JOIN account_partial_reconcile apr ON apr.credit_move_id = aml.id
                        WHERE aml.move_id = pay.move_id
                          AND aml.account_id = pay.destination_account_id)
                   AND NOT EXISTS (
                       SELECT 1
                         FROM account_move_line aml
                         JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                        WHERE aml.move_id = pay.move_id
                          AND aml.account_id = pay.destination_account_id)
                 ORDER BY pay.id
                """,
                company=company.id,
                limit=limit,
            )
        )
        Currency = self.env["res.currency"]

        def describe(row, currency):
            return self._detection_html(
                self.env._(
                    "Payment %(payment)s of %(amount)s received on %(date)s is not matched "
                    "with any invoice after more than %(days)s days.",
                    payment=row["name"],
                    amount=self._detection_amount(row["amount"], currency),
                    date=fields.Date.to_string(row["date"]),
                    days=rule.unapplied_payment_days,
                )
            )

        unchanged = self._detection_unchanged_check(company, "unapplied_payment")
        findings = []
        for row in rows:
            currency = Currency.browse(row["currency_id"])
            key = self._detection_key("account.payment", row["id"])
            if unchanged(key, currency, 0.0, row["amount"]):
                findings.append(
                    self._new_unchanged_detection_finding("unapplied_payment", key)
                )
                continue
            findings.append(
                self._new_detection_finding(
                    "unapplied_payment",
                    key,
                    row["partner_id"],
                    currency,
                    expected=0.0,
                    actual=row["amount"],
                    payments=[row["id"]],
                    description=partial(describe, row, currency),
                )
            )
        return findings
