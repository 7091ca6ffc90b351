/**
 * The report's own browser script (plain ES5-style JavaScript, run after Chart.js's UMD build). It
 * reads the JSON data block, draws the scatter with the per-device Pareto step lines, and makes the
 * table sortable. It is a string because the node-side TS project has no DOM types; the headless
 * Chromium test in test/report runs it for real.
 *
 * fmtUs repeats common/format.ts's formatDuration for axis ticks: the report must work offline
 * without a module loader, and ticks are the only labels not precomputed on the Node side.
 */
export const REPORT_SCRIPT = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);

  function fmtUs(us) {
    if (!isFinite(us)) return '';
    if (us === 0) return '0 µs';
    var u = [['ns', 1e-3], ['µs', 1], ['ms', 1e3], ['s', 1e6]];
    var i = 0;
    while (i + 1 < u.length && Math.abs(us) >= u[i + 1][1]) i++;
    var r = Number((us / u[i][1]).toPrecision(3));
    if (i + 1 < u.length && Math.abs(r) >= 1000) { i++; r = Number((us / u[i][1]).toPrecision(3)); }
    var mag = Math.floor(Math.log10(Math.abs(r)));
    return r.toFixed(Math.max(0, 2 - mag)) + ' ' + u[i][0];
  }

  function fade(hex) { return hex + '4d'; }

  function drawChart(figure, chart) {
    var canvas = document.getElementById('scatter');
    if (!canvas || chart.series.length === 0) {
      figure.setAttribute('data-chart', 'empty');
      return;
    }
    if (typeof Chart === 'undefined') throw new Error('Chart.js did not load.');
    var dark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
    Chart.defaults.color = dark ? '#c9d1d9' : '#3b4250';
    Chart.defaults.borderColor = dark ? 'rgba(255,255,255,0.12)' : 'rgba(0,0,0,0.10)';
    var datasets = [];
    chart.series.forEach(function (s) {
      datasets.push({
        type: 'scatter', label: s.device, data: s.points, order: 0,
        borderColor: s.color, borderWidth: 1.5,
        backgroundColor: s.points.map(function (p) { return p.onFront ? s.color : fade(s.color); }),
        pointStyle: s.points.map(function (p) { return p.shape; }),
        pointRadius: 5, pointHoverRadius: 7
      });
      if (s.front.length > 1) {
        datasets.push({
          type: 'line', label: s.device + ' Pareto front', data: s.front, order: 1, isFront: true,
          borderColor: s.color, borderWidth: 1.5, stepped: 'before', fill: false,
          pointRadius: 0, pointHoverRadius: 0, pointHitRadius: 0
        });
      }
    });
    var xTicks = {
      callback: function (v) {
        if (!chart.logX) return fmtUs(v);
        var m = v / Math.pow(10, Math.floor(Math.log10(v)));
        var keep = [1, 2, 5].some(function (k) { return Math.abs(m - k) < 0.01; });
        return keep ? fmtUs(v) : '';
      }
    };
    // Pad the x range so markers at the extremes are not cut in half by the axes.
    var xs = [];
    chart.series.forEach(function (s) { s.points.forEach(function (p) { xs.push(p.x); }); });
    var lo = Math.min.apply(null, xs), hi = Math.max.apply(null, xs);
    var xMin = chart.logX ? lo / 1.25 : Math.max(0, lo - 0.05 * (hi - lo || hi));
    var xMax = chart.logX ? hi * 1.25 : hi + 0.05 * (hi - lo || hi);
    new Chart(canvas, {
      type: 'scatter',
      data: { datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: 'nearest', intersect: true },
        scales: {
          x: { type: chart.logX ? 'logarithmic' : 'linear', ticks: xTicks, min: xMin, max: xMax,
               title: { display: true, text: 'median latency (p50)' + (chart.logX ? ', log scale' : '') } },
          y: { grace: '5%', ticks: { callback: function (v) { return Number(v.toFixed(2)) + ' %'; } },
               title: { display: true, text: 'top-1 accuracy' } }
        },
        plugins: {
          legend: { labels: { filter: function (item, d) { return !d.datasets[item.datasetIndex].isFront; } } },
          tooltip: {
            filter: function (item) { return !item.dataset.isFront; },
            callbacks: {
              title: function () { return ''; },
              label: function (ctx) { return ctx.raw.tip; }
            }
          }
        }
      }
    });
    figure.setAttribute('data-chart', 'ready');
  }

  function cellValue(row, col) {
    var td = row.cells[col];
    if (!td) return '';
    var v = td.getAttribute('data-v');
    return v === null ? td.textContent.trim().toLowerCase() : Number(v);
  }

  function setupSort() {
    var table = document.getElementById('results');
    if (!table) return;
    var body = table.tBodies[0];
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = th.querySelector('button');
      button.addEventListener('click', function () {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, col), y = cellValue(b, col);
          // Missing figures sort last in both directions.
          var mx = x === '' || x === '—', my = y === '' || y === '—';
          if (mx || my) return mx === my ? 0 : mx ? 1 : -1;
          var c = x < y ? -1 : x > y ? 1 : 0;
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  setupSort();
  var figure = document.getElementById('chart-figure');
  if (figure) {
    try { drawChart(figure, data.chart); }
    catch (e) {
      figure.setAttribute('data-chart', 'error');
      var msg = document.createElement('p');
      msg.textContent = 'The chart could not be drawn: ' + (e && e.message ? e.message : String(e));
      figure.appendChild(msg);
    }
  }
})();
`
