"""Automatic write-off of small differences (off by default, per company).

Every day the scheduled action writes off, through the resolution engine, the open
remainder of short payment and overdue cases when it is within the company's
tolerance (amount and share of the invoice), the invoice is due for more than N days,
and it is not above the coordinator write-off limit; then it sends the billing
managers a summary.
"""

import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import formatLang

from .billing_case import OPEN_STATES

_logger = logging.getLogger(__name__)

AUTO_WRITE_OFF_CASE_CODES = ("short_payment", "overdue")


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _cron_auto_write_off(self):
        """Daily scheduled action: one company per batch (19.0 progress API)."""
        companies = self.env["res.company"].search(
            [("billing_auto_writeoff", "=", True)]
        )
        IrCron = self.env["ir.cron"]
        IrCron._commit_progress(remaining=len(companies))
        for company in companies:
            # The notes and the managers' summary in the company's language, as the
            # detection writes its cases.
            lang = self._get_detection_lang(company)
            self.with_context(lang=lang)._auto_write_off(company)
            if not IrCron._commit_progress(1):
                break

    @api.model
    def _get_auto_write_off_domain(self, company):
        due_before = fields.Date.context_today(self) - timedelta(
            days=company.billing_auto_writeoff_days
        )
        return (
            Domain("company_id", "=", company.id)
            & Domain("state", "in", OPEN_STATES)
            & Domain("case_code", "in", AUTO_WRITE_OFF_CASE_CODES)
            & Domain("move_ids.move_type", "=", "out_invoice")
            & Domain("move_ids.state", "=", "posted")
            & Domain("move_ids.amount_residual", ">", 0)
            & Domain("move_ids.invoice_date_due", "<", due_before)
        )

    @api.model
    def _get_auto_write_off_limit(self, company, invoice):
        """The most that may be written off on ``invoice`` (company currency): the
        tolerance amount, the tolerance share of the invoice total and the coordinator
        write-off limit, whichever is lowest."""
        return min(
            company.billing_auto_writeoff_amount,
            abs(invoice.amount_total_signed)
            * company.billing_auto_writeoff_percent
            / 100.0,
            company.billing_writeoff_limit,
        )

    @api.model
    def _auto_write_off(self, company):
        """Write off the cases of ``company`` within the tolerance, each in its own
        savepoint; return ``{"done": cases, "refused": [(case, reason)]}``."""
        Case = self.with_company(company)
        cases = Case.search(self._get_auto_write_off_domain(company), order="id")
        WriteOff = self.env["billing.resolution.write_off"]
        journal = (
            company.billing_auto_writeoff_journal_id
            or WriteOff._get_available_journals(cases[:1])[:1]
        )
        due_before = fields.Date.context_today(self) - timedelta(
            days=company.billing_auto_writeoff_days
        )
        currency = company.currency_id
        result = {"done": self.browse(), "refused": []}
        for case in cases:
            resolution = WriteOff._prepare_resolution(
                case, "write_off", {"journal_id": journal.id}
            )
            invoice = resolution["invoice"]
            if not invoice.invoice_date_due or invoice.invoice_date_due >= due_before:
                continue
            amount = WriteOff._get_company_amount(resolution)
            limit = self._get_auto_write_off_limit(company, invoice)
            if not currency.compare_amounts(amount, 0.0) > 0 or (
                currency.compare_amounts(amount, limit) > 0
            ):
                continue
            note = self.env._(
                "Written off automatically: %(amount)s is within the tolerance of %(limit)s.",
                amount=formatLang(self.env, amount, currency_obj=currency),
                limit=formatLang(self.env, limit, currency_obj=currency),
            )
            try:
                with self.env.cr.savepoint():
                    case._resolve("write_off", journal_id=journal.id, note=note)
            except UserError as error:
                result["refused"].append((case, str(error)))
                continue
            result["done"] |= case
        if result["done"] or result["refused"]:
            self._notify_auto_write_off(company, result)
        return result

    @api.model
    def _notify_auto_write_off(self, company, result):
        """The daily summary for the billing managers of ``company``."""
        managers = self.env.ref(
            "billing_coordinator.group_billing_manager"
        ).user_ids.filtered(
            lambda user: company in user.company_ids and not user.share and user.active
        )
        # Not OdooBot / the superuser: nobody reads their inbox.
        managers = managers.filtered(lambda user: not user._is_superuser())
        if not managers:
            return
        done = [
            (
                case.name,
                formatLang(self.env, move.amount_total, currency_obj=move.currency_id),
            )
            for case in result["done"]
            for move in case.resolution_move_ids[:1]
        ]
        refused = [(case.name, reason) for case, reason in result["refused"]]
        items = [Markup("<li>%s: %s</li>") % item for item in done + refused]
        body = Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._(
                "Automatic write-off in %(company)s: %(done)s case(s) written off, "
                "%(refused)s refused.",
                company=company.name,
                done=len(result["done"]),
                refused=len(result["refused"]),
            ),
            Markup().join(items),
        )
        self.env["billing.case"].message_notify(
            partner_ids=managers.partner_id.ids,
            subject=self.env._(
                "Automatic write-off: %(company)s", company=company.name
            ),
            body=body,
        )
