// The page's charts, drawn by the vendored uPlot (a classic script: window.uPlot).
// Each chart also has its numbers in a table beside it (accessibility); the chart
// element is an image with a label that says where those numbers are.

const BLUE = "#1565c0";
const AMBER = "#e65100";

function size(el) {
  return { width: Math.max(260, el.clientWidth || 520), height: 220 };
}

// A chart kept in `el`: built once, then fed new data (a live update does not rebuild it).
export class Chart {
  constructor(el, build) {
    this.el = el;
    this.build = build;
    this.plot = null;
    this.shape = "";
    window.addEventListener("resize", () => this.plot && this.plot.setSize(size(this.el)));
  }

  show(data, labels) {
    const U = window.uPlot;
    if (!U) return; // the vendored script failed to load: the tables still have the numbers
    const shape = JSON.stringify(labels);
    if (this.plot && this.shape === shape) {
      this.plot.setData(data);
      return;
    }
    if (this.plot) this.plot.destroy();
    this.el.replaceChildren();
    this.shape = shape;
    this.plot = new U({ ...size(this.el), ...this.build(U, labels) }, data, this.el);
  }
}

// Counts and minutes start at zero, whatever the data's least value.
function fromZero(_, min, max) {
  return [0, Math.max(1, max ?? 0) * 1.1];
}

function bars(U) {
  return U.paths.bars({ size: [0.7, 48] });
}

// Bars over categories 0..n-1 whose names are `labels.names`.
export function barChart(el) {
  return new Chart(el, (U, labels) => ({
    legend: { show: false },
    cursor: { show: false },
    scales: { x: { time: false, auto: false, range: () => [-0.5, labels.names.length - 0.5] },
      y: { range: fromZero } },
    axes: [
      { splits: () => labels.names.map((_, i) => i),
        values: (_, ticks) => ticks.map((i) => labels.names[i] ?? ""), space: 30 },
      { label: labels.y, size: 50 },
    ],
    series: [{}, { label: labels.y, fill: "rgba(21,101,192,0.6)", stroke: BLUE, paths: bars(U),
      points: { show: false } }],
  }));
}

// Per day: tickets served (bars) and the average wait in minutes (a line, right axis),
// over the days of the range by index, labelled MM-DD.
export function daysChart(el) {
  return new Chart(el, (U, labels) => ({
    legend: { show: true },
    scales: { x: { time: false, auto: false, range: () => [-0.5, labels.names.length - 0.5] },
      n: { range: fromZero }, min: { range: fromZero } },
    axes: [
      { incrs: [1, 2, 7, 14, 28, 56, 91], space: 48,
        values: (_, ticks) => ticks.map((i) => (Number.isInteger(i) ? labels.names[i] ?? "" : "")) },
      { scale: "n", label: labels.served, size: 50 },
      { scale: "min", label: labels.wait, side: 1, size: 50, grid: { show: false } },
    ],
    series: [
      { label: labels.day, value: (_, i) => (i === null ? "--" : labels.names[i] ?? "--") },
      { label: labels.served, scale: "n", fill: "rgba(21,101,192,0.5)", stroke: BLUE,
        paths: bars(U), points: { show: false } },
      { label: labels.wait, scale: "min", stroke: AMBER, width: 2 },
    ],
  }));
}
