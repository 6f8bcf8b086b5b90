"""Resolution engine: the base of every resolution type.

A resolution type is a small AbstractModel inheriting ``billing.resolution`` and
registered by code in ``billing.case._get_resolution_types()``. The engine
(``billing.case._resolve``) reads the caller's values into a *resolution* dict
(:meth:`_prepare_resolution`), runs the type's :meth:`_check` completely, then
:meth:`_apply` inside a savepoint. Checks never write; ``_apply`` may assume them done.

A resolution dict holds ``case``, ``resolution_type`` and the values as records:
``invoice``, ``credit_lines``, ``journal``, ``write_off_account``, ``date``,
``amount``, ``note`` and ``installments`` (a list of ``(date, amount)``).
"""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import format_date, formatLang

# Keyword values _resolve accepts, with the model of the records given as ids.
RESOLUTION_VALUES = {
    "amount": None,
    "invoice_id": "account.move",
    "journal_id": "account.journal",
    "write_off_account_id": "account.account",
    "date": None,
    "credit_line_ids": "account.move.line",
    "note": None,
    "installments": None,
}


class BillingResolution(models.AbstractModel):
    _name = "billing.resolution"
    _description = "Billing Case Resolution Type"

    # Journal types the resolution posts in; empty: it posts nothing.
    _journal_types = ()
    # Move type of the document, for the lock date of its journal.
    _move_type = "entry"

    # ------------------------------------------------------------ values

    @api.model
    def _prepare_resolution(self, case, resolution_type, values):
        """The caller's values as records, the missing ones filled with the defaults
        the resolve wizard proposes."""
        unknown = set(values) - set(RESOLUTION_VALUES)
        if unknown:
            raise UserError(
                self.env._(
                    "Unknown resolution values: %(names)s.",
                    names=", ".join(sorted(unknown)),
                )
            )
        values = {name: self._to_records(name, value) for name, value in values.items()}
        resolution = {"case": case, "resolution_type": resolution_type}
        resolution["invoice"] = (
            values["invoice_id"]
            if "invoice_id" in values
            else self._default_invoice(case)
        )
        resolution["credit_lines"] = values.get(
            "credit_line_ids", self.env["account.move.line"]
        )
        resolution["date"] = fields.Date.to_date(
            values.get("date")
        ) or fields.Date.context_today(self)
        resolution["note"] = values.get("note") or False
        resolution["installments"] = [
            (fields.Date.to_date(date), amount)
            for date, amount in values.get("installments", ())
        ]
        resolution["journal"] = (
            values["journal_id"]
            if "journal_id" in values
            else self._default_journal(resolution)
        )
        resolution["write_off_account"] = (
            values["write_off_account_id"]
            if "write_off_account_id" in values
            else case.company_id.billing_writeoff_account_id
        )
        resolution["amount"] = (
            float(values["amount"] or 0.0)
            if "amount" in values
            else self._default_amount(resolution)
        )
        return resolution

    @api.model
    def _to_records(self, name, value):
        """A value given as ids (or records) as records of its model; others as is."""
        model = RESOLUTION_VALUES[name]
        if not model:
            return value
        if isinstance(value, models.BaseModel):
            records = value
        else:
            ids = (
                value
                if isinstance(value, (list, tuple))
                else ([value] if value else [])
            )
            records = self.env[model].browse(ids)
        if len(records.exists()) != len(records):
            raise UserError(
                self.env._("The record given as %(name)s does not exist.", name=name)
            )
        return records

    @api.model
    def _get_case_invoices(self, case):
        """The posted customer invoices of the case: the documents a resolution settles."""
        return case.move_ids.filtered(
            lambda move: move.move_type == "out_invoice" and move.state == "posted"
        )

    @api.model
    def _default_invoice(self, case):
        invoices = self._get_case_invoices(case)
        open_invoices = invoices.filtered(
            lambda move: not move.currency_id.is_zero(move.amount_residual)
        )
        return (open_invoices or invoices)[:1]

    @api.model
    def _get_available_journals(self, case):
        if not self._journal_types or not case:
            return self.env["account.journal"]
        return self.env["account.journal"].search(
            [
                ("company_id", "in", case.company_id.parent_ids.ids),
                ("type", "in", self._journal_types),
            ]
        )

    @api.model
    def _default_journal(self, resolution):
        journals = self._get_available_journals(resolution["case"])
        invoice_journal = resolution["invoice"].journal_id
        return invoice_journal if invoice_journal in journals else journals[:1]

    @api.model
    def _default_amount(self, resolution):
        return self._get_disputed_amount(resolution) if self._journal_types else 0.0

    @api.model
    def _get_disputed_amount(self, resolution):
        """The largest amount this resolution may settle, in the case currency."""
        return 0.0

    # ------------------------------------------------------------ helpers

    @api.model
    def _get_resolution_name(self, resolution_type):
        # The translated label as is: lowercasing would break nouns in German.
        field = self.env["billing.case"]._fields["resolution_type"]
        return dict(field._description_selection(self.env)).get(resolution_type, "")

    @api.model
    def _format_amount(self, amount, currency):
        return formatLang(self.env, amount, currency_obj=currency)

    @api.model
    def _has_tax(self, resolution):
        return False

    @api.model
    def _get_lock_date_info(self, resolution):
        """Lock dates the chosen date falls in, and the date Odoo will account the entry
        on (the first open date, as posting an entry in a locked period does)."""
        date = resolution["date"]
        has_tax = self._has_tax(resolution)
        move = self.env["account.move"].new(
            {
                "move_type": self._move_type,
                "journal_id": resolution["journal"].id,
                "company_id": resolution["case"].company_id.id,
                "date": date,
            }
        )
        lock_dates = move._get_violated_lock_dates(date, has_tax)
        if not lock_dates:
            return [], date
        accounting_date = move._get_accounting_date(
            date, has_tax, lock_dates=lock_dates
        )
        if move._get_violated_lock_dates(accounting_date, has_tax):
            accounting_date = False
        return lock_dates, accounting_date

    @api.model
    def _get_accounting_date(self, resolution):
        return self._get_lock_date_info(resolution)[1]

    # ------------------------------------------------------------ validation

    @api.model
    def _check(self, resolution):
        """Refuse bad input before anything is written (a UserError in the user's words).
        The base checks a resolution that posts a document."""
        self._check_invoice(resolution)
        self._check_amount(resolution)
        self._check_journal(resolution)
        self._check_date(resolution)

    @api.model
    def _invoice_required(self):
        return False

    @api.model
    def _check_invoice(self, resolution):
        case, invoice = resolution["case"], resolution["invoice"]
        name = self._get_resolution_name(resolution["resolution_type"])
        if self._invoice_required() and not invoice:
            raise UserError(
                self.env._(
                    "Choose the invoice of the case this %(resolution)s applies to.",
                    resolution=name,
                )
            )
        if invoice and invoice not in self._get_case_invoices(case):
            raise UserError(
                self.env._(
                    "Invoice %(invoice)s is not a posted customer invoice of case %(case)s.",
                    invoice=invoice.display_name,
                    case=case.name,
                )
            )
        lines = resolution["credit_lines"]
        if lines and lines.move_id != invoice:
            raise UserError(
                self.env._(
                    "The lines to credit must belong to invoice %(invoice)s.",
                    invoice=invoice.display_name,
                )
            )

    @api.model
    def _check_amount(self, resolution):
        currency = resolution["case"].currency_id
        amount = resolution["amount"]
        name = self._get_resolution_name(resolution["resolution_type"])
        if currency.compare_amounts(amount, 0.0) <= 0:
            raise UserError(
                self.env._(
                    "The amount of the %(resolution)s must be greater than zero.",
                    resolution=name,
                )
            )
        disputed = self._get_disputed_amount(resolution)
        self._check_disputed(resolution, disputed)
        if currency.compare_amounts(amount, disputed) > 0:
            raise UserError(
                self.env._(
                    "The %(resolution)s of %(amount)s is larger than the amount in dispute "
                    "(%(disputed)s).",
                    resolution=name,
                    amount=self._format_amount(amount, currency),
                    disputed=self._format_amount(disputed, currency),
                )
            )

    @api.model
    def _check_disputed(self, resolution, disputed):
        """Hook: refuse when nothing is in dispute, in the type's own words."""

    @api.model
    def _check_journal(self, resolution):
        journal = resolution["journal"]
        company = resolution["case"].company_id
        name = self._get_resolution_name(resolution["resolution_type"])
        if not journal:
            raise UserError(
                self.env._("Choose the journal of the %(resolution)s.", resolution=name)
            )
        if journal.company_id not in company.parent_ids:
            raise UserError(
                self.env._(
                    "Journal %(journal)s belongs to company %(journal_company)s, not to the "
                    "case company %(company)s.",
                    journal=journal.display_name,
                    journal_company=journal.company_id.display_name,
                    company=company.display_name,
                )
            )
        if journal.type not in self._journal_types:
            type_names = dict(journal._fields["type"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "The journal of a %(resolution)s must be of type %(types)s; %(journal)s "
                    "is a %(journal_type)s journal.",
                    resolution=name,
                    types=" / ".join(type_names[code] for code in self._journal_types),
                    journal=journal.display_name,
                    journal_type=type_names[journal.type],
                )
            )

    @api.model
    def _check_date(self, resolution):
        today = fields.Date.context_today(self)
        if resolution["date"] > today:
            raise UserError(self.env._("The accounting date cannot be in the future."))
        lock_dates, accounting_date = self._get_lock_date_info(resolution)
        if lock_dates and (not accounting_date or accounting_date > today):
            raise UserError(
                self.env._(
                    "The accounting date %(date)s is locked (%(lock_dates)s) and no later date "
                    "up to today is open. Ask an accountant to reopen the period.",
                    date=format_date(self.env, resolution["date"]),
                    lock_dates=self.env["res.company"]._format_lock_dates(lock_dates),
                )
            )

    # ------------------------------------------------------------ accounting

    @api.model
    def _apply(self, resolution):
        """Write the resolution (checks done); return the documents created. The base
        posts the type's documents and resolves the case with them."""
        case = resolution["case"]
        documents = self._create_documents(resolution)
        case._mark_resolved(
            resolution["resolution_type"],
            note=resolution["note"] or None,
            moves=documents,
        )
        case.message_post(
            body=self.env._(
                "Resolved by %(resolution)s: %(documents)s",
                resolution=self._get_resolution_name(resolution["resolution_type"]),
                documents=Markup(", ").join(
                    move._get_html_link() for move in documents
                ),
            )
        )
        return documents

    @api.model
    def _create_documents(self, resolution):
        """Create and post the account.move records of the resolution."""
        raise NotImplementedError

    @api.model
    def _scale_invoice_lines(self, move, target):
        """Scale the lines of a draft invoice so its total, taxes included, is target."""
        lines = move.invoice_line_ids.filtered(
            lambda line: line.display_type == "product"
        )
        ratio = target / move.amount_total
        move.write(
            {
                "invoice_line_ids": [
                    Command.update(line.id, {"price_unit": line.price_unit * ratio})
                    for line in lines
                ]
            }
        )
        difference = target - move.amount_total
        if not move.currency_id.is_zero(difference):
            # Rounding: the remainder goes to the largest line.
            line = max(lines, key=lambda line: abs(line.price_total))
            untaxed = (
                difference * line.price_subtotal / line.price_total
                if line.price_total
                else difference
            )
            units = line.quantity * (1 - line.discount / 100.0) or 1.0
            move.write(
                {
                    "invoice_line_ids": [
                        Command.update(
                            line.id, {"price_unit": line.price_unit + untaxed / units}
                        )
                    ]
                }
            )
