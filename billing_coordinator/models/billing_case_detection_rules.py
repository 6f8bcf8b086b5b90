"""Automatic detection of billing discrepancies: the rules.

One method per rule, registered in ``billing.case._get_detection_rules``. Each takes a
company and returns findings (``_new_detection_finding``); each reads the accounting
data of the whole company in one or two SQL queries, never one query per invoice.
Thresholds come from the company (Settings > Billing > Discrepancy Detection).
"""

from datetime import timedelta

import stdnum.util
from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, formatLang

from .billing_case import OPEN_STATES

# VAT prefixes that are not ISO country codes.
VAT_PREFIX_COUNTRY = {"EL": "GR", "XI": "GB"}


class BillingCase(models.Model):
    _inherit = "billing.case"

    # ---------------------------------------------------------------- helpers

    @api.model
    def _detection_key(self, model, ids):
        """``"account.move,42"``; several records are joined with ``+`` in id order."""
        if isinstance(ids, int):
            ids = [ids]
        return "+".join(f"{model},{record_id}" for record_id in sorted(ids))

    @api.model
    def _detection_html(self, text, items=()):
        body = Markup("<p>%s</p>") % text
        if items:
            body += Markup("<ul>%s</ul>") % Markup().join(
                Markup("<li>%s</li>") % item for item in items
            )
        return body

    @api.model
    def _detection_amount(self, amount, currency):
        return formatLang(self.env, float(amount), currency_obj=currency)

    @api.model
    def _detection_tolerance_sql(self, company, amount_sql):
        """SQL: the tolerance for a company-currency ``amount_sql``: the larger of the
        tolerance amount and the tolerance share of the amount."""
        return SQL(
            "GREATEST(%s, ABS(%s) * %s / 100)",
            company.billing_tolerance_amount,
            amount_sql,
            company.billing_tolerance_percent,
        )

    @api.model
    def _detection_invoice_payments_sql(self, move_alias):
        """SQL: the ids of the customer's payments applied to the invoice ``move_alias``
        (reconciled with it, or linked to it when the payment has no journal entry)."""
        move = SQL.identifier(move_alias)
        return SQL(
            """ARRAY(
                SELECT pay.id
                  FROM account_move_line inv_line
                  JOIN account_partial_reconcile apr ON apr.debit_move_id = inv_line.id
                  JOIN account_move_line pay_line ON pay_line.id = apr.credit_move_id
                  JOIN account_payment pay ON pay.move_id = pay_line.move_id
                  JOIN res_partner pay_partner ON pay_partner.id = pay.partner_id
                 WHERE inv_line.move_id = %(move)s.id
                   AND pay_partner.commercial_partner_id = %(move)s.commercial_partner_id
                 UNION
                SELECT pay.id
                  FROM account_move__account_payment rel
                  JOIN account_payment pay ON pay.id = rel.payment_id
                  JOIN res_partner pay_partner ON pay_partner.id = pay.partner_id
                 WHERE rel.invoice_id = %(move)s.id
                   AND pay.state IN ('in_process', 'paid')
                   AND pay_partner.commercial_partner_id = %(move)s.commercial_partner_id
            )""",
            move=move,
        )

    # ------------------------------------------------------------------ rules

    @api.model
    def _detect_overpayment(self, company):
        """A customer whose unapplied payments exceed what it owes (net of its open
        credit notes): a credit balance above the tolerance. Company currency."""
        currency = company.currency_id
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH open_lines AS (
                    SELECT partner.commercial_partner_id AS partner_id,
                           aml.amount_residual AS residual,
                           aml.balance,
                           (move.origin_payment_id IS NOT NULL
                            OR move.statement_line_id IS NOT NULL) AS from_payment,
                           move.origin_payment_id AS payment_id
                      FROM account_move_line aml
                      JOIN account_account account ON account.id = aml.account_id
                      JOIN account_move move ON move.id = aml.move_id
                      JOIN res_partner partner ON partner.id = aml.partner_id
                     WHERE aml.company_id = %(company)s
                       AND account.account_type = 'asset_receivable'
                       AND aml.parent_state = 'posted'
                       AND NOT aml.reconciled
                       AND aml.amount_residual != 0
                ), balances AS (
                    SELECT partner_id,
                           COALESCE(SUM(residual) FILTER (WHERE residual > 0), 0) AS owed,
                           COALESCE(-SUM(residual)
                                    FILTER (WHERE residual < 0 AND NOT from_payment), 0)
                               AS other_credit,
                           COALESCE(-SUM(residual) FILTER (WHERE residual < 0 AND from_payment), 0)
                               AS paid_credit,
                           COALESCE(-SUM(balance) FILTER (WHERE residual < 0 AND from_payment), 0)
                               AS paid_total,
                           ARRAY_AGG(DISTINCT payment_id)
                               FILTER (WHERE residual < 0 AND payment_id IS NOT NULL) AS payment_ids
                      FROM open_lines
                     GROUP BY partner_id
                )
                SELECT partner_id, paid_credit, payment_ids,
                       GREATEST(owed - other_credit, 0) AS net_owed
                  FROM balances
                 WHERE paid_credit - GREATEST(owed - other_credit, 0) > %(tolerance)s
                 ORDER BY partner_id
                """,
                company=company.id,
                # The tolerance share applies to the payments that left the credit.
                tolerance=self._detection_tolerance_sql(company, SQL("paid_total")),
            )
        )
        findings = []
        for row in rows:
            credit = row["paid_credit"] - row["net_owed"]
            findings.append(
                self._new_detection_finding(
                    "overpayment",
                    self._detection_key("res.partner", row["partner_id"]),
                    row["partner_id"],
                    currency,
                    expected=row["net_owed"],
                    actual=row["paid_credit"],
                    payments=row["payment_ids"] or (),
                    description=self._detection_html(
                        self.env._(
                            "The customer paid %(paid)s that is not applied to any invoice, while "
                            "it owes %(owed)s: a credit balance of %(credit)s.",
                            paid=self._detection_amount(row["paid_credit"], currency),
                            owed=self._detection_amount(row["net_owed"], currency),
                            credit=self._detection_amount(credit, currency),
                        )
                    ),
                )
            )
        return findings

    @api.model
    def _detect_short_payment(self, company):
        """An invoice paid in part whose open remainder is below the short payment share
        of its total and above the tolerance: a probable deduction. Invoice currency."""
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT am.id, am.name, am.commercial_partner_id AS partner_id, am.currency_id,
                       am.amount_total, am.amount_residual, %(payments)s AS payment_ids
                  FROM account_move am
                 WHERE am.company_id = %(company)s
                   AND am.move_type = 'out_invoice'
                   AND am.state = 'posted'
                   AND am.payment_state = 'partial'
                   AND am.amount_residual > 0
                   AND am.amount_residual < am.amount_total * %(share)s / 100
                   AND ABS(am.amount_residual_signed) > %(tolerance)s
                 ORDER BY am.id
                """,
                payments=self._detection_invoice_payments_sql("am"),
                company=company.id,
                share=company.billing_short_payment_share,
                tolerance=self._detection_tolerance_sql(company, SQL("am.amount_total_signed")),
            )
        )
        Currency = self.env["res.currency"]
        findings = []
        for row in rows:
            currency = Currency.browse(row["currency_id"])
            total, residual = row["amount_total"], row["amount_residual"]
            findings.append(
                self._new_open_invoice_finding(
                    "short_payment",
                    row,
                    currency,
                    self.env._(
                        "Invoice %(invoice)s of %(total)s was paid %(paid)s; %(open)s "
                        "(%(share)s%%) is still open: a probable deduction.",
                        invoice=row["name"],
                        total=self._detection_amount(total, currency),
                        paid=self._detection_amount(total - residual, currency),
                        open=self._detection_amount(residual, currency),
                        share=f"{residual * 100 / total:.1f}",
                    ),
                )
            )
        return findings

    @api.model
    def _new_open_invoice_finding(self, rule, row, currency, description):
        """A finding on one invoice with an open residual: expected is its total,
        actual what was paid of it. ``row`` comes from an invoice query with id, partner_id,
        amount_total, amount_residual and payment_ids."""
        total = row["amount_total"]
        return self._new_detection_finding(
            rule,
            self._detection_key("account.move", row["id"]),
            row["partner_id"],
            currency,
            expected=total,
            actual=total - row["amount_residual"],
            moves=[row["id"]],
            payments=row["payment_ids"],
            description=self._detection_html(description),
        )

    @api.model
    def _detect_duplicate_payment(self, company):
        """Two or more posted customer payments of the same customer, amount and currency
        within the duplicate window, with the same memo when both have one, and not all
        of them applied (a refunded or applied duplicate is no longer a case)."""
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
                days=company.billing_duplicate_payment_days,
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
        findings = []
        for payment_ids in clusters.values():
            row = info[payment_ids[0]]
            currency = Currency.browse(row["currency_id"])
            payments = Payment.browse(sorted(payment_ids))
            findings.append(
                self._new_detection_finding(
                    "duplicate_payment",
                    self._detection_key("account.payment", payment_ids),
                    row["partner_id"],
                    currency,
                    expected=row["amount"],
                    actual=row["amount"] * len(payment_ids),
                    payments=payment_ids,
                    description=self._detection_html(
                        self.env._(
                            "%(count)s payments of %(amount)s each from the same customer within "
                            "%(days)s days:",
                            count=len(payment_ids),
                            amount=self._detection_amount(row["amount"], currency),
                            days=company.billing_duplicate_payment_days,
                        ),
                        [
                            f"{payment.name} ({fields.Date.to_string(payment.date)})"
                            + (f" {payment.memo}" if payment.memo else "")
                            for payment in payments
                        ],
                    ),
                )
            )
        return findings

    @api.model
    def _detect_unapplied_payment(self, company):
        """A posted customer payment older than the unapplied window and not reconciled
        with anything (partly applied payments are the overpayment rule's business)."""
        limit = fields.Date.context_today(self) - timedelta(
            days=company.billing_unapplied_payment_days
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
                   AND CASE
                       -- no journal entry: applied when linked to an invoice
                       WHEN pay.move_id IS NULL THEN NOT EXISTS (
                           SELECT 1 FROM account_move__account_payment rel
                            WHERE rel.payment_id = pay.id)
                       -- else: its receivable line is reconciled with nothing, even in part
                       ELSE NOT EXISTS (
                           SELECT 1
                             FROM account_move_line aml
                            WHERE aml.move_id = pay.move_id
                              AND aml.account_id = pay.destination_account_id
                              AND (aml.amount_residual = 0
                                   OR EXISTS (SELECT 1 FROM account_partial_reconcile apr
                                               WHERE apr.credit_move_id = aml.id)
                                   OR EXISTS (SELECT 1 FROM account_partial_reconcile apr
                                               WHERE apr.debit_move_id = aml.id)))
                       END
                 ORDER BY pay.id
                """,
                company=company.id,
                limit=limit,
            )
        )
        Currency = self.env["res.currency"]
        findings = []
        for row in rows:
            currency = Currency.browse(row["currency_id"])
            findings.append(
                self._new_detection_finding(
                    "unapplied_payment",
                    self._detection_key("account.payment", row["id"]),
                    row["partner_id"],
                    currency,
                    expected=0.0,
                    actual=row["amount"],
                    payments=[row["id"]],
                    description=self._detection_html(
                        self.env._(
                            "Payment %(payment)s of %(amount)s received on %(date)s is not matched "
                            "with any invoice after more than %(days)s days.",
                            payment=row["name"],
                            amount=self._detection_amount(row["amount"], currency),
                            date=fields.Date.to_string(row["date"]),
                            days=company.billing_unapplied_payment_days,
                        )
                    ),
                )
            )
        return findings

    @api.model
    def _detect_overdue(self, company):
        """A posted customer invoice past its due date by more than the overdue days,
        with an open residual above the tolerance, that no open case covers yet."""
        limit = fields.Date.context_today(self) - timedelta(days=company.billing_overdue_days)
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT am.id, am.name, am.commercial_partner_id AS partner_id, am.currency_id,
                       am.amount_total, am.amount_residual, am.invoice_date_due,
                       %(payments)s AS payment_ids
                  FROM account_move am
                 WHERE am.company_id = %(company)s
                   AND am.move_type = 'out_invoice'
                   AND am.state = 'posted'
                   AND am.payment_state IN ('not_paid', 'partial')
                   AND am.amount_residual > 0
                   AND am.invoice_date_due < %(limit)s
                   AND ABS(am.amount_residual_signed) > %(tolerance)s
                   AND (
                       -- its own overdue case keeps it found, whatever else covers it since
                       EXISTS (
                           SELECT 1 FROM billing_case bc
                            WHERE bc.company_id = am.company_id
                              AND bc.detection_rule = 'overdue'
                              AND bc.detection_key = 'account.move,' || am.id
                              AND bc.state IN %(open_states)s)
                       OR NOT EXISTS (
                           SELECT 1
                             FROM billing_case_account_move_rel rel
                             JOIN billing_case bc ON bc.id = rel.case_id
                            WHERE rel.move_id = am.id
                              AND bc.state IN %(open_states)s)
                   )
                 ORDER BY am.id
                """,
                payments=self._detection_invoice_payments_sql("am"),
                company=company.id,
                limit=limit,
                tolerance=self._detection_tolerance_sql(company, SQL("am.amount_total_signed")),
                open_states=OPEN_STATES,
            )
        )
        Currency = self.env["res.currency"]
        today = fields.Date.context_today(self)
        findings = []
        for row in rows:
            currency = Currency.browse(row["currency_id"])
            findings.append(
                self._new_open_invoice_finding(
                    "overdue",
                    row,
                    currency,
                    self.env._(
                        "Invoice %(invoice)s was due on %(due)s (%(days)s days ago); "
                        "%(open)s of %(total)s is still open.",
                        invoice=row["name"],
                        due=fields.Date.to_string(row["invoice_date_due"]),
                        days=(today - row["invoice_date_due"]).days,
                        open=self._detection_amount(row["amount_residual"], currency),
                        total=self._detection_amount(row["amount_total"], currency),
                    ),
                )
            )
        return findings

    @api.model
    def _detect_overcharge(self, company):
        """Invoice lines priced above the reference price by more than the deviation."""
        return self._detect_price_deviation(company, "overcharge")

    @api.model
    def _detect_undercharge(self, company):
        """Invoice lines priced below the reference price by more than the deviation."""
        return self._detect_price_deviation(company, "undercharge")

    @api.model
    def _get_detection_shared_price_rate(self, company):
        """Rate from the currency of prices of products shared between companies (the
        main company's) to ``company``'s currency."""
        main_currency = self.env["res.company"]._get_main_company().currency_id
        return self.env["res.currency"]._get_conversion_rate(
            main_currency, company.currency_id, company, fields.Date.context_today(self)
        )

    @api.model
    def _detection_reference_price_sql(self, company):
        """SQL: the reference unit price, in company currency and in the unit of the
        invoice line ``aml``, of its product ``pp``/``pt``. The sale bridge may override
        this to use the customer's pricelist."""
        return SQL(
            """(
                pt.list_price
                    * COALESCE(line_uom.factor / NULLIF(product_uom.factor, 0), 1)::numeric
                + COALESCE((
                    SELECT SUM(ptav.price_extra)
                      FROM product_variant_combination pvc
                      JOIN product_template_attribute_value ptav
                        ON ptav.id = pvc.product_template_attribute_value_id
                     WHERE pvc.product_product_id = pp.id), 0)
            ) * (CASE WHEN pt.company_id IS NULL THEN %s ELSE 1 END)::numeric""",
            self._get_detection_shared_price_rate(company),
        )

    @api.model
    def _detect_price_deviation(self, company, rule):
        """Lines of posted customer invoices whose unit price after discount, in company
        currency, deviates from the reference price by more than the company's deviation
        percentage and tolerance; one finding per invoice, amounts in invoice currency."""
        direction = SQL(">") if rule == "overcharge" else SQL("<")
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH priced AS (
                    SELECT aml.id, aml.move_id, move.name AS move_name,
                           move.commercial_partner_id AS partner_id, move.currency_id,
                           COALESCE(NULLIF(move.invoice_currency_rate, 0), 1) AS rate,
                           aml.quantity, -aml.balance AS actual_company,
                           aml.price_subtotal AS actual_currency,
                           %(reference)s AS reference_unit
                      FROM account_move_line aml
                      JOIN account_move move ON move.id = aml.move_id
                      JOIN product_product pp ON pp.id = aml.product_id
                      JOIN product_template pt ON pt.id = pp.product_tmpl_id
                      LEFT JOIN uom_uom line_uom ON line_uom.id = aml.product_uom_id
                      LEFT JOIN uom_uom product_uom ON product_uom.id = pt.uom_id
                     WHERE aml.company_id = %(company)s
                       AND move.move_type = 'out_invoice'
                       AND aml.parent_state = 'posted'
                       AND aml.display_type = 'product'
                       AND aml.quantity > 0
                       -- Recent invoices only (a later price change must not flag old
                       -- ones), plus those of open cases of this rule, which must not
                       -- look cleared when they age out of the window.
                       AND (move.invoice_date >= %(since)s OR move.id IN (
                            SELECT rel.move_id
                              FROM billing_case_account_move_rel rel
                              JOIN billing_case bc ON bc.id = rel.case_id
                             WHERE bc.company_id = %(company)s
                               AND bc.detection_rule = %(rule)s
                               AND bc.state IN %(open_states)s))
                ), deviating AS (
                    SELECT *, reference_unit * quantity AS expected_company
                      FROM priced
                     WHERE reference_unit > 0
                       AND actual_company %(direction)s reference_unit * quantity
                       AND ABS(actual_company / quantity - reference_unit)
                           > reference_unit * %(deviation)s / 100
                       AND ABS(actual_company - reference_unit * quantity) > %(tolerance)s
                )
                SELECT move_id, move_name, partner_id, currency_id,
                       SUM(expected_company * rate) AS expected,
                       SUM(actual_currency) AS actual,
                       JSON_AGG(JSON_BUILD_OBJECT(
                           'line', id,
                           'unit', actual_company / quantity,
                           'reference', reference_unit) ORDER BY id) AS lines
                  FROM deviating
                 GROUP BY move_id, move_name, partner_id, currency_id
                 ORDER BY move_id
                """,
                reference=self._detection_reference_price_sql(company),
                company=company.id,
                direction=direction,
                since=fields.Date.context_today(self)
                - timedelta(days=company.billing_price_check_days),
                rule=rule,
                open_states=OPEN_STATES,
                deviation=company.billing_price_deviation_percent,
                tolerance=self._detection_tolerance_sql(company, SQL("reference_unit * quantity")),
            )
        )
        Currency = self.env["res.currency"]
        # One batched read for the product names of every deviating line.
        product_names = {
            line.id: line.product_id.display_name
            for line in self.env["account.move.line"].browse(
                [line["line"] for row in rows for line in row["lines"]]
            )
        }
        company_currency = company.currency_id
        findings = []
        for row in rows:
            currency = Currency.browse(row["currency_id"])
            items = [
                self.env._(
                    "%(product)s: %(price)s per unit instead of %(reference)s",
                    product=product_names[line["line"]],
                    price=self._detection_amount(line["unit"], company_currency),
                    reference=self._detection_amount(line["reference"], company_currency),
                )
                for line in row["lines"]
            ]
            text = (
                self.env._(
                    "Invoice %(invoice)s bills more than the reference price:",
                    invoice=row["move_name"],
                )
                if rule == "overcharge"
                else self.env._(
                    "Invoice %(invoice)s bills less than the reference price:",
                    invoice=row["move_name"],
                )
            )
            findings.append(
                self._new_detection_finding(
                    rule,
                    self._detection_key("account.move", row["move_id"]),
                    row["partner_id"],
                    currency,
                    expected=row["expected"],
                    actual=row["actual"],
                    moves=[row["move_id"]],
                    description=self._detection_html(text, items),
                )
            )
        return findings

    @api.model
    def _detect_customer_data(self, company):
        """Customers with posted invoices in the company whose billing data is wrong or
        missing (see _get_customer_data_problems); the finding lists the problems."""
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT partner.id,
                       (COALESCE(partner.email, '') != '' OR EXISTS (
                            SELECT 1 FROM res_partner contact
                             WHERE contact.parent_id = partner.id
                               AND contact.type = 'invoice'
                               AND contact.active
                               AND COALESCE(contact.email, '') != '')) AS has_email
                  FROM res_partner partner
                 WHERE partner.active
                   AND partner.id IN (
                       SELECT move.commercial_partner_id
                         FROM account_move move
                        WHERE move.company_id = %(company)s
                          AND move.move_type IN ('out_invoice', 'out_refund')
                          AND move.state = 'posted')
                 ORDER BY partner.id
                """,
                company=company.id,
            )
        )
        has_email = {row["id"]: row["has_email"] for row in rows}
        partners = self.env["res.partner"].with_company(company).browse(list(has_email))
        currency = company.currency_id
        findings = []
        for partner in partners:
            problems = self._get_customer_data_problems(partner, company, has_email[partner.id])
            if not problems:
                continue
            findings.append(self._new_customer_data_finding(partner, currency, problems))
        return findings

    @api.model
    def _new_customer_data_finding(self, partner, currency, problems):
        """The customer_data finding of ``partner`` listing ``problems`` ([(code, label)])."""
        return self._new_detection_finding(
            "customer_data",
            self._detection_key("res.partner", partner.id),
            partner.id,
            currency,
            description=self._detection_html(
                self.env._(
                    "The billing data of %(customer)s is wrong or missing:",
                    customer=partner.display_name,
                ),
                [label for _code, label in problems],
            ),
            fingerprint="|".join(code for code, _label in problems),
        )

    @api.model
    def _get_customer_data_problems(self, partner, company, has_invoice_email):
        """``[(code, label)]``: what is wrong in ``partner``'s billing data. The codes
        make the fingerprint: a closed case comes back only when they change."""
        problems = []
        country = partner.country_id
        if partner.vat and not self._is_valid_vat(partner.vat, country.code):
            problems.append(
                (
                    f"vat:{partner.vat}",
                    self.env._(
                        "VAT number %(vat)s is not valid for %(country)s.",
                        vat=partner.vat,
                        country=country.name or self.env._("its country"),
                    ),
                )
            )
        if not has_invoice_email:
            problems.append(("email", self.env._("No invoicing e-mail address.")))
        missing = [
            (name, label)
            for name, label, needed in [
                ("street", self.env._("street"), True),
                ("city", self.env._("city"), True),
                ("zip", self.env._("ZIP"), not country or country.zip_required),
                ("country", self.env._("country"), True),
            ]
            if needed and not partner["country_id" if name == "country" else name]
        ]
        if missing:
            problems.append(
                (
                    "address:" + "+".join(name for name, _label in missing),
                    self.env._(
                        "Incomplete address: no %(fields)s.",
                        fields=", ".join(label for _name, label in missing),
                    ),
                )
            )
        if company.billing_require_payment_terms and not partner.property_payment_term_id:
            problems.append(("payment_terms", self.env._("No payment terms.")))
        return problems

    @api.model
    def _is_valid_vat(self, vat, country_code):
        """Check ``vat`` with python-stdnum the way base_vat does: with the country of
        its prefix when it has one, else with ``country_code``. A number no validator
        exists for is taken as valid."""
        vat = vat.replace(" ", "").strip()
        if not vat or vat == "/":
            return True
        codes = []
        prefix = vat[:2].upper()
        if prefix.isalpha():
            codes.append(VAT_PREFIX_COUNTRY.get(prefix, prefix))
        if country_code:
            codes.append(country_code.upper())
        for code in codes:
            module = stdnum.util.get_cc_module(code.lower(), "vat")
            if module:
                return bool(module.is_valid(vat))
        return True
