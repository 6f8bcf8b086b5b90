import {Component, onWillStart, useState} from "@odoo/owl";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";

/**
 * The Billing Health page of the billing managers (client action
 * ``billing_coordinator.health``).
 *
 * One RPC, ``billing.health.get_health_data()``, returns one line per check for the
 * companies of the company switcher; a line with records opens them through the action
 * it carries.
 */
export class BillingHealth extends Component {
  static template = "billing_coordinator.BillingHealth";
  static props = ["*"];

  setup() {
    this.orm = useService("orm");
    this.action = useService("action");
    this.state = useState({loading: true, lines: []});
    onWillStart(() => this.load());
  }

  async load() {
    this.state.loading = true;
    this.state.lines = await this.orm.call("billing.health", "get_health_data", []);
    this.state.loading = false;
  }

  get statusLabels() {
    return {ok: _t("OK"), info: _t("Info"), warning: _t("Warning"), error: _t("Error")};
  }

  get summary() {
    const counts = {ok: 0, info: 0, warning: 0, error: 0};
    for (const line of this.state.lines) {
      counts[line.status]++;
    }
    return counts;
  }

  get openTitle() {
    return _t("Open the records");
  }

  get showCompany() {
    return this.state.lines.some((line) => line.company_id);
  }

  lineKey(line, index) {
    return `${line.code}-${line.company_id || 0}-${index}`;
  }

  badgeClass(status) {
    return {
      ok: "text-bg-success",
      info: "text-bg-info",
      warning: "text-bg-warning",
      error: "text-bg-danger",
    }[status];
  }

  open(line) {
    if (line.action) {
      return this.action.doAction(line.action);
    }
  }
}

registry.category("actions").add("billing_coordinator.health", BillingHealth);
