"""The ORM's company check of cases, once per distinct linked record instead of once per
case: a detection run creates hundreds of cases sharing a handful of customers, types
and teams, and the ORM checks each case with its own ``filtered_domain``."""

from odoo import api, models


class BillingCase(models.Model):
    _inherit = "billing.case"

    def _check_company(self, fnames=None):
        if len(self) < 2:
            return super()._check_company(fnames)
        if fnames is None or {"company_id", "company_ids"} & set(fnames):
            fnames = self._fields
        checked = [
            self._fields[name]
            for name in fnames
            if self._fields[name].relational and self._fields[name].check_company
        ]
        if any(field.company_dependent for field in checked):
            return super()._check_company(fnames)
        # sudo: as the ORM's check, which reads the linked records as superuser.
        pairs = {
            (field.name, case.company_id, case[field.name])
            for case in self.sudo()
            for field in checked
            if case[field.name]
        }
        if not self._check_company_pairs(pairs):
            # An inconsistency: the ORM's own check names the cases in its error.
            return super()._check_company(fnames)
        return None

    @api.model
    def _check_company_pairs(self, pairs):
        """Whether each (field name, company, linked records) of ``pairs`` passes the
        ORM's company check (the records allowed in that company)."""
        for _name, company, corecords in pairs:
            domain = corecords._check_company_domain(company)
            if domain and corecords != corecords.with_context(
                active_test=False
            ).filtered_domain(domain):
                return False
        return True
