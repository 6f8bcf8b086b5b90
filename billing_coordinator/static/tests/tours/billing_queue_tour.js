import {formatDate} from "@web/core/l10n/dates";
import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_utils";

const {DateTime} = luxon;

// Open My Queue, take the next case, log a call with a follow-up date and see the case
// leave the queue (billing_coordinator.tests.test_billing_queue_tour).
registry.category("web_tour.tours").add("billing_queue_tour", {
  url: "/odoo",
  steps: () => [
    ...stepUtils.goToAppSteps(
      "billing_coordinator.billing_menu_root",
      "Open the Billing app"
    ),
    {
      content: "Open My Queue",
      trigger: 'a[data-menu-xmlid="billing_coordinator.billing_case_menu_my"]',
      run: "click",
    },
    {
      content: "My Queue is open",
      trigger: '.o_control_panel .o_breadcrumb:contains("My Queue")',
    },
    {
      content: "Take the next case of my teams",
      trigger: '.o_control_panel button[name="action_take_next"]',
      run: "click",
    },
    {
      content: "The case opens, taken and in progress",
      trigger:
        '.o_form_view .o_statusbar_status button.o_arrow_button_current:contains("In Progress")',
    },
    {
      trigger: '.o_form_view div[name="partner_id"] input:value("Queue Tour Customer")',
    },
    {
      content: "Log the call",
      trigger: '.o_form_view button[name="action_open_log_call_wizard"]',
      run: "click",
    },
    {
      content: "Pick the outcome",
      trigger: '.modal div[name="outcome_id"] input',
      run: "edit Reached",
    },
    {
      trigger: '.o-autocomplete--dropdown-item a:contains("Reached")',
      run: "click",
    },
    {
      content: "Call back in three days",
      trigger: '.modal div[name="follow_up_date"] input',
      run: `edit ${formatDate(DateTime.now().plus({days: 3}))} && click .modal-title`,
    },
    {
      content: "Say what was agreed",
      trigger: '.modal div[name="note"] textarea',
      run: "edit The customer checks the delivery notes and calls back.",
    },
    {
      content: "Log it",
      trigger: '.modal button[name="action_confirm"]',
      run: "click",
    },
    {
      content: "The case waits for the customer",
      trigger:
        '.o_statusbar_status button.o_arrow_button_current:contains("Waiting for Customer")',
    },
    {
      content: "Back to My Queue",
      trigger: 'a[data-menu-xmlid="billing_coordinator.billing_case_menu_my"]',
      run: "click",
    },
    {
      content: "List my queue without grouping",
      trigger: '.o_searchview_facet:contains("Urgency") .o_facet_remove',
      run: "click",
    },
    {
      content: "My other case is still in the queue",
      trigger: '.o_list_view .o_data_row:contains("Queue Neighbour")',
    },
    {
      content: "The case put aside is not",
      trigger: '.o_list_view:not(:has(.o_data_row:contains("Queue Tour Customer")))',
    },
  ],
});
