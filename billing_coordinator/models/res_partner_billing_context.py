"""The customer context of the call-handling panel: what the customer owes, what it paid,
its unapplied credit, open cases and promises, and whom to call.

``res.partner._get_billing_context()`` computes it for a set of partners at once with a
fixed number of set-based queries (the ledger totals, the open documents, the payments,
the cases, the promises, the contacts), whatever the number of invoices. Every query starts
from the model's ``_search()``, so access rights and record rules apply: a coordinator never
sees the moves of a company they have no access to. Amounts are in company currency.
The panel widget calls ``get_billing_context_panel()`` once per partner shown."""

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.tools import SQL

from .billing_case import OPEN_STATES

# Rows per list (open invoices, credits, payments, cases, promises) and partner.
CONTEXT_LIST_LIMIT = 5


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.readonly
    def get_billing_context_panel(self, company_ids=None, exclude_case_ids=None):
        """The panel's data for this partner's commercial entity, as plain JSON.

        :param company_ids: the companies to show (the case's company, or the web client's
            active companies); companies the user has no access to are left out.
        :param exclude_case_ids: cases not to list among the other open cases (the case
            on screen).
        :return: the dict described in :meth:`_get_billing_context`, or ``{}`` when the
            partner is not set.
        """
        if not self:
            return {}
        self.ensure_one()
        if not self.env.user._is_internal():
            raise AccessError(self.env._("The customer context is for internal users."))
        companies = self._billing_context_companies(company_ids)
        cases = self.env["billing.case"].browse(exclude_case_ids or [])
        contexts = self._get_billing_context(companies=companies, exclude_cases=cases)
        return contexts[self.commercial_partner_id.id]

    @api.model
    def _billing_context_companies(self, company_ids=None):
        """The requested companies the user may access; the active ones by default."""
        if not company_ids:
            return self.env.companies
        return (
            self.env["res.company"].browse(company_ids).exists()
            & self.env.user.company_ids
        )

    def _get_billing_context(
        self, companies=None, exclude_cases=None, limit=CONTEXT_LIST_LIMIT
    ):
        """The billing context of the commercial entities of ``self``, batched.

        :param companies: ``res.company`` records to cover (default: the active companies),
            restricted to those the user may access.
        :param exclude_cases: ``billing.case`` records left out of the open cases.
        :param limit: rows per list and partner.
        :return: ``{commercial partner id: dict}`` with the keys ``partner_id``, ``name``,
            ``coordinator``, ``team``, ``contact`` (to call: the invoice address contact,
            else the partner), ``companies`` (one dict per company: ``company_id``,
            ``company_name``, ``currency_id``, ``currency_name``, ``total_due``,
            ``overdue``, ``unapplied_credit`` and its parts ``credit_payments``,
            ``credit_notes``, ``credit_other``, ``balance`` (due minus credit),
            ``open_invoice_count``, ``overdue_invoice_count``, ``max_days_overdue``,
            ``open_invoices``, ``credits``, ``credit_count``, ``payments``,
            ``payment_count``),
            ``open_cases``, ``open_case_count``, ``promises``, ``promise_pending_count``,
            ``promise_broken_count``, ``today``.
        """
        partners = self.commercial_partner_id
        if companies is None:
            companies = self.env.companies
        if not self.env.su:
            companies &= self.env.user.company_ids
        # The current company first, then as the company switcher lists them.
        companies = companies.sorted(
            lambda c: (c != self.env.company, c.sequence, c.name)
        )
        # Record rules of the other models follow exactly these companies.
        partners = partners.with_context(
            allowed_company_ids=companies.ids or self.env.company.ids
        )
        today = fields.Date.context_today(self)
        result = {
            partner.id: partners._billing_context_partner(partner)
            for partner in partners
        }
        for partner_id, contact in partners._billing_context_contacts().items():
            result[partner_id]["contact"] = contact
        for vals in result.values():
            vals["today"] = today
            vals["companies"] = [
                partners._billing_context_company_defaults(company)
                for company in companies
            ]
        if not companies:
            return result
        blocks = {
            (vals["partner_id"], block["company_id"]): block
            for vals in result.values()
            for block in vals["companies"]
        }
        if self.env["account.move.line"].has_access("read"):
            partners._billing_context_ledger(companies, today, blocks, limit)
        if self.env["account.payment"].has_access("read"):
            partners._billing_context_payments(companies, blocks, limit)
        for block in blocks.values():
            block["credits"] = sorted(
                block["credits"], key=lambda c: c["date"], reverse=True
            )[:limit]
            currency = self.env["res.currency"].browse(block["currency_id"])
            block["unapplied_credit"] = currency.round(
                block["credit_payments"] + block["credit_notes"] + block["credit_other"]
            )
            block["balance"] = currency.round(
                block["total_due"] - block["unapplied_credit"]
            )
        partners._billing_context_cases(companies, exclude_cases, result, limit)
        partners._billing_context_promises(companies, result, limit)
        return result

    # ------------------------------------------------------------ the parts

    def _billing_context_partner(self, partner):
        coordinator, team = partner.billing_coordinator_id, partner.billing_team_id
        return {
            "partner_id": partner.id,
            "name": partner.display_name,
            "coordinator": {"id": coordinator.id, "name": coordinator.name}
            if coordinator
            else False,
            "team": {"id": team.id, "name": team.name} if team else False,
            "contact": {},
            "open_cases": [],
            "open_case_count": 0,
            "promises": [],
            "promise_pending_count": 0,
            "promise_broken_count": 0,
        }

    @api.model
    def _billing_context_company_defaults(self, company):
        return {
            "company_id": company.id,
            "company_name": company.name,
            "currency_id": company.currency_id.id,
            "currency_name": company.currency_id.name,
            "total_due": 0.0,
            "overdue": 0.0,
            "credit_payments": 0.0,
            "credit_notes": 0.0,
            "credit_other": 0.0,
            "unapplied_credit": 0.0,
            "balance": 0.0,
            "open_invoice_count": 0,
            "overdue_invoice_count": 0,
            "max_days_overdue": 0,
            "open_invoices": [],
            "credits": [],
            "credit_count": 0,
            "payments": [],
            "payment_count": 0,
        }

    def _billing_context_contacts(self):
        """Whom to call per commercial partner: its first invoice address contact (a
        direct child before a deeper one), else the partner; a missing phone or e-mail is
        taken from the partner. One query for all partners."""
        children = self.search_fetch(
            [
                ("commercial_partner_id", "in", self.ids),
                ("id", "not in", self.ids),
                ("type", "=", "invoice"),
            ],
            ["name", "phone", "email", "parent_id", "commercial_partner_id"],
            order="id",
        )
        chosen = {}
        for child in children.sorted(
            lambda c: (c.parent_id != c.commercial_partner_id, c.id)
        ):
            chosen.setdefault(child.commercial_partner_id.id, child)
        contacts = {}
        for partner in self:
            contact = chosen.get(partner.id, partner)
            contacts[partner.id] = {
                "id": contact.id,
                "name": contact.name or partner.display_name,
                "phone": contact.phone or partner.phone or "",
                "email": contact.email or partner.email or "",
                "is_invoice_contact": contact != partner,
            }
        return contacts

    def _billing_context_cases(self, companies, exclude_cases, result, limit):
        """The other open cases, most urgent first (the queue order): one query for the
        first ``limit`` per partner and the counts, then one read."""
        Case = self.env["billing.case"]
        if not Case.has_access("read"):
            return
        Case.flush_model()
        domain = Domain("partner_id", "in", self.ids) & Domain(
            "state", "in", OPEN_STATES
        )
        domain &= Domain("company_id", "in", companies.ids)
        if exclude_cases:
            domain &= Domain("id", "not in", exclude_cases.ids)
        query = Case._search(domain, order=Case._order)
        case = SQL.identifier(query.table)
        rows = self._billing_context_select(
            query,
            SQL(
                """
                %(case)s.id,
                COUNT(*) OVER (PARTITION BY %(case)s.partner_id) AS total,
                ROW_NUMBER() OVER (PARTITION BY %(case)s.partner_id ORDER BY %(order)s) AS rank
                """,
                case=case,
                order=query.order,
            ),
            limit=limit,
        )
        totals = {row["id"]: row["total"] for row in rows}
        cases = Case.browse(row["id"] for row in rows)
        states = dict(Case._fields["state"]._description_selection(self.env))
        for case in cases:
            vals = result[case.partner_id.id]
            vals["open_case_count"] = totals[case.id]
            vals["open_cases"].append(
                {
                    "id": case.id,
                    "name": case.name,
                    "case_type": case.case_type_id.name,
                    "state": case.state,
                    "state_label": states[case.state],
                    "user": case.user_id.name or "",
                    "deadline": case.deadline,
                    "is_late": case.is_late,
                    "amount_difference": case.amount_difference,
                    "currency_id": case.currency_id.id,
                }
            )

    def _billing_context_promises(self, companies, result, limit):
        """Pending and broken promises of the open cases: broken first, then by date."""
        Promise = self.env["billing.case.promise"]
        if not Promise.has_access("read"):
            return
        promises = Promise.search_fetch(
            [
                ("case_id.partner_id", "in", self.ids),
                ("case_id.state", "in", OPEN_STATES),
                ("company_id", "in", companies.ids),
                ("state", "in", ("pending", "broken")),
            ],
            ["case_id", "date", "amount", "state"],
        )
        states = dict(Promise._fields["state"]._description_selection(self.env))
        for promise in promises.sorted(lambda p: (p.state != "broken", p.date, p.id)):
            vals = result[promise.case_id.partner_id.id]
            vals[f"promise_{promise.state}_count"] += 1
            if len(vals["promises"]) < limit:
                vals["promises"].append(
                    {
                        "id": promise.id,
                        "case_id": promise.case_id.id,
                        "case_name": promise.case_id.name,
                        "date": promise.date,
                        "amount": promise.amount,
                        "currency_id": promise.currency_id.id,
                        "state": promise.state,
                        "state_label": states[promise.state],
                    }
                )
