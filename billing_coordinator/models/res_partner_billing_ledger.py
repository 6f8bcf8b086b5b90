"""The ledger side of the customer context (see ``res_partner_billing_context.py``): what
the customer owes and what it paid, from the open receivable journal items and the
customer payments. Each part is one or two queries for all the partners and companies,
built on the model's ``_search()`` so that access rights and record rules apply."""

from odoo import api, models
from odoo.tools import SQL


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _billing_context_aml_query(self, companies):
        """The open receivable journal items of these partners, access rules applied,
        with the move (``ctx_move``) and partner (``ctx_partner``) joined."""
        Line = self.env["account.move.line"]
        query = Line._search(
            [
                ("company_id", "in", companies.ids),
                ("partner_id.commercial_partner_id", "in", self.ids),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "!=", 0),
            ]
        )
        query.add_join(
            "JOIN",
            "ctx_move",
            "account_move",
            SQL("ctx_move.id = %s", SQL.identifier(query.table, "move_id")),
        )
        query.add_join(
            "JOIN",
            "ctx_partner",
            "res_partner",
            SQL("ctx_partner.id = %s", SQL.identifier(query.table, "partner_id")),
        )
        return query

    @api.model
    def _billing_context_select(
        self, query, columns, group_by=None, having=None, limit=None
    ):
        """Rows of ``columns`` over ``query`` (its tables, joins and access rules); with
        ``limit``, only those whose ``rank`` column is at most ``limit``."""
        sql = SQL(
            "SELECT %s FROM %s WHERE %s%s%s",
            columns,
            query.from_clause,
            query.where_clause or SQL("TRUE"),
            SQL(" GROUP BY %s", group_by) if group_by else SQL(),
            SQL(" HAVING %s", having) if having else SQL(),
        )
        if limit:
            sql = SQL(
                "SELECT * FROM (%s) AS ranked WHERE rank <= %s ORDER BY rank",
                sql,
                limit,
            )
        return self.env.execute_query_dict(sql)

    def _billing_context_ledger(self, companies, today, blocks, limit):
        """Totals, open invoices and unapplied credits: two queries over the ledger."""
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        query = self._billing_context_aml_query(companies)
        aml = SQL.identifier(query.table)
        residual = SQL("%s.amount_residual", aml)
        due_date = SQL("COALESCE(%s.date_maturity, %s.date)", aml, aml)
        from_payment = SQL(
            "(ctx_move.origin_payment_id IS NOT NULL OR ctx_move.statement_line_id IS NOT NULL)"
        )
        credit_note = SQL(
            "(ctx_move.move_type = 'out_refund' AND NOT %s)", from_payment
        )
        totals = self._billing_context_select(
            query,
            SQL(
                """
                ctx_partner.commercial_partner_id AS partner_id,
                %(aml)s.company_id,
                COALESCE(SUM(%(residual)s) FILTER (WHERE %(residual)s > 0), 0) AS total_due,
                COALESCE(SUM(%(residual)s)
                         FILTER (WHERE %(residual)s > 0 AND %(due_date)s < %(today)s), 0)
                    AS overdue,
                COALESCE(-SUM(%(residual)s)
                         FILTER (WHERE %(residual)s < 0 AND %(from_payment)s), 0)
                    AS credit_payments,
                COALESCE(-SUM(%(residual)s)
                         FILTER (WHERE %(residual)s < 0 AND %(credit_note)s), 0)
                    AS credit_notes,
                COALESCE(-SUM(%(residual)s)
                         FILTER (WHERE %(residual)s < 0 AND NOT %(from_payment)s
                                 AND NOT %(credit_note)s), 0) AS credit_other,
                COUNT(DISTINCT %(aml)s.move_id) FILTER (WHERE %(residual)s > 0)
                    AS open_invoice_count,
                COUNT(DISTINCT %(aml)s.move_id)
                    FILTER (WHERE %(residual)s > 0 AND %(due_date)s < %(today)s)
                    AS overdue_invoice_count,
                MIN(%(due_date)s) FILTER (WHERE %(residual)s > 0) AS oldest_due
                """,
                aml=aml,
                residual=residual,
                due_date=due_date,
                today=today,
                from_payment=from_payment,
                credit_note=credit_note,
            ),
            group_by=SQL("1, 2"),
        )
        for row in totals:
            block = blocks[row["partner_id"], row["company_id"]]
            for key in (
                "total_due",
                "overdue",
                "credit_payments",
                "credit_notes",
                "credit_other",
            ):
                block[key] = float(row[key])
            block["open_invoice_count"] = row["open_invoice_count"]
            block["overdue_invoice_count"] = row["overdue_invoice_count"]
            oldest_due = row["oldest_due"]
            block["max_days_overdue"] = (
                max((today - oldest_due).days, 0) if oldest_due else 0
            )

        # The open documents, grouped by move: the debit ones (invoices) oldest due date
        # first, the credit ones (credit notes, payments) newest first; ``limit`` of each.
        documents = self._billing_context_select(
            query,
            SQL(
                """
                ctx_partner.commercial_partner_id AS partner_id,
                %(aml)s.company_id,
                ctx_move.id AS move_id,
                ctx_move.name,
                ctx_move.move_type,
                ctx_move.invoice_date,
                ctx_move.date,
                ctx_move.amount_total_signed,
                ctx_move.payment_state,
                ctx_move.origin_payment_id,
                %(from_payment)s AS from_payment,
                SUM(%(residual)s) AS residual,
                MIN(%(due_date)s) AS date_due,
                COUNT(*) OVER (
                    PARTITION BY ctx_partner.commercial_partner_id,
                                 %(aml)s.company_id, SUM(%(residual)s) > 0
                ) AS total,
                ROW_NUMBER() OVER (
                    PARTITION BY ctx_partner.commercial_partner_id,
                                 %(aml)s.company_id, SUM(%(residual)s) > 0
                    ORDER BY CASE WHEN SUM(%(residual)s) > 0
                                  THEN MIN(%(due_date)s) END,
                             ctx_move.date DESC, ctx_move.id DESC
                ) AS rank
                """,
                aml=aml,
                residual=residual,
                due_date=due_date,
                from_payment=from_payment,
            ),
            group_by=SQL("1, 2, ctx_move.id"),
            having=SQL("SUM(%s) != 0", residual),
            limit=limit,
        )
        for row in documents:
            block = blocks[row["partner_id"], row["company_id"]]
            residual_amount = float(row["residual"])
            if residual_amount > 0:
                block["open_invoices"].append(
                    {
                        "id": row["move_id"],
                        "name": row["name"],
                        "move_type": row["move_type"],
                        "invoice_date": row["invoice_date"] or row["date"],
                        "date_due": row["date_due"],
                        "days_overdue": max((today - row["date_due"]).days, 0),
                        "amount_total": float(row["amount_total_signed"]),
                        "amount_residual": residual_amount,
                        "payment_state": row["payment_state"],
                    }
                )
            else:
                kind = self._billing_context_credit_kind(row)
                block["credit_count"] = row["total"]
                block["credits"].append(
                    {
                        # A payment opens as the payment, other credits as their move.
                        "model": "account.payment"
                        if row["origin_payment_id"]
                        else "account.move",
                        "id": row["origin_payment_id"] or row["move_id"],
                        "name": row["name"],
                        "date": row["date"],
                        "kind": kind,
                        "amount": -residual_amount,
                    }
                )

    @api.model
    def _billing_context_credit_kind(self, row):
        if row["from_payment"]:
            return "payment"
        return "credit_note" if row["move_type"] == "out_refund" else "other"

    def _billing_context_payments(self, companies, blocks, limit):
        """The last customer payments received, and the unapplied ones that have no
        journal entry (not in the ledger, yet received): one query."""
        Payment = self.env["account.payment"]
        Payment.flush_model()
        query = Payment._search(
            [
                ("company_id", "in", companies.ids),
                ("partner_id.commercial_partner_id", "in", self.ids),
                ("partner_type", "=", "customer"),
                ("payment_type", "=", "inbound"),
                ("state", "in", ("in_process", "paid")),
            ]
        )
        query.add_join(
            "JOIN",
            "ctx_partner",
            "res_partner",
            SQL("ctx_partner.id = %s", SQL.identifier(query.table, "partner_id")),
        )
        pay = SQL.identifier(query.table)
        # Without a journal entry a payment is applied when it is linked to an invoice.
        applied = SQL(
            """CASE WHEN %(pay)s.move_id IS NULL
                    THEN EXISTS (SELECT 1 FROM account_move__account_payment rel
                                  WHERE rel.payment_id = %(pay)s.id)
                    ELSE %(pay)s.is_reconciled END""",
            pay=pay,
        )
        partition = SQL("ctx_partner.commercial_partner_id, %s.company_id", pay)
        rows = self._billing_context_select(
            query,
            SQL(
                """
                ctx_partner.commercial_partner_id AS partner_id,
                %(pay)s.company_id, %(pay)s.id, %(pay)s.name, %(pay)s.date,
                %(pay)s.memo, %(pay)s.state, %(pay)s.move_id,
                %(pay)s.amount_company_currency_signed AS amount,
                %(applied)s AS applied,
                COUNT(*) OVER (PARTITION BY %(partition)s) AS total,
                COALESCE(SUM(%(pay)s.amount_company_currency_signed)
                         FILTER (WHERE %(pay)s.move_id IS NULL AND NOT %(applied)s)
                         OVER (PARTITION BY %(partition)s), 0) AS unbooked_credit,
                ROW_NUMBER() OVER (
                    PARTITION BY %(partition)s ORDER BY %(pay)s.date DESC, %(pay)s.id DESC
                ) AS rank
                """,
                pay=pay,
                applied=applied,
                partition=partition,
            ),
            limit=limit,
        )
        for row in rows:
            block = blocks[row["partner_id"], row["company_id"]]
            block["payment_count"] = row["total"]
            if row["rank"] == 1:
                block["credit_payments"] += float(row["unbooked_credit"])
            if not row["move_id"] and not row["applied"]:
                block["credit_count"] += 1
                block["credits"].append(
                    {
                        "model": "account.payment",
                        "id": row["id"],
                        "name": row["name"],
                        "date": row["date"],
                        "kind": "payment",
                        "amount": float(row["amount"] or 0.0),
                    }
                )
            block["payments"].append(
                {
                    "id": row["id"],
                    "name": row["name"],
                    "date": row["date"],
                    "memo": row["memo"] or "",
                    "state": row["state"],
                    "amount": float(row["amount"] or 0.0),
                    "applied": row["applied"],
                }
            )
