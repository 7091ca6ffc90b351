/**
 * The report's own browser script (plain ES5-style JavaScript, run after Chart.js's UMD build). It
 * reads the JSON data block, draws each trade-off scatter with the per-device Pareto step lines and
 * a label beside every point it has room for, copies each chart into an <img> (what print and PDF
 * show), and makes the table sortable. It is a string because the node-side TS project has no DOM
 * types; the headless Chromium tests in test/report run it for real.
 *
 * fmtUs / fmtBytes repeat common/format.ts for axis ticks: the report must work offline without a
 * module loader, and ticks are the only labels not precomputed on the Node side.
 */
export const REPORT_SCRIPT = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);

  function fmt3(x, units) {
    if (!isFinite(x)) return '';
    if (x === 0) return '0 ' + units[0][0];
    var i = 0;
    while (i + 1 < units.length && Math.abs(x) >= units[i + 1][1]) i++;
    var r = Number((x / units[i][1]).toPrecision(3));
    if (i + 1 < units.length && Math.abs(r) >= 1000) { i++; r = Number((x / units[i][1]).toPrecision(3)); }
    var mag = Math.floor(Math.log10(Math.abs(r)));
    return r.toFixed(Math.max(0, 2 - mag)) + ' ' + units[i][0];
  }
  function fmtUs(us) { return fmt3(us, [['ns', 1e-3], ['µs', 1], ['ms', 1e3], ['s', 1e6]]); }
  function fmtBytes(b) {
    if (Math.abs(b) < 999.5) return Math.round(b) + ' B';
    return fmt3(b, [['B', 1], ['KiB', 1024], ['MiB', 1048576], ['GiB', 1073741824]]);
  }

  function fade(hex) { return hex + '4d'; }

  // Labels beside the markers, front points first, each placed where it overlaps no marker and no
  // other label (right, left, above, below); a label with no room is left out, the tooltip keeps it.
  var labelPlugin = {
    id: 'ebLabels',
    afterDatasetsDraw: function (c) {
      var ctx = c.ctx, area = c.chartArea, boxes = [], todo = [];
      c.data.datasets.forEach(function (ds, di) {
        if (ds.isFront) return;
        c.getDatasetMeta(di).data.forEach(function (el, i) {
          var p = ds.data[i];
          boxes.push({ x1: el.x - 5, y1: el.y - 5, x2: el.x + 5, y2: el.y + 5 });
          todo.push({ el: el, p: p });
        });
      });
      todo.sort(function (a, b) { return (b.p.onFront ? 1 : 0) - (a.p.onFront ? 1 : 0); });
      ctx.save();
      ctx.font = '10px system-ui, sans-serif';
      ctx.fillStyle = Chart.defaults.color;
      ctx.textBaseline = 'middle';
      todo.forEach(function (t) {
        var w = ctx.measureText(t.p.label).width, h = 11, x0 = t.el.x, y0 = t.el.y;
        var spots = [[x0 + 8, y0], [x0 - 8 - w, y0], [x0 - w / 2, y0 - 11], [x0 - w / 2, y0 + 11]];
        for (var k = 0; k < spots.length; k++) {
          var b = { x1: spots[k][0], y1: spots[k][1] - h / 2, x2: spots[k][0] + w, y2: spots[k][1] + h / 2 };
          if (b.x1 < area.left || b.x2 > area.right || b.y1 < area.top || b.y2 > area.bottom) continue;
          var hit = boxes.some(function (o) { return !(b.x2 < o.x1 || b.x1 > o.x2 || b.y2 < o.y1 || b.y1 > o.y2); });
          if (hit) continue;
          boxes.push(b);
          ctx.fillText(t.p.label, b.x1, spots[k][1]);
          break;
        }
      });
      ctx.restore();
    }
  };

  function drawChart(figure, chart) {
    var canvas = document.getElementById('chart-' + chart.id);
    if (!canvas || chart.series.length === 0) { figure.setAttribute('data-chart', 'empty'); return; }
    if (typeof Chart === 'undefined') throw new Error('Chart.js did not load.');
    var fmt = chart.unit === 'bytes' ? fmtBytes : fmtUs;
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
        if (!chart.logX) return fmt(v);
        var m = v / Math.pow(10, Math.floor(Math.log10(v)));
        var keep = [1, 2, 5].some(function (k) { return Math.abs(m - k) < 0.01; });
        return keep ? fmt(v) : '';
      }
    };
    // Pad both ranges so markers at the extremes are not cut in half by the axes.
    var xs = [], ys = [];
    chart.series.forEach(function (s) { s.points.forEach(function (p) { xs.push(p.x); ys.push(p.y); }); });
    var lo = Math.min.apply(null, xs), hi = Math.max.apply(null, xs);
    var xMin = chart.logX ? lo / 1.3 : Math.max(0, lo - 0.08 * (hi - lo || hi));
    var xMax = chart.logX ? hi * 1.6 : hi + 0.15 * (hi - lo || hi);
    var yLo = Math.min.apply(null, ys), yHi = Math.max.apply(null, ys), yPad = Math.max(0.5, 0.08 * (yHi - yLo));
    var instance = new Chart(canvas, {
      type: 'scatter',
      data: { datasets: datasets },
      plugins: [labelPlugin],
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, devicePixelRatio: 2,
        interaction: { mode: 'nearest', intersect: true },
        scales: {
          x: { type: chart.logX ? 'logarithmic' : 'linear', ticks: xTicks, min: xMin, max: xMax,
               title: { display: true, text: chart.xTitle + (chart.logX ? ', log scale' : '') } },
          y: { min: Math.max(0, yLo - yPad), max: Math.min(100, yHi + yPad),
               ticks: { callback: function (v) { return Number(v.toFixed(2)) + ' %'; } },
               title: { display: true, text: 'top-1 accuracy' } }
        },
        plugins: {
          legend: { display: false },
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
    var img = figure.querySelector('img.chart-img');
    if (img) img.src = instance.toBase64Image('image/png', 1);
    figure.setAttribute('data-chart', 'ready');
  }

  function cellValue(row, col) {
    var td = row.cells[col];
    if (!td) return '';
    var v = td.getAttribute('data-v');
    return v === null ? td.textContent.trim().toLowerCase() : Number(v);
  }

  // Ascending, descending, then back to the grouped order; while sorted, lineage headers hide.
  function setupSort() {
    var table = document.getElementById('results');
    if (!table) return;
    var body = table.tBodies[0];
    var original = Array.prototype.slice.call(body.rows);
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = th.querySelector('button');
      button.addEventListener('click', function () {
        var was = th.getAttribute('aria-sort');
        var next = was === 'ascending' ? 'descending' : was === 'descending' ? null : 'ascending';
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        if (next === null) {
          original.forEach(function (r) { r.hidden = false; body.appendChild(r); });
          return;
        }
        th.setAttribute('aria-sort', next);
        var rows = original.filter(function (r) { r.hidden = !r.classList.contains('result'); return !r.hidden; });
        rows.sort(function (a, b) {
          var x = cellValue(a, col), y = cellValue(b, col);
          // Missing figures sort last in both directions.
          var mx = x === '' || x === '—', my = y === '' || y === '—';
          if (mx || my) return mx === my ? 0 : mx ? 1 : -1;
          var c = x < y ? -1 : x > y ? 1 : 0;
          return next === 'ascending' ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  setupSort();
  var dark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
  if (typeof Chart !== 'undefined') {
    Chart.defaults.color = dark ? '#c9d1d9' : '#3b4250';
    Chart.defaults.borderColor = dark ? 'rgba(255,255,255,0.12)' : 'rgba(0,0,0,0.10)';
  }
  data.chart.charts.forEach(function (chart) {
    var figure = document.querySelector('figure[data-chart-id="' + chart.id + '"]');
    if (!figure) return;
    try { drawChart(figure, chart); }
    catch (e) {
      figure.setAttribute('data-chart', 'error');
      var msg = document.createElement('p');
      msg.textContent = 'The chart could not be drawn: ' + (e && e.message ? e.message : String(e));
      figure.appendChild(msg);
    }
  });
  document.body.setAttribute('data-report', 'ready');
})();
`
