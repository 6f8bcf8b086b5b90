"""Automatic detection of billing discrepancies: the engine.

Each rule lives in its own file, ``billing_detection_rule_<code>.py`` (helpers they
share in ``billing_case_detection_rules.py``), its configuration per company in
``billing.detection.rule`` records. This file holds the fields that record what a rule
found, the registry of rules, the run (the company's lock, a savepoint per rule, the run
log ``billing.detection.run``) and the entry points (cron, "Detect Now"). What a rule
returns, the findings and their fingerprints, is in ``billing_case_detection_findings``;
turning findings into cases (create, update, clear, reopen) in
``billing_case_detection_sync``.
"""

import logging
import time as timer
from datetime import datetime, time

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Command, Domain
from odoo.tools import SQL

from .billing_cron_concurrency import is_concurrency_error, run_cron_batch

_logger = logging.getLogger(__name__)

DETECTION_RULES = [
    ("overpayment", "Overpayment"),
    ("short_payment", "Short Payment"),
    ("duplicate_payment", "Duplicate Payment"),
    ("unapplied_payment", "Unapplied Payment"),
    ("overcharge", "Price Above Reference"),
    ("undercharge", "Price Below Reference"),
    ("customer_data", "Customer Data Check"),
    ("overdue", "Overdue Invoice"),
]
# First key of the per-company advisory lock of the detection (the second is the
# company id): a 32-bit constant of our own, "BCDT".
DETECTION_LOCK_KEY = 0x42434454
# Key in the cursor's cache of the open cases a rule compared its findings with,
# {(company id, rule): rows}, taken by the sync of the rule that follows.
OPEN_CASES_MEMO = "billing_detection_open_cases"
# Key in the cursor's cache of what the running detection run of a company keeps until
# it ends (see _get_detection_run).
DETECTION_RUN_MEMO = "billing_detection_run"


class BillingCase(models.Model):
    _inherit = "billing.case"

    detection_rule = fields.Selection(
        DETECTION_RULES,
        readonly=True,
        copy=False,
        index=True,
        help="The automatic detection rule that found this case; empty for cases created by hand.",
    )
    detection_key = fields.Char(
        string="Detection Source",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The records the rule found the discrepancy on, e.g. account.move,42.",
    )
    detection_fingerprint = fields.Char(
        string="Detected Situation",
        readonly=True,
        copy=False,
        help="What the rule saw (amounts, problems found). A closed case is only detected "
        "again when this changes.",
    )

    # One open case per rule and source, even when two detection runs race: the second
    # insert fails in the database and the run skips it (see _create_detected_cases).
    detection_manual_amounts = fields.Boolean(
        string="Amounts Set by Hand",
        readonly=True,
        copy=False,
        help="A coordinator changed the expected or actual amount of this detected case: "
        "the detection keeps them and only notes in the chatter what it sees now.",
    )

    _detection_open_unique = models.UniqueIndex(
        "(company_id, detection_rule, detection_key) WHERE detection_rule IS NOT NULL"
        " AND state IN ('new', 'in_progress', 'waiting_customer')",
        "An open case already exists for this detection rule and source.",
    )

    # ------------------------------------------------------------------- CRUD

    def write(self, vals):
        # Manual amounts win: an amount changed outside the detection marks the case.
        detected = self.browse()
        if (
            "expected_amount" in vals or "actual_amount" in vals
        ) and not self.env.context.get("billing_detection_sync"):
            detected = self.filtered(
                lambda case: case.detection_rule and not case.detection_manual_amounts
            )
        result = super().write(vals)
        if detected:
            super(BillingCase, detected).write({"detection_manual_amounts": True})
        return result

    # ---------------------------------------------------------------- actions

    def action_run_detection(self):
        """ "Detect Now" for billing managers: run every rule on the active companies."""
        if not self.env.user.has_group("billing_coordinator.group_billing_manager"):
            raise AccessError(
                self.env._("Only billing managers can run the discrepancy detection.")
            )
        summary = self._detect(self.env.companies)
        message = self.env._(
            "%(created)s new case(s), %(reopened)s reopened, %(cleared)s cleared, "
            "%(updated)s updated.",
            created=len(summary["created"]),
            reopened=len(summary["reopened"]),
            cleared=len(summary["cleared"]),
            updated=len(summary["updated"]),
        )
        if summary["failed"]:
            message += " " + self.env._(
                "Some rules failed and were skipped (%(rules)s); see the run log.",
                rules=", ".join(
                    f"{company.name}: {rule}" for company, rule in summary["failed"]
                ),
            )
        if summary["runs"]:
            message += "\n" + summary["runs"]._get_summary_text()
        params = {
            "title": self.env._("Discrepancy detection done"),
            "message": message,
            "type": "warning" if summary["failed"] else "success",
            "sticky": bool(summary["failed"]),
        }
        if summary["created"]:
            params["next"] = summary["created"]._action_open_cases()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": params,
        }

    # ----------------------------------------------------------- entry points

    @api.model
    def _get_detection_rules(self):
        """Detection rules in the order they run: rule code -> method name.

        A rule method takes a company and returns a list of findings made by
        :meth:`_new_detection_finding`; for a source whose open case already saw the
        same situation it may return :meth:`_new_unchanged_detection_finding` instead
        (compare with :meth:`_detection_unchanged_check` or
        :meth:`_get_detection_open_fingerprints`): a rerun then builds nothing for it.
        Another module adds a rule by overriding this method (and adding its code to
        ``detection_rule`` with ``selection_add``), or replaces one by overriding its
        method. A rule reads its thresholds from its
        ``billing.detection.rule`` record (``_get_detection_rule_config(company, code)``);
        that record is created for every registered code on the first run, and a rule
        switched off there does not run. Put each rule in its own file
        (``billing_detection_rule_<code>.py``).
        """
        return {
            "overpayment": "_detect_overpayment",
            "short_payment": "_detect_short_payment",
            "duplicate_payment": "_detect_duplicate_payment",
            "unapplied_payment": "_detect_unapplied_payment",
            "overcharge": "_detect_overcharge",
            "undercharge": "_detect_undercharge",
            "customer_data": "_detect_customer_data",
            # Last: an invoice an open case of another rule already covers is skipped.
            "overdue": "_detect_overdue",
        }

    @api.model
    def _run_detection(self, companies=None):
        """Run every detection rule on ``companies`` (default: every company the user
        can access), create, update, clear and reopen cases; return the new cases."""
        return self._detect(companies)["created"]

    @api.model
    def _cron_run_detection(self):
        """Daily scheduled action: one company per batch, with the 19.0 progress API
        (see ``run_cron_batch``).

        Companies already done today are skipped, so a run cut short by the time limit
        or killed resumes where it stopped. A failing rule is logged and skipped (see
        _detect_company).
        """
        companies = self._get_detection_cron_companies()
        run_cron_batch(
            self.env, list(companies), self._detect_company, size=lambda _c: 1
        )

    @api.model
    def _get_detection_cron_companies(self):
        """The companies the daily run still has to do today."""
        today_start = datetime.combine(fields.Date.context_today(self), time.min)
        return self.env["res.company"].search(
            Domain("billing_detection_date", "=", False)
            | Domain("billing_detection_date", "<", today_start)
        )

    @api.model
    def _try_lock_detection(self, company):
        """Take the detection lock of ``company`` until the end of the transaction;
        False when another transaction (a cron, "Detect Now") holds it.

        Once the lock is ours, the company row is locked too: when a run committed on
        this company after our snapshot was taken, this raises a serialization failure
        (repeatable read), which the caller retries on a fresh snapshot instead of
        detecting again what that run already created.
        """
        locked = self.env.execute_query(
            SQL(
                "SELECT pg_try_advisory_xact_lock(%s, %s)",
                DETECTION_LOCK_KEY,
                company.id,
            )
        )[0][0]
        if locked:
            self.env.execute_query(
                SQL(
                    "SELECT id FROM res_company WHERE id = %s FOR NO KEY UPDATE",
                    company.id,
                )
            )
        return locked

    # ----------------------------------------------------------------- engine

    @api.model
    def _get_detection_lang(self, company):
        """The language the detection writes case descriptions and notes in for
        ``company``: its partner's language when active, else the first active language,
        else English. The text stays as written; a case read in another language shows
        the company's words."""
        installed = [code for code, _name in self.env["res.lang"].get_installed()]
        # sudo: the company's partner may be unreadable to a coordinator whose action
        # (a bounce, an invoice post) triggers the detection.
        lang = company.sudo().partner_id.lang
        if lang in installed:
            return lang
        return installed[0] if installed else "en_US"

    @api.model
    def _detect(self, companies=None, rules=None):
        """Run ``rules`` (default: all) on ``companies``; return a summary dict with the
        created, reopened, cleared and updated cases and the failed (company, rule) pairs."""
        if companies is None:
            # res.company: a handful of rows, all of them wanted.
            companies = self.env["res.company"].search([])  # pylint: disable=no-search-all
        summary = self._empty_detection_summary()
        for company in companies:
            result = self._detect_company(company, rules=rules)
            for key in ("created", "reopened", "cleared", "updated", "runs"):
                summary[key] |= result[key]
            summary["failed"] += result["failed"]
        return summary

    @api.model
    def _empty_detection_summary(self):
        empty = self.browse()
        return {
            "created": empty,
            "reopened": empty,
            "cleared": empty,
            "updated": empty,
            "failed": [],
            "runs": self.env["billing.detection.run"],
        }

    @api.model
    def _detect_company(self, company, rules=None):
        """Run the active rules on one company, each in a savepoint: a failing rule is
        logged, rolled back and skipped, the others go on. The run and what each rule
        did is kept in a ``billing.detection.run`` record."""
        Case = self.with_company(company).with_context(
            lang=self._get_detection_lang(company),
            active_test=False,
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
            mail_auto_subscribe_no_notify=True,
        )
        summary = self._empty_detection_summary()
        start, started = fields.Datetime.now(), timer.monotonic()
        # First thing in the batch: the lock is taken before the snapshot shows anything.
        if not self._try_lock_detection(company):
            _logger.info(
                "Billing detection for company %s (id %s) skipped: another run is on it.",
                company.name,
                company.id,
            )
            summary["runs"] = self._log_detection_run(
                company, start, started, [], {}, skipped=True
            )
            return summary
        registry = Case._get_detection_rules()
        configs = {
            config.code: config
            for config in self.env["billing.detection.rule"]._ensure_rules(company)
        }
        Case = Case.with_context(
            billing_detection_rule_ids=tuple(
                ((company.id, code), config.id) for code, config in configs.items()
            )
        )
        lines = []
        self.env.cr.cache[DETECTION_RUN_MEMO] = {
            "company": company.id,
            "rules": [
                rule
                for rule in rules or list(registry)
                if rule in registry and (rule not in configs or configs[rule].active)
            ],
        }
        try:
            for sequence, rule in enumerate(rules or list(registry)):
                config = configs.get(rule)
                if config is not None and not config.active:
                    continue
                rule_started = timer.monotonic()
                line = {
                    "sequence": sequence,
                    "rule_code": rule,
                    "rule_name": config.name if config is not None else rule,
                }
                # Rows a failed or interrupted rule left are not this run's.
                self.env.cr.cache.get(OPEN_CASES_MEMO, {}).pop((company.id, rule), None)
                try:
                    with self.env.cr.savepoint():
                        findings = getattr(Case, registry[rule])(company)
                        result = Case._sync_detection_findings(company, rule, findings)
                except Exception as error:
                    if is_concurrency_error(error):
                        raise  # the transaction is stale: the caller retries it
                    _logger.exception(
                        "Billing detection rule %s failed for company %s (id %s); skipped.",
                        rule,
                        company.name,
                        company.id,
                    )
                    summary["failed"].append((company, rule))
                    line.update(failed=True, error=f"{type(error).__name__}: {error}")
                else:
                    for key in ("created", "reopened", "cleared", "updated"):
                        summary[key] |= result[key].with_env(self.env)
                        line[key] = len(result[key])
                    line["found"] = result["found"]
                line["duration"] = timer.monotonic() - rule_started
                lines.append(line)
        finally:
            self.env.cr.cache.pop(DETECTION_RUN_MEMO, None)
        summary["runs"] = self._log_detection_run(
            company, start, started, lines, configs
        )
        # sudo: the run date is bookkeeping of the detection, which managers without
        # rights on companies may start.
        company.sudo().billing_detection_date = fields.Datetime.now()
        return summary

    @api.model
    def _get_detection_run(self):
        """What the running detection run of a company keeps until it ends, for its
        rules to share (a dict; None outside a run): ``company``, its id; ``rules``,
        the active rules of the run in their order; and what the rules put in it
        (amount formatters, which currencies and languages do not change within a run;
        rows read at once for two rules)."""
        return self.env.cr.cache.get(DETECTION_RUN_MEMO)

    @api.model
    def _log_detection_run(
        self, company, start, started, lines, configs, skipped=False
    ):
        """Record the run and each rule's last figures; return the run. A skipped run
        (another one held the company's lock) is recorded without lines."""
        # sudo: the log is written by the detection for whoever started it; users
        # only read it.
        run = (
            self.env["billing.detection.run"]
            .sudo()
            .create(
                {
                    "company_id": company.id,
                    "start": start,
                    "duration": timer.monotonic() - started,
                    "user_id": self.env.uid,
                    "skipped": skipped,
                    "line_ids": [Command.create(line) for line in lines],
                }
            )
        )
        for line in lines:
            config = configs.get(line["rule_code"])
            if config is None:
                continue
            # sudo: the rule's last figures are bookkeeping of the detection, see above.
            config.sudo().write(
                {
                    "last_run_date": start,
                    "last_error": line.get("error") or False,
                    **{
                        f"last_{key}": line.get(key, 0)
                        for key in (
                            "found",
                            "created",
                            "updated",
                            "cleared",
                            "reopened",
                        )
                    },
                }
            )
        return run.sudo(False)
