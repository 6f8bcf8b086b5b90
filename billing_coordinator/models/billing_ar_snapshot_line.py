from odoo import api, fields, models
from odoo.exceptions import UserError

CHANGES = [
    ("new", "New"),
    ("grown", "Grown"),
    ("shrunk", "Shrunk"),
    ("cleared", "Cleared"),
    ("unchanged", "Unchanged"),
]


class BillingArSnapshotLine(models.Model):
    """One customer and document currency of a month-end snapshot: the aging buckets
    as the aging engine gave them on the month end, frozen."""

    _name = "billing.ar.snapshot.line"
    _description = "Month-End AR Snapshot Line"
    _order = "snapshot_id, total desc, id"

    snapshot_id = fields.Many2one(
        "billing.ar.snapshot",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    company_id = fields.Many2one(
        related="snapshot_id.company_id", store=True, index=True
    )
    company_currency_id = fields.Many2one(
        related="snapshot_id.currency_id", string="Company Currency"
    )
    date = fields.Date(related="snapshot_id.date", store=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", readonly=True, index=True
    )
    currency_id = fields.Many2one("res.currency", string="Currency", readonly=True)
    bucket_amounts = fields.Json(
        readonly=True, help="Amount per aging bucket (company currency)."
    )
    bucket_display = fields.Char(string="Buckets", compute="_compute_bucket_display")
    not_due = fields.Monetary(currency_field="company_currency_id", readonly=True)
    overdue = fields.Monetary(currency_field="company_currency_id", readonly=True)
    total = fields.Monetary(currency_field="company_currency_id", readonly=True)
    total_currency = fields.Monetary(
        string="Total in Currency", currency_field="currency_id", readonly=True
    )
    previous_total = fields.Monetary(
        string="Previous Month", currency_field="company_currency_id", readonly=True
    )
    change = fields.Selection(
        CHANGES,
        readonly=True,
        index=True,
        help="Against the previous month end's snapshot.",
    )

    @api.depends("bucket_amounts", "snapshot_id.bucket_labels")
    def _compute_bucket_display(self):
        for line in self:
            amounts = line.bucket_amounts or {}
            labels = line.snapshot_id.bucket_labels or []
            line.bucket_display = " | ".join(
                f"{label}: {amounts.get(key, 0.0):.2f}"
                for key, label in labels
                if amounts.get(key)
            )

    @api.model_create_multi
    def create(self, vals_list):
        snapshot_ids = {
            vals["snapshot_id"] for vals in vals_list if vals.get("snapshot_id")
        }
        if any(
            s.state == "signed"
            for s in self.env["billing.ar.snapshot"].browse(snapshot_ids)
        ):
            raise UserError(
                self.env._("A signed month-end snapshot cannot be changed.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if any(line.snapshot_id.state == "signed" for line in self):
            raise UserError(
                self.env._("A signed month-end snapshot cannot be changed.")
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_signed(self):
        # A draft snapshot deleted with its lines is fine (cascade); a signed one is not.
        if any(line.snapshot_id.state == "signed" for line in self):
            raise UserError(
                self.env._("A signed month-end snapshot cannot be changed.")
            )
