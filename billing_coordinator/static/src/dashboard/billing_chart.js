import {Component, onWillStart, onWillUnmount, useEffect, useRef} from "@odoo/owl";
import {loadBundle} from "@web/core/assets";

/**
 * A Chart.js canvas. Chart.js comes from Odoo's own bundle (web.chartjs_lib), loaded
 * once before the first render. ``onClick(index, datasetIndex)`` receives the index of
 * the bar or point clicked and of its dataset, for drill-down.
 */
export class BillingChart extends Component {
  static template = "billing_coordinator.BillingChart";
  static props = {
    type: String,
    labels: Array,
    datasets: Array,
    options: {type: Object, optional: true},
    onClick: {type: Function, optional: true},
    height: {type: Number, optional: true},
  };
  static defaultProps = {height: 260};

  setup() {
    this.canvasRef = useRef("canvas");
    this.chart = null;
    onWillStart(() => loadBundle("web.chartjs_lib"));
    useEffect(
      () => this.renderChart(),
      () => [this.props.labels, this.props.datasets]
    );
    onWillUnmount(() => this.chart?.destroy());
  }

  renderChart() {
    this.chart?.destroy();
    const custom = this.props.options || {};
    const options = {
      maintainAspectRatio: false,
      responsive: true,
      animation: false,
      ...custom,
      // The caller's plugins (e.g. tooltips) beside the default legend.
      plugins: {legend: {display: this.props.datasets.length > 1}, ...custom.plugins},
    };
    if (this.props.onClick) {
      options.onClick = (_event, elements) => {
        if (elements.length) {
          this.props.onClick(elements[0].index, elements[0].datasetIndex);
        }
      };
      options.onHover = (event, elements) => {
        event.native.target.style.cursor = elements.length ? "pointer" : "default";
      };
    }
    this.chart = new window.Chart(this.canvasRef.el, {
      type: this.props.type,
      data: {labels: this.props.labels, datasets: this.props.datasets},
      options,
    });
  }
}
