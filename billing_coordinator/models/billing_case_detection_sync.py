"""Automatic detection of billing discrepancies: findings into cases.

A rule's findings on one company become cases here: created, updated when the
situation changed (amounts set by hand are kept), cleared when the source is gone
(one write, notes logged in one batch) and reopened when it comes back.
"""

import logging

import psycopg2.errors
from markupsafe import Markup

from odoo import api, fields, models
from odoo.fields import Command, Domain
from odoo.tools import SQL

from .billing_case import CLOSED_STATES, OPEN_STATES
from .billing_case_detection import OPEN_CASES_MEMO
from .billing_cron_concurrency import is_concurrency_error

# The detection's one logger (tests and operators filter on it).
_logger = logging.getLogger(
    "odoo.addons.billing_coordinator.models.billing_case_detection"
)


class BillingCase(models.Model):
    _inherit = "billing.case"

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
        base = Domain("company_id", "=", company.id) & Domain(
            "detection_rule", "=", rule
        )
        # A rerun compares every open case of the rule: plain rows, no records; only
        # the cases to clear or update are read as records (in the model's order).
        open_rows = self._get_detection_open_case_rows(company, rule)
        gone_ids, changed = [], {}
        for case_id, key, fingerprint in open_rows:
            finding = by_key.get(key)
            if finding is None:
                gone_ids.append(case_id)
            elif not finding.get("unchanged") and fingerprint != finding["fingerprint"]:
                changed[case_id] = finding
        if gone_ids:
            gone = self.search(Domain("id", "in", gone_ids))
            self._clear_detected_cases(gone, rule)
            result["cleared"] = gone
        if changed:
            for case in self.search(Domain("id", "in", list(changed))):
                case._update_detected_case(changed[case.id])
                result["updated"] |= case

        open_keys = {key for _case_id, key, _fingerprint in open_rows}
        # An unchanged finding has an open case by definition: nothing to create.
        new_findings = [
            f
            for key, f in by_key.items()
            if key not in open_keys and not f.get("unchanged")
        ]
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
    def _get_detection_open_case_rows(self, company, rule):
        """``[(id, detection_key, detection_fingerprint)]`` of the open cases of
        ``rule`` in ``company``, archived ones included (as the run's ``active_test``
        off), in one query on the unique index of open cases; or the rows the rule
        just compared its findings with (:meth:`_get_detection_open_fingerprints`),
        taken once."""
        memo = self.env.cr.cache.get(OPEN_CASES_MEMO)
        rows = memo.pop((company.id, rule), None) if memo else None
        if rows is not None:
            return rows
        self.flush_model(
            [
                "company_id",
                "detection_rule",
                "detection_key",
                "detection_fingerprint",
                "state",
            ]
        )
        return self.env.execute_query(
            SQL(
                """SELECT id, detection_key, detection_fingerprint
                     FROM billing_case
                    WHERE company_id = %s AND detection_rule = %s AND state IN %s""",
                company.id,
                rule,
                OPEN_STATES,
            )
        )

    @api.model
    def _get_detection_finding_description(self, finding):
        """The HTML description of ``finding``, built on first use when the rule gave a
        function (kept in the finding: it is built once)."""
        description = finding["description"]
        if callable(description):
            description = finding["description"] = description()
        return description

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
            "customer_data": self.env._(
                "the customer's billing data is now complete and valid."
            ),
            "overdue": self.env._(
                "the invoice is paid, or no longer overdue beyond the threshold."
            ),
        }
        return reasons.get(rule) or self.env._(
            "the rule no longer finds the discrepancy."
        )

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
        cases._message_log_batch(
            bodies=dict.fromkeys(cases.ids, Markup("<p>%s</p>") % note)
        )

    @api.model
    def _reopen_detected_cases(self, cases, findings_by_key):
        cases.action_reopen()
        intro = self.env._(
            "Reopened by the automatic detection: the situation is back."
        )
        cases._message_log_batch(
            bodies={
                case.id: Markup("<p>%s</p>%s")
                % (
                    intro,
                    self._get_detection_finding_description(
                        findings_by_key[case.detection_key]
                    ),
                )
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
            "payment_ids": [
                Command.link(payment_id) for payment_id in finding["payment_ids"]
            ],
        }
        if self.detection_manual_amounts:
            intro = self.env._(
                "The automatic detection now sees an expected amount of %(expected)s and an "
                "actual amount of %(actual)s; the amounts set by hand are kept.",
                expected=self._detection_amount(
                    finding["expected_amount"], self.currency_id
                ),
                actual=self._detection_amount(
                    finding["actual_amount"], self.currency_id
                ),
            )
        else:
            vals["expected_amount"] = finding["expected_amount"]
            vals["actual_amount"] = finding["actual_amount"]
            intro = self.env._("The automatic detection found the situation changed:")
        self.with_context(billing_detection_sync=True).write(vals)
        self.message_post(
            body=Markup("<p>%s</p>%s")
            % (intro, self._get_detection_finding_description(finding))
        )

    @api.model
    def _get_detection_case_type(self, company, code):
        """The built-in case type of ``code`` or, when it is archived or belongs to another
        company, the first active type with that code available to ``company``."""
        case_type = self.env.ref(
            f"billing_coordinator.case_type_{code}", raise_if_not_found=False
        )
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
            covered.update(
                (type_id, "account.move", move_id) for move_id in case.move_ids.ids
            )
            covered.update(
                (type_id, "account.payment", pay_id) for pay_id in case.payment_ids.ids
            )

        def is_covered(finding):
            type_id = finding["case_type_id"]
            if finding["key"].startswith("res.partner,"):
                return (type_id, "res.partner", finding["partner_id"]) in covered
            return any(
                (type_id, "account.move", m) in covered for m in finding["move_ids"]
            ) or any(
                (type_id, "account.payment", p) in covered
                for p in finding["payment_ids"]
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
            "description": self._get_detection_finding_description(finding),
            "detection_rule": finding["rule"],
            "detection_key": finding["key"],
            "detection_fingerprint": finding["fingerprint"],
        }

    @api.model
    def _create_detected_cases(self, company, findings):
        """Create the cases in one batch: set-wise through ``_bulk_create_cases`` when
        it gives what ``create()`` gives (see ``_get_bulk_create_blocker``), else in one
        ``create()``. If that fails (a concurrent run created one of them first, or one
        finding is invalid), create them one by one and skip the ones that fail, so one
        bad record does not stop the others."""
        if not findings:
            return self.browse()
        vals_list = [self._prepare_detected_case_vals(company, f) for f in findings]
        blocker = self._get_bulk_create_blocker(vals_list)
        if blocker:
            _logger.debug("Billing detection: cases created one by one: %s.", blocker)
        try:
            with self.env.cr.savepoint():
                if not blocker:
                    return self._bulk_create_cases(company, vals_list)
                return self.create(vals_list)
        except Exception as error:  # noqa: BLE001 - retried one by one below, errors logged
            if is_concurrency_error(error):
                raise  # a stale transaction: the whole batch is retried by its caller
            _logger.info(
                "Billing detection: batch creation failed, retrying case by case."
            )
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
            except Exception as error:
                if is_concurrency_error(error):
                    raise
                _logger.exception(
                    "Billing detection: could not create the %s case for %s; skipped.",
                    vals["detection_rule"],
                    vals["detection_key"],
                )
        return cases
