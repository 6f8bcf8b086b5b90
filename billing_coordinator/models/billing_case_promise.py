from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import split_every

from .billing_case import OPEN_STATES
from .billing_cron_concurrency import run_cron_batch


class BillingCasePromise(models.Model):
    _name = "billing.case.promise"
    _description = "Billing Case Promise to Pay"
    _order = "case_id, date, id"

    case_id = fields.Many2one(
        "billing.case", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="case_id.currency_id")
    partner_id = fields.Many2one(related="case_id.partner_id", string="Customer")
    date = fields.Date(string="Promised Date", required=True)
    amount = fields.Monetary(required=True, currency_field="currency_id")
    target_residual = fields.Monetary(
        string="Amount Due After",
        currency_field="currency_id",
        readonly=True,
        help="The promise is kept once the amount due on the case invoices is at most this "
        "amount: the amount due when the plan was agreed minus this installment and the "
        "earlier ones.",
    )
    state = fields.Selection(
        [("pending", "Pending"), ("kept", "Kept"), ("broken", "Broken")],
        default="pending",
        required=True,
        index=True,
        readonly=True,
    )
    kept_date = fields.Date(readonly=True)

    _amount_positive = models.Constraint(
        "CHECK(amount > 0)",
        "A promised amount must be positive.",
    )

    # ------------------------------------------------------------------ cron

    @api.model
    def _get_promise_check_domain(self):
        return Domain("state", "=", "pending") & Domain(
            "case_id.state", "in", OPEN_STATES
        )

    @api.model
    def _cron_check_promises(self, batch_size=100):
        """Daily: mark pending promises kept or broken, a batch of cases at a time,
        committed with the cron progress (see ``run_cron_batch``). A batch is searched
        again when it runs (and when it is retried after a concurrency error), so a
        promise another transaction checked meanwhile is not checked twice."""
        domain = self._get_promise_check_domain()
        case_ids = [case.id for [case] in self._read_group(domain, ["case_id"])]

        def check(chunk):
            self.search(domain & Domain("case_id", "in", chunk))._check_promises()

        run_cron_batch(self.env, list(split_every(batch_size, case_ids, list)), check)

    @api.private
    def _check_promises(self):
        """A promise is kept when the payments cover it (cumulatively with the earlier
        installments of its plan), broken when its date has passed uncovered."""
        today = fields.Date.context_today(self)
        pending = self.filtered(lambda promise: promise.state == "pending")
        if not pending:
            return
        residuals = pending.case_id._get_plan_residuals()
        kept = broken = self.browse()
        for promise in pending:
            residual = residuals.get(promise.case_id, 0.0)
            if (
                promise.currency_id.compare_amounts(residual, promise.target_residual)
                <= 0
            ):
                kept |= promise
            elif promise.date < today:
                broken |= promise
        kept.write({"state": "kept", "kept_date": today})
        broken.write({"state": "broken"})
        for case, promises in broken.grouped("case_id").items():
            case._on_promises_broken(promises)
        for case, promises in kept.grouped("case_id").items():
            case._on_promises_kept(
                promises, residuals.get(case, 0.0), plan_broken=case in broken.case_id
            )
