from odoo import api, fields, models
from odoo.exceptions import UserError


class BillingStatementWizard(models.TransientModel):
    """Options of the customer statement: print it for the selected customers or e-mail
    each of them its own."""

    _name = "billing.statement.wizard"
    _description = "Customer Statement Options"

    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        required=True,
        default=lambda self: self._default_partner_ids(),
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.user.company_ids.ids)],
    )
    statement_type = fields.Selection(
        [("open_items", "Open Items"), ("activity", "Activity for a Period")],
        string="Statement",
        required=True,
        default="open_items",
        help="Open items: what is open on the date. Activity: opening balance, the "
        "documents and payments of the period and the closing balance, then the items "
        "still open at the end of the period.",
    )
    date_at = fields.Date(string="As of", default=fields.Date.context_today)
    only_overdue = fields.Boolean(string="Only Overdue Items")
    date_from = fields.Date(
        string="From",
        default=lambda self: fields.Date.context_today(self).replace(day=1),
    )
    date_to = fields.Date(string="To", default=fields.Date.context_today)
    missing_email_partner_ids = fields.Many2many(
        "res.partner",
        compute="_compute_missing_email_partner_ids",
        string="Customers without E-mail",
    )

    @api.model
    def _default_partner_ids(self):
        if self.env.context.get("active_model") == "res.partner":
            partners = self.env["res.partner"].browse(
                self.env.context.get("active_ids", [])
            )
            return partners.commercial_partner_id
        return False

    @api.depends("partner_ids")
    def _compute_missing_email_partner_ids(self):
        for wizard in self:
            wizard.missing_email_partner_ids = (
                wizard.partner_ids.commercial_partner_id.filtered(
                    lambda partner: not partner.email
                )
            )

    # ------------------------------------------------------------------ actions

    def action_print(self):
        """Print one statement per selected customer."""
        self.ensure_one()
        partners = self.partner_ids.commercial_partner_id
        partners._get_billing_statement_data(
            self._get_statement_options()
        )  # checks first
        return self.env.ref(
            "billing_coordinator.report_customer_statement_action"
        ).report_action(partners, data=self._get_statement_data_options())

    def action_send(self):
        """E-mail each selected customer its statement (PDF attached, kept in the
        customer's chatter)."""
        self.ensure_one()
        partners = self.partner_ids.commercial_partner_id
        if not partners.filtered("email"):
            raise UserError(
                self.env._("None of the selected customers has an e-mail address.")
            )
        partners._check_billing_report_access()
        sent = partners.with_company(self.company_id)._send_billing_statements(
            self._get_statement_options()
        )
        message = self.env._("Statements sent to %(count)s customers.", count=len(sent))
        if self.missing_email_partner_ids:
            message += " " + self.env._(
                "Not sent (no e-mail address): %(customers)s.",
                customers=", ".join(
                    self.missing_email_partner_ids.mapped("display_name")
                ),
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": "warning" if self.missing_email_partner_ids else "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # ------------------------------------------------------------------ business

    def _get_statement_options(self):
        self.ensure_one()
        activity = self.statement_type == "activity"
        return {
            "date_at": self.date_at,
            "only_overdue": self.only_overdue,
            "date_from": self.date_from if activity else False,
            "date_to": self.date_to if activity else False,
            "company_id": self.company_id.id,
        }

    def _get_statement_data_options(self):
        """The options as the report's JSON ``data`` (dates as ISO strings), with the
        customers: a report action with data reaches the report without record ids."""
        data = {
            key: fields.Date.to_string(value)
            if key.startswith("date") and value
            else value
            for key, value in self._get_statement_options().items()
        }
        data["partner_ids"] = self.partner_ids.commercial_partner_id.ids
        return data
