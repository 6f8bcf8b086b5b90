import {describe, expect, test} from "@odoo/hoot";
import {defineMailModels} from "@mail/../tests/mail_test_helpers";
import {
  contains,
  mockService,
  mountWithCleanup,
  onRpc,
} from "@web/../tests/web_test_helpers";
import {BillingHealth} from "@billing_coordinator/health/billing_health";

defineMailModels();
describe.current.tags("desktop");

function line(code, status, count, action = false, company = false) {
  return {
    code,
    label: code,
    status,
    count,
    message: `${code} message`,
    action,
    company_id: company && company[0],
    company_name: company && company[1],
  };
}

test("shows the checks with their status, a line opens its records", async () => {
  let calls = 0;
  onRpc("billing.health", "get_health_data", () => {
    expect.step(`load ${++calls}`);
    return [
      line("detection_last_run", "ok", 1, false, [1, "Main"]),
      line("crons", "error", 2),
      line("cases_unassigned", "warning", 3, {
        type: "ir.actions.act_window",
        res_model: "billing.case",
        domain: [["user_id", "=", false]],
      }),
    ];
  });
  mockService("action", {
    doAction(action) {
      expect.step(`${action.res_model} ${JSON.stringify(action.domain)}`);
    },
  });
  await mountWithCleanup(BillingHealth, {props: {}});
  expect(".o_billing_health_line").toHaveCount(3);
  expect(".o_billing_health_crons .o_billing_health_badge").toHaveClass(
    "text-bg-danger"
  );
  expect(".o_billing_health_cases_unassigned .o_billing_health_badge").toHaveText(
    "Warning"
  );
  expect(".o_billing_health_detection_last_run").toHaveText(/Main/);
  expect(".o_billing_health_summary_error").toHaveText("Errors 1");

  await contains(".o_billing_health_crons").click(); // nothing to open
  await contains(".o_billing_health_cases_unassigned").click();
  await contains(".o_billing_health_refresh").click();
  expect.verifySteps(["load 1", 'billing.case [["user_id","=",false]]', "load 2"]);
});

test("an info line (nothing wrong, worth knowing) has its own badge and count", async () => {
  onRpc("billing.health", "get_health_data", () => [
    line("detection_last_run", "ok", 1),
    line("snapshot_chain", "info", 1),
  ]);
  await mountWithCleanup(BillingHealth, {props: {}});
  expect(".o_billing_health_snapshot_chain .o_billing_health_badge").toHaveClass(
    "text-bg-info"
  );
  expect(".o_billing_health_snapshot_chain .o_billing_health_badge").toHaveText("Info");
  expect(".o_billing_health_summary_info").toHaveText("Info 1");
  expect(".o_billing_health_summary_warning").toHaveText("Warnings 0");
});
