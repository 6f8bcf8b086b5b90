from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def write(self, vals):
        # A new e-mail address has not bounced yet: the old address's bounce counter
        # must not keep the customer's data flagged (see _get_bounced_invoice_emails).
        if "email" in vals and "message_bounce" not in vals:
            vals = dict(vals, message_bounce=0)
        return super().write(vals)
