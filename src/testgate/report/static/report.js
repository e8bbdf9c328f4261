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
            el("strong", { text: f.name }), " ",
            el("span", { cls: "muted", text: f.classname || f.suite }),
            f.category ? el("span", { cls: "muted", text: " · " + f.category }) : null),
          el("div", { cls: "fbody" },
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

  function renderLogs() {
    var box = document.getElementById("log-tails");
    if (!box) return;
    Object.keys(D.logs).forEach(function (step) {
      box.appendChild(el("details", { cls: "log" },
        el("summary", { text: "log tail of failed step " + step }),
        el("pre", { text: D.logs[step] })));
    });
  }

  // ---- tests -------------------------------------------------------------------------
  var T = D.tests, tState = { status: "all", q: "", page: 0, idx: null };
  var lower = null;
  function testMatches() {
    var q = tState.q, st = tState.status, rows = T.rows, out = [];
    if (q && lower === null) {
      lower = rows.map(function (r) { return (r[2] + "\u0000" + T.classes[r[1]] + "\u0000" + T.suites[r[0]]).toLowerCase(); });
    }
    // in the unfiltered view failures come first, then the rest in report order
    var order = null;
    if (st === "all") {
      order = [];
      for (var a = 0; a < rows.length; a++) if (rows[a][3] === 1 || rows[a][3] === 2) order.push(a);
      for (var b = 0; b < rows.length; b++) if (rows[b][3] !== 1 && rows[b][3] !== 2) order.push(b);
    }
    for (var k = 0; k < rows.length; k++) {
      var i = order ? order[k] : k;
      var r = rows[i];
      if (st === "failed" && r[3] !== 1 && r[3] !== 2) continue;
      if (st === "skipped" && r[3] !== 3) continue;
      if (st === "passed" && r[3] !== 0) continue;
      if (st === "flaky" && !r[6]) continue;
      if (q && lower[i].indexOf(q) < 0) continue;
      out.push(i);
    }
    return out;
  }
  function renderTests() {
    if (tState.idx === null) tState.idx = testMatches();
    var idx = tState.idx, body = document.querySelector("#test-table tbody");
    clear(body);
    var start = tState.page * PAGE, end = Math.min(idx.length, start + PAGE);
    var frag = document.createDocumentFragment();
    for (var j = start; j < end; j++) {
      var r = T.rows[idx[j]], st = STATUS[r[3]];
      var name = el("td", { cls: "name" }, r[2]);
      if (r[6]) name.appendChild(el("span", { cls: "pill warn", text: "flaky" }));
      var tr = el("tr", { cls: "st-" + st },
        el("td", null, el("span", { cls: "pill " + st, text: st })),
        name,
        el("td", { cls: "muted", text: T.classes[r[1]] }),
        el("td", { cls: "muted", text: T.suites[r[0]] }),
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
    var search = document.getElementById("search");
    search.addEventListener("input", debounce(function () {
      tState.q = search.value.trim().toLowerCase(); tState.page = 0; tState.idx = null; renderTests();
    }, 120));
    var buttons = document.querySelectorAll(".filters button");
    Array.prototype.forEach.call(buttons, function (b) {
      b.addEventListener("click", function () {
        Array.prototype.forEach.call(buttons, function (x) { x.classList.remove("on"); });
        b.classList.add("on");
        tState.status = b.getAttribute("data-status"); tState.page = 0; tState.idx = null; renderTests();
      });
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
    if (H.flaky.length) {
      box.appendChild(el("h3", { text: "Flaky tests" }));
      box.appendChild(table(["test", "kind", "score", "evidence"], H.flaky.map(function (f) { return [f.test, f.kind || "flaky", f.score, f.evidence || (f.runs + " runs, " + f.flips + " flips")]; }), [false, false, true, false]));
    }
    if (H.slow.length) {
      box.appendChild(el("h3", { text: "Slowest tests" }));
      box.appendChild(table(["test", "p50", "p95", "total"], H.slow.map(function (s) { return [s.test, secs(s.p50_s), secs(s.p95_s), secs(s.total_s)]; }), [false, true, true, true]));
    }
  }

  renderFailures();
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
  document.body.setAttribute("data-ready", "1");
})();
