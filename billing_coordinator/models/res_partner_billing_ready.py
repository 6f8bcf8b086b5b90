"""The "billing ready" check of a customer: what billing needs before the first
invoice (see billing.case._get_billing_ready_problems)."""

from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    billing_ready = fields.Boolean(
        compute="_compute_billing_ready",
        help="The customer has what billing needs: a valid VAT number where one is "
        "needed, an invoicing e-mail that does not bounce, a complete address, payment "
        "terms when the company requires them and a billing contact.",
    )
    billing_ready_issues = fields.Text(
        string="Missing for Billing",
        compute="_compute_billing_ready",
    )

    @api.depends(
        "vat",
        "email",
        "street",
        "city",
        "zip",
        "country_id",
        "is_company",
        "property_payment_term_id",
        "message_bounce",
        "child_ids.type",
        "child_ids.email",
        "child_ids.message_bounce",
        "commercial_partner_id",
    )
    @api.depends_context("company")
    def _compute_billing_ready(self):
        Case = self.env["billing.case"]
        for partner in self:
            problems = Case._get_billing_ready_problems(
                partner.commercial_partner_id, self.env.company
            )
            partner.billing_ready = not problems
            partner.billing_ready_issues = (
                "\n".join(label for _code, label in problems) or False
            )
