"""The resolve form: a thin form over ``billing.case._resolve``.

It proposes the defaults of the chosen resolution type (invoice, amount, journal) and
shows what the engine will check; the accounting lives in the resolution units
(``models/billing_resolution_*.py``).
"""

from odoo import api, fields, models
from odoo.tools import format_date


class BillingCaseResolve(models.TransientModel):
    _name = "billing.case.resolve"
    _description = "Resolve a Billing Case"

    case_id = fields.Many2one(
        "billing.case", string="Case", required=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="case_id.company_id")
    partner_id = fields.Many2one(related="case_id.partner_id")
    currency_id = fields.Many2one(related="case_id.currency_id")
    company_currency_id = fields.Many2one(
        related="case_id.company_id.currency_id", string="Company Currency"
    )
    case_code = fields.Selection(related="case_id.case_code")
    resolution_type = fields.Selection(
        selection="_selection_resolution_type",
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

    @api.model
    def _selection_resolution_type(self):
        """The resolution types of the engine's registry, in the case field's order."""
        registered = self.env["billing.case"]._get_resolution_types()
        selection = (
            self.env["billing.case"]
            ._fields["resolution_type"]
            ._description_selection(self.env)
        )
        return [(code, label) for code, label in selection if code in registered]

    @api.depends("case_id")
    def _compute_resolution_type(self):
        for wizard in self:
            wizard.resolution_type = (
                wizard.case_id._get_default_resolution_type()
                if wizard.case_id
                else False
            )

    @api.depends("case_id")
    def _compute_available_invoice_ids(self):
        for wizard in self:
            wizard.available_invoice_ids = self.env[
                "billing.resolution"
            ]._get_case_invoices(wizard.case_id)

    @api.depends("case_id")
    def _compute_invoice_id(self):
        for wizard in self:
            wizard.invoice_id = self.env["billing.resolution"]._default_invoice(
                wizard.case_id
            )

    @api.depends(
        "resolution_type",
        "invoice_id",
        "credit_line_ids",
        "promise_line_ids.amount",
        "case_id",
    )
    def _compute_amount(self):
        for wizard in self:
            unit = wizard._get_unit()
            wizard.amount = (
                unit._default_amount(wizard._get_resolution())
                if unit is not None
                else 0.0
            )

    @api.depends("resolution_type", "invoice_id", "case_id")
    def _compute_disputed_amount(self):
        for wizard in self:
            unit = wizard._get_unit()
            wizard.disputed_amount = (
                unit._get_disputed_amount(wizard._get_resolution())
                if unit is not None
                else 0.0
            )

    @api.depends("case_id", "resolution_type")
    def _compute_customer_credit(self):
        for wizard in self:
            refund = wizard.resolution_type == "refund" and wizard.case_id
            wizard.customer_credit = (
                self.env["billing.resolution.refund"]._get_customer_credit(
                    wizard.case_id
                )
                if refund
                else 0.0
            )

    @api.depends("resolution_type", "case_id")
    def _compute_available_journal_ids(self):
        for wizard in self:
            unit = wizard._get_unit()
            wizard.available_journal_ids = (
                unit._get_available_journals(wizard.case_id)
                if unit is not None
                else self.env["account.journal"]
            )

    @api.depends("resolution_type", "invoice_id", "case_id")
    def _compute_journal_id(self):
        for wizard in self:
            unit = wizard._get_unit()
            if unit is None:
                wizard.journal_id = False
            elif wizard.journal_id not in unit._get_available_journals(wizard.case_id):
                wizard.journal_id = unit._default_journal(wizard._get_resolution())

    @api.depends("case_id")
    def _compute_write_off_account_id(self):
        for wizard in self:
            wizard.write_off_account_id = (
                wizard.case_id.company_id.billing_writeoff_account_id
            )

    @api.depends("resolution_type", "journal_id", "date", "invoice_id")
    def _compute_lock_date_message(self):
        for wizard in self:
            message = False
            unit = wizard._get_unit()
            if (
                unit is not None
                and unit._journal_types
                and wizard.journal_id
                and wizard.date
            ):
                lock_dates, accounting_date = unit._get_lock_date_info(
                    wizard._get_resolution()
                )
                if lock_dates:
                    message = self.env._(
                        "The date is in a locked period (%(lock_dates)s): the entry will be "
                        "accounted on %(date)s.",
                        lock_dates=self.env["res.company"]._format_lock_dates(
                            lock_dates
                        ),
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
    def _get_unit(self):
        self.ensure_one()
        if not self.case_id or not self.resolution_type:
            return None
        return self.env["billing.case"]._get_resolution_unit(self.resolution_type)

    @api.private
    def _get_resolve_values(self, with_amount=True):
        """The form as the keyword values of ``billing.case._resolve``."""
        self.ensure_one()
        values = {
            "invoice_id": self.invoice_id._origin.id,
            "journal_id": self.journal_id._origin.id,
            "write_off_account_id": self.write_off_account_id._origin.id,
            "date": self.date,
            "credit_line_ids": self.credit_line_ids._origin.ids,
            "note": self.note,
            "installments": [
                (line.date, line.amount) for line in self.promise_line_ids
            ],
        }
        if with_amount:
            values["amount"] = self.amount
        return values

    @api.private
    def _get_resolution(self):
        """The resolution the engine would apply, for the defaults shown (no amount: it
        is what the defaults compute)."""
        return self._get_unit()._prepare_resolution(
            self.case_id._origin, self.resolution_type, self._get_resolve_values(False)
        )

    # ---------------------------------------------------------------- actions

    def action_apply(self):
        """Apply: resolve the case through the engine with the values of the form."""
        self.ensure_one()
        self.case_id._resolve(self.resolution_type, **self._get_resolve_values())
        return {"type": "ir.actions.act_window_close"}


class BillingCaseResolvePromiseLine(models.TransientModel):
    _name = "billing.case.resolve.promise.line"
    _description = "Payment Plan Installment"
    _order = "date, id"

    wizard_id = fields.Many2one(
        "billing.case.resolve", required=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    date = fields.Date(required=True)
    amount = fields.Monetary(currency_field="currency_id")
