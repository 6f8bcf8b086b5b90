from odoo import api, models


class BillingCaseDocument(models.AbstractModel):
    """Documents a case links (invoices, payments): their ``billing_case_ids`` side of the
    link may only change with the right to change those cases."""

    _name = "billing.case.document"
    _description = "Document Linked to Billing Cases"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        if not self.env.su and any(vals.get("billing_case_ids") for vals in vals_list):
            # sudo: the linked cases, including those the user cannot see (they are
            # checked, and refused, there).
            self.env["billing.case"]._check_linked_from_documents(
                records.sudo().billing_case_ids
            )
        return records

    def write(self, vals):
        if "billing_case_ids" not in vals or self.env.su:
            return super().write(vals)
        # sudo: the cases linked before, including those the user cannot see.
        before = self.sudo().billing_case_ids
        result = super().write(vals)
        # sudo: the cases linked after, including those the user cannot see.
        self.env["billing.case"]._check_linked_from_documents(
            before | self.sudo().billing_case_ids
        )
        return result
