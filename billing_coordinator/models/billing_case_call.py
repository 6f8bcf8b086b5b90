from odoo import api, fields, models


class BillingCaseCall(models.Model):
    """One logged phone call about a case: who called, when, with what outcome.

    Kept as a record (besides the chatter note) so that outcomes can be counted."""

    _name = "billing.case.call"
    _description = "Billing Case Call"
    _order = "date desc, id desc"
    _check_company_auto = True

    case_id = fields.Many2one(
        "billing.case",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        related="case_id.partner_id", string="Customer", store=True, index=True
    )
    user_id = fields.Many2one(
        "res.users",
        string="Called by",
        required=True,
        index=True,
        default=lambda self: self.env.user,
    )
    date = fields.Datetime(required=True, index=True, default=fields.Datetime.now)
    outcome_id = fields.Many2one(
        "billing.call.outcome",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    outcome_code = fields.Char(related="outcome_id.code")
    note = fields.Text()
    follow_up_date = fields.Date(help="The case was put aside until this date.")
    message_id = fields.Many2one(
        "mail.message",
        string="Chatter Note",
        readonly=True,
        ondelete="set null",
        copy=False,
    )

    @api.depends("case_id", "outcome_id")
    def _compute_display_name(self):
        for call in self:
            call.display_name = self.env._(
                "%(case)s: %(outcome)s",
                case=call.case_id.name or "",
                outcome=call.outcome_id.name or "",
            )
