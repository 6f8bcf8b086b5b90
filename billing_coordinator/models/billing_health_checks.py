"""The Billing Health checks: one small method each, registered in
``billing.health._get_health_checks()``. Each takes the companies and returns a list of
lines (``_health_line``); what it looks at and its thresholds are in its docstring."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.fields import Domain
from odoo.tools import SQL, format_date, format_datetime

from odoo.addons.base.models.ir_cron import _intervalTypes

from .billing_case import OPEN_STATES

# A job whose next call is this far in the past is late (the cron workers poll every
# minute; a long batch of another job may hold them a while).
CRON_LATE_TOLERANCE = timedelta(minutes=30)
# Unassigned open cases older than this wait in a queue nobody works.
UNASSIGNED_DAYS = 3
# The promise cron runs daily: a promise due yesterday may still wait for today's run.
PROMISE_CHECK_GRACE_DAYS = 1
DEFAULT_CREDIT_DAYS = 60


class BillingHealth(models.AbstractModel):
    _inherit = "billing.health"

    # ------------------------------------------------------------------ detection

    @api.model
    def _health_detection_max_age(self):
        """How old the last detection run may be: the detection cron's interval plus a
        day of slack (two days for the daily cron)."""
        # sudo: scheduled actions are technical records only administrators read; the
        # interval is all we take from it.
        cron = self.env.ref(
            "billing_coordinator.ir_cron_billing_detection", raise_if_not_found=False
        )
        interval = timedelta(days=1)
        if cron:
            cron = cron.sudo()  # sudo: the cron's interval, see above
            now = fields.Datetime.now()
            interval = max(
                now + _intervalTypes[cron.interval_type](cron.interval_number) - now,
                interval,
            )
        return interval + timedelta(days=1)

    @api.model
    def _health_last_runs(self, companies):
        """The last detection run of each company: ``{company_id: run}`` (one query per
        page load, shared by the checks that need it)."""
        rows = self._health_memo(
            ("last_runs", tuple(companies.ids)),
            lambda: self._health_last_run_rows(companies),
        )
        runs = self.env["billing.detection.run"].browse(
            [run_id for _company_id, run_id in rows]
        )
        return {company_id: runs.browse(run_id) for company_id, run_id in rows}

    @api.model
    def _health_last_run_rows(self, companies):
        """``[(company_id, run_id)]``: the last detection run of each company."""
        self.env["billing.detection.run"].flush_model(["company_id", "start"])
        return self.env.execute_query(
            SQL(
                """SELECT DISTINCT ON (company_id) company_id, id
                     FROM billing_detection_run
                    WHERE company_id = ANY(%s)
                 ORDER BY company_id, start DESC, id DESC""",
                companies.ids,
            )
        )

    @api.model
    def _health_check_detection_last_run(self, companies):
        """Per company: when the detection last ran and how long it took. Warning when
        it never ran or its last run is older than ``_health_detection_max_age()``."""
        label = self.env._("Last detection run")
        max_age = self._health_detection_max_age()
        limit = fields.Datetime.now() - max_age
        last_runs = self._health_last_runs(companies)
        lines = []
        for company in companies:
            run = last_runs.get(company.id)
            action = self._health_action(
                self.env._("Detection Runs"),
                "billing.detection.run",
                [("company_id", "=", company.id)],
            )
            if not run:
                status, message = (
                    "warning",
                    self.env._("The discrepancy detection never ran."),
                )
                action = False
            else:
                values = {
                    "start": format_datetime(self.env, run.start),
                    "duration": f"{run.duration:.1f}",
                }
                if run.start < limit:
                    status = "warning"
                    message = self.env._(
                        "The last run was on %(start)s (%(duration)s s), "
                        "more than %(days)s days ago.",
                        days=max_age.days,
                        **values,
                    )
                else:
                    status = "ok"
                    message = self.env._(
                        "Last run on %(start)s, in %(duration)s s.", **values
                    )
            lines.append(
                self._health_line(
                    "detection_last_run",
                    label,
                    status,
                    1 if run else 0,
                    message,
                    action,
                    company,
                )
            )
        return lines

    @api.model
    def _health_check_detection_failed_rules(self, companies):
        """The rules that failed in each company's last detection run (error)."""
        label = self.env._("Failed detection rules")
        last_runs = self._health_last_runs(companies)
        run_ids = [run.id for run in last_runs.values()]
        groups = self.env["billing.detection.run.line"]._read_group(
            [("run_id", "in", run_ids), ("failed", "=", True)],
            ["company_id"],
            ["id:array_agg", "rule_name:array_agg"],
        )
        line_ids = [line_id for _company, ids, _names in groups for line_id in ids]
        if not line_ids:
            message = self.env._("No rule failed in the last runs.")
            return [
                self._health_line("detection_failed_rules", label, "ok", 0, message)
            ]
        several = len(companies) > 1
        message = self.env._(
            "Failed in the last run: %(rules)s.",
            rules="; ".join(
                (f"{company.name}: " if several else "") + ", ".join(names)
                for company, _ids, names in groups
            ),
        )
        action = self._health_action(
            label,
            "billing.detection.run.line",
            [("id", "in", line_ids)],
            views=[
                [
                    self.env.ref(
                        "billing_coordinator.billing_detection_run_line_view_list"
                    ).id,
                    "list",
                ]
            ],
        )
        return [
            self._health_line(
                "detection_failed_rules", label, "error", len(line_ids), message, action
            )
        ]

    # ------------------------------------------------------------------ crons

    @api.model
    def _health_cron_modules(self):
        """The modules whose scheduled actions are checked (extend for a bridge)."""
        return ["billing_coordinator"]

    @api.model
    def _health_check_crons(self, companies):
        """The module's scheduled actions: inactive or failing (error: the job does not
        run, or crashes), late (warning: next call more than ``CRON_LATE_TOLERANCE`` in
        the past). Scheduled actions are not per company."""
        label = self.env._("Scheduled actions")
        # sudo: scheduled actions and their xmlids are technical records only
        # administrators read; managers see their state here, nothing else.
        xmlids = (
            self.env["ir.model.data"]
            .sudo()
            .search_fetch(
                [
                    ("module", "in", self._health_cron_modules()),
                    ("model", "=", "ir.cron"),
                ],
                ["res_id"],
            )
        )
        # sudo: scheduled actions are technical records; their state is all we read.
        crons = (
            self.env["ir.cron"]
            .sudo()
            .with_context(active_test=False)
            .browse(xmlids.mapped("res_id"))
            .exists()
        )
        limit = fields.Datetime.now() - CRON_LATE_TOLERANCE
        inactive = crons.filtered(lambda cron: not cron.active)
        failing = crons.filtered(lambda cron: cron.active and cron.failure_count)
        late = (
            crons.filtered(lambda cron: cron.active and cron.nextcall < limit) - failing
        )
        problems = inactive | failing | late
        if not problems:
            message = self.env._(
                "%(count)s scheduled actions, all active and on time.", count=len(crons)
            )
            return [self._health_line("crons", label, "ok", 0, message)]
        parts = []
        if inactive:
            parts.append(
                self.env._(
                    "Inactive: %(names)s.", names=", ".join(inactive.mapped("name"))
                )
            )
        if failing:
            parts.append(
                self.env._(
                    "Failing: %(names)s.",
                    names=", ".join(
                        self.env._(
                            "%(name)s (%(count)s failures since %(date)s)",
                            name=cron.name,
                            count=cron.failure_count,
                            date=format_datetime(self.env, cron.first_failure_date)
                            if cron.first_failure_date
                            else "?",
                        )
                        for cron in failing
                    ),
                )
            )
        if late:
            parts.append(
                self.env._(
                    "Late: %(names)s.",
                    names=", ".join(
                        self.env._(
                            "%(name)s (due %(date)s)",
                            name=cron.name,
                            date=format_datetime(self.env, cron.nextcall),
                        )
                        for cron in late
                    ),
                )
            )
        action = False
        if self.env.user.has_group("base.group_system"):
            action = self._health_action(
                label,
                "ir.cron",
                [("id", "in", problems.ids)],
                context={"active_test": False},
            )
        status = "error" if inactive or failing else "warning"
        return [
            self._health_line(
                "crons", label, status, len(problems), " ".join(parts), action
            )
        ]

    # ------------------------------------------------------------------ cases

    @api.model
    def _health_unassigned_domain(self, companies):
        """Open cases without a coordinator, created more than ``UNASSIGNED_DAYS``
        days ago."""
        cutoff = fields.Datetime.now() - timedelta(days=UNASSIGNED_DAYS)
        return [
            ("company_id", "in", companies.ids),
            ("state", "in", list(OPEN_STATES)),
            ("user_id", "=", False),
            ("create_date", "<", fields.Datetime.to_string(cutoff)),
        ]

    @api.model
    def _health_check_cases_unassigned(self, companies):
        """Open cases nobody took within ``UNASSIGNED_DAYS`` days of their creation
        (warning): their team works no queue, or has nobody available."""
        label = self.env._("Cases without a coordinator")
        domain = self._health_unassigned_domain(companies)
        [(count, oldest)] = self.env["billing.case"]._read_group(
            domain, [], ["__count", "create_date:min"]
        )
        if not count:
            message = self.env._(
                "No open case waits for a coordinator more than %(days)s days.",
                days=UNASSIGNED_DAYS,
            )
            return [self._health_line("cases_unassigned", label, "ok", 0, message)]
        message = self.env._(
            "%(count)s open cases have no coordinator after %(days)s days; "
            "the oldest since %(date)s.",
            count=count,
            days=UNASSIGNED_DAYS,
            date=format_datetime(self.env, oldest),
        )
        action = self._health_action(label, "billing.case", domain)
        return [
            self._health_line(
                "cases_unassigned", label, "warning", count, message, action
            )
        ]

    @api.model
    def _health_unchecked_promises_domain(self, companies):
        """The promises the promise cron should have checked: those it checks
        (``_get_promise_check_domain()``) due more than the grace days ago."""
        cutoff = fields.Date.context_today(self) - timedelta(
            days=PROMISE_CHECK_GRACE_DAYS
        )
        Promise = self.env["billing.case.promise"]
        domain = (
            Promise._get_promise_check_domain()
            & Domain("company_id", "in", companies.ids)
            & Domain("date", "<", fields.Date.to_string(cutoff))
        )
        return list(domain)

    @api.model
    def _health_check_promises_unchecked(self, companies):
        """Promises to pay past due and still pending on an open case (warning): the
        daily promise check did not run, or failed on them."""
        label = self.env._("Promises never checked")
        domain = self._health_unchecked_promises_domain(companies)
        [(count, oldest)] = self.env["billing.case.promise"]._read_group(
            domain, [], ["__count", "date:min"]
        )
        if not count:
            message = self.env._("Every promise past due was checked.")
            return [self._health_line("promises_unchecked", label, "ok", 0, message)]
        message = self.env._(
            "%(count)s promises past due were never checked; "
            "the oldest was due on %(date)s.",
            count=count,
            date=format_date(self.env, oldest),
        )
        action = self._health_action(
            label,
            "billing.case.promise",
            domain,
            views=[
                [
                    self.env.ref(
                        "billing_coordinator.billing_case_promise_view_list"
                    ).id,
                    "list",
                ]
            ],
        )
        return [
            self._health_line(
                "promises_unchecked", label, "warning", count, message, action
            )
        ]

    # ------------------------------------------------------------------ receivables

    @api.model
    def _health_old_credit_domain(self, companies):
        """Open credit items (negative residual today: unapplied payments, open credit
        notes) dated more than each company's ``billing_health_credit_days`` ago."""
        today = fields.Date.context_today(self)
        by_company = Domain.OR(
            Domain("company_id", "=", company.id)
            & Domain(
                "date",
                "<",
                fields.Date.to_string(
                    today
                    - timedelta(
                        days=company.billing_health_credit_days or DEFAULT_CREDIT_DAYS
                    )
                ),
            )
            for company in companies
        )
        return list(Domain("amount_residual", "<", 0) & by_company)

    @api.model
    def _health_check_old_credit(self, companies):
        """Customers with an open credit older than the company's limit (warning): money
        of the customer's that nobody refunded or applied."""
        label = self.env._("Old customer credit")
        domain = self._health_old_credit_domain(companies)
        [(customers, items)] = self.env["billing.receivable.line"]._read_group(
            domain, [], ["partner_id:count_distinct", "__count"]
        )
        days = sorted(set(companies.mapped("billing_health_credit_days")))
        days_text = ", ".join(str(d) for d in days)
        if not items:
            message = self.env._(
                "No customer credit is open for more than %(days)s days.",
                days=days_text,
            )
            return [self._health_line("old_credit", label, "ok", 0, message)]
        message = self.env._(
            "%(customers)s customers have %(items)s credit items open for more than "
            "%(days)s days.",
            customers=customers,
            items=items,
            days=days_text,
        )
        action = self._health_action(
            label,
            "billing.receivable.line",
            domain,
            context={"group_by": ["partner_id"]},
        )
        return [
            self._health_line(
                "old_credit", label, "warning", customers, message, action
            )
        ]

    # ------------------------------------------------------------------ snapshots

    @api.model
    def _health_check_snapshot_chain(self, companies):
        """The month-end snapshots' chain of checksums, when snapshots are installed:
        the snapshot model says itself (``_health_chain_status()``)."""
        if "billing.ar.snapshot" not in self.env:
            return []
        Snapshot = self.env["billing.ar.snapshot"].with_context(
            allowed_company_ids=companies.ids
        )
        result = Snapshot._health_chain_status()
        label = self.env._("Snapshot chain")
        res_ids = result.get("res_ids") or []
        action = res_ids and self._health_action(
            label, "billing.ar.snapshot", [("id", "in", list(res_ids))]
        )
        return [
            self._health_line(
                "snapshot_chain",
                label,
                result["status"],
                result.get("count", len(res_ids)),
                result.get("message") or "",
                action,
            )
        ]
