"""What the case evidence pack shows (``reports/billing_case_report.xml``): the amount
breakdown of the case's invoices and the communication log, batched for all the printed
cases."""

from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

BREAKDOWN_KEYS = ("original", "in_dispute", "paid", "credited", "written_off", "open")


class BillingCase(models.Model):
    _inherit = "billing.case"

    @api.private
    def _get_amount_breakdown(self):
        """``{case id: {key: amount}}`` in the case currency, keys in ``BREAKDOWN_KEYS``.

        ``original`` is the total of the case's customer invoices, ``open`` what they still
        owe; what was taken off them is split by the document it was matched with:
        payments (``paid``), credit notes (``credited``) and other entries such as
        write-offs (``written_off``). So original = paid + credited + written off + open.
        ``in_dispute`` is the case's difference (actual minus expected) as an amount."""
        invoices = self.move_ids.filtered(
            lambda move: move.move_type == "out_invoice" and move.state == "posted"
        )
        matched = self._get_invoice_matched_amounts(invoices)
        result = {}
        for case in self:
            amounts = dict.fromkeys(BREAKDOWN_KEYS, 0.0)
            amounts["in_dispute"] = abs(case.amount_difference)
            for invoice in case.move_ids & invoices:
                convert = self._get_breakdown_converter(invoice.currency_id, case)
                amounts["original"] += convert(invoice.amount_total)
                amounts["open"] += convert(invoice.amount_residual)
                for kind, amount in matched[invoice.id].items():
                    amounts[kind] += convert(amount)
            result[case.id] = {
                key: case.currency_id.round(value) for key, value in amounts.items()
            }
        return result

    @api.model
    def _get_breakdown_converter(self, currency, case):
        if currency == case.currency_id:
            return lambda amount: amount
        date = fields.Date.context_today(self)
        return lambda amount: currency._convert(
            amount, case.currency_id, case.company_id, date
        )

    @api.model
    def _get_invoice_matched_amounts(self, invoices):
        """``{invoice id: {kind: amount in invoice currency}}``: what was matched with
        each invoice's receivable lines, by kind of counterpart, in one query."""
        result = defaultdict(lambda: defaultdict(float))
        if not invoices:
            return result
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        self.env["account.partial.reconcile"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
            SELECT line.move_id,
                   CASE WHEN counter_move.origin_payment_id IS NOT NULL
                          OR counter_move.statement_line_id IS NOT NULL THEN 'paid'
                        WHEN counter_move.move_type = 'out_refund' THEN 'credited'
                        ELSE 'written_off' END,
                   SUM(part.debit_amount_currency)
              FROM account_move_line line
              JOIN account_partial_reconcile part ON part.debit_move_id = line.id
              JOIN account_move_line counter_line ON counter_line.id = part.credit_move_id
              JOIN account_move counter_move ON counter_move.id = counter_line.move_id
             WHERE line.move_id IN %s AND line.display_type = 'payment_term'
             GROUP BY 1, 2
            """,
                tuple(invoices.ids),
            )
        )
        for move_id, kind, amount in rows:
            result[move_id][kind] += amount
        return result

    @api.private
    def _get_communication_log(self):
        """``{case id: [entry, ...]}`` oldest first: e-mails and notes of the chatter and
        the logged calls with their outcome. A call's own chatter note is not listed a
        second time."""
        Message = self.env["mail.message"]
        messages = Message.search(
            [
                ("model", "=", "billing.case"),
                ("res_id", "in", self.ids),
                ("message_type", "in", ("email", "comment")),
            ],
            order="date, id",
        )
        calls = self.env["billing.case.call"].search(
            [("case_id", "in", self.ids)], order="date, id"
        )
        call_messages = calls.message_id
        log = defaultdict(list)
        for message in messages - call_messages:
            if not message.body and not message.subject:
                continue
            log[message.res_id].append(
                {
                    "date": message.date,
                    "kind": self.env._("E-mail")
                    if message.message_type == "email"
                    else self.env._("Note"),
                    "author": message.author_id.name or message.email_from or "",
                    "subject": message.subject or "",
                    "body": message.body,
                    "outcome": "",
                }
            )
        for call in calls:
            log[call.case_id.id].append(
                {
                    "date": call.date,
                    "kind": self.env._("Call"),
                    "author": call.user_id.name,
                    "subject": "",
                    "body": call.note or "",
                    "outcome": call.outcome_id.name,
                }
            )
        for entries in log.values():
            entries.sort(key=lambda entry: entry["date"])
        return log
