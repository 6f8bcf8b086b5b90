from odoo import api, models
from odoo.exceptions import UserError


class BillingResolutionNote(models.AbstractModel):
    """Note-only resolutions (customer data fixed, no action needed): nothing is posted,
    the note says what was done."""

    _name = "billing.resolution.note"
    _inherit = "billing.resolution"
    _description = "Resolution by Note"

    @api.model
    def _check(self, resolution):
        if not (resolution["note"] or "").strip():
            raise UserError(
                self.env._(
                    "Explain the resolution in the note: what was fixed, or why nothing "
                    "has to be done."
                )
            )

    @api.model
    def _apply(self, resolution):
        resolution["case"]._mark_resolved(
            resolution["resolution_type"], note=resolution["note"]
        )
        return self.env["account.move"]
