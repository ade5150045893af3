// praefect web UI: theme, local times, and the page's one live stream (server-sent events).
(function () {
  "use strict";

  var STATE_NAMES = {};

  // -- theme -------------------------------------------------------------------------------
  function setupTheme() {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    button.addEventListener("click", function () {
      var root = document.documentElement;
      var next = root.dataset.theme === "dark" ? "light" : "dark";
      root.dataset.theme = next;
      localStorage.setItem("praefect-theme", next);
      document.dispatchEvent(new CustomEvent("praefect:theme", { detail: next }));
    });
  }

  // -- times in the viewer's time zone -----------------------------------------------------
  var pad = function (n, w) { return String(n).padStart(w || 2, "0"); };
  function formatTime(el) {
    var value = el.getAttribute("datetime");
    if (!value) return;
    var d = new Date(value);
    if (isNaN(d)) return;
    var time = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    if (el.dataset.format === "time") {
      el.textContent = time + "." + pad(d.getMilliseconds(), 3);
    } else {
      var today = new Date();
      var sameDay = d.toDateString() === today.toDateString();
      el.textContent = sameDay ? "today " + time
        : d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + time;
    }
    el.title = d.toString();
  }
  function formatTimes(root) {
    (root || document).querySelectorAll("time.ts").forEach(formatTime);
  }

  // -- badges ------------------------------------------------------------------------------
  function badge(kind, name) {
    var span = document.createElement("span");
    var k = (kind || "unknown").toLowerCase();
    span.className = "badge state-" + k;
    span.dataset.state = kind || "";
    span.appendChild(document.createElement("i"));
    span.appendChild(document.createTextNode(name || STATE_NAMES[kind] || kind || "Unknown"));
    return span;
  }

  // -- logs --------------------------------------------------------------------------------
  var LEVEL_NAMES = { 10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL" };
  function setupLogs() {
    var logs = document.getElementById("logs");
    if (!logs) return null;
    var level = document.getElementById("log-level");
    var follow = document.getElementById("log-follow");
    var saved = localStorage.getItem("praefect-log-level");
    if (saved && level) level.value = saved;
    var apply = function () {
      if (!level) return;
      logs.dataset.minLevel = level.value;
      localStorage.setItem("praefect-log-level", level.value);
    };
    if (level) level.addEventListener("change", apply);
    apply();
    var known = new Set();
    logs.querySelectorAll(".log-line").forEach(function (el) { known.add(el.dataset.id); });
    var scrollDown = function () {
      if (!follow || follow.checked) logs.scrollTop = logs.scrollHeight;
    };
    scrollDown();
    return function add(lines) {
      var empty = logs.querySelector(".logs-empty");
      var fragment = document.createDocumentFragment();
      lines.forEach(function (line) {
        if (known.has(line.id)) return;
        known.add(line.id);
        var row = document.createElement("div");
        row.className = "log-line new level-" + (LEVEL_NAMES[line.level] || "info").toLowerCase();
        row.dataset.id = line.id;
        row.dataset.level = line.level;
        var ts = document.createElement("time");
        ts.className = "ts log-ts";
        ts.setAttribute("datetime", line.ts);
        ts.dataset.format = "time";
        formatTime(ts);
        var lvl = document.createElement("span");
        lvl.className = "log-level";
        lvl.textContent = line.level_name;
        row.appendChild(ts);
        row.appendChild(lvl);
        if (line.task) {
          var task = document.createElement("a");
          task.className = "log-task";
          task.href = "/runs/task-run/" + line.task_run_id;
          task.textContent = line.task;
          row.appendChild(task);
        }
        var msg = document.createElement("span");
        msg.className = "log-msg";
        msg.textContent = line.message;
        row.appendChild(msg);
        fragment.appendChild(row);
      });
      if (!fragment.childNodes.length) return;
      // keep lines in time order: written-behind lines may be older than the newest shown
      logs.insertBefore(fragment, empty || null);
      if (empty) empty.hidden = true;
      scrollDown();
    };
  }

  // -- run state ---------------------------------------------------------------------------
  function setText(id, value) {
    var el = document.getElementById(id);
    if (el) el.textContent = value;
  }
  function setTime(id, iso) {
    var el = document.getElementById(id);
    if (!el) return;
    el.innerHTML = "";
    if (!iso) { el.innerHTML = '<span class="muted">—</span>'; return; }
    var t = document.createElement("time");
    t.className = "ts";
    t.setAttribute("datetime", iso);
    formatTime(t);
    el.appendChild(t);
  }
  var CANCELLABLE = ["SCHEDULED", "PENDING", "RUNNING", "PAUSED"];
  function updateRun(summary) {
    var holder = document.getElementById("run-state");
    if (holder) { holder.innerHTML = ""; holder.appendChild(badge(summary.state, summary.state_name)); }
    setText("run-message", summary.message || "");
    setText("run-duration", summary.duration);
    setTime("run-start", summary.start);
    setTime("run-end", summary.end);
    var cancel = document.getElementById("cancel-form");
    if (cancel) cancel.hidden = CANCELLABLE.indexOf(summary.state) < 0;
    var history = document.getElementById("state-history");
    if (history) {
      var li = document.createElement("li");
      li.appendChild(badge(summary.state, summary.state_name));
      history.appendChild(li);
    }
    document.title = document.title.replace(/^[^·]*/, (summary.state_name || summary.state) + " – " + document.querySelector("h1").textContent + " ");
  }

  // -- the page's live stream --------------------------------------------------------------
  function refreshTarget() {
    var selector = document.body.dataset.refresh;
    var target = selector && document.querySelector(selector);
    if (!target || !window.htmx) return;
    var firstPage = target.querySelector("[data-first-page]");
    if (firstPage && firstPage.dataset.firstPage !== "true") return;
    var select = document.body.dataset.refreshSelect;
    var url = location.pathname + location.search;
    var options = select ? { target: target, select: select, swap: "outerHTML" }
      : { target: target, swap: "innerHTML" };
    htmx.ajax("GET", url, options).then(function () {
      formatTimes(document);
    });
  }

  function setupStream(addLogs) {
    var url = document.body.dataset.stream;
    if (!url || !window.EventSource) return;
    var source = new EventSource(url);
    var busy = false, again = false;
    var refresh = function () {
      // at most one refresh in flight; changes meanwhile cause one more afterwards
      if (busy) { again = true; return; }
      busy = true;
      Promise.resolve(refreshTarget()).finally(function () {
        setTimeout(function () {
          busy = false;
          if (again) { again = false; refresh(); }
        }, 1000);
      });
    };
    source.addEventListener("open", function () {
      document.body.classList.add("stream-open");
      document.body.classList.remove("stream-down");
    });
    source.addEventListener("error", function () {
      document.body.classList.remove("stream-open");
      document.body.classList.add("stream-down");
    });
    source.addEventListener("run", function (e) { updateRun(JSON.parse(e.data)); });
    source.addEventListener("logs", function (e) { if (addLogs) addLogs(JSON.parse(e.data)); });
    source.addEventListener("tasks", function (e) {
      var tasks = JSON.parse(e.data);
      setText("task-count", String(window.praefectGraph ? window.praefectGraph.update(tasks) : tasks.length));
    });
    source.addEventListener("changed", refresh);
    source.addEventListener("done", function () {
      source.close();
      document.body.classList.remove("stream-open");
    });
    window.addEventListener("pagehide", function () { source.close(); });
    window.praefectStream = source;
  }

  // tables with class "sortable": a click on a header with data-sort orders the rows by it
  function setupSortable(root) {
    root.querySelectorAll("table.sortable th[data-sort]").forEach(function (th) {
      th.classList.add("sort-head");
      th.addEventListener("click", function () {
        var table = th.closest("table"), body = table.tBodies[0];
        var index = Array.prototype.indexOf.call(th.parentNode.children, th);
        var ascending = th.dataset.dir !== "asc";
        table.querySelectorAll("th[data-sort]").forEach(function (h) { delete h.dataset.dir; });
        th.dataset.dir = ascending ? "asc" : "desc";
        var rows = Array.from(body.rows);
        var text = function (row) { return (row.cells[index] || {}).textContent || ""; };
        rows.sort(function (a, b) {
          var x = text(a).trim(), y = text(b).trim();
          var nx = parseFloat(x), ny = parseFloat(y);
          var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupTheme();
    setupSortable(document);
    // forms with data-confirm ask first (deleting a variable, ...)
    document.addEventListener("submit", function (e) {
      var message = e.target.dataset && e.target.dataset.confirm;
      if (message && !window.confirm(message)) e.preventDefault();
    });
    formatTimes(document);
    var addLogs = setupLogs();
    setupStream(addLogs);
    document.body.addEventListener("htmx:afterSwap", function (e) { formatTimes(e.target); });
    // filters left empty stay out of the URL (and of the address bar htmx updates)
    document.body.addEventListener("htmx:configRequest", function (e) {
      var params = e.detail.parameters;
      var empty = [];
      if (typeof params.entries === "function") {
        Array.from(params.entries()).forEach(function (kv) { if (kv[1] === "") empty.push(kv[0]); });
      } else {
        Object.keys(params).forEach(function (k) { if (params[k] === "") empty.push(k); });
      }
      empty.forEach(function (k) { typeof params.delete === "function" ? params.delete(k) : delete params[k]; });
    });
  });
  window.praefect = { badge: badge, formatTimes: formatTimes };
})();
