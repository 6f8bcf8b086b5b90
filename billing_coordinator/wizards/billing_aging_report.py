from odoo import api, fields, models
from odoo.exceptions import UserError


class BillingAgingReport(models.TransientModel):
    """Options of the AR aging reports (summary PDF and XLSX): as-of date, companies,
    team, coordinator, customers, with or without the open items."""

    _name = "billing.aging.report"
    _description = "AR Aging Report"

    date_at = fields.Date(
        string="As of",
        required=True,
        default=fields.Date.context_today,
        help="Items open at the end of this day, with their days overdue on it.",
    )
    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        required=True,
        default=lambda self: self.env.companies,
        domain=lambda self: [("id", "in", self.env.user.company_ids.ids)],
    )
    team_id = fields.Many2one(
        "billing.team",
        string="Team",
        default=lambda self: self._default_team_id(),
        help="Only the customers of this billing team.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Coordinator",
        domain="[('share', '=', False)]",
        help="Only the customers of this billing coordinator.",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        default=lambda self: self._default_partner_ids(),
        domain="[('parent_id', '=', False)]",
    )
    detail = fields.Boolean(
        string="With Open Items",
        help="List the open items under each customer.",
    )

    @api.model
    def _default_partner_ids(self):
        if self.env.context.get("active_model") == "res.partner":
            return (
                self.env["res.partner"]
                .browse(self.env.context.get("active_ids", []))
                .commercial_partner_id
            )
        return False

    @api.model
    def _default_team_id(self):
        # A coordinator reports on one of their teams; a manager on everything.
        user = self.env.user
        if user._is_billing_report_restricted() and not self._default_partner_ids():
            return user._get_billing_report_teams()[:1]
        return False

    # ------------------------------------------------------------------ actions

    def action_print_pdf(self):
        """Print the AR aging summary (PDF)."""
        self.ensure_one()
        self._get_aging_filters()
        return self.env.ref(
            "billing_coordinator.report_aging_summary_action"
        ).report_action(self)

    def action_print_xlsx(self):
        """Download the AR aging workbook (summary and detail sheets)."""
        self.ensure_one()
        self._get_aging_filters()
        return self.env.ref("billing_coordinator.aging_xlsx_action").report_action(self)

    # ------------------------------------------------------------------ business

    def _get_aging_filters(self):
        """The keyword arguments of ``_get_aging()`` / ``_iter_aging_items()`` for these
        options, after checking that the user may report on them."""
        self.ensure_one()
        if not self.company_ids:
            raise UserError(self.env._("Choose at least one company."))
        user = self.env.user
        self.team_id._check_billing_report_access()
        self.partner_ids._check_billing_report_access()
        if (
            not self.env.su
            and user._is_billing_report_restricted()
            and not (self.team_id or self.partner_ids or self.user_id == user)
        ):
            raise UserError(
                self.env._(
                    "As a coordinator, report on one of your teams, on your own customers "
                    "(yourself as coordinator) or on chosen customers."
                )
            )
        return {
            "date_at": self.date_at,
            "company_ids": self.company_ids,
            "partner_ids": self.partner_ids.ids or None,
            "team_id": self.team_id.id or None,
            "user_id": self.user_id.id or None,
        }

    def _get_filter_lines(self):
        """``(label, value)`` of each filter, for the header of the reports."""
        self.ensure_one()
        lines = [
            (self.env._("As of"), self.date_at),
            (self.env._("Companies"), ", ".join(self.company_ids.mapped("name"))),
        ]
        if self.team_id:
            lines.append((self.env._("Team"), self.team_id.name))
        if self.user_id:
            lines.append((self.env._("Coordinator"), self.user_id.name))
        if self.partner_ids:
            lines.append(
                (
                    self.env._("Customers"),
                    ", ".join(self.partner_ids.mapped("display_name")),
                )
            )
        return lines
