from odoo import api, fields, models
from odoo.exceptions import LockError, UserError
from odoo.tools import format_date, formatLang

from .billing_case import OPEN_STATES


class BillingCase(models.Model):
    """Resolution side of a case: the resolve wizard entry point and payment plans."""

    _inherit = "billing.case"

    promise_ids = fields.One2many(
        "billing.case.promise", "case_id", string="Payment Plan", readonly=True, copy=False
    )
    promise_count = fields.Integer(compute="_compute_promise_count")

    @api.depends("promise_ids")
    def _compute_promise_count(self):
        for case in self:
            case.promise_count = len(case.promise_ids)

    # ---------------------------------------------------------------- actions

    def action_open_resolve_wizard(self):
        self.ensure_one()
        self.check_access("write")  # no wizard over cases the user cannot change
        self._check_state(
            OPEN_STATES,
            self.env._("Only open cases can be resolved: %(cases)s."),
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Resolve %(case)s", case=self.name),
            "res_model": "billing.case.resolve",
            "view_mode": "form",
            "target": "new",
            "context": {"default_case_id": self.id},
        }

    @api.private
    def _lock_for_resolution(self):
        """Hold the case rows until the resolution commits. A second Apply on the same
        case (double click, another tab) is refused at once instead of posting a second
        set of entries or waiting on the first one's locks."""
        try:
            self.lock_for_update(allow_referencing=True)
        except LockError:
            raise UserError(
                self.env._(
                    "Case %(cases)s is being resolved in another window right now. Reload it "
                    "in a moment to see the result.",
                    cases=", ".join(self.mapped("name")),
                )
            ) from None

    # ---------------------------------------------------------- payment plans

    @api.private
    def _get_plan_invoices(self):
        """The posted customer invoices of the case that are still due."""
        return self.move_ids.filtered(
            lambda move: (
                move.move_type == "out_invoice"
                and move.state == "posted"
                and not move.currency_id.is_zero(move.amount_residual)
            )
        )

    @api.private
    def _get_plan_residuals(self):
        """Amount due on the posted customer invoices of each case, in one query."""
        groups = self.env["account.move"]._read_group(
            [
                ("billing_case_ids", "in", self.ids),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
            ],
            ["billing_case_ids"],
            ["amount_residual:sum"],
        )
        return {case: residual for case, residual in groups if case in self}

    @api.private
    def _get_followup_user(self):
        self.ensure_one()
        return self.user_id or self.create_uid

    @api.private
    def _format_promises(self, promises):
        return ", ".join(
            self.env._(
                "%(amount)s on %(date)s",
                amount=formatLang(self.env, promise.amount, currency_obj=promise.currency_id),
                date=format_date(self.env, promise.date),
            )
            for promise in promises
        )

    @api.private
    def _on_promises_broken(self, promises):
        """The customer missed a promise: the coordinator takes the case back."""
        self.ensure_one()
        summary = self.env._("Broken promise to pay")
        note = self.env._(
            "The customer did not keep the promise to pay %(promises)s. Contact them or "
            "choose another resolution.",
            promises=self._format_promises(promises),
        )
        self._hand_back_to_coordinator(summary, note)
        self.message_post(body=note)

    @api.private
    def _on_promises_kept(self, promises, residual, plan_broken=False):
        """Log kept promises; settle the case once the plan is over."""
        self.ensure_one()
        self.message_post(
            body=self.env._(
                "The customer kept the promise to pay %(promises)s.",
                promises=self._format_promises(promises),
            )
        )
        if plan_broken or self.promise_ids.filtered(lambda p: p.state == "pending"):
            return
        if self.currency_id.is_zero(residual):
            self._mark_resolved("payment_plan")
            return
        note = self.env._(
            "The payment plan is over but %(amount)s is still due on the case invoices.",
            amount=formatLang(self.env, residual, currency_obj=self.currency_id),
        )
        self._hand_back_to_coordinator(self.env._("Payment plan over, balance still due"), note)

    @api.private
    def _hand_back_to_coordinator(self, summary, note):
        """A waiting case goes back in progress with a to-do for its coordinator."""
        self.ensure_one()
        if self.state == "waiting_customer":
            # Not action_start(): the cron user must not become the coordinator.
            self.state = "in_progress"
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=summary,
            note=note,
            user_id=self._get_followup_user().id,
        )
