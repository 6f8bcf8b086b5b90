"""Automatic detection of billing discrepancies: helpers the rules share.

Each rule has its own file, ``billing_detection_rule_<code>.py``, with one method
registered in ``billing.case._get_detection_rules``. Each takes a company and returns
findings (``_new_detection_finding``); each reads the accounting data of the whole
company in one or two SQL queries, never one query per invoice. Thresholds come from
the rule's ``billing.detection.rule`` record (:meth:`_get_detection_rule_config`).
"""

import ast
import functools
from operator import itemgetter

from markupsafe import Markup

from odoo import api, models
from odoo.tools import SQL, float_round
from odoo.tools.misc import NON_BREAKING_SPACE, get_lang

from odoo.addons.base.models.res_lang import intersperse


@functools.lru_cache(maxsize=64)
def _parse_grouping(grouping):
    """A language's grouping, e.g. "[3,0]", as res.lang.format parses it on each call."""
    return tuple(ast.literal_eval(grouping))


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _get_detection_rule_config(self, company, code):
        """The ``billing.detection.rule`` record of ``code`` in ``company``: the
        thresholds a rule reads."""
        # A run passes the ids of the company's rule records it already read (see
        # _detect_company): no search per rule and per sync.
        rule_id = dict(self.env.context.get("billing_detection_rule_ids") or ()).get(
            (company.id, code)
        )
        Rule = self.env["billing.detection.rule"]
        if rule_id:
            return Rule.with_context(active_test=False).browse(rule_id)
        return Rule._get_rule(company, code)

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
        """``formatLang(env, amount, currency_obj=currency)``, the same digits, rounding,
        grouping and symbol (see :meth:`_detection_amount_formatter`)."""
        return self._detection_amount_formatter(currency)(amount)

    @api.model
    def _detection_amount_formatter(self, currency):
        """A function amount -> ``formatLang(env, amount, currency_obj=currency)`` text,
        the currency's figures and the language's format read once: a first run
        formats two amounts per case created. Within a detection run (see
        ``_detect_company``) one function per currency and language serves the run."""
        memo = self._get_detection_amount_memo()
        key = (currency.id, self.env.lang)
        if memo is not None and key in memo:
            return memo[key]
        digits, symbol, after = (
            currency.decimal_places,
            currency.symbol,
            currency.position == "after",
        )
        decimal_point, grouping, thousands_sep = self._detection_number_format()

        def format_amount(amount):
            value = float_round(
                float(amount), precision_digits=digits, rounding_method="HALF-EVEN"
            )
            parts = f"{value:.{digits}f}".split(".")
            parts[0] = intersperse(parts[0], grouping, thousands_sep)[0]
            formatted = decimal_point.join(parts)
            if not symbol:
                return formatted
            if after:
                return f"{formatted}{NON_BREAKING_SPACE}{symbol}"
            return f"{symbol}{NON_BREAKING_SPACE}{formatted}"

        if memo is not None:
            memo[key] = format_amount
        return format_amount

    @api.model
    def _get_detection_amount_memo(self):
        """{(currency id, language) or ("fingerprint", currency id): function}: the
        amount formatters and fingerprints of the running detection run (see
        ``_get_detection_run``), None outside a run."""
        run = self._get_detection_run()
        return None if run is None else run.setdefault("amount_formatters", {})

    @api.model
    def _detection_number_format(self):
        """(decimal point, grouping, thousands separator) of the language formatLang
        uses (its data is cached by the ORM; only the parsed grouping is ours)."""
        lang = get_lang(self.env)
        return (
            lang.decimal_point,
            _parse_grouping(lang.grouping),
            lang.thousands_sep or "",
        )

    @api.model
    def _detection_tolerance_sql(self, rule, amount_sql):
        """SQL: the tolerance of ``rule`` (a billing.detection.rule) for a company-currency
        ``amount_sql``: the larger of its tolerance amount and tolerance share of the amount."""
        return SQL(
            "GREATEST(%s, ABS(%s) * %s / 100)",
            rule.tolerance_amount,
            amount_sql,
            rule.tolerance_percent,
        )

    @api.model
    def _detection_invoices_with_payments_sql(self, invoices_sql):
        """SQL: the rows of ``invoices_sql`` (a SELECT of invoices with their ``id`` and
        commercial ``partner_id``), each with ``payment_ids``: the ids of the customer's
        payments applied to it (reconciled with it, or linked to it when the payment has
        no journal entry), ordered by invoice id.

        Set-based: the payments of all the invoices are joined and grouped once (a
        correlated subquery per invoice is costed so high on a large company that the
        planner spends more time compiling it than running it)."""
        return SQL(
            """
            WITH invoices AS MATERIALIZED (%(invoices)s),
            applied AS (
                SELECT inv.id AS move_id, pay.id AS payment_id
                  FROM invoices inv
                  JOIN account_move_line inv_line ON inv_line.move_id = inv.id
                  JOIN account_partial_reconcile apr ON apr.debit_move_id = inv_line.id
                  JOIN account_move_line pay_line ON pay_line.id = apr.credit_move_id
                  JOIN account_payment pay ON pay.move_id = pay_line.move_id
                  JOIN res_partner pay_partner ON pay_partner.id = pay.partner_id
                 WHERE pay_partner.commercial_partner_id = inv.partner_id
                 UNION
                SELECT inv.id, pay.id
                  FROM invoices inv
                  JOIN account_move__account_payment rel ON rel.invoice_id = inv.id
                  JOIN account_payment pay ON pay.id = rel.payment_id
                  JOIN res_partner pay_partner ON pay_partner.id = pay.partner_id
                 WHERE pay.state IN ('in_process', 'paid')
                   AND pay_partner.commercial_partner_id = inv.partner_id
            )
            SELECT inv.*, COALESCE(pays.payment_ids, ARRAY[]::integer[]) AS payment_ids
              FROM invoices inv
              LEFT JOIN (
                  SELECT move_id, ARRAY_AGG(payment_id ORDER BY payment_id) AS payment_ids
                    FROM applied
                   GROUP BY move_id
              ) pays ON pays.move_id = inv.id
             ORDER BY inv.id
            """,
            invoices=invoices_sql,
        )

    @api.model
    def _new_open_invoice_finding(self, rule, row, currency, description):
        """A finding on one invoice with an open residual: expected is its total,
        actual what was paid of it. ``row`` comes from an invoice query with id, partner_id,
        amount_total, amount_residual and payment_ids. ``description`` is the text, or a
        function returning it (built only when needed, see _new_detection_finding)."""
        total = row["amount_total"]
        if callable(description):
            text = description

            def description():
                return self._detection_html(text())

        else:
            description = self._detection_html(description)
        return self._new_detection_finding(
            rule,
            self._detection_key("account.move", row["id"]),
            row["partner_id"],
            currency,
            expected=total,
            actual=total - row["amount_residual"],
            moves=[row["id"]],
            payments=row["payment_ids"],
            description=description,
        )

    @api.model
    def _new_open_invoice_findings(self, company, rule, rows, describe):
        """The findings of ``rule`` on the invoices of ``rows`` (id, partner_id,
        currency_id, amount_total, amount_residual and what ``describe(row, currency)``
        reads to return the text), see :meth:`_new_open_invoice_finding`.

        An invoice whose open case saw the same amounts gives an unchanged finding; the
        payments applied are read (one query) only for the others, the new and changed
        ones: a rerun with nothing changed reads no payment."""
        unchanged = self._detection_unchanged_check(company, rule)
        Currency = self.env["res.currency"]
        findings, changed = [], []
        for row in sorted(rows, key=itemgetter("id")):
            key = self._detection_key("account.move", row["id"])
            total = row["amount_total"]
            if unchanged(
                key,
                Currency.browse(row["currency_id"]),
                total,
                total - row["amount_residual"],
            ):
                findings.append(self._new_unchanged_detection_finding(rule, key))
            else:
                changed.append(row)
        if not changed:
            return findings
        payments = dict(
            self.env.execute_query(
                SQL(
                    "SELECT id, payment_ids FROM (%s) applied",
                    self._detection_invoices_with_payments_sql(
                        SQL(
                            """SELECT am.id, am.commercial_partner_id AS partner_id
                                 FROM account_move am WHERE am.id = ANY(%s)""",
                            [row["id"] for row in changed],
                        )
                    ),
                )
            )
        )
        for row in changed:
            currency = Currency.browse(row["currency_id"])
            findings.append(
                self._new_open_invoice_finding(
                    rule,
                    dict(row, payment_ids=payments.get(row["id"], [])),
                    currency,
                    functools.partial(describe, row, currency),
                )
            )
        return findings
