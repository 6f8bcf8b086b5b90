import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_utils";

registry.category("web_tour.tours").add("billing_case_tour", {
  url: "/odoo",
  steps: () => [
    ...stepUtils.goToAppSteps(
      "billing_coordinator.billing_menu_root",
      "Open the Billing app"
    ),
    {
      content: "Open all cases",
      trigger: 'a[data-menu-xmlid="billing_coordinator.billing_case_menu"]',
      run: "click",
    },
    {
      content: "Create a case",
      trigger: ".o_list_button_add",
      run: "click",
    },
    {
      content: "Choose the customer",
      trigger: 'div[name="partner_id"] input',
      run: "edit Tour Customer",
    },
    {
      trigger: '.o-autocomplete--dropdown-item a:contains("Tour Customer")',
      run: "click",
    },
    {
      content: "Choose the case type",
      trigger: 'div[name="case_type_id"] input',
      run: "edit Overcharge",
    },
    {
      trigger: '.o-autocomplete--dropdown-item a:contains("Overcharge")',
      run: "click",
    },
    {
      content: "Expected amount",
      trigger: 'div[name="expected_amount"] input',
      run: "edit 100 && click body",
    },
    {
      content: "Actual amount",
      trigger: 'div[name="actual_amount"] input',
      run: "edit 120 && click body",
    },
    {
      content: "The difference follows the amounts",
      trigger: 'div[name="amount_difference"]:contains("20.00")',
    },
    {
      content: "Save",
      trigger: ".o_form_button_save:enabled",
      run: "click",
    },
    {
      content: "The case got its reference",
      trigger: '.o_breadcrumb .active:contains("BC/")',
    },
    {
      content: "Start working on it",
      trigger: 'button[name="action_start"]',
      run: "click",
    },
    {
      content: "The case is in progress",
      trigger:
        '.o_statusbar_status button.o_arrow_button_current:contains("In Progress")',
    },
  ],
});

registry.category("web_tour.tours").add("billing_report_discrepancy_tour", {
  steps: () => [
    {
      content: "Report a discrepancy on the posted invoice",
      trigger: 'button[name="action_report_discrepancy"]',
      run: "click",
    },
    {
      content: "The case form comes prefilled with the customer",
      trigger: 'div[name="partner_id"] input:value("Tour Customer")',
    },
    {
      content: "Choose the case type",
      trigger: 'div[name="case_type_id"] input',
      run: "edit Short Payment",
    },
    {
      trigger: '.o-autocomplete--dropdown-item a:contains("Short Payment")',
      run: "click",
    },
    {
      content: "Save",
      trigger: ".o_form_button_save:enabled",
      run: "click",
    },
    {
      content: "The case is saved and numbered",
      trigger: '.o_breadcrumb .active:contains("BC/")',
    },
  ],
});

registry.category("web_tour.tours").add("billing_resolve_credit_note_tour", {
  steps: () => [
    {
      content: "Open the resolution wizard",
      trigger: 'button[name="action_open_resolve_wizard"]',
      run: "click",
    },
    {
      content: "The wizard proposes what is in dispute",
      trigger: '.modal div[name="disputed_amount"]:contains("150.00")',
    },
    {
      content: "Credit what is in dispute",
      trigger: '.modal div[name="amount"] input',
      run: "edit 150 && click .modal-title",
    },
    {
      content: "Apply",
      trigger: '.modal button[name="action_apply"]',
      run: "click",
    },
    {
      content: "The case is resolved",
      trigger: '.o_statusbar_status button.o_arrow_button_current:contains("Resolved")',
    },
    {
      content: "The credit note is linked to the case",
      trigger: 'button[name="action_view_resolution_moves"]:contains("1")',
    },
  ],
});
