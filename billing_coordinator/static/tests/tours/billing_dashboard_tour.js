import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("billing_dashboard_tour", {
  steps: () => [
    {
      content: "The dashboard shows the receivables",
      trigger:
        '.o_billing_card_total_receivable .o_billing_card_value:contains("1,400")',
    },
    {
      content: "and the overdue amount",
      trigger: '.o_billing_card_overdue_amount .o_billing_card_value:contains("400")',
    },
    {
      content: "The aging chart is drawn",
      trigger: ".o_billing_aging_chart canvas",
    },
    {
      content: "Open the overdue receivables",
      trigger: ".o_billing_card_overdue_amount",
      run: "click",
    },
    {
      content: "The filtered list shows the overdue invoice only",
      trigger: '.o_list_view .o_data_row:contains("INV/")',
    },
    {
      trigger: ".o_breadcrumb:contains('Overdue Receivables')",
    },
    {
      content: "one line: the overdue invoice",
      trigger: ".o_list_view:not(:has(.o_data_row:nth-child(2)))",
    },
  ],
});
