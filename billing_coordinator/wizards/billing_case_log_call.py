from datetime import timedelta

from odoo import api, fields, models

from ..models.billing_case import OPEN_STATES


class BillingCaseLogCall(models.TransientModel):
    _name = "billing.case.log.call"
    _description = "Log a Call on a Billing Case"

    case_id = fields.Many2one("billing.case", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="case_id.company_id")
    case_is_open = fields.Boolean(compute="_compute_case_is_open")
    outcome_id = fields.Many2one(
        "billing.call.outcome",
        string="Outcome",
        required=True,
        domain="[('company_id', 'in', (company_id, False))]",
    )
    outcome_description = fields.Text(related="outcome_id.description")
    requires_follow_up = fields.Boolean(related="outcome_id.requires_follow_up")
    note = fields.Text(
        help="What was said or agreed; kept in the chatter and the call log."
    )
    follow_up_date = fields.Date(
        string="Follow-up Date",
        compute="_compute_follow_up_date",
        store=True,
        readonly=False,
        help="Put the case aside until this date: it waits for the customer and comes back "
        "to the queue with a to-do on that day. Empty: the case stays in the queue.",
    )

    @api.depends("case_id.state")
    def _compute_case_is_open(self):
        for wizard in self:
            wizard.case_is_open = wizard.case_id.state in OPEN_STATES

    @api.depends("outcome_id", "case_id")
    def _compute_follow_up_date(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            if wizard.case_id.state not in OPEN_STATES:
                wizard.follow_up_date = False
            elif wizard.outcome_id.follow_up_days:
                wizard.follow_up_date = today + timedelta(
                    days=wizard.outcome_id.follow_up_days
                )
            elif (
                wizard.case_id.follow_up_date and wizard.case_id.follow_up_date > today
            ):
                wizard.follow_up_date = wizard.case_id.follow_up_date
            else:
                wizard.follow_up_date = False

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        # Its stored computes and related fields read the case as superuser: a wizard on
        # a case the user cannot change would show that case's customer and amounts.
        wizards.case_id.check_access("write")
        return wizards

    def action_confirm(self):
        self.ensure_one()
        # On an open case the wizard decides the follow-up (empty ends a running one).
        follow_up = (self.follow_up_date or False) if self.case_is_open else None
        self.case_id._log_call(
            self.outcome_id, note=self.note, follow_up_date=follow_up
        )
        return {"type": "ir.actions.act_window_close"}
