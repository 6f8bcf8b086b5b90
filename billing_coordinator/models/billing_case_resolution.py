from odoo import api, fields, models
from odoo.exceptions import AccessError, LockError, UserError
from odoo.tools import clean_context, format_date, formatLang

from .billing_case import OPEN_STATES

# Resolution proposed for each kind of case; short payments are decided on the amount.
CASE_CODE_RESOLUTION = {
    "overcharge": "credit_note",
    "undercharge": "supplementary_invoice",
    "overpayment": "refund",
    "duplicate_payment": "refund",
    "unapplied_payment": "refund",
    "overdue": "payment_plan",
    "customer_data": "customer_data_fixed",
}


class BillingCase(models.Model):
    """Resolution side of a case: the resolve wizard entry point and payment plans."""

    _inherit = "billing.case"

    promise_ids = fields.One2many(
        "billing.case.promise",
        "case_id",
        string="Payment Plan",
        readonly=True,
        copy=False,
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

    # ------------------------------------------------------ resolution engine

    @api.model
    def _get_resolution_types(self):
        """Resolution types a case can be resolved by: code -> model of the unit.

        A unit is an AbstractModel inheriting ``billing.resolution`` (see
        ``billing_resolution.py``). Another module adds a type by overriding this method,
        adding its code to ``resolution_type`` with ``selection_add`` and defining the
        unit; it replaces one by inheriting the unit's model. "cleared" is not here:
        detection sets it, nobody chooses it.
        """
        return {
            "credit_note": "billing.resolution.credit_note",
            "supplementary_invoice": "billing.resolution.supplementary_invoice",
            "refund": "billing.resolution.refund",
            "write_off": "billing.resolution.write_off",
            "payment_plan": "billing.resolution.payment_plan",
            "customer_data_fixed": "billing.resolution.note",
            "no_action": "billing.resolution.note",
        }

    @api.model
    def _get_resolution_unit(self, resolution_type):
        model = self._get_resolution_types().get(resolution_type)
        if not model:
            raise UserError(
                self.env._(
                    "%(type)s is not a resolution a case can be resolved by.",
                    type=resolution_type,
                )
            )
        return self.env[model]

    def _resolve(self, resolution_type, **values):
        """Resolve this open case by ``resolution_type``; return the documents created.

        ``values`` are those of the resolve wizard, records as ids: ``amount``,
        ``invoice_id``, ``journal_id``, ``write_off_account_id``, ``date``,
        ``credit_line_ids``, ``note`` and ``installments=[(date, amount), ...]``; a
        value left out takes the default the wizard proposes. Every check runs before
        anything is written (UserError); the documents are then written in a savepoint,
        so a late failure leaves nothing half done. Returns the account.move records
        posted, or the billing.case.promise records of a payment plan.
        """
        self.ensure_one()
        # Keep default_* keys of a caller's context away from the documents created.
        # Replaced, not merged: kwargs would keep the default_* keys.
        case = self.with_context(clean_context(self.env.context))  # pylint: disable=context-overridden
        case.check_access("write")
        case._lock_for_resolution()
        if case.state not in OPEN_STATES:
            raise UserError(
                self.env._(
                    "Case %(case)s is not open and cannot be resolved.", case=case.name
                )
            )
        if not resolution_type:
            raise UserError(self.env._("Choose how the case is resolved."))
        unit = case._get_resolution_unit(resolution_type)
        resolution = unit._prepare_resolution(case, resolution_type, values)
        unit._check(resolution)
        with self.env.cr.savepoint():
            documents = unit._apply(resolution)
        return documents.with_env(self.env)

    def resolve_for_integration(self, resolution_type, values=None):
        """:meth:`_resolve` for integrations over RPC (JSON-2, XML-RPC), which cannot call
        a private method: resolve this case by ``resolution_type`` with ``values`` (a dict
        as for ``_resolve``: records as ids, dates as ISO strings) and return the ids of
        the documents created (account.move, or billing.case.promise for a payment plan).
        The same rights and checks apply as in the wizard."""
        return self._resolve(resolution_type, **(values or {})).ids

    def _resolve_bulk(self, resolution_type, **values):
        """Resolve each of these cases by ``resolution_type`` with the same ``values``
        (the rest defaults per case), each in its own savepoint: a refused case does
        not stop the others. Returns ``{"done": cases, "refused": [(case, reason)]}``."""
        result = {"done": self.browse(), "refused": []}
        for case in self:
            try:
                with self.env.cr.savepoint():
                    case._resolve(resolution_type, **values)
            except (UserError, AccessError) as error:
                result["refused"].append((case, str(error)))
            else:
                result["done"] |= case
        return result

    @api.private
    def _get_default_resolution_type(self):
        """The resolution proposed for this case: by its kind, and for a short payment
        a write-off within the write-off limit, else a credit note."""
        self.ensure_one()
        if self.case_code == "short_payment":
            company = self.company_id
            amount = abs(self.amount_difference) or sum(
                self._get_plan_invoices().mapped("amount_residual")
            )
            amount = self.currency_id._convert(
                amount, company.currency_id, company, fields.Date.context_today(self)
            )
            within_limit = (
                company.currency_id.compare_amounts(
                    amount, company.billing_writeoff_limit
                )
                <= 0
            )
            return "write_off" if within_limit else "credit_note"
        return CASE_CODE_RESOLUTION.get(self.case_code, False)

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
                amount=formatLang(
                    self.env, promise.amount, currency_obj=promise.currency_id
                ),
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
        self._hand_back_to_coordinator(
            self.env._("Payment plan over, balance still due"), note
        )

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
