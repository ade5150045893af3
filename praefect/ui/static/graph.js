// praefect web UI: a flow run's task runs as a DAG (dagre layout) or a timeline, in SVG.
// One node per task run, edges from the task runs its inputs came from, coloured by state.
// Big graphs use a linear-time layered layout and are drawn a slice per frame.
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var NODE_W = 170, NODE_H = 38, DAGRE_LIMIT = 1500, CHUNK = 800;

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVGNS, name);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function shortName(name, max) { return name.length > max ? name.slice(0, max - 1) + "…" : name; }
  function seconds(node) {
    if (!node.start) return null;
    var end = node.end ? Date.parse(node.end) : Date.now();
    return Math.max(0, (end - Date.parse(node.start)) / 1000);
  }
  function fmt(s) {
    if (s == null) return "";
    if (s < 10) return s.toFixed(2) + "s";
    if (s < 60) return s.toFixed(1) + "s";
    var m = Math.floor(s / 60);
    return m < 60 ? m + "m " + String(Math.floor(s % 60)).padStart(2, "0") + "s" : Math.floor(m / 60) + "h " + String(m % 60).padStart(2, "0") + "m";
  }

  // -- layouts -----------------------------------------------------------------------------
  function dagreLayout(nodes) {
    var g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 46, marginx: 20, marginy: 20 });
    g.setDefaultEdgeLabel(function () { return {}; });
    nodes.forEach(function (n) { g.setNode(n.id, { width: NODE_W, height: NODE_H }); });
    var edges = [];
    nodes.forEach(function (n) {
      n.up.forEach(function (u) { if (g.hasNode(u)) { g.setEdge(u, n.id); edges.push([u, n.id]); } });
    });
    dagre.layout(g);
    var pos = {};
    nodes.forEach(function (n) { var p = g.node(n.id); pos[n.id] = { x: p.x - NODE_W / 2, y: p.y - NODE_H / 2 }; });
    var paths = edges.map(function (e) {
      var pts = g.edge(e[0], e[1]).points;
      return "M" + pts.map(function (p) { return p.x.toFixed(1) + "," + p.y.toFixed(1); }).join("L");
    });
    var size = g.graph();
    return { pos: pos, paths: paths, width: size.width, height: size.height };
  }

  // Longest-path ranks (nodes come in start order, so upstream nodes come first), then one
  // column per rank, a wide rank wrapped into several columns so the graph stays roughly as
  // wide as tall: O(nodes + edges) for graphs too big for dagre.
  function layeredLayout(nodes) {
    var rank = {}, ranks = [], pos = {};
    nodes.forEach(function (n) {
      var r = 0;
      n.up.forEach(function (u) { if (rank[u] != null) r = Math.max(r, rank[u] + 1); });
      rank[n.id] = r;
      (ranks[r] = ranks[r] || []).push(n.id);
    });
    var widest = Math.max.apply(null, ranks.map(function (ids) { return ids.length; }));
    // rows per column so that the widest rank is about 1.6 times as wide as it is tall
    var gapX = 60, gapY = 10, colGap = 14, maxRows = Math.max(8, Math.ceil(Math.sqrt(widest / 0.6)));
    var x = 20, height = 0;
    ranks.forEach(function (ids) {
      var cols = Math.ceil(ids.length / maxRows), rows = Math.ceil(ids.length / cols);
      ids.forEach(function (id, i) {
        var c = Math.floor(i / rows), r = i % rows;
        pos[id] = { x: x + c * (NODE_W + colGap), y: 20 + r * (NODE_H + gapY) };
      });
      x += cols * (NODE_W + colGap) - colGap + gapX;
      height = Math.max(height, rows * (NODE_H + gapY));
    });
    var paths = [];
    nodes.forEach(function (n) {
      n.up.forEach(function (u) {
        var a = pos[u], b = pos[n.id];
        if (!a) return;
        var x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2, mx = (x1 + x2) / 2;
        paths.push("M" + x1 + "," + y1 + "C" + mx + "," + y1 + " " + mx + "," + y2 + " " + x2 + "," + y2);
      });
    });
    return { pos: pos, paths: paths, width: x - gapX + 20, height: height + 40 };
  }

  // A rank of more than WIDE_RANK parallel tasks reads better wrapped into columns than as
  // dagre's one tall column.
  var WIDE_RANK = 24;
  function hasWideRank(nodes) {
    var rank = {}, sizes = {};
    for (var i = 0; i < nodes.length; i++) {
      var n = nodes[i], r = 0;
      for (var j = 0; j < n.up.length; j++) if (rank[n.up[j]] != null) r = Math.max(r, rank[n.up[j]] + 1);
      rank[n.id] = r;
      sizes[r] = (sizes[r] || 0) + 1;
      if (sizes[r] > WIDE_RANK) return true;
    }
    return false;
  }

  // -- the view ------------------------------------------------------------------------------
  function Graph(container, nodes) {
    this.container = container;
    this.nodes = nodes;
    this.byId = {};
    var self = this;
    nodes.forEach(function (n) { self.byId[n.id] = n; });
    this.view = "graph";
    this.transform = { x: 0, y: 0, k: 1 };
    this.generation = 0;
    this.setupChrome();
    this.render();
  }

  Graph.prototype.setupChrome = function () {
    var self = this, c = this.container;
    c.innerHTML = "";
    this.svg = el("svg", { "aria-label": "task run graph" }, c);
    this.stage = el("g", {}, this.svg);
    var tools = document.createElement("div");
    tools.className = "graph-tools";
    [["+", 1.25], ["−", 0.8], ["⤢", 0]].forEach(function (t) {
      var b = document.createElement("button");
      b.type = "button"; b.textContent = t[0]; b.title = t[1] ? "Zoom" : "Fit";
      b.addEventListener("click", function () {
        if (t[1]) { self.userMoved = true; self.zoom(t[1]); } else { self.userMoved = false; self.fit(); }
      });
      tools.appendChild(b);
    });
    c.appendChild(tools);
    this.info = document.createElement("div");
    this.info.className = "graph-info";
    c.appendChild(this.info);
    // pan with the mouse, zoom with the wheel
    var drag = null;
    c.addEventListener("mousedown", function (e) {
      if (e.target.closest(".graph-tools")) return;
      drag = { x: e.clientX, y: e.clientY, tx: self.transform.x, ty: self.transform.y, moved: false };
      c.classList.add("dragging");
    });
    window.addEventListener("mousemove", function (e) {
      if (!drag) return;
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      self.transform.x = drag.tx + dx; self.transform.y = drag.ty + dy;
      if (drag.moved) self.userMoved = true;
      self.apply();
    });
    window.addEventListener("mouseup", function () {
      if (drag) { self.suppressClick = drag.moved; drag = null; c.classList.remove("dragging"); }
    });
    c.addEventListener("wheel", function (e) {
      e.preventDefault();
      self.userMoved = true;
      var rect = c.getBoundingClientRect();
      self.zoom(e.deltaY < 0 ? 1.12 : 1 / 1.12, e.clientX - rect.left, e.clientY - rect.top);
    }, { passive: false });
    this.svg.addEventListener("click", function (e) {
      var g = e.target.closest("[data-id]");
      if (g && !self.suppressClick) location.href = "/runs/task-run/" + g.dataset.id;
      self.suppressClick = false;
    });
  };

  Graph.prototype.apply = function () {
    var t = this.transform;
    this.stage.setAttribute("transform", "translate(" + t.x + "," + t.y + ") scale(" + t.k + ")");
  };
  Graph.prototype.zoom = function (factor, cx, cy) {
    var t = this.transform;
    if (cx == null) { cx = this.container.clientWidth / 2; cy = this.container.clientHeight / 2; }
    var k = Math.min(3, Math.max(0.05, t.k * factor));
    t.x = cx - (cx - t.x) * (k / t.k); t.y = cy - (cy - t.y) * (k / t.k); t.k = k;
    this.apply();
  };
  Graph.prototype.fit = function () {
    var w = this.container.clientWidth, h = this.container.clientHeight;
    var k = Math.min(1.2, Math.min(w / this.width, h / this.height));
    k = Math.max(k, this.nodes.length > 300 ? 0.05 : 0.35);
    this.transform = { k: k, x: Math.max(0, (w - this.width * k) / 2), y: Math.max(0, (h - this.height * k) / 2) };
    this.apply();
  };

  Graph.prototype.render = function () {
    var generation = ++this.generation;
    this.stage.innerHTML = "";
    var n = this.nodes.length;
    if (!n) {
      this.width = this.height = 1;
      var empty = this.container.querySelector(".graph-empty") || document.createElement("div");
      empty.className = "graph-empty";
      empty.textContent = "No task runs (yet).";
      this.container.appendChild(empty);
      this.info.textContent = "";
      return;
    }
    var old = this.container.querySelector(".graph-empty");
    if (old) old.remove();
    if (this.view === "timeline") return this.renderTimeline();
    var started = performance.now();
    var layout = n <= DAGRE_LIMIT && window.dagre && !hasWideRank(this.nodes) ? dagreLayout(this.nodes) : layeredLayout(this.nodes);
    this.width = layout.width; this.height = layout.height;
    var edges = el("g", { class: "edges" }, this.stage);
    var nodesG = el("g", { class: "nodes" }, this.stage);
    var self = this, i = 0;
    var drawSlice = function () {
      if (generation !== self.generation) return; // a newer render took over
      var stop = Math.min(n, i + CHUNK);
      for (; i < stop; i++) self.drawNode(nodesG, self.nodes[i], layout.pos[self.nodes[i].id]);
      if (i < n) {
        self.info.textContent = "Drawing " + i + " of " + n + " task runs…";
        requestAnimationFrame(drawSlice);
        return;
      }
      var d = layout.paths.join("");
      if (d) el("path", { class: "edge", d: d }, edges);
      self.container.dataset.nodes = String(n);
      self.info.textContent = n + " task run" + (n === 1 ? "" : "s") + " · laid out in " + Math.round(performance.now() - started) + " ms";
    };
    drawSlice();
    if (!this.userMoved) this.fit(); else this.apply();
  };

  Graph.prototype.drawNode = function (parent, node, p) {
    var g = el("g", { class: "node state-" + (node.state || "unknown").toLowerCase(), "data-id": node.id, transform: "translate(" + p.x + "," + p.y + ")" }, parent);
    el("rect", { width: NODE_W, height: NODE_H, rx: 7 }, g);
    el("rect", { class: "bar", width: 4, height: NODE_H - 10, x: 5, y: 5, rx: 2 }, g);
    var title = el("text", { x: 16, y: 16 }, g);
    title.textContent = shortName(node.name, 22);
    var sub = el("text", { x: 16, y: 30, class: "sub" }, g);
    sub.textContent = (node.state_name || node.state || "") + (node.start ? " · " + fmt(seconds(node)) : "");
    el("title", {}, g).textContent = node.name + " — " + (node.state_name || node.state);
    node.el = g;
  };

  Graph.prototype.renderTimeline = function () {
    var nodes = this.nodes.filter(function (n) { return n.start; })
      .sort(function (a, b) { return Date.parse(a.start) - Date.parse(b.start); });
    var t0 = Infinity, t1 = -Infinity, now = Date.now();
    nodes.forEach(function (n) {
      t0 = Math.min(t0, Date.parse(n.start));
      t1 = Math.max(t1, n.end ? Date.parse(n.end) : now);
    });
    var W = Math.max(600, this.container.clientWidth - 40), LABEL = 160, ROW = 20;
    var span = Math.max(1, t1 - t0);
    var x = function (t) { return LABEL + (t - t0) / span * (W - LABEL - 20); };
    this.width = W; this.height = 40 + nodes.length * ROW;
    var axis = el("g", {}, this.stage);
    for (var i = 0; i <= 5; i++) {
      var t = t0 + span * i / 5, px = x(t);
      el("line", { class: "axis", x1: px, x2: px, y1: 18, y2: this.height }, axis);
      el("text", { class: "tick", x: px + 3, y: 12 }, axis).textContent = "+" + fmt((t - t0) / 1000);
    }
    var rows = el("g", {}, this.stage);
    var self = this;
    nodes.forEach(function (n, i) {
      var y = 24 + i * ROW;
      var g = el("g", { class: "node state-" + (n.state || "unknown").toLowerCase(), "data-id": n.id }, rows);
      el("text", { class: "lane-label", x: 8, y: y + 12 }, g).textContent = shortName(n.name, 22);
      var a = x(Date.parse(n.start)), b = x(n.end ? Date.parse(n.end) : now);
      el("rect", { class: "tbar", x: a, y: y + 2, width: Math.max(2, b - a), height: ROW - 6 }, g);
      el("title", {}, g).textContent = n.name + " — " + (n.state_name || n.state) + " · " + fmt(seconds(n));
    });
    this.container.dataset.nodes = String(this.nodes.length);
    this.info.textContent = nodes.length ? nodes.length + " task runs started" : "No task run has started.";
    this.transform = { x: 0, y: 0, k: 1 };
    this.apply();
  };

  // Live changes: recolour known nodes in place; new nodes re-lay the graph out (debounced).
  Graph.prototype.update = function (tasks) {
    var self = this, added = false;
    tasks.forEach(function (t) {
      var known = self.byId[t.id];
      if (!known) {
        self.byId[t.id] = t; self.nodes.push(t); added = true;
        return;
      }
      var changed = known.state_name !== t.state_name || known.end !== t.end;
      Object.assign(known, { state: t.state, state_name: t.state_name, start: t.start, end: t.end, up: t.up });
      if (changed && known.el && self.view === "graph") {
        known.el.setAttribute("class", "node state-" + (t.state || "unknown").toLowerCase());
        var sub = known.el.querySelector(".sub");
        if (sub) sub.textContent = (t.state_name || t.state || "") + (t.start ? " · " + fmt(seconds(t)) : "");
      } else if (changed) {
        added = true;
      }
    });
    if (added) {
      clearTimeout(this.relayout);
      this.relayout = setTimeout(function () {
        self.nodes.sort(function (a, b) { return (a.start || "9") < (b.start || "9") ? -1 : 1; });
        self.render();
      }, 400);
    }
    return this.nodes.length;
  };

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("task-graph");
    var data = document.getElementById("graph-data");
    if (!container || !data) return;
    var graph = new Graph(container, JSON.parse(data.textContent));
    window.praefectGraph = graph;
    document.querySelectorAll("[data-view]").forEach(function (button) {
      if (button.tagName !== "BUTTON") return;
      button.addEventListener("click", function () {
        document.querySelectorAll("button[data-view]").forEach(function (b) { b.classList.toggle("active", b === button); });
        graph.view = button.dataset.view;
        container.dataset.view = graph.view;
        graph.render();
      });
    });
  });
})();
