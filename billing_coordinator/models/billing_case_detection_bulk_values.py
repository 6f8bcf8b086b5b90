"""Automatic detection of billing discrepancies: the computed fields of the cases a
first run creates in bulk, set-wise, before the INSERT.

Each stored computed field here gives what its compute gives a new case (open, not
waiting, created now). A field is computed here only while its compute is still the one
of this module (``_bulk_owns``): a module overriding it, or adding another stored
computed field, gets it computed by the ORM after the INSERT (see
``_bulk_create_cases``). tests/test_detection_bulk.py compares every stored field with
``create()``.
"""

from odoo import api, fields, models
from odoo.tools import float_round

from .billing_case_priority import (
    TIER_FACTORS,
    deadline_factor,
    part_points,
    total_score,
)

_MODULE = "odoo.addons.billing_coordinator.models."
# field -> the methods (and the module defining them) its value depends on
BULK_COMPUTES = {
    "user_id": {"_compute_user_id": "billing_case"},
    "priority": {"_compute_priority": "billing_case"},
    "amount_difference": {"_compute_amount_difference": "billing_case"},
    "team_id": {"_compute_team_id": "billing_case_assignment"},
    "deadline": {
        "_compute_deadline": "billing_case_sla",
        "_get_sla_working_days": "billing_case_sla",
        "_get_sla_start_date": "billing_case_sla",
    },
    "priority_score": {
        "_compute_priority_score": "billing_case_priority",
        "_get_priority_score_data": "billing_case_priority",
        "_get_priority_score_parts": "billing_case_priority",
        "_get_sla_due_dates": "billing_case_sla",
        "_get_queue_urgency": "billing_case_priority",
        "_score_part_deadline": "billing_case_priority",
        "_score_part_priority": "billing_case_priority",
        "_score_part_amount": "billing_case_priority",
        "_score_part_age": "billing_case_priority",
        "_score_part_customer": "billing_case_priority",
    },
}
BULK_COMPUTES["queue_urgency"] = BULK_COMPUTES["priority_score"]
SCORE_PARTS = {"deadline", "priority", "amount", "age", "customer"}
# what every row needs for the values below
BULK_INPUTS = ("company_id", "partner_id", "case_type_id", "currency_id")


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _bulk_owns(self, fname):
        """Whether the compute of ``fname`` is still this module's (see BULK_COMPUTES)."""
        field = self._fields[fname]
        if fname == "case_code":
            return field.related == "case_type_id.code"
        methods = BULK_COMPUTES.get(fname)
        if not methods or not isinstance(field.compute, str):
            return False
        if fname not in ("queue_urgency",) and field.compute not in methods:
            return False
        cls = type(self)
        return all(
            getattr(getattr(cls, name, None), "__module__", None) == _MODULE + module
            for name, module in methods.items()
        )

    @api.model
    def _get_bulk_computed_values(self, company, rows):
        """{field name: [value of each row]} for the stored computed fields this module
        computes for new cases (``rows``: the create values with defaults, all of
        ``company``). Fields left out are computed by the ORM after the INSERT."""
        if any(not row.get(name) for row in rows for name in BULK_INPUTS) or any(
            row.get("state", "new") != "new" or row.get("user_id") for row in rows
        ):
            return {}
        owned = {
            fname for fname in (*BULK_COMPUTES, "case_code") if self._bulk_owns(fname)
        }
        if "priority_score" in owned and (
            set(self._get_priority_score_parts()) != SCORE_PARTS
        ):
            owned -= {"priority_score", "queue_urgency"}
        # the score reads the deadline, the priority and the difference as computed here
        if not {"deadline", "priority", "amount_difference"} <= owned:
            owned -= {"priority_score", "queue_urgency"}
        # per type and per customer, read once: the rows only look them up
        types = {
            case_type.id: case_type
            for case_type in self.env["billing.case.type"].browse(
                {row["case_type_id"] for row in rows}
            )
        }
        partners = self.env["res.partner"].browse({row["partner_id"] for row in rows})
        coordinators = {p.id: p.billing_coordinator_id.id or None for p in partners}
        values = {}
        if "case_code" in owned:
            codes = {i: t.code or None for i, t in types.items()}
            values["case_code"] = [codes[row["case_type_id"]] for row in rows]
        if "priority" in owned:
            priorities = {i: t.default_priority or "0" for i, t in types.items()}
            values["priority"] = [priorities[row["case_type_id"]] for row in rows]
        if "amount_difference" in owned:
            currencies = {
                currency.id: currency
                for currency in self.env["res.currency"].browse(
                    {row["currency_id"] for row in rows}
                )
            }
            values["amount_difference"] = [
                self._bulk_amount_difference(currencies[row["currency_id"]], row)
                for row in rows
            ]
        if "user_id" in owned:
            values["user_id"] = [coordinators[row["partner_id"]] for row in rows]
        if "team_id" in owned:
            routes = {
                partner_id: team.id
                for partner_id, team in self.env["billing.team"]
                ._route_partners(partners, company)
                .items()
            }
            values["team_id"] = [routes.get(row["partner_id"]) for row in rows]
        if "deadline" in owned:
            today = fields.Date.context_today(self)
            calendar = self._get_sla_working_days(company, today, today)
            start = calendar.local_date(self.env.cr.now())
            deadlines = {i: calendar.add(start, t.sla_days) for i, t in types.items()}
            values["deadline"] = [deadlines[row["case_type_id"]] for row in rows]
        if "priority_score" in owned:
            scores = self._bulk_priority_scores(company, rows, values, partners)
            values["priority_score"] = [score for score, _urgency in scores]
            values["queue_urgency"] = [urgency for _score, urgency in scores]
        return values

    @api.model
    def _bulk_amount_difference(self, currency, row):
        """actual - expected as the compute sets it: from the rounded amounts."""
        # currency.round(), the same call with the rounding read once
        rounding = currency.rounding
        actual = float_round(
            float(row.get("actual_amount") or 0.0), precision_rounding=rounding
        )
        expected = float_round(
            float(row.get("expected_amount") or 0.0), precision_rounding=rounding
        )
        return float_round(actual - expected, precision_rounding=rounding)

    @api.model
    def _bulk_priority_scores(self, company, rows, values, partners):
        """[(score, urgency)] of new cases, as ``_get_priority_score_data`` computes
        them: due date = deadline (no pause yet), age 0 days."""
        today = fields.Date.context_today(self)
        weights = company._get_billing_score_weights()
        company_currency = company.currency_id
        full = company.billing_score_amount_full
        rates = {}
        tiers = {partner.id: partner.billing_tier or "standard" for partner in partners}
        created = fields.Date.context_today(self, self.env.cr.now())
        age = max((today - created).days, 0) / 30.0
        result = []
        for i, row in enumerate(rows):
            due = values["deadline"][i]
            late = bool(due and due < today)
            currency_id = row["currency_id"]
            if currency_id not in rates:
                currency = self.env["res.currency"].browse(currency_id)
                rates[currency_id] = currency._get_conversion_rate(
                    currency, company_currency, company, today
                )
            amount = abs(values["amount_difference"][i]) * rates[currency_id]
            tier = tiers[row["partner_id"]]
            factors = {
                "deadline": deadline_factor(due, today),
                "priority": int(values["priority"][i] or 0) / 3.0,
                "amount": amount / full if full > 0 else 0.0,
                "age": age,
                "customer": TIER_FACTORS.get(tier, 0.0),
            }
            score = total_score(
                late,
                [part_points(weights.get(k, 0.0), f) for k, f in factors.items()],
            )
            result.append((score, self._get_queue_urgency(due, today)))
        return result
