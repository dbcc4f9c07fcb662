// Draws the farm or turbine chart from the JSON the page embeds (pages.py):
// actuals and the forecasts issued for them before the issue time, the issued
// forecast after it, P50 with its P10-P90 band.
(function () {
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const x = (rows) => rows.map((r) => r.timestamp);
  const col = (rows, name) => rows.map((r) => r[name]);
  const band = (rows, label, colour, fill) => [
    { name: label + " P10", x: x(rows), y: col(rows, "p10_kw"), mode: "lines",
      line: { width: 0.5, color: colour }, legendgroup: label, showlegend: false },
    { name: label + " P90", x: x(rows), y: col(rows, "p90_kw"), mode: "lines",
      line: { width: 0.5, color: colour }, fill: "tonexty", fillcolor: fill,
      legendgroup: label, showlegend: false },
  ];
  const traces = [];
  if (data.before.length) {
    traces.push(...band(data.before, "Issued before", "#b8c4cf", "rgba(150,165,180,0.25)"));
    traces.push({ name: "Issued before: P50", x: x(data.before),
      y: col(data.before, "p50_kw"), mode: "lines",
      line: { color: "#7d8d9c", dash: "dot" } });
  }
  if (data.band) {
    traces.push(...band(data.future, "Forecast", "#7fb2e5", "rgba(31,119,180,0.2)"));
  }
  traces.push({ name: data.band ? "Forecast P50" : "Forecast P50 (sum of turbines)",
    x: x(data.future), y: col(data.future, "p50_kw"), mode: "lines",
    line: { color: "#1f77b4", width: 2 } });
  traces.push({ name: "Actual", x: x(data.actuals), y: col(data.actuals, "power_kw"),
    mode: "lines", line: { color: "#111", width: 1.5 } });
  const issued = data.future.length ? data.future[0].timestamp : null;
  Plotly.newPlot("chart", traces, {
    margin: { t: 20, r: 20, b: 40, l: 60 }, hovermode: "x unified",
    yaxis: { title: { text: "kW" }, rangemode: "tozero" },
    xaxis: { title: { text: "UTC" } },
    legend: { orientation: "h", y: -0.15 },
    shapes: issued ? [{ type: "line", x0: issued, x1: issued, yref: "paper",
      y0: 0, y1: 1, line: { color: "#c0392b", dash: "dash", width: 1 } }] : [],
  }, { displaylogo: false, responsive: true });
})();
