import {describe, expect, queryOne, test} from "@odoo/hoot";
import {mockDate} from "@odoo/hoot-mock";
import {defineMailModels} from "@mail/../tests/mail_test_helpers";
import {
  contains,
  defineParams,
  mockService,
  mountWithCleanup,
  onRpc,
} from "@web/../tests/web_test_helpers";
import {BillingDashboard} from "@billing_coordinator/dashboard/billing_dashboard";

defineMailModels();
describe.current.tags("desktop");

function dashboardData(meta = {}) {
  const bucket = (key, label, amount) => ({key, label, amount});
  return {
    total_receivable: 5900,
    overdue_amount: 400,
    overdue_share: 6.8,
    credit_sales: 4500,
    dso: 40.6,
    countback_dso: 39.4,
    best_possible_dso: 37.9,
    add: 2.8,
    cei: 90,
    avg_days_to_pay: {value: 20, count: 2, by_customer: []},
    open_cases: {value: 2, amount: 350, new: 1, resolved: 1, avg_resolution_days: 6},
    sla_breached: {value: 1, share: 50},
    aging: [
      bucket("not_due", "Not Due", 5500),
      bucket("days_1_30", "1-30", 0),
      bucket("days_31_60", "31-60", 400),
    ],
    trend: [{date: "2026-10-31", total: 5900, overdue: 400, dso: 40.6}],
    cases_by_type: [{case_type_id: 3, name: "Short Payment", count: 1, amount: 300}],
    cases_by_root_cause: [
      {
        root_cause: "pricing_error",
        name: "Wrong Price",
        count: 1,
        amount: 50,
        dso_impact: 0.3,
      },
    ],
    coordinators: [
      {
        user_id: 7,
        name: "Clara",
        open: 2,
        breached: 1,
        resolved: 0,
        avg_resolution_days: null,
        amount_recovered: 0,
      },
    ],
    top_customers: [
      {partner_id: 9, name: "Acme", overdue: 400, total: 5900, avg_days_to_pay: 20},
    ],
    meta: {
      date_from: "2026-10-01",
      date_to: "2026-10-31",
      days: 31,
      company_ids: [1],
      team_id: false,
      user_id: false,
      is_manager: true,
      currency: {id: 1, symbol: "$", position: "before", digits: 2},
      buckets: [],
      teams: [{id: 4, name: "North"}],
      coordinators: [{id: 7, name: "Clara"}],
      empty: false,
      ...meta,
    },
  };
}

test("shows the KPIs, drills down to the filtered lists", async () => {
  onRpc("billing.dashboard", "get_dashboard_data", ({args}) => {
    expect.step(`load team=${args[0].team_id}`);
    return dashboardData({team_id: args[0].team_id});
  });
  mockService("action", {
    doAction(action) {
      expect.step(`${action.res_model} ${JSON.stringify(action.domain)}`);
    },
  });
  await mountWithCleanup(BillingDashboard, {props: {}});
  expect(".o_billing_card_total_receivable .o_billing_card_value").toHaveText(/5,900/);
  expect(".o_billing_card_overdue_amount .o_billing_card_sub").toHaveText("6.8 %");
  expect(".o_billing_card_cei .o_billing_card_value").toHaveText("90.0 %");
  expect(".o_billing_top_customers tbody tr").toHaveCount(1);
  expect(".o_billing_aging_chart canvas").toHaveCount(1);

  await contains(".o_billing_card_overdue_amount").click();
  await contains(".o_billing_team").select("4");
  await contains(".o_billing_coordinators tbody tr").click();
  await contains(".o_billing_top_customers tbody tr").click();
  expect.verifySteps([
    "load team=false",
    'billing.receivable.line [["company_id","in",[1]],["days_overdue",">",0]]',
    "load team=4",
    'billing.case [["company_id","in",[1]],["team_id","=",4],["state","in",["new","in_progress","waiting_customer"]],["user_id","=",7]]',
    'billing.receivable.line [["company_id","in",[1]],["team_id","=",4],["partner_id","=",9],["days_overdue",">",0]]',
  ]);
});

test("a coordinator has no team or coordinator filter", async () => {
  onRpc("billing.dashboard", "get_dashboard_data", () =>
    dashboardData({is_manager: false, user_id: 7, teams: [], coordinators: []})
  );
  await mountWithCleanup(BillingDashboard, {props: {}});
  expect(".o_billing_team").toHaveCount(0);
  expect(".o_billing_user").toHaveCount(0);
  expect(".o_billing_dashboard_filters").toHaveText(/Your customers and cases/);
});

test("an empty database shows the empty state", async () => {
  onRpc("billing.dashboard", "get_dashboard_data", () => dashboardData({empty: true}));
  await mountWithCleanup(BillingDashboard, {props: {}});
  expect(".o_billing_dashboard_empty").toHaveCount(1);
  expect(".o_billing_cards").toHaveCount(0);
});

function chartOf(selector) {
  return window.Chart.getChart(queryOne(`${selector} canvas`));
}

test("chart axes and tooltips use the user's number format", async () => {
  // A German user: the language's separators, as the web client loads them.
  defineParams({
    lang_parameters: {decimal_point: ",", thousands_sep: ".", grouping: [3, 0]},
  });
  onRpc("billing.dashboard", "get_dashboard_data", () => dashboardData());
  await mountWithCleanup(BillingDashboard, {props: {}});

  const aging = chartOf(".o_billing_aging_chart");
  const ticks = aging.scales.y.ticks.map((tick) => tick.label).join(" ");
  expect(ticks).toMatch(/\b1\.000\b/);
  expect(ticks).not.toMatch(/\d,\d{3}/);
  expect(aging.options.scales.y.ticks.callback(1234.5)).toBe("1.234,5");
  const tooltip = aging.options.plugins.tooltip.callbacks.label;
  expect(tooltip({dataset: {label: "Amount Due"}, parsed: {y: 5500}})).toMatch(
    /^Amount Due: .*5\.500/
  );
  expect(aging.options.plugins.legend.display).toBe(false);

  const trend = chartOf(".o_billing_trend_chart");
  expect(trend.options.scales.y.ticks.callback(12500)).toBe("12.500");
  expect(trend.options.scales.y1.ticks.callback(40.5)).toBe("40,5");
  expect(
    trend.options.plugins.tooltip.callbacks.label({
      dataset: {label: "DSO (days)", yAxisID: "y1"},
      parsed: {y: 40.6},
    })
  ).toBe("DSO (days): 40,6 days");
});

test("a trend month opens the receivables as of its month end", async () => {
  onRpc("billing.dashboard", "get_dashboard_data", () => ({
    ...dashboardData({team_id: 4}),
    trend: [
      {date: "2026-09-30", total: 5000, overdue: 100, dso: 35},
      {date: "2026-10-31", total: 5900, overdue: 400, dso: 40.6},
    ],
  }));
  mockService("action", {
    doAction(action) {
      expect.step(
        `${action.res_model} ${action.context.billing_aging_date} ${JSON.stringify(
          action.domain
        )}`
      );
    },
  });
  await mountWithCleanup(BillingDashboard, {props: {}});
  const trend = chartOf(".o_billing_trend_chart");
  // The bar of September (overdue), then the DSO point of October (all open items).
  const bar = trend.getDatasetMeta(0).data[0].getCenterPoint();
  await contains(trend.canvas).click({position: bar, relative: true});
  const point = trend.getDatasetMeta(1).data[1].getCenterPoint();
  await contains(trend.canvas).click({position: point, relative: true});
  expect.verifySteps([
    'billing.receivable.line 2026-09-30 [["company_id","in",[1]],["team_id","=",4],["days_overdue",">",0]]',
    'billing.receivable.line 2026-10-31 [["company_id","in",[1]],["team_id","=",4]]',
  ]);
});

test("the period dates use Odoo's date picker in the user's date format", async () => {
  // A German user: the language's date format, as the web client loads it.
  defineParams({lang_parameters: {date_format: "%d.%m.%Y"}});
  mockDate("2026-10-31 12:00:00");
  onRpc("billing.dashboard", "get_dashboard_data", ({args}) => {
    expect.step(`load ${args[0].date_from} ${args[0].date_to}`);
    return dashboardData();
  });
  await mountWithCleanup(BillingDashboard, {props: {}});
  expect(".o_billing_date_from").toHaveValue("03.08.2026");
  expect(".o_billing_date_to").toHaveValue("31.10.2026");
  await contains(".o_billing_date_from").edit("15.10.2026");
  expect(".o_billing_date_from").toHaveValue("15.10.2026");
  expect(".o_billing_period").toHaveValue("custom");
  // The same date again does not reload.
  await contains(".o_billing_date_from").edit("15.10.2026");
  await contains(".o_billing_date_to").edit("20.10.2026");
  expect.verifySteps([
    "load 2026-08-03 2026-10-31",
    "load 2026-10-15 2026-10-31",
    "load 2026-10-15 2026-10-20",
  ]);
});
