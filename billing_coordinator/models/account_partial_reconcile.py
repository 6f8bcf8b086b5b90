from odoo import models
from odoo.tools.sql import create_index


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    def init(self):
        res = super().init()
        # The aging engine reads the partials matched after a date (max_date > D):
        # as of today there are usually none, and this index finds that without
        # scanning every partial of the ledger.
        create_index(
            self.env.cr,
            "billing_partial_max_date_index",
            self._table,
            ["max_date"],
        )
        return res
