// Charts of the series dashboard, drawn with Chart.js from the JSON the page embeds in
// <script type="application/json" id="dashboard-data"> (the CSP forbids inline script).
// Every chart has a table with the same numbers below it: without JavaScript, or for a
// screen reader, the tables are the dashboard.
(() => {
  const source = document.getElementById("dashboard-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  const data = JSON.parse(source.textContent);
  const colours = ["#1f6f5c", "#3b82c4", "#d08a1e", "#b3412f", "#6b5ca5", "#5b6770"];
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function draw(canvas, spec) {
    const horizontal = Boolean(spec.horizontal);
    const stacked = Boolean(spec.stacked);
    const valueAxis = { beginAtZero: true, stacked, ticks: { precision: 0 } };
    const labelAxis = { stacked };
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map((s, i) => ({
          label: s.label,
          data: s.data,
          backgroundColor: colours[i % colours.length],
        })),
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: reduceMotion ? false : undefined,
        scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
        plugins: { legend: { display: spec.series.length > 1 } },
      },
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const spec = data[canvas.dataset.chart];
    if (!spec || spec.labels.length === 0) {
      return;
    }
    const box = canvas.parentElement;
    if (spec.horizontal) {
      box.style.height = `${Math.max(160, 28 * spec.labels.length + 60)}px`;
    }
    box.hidden = false;
    draw(canvas, spec);
  });
})();
