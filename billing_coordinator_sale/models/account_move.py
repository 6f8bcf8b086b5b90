"""Warning on a draft customer invoice that differs from its sales order as the
``order_mismatch`` rule would find once it is posted: the coordinator prevents the
dispute instead of resolving it."""

from odoo import api, fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    billing_order_mismatch_warning = fields.Text(
        string="Differences From the Sales Order",
        compute="_compute_billing_order_mismatch_warning",
        help="What the discrepancy detection would report on this draft invoice once posted.",
    )

    @api.depends(
        "state",
        "invoice_line_ids.quantity",
        "invoice_line_ids.price_unit",
        "invoice_line_ids.discount",
    )
    def _compute_billing_order_mismatch_warning(self):
        drafts = self.filtered(
            lambda m: m.state == "draft"
            and m.move_type == "out_invoice"
            and m._origin.id
        )
        (self - drafts).billing_order_mismatch_warning = False
        Case = self.env["billing.case"]
        warnings = {}
        # One query per company for all the drafts shown.
        for company, moves in drafts.grouped("company_id").items():
            for row in Case._get_order_mismatch_rows(
                company, draft_moves=moves._origin
            ):
                order = self.env["sale.order"].browse(row["order_id"])
                _summary, items = Case._get_order_mismatch_texts(row)
                warnings[row["move_id"]] = " ".join(
                    [
                        self.env._(
                            "Posting this invoice would open a billing case: it differs from "
                            "sales order %(order)s.",
                            order=order.name,
                        ),
                        *items,
                    ]
                )
        for move in drafts:
            move.billing_order_mismatch_warning = warnings.get(move._origin.id, False)

    def _get_alerts(self):
        alerts = super()._get_alerts()
        if self.billing_order_mismatch_warning:
            alerts["billing_order_mismatch"] = {
                "level": "warning",
                "message": self.billing_order_mismatch_warning,
            }
        return alerts
