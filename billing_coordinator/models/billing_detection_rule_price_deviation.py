"""Detection rules "overcharge" and "undercharge": invoiced prices off the reference
price; one read of the priced invoice lines shared by both, each with its own
thresholds."""

from datetime import timedelta
from functools import partial

from odoo import api, fields, models
from odoo.tools import SQL

from .billing_case import OPEN_STATES

# the direction of each price rule
PRICE_RULES = {"overcharge": ">", "undercharge": "<"}


class BillingCase(models.Model):
    _inherit = "billing.case"

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
        currency, deviates from the reference price by more than the rule's deviation
        percentage and tolerance; one finding per invoice, amounts in invoice currency.

        In a detection run the first price rule reads the rows of both (one query);
        the second takes its rows from the run's memo (``_get_detection_run``: the
        cursor's cache outlives the run, a later run reads the lines again)."""
        run = self._get_detection_run()
        memo = None
        if run is not None and run["company"] == company.id:
            memo = run.setdefault(
                "price_rows",
                # the price rules still to run in this run (its active rules) and
                # the rows read for them
                {"pending": set(PRICE_RULES) & set(run["rules"]), "rows": {}},
            )
        rows = memo["rows"].pop(rule, None) if memo else None
        if rows is None:
            rules = [rule]
            if memo:
                # the other price rules of this run that will run
                rules += sorted(memo["pending"] - {rule})
            by_rule = self._get_price_deviation_rows(company, rules)
            rows = by_rule.pop(rule)
            if memo:
                memo["rows"].update(by_rule)
        if memo:
            memo["pending"].discard(rule)
        return self._price_deviation_findings(company, rule, rows)

    @api.model
    def _get_price_deviation_rows(self, company, rules):
        """``{rule: rows}`` for the price ``rules``, in one query: per invoice (ordered
        by id) ``move_id``, ``move_name``, ``partner_id``, ``currency_id``, ``expected``,
        ``actual`` and ``lines`` (``line``, ``unit``, ``reference``) of the deviating
        lines. The priced lines are read once for all the rules; each rule keeps its own
        invoices (its window and its open cases) and thresholds."""
        configs = {
            rule: self._get_detection_rule_config(company, rule) for rule in rules
        }
        today = fields.Date.context_today(self)
        since = {
            rule: today - timedelta(days=config.price_check_days)
            for rule, config in configs.items()
        }

        def checked(rule):
            # the column of ``priced`` saying the line's invoice is one ``rule`` checks
            return SQL.identifier(f"checked_{rule}")

        # Per rule, whether it checks the invoice: in its window, else in one of its
        # open cases (one index probe of the invoice's cases, only for the invoices
        # outside the window). Not a join of the lines with a list of (invoice, rule)
        # pairs: on the CTE's misestimate the planner ran that as a nested loop.
        checked_columns = SQL(", ").join(
            SQL(
                """(move.company_id = %(company)s AND move.state = 'posted'
                    AND move.invoice_date >= %(since)s)
                   OR EXISTS (
                       SELECT FROM billing_case_account_move_rel rel
                         JOIN billing_case bc ON bc.id = rel.case_id
                        WHERE rel.move_id = move.id
                          AND bc.company_id = %(company)s
                          AND bc.detection_rule = %(rule)s
                          AND bc.state IN %(open_states)s) AS %(column)s""",
                company=company.id,
                since=since[rule],
                rule=rule,
                open_states=OPEN_STATES,
                column=checked(rule),
            )
            for rule in rules
        )
        deviating = SQL(" UNION ALL ").join(
            SQL(
                """SELECT priced.*, %(rule)s AS rule,
                          reference_unit * quantity AS expected_company
                     FROM priced
                    WHERE %(checked)s
                      AND reference_unit > 0
                      AND actual_company %(direction)s reference_unit * quantity
                      AND ABS(actual_company / quantity - reference_unit)
                          > reference_unit * %(deviation)s / 100
                      AND ABS(actual_company - reference_unit * quantity)
                          > %(tolerance)s""",
                rule=rule,
                checked=checked(rule),
                direction=SQL(PRICE_RULES[rule]),
                deviation=config.price_deviation_percent,
                tolerance=self._detection_tolerance_sql(
                    config, SQL("reference_unit * quantity")
                ),
            )
            for rule, config in configs.items()
        )
        rows = self.env.execute_query_dict(
            SQL(
                """
                -- Recent invoices only (a later price change must not flag old ones:
                -- each rule has its window), plus those of the rules' open cases,
                -- which must not look cleared when they age out of the window. The
                -- priced lines are materialized once for all the rules: the reference
                -- price is computed once per line, not once per use or per rule.
                WITH moves AS MATERIALIZED (
                    SELECT recent.id
                      FROM account_move recent
                     WHERE recent.company_id = %(company)s
                       AND recent.move_type = 'out_invoice'
                       AND recent.state = 'posted'
                       AND recent.invoice_date >= %(since)s
                     UNION
                    SELECT rel.move_id
                      FROM billing_case_account_move_rel rel
                      JOIN billing_case bc ON bc.id = rel.case_id
                     WHERE bc.company_id = %(company)s
                       AND bc.detection_rule IN %(rules)s
                       AND bc.state IN %(open_states)s
                ), priced AS MATERIALIZED (
                    SELECT aml.id, aml.move_id, move.name AS move_name,
                           move.commercial_partner_id AS partner_id, move.currency_id,
                           COALESCE(NULLIF(move.invoice_currency_rate, 0), 1) AS rate,
                           aml.quantity, -aml.balance AS actual_company,
                           aml.price_subtotal AS actual_currency,
                           %(reference)s AS reference_unit,
                           %(checked_columns)s
                      FROM account_move move
                      JOIN account_move_line aml ON aml.move_id = move.id
                      JOIN product_product pp ON pp.id = aml.product_id
                      JOIN product_template pt ON pt.id = pp.product_tmpl_id
                      LEFT JOIN uom_uom line_uom ON line_uom.id = aml.product_uom_id
                      LEFT JOIN uom_uom product_uom ON product_uom.id = pt.uom_id
                     -- An array: the invoices are read by id (a join hashed every move).
                     WHERE move.id = ANY(ARRAY(SELECT id FROM moves))
                       AND aml.company_id = %(company)s
                       AND move.move_type = 'out_invoice'
                       AND aml.parent_state = 'posted'
                       AND aml.display_type = 'product'
                       AND aml.quantity > 0
                ), deviating AS (
                    %(deviating)s
                )
                SELECT rule, move_id, move_name, partner_id, currency_id,
                       SUM(expected_company * rate) AS expected,
                       SUM(actual_currency) AS actual,
                       JSON_AGG(JSON_BUILD_OBJECT(
                           'line', id,
                           'unit', actual_company / quantity,
                           'reference', reference_unit) ORDER BY id) AS lines
                  FROM deviating
                 GROUP BY rule, move_id, move_name, partner_id, currency_id
                 ORDER BY rule, move_id
                """,
                reference=self._detection_reference_price_sql(company),
                checked_columns=checked_columns,
                company=company.id,
                since=min(since.values()),
                rules=tuple(rules),
                open_states=OPEN_STATES,
                deviating=deviating,
            )
        )
        by_rule = {rule: [] for rule in rules}
        for row in rows:
            by_rule[row.pop("rule")].append(row)
        return by_rule

    @api.model
    def _price_deviation_findings(self, company, rule, rows):
        """The findings of the price ``rule`` from its rows (see
        ``_get_price_deviation_rows``)."""
        Currency = self.env["res.currency"]
        company_currency = company.currency_id
        product_names = {}

        def describe(row):
            if not product_names:
                # One batched read for the product names of every deviating line.
                product_names.update(
                    (line.id, line.product_id.display_name)
                    for line in self.env["account.move.line"].browse(
                        [line["line"] for row in rows for line in row["lines"]]
                    )
                )
            items = [
                self.env._(
                    "%(product)s: %(price)s per unit instead of %(reference)s",
                    product=product_names[line["line"]],
                    price=self._detection_amount(line["unit"], company_currency),
                    reference=self._detection_amount(
                        line["reference"], company_currency
                    ),
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
            return self._detection_html(text, items)

        unchanged = self._detection_unchanged_check(company, rule)
        findings = []
        for row in rows:
            currency = Currency.browse(row["currency_id"])
            key = self._detection_key("account.move", row["move_id"])
            if unchanged(key, currency, row["expected"], row["actual"]):
                findings.append(self._new_unchanged_detection_finding(rule, key))
                continue
            findings.append(
                self._new_detection_finding(
                    rule,
                    key,
                    row["partner_id"],
                    currency,
                    expected=row["expected"],
                    actual=row["actual"],
                    moves=[row["move_id"]],
                    description=partial(describe, row),
                )
            )
        return findings
