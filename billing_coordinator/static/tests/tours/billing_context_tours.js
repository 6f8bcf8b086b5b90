import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("billing_context_tour", {
  steps: () => [
    {
      content: "The panel says what the customer owes",
      trigger: '.o_billing_context_total_due:contains("2,000.00")',
    },
    {
      content: "and what is overdue",
      trigger: '.o_billing_context_overdue:contains("1,500.00"):contains("10 days")',
    },
    {
      content: "the credit to apply and the balance",
      trigger: '.o_billing_context_credit:contains("370.00")',
    },
    {
      trigger: '.o_billing_context_balance:contains("1,630.00")',
    },
    {
      content: "what the customer paid",
      trigger: ".o_billing_context_payments tbody tr:nth-child(3)",
    },
    {
      content: "whom to call",
      trigger: '.o_billing_context_phone:contains("+1 555 0199")',
    },
    {
      content: "and the other open cases",
      trigger: '.o_billing_context_cases a:contains("BC/")',
    },
    {
      content: "Another customer on the case",
      trigger: 'div[name="partner_id"] input',
      run: "edit Other Customer",
    },
    {
      trigger: '.o-autocomplete--dropdown-item a:contains("Other Customer")',
      run: "click",
    },
    {
      content: "The panel follows the customer",
      trigger: '.o_billing_context_invoices:contains("Nothing open.")',
    },
    {
      content: "Discard",
      trigger: ".o_form_button_cancel",
      run: "click",
    },
    {
      content: "Back to the case customer",
      trigger: '.o_billing_context_total_due:contains("2,000.00")',
    },
    {
      content: "Open the most overdue invoice",
      trigger: ".o_billing_context_invoices tbody tr:first-child a",
      run: "click",
    },
    {
      content: "The invoice opens",
      trigger: '.o_breadcrumb .active:contains("INV/")',
    },
  ],
});
