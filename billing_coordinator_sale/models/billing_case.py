from odoo import api, fields, models


class BillingCase(models.Model):
    _inherit = "billing.case"

    sale_order_id = fields.Many2one(
        "sale.order",
        string="Sales Order",
        index="btree_not_null",
        check_company=True,
        tracking=True,
        domain="[('partner_id', 'child_of', partner_id)]",
        help="The sales order the invoiced lines of this case come from.",
    )
    sale_order_line_ids = fields.One2many(
        related="sale_order_id.order_line",
        string="Order Lines",
        help="What was ordered, delivered and invoiced on the sales order.",
    )

    def action_view_sale_order(self):
        """Open the case's sales order."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": self.sale_order_id.id,
            "view_mode": "form",
        }

    @api.model
    def _prepare_detected_case_vals(self, company, finding):
        vals = super()._prepare_detected_case_vals(company, finding)
        if finding.get("sale_order_id"):
            vals["sale_order_id"] = finding["sale_order_id"]
        return vals
