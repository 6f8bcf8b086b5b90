"""Month-end AR snapshots: the aging per customer and currency frozen as of a month
end by the aging engine, with its files (XLSX, JSON zip) and their SHA-256, signed off
by a manager. Files in ``billing_ar_snapshot_files.py``, the integrity check and the
chain status of the Billing Health page in ``billing_ar_snapshot_integrity.py``."""

from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import formatLang

MANAGER_GROUP = "billing_coordinator.group_billing_manager"

# Fields that may still change on a signed snapshot: the integrity check's result and
# the chatter.
SIGNED_WRITABLE_FIELDS = {
    "integrity_state",
    "integrity_message",
    "integrity_date",
    "message_main_attachment_id",
    "message_follower_ids",
    "message_ids",
    "activity_ids",
}


class BillingArSnapshot(models.Model):
    _name = "billing.ar.snapshot"
    _description = "Month-End AR Snapshot"
    _inherit = ["mail.thread"]
    _order = "date desc, company_id, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    date = fields.Date(string="Month End", required=True, readonly=True, index=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(
        "res.currency",
        string="Currency",
        required=True,
        readonly=True,
        help="The company currency of the amounts.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("signed", "Signed")],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
    )
    line_ids = fields.One2many(
        "billing.ar.snapshot.line", "snapshot_id", string="Customers"
    )
    line_count = fields.Integer(string="Customer Lines", readonly=True)
    bucket_totals = fields.Json(
        readonly=True,
        help="Totals per aging bucket as of the month end (bucket key: amount).",
    )
    bucket_labels = fields.Json(
        readonly=True, help="The aging buckets of the month end, in order."
    )
    not_due = fields.Monetary(readonly=True)
    overdue = fields.Monetary(readonly=True)
    total = fields.Monetary(readonly=True)
    bucket_summary = fields.Html(compute="_compute_bucket_summary", sanitize=True)

    xlsx_file = fields.Binary(
        string="Aging Workbook", attachment=True, readonly=True, copy=False
    )
    xlsx_filename = fields.Char(readonly=True)
    xlsx_sha256 = fields.Char(string="Workbook SHA-256", readonly=True, copy=False)
    zip_file = fields.Binary(
        string="Period Export", attachment=True, readonly=True, copy=False
    )
    zip_filename = fields.Char(readonly=True)
    zip_sha256 = fields.Char(string="Export SHA-256", readonly=True, copy=False)
    previous_id = fields.Many2one(
        "billing.ar.snapshot",
        string="Previous Snapshot",
        readonly=True,
        ondelete="restrict",
        help="The company's snapshot of the month end before this one.",
    )
    chain_hash = fields.Char(
        string="Chain SHA-256",
        readonly=True,
        copy=False,
        help="SHA-256 of this snapshot's file hashes and the previous snapshot's chain hash.",
    )

    signed_by_id = fields.Many2one(
        "res.users", string="Signed by", readonly=True, copy=False
    )
    signed_date = fields.Datetime(string="Signed on", readonly=True, copy=False)

    count_new = fields.Integer(string="New Customers", readonly=True)
    count_grown = fields.Integer(string="Grown", readonly=True)
    count_shrunk = fields.Integer(string="Shrunk", readonly=True)
    count_cleared = fields.Integer(string="Cleared", readonly=True)

    integrity_state = fields.Selection(
        [("unchecked", "Not Checked"), ("ok", "Unchanged"), ("changed", "Changed")],
        default="unchecked",
        readonly=True,
        copy=False,
    )
    integrity_message = fields.Text(readonly=True, copy=False)
    integrity_date = fields.Datetime(string="Checked on", readonly=True, copy=False)

    _company_date_unique = models.UniqueIndex(
        "(company_id, date)", "A company has one snapshot per month end."
    )

    @api.depends("date", "company_id")
    def _compute_name(self):
        for snapshot in self:
            snapshot.name = self.env._(
                "AR %(date)s %(company)s",
                date=snapshot.date and snapshot.date.isoformat() or "",
                company=snapshot.company_id.name or "",
            )

    @api.depends("bucket_totals", "bucket_labels")
    def _compute_bucket_summary(self):
        for snapshot in self:
            labels = snapshot.bucket_labels or []
            totals = snapshot.bucket_totals or {}
            cells = Markup("").join(
                Markup("<tr><td>%s</td><td class='text-end'>%s</td></tr>")
                % (
                    label,
                    formatLang(
                        self.env,
                        totals.get(key, 0.0),
                        currency_obj=snapshot.currency_id,
                    ),
                )
                for key, label in labels
            )
            snapshot.bucket_summary = (
                Markup("<table class='table table-sm'>%s</table>") % cells
                if cells
                else False
            )

    # ------------------------------------------------------------------ CRUD

    def write(self, vals):
        if self._snapshot_locked(vals):
            raise UserError(
                self.env._("A signed month-end snapshot cannot be changed.")
            )
        return super().write(vals)

    def _snapshot_locked(self, vals):
        return set(vals) - SIGNED_WRITABLE_FIELDS and any(
            s.state == "signed" for s in self
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_signed(self):
        if any(snapshot.state == "signed" for snapshot in self):
            raise UserError(
                self.env._("A signed month-end snapshot cannot be deleted.")
            )

    # ------------------------------------------------------------------ actions

    @api.model
    def action_create_month_end_snapshot(self):
        """Manager button: the snapshot of the last month end of the selected companies."""
        self._check_snapshot_manager()
        snapshots = self._create_month_end_snapshots()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Month-End Snapshots"),
            "res_model": self._name,
            "views": [(False, "form")]
            if len(snapshots) == 1
            else [(False, "list"), (False, "form")],
            "res_id": snapshots[:1].id,
            "domain": [("id", "in", snapshots.ids)],
        }

    def action_sign_off(self):
        """Sign the snapshots off: from now on they cannot change."""
        self._check_snapshot_manager()
        if any(snapshot.state == "signed" for snapshot in self):
            raise UserError(self.env._("This snapshot is already signed off."))
        broken = self.filtered(lambda s: not s._snapshot_chain_verifies())
        if broken:
            raise UserError(
                self.env._(
                    "The checksums of %(names)s do not verify: check its integrity first.",
                    names=", ".join(broken.mapped("name")),
                )
            )
        self.write(
            {
                "state": "signed",
                "signed_by_id": self.env.uid,
                "signed_date": fields.Datetime.now(),
            }
        )
        for snapshot in self:
            snapshot.message_post(
                body=self.env._("Signed off by %(user)s.", user=self.env.user.name)
            )
        return True

    def action_view_lines(self):
        """The snapshot's customers of one change kind (``snapshot_change`` in the context)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "billing_coordinator.billing_ar_snapshot_line_action"
        )
        change = self.env.context.get("snapshot_change")
        action["domain"] = [("snapshot_id", "=", self.id)]
        action["context"] = {f"search_default_change_{change}": 1} if change else {}
        return action

    # ------------------------------------------------------------------ business

    def _check_snapshot_manager(self):
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._("Only billing managers create and sign month-end snapshots.")
            )

    @api.model
    def _last_month_end(self, today=None):
        today = today or fields.Date.context_today(self)
        return today.replace(day=1) - timedelta(days=1)

    @api.model
    def _create_month_end_snapshots(
        self, date=None, companies=None, skip_existing=False
    ):
        """One snapshot per company as of ``date`` (default: the last month end).

        An existing snapshot of a company and date is refused (UserError), or skipped
        with ``skip_existing`` (the cron). Returns the new snapshots."""
        date = fields.Date.to_date(date) if date else self._last_month_end()
        if date >= fields.Date.context_today(self):
            raise UserError(
                self.env._(
                    "A month-end snapshot freezes a past day: choose a date before today."
                )
            )
        companies = companies if companies is not None else self.env.companies
        # sudo: a snapshot of another company the user cannot see still blocks the date
        existing = self.sudo().search(
            [("company_id", "in", companies.ids), ("date", "=", date)]
        )
        if existing and not skip_existing:
            raise UserError(
                self.env._(
                    "There is already a snapshot as of %(date)s for %(companies)s.",
                    date=date.isoformat(),
                    companies=", ".join(existing.company_id.mapped("name")),
                )
            )
        companies -= existing.company_id
        if not companies:
            return self.browse()
        previous = self._snapshot_latest_before(companies, date)
        snapshots = self.create(
            [
                {
                    "date": date,
                    "company_id": company.id,
                    "currency_id": company.currency_id.id,
                    "previous_id": previous.get(company.id, False),
                }
                for company in companies
            ]
        )
        line_vals = []
        for snapshot in snapshots:
            line_vals += snapshot._snapshot_freeze_aging()
        self.env["billing.ar.snapshot.line"].create(line_vals)
        for snapshot in snapshots:
            snapshot._snapshot_write_totals()
            snapshot._snapshot_build_files()
        return snapshots

    @api.model
    def _snapshot_latest_before(self, companies, date):
        """``{company id: id of its latest snapshot before date}`` in one query."""
        groups = self._read_group(
            [("company_id", "in", companies.ids), ("date", "<", date)],
            ["company_id"],
            ["date:max"],
        )
        dates = {company.id: max_date for company, max_date in groups}
        if not dates:
            return {}
        found = self.search(
            [
                ("company_id", "in", list(dates)),
                ("date", "in", list(set(dates.values()))),
            ]
        )
        return {
            s.company_id.id: s.id for s in found if dates.get(s.company_id.id) == s.date
        }

    @api.model
    def _cron_create_month_end_snapshots(self):
        """Daily: the last month end's snapshot of every company that has none yet."""
        # sudo: the cron archives every company, not only those of its user
        Snapshot = self.sudo()
        companies = Snapshot.env["res.company"].search([("active", "=", True)])
        return Snapshot._create_month_end_snapshots(
            companies=companies, skip_existing=True
        )
