// Each indicator's measurements against its baseline, target (and original target when
// revised) and the expected line from (period start, baseline) to (period end, target).
// Time runs on a linear axis of milliseconds, so no date adapter is needed.
(function () {
  "use strict";
  var node = document.getElementById("chart-data");
  if (!node || typeof Chart === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var start = Date.parse(data.period_start), end = Date.parse(data.period_end);
  // Labels come translated with the data; dates are written the reader's way. In a
  // right-to-left page the legend and tooltips read right to left and the value axis moves
  // to the right, while time still runs left to right as on any calendar chart.
  var lang = document.documentElement.lang || "en";
  var rtl = document.documentElement.dir === "rtl";
  var words = data.labels || {};
  var dateFormat = new Intl.DateTimeFormat(lang, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" });
  var day = function (ms) { return dateFormat.format(new Date(ms)); };
  var say = function (key, fallback) { return words[key] || fallback; };
  // Ticks on 1 January and 1 July: dates a reader recognises, not arbitrary ones.
  var halfYears = function (axis) {
    var ticks = [], first = new Date(start), year = first.getUTCFullYear();
    for (var y = year; Date.UTC(y, 0, 1) <= end; y++) {
      [Date.UTC(y, 0, 1), Date.UTC(y, 6, 1)].forEach(function (t) {
        if (t >= start && t <= end) { ticks.push({ value: t }); }
      });
    }
    axis.ticks = ticks;
  };
  var flat = function (value) { return [{ x: start, y: value }, { x: end, y: value }]; };

  data.indicators.forEach(function (ind) {
    var canvas = document.getElementById("chart-" + ind.indicator_id);
    if (!canvas) { return; }
    var datasets = [
      { label: say("measured", "Measured"), data: ind.measurements.map(function (m) { return { x: Date.parse(m.measured_on), y: m.value }; }),
        borderColor: "#0b3d6e", backgroundColor: "#0b3d6e", pointRadius: 4, borderWidth: 2.5, tension: 0 },
      // The target path: baseline at the start, each period target, the target at the end.
      { label: say("expected", "Expected"), data: [{ x: start, y: ind.baseline }].concat(
          ((data.paths || {})[ind.indicator_id] || []).map(function (p) { return { x: Date.parse(p.due), y: p.target }; }),
          [{ x: end, y: ind.target }]),
        borderColor: "#7a8394", borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5 },
      { label: say("baseline", "Baseline"), data: flat(ind.baseline), borderColor: "#8c1d18", pointRadius: 0, borderWidth: 1.5 },
      { label: say("target", "Target"), data: flat(ind.target), borderColor: "#17592b", pointRadius: 0, borderWidth: 1.5 }
    ];
    if (ind.target_revised) {
      datasets.push({ label: say("original_target", "Original target"), data: flat(ind.original_target), borderColor: "#17592b",
        borderDash: [2, 3], pointRadius: 0, borderWidth: 1.5 });
    }
    new Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, parsing: true,
        interaction: { mode: "nearest", intersect: false },
        scales: {
          x: { type: "linear", min: start, max: end, afterBuildTicks: halfYears,
               ticks: { callback: function (v) { return day(v); } } },
          y: { grace: "8%", position: rtl ? "right" : "left", title: { display: true, text: ind.unit },
               ticks: { callback: function (v) { return new Intl.NumberFormat(lang).format(v); } } }
        },
        plugins: {
          legend: { position: "bottom", rtl: rtl, textDirection: rtl ? "rtl" : "ltr", labels: { boxWidth: 18 } },
          tooltip: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr", callbacks: { title: function (items) { return items.length ? day(items[0].parsed.x) : ""; } } }
        }
      }
    });
  });

  // The diagnostic's maturity per key factor at the start beside the final assessment's.
  var diag = document.getElementById("diagnostic-chart");
  if (diag && data.diagnostic && data.diagnostic.length) {
    var value = function (v) { return v === null ? null : v; };
    new Chart(diag, {
      type: "bar",
      data: {
        labels: data.diagnostic.map(function (d) { return d.label; }),  // translated by the page
        datasets: [
          { label: say("at_diagnostic", "At the diagnostic"), data: data.diagnostic.map(function (d) { return value(d.start_maturity); }), backgroundColor: "#7a8394" },
          { label: say("at_final_assessment", "At the final assessment"), data: data.diagnostic.map(function (d) { return value(d.final_maturity); }), backgroundColor: "#0b3d6e" }
        ]
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { min: 0, max: 5, position: rtl ? "right" : "left", ticks: { stepSize: 1 }, title: { display: true, text: say("maturity_axis", "maturity (1-5)") } } },
        plugins: {
          legend: { position: "bottom", rtl: rtl, textDirection: rtl ? "rtl" : "ltr", labels: { boxWidth: 18 } },
          tooltip: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" }
        }
      }
    });
  }
})();
