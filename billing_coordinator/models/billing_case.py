from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

from .billing_case_type import PRIORITIES

OPEN_STATES = ("new", "in_progress", "waiting_customer")
CLOSED_STATES = ("resolved", "cancelled")

ROOT_CAUSES = [
    ("pricing_error", "Wrong Price or Discount"),
    ("quantity_error", "Wrong Quantity Billed"),
    ("customer_paid_wrong", "Customer Paid a Wrong Amount"),
    ("customer_dispute", "Customer Dispute (goods or service)"),
    ("bank_error", "Bank or Payment Channel Error"),
    ("master_data", "Wrong Customer Master Data"),
    ("duplicate_entry", "Duplicate Entry"),
    ("late_payment", "Customer Paid Late"),
    ("other", "Other"),
]

RESOLUTION_TYPES = [
    ("credit_note", "Credit Note"),
    ("supplementary_invoice", "Supplementary Invoice"),
    ("refund", "Refund"),
    ("write_off", "Write-off"),
    ("payment_plan", "Payment Plan"),
    ("customer_data_fixed", "Customer Data Fixed"),
    ("no_action", "No Action Needed"),
    ("cleared", "Cleared"),
]


class BillingCase(models.Model):
    _name = "billing.case"
    _description = "Billing Discrepancy Case"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    # The coordinator's queue: most urgent first, then the nearest deadline.
    _order = "priority desc, deadline, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference",
        required=True,
        readonly=True,
        copy=False,
        index="trigram",
        default=lambda self: self.env._("New"),
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
        domain="[('parent_id', '=', False)]",
    )
    case_type_id = fields.Many2one(
        "billing.case.type",
        string="Type",
        required=True,
        tracking=True,
        check_company=True,
        ondelete="restrict",
    )
    case_code = fields.Selection(related="case_type_id.code", store=True, index=True)
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
    )
    move_ids = fields.Many2many(
        "account.move",
        "billing_case_account_move_rel",
        "case_id",
        "move_id",
        string="Invoices",
        domain="[('move_type', 'in', ('out_invoice', 'out_refund')),"
        " ('commercial_partner_id', '=', partner_id), ('company_id', '=', company_id)]",
    )
    payment_ids = fields.Many2many(
        "account.payment",
        "billing_case_account_payment_rel",
        "case_id",
        "payment_id",
        string="Payments",
        domain="[('partner_id', 'child_of', partner_id), ('company_id', '=', company_id)]",
    )
    move_count = fields.Integer(compute="_compute_document_counts")
    payment_count = fields.Integer(compute="_compute_document_counts")
    expected_amount = fields.Monetary(
        currency_field="currency_id",
        tracking=True,
        help="What the customer should have been billed or should have paid.",
    )
    actual_amount = fields.Monetary(
        currency_field="currency_id",
        tracking=True,
        help="What was billed or paid in fact.",
    )
    amount_difference = fields.Monetary(
        string="Difference",
        compute="_compute_amount_difference",
        store=True,
        currency_field="currency_id",
        tracking=True,
        help="Actual minus expected: positive when the customer was billed or paid too "
        "much, negative when too little.",
    )
    state = fields.Selection(
        [
            ("new", "New"),
            ("in_progress", "In Progress"),
            ("waiting_customer", "Waiting for Customer"),
            ("resolved", "Resolved"),
            ("cancelled", "Cancelled"),
        ],
        default="new",
        required=True,
        index=True,
        copy=False,
        tracking=True,
        group_expand=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Coordinator",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        index=True,
        tracking=True,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    priority = fields.Selection(
        PRIORITIES,
        compute="_compute_priority",
        store=True,
        readonly=False,
        index=True,
        tracking=True,
    )
    deadline = fields.Date(
        compute="_compute_deadline",
        store=True,
        readonly=False,
        index=True,
        tracking=True,
        help="Set from the SLA of the case type when the type is chosen.",
    )
    is_late = fields.Boolean(
        string="Deadline Passed", compute="_compute_is_late", search="_search_is_late"
    )
    description = fields.Html()
    root_cause = fields.Selection(ROOT_CAUSES, tracking=True)
    resolution_type = fields.Selection(
        RESOLUTION_TYPES, readonly=True, copy=False, tracking=True
    )
    resolution_note = fields.Text(copy=False, tracking=True)
    resolved_date = fields.Date(readonly=True, copy=False)
    resolution_move_ids = fields.Many2many(
        "account.move",
        "billing_case_resolution_move_rel",
        "case_id",
        "move_id",
        string="Resolution Documents",
        readonly=True,
        copy=False,
    )
    resolution_move_count = fields.Integer(compute="_compute_document_counts")

    # ------------------------------------------------------------------ computes

    @api.depends("move_ids", "payment_ids", "resolution_move_ids")
    def _compute_document_counts(self):
        for case in self:
            case.move_count = len(case.move_ids)
            case.payment_count = len(case.payment_ids)
            case.resolution_move_count = len(case.resolution_move_ids)

    @api.depends("expected_amount", "actual_amount")
    def _compute_amount_difference(self):
        for case in self:
            case.amount_difference = case.actual_amount - case.expected_amount

    @api.depends("partner_id")
    def _compute_user_id(self):
        for case in self:
            if not case.user_id:
                case.user_id = case.partner_id.billing_coordinator_id

    @api.depends("case_type_id")
    def _compute_priority(self):
        for case in self:
            case.priority = case.case_type_id.default_priority or case.priority or "0"

    @api.depends("case_type_id")
    def _compute_deadline(self):
        today = fields.Date.context_today(self)
        for case in self:
            if case.case_type_id:
                start = (
                    fields.Date.to_date(case.create_date) if case.create_date else today
                )
                case.deadline = start + timedelta(days=case.case_type_id.sla_days)

    @api.depends("deadline", "state")
    @api.depends_context("tz")
    def _compute_is_late(self):
        today = fields.Date.context_today(self)
        for case in self:
            case.is_late = bool(
                case.deadline and case.deadline < today and case.state in OPEN_STATES
            )

    def _search_is_late(self, operator, value):
        if operator != "in":
            return NotImplemented
        late = Domain("deadline", "<", fields.Date.context_today(self)) & Domain(
            "state", "in", OPEN_STATES
        )
        return late if True in value else ~late

    # ------------------------------------------------------------ constraints

    @api.constrains("expected_amount", "actual_amount")
    def _check_amounts(self):
        # A Python constraint rather than an SQL CHECK: ORM callers get a ValidationError
        # they can catch, not an aborted transaction.
        for case in self:
            if case.expected_amount < 0 or case.actual_amount < 0:
                raise ValidationError(
                    self.env._(
                        "Case %(case)s: the expected and actual amounts cannot be negative; "
                        "the difference shows the direction.",
                        case=case.name,
                    )
                )

    @api.constrains("partner_id", "company_id", "currency_id", "move_ids")
    def _check_moves(self):
        for case in self:
            for move in case.move_ids:
                if move.move_type not in ("out_invoice", "out_refund"):
                    raise ValidationError(
                        self.env._(
                            "%(move)s is not a customer invoice or credit note; a billing case "
                            "can only concern customer documents.",
                            move=move.display_name,
                        )
                    )
                case._check_document_owner(
                    move, move.commercial_partner_id, move.company_id
                )
                if move.currency_id != case.currency_id:
                    raise ValidationError(
                        self.env._(
                            "Invoice %(move)s is in %(move_currency)s but the case amounts are "
                            "in %(currency)s; use one case per currency.",
                            move=move.display_name,
                            move_currency=move.currency_id.name,
                            currency=case.currency_id.name,
                        )
                    )

    @api.constrains("partner_id", "company_id", "payment_ids")
    def _check_payments(self):
        for case in self:
            for payment in case.payment_ids:
                case._check_document_owner(
                    payment,
                    payment.partner_id.commercial_partner_id,
                    payment.company_id,
                )

    def _check_document_owner(self, document, partner, company):
        """A case only links documents of its own customer and company."""
        if partner != self.partner_id:
            raise ValidationError(
                self.env._(
                    "%(document)s belongs to %(owner)s, not to the case customer %(partner)s.",
                    document=document.display_name,
                    owner=partner.display_name or self.env._("no customer"),
                    partner=self.partner_id.display_name,
                )
            )
        if company != self.company_id:
            raise ValidationError(
                self.env._(
                    "%(document)s belongs to company %(owner)s, not to the case company "
                    "%(company)s.",
                    document=document.display_name,
                    owner=company.display_name,
                    company=self.company_id.display_name,
                )
            )

    # ------------------------------------------------------------------- CRUD

    @api.model_create_multi
    def create(self, vals_list):
        unnamed = defaultdict(list)  # company -> vals still called "New"
        self._prefetch_commercial_partners(vals_list)
        for vals in vals_list:
            self._normalize_partner(vals)
            if vals.get("name", self.env._("New")) == self.env._("New"):
                company = (
                    self.env["res.company"].browse(vals.get("company_id"))
                    or self.env.company
                )
                unnamed[company].append(vals)
        for company, company_vals in unnamed.items():
            names = self._next_case_references(company, len(company_vals))
            for vals, name in zip(company_vals, names, strict=False):
                vals["name"] = name
        return super().create(vals_list)

    def write(self, vals):
        self._normalize_partner(vals)
        return super().write(vals)

    @api.model
    @api.private
    def _check_linked_from_documents(self, cases):
        """Invoices and payments are written by users who may not change the cases they
        point to (an invoicing clerk, another team's coordinator): a link changed from
        the document side needs the right to change those cases, and obeys the same
        customer, company and currency checks as a link made on the case."""
        cases = cases.with_env(self.env)
        cases.check_access("write")
        cases._check_moves()
        cases._check_payments()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_resolution_documents(self):
        documented = self.filtered("resolution_move_ids")
        if documented:
            raise UserError(
                self.env._(
                    "Case %(cases)s has resolution documents and cannot be deleted; "
                    "archive it instead.",
                    cases=", ".join(documented.mapped("name")),
                )
            )

    @api.model
    def _prefetch_commercial_partners(self, vals_list):
        """Read the commercial entity of every customer of ``vals_list`` in one query:
        ``_normalize_partner`` browses them one by one (a detection run creates
        hundreds of cases at once)."""
        partner_ids = {
            vals["partner_id"] for vals in vals_list if vals.get("partner_id")
        }
        if len(partner_ids) > 1:
            self.env["res.partner"].browse(partner_ids).fetch(["commercial_partner_id"])

    @api.model
    def _normalize_partner(self, vals):
        """Cases belong to the customer's commercial entity, not to a contact."""
        if vals.get("partner_id"):
            partner = self.env["res.partner"].browse(vals["partner_id"])
            vals["partner_id"] = partner.commercial_partner_id.id

    @api.model
    def _next_case_reference(self, company):
        return self._next_case_references(company, 1)[0]

    @api.model
    def _next_case_references(self, company, count):
        """``count`` new references of ``company``'s sequence, drawn in one query (a
        detection run numbers hundreds of cases at once)."""
        sequence = self._get_case_sequence(company)
        if count == 1 or sequence.implementation != "standard":
            return [sequence.next_by_id() for _i in range(count)]
        today = fields.Date.context_today(self)
        formatter = sequence.with_context(ir_sequence_date=today)
        pg_sequence = f"ir_sequence_{sequence.id:03d}"
        if sequence.use_date_range:
            # sudo: the sequence's date ranges are system data coordinators cannot read.
            date_range = self.env["ir.sequence.date_range"].sudo().search(
                [
                    ("sequence_id", "=", sequence.id),
                    ("date_from", "<=", today),
                    ("date_to", ">=", today),
                ],
                limit=1,
            ) or sequence._create_date_range_seq(today)
            formatter = formatter.with_context(
                ir_sequence_date_range=date_range.date_from
            )
            pg_sequence = f"ir_sequence_{sequence.id:03d}_{date_range.id:03d}"
        rows = self.env.execute_query(
            SQL("SELECT nextval(%s) FROM generate_series(1, %s)", pg_sequence, count)
        )
        # get_next_char() interpolates the prefix (some 40 strftime) per number: once
        # for the batch, then each number formatted as it does.
        prefix, suffix = formatter._get_prefix_suffix()
        return [
            f"{prefix}{number:0{sequence.padding}d}{suffix}"
            for number in sorted(row[0] for row in rows)
        ]

    @api.model
    def _get_case_sequence(self, company):
        """The company's own case sequence, created from the template on first use."""
        # sudo: coordinators cannot create ir.sequence records; numbering is system data.
        Sequence = self.env["ir.sequence"].sudo()
        sequence = Sequence.search(
            [("code", "=", "billing.case"), ("company_id", "=", company.id)], limit=1
        )
        if not sequence:
            template = self.env.ref("billing_coordinator.seq_billing_case")
            # sudo: see above, the company's sequence is copied from the template.
            sequence = template.sudo().copy(
                {"company_id": company.id, "code": "billing.case", "number_next": 1}
            )
        return sequence

    # ---------------------------------------------------------------- actions

    def _check_state(self, allowed_states, message):
        wrong = self.filtered(lambda case: case.state not in allowed_states)
        if wrong:
            raise UserError(message % {"cases": ", ".join(wrong.mapped("name"))})

    def action_start(self):
        self._check_state(
            ("new", "waiting_customer"),
            self.env._(
                "Only new cases or cases waiting for the customer can be started: %(cases)s."
            ),
        )
        self.write({"state": "in_progress"})
        for case in self.filtered(lambda c: not c.user_id):
            case.user_id = self.env.user
        return True

    def action_wait_customer(self):
        self._check_state(
            ("new", "in_progress"),
            self.env._(
                "Only new or in-progress cases can wait for the customer: %(cases)s."
            ),
        )
        self.write({"state": "waiting_customer"})
        return True

    def action_cancel(self):
        self._check_state(
            OPEN_STATES,
            self.env._("Only open cases can be cancelled: %(cases)s."),
        )
        missing_reason = self.filtered(
            lambda case: not (case.resolution_note or "").strip()
        )
        if missing_reason:
            raise UserError(
                self.env._(
                    "Say why you cancel %(cases)s: write the reason in the resolution note.",
                    cases=", ".join(missing_reason.mapped("name")),
                )
            )
        self.write(
            {"state": "cancelled", "resolved_date": fields.Date.context_today(self)}
        )
        return True

    def action_open_cancel_wizard(self):
        self.check_access("write")  # no wizard over cases the user cannot change
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Cancel Case"),
            "res_model": "billing.case.cancel",
            "view_mode": "form",
            "target": "new",
            "context": {"default_case_ids": self.ids},
        }

    def action_reopen(self):
        self._check_state(
            CLOSED_STATES,
            self.env._("Only resolved or cancelled cases can be reopened: %(cases)s."),
        )
        self.write(
            {"state": "in_progress", "resolved_date": False, "resolution_type": False}
        )
        # Posted entries are never undone by reopening: say so where the team reads it.
        for case in self.filtered("resolution_move_ids"):
            case.message_post(
                body=self.env._(
                    "Case reopened. Its resolution documents stay posted: %(documents)s. "
                    "Correct them with a new resolution if needed.",
                    documents=Markup(", ").join(
                        move._get_html_link() for move in case.resolution_move_ids
                    ),
                )
            )
        return True

    def _mark_resolved(self, resolution_type, note=None, moves=None):
        """Close open cases with a resolution; resolution wizards and detection call this."""
        self._check_state(
            OPEN_STATES,
            self.env._("Only open cases can be resolved: %(cases)s."),
        )
        vals = {
            "state": "resolved",
            "resolution_type": resolution_type,
            "resolved_date": fields.Date.context_today(self),
        }
        if note:
            vals["resolution_note"] = note
        if moves:
            vals["resolution_move_ids"] = [
                fields.Command.link(move.id) for move in moves
            ]
        self.write(vals)
        return True

    def _action_open_documents(self, model, records, title):
        action = {
            "type": "ir.actions.act_window",
            "name": title,
            "res_model": model,
            "context": {"create": False},
        }
        if len(records) == 1:
            action.update(view_mode="form", res_id=records.id)
        else:
            action.update(view_mode="list,form", domain=[("id", "in", records.ids)])
        return action

    def action_view_moves(self):
        self.ensure_one()
        return self._action_open_documents(
            "account.move", self.move_ids, self.env._("Invoices")
        )

    def action_view_payments(self):
        self.ensure_one()
        return self._action_open_documents(
            "account.payment", self.payment_ids, self.env._("Payments")
        )

    def action_view_resolution_moves(self):
        self.ensure_one()
        return self._action_open_documents(
            "account.move", self.resolution_move_ids, self.env._("Resolution Documents")
        )

    def _action_open_cases(self):
        """The case window action restricted to these cases (smart buttons)."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "billing_coordinator.billing_case_action"
        )
        action["domain"] = [("id", "in", self.ids)]
        action["context"] = {"create": False}
        if len(self) == 1:
            action.update(view_mode="form", views=[(False, "form")], res_id=self.id)
        return action
