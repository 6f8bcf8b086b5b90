"""Queue rank of a case: one explainable score and the urgency group of My Queue.

The formula (also in README, "Priority score")::

    score = LATE_BAND (1000) if the SLA due date has passed, else 0
          + sum over the parts k of  weight_k x factor_k

Each part gives a factor between 0 and 1 for a case; the company sets the weight of each
part (Settings > Billing > Queue Priority; the weights sum to at most 1000). So a case
whose due date passed always ranks above every case still on time, and within each band
the weighted parts decide:

- deadline: on time ``1 - days left / 10`` (due today 1, in 10 days or more 0); late
  ``days late / 10`` (at most 1). Days are calendar days to the SLA due date (a waiting
  case's clock is paused, see billing_case_sla.py);
- priority: stars / 3 (the manual 0-3 star priority);
- amount: |difference| in company currency / the company's "amount for full points"
  (at most 1);
- age: days since the case was created / 30 (at most 1);
- customer: the customer's billing tier: standard 0, important 0.5, key account 1.

Parts are registered in ``_get_priority_score_parts``: another module adds one there and
its weight in ``res.company._get_billing_score_weight_fields``. The score and the urgency
are stored, recomputed when an input changes, daily by a cron (time passes) and when the
company's weights change.
"""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, split_every
from odoo.tools.misc import format_amount

from .billing_case import OPEN_STATES

URGENCIES = [
    ("breached", "Breached"),
    ("today", "Due Today"),
    ("week", "Due This Week"),
    ("later", "Later"),
]

# Points every case past its due date gets on top of its parts: the weights sum to at
# most this, so a late case always ranks above a case still on time.
LATE_BAND = 1000.0
DEADLINE_HORIZON_DAYS = (
    10  # on time: full deadline points when due today, none from 10 days
)
AGE_FULL_DAYS = 30  # full age points for a case open 30 days or more
TIER_FACTORS = {"standard": 0.0, "important": 0.5, "key_account": 1.0}


def deadline_factor(due, today):
    """The deadline part's factor: above 1 when late, 1 due today, falling to 0 at
    DEADLINE_HORIZON_DAYS; 0 without a due date (clamped with the others later)."""
    if not due:
        return 0.0
    days = (due - today).days
    if days < 0:
        return -days / DEADLINE_HORIZON_DAYS
    if days == 0:
        return 1.0
    return 1.0 - days / DEADLINE_HORIZON_DAYS


def part_points(weight, factor):
    """The points of one part: its weight times its factor clamped to [0, 1]."""
    return round(weight * min(max(factor, 0.0), 1.0), 1)


def total_score(late, points):
    """The score: the late band when past the due date, plus the parts' points."""
    return round((LATE_BAND if late else 0.0) + sum(points), 1)


# What the parts read; a module adding a part extends the field's dependencies with
# its own @api.depends on an override of _compute_priority_score.
SCORE_DEPENDS = (
    "state",
    "deadline",
    "sla_paused_since",
    "priority",
    "amount_difference",
    "currency_id",
    "company_id",
    "partner_id.billing_tier",
)


class BillingCase(models.Model):
    _inherit = "billing.case"

    priority_score = fields.Float(
        string="Score",
        compute="_compute_priority_score",
        store=True,
        readonly=True,
        copy=False,
        index=True,
        digits=(16, 1),
        aggregator=None,  # a sum of scores means nothing (and hid the group names)
        help="Queue rank: the higher, the sooner the case should be worked. Above 1000: "
        "the case is past its due date. The Score tab of the case explains it.",
    )
    queue_urgency = fields.Selection(
        URGENCIES,
        string="Urgency",
        compute="_compute_priority_score",
        store=True,
        readonly=True,
        copy=False,
        index=True,
        help="Breached: past its due date; Due Today; Due This Week (by Sunday); Later. "
        "Empty for closed cases.",
    )
    priority_score_breakdown = fields.Html(
        string="Score Breakdown",
        compute="_compute_priority_score_breakdown",
        sanitize=False,
        help="Each part of the score with its points.",
    )

    # ------------------------------------------------------------------ computes

    @api.depends(*SCORE_DEPENDS)
    def _compute_priority_score(self):
        # The stored score needs the factors only: the texts of the breakdown (amounts
        # formatted per case) are left out, a detection run scores hundreds at once.
        data = self.with_context(
            billing_score_factors_only=True
        )._get_priority_score_data()
        for case in self:
            entry = data.get(case.id)
            case.priority_score = entry["score"] if entry else 0.0
            case.queue_urgency = entry["urgency"] if entry else False

    @api.depends(*SCORE_DEPENDS)
    def _compute_priority_score_breakdown(self):
        data = self._get_priority_score_data()
        for case in self:
            case.priority_score_breakdown = self._render_priority_score_breakdown(
                data.get(case.id)
            )

    # ---------------------------------------------------------------- the score

    def _get_priority_score_parts(self):
        """The registered parts of the score: {key: (label, method)}.

        ``method(today, due_dates)`` is called on the open cases of one company and
        returns {case id: (factor, why)}: ``factor`` between 0 and 1 (the share of the
        part's weight the case earns) and ``why`` a short text for the breakdown.
        ``due_dates`` is {case id: SLA due date}. Add a part: override, call super, add
        a key here and its weight field in ``res.company._get_billing_score_weight_fields``.
        """
        return {
            "deadline": (self.env._("Deadline"), self._score_part_deadline),
            "priority": (self.env._("Priority"), self._score_part_priority),
            "amount": (self.env._("Amount at Stake"), self._score_part_amount),
            "age": (self.env._("Case Age"), self._score_part_age),
            "customer": (self.env._("Customer Tier"), self._score_part_customer),
        }

    def _get_priority_score_data(self, today=None):
        """{case id: {"score", "urgency", "late", "parts": [(label, why, points, weight)]}}
        for the open cases in ``self``: one pass per company, each part once per batch."""
        today = today or fields.Date.context_today(self)
        cases = self.filtered(lambda c: c.state in OPEN_STATES and c.company_id)
        data = {}
        for company, company_cases in cases.grouped("company_id").items():
            weights = company._get_billing_score_weights()
            due_dates = company_cases._get_sla_due_dates(today)
            results = {
                key: (label, weights.get(key, 0.0), method(today, due_dates))
                for key, (
                    label,
                    method,
                ) in company_cases._get_priority_score_parts().items()
            }
            for case in company_cases:
                due = due_dates[case.id]
                late = bool(due and due < today)
                parts = []
                for label, weight, values in results.values():
                    factor, why = values.get(case.id, (0.0, ""))
                    parts.append((label, why, part_points(weight, factor), weight))
                data[case.id] = {
                    "score": total_score(
                        late, [points for _l, _w, points, _m in parts]
                    ),
                    "urgency": self._get_queue_urgency(due, today),
                    "late": late,
                    "parts": parts,
                }
        return data

    def _read_group_orderby(self, order, groupby_terms, query):
        # Urgency groups come in their own order (breached, today, this week, later),
        # not alphabetically nor by the sum of the list's sort field (the score).
        orderby = super()._read_group_orderby(order, groupby_terms, query)
        if "queue_urgency" not in groupby_terms:
            return orderby
        rank = SQL(
            "array_position(%s, %s::text)",
            [key for key, _label in URGENCIES],
            groupby_terms["queue_urgency"],
        )
        return SQL("%s, %s", rank, orderby) if orderby else rank

    @api.model
    def _get_queue_urgency(self, due, today):
        if due and due < today:
            return "breached"
        if due == today:
            return "today"
        if due and (due - today).days <= 6 - today.weekday():
            return "week"
        return "later"

    # ------------------------------------------------------------------ parts

    def _score_part_why_wanted(self):
        """False while only the stored score is computed: a part may then leave its
        ``why`` text empty (it is only shown in the breakdown)."""
        return not self.env.context.get("billing_score_factors_only")

    def _score_part_deadline(self, today, due_dates):
        result = {}
        for case in self:
            due = due_dates.get(case.id)
            if not due:
                result[case.id] = (0.0, self.env._("No deadline"))
                continue
            days = (due - today).days
            factor = deadline_factor(due, today)
            if days < 0:
                why = self.env._("%(days)s day(s) late", days=-days)
            elif days == 0:
                why = self.env._("Due today")
            else:
                why = self.env._("Due in %(days)s day(s)", days=days)
            if case.state == "waiting_customer" and case.sla_paused_since:
                why = self.env._("%(why)s (clock paused while waiting)", why=why)
            result[case.id] = (factor, why)
        return result

    def _score_part_priority(self, today, due_dates):
        labels = dict(self._fields["priority"]._description_selection(self.env))
        return {
            case.id: (
                int(case.priority or 0) / 3.0,
                labels.get(case.priority or "0", ""),
            )
            for case in self
        }

    def _score_part_amount(self, today, due_dates):
        result = {}
        company_currency = self.company_id.currency_id
        full = self.company_id.billing_score_amount_full
        why_wanted = self._score_part_why_wanted()
        rates = {
            currency: currency._get_conversion_rate(
                currency, company_currency, self.company_id, today
            )
            for currency in self.currency_id
        }
        for case in self:
            amount = abs(case.amount_difference) * rates.get(case.currency_id, 1.0)
            factor = amount / full if full > 0 else 0.0
            why = (
                self.env._(
                    "%(amount)s at stake",
                    amount=format_amount(self.env, amount, company_currency),
                )
                if why_wanted
                else ""
            )
            result[case.id] = (factor, why)
        return result

    def _score_part_age(self, today, due_dates):
        result = {}
        for case in self:
            created = (
                fields.Date.context_today(case, case.create_date)
                if case.create_date
                else today
            )
            days = max((today - created).days, 0)
            result[case.id] = (
                days / AGE_FULL_DAYS,
                self.env._("Open for %(days)s day(s)", days=days),
            )
        return result

    def _score_part_customer(self, today, due_dates):
        labels = dict(
            self.env["res.partner"]
            ._fields["billing_tier"]
            ._description_selection(self.env)
        )
        result = {}
        for case in self:
            tier = case.partner_id.billing_tier or "standard"
            result[case.id] = (TIER_FACTORS.get(tier, 0.0), labels.get(tier, tier))
        return result

    # ------------------------------------------------------------- breakdown

    def _render_priority_score_breakdown(self, entry):
        if not entry:
            return Markup('<p class="text-muted">%s</p>') % self.env._(
                "Closed cases are not ranked in the queue."
            )
        rows = Markup()
        if entry["late"]:
            rows += Markup(
                '<tr class="table-danger"><td>%s</td><td>%s</td><td class="text-end">%s</td>'
                '<td class="text-end text-muted"></td></tr>'
            ) % (
                self.env._("Past due"),
                self.env._("Late cases always rank above cases still on time"),
                f"{LATE_BAND:.0f}",
            )
        for label, why, points, weight in entry["parts"]:
            rows += Markup(
                '<tr><td>%s</td><td>%s</td><td class="text-end">%s</td>'
                '<td class="text-end text-muted">%s</td></tr>'
            ) % (label, why, f"{points:.1f}", f"{weight:g}")
        head = Markup(
            '<thead><tr><th>%s</th><th>%s</th><th class="text-end">%s</th>'
            '<th class="text-end">%s</th></tr></thead>'
        ) % (
            self.env._("Part"),
            self.env._("Why"),
            self.env._("Points"),
            self.env._("Max"),
        )
        foot = Markup(
            '<tfoot><tr class="fw-bold"><td colspan="2">%s</td><td class="text-end">%s</td>'
            "<td></td></tr></tfoot>"
        ) % (self.env._("Score today"), f"{entry['score']:.1f}")
        return Markup(
            '<table class="table table-sm o_billing_score_breakdown">%s<tbody>%s</tbody>%s</table>'
        ) % (
            head,
            rows,
            foot,
        )

    # ---------------------------------------------------------------- refresh

    @api.private
    def _refresh_priority_scores(self):
        """Recompute the stored score and urgency of these cases now (the day changed,
        or the weights did), as one batch."""
        names = ["priority_score", "queue_urgency"]
        for name in names:
            self.env.add_to_compute(self._fields[name], self)
        self._recompute_recordset(names)
        self.flush_recordset(names)

    @api.model
    def _cron_refresh_priority_scores(self, batch_size=1000):
        """Daily: the urgency of every open case changes with the date."""
        ids = self.search([("state", "in", OPEN_STATES)], order="id").ids
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=len(ids))
        for chunk in split_every(batch_size, ids, list):
            self.browse(chunk)._refresh_priority_scores()
            if not cron._commit_progress(len(chunk)):
                break

    @api.model
    def _refresh_company_priority_scores(self, companies):
        """The weights of ``companies`` changed: rank their open cases again."""
        # sudo: the ranking of every open case of the company follows its weights, also
        # of cases the manager saving the settings cannot see.
        cases = self.sudo().search(
            [("company_id", "in", companies.ids), ("state", "in", OPEN_STATES)]
        )
        # sudo: the same cases as above, in chunks.
        for chunk in split_every(1000, cases.ids, self.sudo().browse):
            chunk._refresh_priority_scores()
