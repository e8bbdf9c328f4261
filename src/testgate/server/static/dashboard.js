/* testgate dashboard: the branch selector and the charts (uPlot, vendored, served from the
   package). Data comes from <script type="application/json" id="tg-charts">, never executed. */
(function () {
  "use strict";
  var form = document.getElementById("branch-form");
  var select = document.getElementById("branch-select");
  if (form && select) {
    select.addEventListener("change", function () { form.submit(); });
  }
  var holder = document.getElementById("tg-charts");
  if (!holder || typeof uPlot === "undefined") { return; }
  var charts = JSON.parse(holder.textContent);
  function fmt(v, unit) {
    if (v === null || v === undefined) { return "–"; }
    var n = Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
    return unit === "%" ? n + "%" : unit ? n + " " + unit : n;
  }
  function when(t) {
    return new Date(t * 1000).toISOString().slice(0, 16).replace("T", " ");
  }
  function tooltip(chart) {
    var tip;
    return {
      hooks: {
        init: function (u) {
          tip = document.createElement("div");
          tip.className = "tg-tip";
          tip.style.display = "none";
          u.over.appendChild(tip);
          u.over.addEventListener("mouseleave", function () { tip.style.display = "none"; });
          u.over.addEventListener("click", function () {
            var i = u.cursor.idx;
            if (i !== null && i !== undefined && chart.runs[i]) {
              window.location.href = "/runs/" + encodeURIComponent(chart.runs[i]);
            }
          });
        },
        setCursor: function (u) {
          var i = u.cursor.idx;
          if (i === null || i === undefined) { tip.style.display = "none"; return; }
          tip.textContent = "";
          var head = document.createElement("strong");
          head.textContent = chart.runs[i];
          tip.appendChild(head);
          tip.appendChild(document.createTextNode(" " + when(chart.x[i]) + " · " + fmt(chart.y[i], chart.unit)));
          tip.style.display = "block";
          var left = u.valToPos(chart.x[i], "x");
          var top = u.valToPos(chart.y[i], "y");
          tip.style.left = Math.min(left + 8, u.over.clientWidth - 160) + "px";
          tip.style.top = Math.max(top - 30, 0) + "px";
        }
      }
    };
  }
  charts.forEach(function (chart) {
    var fig = document.querySelector('figure.chart[data-chart="' + CSS.escape(chart.key) + '"] .plot');
    if (!fig || !chart.x.length) { return; }
    var width = Math.max(260, Math.min(fig.clientWidth || 420, 560));
    var opts = {
      width: width,
      height: 180,
      plugins: [tooltip(chart)],
      cursor: { drag: { x: true, y: false }, points: { size: 8 } },
      legend: { show: false },
      scales: { x: { time: true } },
      axes: [
        { stroke: "#57606a", grid: { stroke: "#eaeef2" } },
        { stroke: "#57606a", grid: { stroke: "#eaeef2" }, size: 64,
          values: function (u, vals) { return vals.map(function (v) { return fmt(v, chart.unit); }); } }
      ],
      series: [
        {},
        { label: chart.title, stroke: "#0969da", width: 2, fill: "rgba(9,105,218,0.08)",
          points: { show: chart.x.length <= 60, size: 5 } }
      ]
    };
    new uPlot(opts, [chart.x, chart.y], fig);
  });
})();
