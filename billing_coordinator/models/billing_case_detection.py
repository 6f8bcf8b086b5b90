"""Automatic detection of billing discrepancies: the engine.

Each rule lives in its own file, ``billing_detection_rule_<code>.py`` (helpers they
share in ``billing_case_detection_rules.py``), its configuration per company in
``billing.detection.rule`` records. This file holds the fields that record what a rule
found, the registry of rules, the part that turns findings into cases (create, update,
clear, reopen), the run log (``billing.detection.run``) and the entry points (cron,
"Detect Now").
"""

import logging
import time as timer
from datetime import datetime, time

import psycopg2.errors
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Command, Domain

from .billing_case import CLOSED_STATES, OPEN_STATES

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
        if ("expected_amount" in vals or "actual_amount" in vals) and not self.env.context.get(
            "billing_detection_sync"
        ):
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
                rules=", ".join(f"{company.name}: {rule}" for company, rule in summary["failed"]),
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
        return {"type": "ir.actions.client", "tag": "display_notification", "params": params}

    # ----------------------------------------------------------- entry points

    @api.model
    def _get_detection_rules(self):
        """Detection rules in the order they run: rule code -> method name.

        A rule method takes a company and returns a list of findings made by
        :meth:`_new_detection_finding`. Another module adds a rule by overriding this
        method (and adding its code to ``detection_rule`` with ``selection_add``), or
        replaces one by overriding its method. A rule reads its thresholds from its
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
        """Daily scheduled action: one company per batch, with the 19.0 progress API.

        Companies already done today are skipped, so a run cut short by the time limit
        resumes where it stopped. A failing rule is logged and skipped (see _detect_company).
        """
        today_start = datetime.combine(fields.Date.context_today(self), time.min)
        companies = self.env["res.company"].search(
            Domain("billing_detection_date", "=", False)
            | Domain("billing_detection_date", "<", today_start)
        )
        IrCron = self.env["ir.cron"]
        IrCron._commit_progress(remaining=len(companies))
        for company in companies:
            self._detect_company(company)
            if not IrCron._commit_progress(1):
                break

    # ----------------------------------------------------------------- engine

    @api.model
    def _detect(self, companies=None, rules=None):
        """Run ``rules`` (default: all) on ``companies``; return a summary dict with the
        created, reopened, cleared and updated cases and the failed (company, rule) pairs."""
        if companies is None:
            companies = self.env["res.company"].search([])
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
            active_test=False,
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
            mail_auto_subscribe_no_notify=True,
        )
        registry = Case._get_detection_rules()
        configs = {
            config.code: config
            for config in self.env["billing.detection.rule"]._ensure_rules(company)
        }
        summary = self._empty_detection_summary()
        start, started = fields.Datetime.now(), timer.monotonic()
        lines = []
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
            try:
                with self.env.cr.savepoint():
                    findings = getattr(Case, registry[rule])(company)
                    result = Case._sync_detection_findings(company, rule, findings)
            except Exception as error:
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
        summary["runs"] = self._log_detection_run(company, start, started, lines, configs)
        # sudo: the run date is bookkeeping of the detection, which managers without
        # rights on companies may start.
        company.sudo().billing_detection_date = fields.Datetime.now()
        return summary

    @api.model
    def _log_detection_run(self, company, start, started, lines, configs):
        """Record the run and each rule's last figures; return the run."""
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
                    "line_ids": [Command.create(line) for line in lines],
                }
            )
        )
        for line in lines:
            config = configs.get(line["rule_code"])
            if config is None:
                continue
            config.sudo().write(
                {
                    "last_run_date": start,
                    "last_error": line.get("error") or False,
                    **{
                        f"last_{key}": line.get(key, 0)
                        for key in ("found", "created", "updated", "cleared", "reopened")
                    },
                }
            )
        return run.sudo(False)

    @api.model
    def _new_detection_finding(
        self,
        rule,
        key,
        partner_id,
        currency,
        *,
        expected=0.0,
        actual=0.0,
        moves=(),
        payments=(),
        description="",
        fingerprint=None,
        case_code=None,
    ):
        """What a rule found on one source; ``key`` names the source records
        (``"account.move,42"``), ``fingerprint`` the situation (default: the amounts)."""
        expected = currency.round(float(expected or 0.0))
        actual = currency.round(float(actual or 0.0))
        if fingerprint is None:
            digits = currency.decimal_places
            fingerprint = f"{currency.name} {expected:.{digits}f} {actual:.{digits}f}"
        return {
            "rule": rule,
            "key": key,
            "case_code": case_code or rule,
            "partner_id": partner_id,
            "currency_id": currency.id,
            "expected_amount": expected,
            "actual_amount": actual,
            "move_ids": sorted(set(moves)),
            "payment_ids": sorted({p for p in payments if p}),
            "description": description,
            "fingerprint": fingerprint,
        }

    @api.model
    def _sync_detection_findings(self, company, rule, findings):
        """Turn one rule's findings on one company into cases.

        - an open case whose source is no longer found is resolved as "cleared";
        - an open case still found is updated when its situation changed;
        - a new source gets a case, unless its last closed case saw the same situation
          (a cleared one is then reopened) or an open case of the same type covers it.
        """
        result = self._empty_detection_summary()
        by_key = {}
        for finding in findings:
            by_key.setdefault(finding["key"], finding)
        result["found"] = len(by_key)
        base = Domain("company_id", "=", company.id) & Domain("detection_rule", "=", rule)
        open_cases = self.search(base & Domain("state", "in", OPEN_STATES))
        gone = open_cases.filtered(lambda case: case.detection_key not in by_key)
        if gone:
            self._clear_detected_cases(gone, rule)
            result["cleared"] = gone
        for case in open_cases - gone:
            finding = by_key[case.detection_key]
            if case.detection_fingerprint != finding["fingerprint"]:
                case._update_detected_case(finding)
                result["updated"] |= case

        open_keys = set(open_cases.mapped("detection_key"))
        new_findings = [f for key, f in by_key.items() if key not in open_keys]
        if not new_findings:
            return result
        last_closed = {}
        closed = self.search(
            base
            & Domain("state", "in", CLOSED_STATES)
            & Domain("detection_key", "in", [f["key"] for f in new_findings]),
            order="id desc",
        )
        for case in closed:
            last_closed.setdefault(case.detection_key, case)
        to_create = []
        for finding in new_findings:
            previous = last_closed.get(finding["key"])
            if previous and previous.detection_fingerprint == finding["fingerprint"]:
                if (
                    previous.active
                    and previous.state == "resolved"
                    and previous.resolution_type == "cleared"
                ):
                    result["reopened"] |= previous
                continue
            to_create.append(finding)
        if result["reopened"]:
            self._reopen_detected_cases(result["reopened"], by_key)
        self._set_detection_case_types(company, to_create, rule)
        to_create = self._filter_covered_findings(company, to_create)
        result["created"] = self._create_detected_cases(company, to_create)
        return result

    @api.model
    def _get_detection_clear_reason(self, rule):
        """Why an open case of ``rule`` is cleared when its source is no longer found."""
        reasons = {
            "overpayment": self.env._(
                "the customer has no unapplied credit balance above the tolerance any more."
            ),
            "short_payment": self.env._(
                "the invoice is paid in full, or its open remainder no longer looks like a "
                "deduction."
            ),
            "duplicate_payment": self.env._(
                "the payments are no longer open duplicates: refunded, applied or cancelled."
            ),
            "unapplied_payment": self.env._(
                "the payment is now matched with an invoice, or it was cancelled."
            ),
            "overcharge": self.env._(
                "the invoiced prices are within the allowed deviation from the reference price, "
                "or the invoice was cancelled."
            ),
            "undercharge": self.env._(
                "the invoiced prices are within the allowed deviation from the reference price, "
                "or the invoice was cancelled."
            ),
            "customer_data": self.env._("the customer's billing data is now complete and valid."),
            "overdue": self.env._(
                "the invoice is paid, or no longer overdue beyond the threshold."
            ),
        }
        return reasons.get(rule) or self.env._("the rule no longer finds the discrepancy.")

    @api.model
    def _clear_detected_cases(self, cases, rule):
        """Resolve ``cases`` as cleared in one write (a second one for the cases that
        keep a note of their coordinator) and log the chatter notes in one batch; the
        note replaces the tracking messages of the write."""
        note = self.env._(
            "Cleared by the automatic detection on %(date)s: %(reason)s",
            date=fields.Date.to_string(fields.Date.context_today(self)),
            reason=self._get_detection_clear_reason(rule),
        )
        cases = cases.with_context(mail_notrack=True)
        with_note = cases.filtered("resolution_note")
        (cases - with_note)._mark_resolved("cleared", note=note)
        for case in with_note:
            # Keep what the coordinator already wrote in the resolution note.
            case._mark_resolved("cleared", note=f"{case.resolution_note}\n{note}")
        cases._message_log_batch(bodies=dict.fromkeys(cases.ids, Markup("<p>%s</p>") % note))

    @api.model
    def _reopen_detected_cases(self, cases, findings_by_key):
        cases.action_reopen()
        intro = self.env._("Reopened by the automatic detection: the situation is back.")
        cases._message_log_batch(
            bodies={
                case.id: Markup("<p>%s</p>%s")
                % (intro, findings_by_key[case.detection_key]["description"])
                for case in cases
            }
        )

    def _update_detected_case(self, finding):
        """Follow a changed situation; amounts a coordinator set by hand are kept and
        what the detection sees now is only noted."""
        self.ensure_one()
        vals = {
            "detection_fingerprint": finding["fingerprint"],
            "move_ids": [Command.link(move_id) for move_id in finding["move_ids"]],
            "payment_ids": [Command.link(payment_id) for payment_id in finding["payment_ids"]],
        }
        if self.detection_manual_amounts:
            intro = self.env._(
                "The automatic detection now sees an expected amount of %(expected)s and an "
                "actual amount of %(actual)s; the amounts set by hand are kept.",
                expected=self._detection_amount(finding["expected_amount"], self.currency_id),
                actual=self._detection_amount(finding["actual_amount"], self.currency_id),
            )
        else:
            vals["expected_amount"] = finding["expected_amount"]
            vals["actual_amount"] = finding["actual_amount"]
            intro = self.env._("The automatic detection found the situation changed:")
        self.with_context(billing_detection_sync=True).write(vals)
        self.message_post(body=Markup("<p>%s</p>%s") % (intro, finding["description"]))

    @api.model
    def _get_detection_case_type(self, company, code):
        """The built-in case type of ``code`` or, when it is archived or belongs to another
        company, the first active type with that code available to ``company``."""
        case_type = self.env.ref(f"billing_coordinator.case_type_{code}", raise_if_not_found=False)
        if (
            case_type
            and case_type.active
            and case_type.company_id in (company, self.env["res.company"])
        ):
            return case_type
        return self.env["billing.case.type"].search(
            Domain("code", "=", code) & Domain("company_id", "in", [company.id, False]),
            limit=1,
        )

    @api.model
    def _set_detection_case_types(self, company, findings, rule=None):
        """The case type of each finding: the one set on the rule's record for findings
        of the rule's own code, else the built-in type of the finding's code."""
        config = self._get_detection_rule_config(company, rule) if rule else None
        types = {}
        if config and config.case_type_id:
            types[rule] = config.case_type_id
        for finding in findings:
            code = finding["case_code"]
            if code not in types:
                types[code] = self._get_detection_case_type(company, code)
                if not types[code]:
                    _logger.warning(
                        "Billing detection: no active case type with code %s for company %s; "
                        "findings of this type are skipped.",
                        code,
                        company.name,
                    )
            finding["case_type_id"] = types[code].id

    @api.model
    def _filter_covered_findings(self, company, findings):
        """Drop findings an open case of the same type already covers: one sharing an
        invoice or a payment, or, for a customer-level finding, one on that customer
        (e.g. a case the coordinator opened by hand)."""
        findings = [f for f in findings if f["case_type_id"]]
        if not findings:
            return findings
        open_cases = self.search(
            Domain("company_id", "=", company.id)
            & Domain("state", "in", OPEN_STATES)
            & Domain("case_type_id", "in", list({f["case_type_id"] for f in findings}))
            & Domain("partner_id", "in", list({f["partner_id"] for f in findings}))
        )
        covered = set()
        for case in open_cases:
            type_id = case.case_type_id.id
            covered.add((type_id, "res.partner", case.partner_id.id))
            covered.update((type_id, "account.move", move_id) for move_id in case.move_ids.ids)
            covered.update((type_id, "account.payment", pay_id) for pay_id in case.payment_ids.ids)

        def is_covered(finding):
            type_id = finding["case_type_id"]
            if finding["key"].startswith("res.partner,"):
                return (type_id, "res.partner", finding["partner_id"]) in covered
            return any((type_id, "account.move", m) in covered for m in finding["move_ids"]) or any(
                (type_id, "account.payment", p) in covered for p in finding["payment_ids"]
            )

        return [f for f in findings if not is_covered(f)]

    @api.model
    def _prepare_detected_case_vals(self, company, finding):
        return {
            "company_id": company.id,
            "partner_id": finding["partner_id"],
            "case_type_id": finding["case_type_id"],
            "currency_id": finding["currency_id"],
            "expected_amount": finding["expected_amount"],
            "actual_amount": finding["actual_amount"],
            "move_ids": [Command.set(finding["move_ids"])],
            "payment_ids": [Command.set(finding["payment_ids"])],
            "description": finding["description"],
            "detection_rule": finding["rule"],
            "detection_key": finding["key"],
            "detection_fingerprint": finding["fingerprint"],
        }

    @api.model
    def _create_detected_cases(self, company, findings):
        """Create the cases in one call; if that fails (a concurrent run created one of
        them first, or one finding is invalid), create them one by one and skip the ones
        that fail, so one bad record does not stop the others."""
        if not findings:
            return self.browse()
        vals_list = [self._prepare_detected_case_vals(company, f) for f in findings]
        try:
            with self.env.cr.savepoint():
                return self.create(vals_list)
        except Exception:  # noqa: BLE001 - retried one by one below, where errors are logged
            _logger.info("Billing detection: batch creation failed, retrying case by case.")
        cases = self.browse()
        for vals in vals_list:
            try:
                with self.env.cr.savepoint():
                    cases |= self.create(vals)
            except psycopg2.errors.UniqueViolation:
                _logger.info(
                    "Billing detection: an open %s case for %s already exists "
                    "(created by a concurrent run); skipped.",
                    vals["detection_rule"],
                    vals["detection_key"],
                )
            except Exception:
                _logger.exception(
                    "Billing detection: could not create the %s case for %s; skipped.",
                    vals["detection_rule"],
                    vals["detection_key"],
                )
        return cases
