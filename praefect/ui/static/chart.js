// praefect web UI: the "runs by state over time" chart (uPlot, stacked bars).
(function () {
  "use strict";
  var ORDER = ["COMPLETED", "RUNNING", "SCHEDULED", "PENDING", "FAILED", "CRASHED", "CANCELLING", "CANCELLED", "PAUSED"];

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  // uPlot draws lines; stacked bars are cumulative series drawn as bars, biggest first.
  function build(el, payload) {
    var counts = payload.counts;
    var n = 0;
    Object.keys(counts).forEach(function (k) { n = Math.max(n, counts[k].length); });
    if (!n) n = 48;
    var xs = [];
    for (var i = 0; i < n; i++) xs.push(payload.start + (i + 0.5) * payload.width);
    var kinds = ORDER.filter(function (k) { return counts[k]; });
    var running = new Array(n).fill(0);
    var stacked = kinds.map(function (k) {
      return counts[k].map(function (v, i) { running[i] += v; return running[i]; });
    });
    var data = [xs].concat(stacked.slice().reverse());
    var series = [{}].concat(kinds.slice().reverse().map(function (k, idx) {
      var color = cssVar("--" + k.toLowerCase());
      var raw = counts[k];
      return {
        label: k.charAt(0) + k.slice(1).toLowerCase(),
        fill: color,
        stroke: color,
        width: 0,
        paths: uPlot.paths.bars({ size: [0.8, 40], gap: 1 }),
        points: { show: false },
        value: function (u, v, si, di) { return di == null ? "–" : raw[di]; },
      };
    }));
    if (!kinds.length) {
      data = [xs, new Array(n).fill(0)];
      series = [{}, { label: "Runs", stroke: cssVar("--muted"), width: 0, paths: uPlot.paths.bars({ size: [0.8, 40] }), points: { show: false } }];
    }
    var text = cssVar("--muted");
    var grid = cssVar("--border");
    var axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    var opts = {
      width: el.clientWidth || 800,
      height: 240,
      series: series,
      scales: { x: { time: true, range: [payload.start, payload.start + n * payload.width] }, y: { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } } },
      axes: [axis, Object.assign({ size: 44 }, axis)],
      legend: { show: true },
      cursor: { points: { show: false }, drag: { x: false, y: false } },
    };
    el.innerHTML = "";
    var plot = new uPlot(opts, data, el);
    return plot;
  }

  function setup(el) {
    var plot = null;
    var load = function () {
      var url = el.dataset.chartUrl;
      var sep = url.indexOf("?") < 0 ? "?" : "&";
      return fetch(url + sep + "range=" + encodeURIComponent(el.dataset.range), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (payload) { plot = build(el, payload); el.dataset.loaded = "true"; });
    };
    var ranges = document.querySelector("[data-chart-ranges]");
    if (ranges) {
      ranges.addEventListener("click", function (e) {
        var button = e.target.closest("button[data-range]");
        if (!button) return;
        ranges.querySelectorAll("button").forEach(function (b) { b.classList.toggle("active", b === button); });
        el.dataset.range = button.dataset.range;
        load();
      });
    }
    window.addEventListener("resize", function () { if (plot) plot.setSize({ width: el.clientWidth, height: 240 }); });
    document.addEventListener("praefect:theme", load);
    if (window.praefectStream) window.praefectStream.addEventListener("changed", function () {
      clearTimeout(el._reload);
      el._reload = setTimeout(load, 1500);
    });
    load();
  }

  document.addEventListener("DOMContentLoaded", function () {
    // after app.js opened the stream (scripts run in order)
    setTimeout(function () { document.querySelectorAll("[data-chart-url]").forEach(setup); }, 0);
  });
})();
