"""Probable duplicate customers: same VAT number, same e-mail domain and name, or the
same bank account (IBAN) as another customer. Shown on the partner form while it is
typed in, and listed by the ``duplicate_customer`` detection rule."""

from odoo import api, fields, models
from odoo.tools import SQL, email_normalize

# Legal forms dropped before names are compared ("Acme Ltd" is "ACME").
LEGAL_FORMS = (
    "ltd|limited|gmbh|inc|llc|sa|sas|sarl|bv|nv|ag|co|corp|plc|srl|spa|kg|oy|ab|as"
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    billing_duplicate_partner_ids = fields.Many2many(
        "res.partner",
        string="Probable Duplicates",
        compute="_compute_billing_duplicate_partner_ids",
        help="Existing customers with the same VAT number, the same e-mail domain and "
        "name, or the same bank account.",
    )
    billing_duplicate_reasons = fields.Text(
        string="Why Duplicates",
        compute="_compute_billing_duplicate_partner_ids",
    )

    @api.depends(
        "name", "vat", "email", "bank_ids.acc_number", "parent_id", "is_company"
    )
    @api.depends_context("allowed_company_ids")
    def _compute_billing_duplicate_partner_ids(self):
        # Only commercial entities are compared: a contact belongs to its company.
        partners = self.filtered(lambda p: not p.parent_id and p.name)
        (self - partners).billing_duplicate_partner_ids = False
        (self - partners).billing_duplicate_reasons = False
        if not partners:
            return
        self.env["res.partner"].flush_model(
            ["name", "vat", "email_normalized", "active"]
        )
        self.env["res.partner.bank"].flush_model(
            ["sanitized_acc_number", "partner_id", "active"]
        )
        inputs = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s, %s, %s::varchar[])",
                index,
                partner._origin.id or 0,
                self._billing_vat_key(partner.vat),
                (email_normalize(partner.email or "") or "").partition("@")[2] or "",
                partner.name,
                [
                    iban
                    for iban in partner.bank_ids.mapped("sanitized_acc_number")
                    if iban
                ],
            )
            for index, partner in enumerate(partners)
        )
        rows = self.env.execute_query(
            SQL(
                """
                WITH input(idx, partner_id, vat_key, domain, name, ibans) AS (VALUES %(inputs)s),
                keyed AS (SELECT *, %(input_name_key)s AS name_key FROM input)
                SELECT keyed.idx, other.id,
                       other.vat IS NOT NULL AND keyed.vat_key != ''
                           AND %(other_vat_key)s = keyed.vat_key AS same_vat,
                       keyed.domain != '' AND keyed.name_key != ''
                           AND SPLIT_PART(other.email_normalized, '@', 2) = keyed.domain
                           AND %(other_name_key)s = keyed.name_key AS same_name,
                       EXISTS (SELECT 1 FROM res_partner_bank bank
                                 JOIN res_partner holder ON holder.id = bank.partner_id
                                WHERE holder.commercial_partner_id = other.id
                                  AND bank.active
                                  AND bank.sanitized_acc_number = ANY(keyed.ibans)) AS same_iban
                  FROM keyed
                  JOIN res_partner other
                    ON other.active
                   AND other.id = other.commercial_partner_id
                   AND other.id != keyed.partner_id
                   AND (other.company_id IS NULL OR other.company_id = ANY(%(companies)s))
                 WHERE (keyed.vat_key != '' AND %(other_vat_key)s = keyed.vat_key)
                    OR (keyed.domain != '' AND keyed.name_key != ''
                        AND SPLIT_PART(other.email_normalized, '@', 2) = keyed.domain
                        AND %(other_name_key)s = keyed.name_key)
                    OR EXISTS (SELECT 1 FROM res_partner_bank bank
                                 JOIN res_partner holder ON holder.id = bank.partner_id
                                WHERE holder.commercial_partner_id = other.id
                                  AND bank.active
                                  AND bank.sanitized_acc_number = ANY(keyed.ibans))
                 ORDER BY keyed.idx, other.id
                """,
                inputs=inputs,
                input_name_key=self._billing_name_key_sql(SQL("name")),
                other_vat_key=self._billing_vat_key_sql(SQL("other.vat")),
                other_name_key=self._billing_name_key_sql(SQL("other.name")),
                companies=self.env.companies.ids,
            )
        )
        found = {}
        for index, partner_id, same_vat, same_name, same_iban in rows:
            found.setdefault(index, []).append(
                (partner_id, same_vat, same_name, same_iban)
            )
        Partner = self.env["res.partner"]
        for index, partner in enumerate(partners):
            matches = found.get(index, [])
            duplicates = Partner.browse([m[0] for m in matches])._filtered_access(
                "read"
            )
            partner.billing_duplicate_partner_ids = duplicates
            partner.billing_duplicate_reasons = (
                "\n".join(
                    self.env._(
                        "%(customer)s: %(reasons)s",
                        customer=Partner.browse(partner_id).display_name,
                        reasons=", ".join(
                            self._billing_duplicate_reason_labels(vat, name, iban)
                        ),
                    )
                    for partner_id, vat, name, iban in matches
                    if partner_id in duplicates.ids
                )
                or False
            )

    @api.model
    def _billing_duplicate_reason_labels(self, same_vat, same_name, same_iban):
        labels = []
        if same_vat:
            labels.append(self.env._("same VAT number"))
        if same_name:
            labels.append(self.env._("same e-mail domain and name"))
        if same_iban:
            labels.append(self.env._("same bank account"))
        return labels

    @api.model
    def _billing_vat_key(self, vat):
        """The VAT number as compared: letters and digits only, upper case."""
        return "".join(ch for ch in (vat or "") if ch.isalnum()).upper()

    @api.model
    def _billing_vat_key_sql(self, column):
        return SQL(
            "UPPER(REGEXP_REPLACE(COALESCE(%s, ''), '[^[:alnum:]]', '', 'g'))", column
        )

    @api.model
    def _billing_name_key_sql(self, column):
        """SQL: the name as compared: lower case, legal forms and punctuation dropped."""
        return SQL(
            "REGEXP_REPLACE(REGEXP_REPLACE(LOWER(COALESCE(%s, '')), %s, '', 'g'), "
            "'[^[:alnum:]]', '', 'g')",
            column,
            rf"\m({LEGAL_FORMS})\M",
        )
