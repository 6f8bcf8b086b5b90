import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("billing_health_tour", {
  steps: () => [
    {
      content: "The page shows the checks",
      trigger:
        ".o_billing_health_table .o_billing_health_crons .o_billing_health_badge:contains('OK')",
    },
    {
      content: "The stuck case is a warning",
      trigger:
        ".o_billing_health_cases_unassigned .o_billing_health_badge:contains('Warning')",
    },
    {
      content: "Open the cases without a coordinator",
      trigger: ".o_billing_health_cases_unassigned",
      run: "click",
    },
    {
      content: "The list shows the stuck case",
      trigger: ".o_list_view .o_data_row:contains('Other Customer')",
    },
    {
      trigger: ".o_breadcrumb:contains('Cases without a coordinator')",
    },
    {
      content: "one line: the stuck case",
      trigger: ".o_list_view:not(:has(.o_data_row:nth-child(2)))",
    },
  ],
});
