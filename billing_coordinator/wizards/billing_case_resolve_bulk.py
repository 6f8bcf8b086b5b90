from markupsafe import Markup

from odoo import api, fields, models

# Types that need per-case input (the installments of a payment plan) are left out.
BULK_EXCLUDED_TYPES = ("payment_plan",)


class BillingCaseResolveBulk(models.TransientModel):
    """Resolve the selected cases at once (e.g. write off every small difference): a
    thin form over ``billing.case._resolve_bulk``, each case with its own defaults."""

    _name = "billing.case.resolve.bulk"
    _description = "Resolve Billing Cases in Bulk"

    case_ids = fields.Many2many(
        "billing.case",
        string="Cases",
        required=True,
        default=lambda self: self.env.context.get("active_ids", []),
    )
    case_count = fields.Integer(compute="_compute_case_count")
    resolution_type = fields.Selection(
        selection="_selection_resolution_type", required=True
    )
    date = fields.Date(
        string="Accounting Date",
        required=True,
        default=lambda self: fields.Date.context_today(self),
    )
    note = fields.Text(help="Kept in the resolution note of every case.")
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    summary = fields.Html(readonly=True, sanitize=True)

    @api.model
    def _selection_resolution_type(self):
        return [
            (code, label)
            for code, label in self.env[
                "billing.case.resolve"
            ]._selection_resolution_type()
            if code not in BULK_EXCLUDED_TYPES
        ]

    @api.depends("case_ids")
    def _compute_case_count(self):
        for wizard in self:
            wizard.case_count = len(wizard.case_ids)

    def action_apply(self):
        """Resolve every case, then show what was done and what was refused and why."""
        self.ensure_one()
        values = {"date": self.date}
        if self.note:
            values["note"] = self.note
        result = self.case_ids._resolve_bulk(self.resolution_type, **values)
        self.write({"state": "done", "summary": self._format_summary(result)})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Bulk Resolution"),
        }

    @api.private
    def _format_summary(self, result):
        body = Markup("<p>%s</p>") % self.env._(
            "%(done)s case(s) resolved, %(refused)s refused.",
            done=len(result["done"]),
            refused=len(result["refused"]),
        )
        if result["refused"]:
            body += Markup("<ul>%s</ul>") % Markup().join(
                Markup("<li><b>%s</b>: %s</li>") % (case.name, reason)
                for case, reason in result["refused"]
            )
        return body
