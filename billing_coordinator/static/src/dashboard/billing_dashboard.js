import {Component, onWillStart, useState} from "@odoo/owl";
import {DateTimeInput} from "@web/core/datetime/datetime_input";
import {serializeDate, formatDate, deserializeDate} from "@web/core/l10n/dates";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";
import {formatFloat, formatMonetary} from "@web/views/fields/formatters";
import {BillingChart} from "./billing_chart";

const {DateTime} = luxon;
const OPEN_CASE_STATES = ["new", "in_progress", "waiting_customer"];

/**
 * The billing manager's dashboard (client action ``billing_coordinator.dashboard``).
 *
 * One RPC, ``billing.dashboard.get_dashboard_data(filters)``, returns every figure; the
 * companies are those of the company switcher (the RPC context). Every card, bar and row
 * opens the matching filtered list through the action service.
 */
export class BillingDashboard extends Component {
  static template = "billing_coordinator.BillingDashboard";
  static components = {BillingChart, DateTimeInput};
  static props = ["*"];

  setup() {
    this.orm = useService("orm");
    this.action = useService("action");
    const today = DateTime.local();
    this.state = useState({
      loading: true,
      data: null,
      period: "90",
      dateFrom: serializeDate(today.minus({days: 89})),
      dateTo: serializeDate(today),
      teamId: false,
      userId: false,
    });
    onWillStart(() => this.load());
  }

  get periods() {
    return [
      ["30", _t("Last 30 days")],
      ["90", _t("Last 90 days")],
      ["180", _t("Last 180 days")],
      ["365", _t("Last 365 days")],
      ["custom", _t("Custom")],
    ];
  }

  get meta() {
    return this.state.data.meta;
  }

  get filters() {
    return {
      date_from: this.state.dateFrom,
      date_to: this.state.dateTo,
      team_id: this.state.teamId || false,
      user_id: this.state.userId || false,
    };
  }

  async load() {
    this.state.loading = true;
    this.state.data = await this.orm.call("billing.dashboard", "get_dashboard_data", [
      this.filters,
    ]);
    this.state.loading = false;
  }

  // ------------------------------------------------------------------ filters

  onPeriodChange(ev) {
    this.state.period = ev.target.value;
    if (this.state.period !== "custom") {
      const today = DateTime.local();
      this.state.dateTo = serializeDate(today);
      this.state.dateFrom = serializeDate(
        today.minus({days: Number(this.state.period) - 1})
      );
      this.load();
    }
  }

  /** The date picker's value (a luxon date) of ``field`` (a serialized date). */
  dateValue(field) {
    return deserializeDate(this.state[field]);
  }

  /** Odoo's date picker (``DateTimeInput``): shown and typed in the user's language
   * date format; ``date`` is a luxon date, or false when the input was cleared. */
  onDateChange(field, date) {
    if (!date) {
      return;
    }
    const value = serializeDate(date);
    if (value === this.state[field]) {
      return;
    }
    this.state.period = "custom";
    this.state[field] = value;
    this.load();
  }

  onSelect(field, ev) {
    this.state[field] = Number(ev.target.value) || false;
    this.load();
  }

  // ------------------------------------------------------------------ formatting

  money(value) {
    if (value === null || value === undefined) {
      return "–";
    }
    return formatMonetary(value, {currencyId: this.meta.currency.id, digits: [16, 0]});
  }

  number(value, suffix = "") {
    if (value === null || value === undefined) {
      return "–";
    }
    return formatFloat(value, {digits: [16, 1]}) + suffix;
  }

  /** A number of days, e.g. "12.5 days": one translatable string, not a concatenation. */
  days(value) {
    if (value === null || value === undefined) {
      return "–";
    }
    return _t("%s days", formatFloat(value, {digits: [16, 1]}));
  }

  value(kpi) {
    return kpi !== null && typeof kpi === "object" ? kpi.value : kpi;
  }

  date(value) {
    return formatDate(deserializeDate(value));
  }

  monthLabel(value) {
    return deserializeDate(value).toFormat("LLL yy");
  }

  /** An axis tick in the user's number format (Chart.js would use the browser's). */
  axisNumber(value) {
    return formatFloat(value, {digits: [16, 2], trailingZeros: false});
  }

  /** Chart.js options: the value axes' ticks and the tooltips in the user's format. */
  chartOptions(axes, tooltipValue) {
    const scales = {};
    for (const [axis, options] of Object.entries(axes)) {
      scales[axis] = {...options, ticks: {callback: (value) => this.axisNumber(value)}};
    }
    return {
      scales,
      plugins: {
        tooltip: {
          callbacks: {
            label: (item) => `${item.dataset.label}: ${tooltipValue(item)}`,
          },
        },
      },
    };
  }

  get cards() {
    const d = this.state.data;
    return [
      {
        key: "total_receivable",
        label: _t("Total Receivable"),
        value: this.money(d.total_receivable),
        drill: () => this.openReceivables(_t("Open Receivables")),
      },
      {
        key: "overdue_amount",
        label: _t("Overdue"),
        value: this.money(d.overdue_amount),
        sub: this.number(d.overdue_share, " %"),
        drill: () =>
          this.openReceivables(_t("Overdue Receivables"), [["days_overdue", ">", 0]]),
      },
      {
        key: "credit_sales",
        label: _t("Credit Sales"),
        value: this.money(d.credit_sales),
        drill: () => this.openCreditSales(),
      },
      {
        key: "dso",
        label: _t("DSO"),
        value: this.days(d.dso),
        sub: _t("Countback %s", this.days(d.countback_dso)),
        drill: () => this.openReceivables(_t("Open Receivables")),
      },
      {
        key: "best_possible_dso",
        label: _t("Best Possible DSO"),
        value: this.days(d.best_possible_dso),
        drill: () =>
          this.openReceivables(_t("Receivables Not Due"), [["days_overdue", "<=", 0]]),
      },
      {
        key: "add",
        label: _t("Average Days Delinquent"),
        value: this.days(d.add),
        drill: () =>
          this.openReceivables(_t("Overdue Receivables"), [["days_overdue", ">", 0]]),
      },
      {
        key: "cei",
        label: _t("Collection Effectiveness"),
        value: this.number(d.cei, " %"),
        drill: () => this.openReceivables(_t("Open Receivables")),
      },
      {
        key: "avg_days_to_pay",
        label: _t("Average Days to Pay"),
        value: this.days(this.value(d.avg_days_to_pay)),
        sub: _t("%s invoices paid", d.avg_days_to_pay.count),
        drill: () => this.openPaidInvoices(),
      },
      {
        key: "open_cases",
        label: _t("Open Cases"),
        value: String(d.open_cases.value),
        sub: this.money(d.open_cases.amount),
        drill: () => this.openCases(_t("Open Cases")),
      },
      {
        key: "sla_breached",
        label: _t("SLA Breached"),
        value: String(d.sla_breached.value),
        sub: this.number(d.sla_breached.share, " %"),
        danger: d.sla_breached.value > 0,
        drill: () =>
          this.openCases(_t("SLA Breached Cases"), [["sla_breached", "=", true]]),
      },
    ];
  }

  // ------------------------------------------------------------------ charts

  get agingChart() {
    const aging = this.state.data.aging;
    return {
      labels: aging.map((b) => b.label),
      datasets: [
        {
          label: _t("Amount Due"),
          data: aging.map((b) => b.amount),
          backgroundColor: aging.map((b) =>
            b.key === "not_due" ? "#28a745" : "#dc3545"
          ),
        },
      ],
      options: this.chartOptions({y: {beginAtZero: true}}, (item) =>
        this.money(item.parsed.y)
      ),
    };
  }

  onAgingClick(index) {
    const bucket = this.state.data.aging[index];
    this.openReceivables(bucket.label, [["aging_bucket", "=", bucket.key]]);
  }

  get trendChart() {
    const trend = this.state.data.trend;
    return {
      labels: trend.map((t) => this.monthLabel(t.date)),
      datasets: [
        {
          type: "bar",
          label: _t("Overdue"),
          data: trend.map((t) => t.overdue),
          backgroundColor: "#dc3545",
          yAxisID: "y",
          order: 1,
        },
        {
          type: "line",
          label: _t("DSO (days)"),
          data: trend.map((t) => t.dso),
          borderColor: "#017e84",
          backgroundColor: "#017e84",
          yAxisID: "y1",
          order: 0, // the line over the bars
        },
      ],
      options: this.chartOptions(
        {
          y: {beginAtZero: true, position: "left"},
          y1: {beginAtZero: true, position: "right", grid: {drawOnChartArea: false}},
        },
        (item) =>
          item.dataset.yAxisID === "y1"
            ? this.days(item.parsed.y)
            : this.money(item.parsed.y)
      ),
    };
  }

  /**
   * A month of the trend: the receivables open at that month end (the bar: the
   * overdue ones; the DSO point: all), as the aging engine has them as of that date.
   */
  onTrendClick(index, datasetIndex) {
    const month = this.state.data.trend[index];
    const overdue = datasetIndex === 0;
    const name = overdue
      ? _t("Overdue Receivables as of %s", this.date(month.date))
      : _t("Open Receivables as of %s", this.date(month.date));
    return this.openReceivables(name, overdue ? [["days_overdue", ">", 0]] : [], {
      billing_aging_date: month.date,
    });
  }

  // ------------------------------------------------------------------ drill-down

  /** The dashboard's filters on a receivable line or a case (same field names). */
  scopeDomain(extra = []) {
    const domain = [["company_id", "in", this.meta.company_ids]];
    if (this.meta.team_id) {
      domain.push(["team_id", "=", this.meta.team_id]);
    }
    if (this.meta.user_id) {
      domain.push(["user_id", "=", this.meta.user_id]);
    }
    return [...domain, ...extra];
  }

  moveDomain(extra = []) {
    const domain = [
      ["company_id", "in", this.meta.company_ids],
      ["state", "=", "posted"],
    ];
    if (this.meta.team_id) {
      domain.push(["commercial_partner_id.billing_team_id", "=", this.meta.team_id]);
    }
    if (this.meta.user_id) {
      domain.push([
        "commercial_partner_id.billing_coordinator_id",
        "=",
        this.meta.user_id,
      ]);
    }
    return [...domain, ...extra];
  }

  openList(
    name,
    resModel,
    domain,
    views = [
      [false, "list"],
      [false, "form"],
    ],
    context = {}
  ) {
    return this.action.doAction({
      type: "ir.actions.act_window",
      name,
      res_model: resModel,
      views,
      domain,
      context,
      target: "current",
    });
  }

  /** ``context``: e.g. ``billing_aging_date``, the lines as of a past date. */
  openReceivables(name, extra = [], context = {}) {
    // Grouped by bucket, every bucket shows, in bucket order.
    return this.openList(
      name,
      "billing.receivable.line",
      this.scopeDomain(extra),
      [
        [false, "list"],
        [false, "pivot"],
        [false, "graph"],
      ],
      {read_group_expand: true, ...context}
    );
  }

  openCases(name, extra = []) {
    return this.openList(
      name,
      "billing.case",
      this.scopeDomain([["state", "in", OPEN_CASE_STATES], ...extra])
    );
  }

  openCreditSales() {
    return this.openList(
      _t("Credit Sales"),
      "account.move",
      this.moveDomain([
        ["move_type", "in", ["out_invoice", "out_refund"]],
        ["invoice_date", ">=", this.meta.date_from],
        ["invoice_date", "<=", this.meta.date_to],
      ])
    );
  }

  openPaidInvoices() {
    return this.openList(
      _t("Paid Invoices"),
      "account.move",
      this.moveDomain([
        ["move_type", "=", "out_invoice"],
        ["payment_state", "in", ["paid", "in_payment"]],
      ])
    );
  }

  openCaseType(row) {
    return this.openCases(row.name, [["case_type_id", "=", row.case_type_id]]);
  }

  openRootCause(row) {
    return this.openCases(row.name, [["root_cause", "=", row.root_cause]]);
  }

  openCoordinator(row) {
    return this.openCases(row.name, [["user_id", "=", row.user_id]]);
  }

  openCustomer(row) {
    return this.openReceivables(row.name, [
      ["partner_id", "=", row.partner_id],
      ["days_overdue", ">", 0],
    ]);
  }
}

registry.category("actions").add("billing_coordinator.dashboard", BillingDashboard);
