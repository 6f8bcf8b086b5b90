"""Detection rule "customer_data": wrong or missing billing data of a customer."""

import functools

import stdnum.util

from odoo import api, models
from odoo.tools import SQL

# VAT prefixes that are not ISO country codes.
VAT_PREFIX_COUNTRY = {"EL": "GR", "XI": "GB"}


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _detect_customer_data(self, company):
        """Customers with posted invoices in the company whose billing data is wrong or
        missing (see _get_customer_data_problems); the finding lists the problems."""
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT partner.id,
                       (COALESCE(partner.email, '') != '' OR EXISTS (
                            SELECT 1 FROM res_partner contact
                             WHERE contact.parent_id = partner.id
                               AND contact.type = 'invoice'
                               AND contact.active
                               AND COALESCE(contact.email, '') != '')) AS has_email
                  FROM res_partner partner
                 WHERE partner.active
                   AND partner.id IN (
                       SELECT move.commercial_partner_id
                         FROM account_move move
                        WHERE move.company_id = %(company)s
                          AND move.move_type IN ('out_invoice', 'out_refund')
                          AND move.state = 'posted')
                 ORDER BY partner.id
                """,
                company=company.id,
            )
        )
        rule = self._get_detection_rule_config(company, "customer_data")
        has_email = {row["id"]: row["has_email"] for row in rows}
        partners = self.env["res.partner"].with_company(company).browse(list(has_email))
        # The blacklist flags of all the customers and their contacts in one query (the
        # bounce check reads them customer by customer otherwise).
        # sudo: the blacklist flag is only readable by employees (see
        # _get_bounced_invoice_emails).
        (partners | partners.child_ids).sudo().mapped("is_blacklisted")
        currency = company.currency_id
        open_fingerprints = self._get_detection_open_fingerprints(
            company, "customer_data"
        )
        findings = []
        for partner in partners:
            problems = self._get_customer_data_problems(
                partner, company, has_email[partner.id], rule=rule
            )
            if not problems:
                continue
            key = self._detection_key("res.partner", partner.id)
            if open_fingerprints.get(key) == self._customer_data_fingerprint(problems):
                findings.append(
                    self._new_unchanged_detection_finding("customer_data", key)
                )
                continue
            findings.append(
                self._new_customer_data_finding(partner, currency, problems)
            )
        return findings

    @api.model
    def _new_customer_data_finding(self, partner, currency, problems):
        """The customer_data finding of ``partner`` listing ``problems`` ([(code, label)])."""
        return self._new_detection_finding(
            "customer_data",
            self._detection_key("res.partner", partner.id),
            partner.id,
            currency,
            # Built only for a new or changed case (see _new_detection_finding).
            description=lambda: self._detection_html(
                self.env._(
                    "The billing data of %(customer)s is wrong or missing:",
                    customer=partner.display_name,
                ),
                [label for _code, label in problems],
            ),
            fingerprint=self._customer_data_fingerprint(problems),
        )

    @api.model
    def _customer_data_fingerprint(self, problems):
        """The fingerprint of a customer_data finding: the codes of its problems."""
        return "|".join(code for code, _label in problems)

    @api.model
    def _get_customer_data_problems(
        self, partner, company, has_invoice_email, rule=None
    ):
        """``[(code, label)]``: what is wrong in ``partner``'s billing data. The codes
        make the fingerprint: a closed case comes back only when they change."""
        problems = []
        country = partner.country_id
        if partner.vat and not self._is_valid_vat(partner.vat, country.code):
            problems.append(
                (
                    f"vat:{partner.vat}",
                    self.env._(
                        "VAT number %(vat)s is not valid for %(country)s.",
                        vat=partner.vat,
                        country=country.name or self.env._("its country"),
                    ),
                )
            )
        if not has_invoice_email:
            problems.append(("email", self.env._("No invoicing e-mail address.")))
        missing = [
            name
            for name, value, needed in [
                ("street", partner.street, True),
                ("city", partner.city, True),
                ("zip", partner.zip, not country or country.zip_required),
                ("country", country, True),
            ]
            if needed and not value
        ]
        if missing:
            # Translated only for a customer that lacks something (most do not).
            labels = {
                "street": self.env._("street"),
                "city": self.env._("city"),
                "zip": self.env._("ZIP"),
                "country": self.env._("country"),
            }
            missing = [(name, labels[name]) for name in missing]
            problems.append(
                (
                    "address:" + "+".join(name for name, _label in missing),
                    self.env._(
                        "Incomplete address: no %(fields)s.",
                        fields=", ".join(label for _name, label in missing),
                    ),
                )
            )
        rule = rule or self._get_detection_rule_config(company, "customer_data")
        if rule.require_payment_terms and not partner.property_payment_term_id:
            problems.append(("payment_terms", self.env._("No payment terms.")))
        return problems

    @api.model
    def _is_valid_vat(self, vat, country_code):
        """Check ``vat`` with python-stdnum the way base_vat does: with the country of
        its prefix when it has one, else with ``country_code``. A number no validator
        exists for is taken as valid."""
        return _is_valid_vat(vat, country_code)


@functools.lru_cache(maxsize=4096)
def _is_valid_vat(vat, country_code):
    """See BillingCase._is_valid_vat (a pure function of its arguments: cached, as
    every company of a run checks the same customers)."""
    vat = vat.replace(" ", "").strip()
    if not vat or vat == "/":
        return True
    codes = []
    prefix = vat[:2].upper()
    if prefix.isalpha():
        codes.append(VAT_PREFIX_COUNTRY.get(prefix, prefix))
    if country_code:
        codes.append(country_code.upper())
    for code in codes:
        module = stdnum.util.get_cc_module(code.lower(), "vat")
        if module:
            return bool(module.is_valid(vat))
    return True
