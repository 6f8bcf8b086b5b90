from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    billing_block_unready_first_invoice = fields.Boolean(
        string="Block First Invoice of Customers Not Billing Ready",
        help="Posting the first invoice of a customer whose billing data is incomplete "
        "(see the Billing Ready check on the customer) is refused, naming what is missing.",
    )
    billing_duplicate_invoice_days = fields.Integer(
        string="Duplicate Invoice Window (days)",
        default=7,
        help="A draft customer invoice with the same customer, amount, currency and "
        "reference as another invoice dated within this many days shows a warning.",
    )
