from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import clean_context, format_date, formatLang

from odoo.addons.billing_coordinator.models.billing_case import OPEN_STATES, RESOLUTION_TYPES

# "cleared" is set by detection when a discrepancy disappears, never chosen by hand.
WIZARD_RESOLUTION_TYPES = [item for item in RESOLUTION_TYPES if item[0] != "cleared"]

# Resolutions that post journal entries, and the journal types each one posts in.
JOURNAL_TYPES = {
    "credit_note": ("sale",),
    "supplementary_invoice": ("sale",),
    "refund": ("bank", "cash"),
    "write_off": ("general",),
}
NOTE_ONLY_TYPES = ("customer_data_fixed", "no_action")

# Resolution proposed for each kind of case; short payments are decided on the amount.
CASE_CODE_RESOLUTION = {
    "overcharge": "credit_note",
    "undercharge": "supplementary_invoice",
    "overpayment": "refund",
    "duplicate_payment": "refund",
    "unapplied_payment": "refund",
    "overdue": "payment_plan",
    "customer_data": "customer_data_fixed",
}


class BillingCaseResolve(models.TransientModel):
    _name = "billing.case.resolve"
    _description = "Resolve a Billing Case"

    case_id = fields.Many2one("billing.case", string="Case", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="case_id.company_id")
    partner_id = fields.Many2one(related="case_id.partner_id")
    currency_id = fields.Many2one(related="case_id.currency_id")
    company_currency_id = fields.Many2one(
        related="case_id.company_id.currency_id", string="Company Currency"
    )
    case_code = fields.Selection(related="case_id.case_code")
    resolution_type = fields.Selection(
        WIZARD_RESOLUTION_TYPES,
        compute="_compute_resolution_type",
        store=True,
        readonly=False,
    )
    available_invoice_ids = fields.Many2many(
        "account.move", compute="_compute_available_invoice_ids"
    )
    invoice_id = fields.Many2one(
        "account.move",
        string="Invoice",
        compute="_compute_invoice_id",
        store=True,
        readonly=False,
        domain="[('id', 'in', available_invoice_ids)]",
        help="The case invoice the credit note, write-off or supplement relates to.",
    )
    credit_line_ids = fields.Many2many(
        "account.move.line",
        string="Lines to Credit",
        domain="[('move_id', '=', invoice_id), ('display_type', '=', 'product')]",
        help="Credit these invoice lines in full. Leave empty to credit an amount: the "
        "invoice lines are then credited in proportion, taxes included.",
    )
    date = fields.Date(
        string="Accounting Date",
        required=True,
        default=lambda self: fields.Date.context_today(self),
    )
    amount = fields.Monetary(
        currency_field="currency_id",
        compute="_compute_amount",
        store=True,
        readonly=False,
        help="Amount of the document, taxes included, in the currency of the case.",
    )
    disputed_amount = fields.Monetary(
        string="In Dispute",
        currency_field="currency_id",
        compute="_compute_disputed_amount",
        help="The largest amount this resolution may settle.",
    )
    customer_credit = fields.Monetary(
        currency_field="currency_id",
        compute="_compute_customer_credit",
        help="Open credit of the customer on its receivable account, in the currency of the case.",
    )
    available_journal_ids = fields.Many2many(
        "account.journal", compute="_compute_available_journal_ids"
    )
    journal_id = fields.Many2one(
        "account.journal",
        compute="_compute_journal_id",
        store=True,
        readonly=False,
        domain="[('id', 'in', available_journal_ids)]",
    )
    write_off_account_id = fields.Many2one(
        "account.account",
        string="Write-off Account",
        compute="_compute_write_off_account_id",
        store=True,
        readonly=False,
        domain="[('company_ids', 'in', company_id), "
        "('account_type', 'not in', ('asset_receivable', 'liability_payable'))]",
    )
    writeoff_limit = fields.Monetary(
        related="case_id.company_id.billing_writeoff_limit",
        string="Write-off Limit",
        currency_field="company_currency_id",
    )
    note = fields.Text(help="Kept in the resolution note of the case.")
    promise_line_ids = fields.One2many(
        "billing.case.resolve.promise.line", "wizard_id", string="Installments"
    )
    lock_date_message = fields.Char(compute="_compute_lock_date_message")

    # ------------------------------------------------------------------ computes

    @api.depends("case_id")
    def _compute_resolution_type(self):
        for wizard in self:
            wizard.resolution_type = wizard._get_default_resolution_type()

    @api.depends("case_id")
    def _compute_available_invoice_ids(self):
        for wizard in self:
            wizard.available_invoice_ids = wizard.case_id.move_ids.filtered(
                lambda move: move.move_type == "out_invoice" and move.state == "posted"
            )

    @api.depends("case_id")
    def _compute_invoice_id(self):
        for wizard in self:
            invoices = wizard.available_invoice_ids
            open_invoices = invoices.filtered(
                lambda move: not move.currency_id.is_zero(move.amount_residual)
            )
            wizard.invoice_id = (open_invoices or invoices)[:1]

    @api.depends(
        "resolution_type", "invoice_id", "credit_line_ids", "promise_line_ids.amount", "case_id"
    )
    def _compute_amount(self):
        for wizard in self:
            if wizard.resolution_type == "payment_plan":
                wizard.amount = sum(wizard.promise_line_ids.mapped("amount"))
            elif wizard.resolution_type == "credit_note" and wizard.credit_line_ids:
                wizard.amount = sum(wizard.credit_line_ids.mapped("price_total"))
            elif wizard.resolution_type in JOURNAL_TYPES:
                wizard.amount = wizard._get_disputed_amount()
            else:
                wizard.amount = 0.0

    @api.depends("resolution_type", "invoice_id", "case_id")
    def _compute_disputed_amount(self):
        for wizard in self:
            wizard.disputed_amount = wizard._get_disputed_amount()

    @api.depends("case_id", "resolution_type")
    def _compute_customer_credit(self):
        for wizard in self:
            refund = wizard.resolution_type == "refund"
            wizard.customer_credit = wizard._get_customer_credit() if refund else 0.0

    @api.depends("resolution_type", "case_id")
    def _compute_available_journal_ids(self):
        for wizard in self:
            wizard.available_journal_ids = wizard._get_available_journals()

    @api.depends("resolution_type", "invoice_id", "case_id")
    def _compute_journal_id(self):
        for wizard in self:
            journals = wizard._get_available_journals()
            if wizard.journal_id in journals:
                wizard.journal_id = wizard.journal_id
                continue
            invoice_journal = wizard.invoice_id.journal_id
            wizard.journal_id = invoice_journal if invoice_journal in journals else journals[:1]

    @api.depends("case_id")
    def _compute_write_off_account_id(self):
        for wizard in self:
            wizard.write_off_account_id = wizard.case_id.company_id.billing_writeoff_account_id

    @api.depends("resolution_type", "journal_id", "date", "invoice_id")
    def _compute_lock_date_message(self):
        for wizard in self:
            message = False
            if wizard.resolution_type in JOURNAL_TYPES and wizard.journal_id and wizard.date:
                lock_dates, accounting_date = wizard._get_lock_date_info()
                if lock_dates:
                    message = self.env._(
                        "The date is in a locked period (%(lock_dates)s): the entry will be "
                        "accounted on %(date)s.",
                        lock_dates=self.env["res.company"]._format_lock_dates(lock_dates),
                        date=format_date(self.env, accounting_date),
                    )
            wizard.lock_date_message = message

    # ------------------------------------------------------------------- CRUD

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        # Its stored computes and related fields read the case as superuser: a wizard on
        # a case the user cannot change would show that case's customer and amounts.
        wizards.case_id.check_access("write")
        return wizards

    def onchange(self, values, field_names, fields_spec):
        # The form's first onchange computes the same superuser values as create does.
        case_id = values.get("case_id") or self.env.context.get("default_case_id")
        if isinstance(case_id, dict):
            case_id = case_id.get("id")
        if isinstance(case_id, int):
            self.env["billing.case"].browse(case_id).check_access("write")
        return super().onchange(values, field_names, fields_spec)

    # ---------------------------------------------------------------- helpers

    @api.private
    def _get_default_resolution_type(self):
        self.ensure_one()
        case = self.case_id
        if case.case_code == "short_payment":
            company = case.company_id
            amount = abs(case.amount_difference) or sum(
                case._get_plan_invoices().mapped("amount_residual")
            )
            amount = case.currency_id._convert(
                amount, company.currency_id, company, fields.Date.context_today(self)
            )
            within_limit = (
                company.currency_id.compare_amounts(amount, company.billing_writeoff_limit) <= 0
            )
            return "write_off" if within_limit else "credit_note"
        return CASE_CODE_RESOLUTION.get(case.case_code, False)

    @api.private
    def _get_disputed_amount(self):
        """The largest amount the chosen resolution may settle, in the case currency."""
        self.ensure_one()
        case = self.case_id
        invoice = self.invoice_id
        difference = abs(case.amount_difference)
        match self.resolution_type:
            case "credit_note":
                disputed = difference or invoice.amount_residual
                return min(disputed, invoice.amount_total)
            case "write_off":
                residual = invoice.amount_residual
                return min(residual, difference) if difference else residual
            case "supplementary_invoice":
                return -case.amount_difference if case.amount_difference < 0 else 0.0
            case "refund":
                credit = self._get_customer_credit()
                return min(credit, difference) if difference else credit
            case "payment_plan":
                return sum(case._get_plan_invoices().mapped("amount_residual"))
        return 0.0

    @api.private
    def _get_customer_credit_lines(self):
        """Open credit lines of the customer in the case currency, on one receivable
        account: the lines of the case documents first, then the oldest."""
        self.ensure_one()
        case = self.case_id
        if not case:
            return self.env["account.move.line"]
        lines = self.env["account.move.line"].search(
            [
                ("company_id", "=", case.company_id.id),
                ("partner_id", "child_of", case.partner_id.id),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("currency_id", "=", case.currency_id.id),
                ("amount_residual_currency", "<", 0.0),
            ],
            order="date, id",
        )
        case_moves = case.move_ids | case.payment_ids.move_id
        lines = lines.sorted(lambda line: line.move_id not in case_moves)
        return lines.filtered(lambda line: line.account_id == lines[:1].account_id)

    @api.private
    def _get_customer_credit(self):
        return -sum(self._get_customer_credit_lines().mapped("amount_residual_currency"))

    @api.private
    def _get_available_journals(self):
        self.ensure_one()
        journal_types = JOURNAL_TYPES.get(self.resolution_type)
        if not journal_types or not self.case_id:
            return self.env["account.journal"]
        return self.env["account.journal"].search(
            [
                ("company_id", "in", self.case_id.company_id.parent_ids.ids),
                ("type", "in", journal_types),
            ]
        )

    @api.private
    def _get_move_type(self):
        return {
            "credit_note": "out_refund",
            "supplementary_invoice": "out_invoice",
        }.get(self.resolution_type, "entry")

    @api.private
    def _get_lock_date_info(self):
        """Lock dates the chosen date falls in, and the date Odoo will account the entry
        on (the first open date, as posting an entry in a locked period does)."""
        self.ensure_one()
        has_tax = self.resolution_type in ("credit_note", "supplementary_invoice") and bool(
            self.invoice_id.invoice_line_ids.tax_ids
        )
        move = self.env["account.move"].new(
            {
                "move_type": self._get_move_type(),
                "journal_id": self.journal_id.id,
                "company_id": self.case_id.company_id.id,
                "date": self.date,
            }
        )
        lock_dates = move._get_violated_lock_dates(self.date, has_tax)
        if not lock_dates:
            return [], self.date
        accounting_date = move._get_accounting_date(self.date, has_tax, lock_dates=lock_dates)
        if move._get_violated_lock_dates(accounting_date, has_tax):
            accounting_date = False
        return lock_dates, accounting_date

    @api.private
    def _get_resolution_label(self):
        self.ensure_one()
        if self.invoice_id:
            return self.env._(
                "%(case)s: %(invoice)s", case=self.case_id.name, invoice=self.invoice_id.name
            )
        return self.case_id.name

    @api.private
    def _format_amount(self, amount, currency=None):
        return formatLang(self.env, amount, currency_obj=currency or self.currency_id)

    # ------------------------------------------------------------- validation

    @api.private
    def _check_resolution(self):
        """Refuse bad input before anything is written."""
        self.ensure_one()
        case = self.case_id
        if case.state not in OPEN_STATES:
            raise UserError(
                self.env._("Case %(case)s is not open and cannot be resolved.", case=case.name)
            )
        if not self.resolution_type:
            raise UserError(self.env._("Choose how the case is resolved."))
        if self.resolution_type in NOTE_ONLY_TYPES:
            if not (self.note or "").strip():
                raise UserError(
                    self.env._(
                        "Explain the resolution in the note: what was fixed, or why nothing "
                        "has to be done."
                    )
                )
            return
        if self.resolution_type == "payment_plan":
            self._check_payment_plan()
            return
        self._check_invoice()
        self._check_amount()
        self._check_journal()
        self._check_date()
        if self.resolution_type == "write_off":
            self._check_write_off()

    @api.private
    def _check_invoice(self):
        invoice = self.invoice_id
        if self.resolution_type in ("credit_note", "write_off") and not invoice:
            raise UserError(
                self.env._(
                    "Choose the invoice of the case this %(resolution)s applies to.",
                    resolution=self._get_resolution_name(),
                )
            )
        if invoice and invoice not in self.available_invoice_ids:
            raise UserError(
                self.env._(
                    "Invoice %(invoice)s is not a posted customer invoice of case %(case)s.",
                    invoice=invoice.display_name,
                    case=self.case_id.name,
                )
            )
        if self.credit_line_ids and self.credit_line_ids.move_id != invoice:
            raise UserError(
                self.env._(
                    "The lines to credit must belong to invoice %(invoice)s.",
                    invoice=invoice.display_name,
                )
            )

    @api.private
    def _check_amount(self):
        currency = self.currency_id
        amount = self.amount
        if currency.compare_amounts(amount, 0.0) <= 0:
            raise UserError(
                self.env._(
                    "The amount of the %(resolution)s must be greater than zero.",
                    resolution=self._get_resolution_name(),
                )
            )
        if self.resolution_type == "refund":
            credit = self._get_customer_credit()
            if currency.compare_amounts(amount, credit) > 0:
                raise UserError(
                    self.env._(
                        "The refund of %(amount)s is larger than the open credit of "
                        "%(partner)s (%(credit)s).",
                        amount=self._format_amount(amount),
                        partner=self.case_id.partner_id.display_name,
                        credit=self._format_amount(credit),
                    )
                )
        if self.resolution_type == "write_off" and currency.is_zero(
            self.invoice_id.amount_residual
        ):
            raise UserError(
                self.env._(
                    "Invoice %(invoice)s is fully paid: there is nothing to write off.",
                    invoice=self.invoice_id.display_name,
                )
            )
        disputed = self._get_disputed_amount()
        if currency.is_zero(disputed) and self.resolution_type in (
            "credit_note",
            "supplementary_invoice",
        ):
            raise UserError(self._get_nothing_in_dispute_message())
        if currency.compare_amounts(amount, disputed) > 0:
            raise UserError(
                self.env._(
                    "The %(resolution)s of %(amount)s is larger than the amount in dispute "
                    "(%(disputed)s).",
                    resolution=self._get_resolution_name(),
                    amount=self._format_amount(amount),
                    disputed=self._format_amount(disputed),
                )
            )

    @api.private
    def _get_nothing_in_dispute_message(self):
        if self.resolution_type == "supplementary_invoice":
            return self.env._(
                "Case %(case)s shows no undercharge: a supplementary invoice needs an expected "
                "amount above the actual amount.",
                case=self.case_id.name,
            )
        return self.env._(
            "Nothing is in dispute on %(invoice)s: it is paid and case %(case)s has no "
            "difference between its expected and actual amounts.",
            invoice=self.invoice_id.display_name,
            case=self.case_id.name,
        )

    @api.private
    def _check_journal(self):
        journal = self.journal_id
        company = self.case_id.company_id
        if not journal:
            raise UserError(
                self.env._(
                    "Choose the journal of the %(resolution)s.",
                    resolution=self._get_resolution_name(),
                )
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
        journal_types = JOURNAL_TYPES[self.resolution_type]
        if journal.type not in journal_types:
            type_names = dict(journal._fields["type"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "The journal of a %(resolution)s must be of type %(types)s; %(journal)s "
                    "is a %(journal_type)s journal.",
                    resolution=self._get_resolution_name(),
                    types=" / ".join(type_names[code] for code in journal_types),
                    journal=journal.display_name,
                    journal_type=type_names[journal.type],
                )
            )
        if self.resolution_type == "refund":
            if journal.currency_id and journal.currency_id != self.currency_id:
                raise UserError(
                    self.env._(
                        "Journal %(journal)s pays in %(journal_currency)s; the refund is in "
                        "%(currency)s.",
                        journal=journal.display_name,
                        journal_currency=journal.currency_id.name,
                        currency=self.currency_id.name,
                    )
                )
            if not journal.outbound_payment_method_line_ids:
                raise UserError(
                    self.env._(
                        "Journal %(journal)s has no outgoing payment method.",
                        journal=journal.display_name,
                    )
                )

    @api.private
    def _check_date(self):
        if self.date > fields.Date.context_today(self):
            raise UserError(self.env._("The accounting date cannot be in the future."))
        lock_dates, accounting_date = self._get_lock_date_info()
        if lock_dates and (
            not accounting_date or accounting_date > fields.Date.context_today(self)
        ):
            raise UserError(
                self.env._(
                    "The accounting date %(date)s is locked (%(lock_dates)s) and no later date "
                    "up to today is open. Ask an accountant to reopen the period.",
                    date=format_date(self.env, self.date),
                    lock_dates=self.env["res.company"]._format_lock_dates(lock_dates),
                )
            )

    @api.private
    def _check_write_off(self):
        company = self.case_id.company_id
        account = self.write_off_account_id
        if not account:
            raise UserError(
                self.env._(
                    "Set the write-off account of %(company)s in Settings > Billing, or "
                    "choose one here.",
                    company=company.display_name,
                )
            )
        if not account.company_ids & company.parent_ids:
            raise UserError(
                self.env._(
                    "Account %(account)s does not belong to company %(company)s.",
                    account=account.display_name,
                    company=company.display_name,
                )
            )
        if account.account_type in ("asset_receivable", "liability_payable"):
            raise UserError(
                self.env._(
                    "Account %(account)s is a receivable or payable account and cannot absorb "
                    "a write-off.",
                    account=account.display_name,
                )
            )
        if self.env.user.has_group("billing_coordinator.group_billing_manager"):
            return
        amount = self.currency_id._convert(self.amount, company.currency_id, company, self.date)
        limit = company.billing_writeoff_limit
        if company.currency_id.compare_amounts(amount, limit) > 0:
            raise UserError(
                self.env._(
                    "Writing off %(amount)s exceeds the write-off limit of %(limit)s: only a "
                    "billing manager can approve it.",
                    amount=self._format_amount(amount, company.currency_id),
                    limit=self._format_amount(limit, company.currency_id),
                )
            )

    @api.private
    def _check_payment_plan(self):
        lines = self.promise_line_ids
        currency = self.currency_id
        today = fields.Date.context_today(self)
        if not lines:
            raise UserError(self.env._("Add the installments the customer promises to pay."))
        for line in lines:
            if not line.date:
                raise UserError(self.env._("Every installment needs a date."))
            if line.date < today:
                raise UserError(
                    self.env._(
                        "The installment of %(date)s is in the past.",
                        date=format_date(self.env, line.date),
                    )
                )
            if currency.compare_amounts(line.amount, 0.0) <= 0:
                raise UserError(self.env._("Every installment must be greater than zero."))
        # One installment per day: a repeated date is a typing mistake far more often than
        # a plan, and the customer's confirmation lists one amount per date.
        dates = lines.mapped("date")
        repeated = next((date for date in dates if dates.count(date) > 1), None)
        if repeated:
            raise UserError(
                self.env._(
                    "Two installments fall on %(date)s; merge them into one.",
                    date=format_date(self.env, repeated),
                )
            )
        total = sum(lines.mapped("amount"))
        due = self._get_disputed_amount()
        if currency.compare_amounts(total, due) > 0:
            raise UserError(
                self.env._(
                    "The installments add up to %(total)s, more than the amount due on the "
                    "case invoices (%(due)s).",
                    total=self._format_amount(total),
                    due=self._format_amount(due),
                )
            )

    @api.private
    def _get_resolution_name(self):
        # The translated label as is: lowercasing would break nouns in German.
        return dict(self._fields["resolution_type"]._description_selection(self.env)).get(
            self.resolution_type, ""
        )

    # ---------------------------------------------------------------- actions

    def action_apply(self):
        self.ensure_one()
        # Keep default_* keys of the wizard's context away from the documents created.
        self = self.with_context(clean_context(self.env.context))  # noqa: PLW0642
        self.case_id.check_access("write")
        self.case_id._lock_for_resolution()
        self._check_resolution()
        resolution_type = self.resolution_type
        case = self.case_id
        if resolution_type in NOTE_ONLY_TYPES:
            case._mark_resolved(resolution_type, note=self.note)
        elif resolution_type == "payment_plan":
            self._apply_payment_plan()
        else:
            documents = getattr(self, f"_apply_{resolution_type}")()
            case._mark_resolved(resolution_type, note=self.note or None, moves=documents)
            case.message_post(
                body=self.env._(
                    "Resolved by %(resolution)s: %(documents)s",
                    resolution=self._get_resolution_name(),
                    documents=Markup(", ").join(move._get_html_link() for move in documents),
                )
            )
        return {"type": "ir.actions.act_window_close"}

    @api.private
    def _get_accounting_date(self):
        return self._get_lock_date_info()[1]

    @api.private
    def _apply_credit_note(self):
        """Odoo's standard reversal, cut to the amount or lines, posted and reconciled."""
        invoice = self.invoice_id
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "date": self.date,
                    "reason": self.note or self.case_id.name,
                    "journal_id": self.journal_id.id,
                }
            )
        )
        reversal.refund_moves()
        credit_note = reversal.new_move_ids
        if self.credit_line_ids:
            self._keep_credited_lines(credit_note)
        elif self.currency_id.compare_amounts(self.amount, credit_note.amount_total):
            self._scale_invoice_lines(credit_note, self.amount)
        credit_note.action_post()
        self._reconcile_receivables(credit_note, invoice)
        return credit_note

    @api.private
    def _keep_credited_lines(self, credit_note):
        """Drop from the draft reversal the lines that were not chosen."""

        def product_lines(move):
            return move.invoice_line_ids.filtered(
                lambda line: line.display_type == "product"
            ).sorted(lambda line: (line.sequence, line.id))

        invoice_lines = product_lines(self.invoice_id)
        reversed_lines = product_lines(credit_note)
        if len(invoice_lines) != len(reversed_lines):
            raise UserError(
                self.env._(
                    "The credit note lines do not match the invoice lines; credit an amount "
                    "instead."
                )
            )
        credit_note.write(
            {
                "invoice_line_ids": [
                    Command.unlink(reversed_line.id)
                    for invoice_line, reversed_line in zip(
                        invoice_lines, reversed_lines, strict=True
                    )
                    if invoice_line not in self.credit_line_ids
                ]
            }
        )

    @api.private
    def _scale_invoice_lines(self, move, target):
        """Scale the lines of a draft invoice so its total, taxes included, is target."""
        lines = move.invoice_line_ids.filtered(lambda line: line.display_type == "product")
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
                        Command.update(line.id, {"price_unit": line.price_unit + untaxed / units})
                    ]
                }
            )

    @api.private
    def _reconcile_receivables(self, new_move, invoice):
        """Match the receivable of a new entry with the invoice's if both are still open.

        Posting a reversal already does it; a credit note on a paid invoice stays open as a
        customer credit."""
        lines = (new_move.line_ids + invoice.line_ids).filtered(
            lambda line: line.account_type == "asset_receivable" and not line.reconciled
        )
        for account_lines in lines.grouped("account_id").values():
            debit = account_lines.filtered(lambda line: line.amount_residual > 0)
            credit = account_lines.filtered(lambda line: line.amount_residual < 0)
            if debit and credit:
                account_lines.reconcile()

    @api.private
    def _apply_supplementary_invoice(self):
        """A new invoice for the undercharge, in proportion to the case invoice's lines."""
        invoice = self.invoice_id
        case = self.case_id
        label = self.env._("Supplement to %(invoice)s", invoice=invoice.name or case.name)
        if invoice:
            line_commands = [
                Command.create(
                    {
                        "name": self.env._(
                            "%(label)s: %(line)s",
                            label=label,
                            line=line.name or line.product_id.display_name or "",
                        ),
                        "product_id": line.product_id.id,
                        "product_uom_id": line.product_uom_id.id,
                        "account_id": line.account_id.id,
                        "tax_ids": [Command.set(line.tax_ids.ids)],
                        "quantity": line.quantity,
                        "price_unit": line.price_unit,
                        "discount": line.discount,
                        "analytic_distribution": line.analytic_distribution,
                    }
                )
                for line in invoice.invoice_line_ids.filtered(
                    lambda line: line.display_type == "product"
                )
            ]
        else:
            line_commands = [
                Command.create(
                    {"name": label, "quantity": 1.0, "price_unit": self.amount, "tax_ids": False}
                )
            ]
        supplement = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (invoice.partner_id or case.partner_id).id,
                "journal_id": self.journal_id.id,
                "currency_id": case.currency_id.id,
                "invoice_date": self.date,
                "invoice_origin": invoice.name or case.name,
                "ref": label,
                "fiscal_position_id": invoice.fiscal_position_id.id,
                "invoice_payment_term_id": invoice.invoice_payment_term_id.id,
                "invoice_line_ids": line_commands,
            }
        )
        if self.currency_id.compare_amounts(supplement.amount_total, self.amount):
            self._scale_invoice_lines(supplement, self.amount)
        supplement.action_post()
        return supplement

    @api.private
    def _apply_refund(self):
        """Pay the customer's credit back and match the payment with that credit."""
        case = self.case_id
        credit_lines = self._get_refund_credit_lines()
        account = credit_lines.account_id
        payment = self.env["account.payment"].create(
            {
                "payment_type": "outbound",
                "partner_type": "customer",
                "partner_id": case.partner_id.id,
                "amount": self.amount,
                "currency_id": case.currency_id.id,
                "journal_id": self.journal_id.id,
                "date": self._get_accounting_date(),
                "memo": self.env._("Refund: %(case)s", case=case.name),
                "destination_account_id": account.id,
            }
        )
        payment.action_post()
        if not payment.move_id:
            raise UserError(
                self.env._(
                    "Journal %(journal)s records payments without journal entries; choose a "
                    "journal with an outstanding payments account.",
                    journal=self.journal_id.display_name,
                )
            )
        payment_lines = payment.move_id.line_ids.filtered(
            lambda line: line.account_id == account and not line.reconciled
        )
        (payment_lines + credit_lines).reconcile()
        return payment.move_id

    @api.private
    def _get_refund_credit_lines(self):
        """The credit lines the refund pays back, case documents first, then oldest."""
        lines = self.env["account.move.line"]
        remaining = self.amount
        for line in self._get_customer_credit_lines():
            if self.currency_id.compare_amounts(remaining, 0.0) <= 0:
                break
            lines |= line
            remaining += line.amount_residual_currency
        return lines

    @api.private
    def _apply_write_off(self):
        """A miscellaneous entry moving the amount from receivable to the write-off account,
        matched with the invoice."""
        invoice = self.invoice_id
        company = self.case_id.company_id
        currency = invoice.currency_id
        date = self._get_accounting_date()
        receivable_lines = invoice.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable" and not line.reconciled
        )
        account = receivable_lines[:1].account_id
        receivable_lines = receivable_lines.filtered(lambda line: line.account_id == account)
        if currency.compare_amounts(self.amount, invoice.amount_residual) == 0:
            # Whole residual: take its company-currency value, no exchange difference.
            balance = sum(receivable_lines.mapped("amount_residual"))
        else:
            balance = currency._convert(self.amount, company.currency_id, company, date)
        label = self.env._(
            "Write-off of %(invoice)s (%(case)s)", invoice=invoice.name, case=self.case_id.name
        )
        common = {
            "name": label,
            "partner_id": invoice.commercial_partner_id.id,
            "currency_id": currency.id,
        }
        write_off = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": self.journal_id.id,
                "date": date,
                "ref": label,
                "partner_id": invoice.commercial_partner_id.id,
                "currency_id": currency.id,
                "line_ids": [
                    Command.create(
                        {
                            **common,
                            "account_id": account.id,
                            "amount_currency": -self.amount,
                            "balance": -balance,
                        }
                    ),
                    Command.create(
                        {
                            **common,
                            "account_id": self.write_off_account_id.id,
                            "amount_currency": self.amount,
                            "balance": balance,
                        }
                    ),
                ],
            }
        )
        write_off.action_post()
        (
            write_off.line_ids.filtered(lambda line: line.account_id == account) + receivable_lines
        ).reconcile()
        return write_off

    @api.private
    def _apply_payment_plan(self):
        """Record the promises; the case waits for the customer, the daily check follows."""
        case = self.case_id
        currency = self.currency_id
        due = sum(case._get_plan_invoices().mapped("amount_residual"))
        superseded = case.promise_ids.filtered(lambda promise: promise.state == "pending")
        superseded.unlink()
        promise_vals = []
        promised = 0.0
        for line in self.promise_line_ids.sorted(lambda line: (line.date, line.id)):
            promised += line.amount
            promise_vals.append(
                {
                    "case_id": case.id,
                    "date": line.date,
                    "amount": line.amount,
                    "target_residual": currency.round(due - promised),
                }
            )
        promises = self.env["billing.case.promise"].create(promise_vals)
        vals = {"resolution_type": "payment_plan"}
        if self.note:
            vals["resolution_note"] = self.note
        case.write(vals)
        if case.state != "waiting_customer":
            case.action_wait_customer()
        case.message_post(
            body=self.env._(
                "Payment plan agreed with the customer: %(promises)s.",
                promises=case._format_promises(promises),
            )
        )
        return promises


class BillingCaseResolvePromiseLine(models.TransientModel):
    _name = "billing.case.resolve.promise.line"
    _description = "Payment Plan Installment"
    _order = "date, id"

    wizard_id = fields.Many2one("billing.case.resolve", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    date = fields.Date(required=True)
    amount = fields.Monetary(currency_field="currency_id")
