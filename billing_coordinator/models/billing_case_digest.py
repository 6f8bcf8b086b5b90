"""The daily digest: one e-mail per user with their queue (coordinators) and their teams'
summary (leaders). Counts come from one ``_read_group`` per figure; users with nothing to
report get no mail."""

from collections import defaultdict
from datetime import date

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, format_date

from .billing_case import OPEN_STATES

DIGEST_CASES_SHOWN = 10  # per section; the count says how many there are in all


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.model
    def _get_digest_sections(self):
        """The coordinator's sections: (key, label, domain on billing.case). A module adds
        one by extending this list."""
        today = fields.Date.context_today(self)
        return [
            ("new", self.env._("New cases"), Domain("state", "=", "new")),
            ("breached", self.env._("SLA breached"), Domain("sla_breached", "=", True)),
            ("due_today", self.env._("Due today"), Domain("deadline", "=", today)),
        ]

    @api.model
    def _cron_send_daily_digest(self):
        """Daily: one e-mail per user who has something in their queue or teams."""
        # sudo: the cron reports every user's cases and teams, whatever the record rules.
        Case = self.sudo()
        queues = Case._get_digest_queues()
        teams = Case._get_digest_teams()
        # sudo: the digest's recipients, whose e-mail and language the cron reads.
        users = (
            self.env["res.users"]
            .sudo()
            .browse(set(queues) | set(teams))
            .filtered(lambda u: u.active and not u.share and u.email)
        )
        mail_vals = [
            Case.with_context(lang=user.lang)._prepare_digest_mail(
                user, queues.get(user.id, []), teams.get(user.id, [])
            )
            for user in users.sorted("id")
        ]
        # sudo: the cron queues system e-mails; users have no right to create mail.mail.
        return self.env["mail.mail"].sudo().create(mail_vals)

    # ------------------------------------------------------------------ data

    @api.model
    def _get_digest_queues(self):
        """{user id: [section dicts]} for each coordinator with open cases to report.
        A section: key, count, cases (the first ones by score), for each of
        ``_get_digest_sections``, plus promises due and to-dos due."""
        base = self._get_in_queue_domain() & Domain("user_id", "!=", False)
        sections = [
            (key, domain) for key, _label, domain in self._get_digest_sections()
        ]
        result = defaultdict(list)
        for key, domain in sections:
            counts = dict(self._read_group(base & domain, ["user_id"], ["__count"]))
            if not counts:
                continue
            shown = self._get_digest_cases(base & domain)
            for user, count in counts.items():
                result[user.id].append(
                    {"key": key, "count": count, "cases": shown[user]}
                )
        for key, counts, shown in (
            self._get_digest_promises(),
            self._get_digest_activities(),
        ):
            for user, count in counts.items():
                result[user.id].append(
                    {"key": key, "count": count, "cases": shown[user]}
                )
        return result

    @api.model
    def _get_digest_cases(self, domain):
        """{user: the first cases by score}, in one query for all users (a window
        function ranks each user's cases)."""
        query = self._search(domain)
        table = query.table
        self.flush_model(["user_id", "priority_score", "deadline"])
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM (%s) AS ranked WHERE rank <= %s",
                query.select(
                    SQL.identifier(table, "id"),
                    SQL(
                        "ROW_NUMBER() OVER "
                        "(PARTITION BY %s ORDER BY %s DESC NULLS LAST, %s, %s) AS rank",
                        SQL.identifier(table, "user_id"),
                        SQL.identifier(table, "priority_score"),
                        SQL.identifier(table, "deadline"),
                        SQL.identifier(table, "id"),
                    ),
                ),
                DIGEST_CASES_SHOWN,
            )
        )
        shown = defaultdict(lambda: self.browse())
        cases = self.browse(row[0] for row in rows).sorted(
            lambda c: (-c.priority_score, c.deadline or date.max, c.id)
        )
        for case in cases:
            shown[case.user_id] |= case
        return shown

    @api.model
    def _get_digest_promises(self):
        """Pending promises to pay due today or earlier, per coordinator of the case."""
        # sudo: the digest covers every coordinator's promises, whatever the record rules.
        Promise = self.env["billing.case.promise"].sudo()
        domain = (
            Domain("state", "=", "pending")
            & Domain("date", "<=", fields.Date.context_today(self))
            & Domain("case_id.state", "in", OPEN_STATES)
            & Domain("case_id.user_id", "!=", False)
        )
        groups = Promise._read_group(domain, ["case_id"], ["__count"])
        counts, shown = defaultdict(int), defaultdict(lambda: self.browse())
        for case, count in sorted(
            groups, key=lambda group: (-group[0].priority_score, group[0].id)
        ):
            counts[case.user_id] += count
            if len(shown[case.user_id]) < DIGEST_CASES_SHOWN:
                shown[case.user_id] |= case
        return "promises", counts, shown

    @api.model
    def _get_digest_activities(self):
        """To-dos on open cases due today or earlier (follow-ups back from resubmission,
        broken promises, escalations), per assigned user."""
        # sudo: every user's to-dos, for the digest of each of them.
        Activity = self.env["mail.activity"].sudo()
        domain = (
            Domain("res_model", "=", self._name)
            & Domain("date_deadline", "<=", fields.Date.context_today(self))
            & Domain("user_id", "!=", False)
        )
        groups = Activity._read_group(domain, ["user_id", "res_id"], ["__count"])
        cases = self.browse({res_id for _user, res_id, _count in groups}).filtered(
            lambda case: case.active and case.state in OPEN_STATES
        )
        counts, shown = defaultdict(int), defaultdict(lambda: self.browse())
        for user, res_id, _count in sorted(groups, key=lambda group: group[1]):
            case = self.browse(res_id)
            if case not in cases:
                continue
            counts[user] += 1
            if len(shown[user]) < DIGEST_CASES_SHOWN:
                shown[user] |= case
        return "activities", counts, shown

    @api.model
    def _get_digest_teams(self):
        """{leader id: [team dicts]}: per member open and breached cases, unassigned and
        breached in all, for each active team with a leader and open cases."""
        # sudo: every team of every company, for the digest of its leader.
        teams = self.env["billing.team"].sudo().search([("leader_id", "!=", False)])
        if not teams:
            return {}
        groups = self._read_group(
            Domain("team_id", "in", teams.ids) & Domain("state", "in", OPEN_STATES),
            ["team_id", "user_id", "sla_breached"],
            ["__count"],
        )
        stats = defaultdict(lambda: defaultdict(lambda: {"open": 0, "breached": 0}))
        for team, user, breached, count in groups:
            row = stats[team][user]
            row["open"] += count
            if breached:
                row["breached"] += count
        result = defaultdict(list)
        for team in teams:
            if team not in stats:
                continue
            rows = stats[team]
            members = [
                {"user": user, **rows.get(user, {"open": 0, "breached": 0})}
                for user in team.member_ids
            ]
            members += [
                {"user": user, **row}
                for user, row in rows.items()
                if user and user not in team.member_ids
            ]
            result[team.leader_id.id].append(
                {
                    "team": team,
                    "members": members,
                    "open": sum(row["open"] for row in rows.values()),
                    "unassigned": rows.get(self.env["res.users"], {}).get("open", 0),
                    "breached": sum(row["breached"] for row in rows.values()),
                }
            )
        return result

    # ------------------------------------------------------------------ mail

    @api.model
    def _get_digest_section_labels(self):
        labels = {key: label for key, label, _domain in self._get_digest_sections()}
        labels["promises"] = self.env._("Promises to pay due")
        labels["activities"] = self.env._("To-dos due")
        return labels

    @api.model
    def _prepare_digest_mail(self, user, sections, teams):
        """mail.mail values of the digest of ``user``, rendered in the current language
        (the caller sets the user's)."""
        company = user.company_id
        labels = self._get_digest_section_labels()
        base_url = self.get_base_url()
        title = self.env._(
            "Billing queue of %(date)s",
            date=format_date(
                self.env, fields.Date.context_today(self), date_format="long"
            ),
        )
        body = self.env["ir.qweb"]._render(
            "billing_coordinator.billing_digest_mail_body",
            {
                "user": user,
                "title": title,
                "sections": [
                    dict(section, label=labels[section["key"]]) for section in sections
                ],
                "teams": teams,
                "case_url": lambda case: f"{base_url}/odoo/billing-cases/{case.id}",
                "queue_url": f"{base_url}/odoo/billing-queue",
                "format_date": lambda date: format_date(self.env, date),
            },
        )
        body = self.env["mail.render.mixin"]._render_encapsulate(
            "mail.mail_notification_light",
            body,
            add_context={
                "company": company,
                "model_description": self.env._("daily digest"),
                "record_name": title,
            },
        )
        return {
            "subject": self.env._(
                "%(company)s: %(title)s", company=company.name, title=title
            ),
            "body_html": body,
            "email_from": (
                company.partner_id.email_formatted
                or self.env.ref("base.user_root").email_formatted
            ),
            "recipient_ids": [fields.Command.link(user.partner_id.id)],
            "auto_delete": True,
            "state": "outgoing",
            "headers": {"X-Auto-Response-Suppress": "OOF"},
        }
