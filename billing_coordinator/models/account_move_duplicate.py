"""Probable duplicate customer invoices: a draft invoice that repeats another invoice
of the same customer (same amount, currency and reference, dated within the
company's duplicate invoice window) shows a warning before it is posted."""

from odoo import api, fields, models
from odoo.tools import SQL


class AccountMove(models.Model):
    _inherit = "account.move"

    billing_duplicate_invoice_ids = fields.Many2many(
        "account.move",
        string="Probable Duplicate Invoices",
        compute="_compute_billing_duplicate_invoice_ids",
        help="Other invoices of this customer with the same amount and reference, dated "
        "within the duplicate invoice window.",
    )

    @api.depends(
        "state",
        "move_type",
        "commercial_partner_id",
        "amount_total",
        "currency_id",
        "ref",
        "invoice_date",
    )
    def _compute_billing_duplicate_invoice_ids(self):
        drafts = self.filtered(
            lambda m: m.state == "draft"
            and m.move_type == "out_invoice"
            and m._origin.id
            and m.commercial_partner_id
            and m.currency_id  # emptied on the form: no check
        )
        (self - drafts).billing_duplicate_invoice_ids = False
        if not drafts:
            return
        self.env["account.move"].flush_model(
            [
                "state",
                "move_type",
                "commercial_partner_id",
                "amount_total",
                "currency_id",
                "ref",
                "invoice_date",
                "company_id",
            ]
        )
        today = fields.Date.context_today(self)
        inputs = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s::date, %s)",
                move._origin.id,
                move.company_id.id,
                move.commercial_partner_id.id,
                move.currency_id.id,
                move.amount_total,
                (move.ref or "").strip().lower(),
                move.invoice_date or today,
                move.company_id.billing_duplicate_invoice_days,
            )
            for move in drafts
        )
        rows = self.env.execute_query(
            SQL(
                """
                WITH draft(id, company_id, partner_id, currency_id, amount, ref, day, window_days)
                     AS (VALUES %s)
                SELECT draft.id, ARRAY_AGG(other.id ORDER BY other.id)
                  FROM draft
                  JOIN account_move other
                    ON other.company_id = draft.company_id
                   AND other.commercial_partner_id = draft.partner_id
                   AND other.currency_id = draft.currency_id
                   AND other.amount_total = draft.amount
                   AND other.id != draft.id
                   AND other.move_type = 'out_invoice'
                   AND other.state IN ('draft', 'posted')
                   AND LOWER(TRIM(COALESCE(other.ref, ''))) = draft.ref
                   AND ABS(COALESCE(other.invoice_date, other.date) - draft.day)
                       <= draft.window_days
                 WHERE draft.amount != 0
                 GROUP BY draft.id
                """,
                inputs,
            )
        )
        duplicates = dict(rows)
        for move in drafts:
            move.billing_duplicate_invoice_ids = self.browse(
                duplicates.get(move._origin.id, [])
            )._filtered_access("read")

    def _get_alerts(self):
        alerts = super()._get_alerts()
        duplicates = self.billing_duplicate_invoice_ids
        if duplicates:
            alerts["billing_duplicate_invoice"] = {
                "level": "warning",
                "message": self.env._(
                    "This invoice repeats %(invoices)s: same customer, amount and reference "
                    "within %(days)s days. Post it only if the customer is really to be "
                    "billed twice.",
                    invoices=", ".join(duplicates.mapped("display_name")),
                    days=self.company_id.billing_duplicate_invoice_days,
                ),
                "action_text": self.env._("View the other invoice(s)"),
                "action": duplicates._get_records_action(
                    name=self.env._("Probable Duplicate Invoices")
                ),
            }
        return alerts
