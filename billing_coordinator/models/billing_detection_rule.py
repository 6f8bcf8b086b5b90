"""Detection rules as configuration: one record per rule code and company.

The code registry stays ``billing.case._get_detection_rules()``; these records say,
per company, whether a rule runs, its thresholds, the case type it opens and what its
last run did. They are created on install, for new companies and, for a rule another
module registers later, on the first detection run (:meth:`_ensure_rules`).
"""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Thresholds each rule reads (the list view shows only those of the row's rule).
RULE_THRESHOLDS = {
    "overpayment": ("tolerance_amount", "tolerance_percent"),
    "short_payment": ("tolerance_amount", "tolerance_percent", "short_payment_share"),
    "duplicate_payment": ("duplicate_payment_days",),
    "unapplied_payment": ("unapplied_payment_days",),
    "overcharge": (
        "tolerance_amount",
        "tolerance_percent",
        "price_deviation_percent",
        "price_check_days",
    ),
    "undercharge": (
        "tolerance_amount",
        "tolerance_percent",
        "price_deviation_percent",
        "price_check_days",
    ),
    "customer_data": ("require_payment_terms",),
    "overdue": ("tolerance_amount", "tolerance_percent", "overdue_days"),
}


# Thresholds that are amounts or day counts (>= 0) and shares of a document (0 to 100 %).
NON_NEGATIVE_THRESHOLDS = (
    "tolerance_amount",
    "duplicate_payment_days",
    "unapplied_payment_days",
    "overdue_days",
    "price_check_days",
)
PERCENT_THRESHOLDS = (
    "tolerance_percent",
    "short_payment_share",
    "price_deviation_percent",
)


class BillingDetectionRule(models.Model):
    _name = "billing.detection.rule"
    _description = "Billing Detection Rule"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    code = fields.Selection(selection="_selection_code", required=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    active = fields.Boolean(
        default=True,
        help="Switched off, the rule finds nothing: it creates and clears no case.",
    )
    sequence = fields.Integer(default=10, help="Rules run in this order.")
    case_type_id = fields.Many2one(
        "billing.case.type",
        string="Case Type",
        check_company=True,
        domain="[('company_id', 'in', [company_id, False])]",
        help="Type of the cases the rule opens; empty: the built-in type of its code.",
    )
    threshold_field_names = fields.Char(compute="_compute_threshold_field_names")
    # Thresholds (defaults as the former company settings)
    tolerance_amount = fields.Monetary(
        currency_field="currency_id",
        default=1.0,
        help="Differences up to this amount (company currency) are not discrepancies.",
    )
    tolerance_percent = fields.Float(
        string="Tolerance (%)",
        default=0.5,
        help="Differences up to this share of the document amount are not discrepancies.",
    )
    short_payment_share = fields.Float(
        string="Short Payment Share (%)",
        default=10.0,
        help="A partial payment whose open remainder is below this share of the invoice "
        "total is a probable deduction (short payment).",
    )
    duplicate_payment_days = fields.Integer(
        string="Duplicate Window (days)",
        default=7,
        help="Two payments of the same amount within this many days are probable duplicates.",
    )
    unapplied_payment_days = fields.Integer(
        string="Unapplied After (days)",
        default=5,
        help="A received payment still unmatched after this many days becomes a case.",
    )
    overdue_days = fields.Integer(
        string="Overdue After (days)",
        default=15,
        help="An invoice past its due date by more than this many days becomes a case.",
    )
    price_deviation_percent = fields.Float(
        string="Price Deviation (%)",
        default=5.0,
        help="An invoiced unit price deviating more than this from the reference price is "
        "an over- or undercharge.",
    )
    price_check_days = fields.Integer(
        string="Price Check Window (days)",
        default=90,
        help="Only invoices of the last this many days are compared with the reference "
        "price, so that a later price change does not flag old invoices.",
    )
    require_payment_terms = fields.Boolean(
        help="Report customers without payment terms as wrong customer data.",
    )
    # The last run
    last_run_date = fields.Datetime(readonly=True, copy=False)
    last_found = fields.Integer(
        readonly=True,
        copy=False,
        help="Sources the rule found a discrepancy on in its last run.",
    )
    last_created = fields.Integer(readonly=True, copy=False)
    last_updated = fields.Integer(readonly=True, copy=False)
    last_cleared = fields.Integer(readonly=True, copy=False)
    last_reopened = fields.Integer(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)

    _code_company_unique = models.Constraint(
        "UNIQUE(code, company_id)", "A detection rule exists once per company."
    )

    @api.constrains(*NON_NEGATIVE_THRESHOLDS, *PERCENT_THRESHOLDS)
    def _check_thresholds(self):
        # A negative tolerance or window would flag every document, or none, without a word.
        for rule in self:
            for name in NON_NEGATIVE_THRESHOLDS:
                if rule[name] < 0:
                    raise ValidationError(
                        self.env._(
                            "%(rule)s: %(setting)s cannot be negative.",
                            rule=rule.name,
                            setting=self._fields[name]._description_string(self.env),
                        )
                    )
            for name in PERCENT_THRESHOLDS:
                if not 0 <= rule[name] <= 100:
                    raise ValidationError(
                        self.env._(
                            "%(rule)s: %(setting)s is a share of the document amount: it must "
                            "be between 0 and 100.",
                            rule=rule.name,
                            setting=self._fields[name]._description_string(self.env),
                        )
                    )

    @api.model
    def _selection_code(self):
        # The selection of billing.case.detection_rule, so a rule another module adds
        # there (selection_add) is a valid code here without more work.
        return (
            self.env["billing.case"]
            ._fields["detection_rule"]
            ._description_selection(self.env)
        )

    @api.depends("code")
    def _compute_name(self):
        labels = dict(self._selection_code())
        for rule in self:
            rule.name = labels.get(rule.code, rule.code)

    @api.depends("code")
    def _compute_threshold_field_names(self):
        for rule in self:
            rule.threshold_field_names = ",".join(rule._get_threshold_fields())

    @api.private
    def _get_threshold_fields(self):
        """Names of the threshold fields the rule reads; a rule of another module that
        reads some adds its code to this map by overriding the method."""
        self.ensure_one()
        return RULE_THRESHOLDS.get(self.code, ())

    # ------------------------------------------------------------------ records

    @api.model
    def _ensure_rules(self, companies=None):
        """Create the missing rule records of ``companies`` (default: all), one per
        registered rule code, in the registry's order; return every rule record."""
        if companies is None:
            companies = self.env["res.company"].search([])  # pylint: disable=no-search-all
        codes = list(self.env["billing.case"]._get_detection_rules())
        # sudo: rule records are bookkeeping of the detection; the run creates a
        # missing one even when started by a manager of one company.
        Rule = self.sudo().with_context(active_test=False)
        existing = {
            (rule.company_id.id, rule.code)
            for rule in Rule.search([("company_id", "in", companies.ids)])
        }
        Rule.create(
            [
                {"company_id": company.id, "code": code, "sequence": (index + 1) * 10}
                for company in companies
                for index, code in enumerate(codes)
                if (company.id, code) not in existing
            ]
        )
        return self.with_context(active_test=False).search(
            [("company_id", "in", companies.ids)]
        )

    @api.model
    def _get_rule(self, company, code):
        """The rule record of ``code`` in ``company`` (created if missing): its thresholds."""
        rule = self.with_context(active_test=False).search(
            [("company_id", "=", company.id), ("code", "=", code)], limit=1
        )
        return rule or self._ensure_rules(company).filtered(lambda r: r.code == code)
