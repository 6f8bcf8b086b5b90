"""Customer statements: the figures of the statement PDF (open items and aging as of a
date, from the aging engine; optionally the activity of a period), sending statements by
e-mail and the monthly statement run for customers who opted in."""

from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError


class ResPartner(models.Model):
    _inherit = "res.partner"

    # ------------------------------------------------------------------ figures

    @api.model
    def _get_billing_statement_options(self, options=None):
        """Complete statement options: ``date_at`` (open items as of; the end of the
        period for an activity statement), ``only_overdue``, ``date_from``/``date_to``
        (activity statement when both are set) and ``company_id``."""
        options = dict(options or {})
        date_from = fields.Date.to_date(options.get("date_from")) or False
        date_to = fields.Date.to_date(options.get("date_to")) or False
        if bool(date_from) != bool(date_to):
            raise UserError(
                self.env._("An activity statement needs a start and an end date.")
            )
        if date_from and date_from > date_to:
            raise UserError(
                self.env._("The period of the statement starts after it ends.")
            )
        date_at = (
            date_to
            or fields.Date.to_date(options.get("date_at"))
            or fields.Date.context_today(self)
        )
        return {
            "date_at": date_at,
            "only_overdue": bool(options.get("only_overdue")),
            "date_from": date_from,
            "date_to": date_to,
            "company_id": options.get("company_id") or self.env.company.id,
        }

    def _get_billing_statement_data(self, options=None):
        """``{commercial partner id: statement}`` for the partners of ``self``.

        A statement is ``{"partner", "company", "options", "sections", "balance",
        "activity"}``. ``sections`` holds one entry per document currency: the open
        items (``items``, positive), the unapplied payments and open credit notes
        (``credits``, negative), the aging buckets, ``total`` (company currency) and
        ``total_currency``, all from ``_get_aging()`` so that they agree with the aging
        reports to the cent. ``activity`` (activity statements only) is the opening
        balance, the documents and payments of the period and the closing balance."""
        options = self._get_billing_statement_options(options)
        partners = self.commercial_partner_id
        # Another company's or another team's customer is refused, not printed.
        partners._check_billing_report_access()
        company = self.env["res.company"].browse(options["company_id"])
        Aging = self.env["billing.receivable.line"]
        filters = {"company_ids": company, "partner_ids": partners}
        lines = Aging._get_aging(date_at=options["date_at"], with_items=True, **filters)
        payment_moves = self._get_billing_statement_payment_moves(lines)
        statements = {
            partner.id: {
                "partner": partner,
                "company": company,
                "options": options,
                "sections": [],
                "balance": 0.0,
                "activity": None,
            }
            for partner in partners
        }
        for line in lines:
            statement = statements.get(line["partner_id"])
            if not statement:
                continue
            items = [
                dict(item, kind=self._get_billing_statement_kind(item, payment_moves))
                for item in line["items"]
            ]
            debit_items = [item for item in items if item["amount_residual"] > 0]
            if options["only_overdue"]:
                debit_items = [item for item in debit_items if item["days_overdue"] > 0]
            statement["sections"].append(
                {
                    "currency": self.env["res.currency"].browse(line["currency_id"]),
                    "company_currency": self.env["res.currency"].browse(
                        line["company_currency_id"]
                    ),
                    "items": debit_items,
                    "credits": [item for item in items if item["amount_residual"] < 0],
                    "aging": line,
                    "total": line["total"],
                    "total_currency": line["total_currency"],
                    "overdue": line["overdue"],
                }
            )
            statement["balance"] += line["total"]
        if options["date_from"]:
            self._add_billing_statement_activity(statements, options, filters)
        return statements

    @api.model
    def _get_billing_statement_payment_moves(self, lines):
        """Ids of the moves behind the credit items that are payments."""
        move_ids = {
            item["move_id"]
            for line in lines
            for item in line["items"]
            if item["amount_residual"] < 0 and item["move_type"] == "entry"
        }
        moves = self.env["account.move"].browse(move_ids)
        return set(
            moves.filtered(lambda m: m.origin_payment_id or m.statement_line_id).ids
        )

    @api.model
    def _get_billing_statement_kind(self, item, payment_moves):
        if item["move_type"] in ("out_refund", "in_refund"):
            return self.env._("Credit Note")
        if item["move_type"] in ("out_invoice", "in_invoice"):
            return self.env._("Invoice")
        if item["move_id"] in payment_moves:
            return self.env._("Payment")
        return self.env._("Journal Entry")

    @api.model
    def _add_billing_statement_activity(self, statements, options, filters):
        """Opening balance (as of the day before the period), the receivable journal
        items of the period with a running balance, closing balance (as of its end)."""
        Aging = self.env["billing.receivable.line"]
        opening = defaultdict(float)
        for line in Aging._get_aging(
            date_at=options["date_from"] - timedelta(days=1), **filters
        ):
            opening[line["partner_id"]] += line["total"]
        closing = defaultdict(float)
        for line in Aging._get_aging(date_at=options["date_to"], **filters):
            closing[line["partner_id"]] += line["total"]
        move_lines = self.env["account.move.line"].search_fetch(
            [
                ("company_id", "=", options["company_id"]),
                ("partner_id.commercial_partner_id", "in", list(statements)),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("date", ">=", options["date_from"]),
                ("date", "<=", options["date_to"]),
            ],
            [
                "date",
                "move_id",
                "move_name",
                "ref",
                "name",
                "balance",
                "date_maturity",
                "partner_id",
            ],
            order="date, move_name, id",
        )
        by_partner = move_lines.grouped(
            lambda line: line.partner_id.commercial_partner_id.id
        )
        for partner_id, statement in statements.items():
            balance = statement_opening = statement["company"].currency_id.round(
                opening[partner_id]
            )
            rows = []
            for line in by_partner.get(partner_id, []):
                balance += line.balance
                rows.append(
                    {
                        "line": line,
                        "debit": max(line.balance, 0.0),
                        "credit": max(-line.balance, 0.0),
                        "balance": balance,
                    }
                )
            statement["activity"] = {
                "opening": statement_opening,
                "lines": rows,
                "closing": statement["company"].currency_id.round(closing[partner_id]),
            }
