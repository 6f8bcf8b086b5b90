"""Automatic detection of billing discrepancies: findings.

A rule returns findings (``_new_detection_finding``): what it saw on one source (an
invoice, a payment, a customer), with a fingerprint of the amounts that an open case
keeps. A rerun compares the rule's rows with the open cases' fingerprints
(``_get_detection_open_fingerprints``, ``_detection_unchanged_check``) and reports an
unchanged source as a marker (``_new_unchanged_detection_finding``) without building the
finding again.
"""

import functools

from odoo import api, models
from odoo.tools import float_round

from .billing_case_detection import OPEN_CASES_MEMO


class BillingCase(models.Model):
    _inherit = "billing.case"

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
        (``"account.move,42"``), ``fingerprint`` the situation (default: the amounts).

        ``description`` is the HTML text of the case, or a function without arguments
        returning it: formatting amounts is the costly part of a rerun, so a rule passes
        a function and the text is only built for the cases created, updated or reopened
        (see :meth:`_get_detection_finding_description`)."""
        fingerprinter = self._detection_amounts_fingerprinter(currency)
        expected = fingerprinter.round(float(expected or 0.0))
        actual = fingerprinter.round(float(actual or 0.0))
        if fingerprint is None:
            fingerprint = fingerprinter(expected, actual)
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
    def _detection_amounts_fingerprinter(self, currency):
        """The default fingerprint of a finding in ``currency`` (see
        :meth:`_new_detection_finding`), as a function of the expected and actual
        amounts: the currency's figures are read once, for a rule to compare many rows
        with their open cases before building any finding. Its ``round`` is
        ``currency.round``. Within a detection run one function per currency serves
        the run (see ``_detect_company``)."""
        memo = self._get_detection_amount_memo()
        key = ("fingerprint", currency.id)
        if memo is not None and key in memo:
            return memo[key]
        rounding, digits, name = (
            currency.rounding,
            currency.decimal_places,
            currency.name,
        )

        def fingerprint(expected, actual):
            # currency.round(), the same call without the record lookups
            expected = float_round(float(expected or 0.0), precision_rounding=rounding)
            actual = float_round(float(actual or 0.0), precision_rounding=rounding)
            return f"{name} {expected:.{digits}f} {actual:.{digits}f}"

        fingerprint.round = functools.partial(float_round, precision_rounding=rounding)
        if memo is not None:
            memo[key] = fingerprint
        return fingerprint

    @api.model
    def _get_detection_open_fingerprints(self, company, rule):
        """``{detection_key: fingerprint}`` of the open cases of ``rule`` in ``company``.
        A rule compares its rows with it and reports those whose situation is
        unchanged with :meth:`_new_unchanged_detection_finding` instead of building a
        finding."""
        rows = self._get_detection_open_case_rows(company, rule)
        # The sync of this rule, next in the run, compares the same rows: the rule
        # only reads, so they are still those of the database then.
        self.env.cr.cache.setdefault(OPEN_CASES_MEMO, {})[(company.id, rule)] = rows
        return {key: fingerprint for _case_id, key, fingerprint in rows}

    @api.model
    def _detection_unchanged_check(self, company, rule):
        """A function ``(key, currency, expected, actual) -> bool``: True when the open
        case of ``rule`` on ``key`` has the default fingerprint of these amounts, i.e.
        the finding would change nothing (see :meth:`_new_unchanged_detection_finding`)."""
        open_fingerprints = self._get_detection_open_fingerprints(company, rule)
        fingerprinters = {}

        def unchanged(key, currency, expected, actual):
            known = open_fingerprints.get(key)
            if known is None:
                return False
            fingerprint = fingerprinters.get(currency.id)
            if fingerprint is None:
                fingerprint = fingerprinters[currency.id] = (
                    self._detection_amounts_fingerprinter(currency)
                )
            return known == fingerprint(expected, actual)

        return unchanged

    @api.model
    def _new_unchanged_detection_finding(self, rule, key):
        """A finding on ``key`` whose open case already has the fingerprint the rule
        computed (from :meth:`_get_detection_open_fingerprints`): the source is still
        found and nothing changed, so the sync leaves its case alone. Only valid for a
        source with an open case; a rerun with nothing changed builds no finding."""
        return {"rule": rule, "key": key, "unchanged": True}
