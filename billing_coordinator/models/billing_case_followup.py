"""Calls and resubmission: a logged call may put a case aside until a follow-up date; the
daily cron brings it back to the queue with a to-do for whoever works it."""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import format_date, plaintext2html

from .billing_case import CLOSED_STATES, OPEN_STATES


class BillingCase(models.Model):
    _inherit = "billing.case"

    follow_up_date = fields.Date(
        string="Follow-up Date",
        tracking=True,
        copy=False,
        index="btree_not_null",
        help="Resubmission: the case leaves the queue until this date.",
    )
    call_ids = fields.One2many(
        "billing.case.call", "case_id", string="Calls", readonly=True
    )
    call_count = fields.Integer(compute="_compute_call_count")

    def _compute_call_count(self):
        groups = self.env["billing.case.call"]._read_group(
            [("case_id", "in", self.ids)], ["case_id"], ["__count"]
        )
        counts = {case.id: count for case, count in groups}
        for case in self:
            case.call_count = counts.get(case.id, 0)

    # ------------------------------------------------------------------- CRUD

    def write(self, vals):
        # A closed case waits for nothing: its resubmission ends with it.
        if vals.get("state") in CLOSED_STATES and "follow_up_date" not in vals:
            vals = dict(vals, follow_up_date=False)
        return super().write(vals)

    # ---------------------------------------------------------------- domains

    @api.model
    def _get_in_queue_domain(self):
        """Open cases that are not put aside until a later follow-up date (the
        ``in_queue`` filter of the search view)."""
        today = fields.Date.context_today(self)
        return Domain("state", "in", OPEN_STATES) & (
            Domain("follow_up_date", "=", False) | Domain("follow_up_date", "<=", today)
        )

    # ---------------------------------------------------------------- actions

    def action_open_log_call_wizard(self):
        self.ensure_one()
        self.check_access("write")  # no wizard over cases the user cannot change
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log Call: %(case)s", case=self.name),
            "res_model": "billing.case.log.call",
            "view_mode": "form",
            "target": "new",
            "context": {"default_case_id": self.id},
        }

    def action_view_calls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "billing_coordinator.billing_case_call_action"
        )
        action["domain"] = [("case_id", "=", self.id)]
        action["context"] = {"create": False}
        action["display_name"] = self.env._("Calls of %(case)s", case=self.name)
        return action

    # -------------------------------------------------------------- call log

    def _log_call(self, outcome, note=None, follow_up_date=None):
        """Document a call on this case: a ``billing.case.call`` record and a chatter
        note. ``follow_up_date`` puts the case aside until that date (it waits for the
        customer); ``False`` ends a running resubmission; ``None`` leaves it as is."""
        self.ensure_one()
        self.check_access("write")
        if outcome.requires_follow_up and not follow_up_date:
            raise UserError(
                self.env._(
                    "A call with the outcome “%(outcome)s” needs a follow-up date.",
                    outcome=outcome.name,
                )
            )
        if follow_up_date:
            self._check_follow_up_date(follow_up_date)
        note = (note or "").strip()
        message = self.message_post(
            body=self._get_call_message_body(outcome, note, follow_up_date),
            subtype_xmlid="mail.mt_note",
            message_type="comment",
        )
        call = self.env["billing.case.call"].create(
            {
                "case_id": self.id,
                "outcome_id": outcome.id,
                "note": note or False,
                "follow_up_date": follow_up_date or False,
                "message_id": message.id,
            }
        )
        if follow_up_date is not None:
            self._set_follow_up(follow_up_date)
        return call

    def _check_follow_up_date(self, follow_up_date):
        today = fields.Date.context_today(self)
        if fields.Date.to_date(follow_up_date) <= today:
            raise UserError(
                self.env._(
                    "Choose a follow-up date after today; to work the case today, keep it "
                    "in the queue."
                )
            )
        self._check_state(
            OPEN_STATES,
            self.env._("Only open cases can wait for a follow-up date: %(cases)s."),
        )

    def _set_follow_up(self, follow_up_date):
        """Put these cases aside until ``follow_up_date`` (they wait for the customer),
        or end their resubmission with ``False``."""
        if not follow_up_date:
            self.filtered("follow_up_date").follow_up_date = False
            return
        self._check_follow_up_date(follow_up_date)
        self.write({"follow_up_date": follow_up_date})
        self.filtered(
            lambda c: c.state in ("new", "in_progress")
        ).action_wait_customer()

    def _get_call_message_body(self, outcome, note, follow_up_date):
        body = Markup("<p><b>%s</b> %s</p>") % (self.env._("Call:"), outcome.name)
        if note:
            body += plaintext2html(note)
        if follow_up_date:
            body += Markup("<p>%s</p>") % self.env._(
                "Follow-up on %(date)s.", date=format_date(self.env, follow_up_date)
            )
        return body

    # ------------------------------------------------------------------- cron

    @api.model
    def _get_follow_up_return_domain(self):
        return Domain("follow_up_date", "<=", fields.Date.context_today(self)) & Domain(
            "state", "in", OPEN_STATES
        )

    @api.model
    def _cron_return_follow_ups(self, batch_size=500):
        """Daily: cases whose follow-up date has come back to the queue, a batch at a time."""
        domain = self._get_follow_up_return_domain()
        cron = self.env["ir.cron"]
        cron._commit_progress(remaining=self.search_count(domain))
        while cases := self.search(domain, order="id", limit=batch_size):
            cases._return_from_follow_up()
            if not cron._commit_progress(len(cases)):
                break

    def _return_from_follow_up(self):
        """End the resubmission of these cases: waiting cases go back in progress and
        whoever works the case (else the team leader) gets a to-do due today. One write
        per change and one activity creation for the whole batch."""
        if not self:
            return
        today = fields.Date.context_today(self)
        Call = self.env["billing.case.call"]
        last_calls = Call.browse(
            call_id
            for _case, call_id in Call._read_group(
                [("case_id", "in", self.ids)], ["case_id"], ["id:max"]
            )
        )
        call_of = {call.case_id: call for call in last_calls}
        waiting = self.filtered(lambda c: c.state == "waiting_customer")
        self.write({"follow_up_date": False})
        # Not action_start(): the cron user must not become the coordinator.
        waiting.write({"state": "in_progress"})
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        vals_list = []
        for case in self:
            user = case._get_resubmission_user()
            vals_list.append(
                {
                    "activity_type_id": activity_type.id,
                    "automated": True,
                    "summary": self.env._("Follow-up due"),
                    "note": case._get_follow_up_note(call_of.get(case)),
                    "date_deadline": today,
                    "res_model_id": model_id,
                    "res_id": case.id,
                    "user_id": user.id,
                }
            )
        # The daily digest lists these to-dos: no "assigned to you" mail for each.
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            vals_list
        )

    def _get_resubmission_user(self):
        self.ensure_one()
        return self.user_id or self.team_id.leader_id or self.create_uid

    def _get_follow_up_note(self, call):
        if not call:
            return Markup("<p>%s</p>") % self.env._(
                "The follow-up date of the case has come: work it again."
            )
        note = Markup("<p>%s</p>") % self.env._(
            "Follow-up of the call of %(date)s (%(outcome)s).",
            date=format_date(self.env, call.date),
            outcome=call.outcome_id.name,
        )
        if call.note:
            note += plaintext2html(call.note)
        return note
