"""E-mail to the customer from a case: templates by case state, the standard composer,
and the invoice contact as default recipient. Replies come back to the case chatter by
Odoo's thread routing (Message-Id / References) through the company's catchall."""

from odoo import models
from odoo.exceptions import UserError

TEMPLATE_NOTICE = "billing_coordinator.mail_template_billing_case_notice"
TEMPLATE_RESOLVED = "billing_coordinator.mail_template_billing_case_resolved"
TEMPLATE_REMINDER = "billing_coordinator.mail_template_billing_case_reminder"
TEMPLATE_PROMISE = "billing_coordinator.mail_template_billing_case_promise"
MAIL_LAYOUT = "mail.mail_notification_layout_with_responsible_signature"

# Case kinds where the customer owes money: the first e-mail is a payment reminder.
REMINDER_CODES = ("overdue", "short_payment", "undercharge")


class BillingCase(models.Model):
    _inherit = "billing.case"

    # ---------------------------------------------------------------- actions

    def action_send_email(self):
        """The standard composer with the template that fits the case (see
        ``_get_mail_template``); the coordinator may pick another one."""
        self.ensure_one()
        self.check_access("write")
        # Refused here rather than failing silently after sending (a red envelope nobody
        # reads): the coordinator learns now that the customer cannot be written to.
        recipients = self._mail_get_partners()[self.id]
        if not any(recipients.mapped("email")):
            raise UserError(
                self.env._(
                    "%(customer)s has no e-mail address: add one on the customer or its "
                    "invoice address before writing to them.",
                    customer=self.partner_id.display_name,
                )
            )
        template = self._get_mail_template()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send Email"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_composition_mode": "comment",
                "default_template_id": template.id,
                "default_email_layout_xmlid": MAIL_LAYOUT,
                "email_notification_allow_footer": True,
                "force_email": True,
            },
        }

    # --------------------------------------------------------------- helpers

    def _get_mail_template(self):
        """Resolved: the resolution confirmation; a pending payment plan: the promise
        confirmation; money owed on open invoices: the payment reminder; otherwise the
        discrepancy notice. Cancelled cases get no template."""
        self.ensure_one()
        if self.state == "cancelled":
            return self.env["mail.template"]
        if self.state == "resolved":
            xmlid = TEMPLATE_RESOLVED
        elif self.promise_ids.filtered(lambda p: p.state == "pending"):
            xmlid = TEMPLATE_PROMISE
        elif self.case_code in REMINDER_CODES and self._get_mail_open_invoices():
            xmlid = TEMPLATE_REMINDER
        else:
            xmlid = TEMPLATE_NOTICE
        return (
            self.env.ref(xmlid, raise_if_not_found=False) or self.env["mail.template"]
        )

    def _get_mail_open_invoices(self):
        """The posted customer invoices of the case with an amount still due, by due date
        (the payment reminder and resolution confirmation list them)."""
        self.ensure_one()
        return self.move_ids.filtered(
            lambda move: (
                move.move_type == "out_invoice"
                and move.state == "posted"
                and not move.currency_id.is_zero(move.amount_residual)
            )
        ).sorted(lambda move: (move.invoice_date_due or move.invoice_date, move.id))

    def _mail_get_partners(self, introspect_fields=False):
        """Billing mail goes to the customer's invoice address contact when it has an
        e-mail, else to the customer (one search for the whole batch)."""
        result = super()._mail_get_partners(introspect_fields=introspect_fields)
        customers = self.partner_id
        if not customers:
            return result
        contacts = self.env["res.partner"].search(
            [
                ("parent_id", "in", customers.ids),
                ("type", "=", "invoice"),
                ("email", "!=", False),
            ],
            order="id",
        )
        invoice_contact = {}
        for contact in contacts:
            invoice_contact.setdefault(contact.parent_id.id, contact)
        for case in self:
            contact = invoice_contact.get(case.partner_id.id)
            if contact:
                result[case.id] = contact
        return result
