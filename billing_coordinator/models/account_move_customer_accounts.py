"""Customer accounts on invoices: the first invoice of a customer that is not billing
ready is refused (when the company asks for it), and a bounced invoice e-mail opens or
updates the customer's customer_data case."""

from odoo import models
from odoo.exceptions import UserError
from odoo.fields import Domain


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        self._check_billing_ready_first_invoice()
        return super()._post(soft=soft)

    def _check_billing_ready_first_invoice(self):
        """Refuse to post the first customer invoice of a customer that is not billing
        ready, in companies that block it; the error names what is missing."""
        invoices = self.filtered(
            lambda m: m.move_type == "out_invoice"
            and m.state == "draft"
            and m.company_id.billing_block_unready_first_invoice
        )
        if not invoices:
            return
        # One query: which of these customers already have a posted invoice.
        # sudo: earlier invoices of the customer count even where the user posting
        # this one may not read them (another salesperson's, a restricted journal).
        invoiced = {
            (company.id, partner.id)
            for company, partner in self.env["account.move"]
            .sudo()
            ._read_group(
                Domain("move_type", "=", "out_invoice")
                & Domain("state", "=", "posted")
                & Domain("company_id", "in", invoices.company_id.ids)
                & Domain(
                    "commercial_partner_id", "in", invoices.commercial_partner_id.ids
                ),
                ["company_id", "commercial_partner_id"],
            )
        }
        Case = self.env["billing.case"]
        errors = []
        for (company, partner), _moves in invoices.grouped(
            lambda m: (m.company_id, m.commercial_partner_id)
        ).items():
            if (company.id, partner.id) in invoiced:
                continue
            problems = Case._get_billing_ready_problems(partner, company)
            if problems:
                errors.append(
                    self.env._(
                        "%(customer)s is not billing ready:\n%(problems)s",
                        customer=partner.display_name,
                        problems="\n".join(f"- {label}" for _code, label in problems),
                    )
                )
        if errors:
            raise UserError(
                self.env._(
                    "The first invoice of a customer can only be posted once its billing "
                    "data is complete.\n\n%(errors)s",
                    errors="\n\n".join(errors),
                )
            )

    def _message_receive_bounce(self, email, partner):
        """An e-mail sent from a customer invoice bounced: open or update the customer's
        customer_data case at once, instead of waiting for the daily detection."""
        res = super()._message_receive_bounce(email, partner)
        invoices = self.filtered(
            lambda m: m.move_type in ("out_invoice", "out_refund")
            and m.state == "posted"
        )
        # sudo: the bounce arrives through the mail gateway, not as a billing user.
        Case = self.env["billing.case"].sudo()
        for company, moves in invoices.grouped("company_id").items():
            Case._sync_customer_data_cases(company, moves.commercial_partner_id)
        return res
