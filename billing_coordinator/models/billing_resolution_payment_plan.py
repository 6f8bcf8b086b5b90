from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date


class BillingResolutionPaymentPlan(models.AbstractModel):
    """Payment plan: promises to pay in installments; the case waits for the customer
    and the daily promise check settles it. Posts nothing; returns the promises."""

    _name = "billing.resolution.payment_plan"
    _inherit = "billing.resolution"
    _description = "Resolution by Payment Plan"

    @api.model
    def _default_amount(self, resolution):
        return sum(amount for _date, amount in resolution["installments"])

    @api.model
    def _get_disputed_amount(self, resolution):
        return sum(resolution["case"]._get_plan_invoices().mapped("amount_residual"))

    @api.model
    def _check(self, resolution):
        installments = resolution["installments"]
        currency = resolution["case"].currency_id
        today = fields.Date.context_today(self)
        if not installments:
            raise UserError(
                self.env._("Add the installments the customer promises to pay.")
            )
        for date, amount in installments:
            if not date:
                raise UserError(self.env._("Every installment needs a date."))
            if date < today:
                raise UserError(
                    self.env._(
                        "The installment of %(date)s is in the past.",
                        date=format_date(self.env, date),
                    )
                )
            if currency.compare_amounts(amount or 0.0, 0.0) <= 0:
                raise UserError(
                    self.env._("Every installment must be greater than zero.")
                )
        # One installment per day: a repeated date is a typing mistake far more often than
        # a plan, and the customer's confirmation lists one amount per date.
        dates = [date for date, _amount in installments]
        repeated = next((date for date in dates if dates.count(date) > 1), None)
        if repeated:
            raise UserError(
                self.env._(
                    "Two installments fall on %(date)s; merge them into one.",
                    date=format_date(self.env, repeated),
                )
            )
        total = sum(amount for _date, amount in installments)
        due = self._get_disputed_amount(resolution)
        if currency.compare_amounts(total, due) > 0:
            raise UserError(
                self.env._(
                    "The installments add up to %(total)s, more than the amount due on the "
                    "case invoices (%(due)s).",
                    total=self._format_amount(total, currency),
                    due=self._format_amount(due, currency),
                )
            )

    @api.model
    def _apply(self, resolution):
        case, currency = resolution["case"], resolution["case"].currency_id
        due = self._get_disputed_amount(resolution)
        case.promise_ids.filtered(lambda promise: promise.state == "pending").unlink()
        promise_vals = []
        promised = 0.0
        for date, amount in sorted(
            resolution["installments"], key=lambda item: item[0]
        ):
            promised += amount
            promise_vals.append(
                {
                    "case_id": case.id,
                    "date": date,
                    "amount": amount,
                    "target_residual": currency.round(due - promised),
                }
            )
        promises = self.env["billing.case.promise"].create(promise_vals)
        vals = {"resolution_type": "payment_plan"}
        if resolution["note"]:
            vals["resolution_note"] = resolution["note"]
        case.write(vals)
        if case.state != "waiting_customer":
            case.action_wait_customer()
        case.message_post(
            body=self.env._(
                "Payment plan agreed with the customer: %(promises)s.",
                promises=case._format_promises(promises),
            )
        )
        return promises
