"""Detection rule ``order_mismatch``: posted customer invoice lines that differ from
their sales order line (quantity invoiced above what was ordered or delivered, an order
line invoiced twice, unit price or discount changed on the invoice), beyond the
tolerances in Settings. One finding per invoice, of type overcharge or undercharge,
linked to the order. The same query, run on draft invoices as if they were posted,
gives the warning banner on the invoice form (see account.move)."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.billing_coordinator.models.billing_case import OPEN_STATES

# Numbers closer than this are equal (quantities and prices are floats).
EPSILON = 0.00001


class BillingCase(models.Model):
    _inherit = "billing.case"

    detection_rule = fields.Selection(
        selection_add=[("order_mismatch", "Invoice Differs From Sales Order")],
        ondelete={"order_mismatch": "set null"},
    )

    @api.model
    def _get_detection_rules(self):
        rules = super()._get_detection_rules()
        return self._insert_detection_rule(
            rules, "order_mismatch", "_detect_order_mismatch"
        )

    @api.model
    def _get_detection_clear_reason(self, rule):
        if rule == "order_mismatch":
            return self.env._(
                "the invoice matches its sales order within the tolerances (corrected, "
                "credited or cancelled)."
            )
        return super()._get_detection_clear_reason(rule)

    @api.model
    def _detect_order_mismatch(self, company):
        return [
            self._new_order_mismatch_finding(row, company)
            for row in self._get_order_mismatch_rows(company)
        ]

    @api.model
    def _get_order_mismatch_rows(self, company, draft_moves=None):
        """One row per customer invoice with lines that differ from their sales order
        line: move_id, move_name, partner_id, currency_id, order_id, expected, actual and
        ``lines`` (JSON, one object per differing line).

        Without ``draft_moves``: posted invoices of the price check window (and those of
        open cases of this rule). With ``draft_moves``: only those, counted as posted."""
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        self.env["sale.order.line"].flush_model()
        if draft_moves is None:
            counted = SQL("aml.parent_state = 'posted'")
            scope = SQL(
                """aml.parent_state = 'posted'
                   AND (move.invoice_date >= %(since)s OR move.id IN (
                        SELECT rel.move_id
                          FROM billing_case_account_move_rel rel
                          JOIN billing_case bc ON bc.id = rel.case_id
                         WHERE bc.company_id = %(company)s
                           AND bc.detection_rule = 'order_mismatch'
                           AND bc.state IN %(open_states)s))""",
                since=fields.Date.context_today(self)
                - timedelta(
                    days=self._get_detection_rule_config(
                        company, "overcharge"
                    ).price_check_days
                ),
                company=company.id,
                open_states=OPEN_STATES,
            )
        else:
            counted = SQL(
                "(aml.parent_state = 'posted' OR aml.move_id = ANY(%s))",
                draft_moves.ids,
            )
            scope = SQL("aml.move_id = ANY(%s)", draft_moves.ids)
        return self.env.execute_query_dict(
            SQL(
                """
                WITH invoiced AS (
                    -- Net invoiced quantity of each order line, in the order line's unit.
                    SELECT rel.order_line_id AS sol_id,
                           SUM(CASE WHEN move.move_type = 'out_refund' THEN -1 ELSE 1 END
                               * aml.quantity
                               * COALESCE(aml_uom.factor / NULLIF(sol_uom.factor, 0), 1)) AS qty,
                           COUNT(DISTINCT move.id)
                               FILTER (WHERE move.move_type = 'out_invoice') AS invoice_count,
                           MAX(aml.id) FILTER (WHERE move.move_type = 'out_invoice') AS last_line_id
                      FROM sale_order_line_invoice_rel rel
                      JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                      JOIN account_move move ON move.id = aml.move_id
                      JOIN sale_order_line sol ON sol.id = rel.order_line_id
                      LEFT JOIN uom_uom aml_uom ON aml_uom.id = aml.product_uom_id
                      LEFT JOIN uom_uom sol_uom ON sol_uom.id = sol.product_uom_id
                     WHERE sol.company_id = %(company)s
                       AND move.move_type IN ('out_invoice', 'out_refund')
                       AND %(counted)s
                     GROUP BY rel.order_line_id
                ), compared AS (
                    SELECT aml.id, aml.move_id, move.name AS move_name,
                           move.commercial_partner_id AS partner_id, move.currency_id,
                           sol.id AS sol_id, sol.order_id,
                           aml.quantity, aml.price_unit, aml.discount, aml.price_subtotal,
                           sol.product_uom_qty AS ordered, sol.qty_delivered AS delivered,
                           invoiced.qty AS invoiced, invoiced.invoice_count,
                           pt.invoice_policy,
                           COALESCE(aml_uom.factor / NULLIF(sol_uom.factor, 0), 1)::numeric
                               AS to_order_unit,
                           so.currency_id = move.currency_id AS same_currency,
                           -- The order's unit price in the invoice line's unit.
                           sol.price_unit
                               * COALESCE(aml_uom.factor / NULLIF(sol_uom.factor, 0), 1)::numeric
                               AS order_price,
                           sol.discount AS order_discount,
                           -- What the order line allows to invoice (in its unit) ...
                           CASE WHEN pt.invoice_policy = 'delivery' THEN sol.qty_delivered
                                ELSE sol.product_uom_qty END AS allowed,
                           -- ... and the excess, charged to the line that invoiced last.
                           CASE WHEN aml.id = invoiced.last_line_id
                                THEN GREATEST(invoiced.qty - CASE
                                         WHEN pt.invoice_policy = 'delivery' THEN sol.qty_delivered
                                         ELSE sol.product_uom_qty END
                                     - ABS(sol.product_uom_qty) * %(qty_tolerance)s / 100, 0)
                                ELSE 0 END AS excess
                      FROM account_move_line aml
                      JOIN account_move move ON move.id = aml.move_id
                      JOIN sale_order_line_invoice_rel rel ON rel.invoice_line_id = aml.id
                      JOIN sale_order_line sol ON sol.id = rel.order_line_id
                      JOIN sale_order so ON so.id = sol.order_id
                      JOIN invoiced ON invoiced.sol_id = sol.id
                      JOIN product_product pp ON pp.id = sol.product_id
                      JOIN product_template pt ON pt.id = pp.product_tmpl_id
                      LEFT JOIN uom_uom aml_uom ON aml_uom.id = aml.product_uom_id
                      LEFT JOIN uom_uom sol_uom ON sol_uom.id = sol.product_uom_id
                     WHERE aml.company_id = %(company)s
                       AND move.move_type = 'out_invoice'
                       AND aml.display_type = 'product'
                       AND aml.quantity > 0
                       AND NOT COALESCE(sol.is_downpayment, FALSE)
                       AND %(scope)s
                       -- A line merging several order lines cannot be compared with one.
                       AND NOT EXISTS (SELECT 1 FROM sale_order_line_invoice_rel other
                                        WHERE other.invoice_line_id = aml.id
                                          AND other.order_line_id != rel.order_line_id)
                ), flagged AS (
                    SELECT *,
                           excess > %(epsilon)s AS over_invoiced,
                           same_currency AND ABS(price_unit - order_price)
                               > ABS(order_price) * %(price_tolerance)s / 100 + %(epsilon)s
                               AS price_changed,
                           ABS(discount - order_discount) > %(discount_tolerance)s + %(epsilon)s
                               AS discount_changed,
                           -- Excess in the invoice line's unit.
                           excess / NULLIF(to_order_unit, 0) AS excess_line_qty
                      FROM compared
                ), differing AS (
                    SELECT *,
                           quantity * price_unit * (1 - discount / 100) AS gross_actual,
                           (quantity - COALESCE(excess_line_qty, 0))
                               * CASE WHEN same_currency THEN order_price ELSE price_unit END
                               * (1 - order_discount / 100) AS gross_expected
                      FROM flagged
                     WHERE over_invoiced OR price_changed OR discount_changed
                )
                SELECT move_id, move_name, partner_id, currency_id, MIN(order_id) AS order_id,
                       SUM(CASE WHEN gross_actual != 0
                                THEN price_subtotal * gross_expected / gross_actual
                                ELSE gross_expected END) AS expected,
                       SUM(price_subtotal) AS actual,
                       JSON_AGG(JSON_BUILD_OBJECT(
                           'line', id, 'order_line', sol_id,
                           'over_invoiced', over_invoiced, 'invoice_count', invoice_count,
                           'price_changed', price_changed, 'discount_changed', discount_changed,
                           'ordered', ordered, 'delivered', delivered, 'invoiced', invoiced,
                           'allowed', allowed, 'policy', invoice_policy,
                           'price', price_unit, 'order_price', order_price,
                           'discount', discount, 'order_discount', order_discount
                       ) ORDER BY id) AS lines
                  FROM differing
                 GROUP BY move_id, move_name, partner_id, currency_id
                 ORDER BY move_id
                """,
                company=company.id,
                counted=counted,
                scope=scope,
                qty_tolerance=company.billing_order_qty_tolerance_percent,
                price_tolerance=company.billing_order_price_tolerance_percent,
                discount_tolerance=company.billing_order_discount_tolerance,
                epsilon=EPSILON,
            )
        )

    @api.model
    def _get_order_mismatch_texts(self, row):
        """``(summary, [item])``: what differs on the invoice of ``row``, in words."""
        order_lines = {
            line.id: line
            for line in self.env["sale.order.line"].browse(
                [item["order_line"] for item in row["lines"]]
            )
        }
        currency = self.env["res.currency"].browse(row["currency_id"])
        items = []
        for item in row["lines"]:
            order_line = order_lines[item["order_line"]]
            product = order_line.product_id.display_name or order_line.name
            uom = order_line.product_uom_id.name or ""
            if item["over_invoiced"] and item["invoice_count"] > 1:
                items.append(
                    self.env._(
                        "%(product)s: order line invoiced twice (%(count)s invoices): "
                        "%(invoiced)s %(uom)s invoiced, %(allowed)s %(uom)s %(basis)s.",
                        product=product,
                        count=item["invoice_count"],
                        invoiced=self._format_order_qty(item["invoiced"]),
                        allowed=self._format_order_qty(item["allowed"]),
                        uom=uom,
                        basis=self._order_qty_basis(item["policy"]),
                    )
                )
            elif item["over_invoiced"]:
                items.append(
                    self.env._(
                        "%(product)s: over-invoiced quantity: %(invoiced)s %(uom)s invoiced, "
                        "%(allowed)s %(uom)s %(basis)s.",
                        product=product,
                        invoiced=self._format_order_qty(item["invoiced"]),
                        allowed=self._format_order_qty(item["allowed"]),
                        uom=uom,
                        basis=self._order_qty_basis(item["policy"]),
                    )
                )
            if item["price_changed"]:
                items.append(
                    self.env._(
                        "%(product)s: unit price changed on the invoice: %(price)s instead of "
                        "%(order_price)s on the order.",
                        product=product,
                        price=self._detection_amount(item["price"], currency),
                        order_price=self._detection_amount(
                            item["order_price"], currency
                        ),
                    )
                )
            if item["discount_changed"]:
                items.append(
                    self.env._(
                        "%(product)s: discount changed on the invoice: %(discount)s%% instead "
                        "of %(order_discount)s%% on the order.",
                        product=product,
                        discount=self._format_order_qty(item["discount"]),
                        order_discount=self._format_order_qty(item["order_discount"]),
                    )
                )
        order = self.env["sale.order"].browse(row["order_id"])
        summary = self.env._(
            "Invoice %(invoice)s differs from sales order %(order)s:",
            invoice=row["move_name"] or self.env._("(draft)"),
            order=order.name,
        )
        return summary, items

    @api.model
    def _order_qty_basis(self, policy):
        return (
            self.env._("delivered") if policy == "delivery" else self.env._("ordered")
        )

    @api.model
    def _format_order_qty(self, value):
        return f"{float(value):g}"

    @api.model
    def _new_order_mismatch_finding(self, row, company):
        currency = self.env["res.currency"].browse(row["currency_id"])
        expected, actual = row["expected"], row["actual"]
        summary, items = self._get_order_mismatch_texts(row)
        finding = self._new_detection_finding(
            "order_mismatch",
            self._detection_key("account.move", row["move_id"]),
            row["partner_id"],
            currency,
            expected=expected,
            actual=actual,
            moves=[row["move_id"]],
            description=self._detection_html(summary, items),
            case_code="overcharge" if actual >= expected else "undercharge",
        )
        finding["sale_order_id"] = row["order_id"]
        return finding
