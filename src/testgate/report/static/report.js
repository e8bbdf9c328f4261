"use strict";
(function () {
  // Everything from test data is put on the page with textContent: never as HTML.
  var D = JSON.parse(document.getElementById("tg-data").textContent);
  var STATUS = ["passed", "failed", "error", "skipped"];
  var PAGE = 100;

  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (k === "text") e.textContent = attrs[k];
        else if (k === "cls") e.className = attrs[k];
        else e.setAttribute(k, attrs[k]);
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function secs(x) { return x < 1 ? (x * 1000).toFixed(0) + " ms" : x.toFixed(2) + " s"; }
  function debounce(fn, ms) { var t; return function () { clearTimeout(t); t = setTimeout(fn, ms); }; }

  function pager(node, total, page, onPage) {
    clear(node);
    var pages = Math.max(1, Math.ceil(total / PAGE));
    if (pages <= 1) return;
    var prev = el("button", { text: "‹ previous" });
    prev.disabled = page <= 0;
    prev.addEventListener("click", function () { onPage(page - 1); });
    var next = el("button", { text: "next ›" });
    next.disabled = page >= pages - 1;
    next.addEventListener("click", function () { onPage(page + 1); });
    node.appendChild(prev);
    node.appendChild(el("span", { cls: "muted", text: " page " + (page + 1) + " of " + pages + " " }));
    node.appendChild(next);
    var jump = el("input", { type: "number", min: "1", max: String(pages), cls: "jump", "aria-label": "page number", placeholder: "page" });
    var go = el("button", { cls: "go", text: "go" });
    function jumpTo() {
      var n = parseInt(jump.value, 10);
      if (n >= 1 && n <= pages) onPage(n - 1);
    }
    go.addEventListener("click", jumpTo);
    jump.addEventListener("keydown", function (ev) { if (ev.key === "Enter") jumpTo(); });
    node.appendChild(el("label", { cls: "muted", text: " jump to " }, jump));
    node.appendChild(go);
  }

  // ---- failures ----------------------------------------------------------------------
  var failureNodes = [];
  function renderFailures() {
    var box = document.getElementById("failure-list");
    if (!D.failures.length) return;
    clear(box);
    var shown = 0;
    function more(n) {
      var end = Math.min(D.failures.length, shown + n);
      for (var i = shown; i < end; i++) {
        var f = D.failures[i];
        var d = el("details", { cls: "failure", id: "failure-" + i },
          el("summary", null,
            el("span", { cls: "pill " + f.status, text: f.status }), " ",
            f.quarantine ? el("span", { cls: "pill quarantined", text: "quarantined" }) : null, f.quarantine ? " " : null,
            f.mark && f.mark.kind !== "quarantined" ? el("span", { cls: "pill mark mark-" + f.mark.kind, text: f.mark.text }) : null, f.mark ? " " : null,
            el("strong", { text: f.name }), " ",
            el("span", { cls: "muted", text: f.classname || f.suite }),
            f.category ? el("span", { cls: "muted", text: " · " + f.category }) : null),
          el("div", { cls: "fbody" },
            f.quarantine ? el("div", { cls: "note warn quarantine-note", text: "quarantined (owner " + (f.quarantine.owner || "?") + ", until " + (f.quarantine.expires || "?") + "): " + (f.quarantine.reason || "") + "; it fails neither the run nor the gates" }) : null,
            f.message ? el("div", { cls: "msg" }, el("pre", { text: f.message })) : null,
            f.trace ? el("details", { cls: "trace", open: "" }, el("summary", { text: "trace" }), el("pre", { text: f.trace })) : null,
            el("div", { cls: "muted mono", text: [f.step ? "step " + f.step : "", f.file ? f.file + (f.line ? ":" + f.line : "") : "", "id " + f.id, f.fingerprint ? "fingerprint " + f.fingerprint : ""].filter(Boolean).join(" · ") })));
        if (i === 0) d.open = true;
        failureNodes[i] = d;
        box.appendChild(d);
      }
      shown = end;
      var old = document.getElementById("failures-more");
      if (old) old.remove();
      if (shown < D.failures.length) {
        var b = el("button", { id: "failures-more", text: "show " + Math.min(50, D.failures.length - shown) + " more of " + (D.failures.length - shown) });
        b.addEventListener("click", function () { more(50); });
        box.appendChild(b);
      }
    }
    more(50);
    openFailure = function (i) {
      while (i >= shown) more(50);
      var node = failureNodes[i];
      node.open = true;
      node.scrollIntoView({ block: "start" });
    };
  }
  var openFailure = function () {};

  function renderGroups() {
    var box = document.getElementById("failure-groups"), G = D.groups || [];
    // one card per failure says it all when every cause is different and nothing is an outage
    if (!G.length || (G.length === D.failures.length && !G.some(function (g) { return g.outage; }))) return;
    box.appendChild(el("h3", { text: D.failures.length + " failures, " + G.length + " cause" + (G.length === 1 ? "" : "s") + " (grouped by fingerprint: normalised message and top frames)" }));
    G.slice(0, 200).forEach(function (g, gi) {
      var list = el("ul", { cls: "gtests" });
      g.failures.slice(0, 50).forEach(function (fi) {
        var f = D.failures[fi], b = el("button", { cls: "linkish", text: f.id });
        b.addEventListener("click", function () { openFailure(fi); });
        list.appendChild(el("li", null, b, f.mark ? " " : null, f.mark ? markPill(f.mark.kind, f.mark.text) : null));
      });
      if (g.failures.length > 50) list.appendChild(el("li", { cls: "muted", text: "and " + (g.failures.length - 50) + " more: their cards are below" }));
      box.appendChild(el("details", { cls: "group", id: "group-" + gi },
        el("summary", null,
          el("span", { cls: "count", text: String(g.count) }), " ",
          g.outage ? el("span", { cls: "pill outage", text: g.outage }) : null, g.outage ? " " : null,
          el("span", { cls: "gmsg", text: g.message || "(no message)" }),
          g.category ? el("span", { cls: "muted", text: " · " + g.category }) : null,
          el("span", { cls: "muted mono", text: " · " + g.fingerprint })),
        list));
    });
  }

  function renderLogs() {
    var box = document.getElementById("log-tails");
    if (!box) return;
    Object.keys(D.logs).forEach(function (step) {
      box.appendChild(el("details", { cls: "log" },
        el("summary", { text: "log tail of failed step " + step }),
        el("pre", { text: D.logs[step] })));
    });
  }

  // ---- tests: filter, sort, group, page (only one page of rows is ever in the DOM) ------
  var T = D.tests, MARKS = D.marks || [""];
  var tState = { status: "all", q: "", mark: "", comp: "", group: "", sort: null, dir: 1, page: 0, idx: null };
  var lower = null;
  function markOf(r) { return r.length > 8 ? MARKS[r[8]] : ""; }
  function groupKey(i) {
    var g = tState.group;
    if (g === "suite") return T.suites[T.rows[i][0]];
    if (g === "file") return T.files[T.file[i]] || "(no file)";
    if (g === "component") return T.steps[T.step[i]] || "(no step)";
    return "";
  }
  var SORTS = {
    status: function (r) { return r[3] === 1 || r[3] === 2 ? 0 : r[3] === 3 ? 2 : 1; },
    name: function (r) { return r[2]; },
    "class": function (r) { return T.classes[r[1]]; },
    suite: function (r) { return T.suites[r[0]]; },
    mark: function (r) { var m = markOf(r); return m ? m : "\uffff"; },
    duration: function (r) { return r[4]; }
  };
  function testMatches() {
    var q = tState.q, st = tState.status, mk = tState.mark, comp = tState.comp, rows = T.rows, out = [];
    if (q && lower === null) {
      lower = rows.map(function (r) { return (r[2] + "\u0000" + T.classes[r[1]] + "\u0000" + T.suites[r[0]]).toLowerCase(); });
    }
    var compIdx = comp ? T.steps.indexOf(comp) : -1;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (st === "failed" && r[3] !== 1 && r[3] !== 2) continue;
      if (st === "skipped" && r[3] !== 3) continue;
      if (st === "passed" && r[3] !== 0) continue;
      if (st === "retried" && !r[6]) continue;
      if (st === "flaky" && !r[7]) continue;
      if (mk && markOf(r) !== mk) continue;
      if (comp && T.step[i] !== compIdx) continue;
      if (q && lower[i].indexOf(q) < 0) continue;
      out.push(i);
    }
    // default order: failures first, then report order (two linear passes, no sort); a
    // clicked column or a grouping sorts instead
    if (!tState.sort && !tState.group) {
      var bad = [], rest = [];
      for (var o = 0; o < out.length; o++) {
        var c0 = rows[out[o]][3];
        if (c0 === 1 || c0 === 2) bad.push(out[o]); else rest.push(out[o]);
      }
      return bad.concat(rest);
    }
    var key = tState.sort ? SORTS[tState.sort] : SORTS.status, dir = tState.sort ? tState.dir : 1;
    var keys = new Array(rows.length);
    for (var k = 0; k < out.length; k++) keys[out[k]] = key(rows[out[k]]);
    var gk = null;
    if (tState.group) { gk = {}; for (var g = 0; g < out.length; g++) gk[out[g]] = groupKey(out[g]); }
    out.sort(function (a, b) {
      if (gk) { var ga = gk[a], gb = gk[b]; if (ga !== gb) return ga < gb ? -1 : 1; }
      var x = keys[a], y = keys[b];
      if (x !== y) return (x < y ? -1 : 1) * dir;
      return a - b;
    });
    return out;
  }
  function markPill(kind, title) {
    if (!kind) return null;
    var p = el("span", { cls: "pill mark mark-" + kind, text: kind === "recurring" ? "failed before" : kind === "flaky" ? "known flaky" : kind });
    if (title) p.title = title;
    return p;
  }
  function renderTests() {
    if (tState.idx === null) tState.idx = testMatches();
    var idx = tState.idx, body = document.querySelector("#test-table tbody");
    var pages = Math.max(1, Math.ceil(idx.length / PAGE));
    if (tState.page >= pages) tState.page = pages - 1;
    clear(body);
    var start = tState.page * PAGE, end = Math.min(idx.length, start + PAGE);
    var frag = document.createDocumentFragment(), last = null, counts = null;
    if (tState.group) {
      counts = {};
      for (var c = 0; c < idx.length; c++) {
        var key = groupKey(idx[c]), e = counts[key] || (counts[key] = [0, 0]);
        e[0]++; if (T.rows[idx[c]][3] === 1 || T.rows[idx[c]][3] === 2) e[1]++;
      }
    }
    for (var j = start; j < end; j++) {
      var r = T.rows[idx[j]], st = STATUS[r[3]];
      if (counts) {
        var gkey = groupKey(idx[j]);
        if (gkey !== last) {
          var n = counts[gkey];
          frag.appendChild(el("tr", { cls: "group" }, el("td", { colspan: "6" },
            el("strong", { text: gkey }), el("span", { cls: "muted", text: " · " + n[0] + " tests" + (n[1] ? ", " + n[1] + " failed" : "") }))));
          last = gkey;
        }
      }
      var name = el("td", { cls: "name" }, r[2]);
      if (r[6]) name.appendChild(el("span", { cls: "pill warn", text: "retried" }));
      if (r[7]) name.appendChild(el("span", { cls: "pill warn", text: "flaky" }));
      var f = r[5] >= 0 ? D.failures[r[5]] : null;
      var tr = el("tr", { cls: "st-" + st },
        el("td", null, el("span", { cls: "pill " + st, text: st })),
        name,
        el("td", { cls: "muted", text: T.classes[r[1]] }),
        el("td", { cls: "muted", text: T.suites[r[0]] }),
        el("td", null, markPill(markOf(r), f && f.mark ? f.mark.text : "")),
        el("td", { cls: "num", text: secs(r[4]) }));
      if (r[5] >= 0) {
        tr.classList.add("clickable");
        tr.title = "show the failure";
        (function (fi) { tr.addEventListener("click", function () { openFailure(fi); }); })(r[5]);
      }
      frag.appendChild(tr);
    }
    body.appendChild(frag);
    document.getElementById("test-count").textContent = idx.length + " of " + T.rows.length + " tests";
    pager(document.getElementById("test-pager"), idx.length, tState.page, function (p) { tState.page = p; renderTests(); });
  }
  function wireTests() {
    function reset() { tState.page = 0; tState.idx = null; renderTests(); }
    var search = document.getElementById("search");
    search.addEventListener("input", debounce(function () { tState.q = search.value.trim().toLowerCase(); reset(); }, 120));
    var buttons = document.querySelectorAll(".filters button");
    Array.prototype.forEach.call(buttons, function (b) {
      b.addEventListener("click", function () {
        Array.prototype.forEach.call(buttons, function (x) { x.classList.remove("on"); });
        b.classList.add("on");
        tState.status = b.getAttribute("data-status"); reset();
      });
    });
    var comp = document.getElementById("comp-filter");
    T.steps.forEach(function (s) { if (s) comp.appendChild(el("option", { value: s, text: s })); });
    if (T.steps.filter(Boolean).length < 1) comp.parentNode.style.display = "none";
    comp.addEventListener("change", function () { tState.comp = comp.value; reset(); });
    var mk = document.getElementById("mark-filter");
    mk.addEventListener("change", function () { tState.mark = mk.value; reset(); });
    var grp = document.getElementById("group-by");
    grp.addEventListener("change", function () { tState.group = grp.value; reset(); });
    var heads = document.querySelectorAll("#test-table th[data-sort]");
    Array.prototype.forEach.call(heads, function (th) {
      th.classList.add("sortable");
      th.tabIndex = 0;
      function go() {
        var k = th.getAttribute("data-sort");
        if (tState.sort === k) tState.dir = -tState.dir; else { tState.sort = k; tState.dir = k === "duration" ? -1 : 1; }
        Array.prototype.forEach.call(heads, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", tState.dir > 0 ? "ascending" : "descending");
        reset();
      }
      th.addEventListener("click", go);
      th.addEventListener("keydown", function (ev) { if (ev.key === "Enter") go(); });
    });
  }

  // ---- coverage ----------------------------------------------------------------------
  var C = D.coverage, cState = { q: "", page: 0, idx: null };
  function bar(pct) {
    var b = el("span", { cls: "bar" }, el("span", { cls: "fill" }));
    b.firstChild.style.width = Math.max(0, Math.min(100, pct)) + "%";
    if (pct < 50) b.classList.add("low"); else if (pct < 80) b.classList.add("mid");
    return b;
  }
  function renderCoverage() {
    var comps = document.getElementById("coverage-components");
    var names = Object.keys(C.components);
    if (names.length && !comps.firstChild) {
      var ul = el("div", { cls: "components" });
      names.forEach(function (n) {
        ul.appendChild(el("div", { cls: "comp" }, el("span", { text: n }), bar(C.components[n]), el("span", { cls: "num", text: C.components[n].toFixed(1) + "%" })));
      });
      comps.appendChild(ul);
    }
    if (!C.files.length) {
      document.getElementById("cov-table").style.display = "none";
      document.getElementById("cov-count").textContent = "No coverage report was read.";
      return;
    }
    if (cState.idx === null) {
      cState.idx = [];
      for (var i = 0; i < C.files.length; i++) if (!cState.q || C.files[i][0].toLowerCase().indexOf(cState.q) >= 0) cState.idx.push(i);
    }
    var body = document.querySelector("#cov-table tbody");
    clear(body);
    var start = cState.page * PAGE, end = Math.min(cState.idx.length, start + PAGE);
    for (var j = start; j < end; j++) {
      var f = C.files[cState.idx[j]];
      body.appendChild(el("tr", null,
        el("td", { cls: "mono", text: f[0] }), el("td", { cls: "num", text: String(f[1]) }),
        el("td", { cls: "num", text: String(f[2]) }),
        el("td", { cls: "num" }, bar(f[3]), " " + f[3].toFixed(1)),
        el("td", { cls: "mono missed", text: f[4] })));
    }
    var t = C.totals;
    document.getElementById("cov-count").textContent = cState.idx.length + " files · " + t[0] + " of " + t[1] + " lines covered" + (t[3] ? " · " + t[2] + " of " + t[3] + " branches" : "") + " · least covered first";
    pager(document.getElementById("cov-pager"), cState.idx.length, cState.page, function (p) { cState.page = p; renderCoverage(); });
  }
  function renderNewCode() {
    var nc = D.verdict && D.verdict.new_code;
    if (!nc || !nc.uncovered) return;
    var box = document.getElementById("new-code");
    box.appendChild(el("h3", { text: "Uncovered new lines" + (nc.base ? " (against " + nc.base + ")" : "") }));
    var tb = el("tbody");
    Object.keys(nc.uncovered).forEach(function (path) {
      var lines = nc.uncovered[path];
      tb.appendChild(el("tr", null, el("td", { cls: "mono", text: path }), el("td", { cls: "mono missed new", text: Array.isArray(lines) ? lines.join(", ") : String(lines) })));
    });
    box.appendChild(el("table", { cls: "grid" }, el("thead", null, el("tr", null, el("th", { text: "file" }), el("th", { text: "uncovered new lines" }))), tb));
  }

  // ---- performance, findings, history ------------------------------------------------
  function table(headers, rows, numeric, cls) {
    var tb = el("tbody");
    rows.forEach(function (r) {
      var tr = el("tr");
      r.forEach(function (c, i) { tr.appendChild(el("td", { cls: numeric && numeric[i] ? "num" : "", text: c === null || c === undefined ? "" : String(c) })); });
      tb.appendChild(tr);
    });
    var hr = el("tr");
    headers.forEach(function (h, i) { hr.appendChild(el("th", { cls: numeric && numeric[i] ? "num" : "", text: h })); });
    return el("table", { cls: "grid" + (cls ? " " + cls : "") }, el("thead", null, hr), tb);
  }
  function renderPerf() {
    var box = document.getElementById("perf"), names = Object.keys(D.perf);
    if (!names.length) { box.appendChild(el("p", { cls: "muted", text: "No performance report was read." })); return; }
    var stats = ["p50_ms", "p95_ms", "p99_ms", "avg_ms", "rps", "error_rate"];
    box.appendChild(table(["scenario"].concat(stats), names.map(function (n) {
      return [n].concat(stats.map(function (s) { var v = D.perf[n][s]; return v === undefined ? "–" : (Math.round(v * 100) / 100); }));
    }), [false, true, true, true, true, true, true]));
  }
  var SEV = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
  function renderFindings() {
    var box = document.getElementById("findings");
    if (!D.findings.length) { box.appendChild(el("p", { cls: "muted", text: "No findings were read." })); return; }
    var rows = D.findings.slice().sort(function (a, b) { return (SEV[a.severity] || 9) - (SEV[b.severity] || 9); });
    var page = 0, wrap = el("div"), pg = el("div", { cls: "pager" });
    function draw() {
      clear(wrap);
      wrap.appendChild(table(["severity", "category", "tool", "rule", "where", "message"], rows.slice(page * PAGE, page * PAGE + PAGE).map(function (f) {
        var where = f.package ? f.package + (f.version ? "@" + f.version : "") : (f.path ? f.path + (f.line ? ":" + f.line : "") : "");
        return [f.severity, f.category, f.tool, f.rule, where, f.message];
      }), null, "findings"));
      pager(pg, rows.length, page, function (p) { page = p; draw(); });
    }
    box.appendChild(wrap); box.appendChild(pg); draw();
  }
  function renderHistory() {
    var box = document.getElementById("flaky-slow"), H = D.history;
    if (H.base) {
      var fx = H.fixed || [], nw = D.failures.filter(function (f) { return f.mark && f.mark.kind === "new"; });
      box.appendChild(el("p", { id: "changes", text: "Against run " + H.base.run + (H.base.commit ? " (commit " + H.base.commit.slice(0, 10) + ")" : "") + ": " + nw.length + " new failure" + (nw.length === 1 ? "" : "s") + ", " + fx.length + " fixed test" + (fx.length === 1 ? "" : "s") + (fx.length ? " (" + fx.slice(0, 10).map(function (f) { return f.test; }).join(", ") + (fx.length > 10 ? ", …" : "") + ")" : "") + "." }));
    }
    if (H.flaky_rate) box.appendChild(el("p", { cls: "muted", id: "flaky-rate", text: H.flaky_rate.text + " (the chart's flaky rate; the filter 'flaky' shows the table's tests)" }));
    if (H.flaky.length) {
      box.appendChild(el("h3", { text: "Flaky tests" }));
      box.appendChild(table(["test", "kind", "score", "evidence"], H.flaky.map(function (f) { return [f.test, f.kind || "flaky", f.score, f.evidence || (f.runs + " runs, " + f.flips + " flips")]; }), [false, false, true, false]));
    }
    if (H.slow.length) {
      box.appendChild(el("h3", { text: "Slowest tests" }));
      box.appendChild(table(["test", "p50", "p95", "total"], H.slow.map(function (s) { return [s.test, secs(s.p50_s), secs(s.p95_s), secs(s.total_s)]; }), [false, true, true, true]));
    }
  }


  // ---- charts (uPlot, inlined): time axes, units, tooltips with the run, zoom, alerts ----
  var PALETTE = ["#3451b2", "#1a7f37", "#9a6700", "#cf222e", "#8250df", "#0a7ea4", "#bc4c00", "#57606a"];
  function fmtUnit(v, unit) {
    if (v === null || v === undefined) return "–";
    if (unit === "%") return v.toFixed(1) + "%";
    if (unit === "s") return v < 1 ? (v * 1000).toFixed(0) + " ms" : v.toFixed(1) + " s";
    return String(Math.round(v * 100) / 100);
  }
  function rolling(xs, vals, n, q) {
    var out = [];
    for (var i = 0; i < vals.length; i++) {
      var w = [];
      for (var j = Math.max(0, i - n + 1); j <= i; j++) if (vals[j] !== null) w.push(vals[j]);
      if (!w.length) { out.push(null); continue; }
      w.sort(function (a, b) { return a - b; });
      out.push(w[Math.min(w.length - 1, Math.ceil(q * w.length) - 1)]);
    }
    return out;
  }
  function chartData(keys) {
    var S = D.history.series, ts = {}, runOf = {};
    keys.forEach(function (k) { (S[k] || []).forEach(function (p) { ts[p[0]] = 1; runOf[p[0]] = p[2]; }); });
    var xs = Object.keys(ts).map(Number).sort(function (a, b) { return a - b; });
    var cols = keys.map(function (k) {
      var m = {};
      (S[k] || []).forEach(function (p) { m[p[0]] = p[1]; });
      return xs.map(function (x) { return x in m ? m[x] : null; });
    });
    return { xs: xs, cols: cols, runs: xs.map(function (x) { return runOf[x]; }) };
  }
  var ALERTS = {};
  (D.history.alerts || []).forEach(function (a) { (ALERTS[a[0]] = ALERTS[a[0]] || []).push(a[2]); });
  function chart(box, id, title, unit, keys, labels, extra) {
    var d = chartData(keys);
    if (!d.xs.length) return;
    var cols = d.cols.slice(), names = labels.slice();
    if (extra) extra(d, cols, names);
    var wrap = el("div", { cls: "chart", id: "chart-" + id });
    var tip = el("div", { cls: "tip" });
    tip.style.display = "none";
    box.appendChild(wrap);
    var series = [{}];
    names.forEach(function (n, i) {
      series.push({ label: n, stroke: PALETTE[i % PALETTE.length], width: 2, spanGaps: true,
        points: { show: true, size: 5 }, value: function (u, v) { return fmtUnit(v, unit); } });
    });
    var opts = {
      title: title + (unit ? " (" + (unit === "%" ? "%" : unit === "s" ? "seconds" : unit) + ")" : ""),
      width: Math.max(240, wrap.clientWidth || 520), height: 220,
      scales: { x: { time: true }, y: unit === "%" ? { range: function (u, lo, hi) { return [Math.min(lo, Math.max(0, lo - 5)), Math.max(hi, Math.min(100, hi + 5))]; } } : {} },
      axes: [{}, { size: 72, values: function (u, vals) { return vals.map(function (v) { return fmtUnit(v, unit); }); } }],
      cursor: { drag: { x: true, y: false } },
      legend: { show: true },
      series: series,
      hooks: {
        draw: [function (u) {
          // alerts as markers: a dashed red line at each run that fired one
          var ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = "#cf222e"; ctx.setLineDash([4, 3]); ctx.lineWidth = 1;
          Object.keys(ALERTS).forEach(function (t) {
            var x = u.valToPos(Number(t), "x", true);
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
            ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
          });
          ctx.restore();
        }],
        setCursor: [function (u) {
          var i = u.cursor.idx;
          if (i === null || i === undefined || u.cursor.left < 0) { tip.style.display = "none"; return; }
          clear(tip);
          var x = d.xs[i], run = d.runs[i];
          tip.appendChild(el("div", { cls: "tdate", text: new Date(x * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC" }));
          if (D.links && D.links.run) {
            var link = el("a", { cls: "trun", text: "run " + run, title: "its page on the dashboard" });
            link.href = D.links.run + encodeURIComponent(run);
            tip.appendChild(link);
          } else if (run === D.run.id) {
            tip.appendChild(el("a", { cls: "trun", text: "run " + run + " (this run)", href: "#summary" }));
          } else {
            tip.appendChild(el("div", { cls: "trun", text: "run " + run }));
          }
          names.forEach(function (n, k) { tip.appendChild(el("div", { text: n + ": " + fmtUnit(cols[k][i], unit) })); });
          (ALERTS[x] || []).forEach(function (a) { tip.appendChild(el("div", { cls: "talert", text: "alert: " + a })); });
          tip.style.display = "block";
          var left = u.cursor.left + u.bbox.left / devicePixelRatio + 12;
          if (left + 220 > wrap.clientWidth) left = Math.max(0, u.cursor.left - 220);
          tip.style.left = left + "px";
          tip.style.top = (u.cursor.top + 30) + "px";
        }]
      }
    };
    var u = new uPlot(opts, [d.xs].concat(cols), wrap);
    wrap.appendChild(tip);
    CHARTS.push(u);
  }
  var CHARTS = [];
  function renderCharts() {
    var box = document.getElementById("charts");
    if (!box || typeof uPlot === "undefined" || !D.history.series) return;
    var S = D.history.series;
    function has(prefix) { return Object.keys(S).filter(function (k) { return k.indexOf(prefix) === 0; }).sort(); }
    chart(box, "coverage", "Coverage", "%", ["coverage.line", "coverage.branch", "coverage.new_code"], ["line", "branch", "new code"]);
    chart(box, "pass-rate", "Pass rate", "%", ["tests.pass_rate"], ["pass rate"]);
    var stages = has("stage.");
    chart(box, "duration", "Duration", "s", ["pipeline.duration_s"].concat(stages), ["pipeline"].concat(stages.map(function (k) { return "stage " + k.slice(6, -11); })), function (d, cols, names) {
      cols.splice(1, 0, rolling(d.xs, cols[0], 10, 0.5), rolling(d.xs, cols[0], 10, 0.95));
      names.splice(1, 0, "pipeline p50 (last 10 runs)", "pipeline p95 (last 10 runs)");
    });
    chart(box, "flaky", "Flaky rate: tests that flipped on one commit", "%", ["history.flaky_rate"], ["flaky rate"]);
    chart(box, "retried", "Tests retried within the run", "", ["tests.retried"], ["retried"]);
    var fails = has("failures.");
    chart(box, "failures", "Failed tests by component (suite)", "", fails.length ? fails : ["tests.failed"], fails.length ? fails.map(function (k) { return k.slice(9); }) : ["failed"]);
    var resize = debounce(function () {
      CHARTS.forEach(function (u) { u.setSize({ width: Math.max(240, u.root.parentNode.clientWidth), height: 220 }); });
    }, 150);
    window.addEventListener("resize", resize);
  }

  renderFailures();
  renderGroups();
  renderLogs();
  wireTests();
  renderTests();
  document.getElementById("cov-search").addEventListener("input", debounce(function () {
    cState.q = document.getElementById("cov-search").value.trim().toLowerCase(); cState.page = 0; cState.idx = null; renderCoverage();
  }, 120));
  renderCoverage();
  renderNewCode();
  renderPerf();
  renderFindings();
  renderHistory();
  renderCharts();
  document.body.setAttribute("data-ready", "1");
})();
