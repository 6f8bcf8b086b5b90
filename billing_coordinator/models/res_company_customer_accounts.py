from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    billing_block_unready_first_invoice = fields.Boolean(
        string="Block First Invoice of Customers Not Billing Ready",
        help="Posting the first invoice of a customer whose billing data is incomplete "
        "(see the Billing Ready check on the customer) is refused, naming what is missing.",
    )
