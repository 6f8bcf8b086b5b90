"""Customer data beyond the detection rule: bounced invoice e-mails, the "billing
ready" check of new customers, and opening or updating a customer's customer_data
case outside the daily run (when an invoice e-mail bounces)."""

import stdnum.util

from odoo import api, models
from odoo.fields import Domain

from .billing_case import OPEN_STATES


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _get_customer_data_problems(
        self, partner, company, has_invoice_email, rule=None
    ):
        problems = super()._get_customer_data_problems(
            partner, company, has_invoice_email, rule=rule
        )
        bounced = self._get_bounced_invoice_emails(partner)
        if bounced:
            problems.append(
                (
                    "bounce:" + "+".join(bounced),
                    self.env._(
                        "Invoice e-mails to %(emails)s bounce or the address is blacklisted.",
                        emails=", ".join(bounced),
                    ),
                )
            )
        return problems

    @api.model
    def _get_bounced_invoice_emails(self, partner):
        """The invoicing addresses of ``partner`` (its own and its invoice contacts')
        that bounced (Odoo's bounce counter) or are on the mail blacklist."""
        contacts = partner | self._get_invoice_contacts(partner)
        # sudo: the blacklist flag is only readable by employees; the check runs in the
        # mail gateway and for billing users alike.
        return sorted(
            {
                contact.email_normalized or contact.email
                for contact in contacts.sudo()  # sudo: the blacklist flag, see above
                if contact.email
                and (contact.message_bounce > 0 or contact.is_blacklisted)
            }
        )

    @api.model
    def _get_invoice_contacts(self, partner):
        """The active Invoice Address contacts of ``partner``."""
        return partner.child_ids.filtered(lambda c: c.type == "invoice" and c.active)

    @api.model
    def _get_billing_ready_problems(self, partner, company):
        """``[(code, label)]``: what ``partner`` (a commercial entity) lacks before it
        can be billed in ``company``: the customer data problems, plus a VAT number
        for a company in a country whose VAT numbers python-stdnum can check, and a
        billing contact (an invoice address) for a company."""
        partner = partner.with_company(company)
        contacts = self._get_invoice_contacts(partner)
        problems = self._get_customer_data_problems(
            partner, company, bool(partner.email or any(contacts.mapped("email")))
        )
        country = partner.country_id
        if (
            partner.is_company
            and not partner.vat
            and country
            and stdnum.util.get_cc_module(country.code.lower(), "vat")
        ):
            problems.append(("vat_missing", self.env._("No VAT number.")))
        if partner.is_company and not contacts:
            problems.append(
                (
                    "billing_contact",
                    self.env._("No billing contact (an Invoice Address contact)."),
                )
            )
        return problems

    @api.model
    def _sync_customer_data_cases(self, company, partners):
        """Open or update the customer_data case of each of ``partners`` in ``company``
        now, with what the daily rule would find (e.g. after an invoice e-mail
        bounced); customers without problems are left alone."""
        Case = self.with_company(company).with_context(
            lang=self._get_detection_lang(company),
            active_test=False,
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
        )
        currency = company.currency_id
        findings = []
        for partner in partners.with_company(company):
            contacts = Case._get_invoice_contacts(partner)
            problems = Case._get_customer_data_problems(
                partner, company, bool(partner.email or any(contacts.mapped("email")))
            )
            if problems:
                findings.append(
                    Case._new_customer_data_finding(partner, currency, problems)
                )
        if not findings:
            return Case.browse()
        open_cases = Case.search(
            Domain("company_id", "=", company.id)
            & Domain("detection_rule", "=", "customer_data")
            & Domain("state", "in", OPEN_STATES)
            & Domain("detection_key", "in", [f["key"] for f in findings])
        )
        by_key = {case.detection_key: case for case in open_cases}
        to_create = []
        for finding in findings:
            case = by_key.get(finding["key"])
            if not case:
                to_create.append(finding)
            elif case.detection_fingerprint != finding["fingerprint"]:
                case._update_detected_case(finding)
        Case._set_detection_case_types(company, to_create)
        to_create = Case._filter_covered_findings(company, to_create)
        cases = open_cases | Case._create_detected_cases(company, to_create)
        return cases.with_env(self.env)
