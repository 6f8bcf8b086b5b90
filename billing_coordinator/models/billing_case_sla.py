"""SLA clock of a case: the deadline in working days, paused while the case waits for
the customer, and the escalation of a breach.

- ``deadline``: the N-th working day (company calendar, public holidays excluded) after
  the day the case was created, N being the SLA days of its type plus the working days it
  already waited for the customer.
- Pause: while ``waiting_customer`` the clock stands still. The day the wait starts is
  kept in ``sla_paused_since``; when the case leaves that state the working days from that
  day (included) to the day it resumes (excluded) are added to ``sla_paused_days`` and the
  deadline moves by as many working days. While it waits, the *due date* used for the
  queue is the deadline moved by the working days waited so far (as if it resumed today),
  so a waiting case does not become late.
- Breach: the daily escalation cron marks ``sla_breached`` on open cases whose due date
  passed, raises their priority one step (at most Urgent), logs a note and gives the team
  leader an activity, once per breach: a case is only escalated again after its deadline
  moved to today or later (the flag is then reset) and passed again.
"""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import split_every
from odoo.tools.misc import format_date

from .billing_case import OPEN_STATES
from .billing_working_days import WorkingDays

PAUSED_STATE = "waiting_customer"
RUNNING_STATES = ("new", "in_progress")


class BillingCase(models.Model):
    _inherit = "billing.case"

    deadline = fields.Date(
        help="The N-th working day (company working schedule, public holidays excluded) "
        "after the day the case was created, N being the SLA days of the case type; moved "
        "by the working days the case waited for the customer.",
    )
    sla_breached = fields.Boolean(
        string="SLA Breached",
        readonly=True,
        copy=False,
        index=True,
        help="The deadline passed while the case was open; set by the daily escalation, "
        "reset when the deadline of an open case moves to today or later.",
    )
    sla_paused_since = fields.Date(
        string="SLA Paused Since",
        readonly=True,
        copy=False,
        help="The day the case started waiting for the customer: its SLA clock stands "
        "still since then.",
    )
    sla_paused_days = fields.Integer(
        string="Working Days Paused",
        readonly=True,
        copy=False,
        help="Working days the case waited for the customer in earlier pauses; the "
        "deadline moved by as many working days.",
    )

    # ------------------------------------------------------------------ computes

    @api.depends("case_type_id", "company_id")
    def _compute_deadline(self):
        """The N-th working day after the creation day: N is the SLA of the type plus
        the working days already paused. One calendar read per company for the batch."""
        today = fields.Date.context_today(self)
        for company, cases in (
            self.filtered("case_type_id").grouped("company_id").items()
        ):
            company = company or self.env.company
            calendar = self._get_sla_working_days(company, today, today)
            starts = {case: case._get_sla_start_date(calendar, today) for case in cases}
            for case in cases:
                case.deadline = calendar.add(
                    starts[case], case.case_type_id.sla_days + case.sla_paused_days
                )

    @api.depends("deadline", "state", "sla_paused_since")
    def _compute_is_late(self):
        # A case waiting for the customer is late only if it was already late when the
        # wait started: its clock stands still.
        today = fields.Date.context_today(self)
        running = self.filtered(lambda c: c.deadline and c.state in OPEN_STATES)
        due = running._get_sla_due_dates(today)
        for case in self:
            case.is_late = case.id in due and due[case.id] < today

    def _search_is_late(self, operator, value):
        if operator != "in":
            return NotImplemented
        today = fields.Date.context_today(self)
        late = (
            Domain("state", "in", RUNNING_STATES) & Domain("deadline", "<", today)
        ) | (
            # the due date of a waiting case moves every working day: use the stored
            # urgency, refreshed daily with the score
            Domain("state", "=", PAUSED_STATE)
            & Domain("queue_urgency", "=", "breached")
        )
        return late if True in value else ~late

    # ------------------------------------------------------------------ helpers

    @api.model
    def _get_sla_working_days(self, company, date_from, date_to):
        """The working days of ``company`` (a hook: e.g. a calendar per team)."""
        return WorkingDays(company, date_from, date_to)

    def _get_sla_start_date(self, calendar, today):
        """The day the SLA clock started: the creation day in the calendar's time zone."""
        self.ensure_one()
        return calendar.local_date(self.create_date) if self.create_date else today

    def _get_sla_pause_shifts(self, today):
        """{case id: working days waited so far} for the cases waiting now."""
        paused = self.filtered(lambda c: c.state == PAUSED_STATE and c.sla_paused_since)
        shifts = {}
        for company, cases in paused.grouped("company_id").items():
            calendar = self._get_sla_working_days(
                company, min(cases.mapped("sla_paused_since")), today
            )
            for case in cases:
                shifts[case.id] = calendar.count(case.sla_paused_since, today)
        return shifts

    def _get_sla_due_dates(self, today=None):
        """{case id: the day the SLA clock points at today}: the deadline, and for a case
        waiting for the customer the deadline moved by the working days waited so far."""
        today = today or fields.Date.context_today(self)
        due = {case.id: case.deadline for case in self}
        shifts = self._get_sla_pause_shifts(today)
        shifted = self.filtered(lambda c: shifts.get(c.id) and c.deadline)
        for company, cases in shifted.grouped("company_id").items():
            calendar = self._get_sla_working_days(
                company, min(cases.mapped("deadline")), today
            )
            for case in cases:
                due[case.id] = calendar.add(case.deadline, shifts[case.id])
        return due

    # ------------------------------------------------------------------- CRUD

    @api.model_create_multi
    def create(self, vals_list):
        today = fields.Date.context_today(self)
        for vals in vals_list:
            if vals.get("state") == PAUSED_STATE:
                vals.setdefault("sla_paused_since", today)
        return super().create(vals_list)

    def write(self, vals):
        if "state" not in vals:
            result = super().write(vals)
            if {"deadline", "case_type_id", "company_id"} & vals.keys():
                self._sla_reset_breach()
            return result
        today = fields.Date.context_today(self)
        if vals["state"] == PAUSED_STATE:
            pausing, resuming = (
                self.filtered(lambda c: c.state != PAUSED_STATE),
                self.browse(),
            )
        else:
            pausing, resuming = (
                self.browse(),
                self.filtered(lambda c: c.state == PAUSED_STATE),
            )
        # measured before the state changes: the due dates of waiting cases
        shifts = resuming._get_sla_pause_shifts(today)
        due = resuming._get_sla_due_dates(today)
        result = super().write(vals)
        if pausing:
            pausing.write({"sla_paused_since": today})
        if resuming:
            resuming._sla_resume(shifts, due)
        self._sla_reset_breach()
        return result

    @api.private
    def _sla_resume(self, shifts, due):
        """End the pause: count the working days waited and move the deadline by them.
        One write per distinct result, not one per case."""
        groups = {}
        for case in self:
            waited = shifts.get(case.id, 0)
            key = (case.sla_paused_days + waited, due.get(case.id) or case.deadline)
            groups.setdefault(key, []).append(case.id)
        for (paused_days, deadline), ids in groups.items():
            self.browse(ids).write(
                {
                    "sla_paused_since": False,
                    "sla_paused_days": paused_days,
                    "deadline": deadline,
                }
            )

    @api.private
    def _sla_reset_breach(self):
        """An open case whose due date moved to today or later is no longer breached, so
        that a later breach escalates again."""
        breached = self.filtered(lambda c: c.sla_breached and c.state in OPEN_STATES)
        if not breached:
            return
        today = fields.Date.context_today(self)
        due = breached._get_sla_due_dates(today)
        cleared = breached.filtered(lambda c: not due[c.id] or due[c.id] >= today)
        if cleared:
            cleared.write({"sla_breached": False})

    # ---------------------------------------------------------------- escalation

    @api.model
    def _get_sla_escalation_domain(self, today):
        # Deadline before today is a superset of "due date passed": a waiting case's due
        # date is at or after its deadline; the exact test is made per batch.
        return (
            Domain("state", "in", OPEN_STATES)
            & Domain("sla_breached", "=", False)
            & Domain("deadline", "<", today)
        )

    @api.model
    def _cron_escalate_sla_breaches(self, batch_size=200):
        """Daily: escalate the open cases whose SLA due date passed, a batch at a time."""
        today = fields.Date.context_today(self)
        ids = self.search(self._get_sla_escalation_domain(today), order="id").ids
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=len(ids))
        for chunk in split_every(batch_size, ids, list):
            cases = self.browse(chunk)
            due = cases._get_sla_due_dates(today)
            breached = cases.filtered(lambda c: due[c.id] < today)
            # The note and the leader's to-do in the company's language, as the
            # detection writes its cases.
            for company, company_cases in breached.grouped("company_id").items():
                lang = self._get_detection_lang(company)
                company_cases.with_context(lang=lang)._escalate_sla_breach(due)
            if not cron._commit_progress(len(chunk)):
                break

    @api.private
    def _escalate_sla_breach(self, due):
        """Mark the breach, raise the priority one step (at most Urgent), log a note and
        give the team leader a to-do. Cases without a team leader get no activity: the
        breach shows in the Breached filter, the team counter and the top of the queue."""
        if not self:
            return
        self.write({"sla_breached": True})
        for priority, cases in self.grouped("priority").items():
            raised = str(min(int(priority or 0) + 1, 3))
            if raised != priority:
                cases.write({"priority": raised})
        labels = dict(self._fields["priority"]._description_selection(self.env))
        self._message_log_batch(
            bodies={
                case.id: Markup("<p>%s</p>")
                % self.env._(
                    "SLA breached: the case was due on %(deadline)s and is still open. "
                    "Priority is now %(priority)s.",
                    deadline=format_date(self.env, due[case.id]),
                    priority=labels.get(case.priority, case.priority),
                )
                for case in self
            }
        )
        today = fields.Date.context_today(self)
        led = self.filtered(lambda c: c.team_id.leader_id)
        for leader, cases in led.grouped(lambda c: c.team_id.leader_id).items():
            # quick update: no e-mail per activity; the leader sees them in the activity
            # menu (and in the daily digest)
            cases.with_context(mail_activity_quick_update=True).activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=today,
                summary=self.env._("SLA breached"),
                note=self.env._(
                    "The deadline of this case passed while it was open; see that it is "
                    "worked today or reassign it."
                ),
                user_id=leader.id,
            )
