import {Component, useState} from "@odoo/owl";
import {formatCurrency} from "@web/core/currency";
import {deserializeDate, formatDate} from "@web/core/l10n/dates";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";
import {useRecordObserver} from "@web/model/relational_model/utils";
import {standardWidgetProps} from "@web/views/widgets/standard_widget_props";

const OPEN_CASE_STATES = ["new", "in_progress", "waiting_customer"];

/**
 * The call-handling panel: what the customer owes, what it paid, its unapplied credit,
 * promises, other open cases and whom to call. On a billing case it covers the case's
 * customer and company; on a partner, the partner and the active companies. One RPC to
 * res.partner.get_billing_context_panel() per customer shown.
 */
export class BillingCustomerContext extends Component {
  static template = "billing_coordinator.BillingCustomerContext";
  static props = {
    ...standardWidgetProps,
    customerField: {type: String, optional: true},
    companyField: {type: String, optional: true},
    hideCases: {type: Boolean, optional: true},
  };

  setup() {
    this.orm = useService("orm");
    this.action = useService("action");
    this.state = useState({data: null, loading: true});
    this.key = null;
    useRecordObserver((record) => this.load(record));
  }

  /**
   * The customer, companies and case on screen. With a customer field (a case), that
   * field's customer and the company field's company; else the record is the customer
   * (a partner) and the active companies apply.
   */
  getTarget(record) {
    const {customerField, companyField} = this.props;
    if (!customerField) {
      return {partnerId: record.resId || null, companyIds: null, caseId: null};
    }
    const company = companyField && record.data[companyField];
    return {
      partnerId: record.data[customerField]?.id || null,
      companyIds: company ? [company.id] : null,
      caseId: (record.resModel === "billing.case" && record.resId) || null,
    };
  }

  async load(record) {
    const target = this.getTarget(record);
    const key = JSON.stringify(target);
    if (key === this.key) {
      return;
    }
    this.key = key;
    if (!target.partnerId) {
      Object.assign(this.state, {data: null, loading: false});
      return;
    }
    this.state.loading = true;
    const data = await this.orm.call(
      "res.partner",
      "get_billing_context_panel",
      [[target.partnerId]],
      {
        company_ids: target.companyIds,
        exclude_case_ids: target.caseId ? [target.caseId] : [],
      }
    );
    if (key === this.key) {
      Object.assign(this.state, {data, loading: false});
    }
  }

  /** Company blocks worth showing: all when one, else those with something in them. */
  get blocks() {
    const blocks = this.state.data?.companies || [];
    if (blocks.length < 2) {
      return blocks;
    }
    const busy = blocks.filter(
      (b) =>
        b.total_due || b.unapplied_credit || b.payment_count || b.open_invoice_count
    );
    return busy.length ? busy : blocks.slice(0, 1);
  }

  get showCompanyNames() {
    return this.blocks.length > 1;
  }

  money(amount, currencyId) {
    return formatCurrency(amount, currencyId);
  }

  date(value) {
    return value ? formatDate(deserializeDate(value)) : "";
  }

  creditKindLabel(kind) {
    return {
      payment: _t("Payment"),
      credit_note: _t("Credit note"),
      other: _t("Other credit"),
    }[kind];
  }

  openRecord(resModel, resId) {
    return this.action.doAction({
      type: "ir.actions.act_window",
      res_model: resModel,
      res_id: resId,
      views: [[false, "form"]],
      target: "current",
    });
  }

  openList(resModel, name, domain) {
    return this.action.doAction({
      type: "ir.actions.act_window",
      name,
      res_model: resModel,
      domain,
      views: [
        [false, "list"],
        [false, "form"],
      ],
      context: {create: false},
      target: "current",
    });
  }

  openInvoices(block) {
    return this.openList("account.move", _t("Open Invoices"), [
      ["commercial_partner_id", "=", this.state.data.partner_id],
      ["company_id", "=", block.company_id],
      ["state", "=", "posted"],
      ["move_type", "in", ["out_invoice", "out_receipt"]],
      ["payment_state", "in", ["not_paid", "partial"]],
    ]);
  }

  openPayments(block) {
    return this.openList("account.payment", _t("Payments Received"), [
      ["partner_id", "child_of", this.state.data.partner_id],
      ["company_id", "=", block.company_id],
      ["partner_type", "=", "customer"],
      ["payment_type", "=", "inbound"],
      ["state", "in", ["in_process", "paid"]],
    ]);
  }

  openCases() {
    const excluded = this.getTarget(this.props.record).caseId;
    return this.openList("billing.case", _t("Open Billing Cases"), [
      ["partner_id", "=", this.state.data.partner_id],
      ["state", "in", OPEN_CASE_STATES],
      ...(excluded ? [["id", "!=", excluded]] : []),
    ]);
  }
}

/**
 * Options: ``customer_field`` and ``company_field`` (many2one fields of the record; without
 * them the record is the customer), ``hide_cases`` (where the form lists them already).
 */
export const billingCustomerContext = {
  component: BillingCustomerContext,
  extractProps: ({options}) => ({
    customerField: options.customer_field,
    companyField: options.company_field,
    hideCases: Boolean(options.hide_cases),
  }),
  fieldDependencies: ({options}) =>
    [options.customer_field, options.company_field]
      .filter(Boolean)
      .map((name) => ({name, type: "many2one"})),
};

registry
  .category("view_widgets")
  .add("billing_customer_context", billingCustomerContext);
