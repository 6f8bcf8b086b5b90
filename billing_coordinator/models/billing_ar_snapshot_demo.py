from datetime import timedelta

from odoo import api, fields, models


class BillingArSnapshot(models.Model):
    _inherit = "billing.ar.snapshot"

    @api.model
    def _load_demo_snapshots(self):
        """Signed snapshots of the demo company's two last month ends, so that the
        Billing Health chain line is ok and the previous-month comparison shows.
        Called from demo/billing_ar_snapshot_demo.xml, and again with
        ``billing_demo_snapshots_final`` by the demo of a module that extends ours
        (the sale bridge posts demo invoices dated last month): when such a module is
        installed in the same run, the snapshots are signed after its documents, so
        the demo's integrity check finds nothing changed."""
        # sudo: reading the module list is not a billing right
        extending = (
            self.env["ir.module.module"]
            .sudo()
            .search_count(
                [
                    ("state", "=", "to install"),
                    ("dependencies_id.name", "=", "billing_coordinator"),
                    ("demo", "=", False),
                ]
            )
        )
        if extending and not self.env.context.get("billing_demo_snapshots_final"):
            return
        company = self.env.company
        manager = self.env.ref(
            "base.user_admin"
        )  # signs off, as a billing manager would
        last = self._last_month_end(fields.Date.context_today(self))
        before = last.replace(day=1) - timedelta(days=1)
        for date in (before, last):
            if not self.search_count(
                [("company_id", "=", company.id), ("date", "=", date)]
            ):
                self._create_month_end_snapshots(
                    date=date, companies=company
                ).with_user(manager).action_sign_off()
