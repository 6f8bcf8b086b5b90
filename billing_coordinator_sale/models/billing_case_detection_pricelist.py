"""The price rules' reference price from the customer's pricelist at the order date.

An invoice line that comes from a sales order is compared with what the order's
pricelist gave at the order's date (the rule Odoo picks: most specific product scope,
highest minimum quantity), in SQL for all lines at once. Supported: fixed prices in the
company's currency, discounts and formulas based on the sales price (rounding, extra
fee, margins). A line whose rule is based on the cost or on another pricelist, or on a
fixed price in another currency, has no reference and is not checked; a line without a
sales order keeps the product's list price."""

from odoo import api, models
from odoo.tools import SQL


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _detection_reference_price_sql(self, company):
        list_price = super()._detection_reference_price_sql(company)
        # Pricelist amounts are per unit of the product; the line may use another unit.
        to_line_unit = SQL(
            "COALESCE(line_uom.factor / NULLIF(product_uom.factor, 0), 1)::numeric"
        )
        formula = SQL(
            """(
                SELECT CASE
                    WHEN item.price_min_margin != 0 AND item.price_max_margin != 0
                        THEN LEAST(GREATEST(f.price, f.base + item.price_min_margin * %(unit)s),
                                   f.base + item.price_max_margin * %(unit)s)
                    WHEN item.price_min_margin != 0
                        THEN GREATEST(f.price, f.base + item.price_min_margin * %(unit)s)
                    WHEN item.price_max_margin != 0
                        THEN LEAST(f.price, f.base + item.price_max_margin * %(unit)s)
                    ELSE f.price END
                  FROM (SELECT %(base)s AS base,
                               CASE WHEN COALESCE(item.price_round, 0) != 0
                                    THEN ROUND(%(base)s * (1 - item.price_discount / 100)
                                               / item.price_round::numeric)
                                         * item.price_round::numeric
                                    ELSE %(base)s * (1 - item.price_discount / 100) END
                               + COALESCE(item.price_surcharge, 0) * %(unit)s AS price) f
            )""",
            base=list_price,
            unit=to_line_unit,
        )
        return SQL(
            """(CASE WHEN NOT EXISTS (
                    SELECT 1 FROM sale_order_line_invoice_rel ref_rel
                      JOIN sale_order_line ref_sol ON ref_sol.id = ref_rel.order_line_id
                      JOIN sale_order ref_so ON ref_so.id = ref_sol.order_id
                     WHERE ref_rel.invoice_line_id = aml.id AND ref_so.pricelist_id IS NOT NULL)
                THEN %(list_price)s
                ELSE (
                    SELECT CASE
                        WHEN item.id IS NULL THEN %(list_price)s
                        WHEN item.compute_price = 'fixed' AND pl.currency_id = %(currency)s
                            THEN item.fixed_price * %(unit)s
                        WHEN item.compute_price = 'percentage' AND item.base = 'list_price'
                            THEN %(list_price)s * (1 - item.percent_price / 100)
                        WHEN item.compute_price = 'formula' AND item.base = 'list_price'
                            THEN %(formula)s
                        END
                      FROM sale_order_line_invoice_rel ref_rel
                      JOIN sale_order_line ref_sol ON ref_sol.id = ref_rel.order_line_id
                      JOIN sale_order ref_so ON ref_so.id = ref_sol.order_id
                      JOIN product_pricelist pl ON pl.id = ref_so.pricelist_id
                      LEFT JOIN uom_uom ref_sol_uom ON ref_sol_uom.id = ref_sol.product_uom_id
                      LEFT JOIN LATERAL (
                          SELECT candidate.*
                            FROM product_pricelist_item candidate
                            LEFT JOIN product_category item_categ
                                   ON item_categ.id = candidate.categ_id
                            LEFT JOIN product_category product_categ
                                   ON product_categ.id = pt.categ_id
                           WHERE candidate.pricelist_id = pl.id
                             AND (candidate.product_tmpl_id IS NULL
                                  OR candidate.product_tmpl_id = pt.id)
                             AND (candidate.product_id IS NULL OR candidate.product_id = pp.id)
                             AND (candidate.categ_id IS NULL
                                  OR product_categ.parent_path LIKE item_categ.parent_path || '%%')
                             AND (candidate.date_start IS NULL
                                  OR candidate.date_start <= ref_so.date_order)
                             AND (candidate.date_end IS NULL
                                  OR candidate.date_end >= ref_so.date_order)
                             AND COALESCE(candidate.min_quantity, 0) <= ref_sol.product_uom_qty
                                 * COALESCE(ref_sol_uom.factor / NULLIF(product_uom.factor, 0), 1)
                           ORDER BY candidate.applied_on, candidate.min_quantity DESC,
                                    candidate.categ_id DESC NULLS LAST, candidate.id DESC
                           LIMIT 1
                      ) item ON TRUE
                     WHERE ref_rel.invoice_line_id = aml.id
                     ORDER BY ref_sol.id
                     LIMIT 1)
                END)""",
            list_price=list_price,
            formula=formula,
            unit=to_line_unit,
            currency=company.currency_id.id,
        )
