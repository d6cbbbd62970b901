// kvsim report page script: draws every chart as inline SVG from the JSON embedded in the page (no
// network, no libraries). When done it writes "ok N charts" into #status, or "error: ..." on a script
// error or a chart with nothing drawn in it; tests/report reads #status from headless Chromium.
(function () {
  'use strict';
  const status = document.getElementById('status');
  window.onerror = function (msg, src, line) {
    status.textContent = 'error: ' + msg + ' (line ' + line + ')';
    status.className = 'error';
  };
  const D = JSON.parse(document.getElementById('kvsim-data').textContent);
  const main = document.getElementById('main');
  const NS = 'http://www.w3.org/2000/svg';
  const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
  const figures = [];

  function svgEl(tag, attrs, parent) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function htmlEl(tag, attrs, parent, text) {
    const e = document.createElement(tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function mark(tag, attrs, parent, tip) {
    const e = svgEl(tag, attrs, parent);
    e.classList.add('mark');
    if (tip) svgEl('title', {}, e).textContent = tip;
    return e;
  }
  function text(svg, x, y, s, attrs) {
    const t = svgEl('text', Object.assign({x: x, y: y}, attrs || {}), svg);
    t.textContent = s;
    return t;
  }
  function section(title, note) {
    const s = htmlEl('section', {}, main);
    htmlEl('h2', {}, s, title);
    if (note) htmlEl('p', {class: 'note'}, s, note);
    return s;
  }
  function figure(parent, title, w, h) {
    const f = htmlEl('figure', {class: 'chart'}, parent);
    htmlEl('figcaption', {}, f, title);
    const svg = svgEl('svg', {viewBox: '0 0 ' + w + ' ' + h, width: w, height: h, role: 'img'}, f);
    figures.push({title: title, svg: svg});
    return svg;
  }
  function fmt(x) {
    if (x === null || x === undefined || !isFinite(x)) return '-';
    const a = Math.abs(x);
    if (Number.isInteger(x) && a < 1e6) return String(x);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(1);
    return +x.toPrecision(3) + '';
  }
  function gib(b) { return b / 1073741824; }

  function ticks(lo, hi, n) {
    if (!(hi > lo)) { hi = lo + 1; }
    const step0 = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(step0)));
    const step = [1, 2, 5, 10].map(m => m * mag).find(s => s >= step0);
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    return out;
  }
  // A plot area with axes; returns scale functions. opts: logx (base 2), ylo, yhi, xlo, xhi.
  function plotArea(svg, w, h, xs, ys, xlabel, ylabel, opts) {
    opts = opts || {};
    const L = 62, R = 26, T = 10, B = 40;
    const pw = w - L - R, ph = h - T - B;
    let xlo = opts.xlo !== undefined ? opts.xlo : Math.min.apply(null, xs), xhi = opts.xhi !== undefined ? opts.xhi : Math.max.apply(null, xs);
    let ylo = opts.ylo !== undefined ? opts.ylo : Math.min(0, Math.min.apply(null, ys)), yhi = opts.yhi !== undefined ? opts.yhi : Math.max.apply(null, ys);
    if (!(yhi > ylo)) yhi = ylo + 1;
    yhi = yhi + (yhi - ylo) * 0.05;
    const logx = !!opts.logx && xlo > 0;
    const tx = v => logx ? Math.log2(v) : v;
    if (!(xhi > xlo)) { xhi = xlo + 1; if (logx) xhi = xlo * 2; }
    const X = v => L + (tx(v) - tx(xlo)) / (tx(xhi) - tx(xlo)) * pw;
    const Y = v => T + ph - (v - ylo) / (yhi - ylo) * ph;
    svgEl('rect', {x: L, y: T, width: pw, height: ph, class: 'frame'}, svg);
    for (const v of ticks(ylo, yhi, 5)) {
      svgEl('line', {x1: L, x2: L + pw, y1: Y(v), y2: Y(v), class: 'grid'}, svg);
      text(svg, L - 5, Y(v) + 4, fmt(v), {'text-anchor': 'end', class: 'tick'});
    }
    const xt = opts.categories ? [] : logx ? xs.filter((v, i) => xs.indexOf(v) === i).sort((a, b) => a - b) : ticks(xlo, xhi, 6);
    if (opts.categories) opts.categories.forEach((c, i) => text(svg, X(i + 0.5), T + ph + 16, c, {'text-anchor': 'middle', class: 'tick'}));
    for (const v of xt) {
      svgEl('line', {x1: X(v), x2: X(v), y1: T + ph, y2: T + ph + 4, class: 'axis'}, svg);
      text(svg, X(v), T + ph + 16, fmt(v), {'text-anchor': 'middle', class: 'tick'});
    }
    text(svg, L + pw / 2, h - 6, xlabel, {'text-anchor': 'middle', class: 'label'});
    text(svg, 14, T + ph / 2, ylabel, {'text-anchor': 'middle', class: 'label', transform: 'rotate(-90 14 ' + (T + ph / 2) + ')'});
    return {X: X, Y: Y, L: L, T: T, pw: pw, ph: ph};
  }
  function legend(parent, names, colors) {
    const div = htmlEl('div', {class: 'legend'}, parent);
    names.forEach((n, i) => {
      const item = htmlEl('span', {}, div);
      htmlEl('i', {style: 'background:' + (colors ? colors[i] : PALETTE[i % PALETTE.length])}, item);
      item.appendChild(document.createTextNode(n));
    });
  }
  // series: [{name, points: [[x, y], ...]}]
  function lineChart(parent, title, series, xlabel, ylabel, opts) {
    opts = opts || {};
    const w = opts.w || 440, h = opts.h || 280;
    const svg = figure(parent, title, w, h);
    const xs = [], ys = [];
    series.forEach(s => s.points.forEach(p => { xs.push(p[0]); ys.push(p[1]); }));
    if (!xs.length) return;
    const a = plotArea(svg, w, h, xs, ys, xlabel, ylabel, opts);
    series.forEach((s, i) => {
      if (!s.points.length) return;
      const c = PALETTE[i % PALETTE.length];
      let d = '';
      s.points.forEach((p, k) => {
        if (opts.step && k > 0) d += 'L' + a.X(p[0]) + ',' + a.Y(s.points[k - 1][1]);
        d += (k ? 'L' : 'M') + a.X(p[0]) + ',' + a.Y(p[1]);
      });
      mark('path', {d: d, fill: 'none', stroke: c, 'stroke-width': 2}, svg, s.name);
      if (!opts.step) s.points.forEach(p => mark('circle', {cx: a.X(p[0]), cy: a.Y(p[1]), r: 3, fill: c}, svg, s.name + ': ' + fmt(p[0]) + ', ' + fmt(p[1])));
    });
    legend(svg.parentNode, series.map(s => s.name));
  }
  // Per GPU: weights and peak KV stacked, the usable memory (weights + KV capacity) as a line.
  function memoryBars(parent, title, gpus, yhi) {
    const w = Math.max(260, 60 + gpus.length * 34), h = 260;
    const svg = figure(parent, title, w, h);
    const cap = gpus.map(g => gib(g.weights_bytes + g.kv_capacity_bytes));
    const a = plotArea(svg, w, h, [0, gpus.length], [0, yhi || Math.max.apply(null, cap)], 'GPU', 'GiB', {xlo: 0, xhi: gpus.length, ylo: 0, yhi: yhi, categories: gpus.map((_, i) => i)});
    const bw = a.pw / gpus.length;
    gpus.forEach((g, i) => {
      const x = a.X(i) + bw * 0.15, wid = bw * 0.7;
      const wt = gib(g.weights_bytes), kv = gib(g.peak_kv_bytes);
      mark('rect', {x: x, y: a.Y(wt), width: wid, height: a.Y(0) - a.Y(wt), fill: PALETTE[0]}, svg, 'GPU ' + i + ' weights ' + fmt(wt) + ' GiB');
      mark('rect', {x: x, y: a.Y(wt + kv), width: wid, height: a.Y(wt) - a.Y(wt + kv), fill: PALETTE[1]}, svg, 'GPU ' + i + ' peak KV ' + fmt(kv) + ' GiB');
      mark('line', {x1: x - 2, x2: x + wid + 2, y1: a.Y(cap[i]), y2: a.Y(cap[i]), stroke: '#333', 'stroke-dasharray': '3,2'}, svg, 'GPU ' + i + ' usable ' + fmt(cap[i]) + ' GiB');
    });
    legend(svg.parentNode, ['weights', 'peak KV', 'usable memory (dashed line)'], [PALETTE[0], PALETTE[1], '#333']);
  }
  function heatColor(t) {  // 0 -> pale, 1 -> dark red
    t = Math.max(0, Math.min(1, t));
    const r = Math.round(255 - 80 * t), g = Math.round(245 - 215 * t), b = Math.round(235 - 205 * t);
    return 'rgb(' + r + ',' + g + ',' + b + ')';
  }
  // Attention seconds per layer (rows) and GPU (columns), coloured by the ratio to the layer's mean.
  function heatmap(parent, title, matrix, maxRatio) {
    const layers = matrix.length, gpus = matrix[0].length;
    const cw = Math.max(14, Math.min(36, 280 / gpus)), rh = Math.max(3, Math.min(12, 360 / layers));
    const w = 50 + cw * gpus + 10, h = 20 + rh * layers + 30;
    const svg = figure(parent, title, w, h);
    matrix.forEach((row, l) => {
      const mean = row.reduce((s, v) => s + v, 0) / row.length;
      row.forEach((v, g) => {
        const ratio = mean > 0 ? v / mean : 1;
        mark('rect', {x: 50 + g * cw, y: 20 + l * rh, width: cw - 1, height: rh, fill: heatColor((ratio - 1) / Math.max(maxRatio - 1, 1e-9))},
             svg, 'layer ' + l + ', GPU ' + g + ': ' + fmt(v) + ' s (' + fmt(ratio) + ' x layer mean)');
      });
      if (l % Math.ceil(layers / 8) === 0) text(svg, 45, 20 + l * rh + rh, 'L' + l, {'text-anchor': 'end', class: 'tick'});
    });
    for (let g = 0; g < gpus; ++g) text(svg, 50 + g * cw + cw / 2, 14, g, {'text-anchor': 'middle', class: 'tick'});
    text(svg, 50 + cw * gpus / 2, h - 8, 'GPU (white = layer mean, red = ' + fmt(maxRatio) + ' x mean)', {'text-anchor': 'middle', class: 'label'});
  }
  // Heads and copies on GPUs: a row per layer, a column per GPU; each copy a box as wide as its share.
  function placementDrawing(parent, run) {
    const p = run.placement;
    const layers = p.cells.length, gpus = p.cells[0].length;
    let most = 0;
    p.cells.forEach(row => row.forEach(c => { most = Math.max(most, c.reduce((s, h) => s + h[1], 0)); }));
    const cw = Math.max(40, Math.min(110, 880 / gpus)), rh = Math.max(4, Math.min(14, 640 / layers));
    const w = 50 + cw * gpus + 10, h = 24 + rh * layers + 10;
    const svg = figure(parent, run.name + ': ' + p.kind + ' (' + p.extra_copies + ' extra copies)', w, h);
    for (let g = 0; g < gpus; ++g) text(svg, 50 + g * cw + cw / 2, 14, 'GPU ' + g, {'text-anchor': 'middle', class: 'tick'});
    p.cells.forEach((row, l) => {
      if (l % Math.ceil(layers / 10) === 0) text(svg, 45, 24 + l * rh + rh - 1, 'L' + l, {'text-anchor': 'end', class: 'tick'});
      row.forEach((cell, g) => {
        let x = 50 + g * cw + 2;
        cell.forEach(hs => {
          const wid = Math.max(2, hs[1] / Math.max(most, 1e-9) * (cw - 6));
          mark('rect', {x: x, y: 24 + l * rh, width: wid, height: rh - 1, fill: PALETTE[hs[0] % PALETTE.length], opacity: hs[1] < 0.999 ? 0.6 : 1},
               svg, 'layer ' + l + ', GPU ' + g + ': head ' + hs[0] + (hs[1] < 0.999 ? ' (copy serving ' + fmt(100 * hs[1]) + '% of requests)' : ''));
          x += wid + 1;
        });
      });
    });
    legend(svg.parentNode, Array.from({length: Math.min(p.kv_heads, 10)}, (_, i) => 'kv head ' + i + (p.kv_heads > 10 ? ' (+10k)' : '')));
  }
  function barChart(parent, title, bars, ylabel, refValue, refLabel) {
    const w = Math.max(360, 70 + bars.length * 28), h = 300;
    const svg = figure(parent, title, w, h);
    const ys = bars.map(b => b.value).concat(refValue ? [refValue] : []);
    const a = plotArea(svg, w, h, [0, bars.length], ys, '', ylabel, {xlo: 0, xhi: bars.length, ylo: 0, categories: bars.map((_, i) => i + 1)});
    const bw = a.pw / bars.length;
    bars.forEach((b, i) => {
      mark('rect', {x: a.X(i) + bw * 0.15, y: a.Y(b.value), width: bw * 0.7, height: Math.max(0.5, a.Y(0) - a.Y(b.value)), fill: b.color || PALETTE[0]}, svg, b.label + ': ' + fmt(b.value));
    });
    if (refValue) {
      mark('line', {x1: a.L, x2: a.L + a.pw, y1: a.Y(refValue), y2: a.Y(refValue), stroke: '#e15759', 'stroke-dasharray': '5,3'}, svg, refLabel);
    }
    const ol = htmlEl('ol', {class: 'barkey'}, svg.parentNode);
    bars.forEach(b => htmlEl('li', {}, ol, b.label + ': ' + fmt(b.value)));
  }
  function table(parent, header, rows) {
    const t = htmlEl('table', {}, parent);
    const tr = htmlEl('tr', {}, t);
    header.forEach(h => htmlEl('th', {}, tr, h));
    rows.forEach(r => { const row = htmlEl('tr', {}, t); r.forEach(c => htmlEl('td', {}, row, typeof c === 'number' ? fmt(c) : c)); });
  }
  function lat(run, what, q) { return run.latency_s && run.latency_s[what] ? run.latency_s[what][q] : null; }

  // ---- runs ----
  const runs = D.runs || [];
  if (runs.length) {
    const s = section('Runs', runs.length + ' run' + (runs.length > 1 ? 's' : '') + ' of ' + (runs[0].model || 'the model') + ' on ' + runs[0].gpu_count + ' GPUs.');
    table(s, ['run', 'completed', 'rejected', 'output tok/s', 'decode-only tok/s', 'p99 TTFT (s)', 'p99 TPOT (s)', 'KV max/mean', 'attention max/mean'],
          runs.map(r => [r.name, r.requests ? r.requests.completed : '', r.requests ? r.requests.rejected : '',
                         r.throughput.output_tokens_per_s, r.throughput.decode_only_tokens_per_s, lat(r, 'ttft', 'p99'), lat(r, 'tpot', 'p99'),
                         r.imbalance.kv_bytes_max_over_mean, r.imbalance.attention_max_over_mean]));
    const mem = section('Memory per GPU', 'Weights and the peak KV cache each GPU held, against its usable memory (capacity less the reserve). The fullest GPU decides how many requests fit.');
    const yhi = Math.max.apply(null, runs.map(r => Math.max.apply(null, r.gpus.map(g => gib(g.weights_bytes + Math.max(g.kv_capacity_bytes, g.peak_kv_bytes))))));
    runs.forEach(r => memoryBars(mem, r.name, r.gpus, yhi));
    const withAttention = runs.filter(r => r.attention && r.attention.length);
    if (withAttention.length) {
      const hm = section('Attention load per layer and GPU', 'Attention seconds over the run, per layer (rows) and GPU (columns), relative to the layer mean. Every layer waits for its slowest GPU at the all-reduce, so red cells are time the others spend idle.');
      let maxRatio = 1;
      withAttention.forEach(r => r.attention.forEach(row => { const m = row.reduce((a, v) => a + v, 0) / row.length; row.forEach(v => { if (m > 0) maxRatio = Math.max(maxRatio, v / m); }); }));
      withAttention.forEach(r => heatmap(hm, r.name + ' (max/mean ' + fmt(r.imbalance.attention_max_over_mean) + ')', r.attention, maxRatio));
    }
    const withCdf = runs.filter(r => r.cdf && r.cdf.ttft_s && r.cdf.ttft_s.length);
    if (withCdf.length) {
      const c = section('Latency distributions', 'Share of completed requests (y) with a latency at most x.');
      [['ttft_s', 'TTFT'], ['tpot_s', 'TPOT'], ['e2e_s', 'end-to-end latency']].forEach(k => {
        const series = withCdf.map(r => ({name: r.name, points: r.cdf[k[0]]}));
        if (series.some(x => x.points.length)) lineChart(c, k[1] + ' CDF', series, k[1] + ' (s)', 'fraction of requests', {step: true, ylo: 0, yhi: 1});
      });
    }
    const withPlacement = runs.filter(r => r.placement && r.placement.cells && r.placement.cells.length);
    if (withPlacement.length) {
      const p = section('Placement', 'Which GPU holds each kv head of each layer. Colour = kv head; a lighter box is one copy of a replicated head, as wide as the share of requests it serves.');
      const pick = htmlEl('select', {id: 'placement-pick'}, p);
      withPlacement.forEach((r, i) => htmlEl('option', {value: i}, pick, r.name));
      const holder = htmlEl('div', {}, p);
      const draw = i => {
        holder.innerHTML = '';
        const idx = figures.findIndex(f => f.placement);
        if (idx >= 0) figures.splice(idx, 1);
        placementDrawing(holder, withPlacement[i]);
        figures[figures.length - 1].placement = true;
      };
      pick.addEventListener('change', () => draw(+pick.value));
      // Start with a placement that copies heads, if any (the interesting drawing).
      let first = withPlacement.findIndex(r => r.placement.kind === 'fair_copying');
      if (first < 0) first = withPlacement.findIndex(r => r.placement.extra_copies > 0);
      if (first < 0) first = 0;
      draw(first);
      pick.value = first;
    }
  }

  // ---- sweep ----
  const sw = D.sweep;
  if (sw) {
    const ok = sw.rows.filter(r => r.status === 'ok');
    const s = section('Sweep', sw.rows.length + ' of ' + sw.total + ' points finished (' + (sw.rows.length - ok.length) + ' could not run). Axes: ' + sw.axes.join(', ') + '.');
    const value = (r, a) => { const ptr = sw.axis_pointers[a]; return ptr && r.set[ptr] !== undefined ? r.set[ptr] : r.labels[a]; };
    let xAxis = sw.axis_pointers.findIndex(p => /\/budget$/.test(p));
    if (xAxis < 0) xAxis = sw.axes.findIndex((_, a) => ok.length && ok.every(r => typeof value(r, a) === 'number'));
    let seriesAxis = sw.axes.findIndex((n, a) => a !== xAxis && /placement/.test(n));
    if (seriesAxis < 0) seriesAxis = sw.axes.findIndex((_, a) => a !== xAxis);
    if (xAxis >= 0 && ok.length) {
      const names = [];
      const groups = {};
      ok.forEach(r => {
        const sname = seriesAxis >= 0 ? r.labels[seriesAxis] : 'all points';
        if (names.indexOf(sname) < 0) names.push(sname);
        const key = sname + '\u0000' + value(r, xAxis);
        (groups[key] = groups[key] || {s: sname, x: value(r, xAxis), rows: []}).rows.push(r);
      });
      const averaged = sw.axes.length > (seriesAxis >= 0 ? 2 : 1);
      const metric = (m, scale) => names.map(n => ({name: n, points: Object.values(groups).filter(g => g.s === n)
        .map(g => [g.x, g.rows.reduce((a, r) => a + (r.metrics[m] || 0), 0) / g.rows.length * (scale || 1)]).sort((a, b) => a[0] - b[0])}));
      const xs = ok.map(r => value(r, xAxis));
      const logx = Math.min.apply(null, xs) > 0 && Math.max.apply(null, xs) / Math.min.apply(null, xs) >= 8;
      const xl = sw.axes[xAxis];
      const c = section('Throughput and latency against ' + xl, averaged ? 'Each point is the mean over the other axes (' + sw.axes.filter((_, a) => a !== xAxis && a !== seriesAxis).join(', ') + ').' : '');
      lineChart(c, 'Output throughput', metric('output_tokens_per_s'), xl, 'tokens/s', {logx: logx, ylo: 0});
      lineChart(c, 'Decode-only throughput', metric('decode_only_tokens_per_s'), xl, 'tokens/s', {logx: logx, ylo: 0});
      lineChart(c, 'p99 TTFT', metric('ttft_p99_s'), xl, 's', {logx: logx, ylo: 0});
      lineChart(c, 'p99 TPOT', metric('tpot_p99_s', 1e3), xl, 'ms', {logx: logx, ylo: 0});
      // Memory of the largest x of each series.
      const mem = section('Memory per GPU per ' + (seriesAxis >= 0 ? sw.axes[seriesAxis] : 'point'), 'At ' + xl + ' = ' + fmt(Math.max.apply(null, xs)) + ' (the first point with it in each series).');
      const picks = names.map(n => ok.filter(r => (seriesAxis >= 0 ? r.labels[seriesAxis] : 'all points') === n && value(r, xAxis) === Math.max.apply(null, xs))[0]).filter(r => r && r.gpus && r.gpus.length);
      const yhi = Math.max.apply(null, picks.map(r => Math.max.apply(null, r.gpus.map(g => gib(g.weights_bytes + Math.max(g.kv_capacity_bytes, g.peak_kv_bytes))))));
      picks.forEach(r => memoryBars(mem, r.name, r.gpus, yhi));
    } else if (ok.length) {
      barChart(s, 'Output throughput per point', ok.slice(0, 80).map(r => ({label: r.name, value: r.metrics.output_tokens_per_s})), 'tokens/s');
    }
    const failed = sw.rows.filter(r => r.status !== 'ok');
    if (failed.length) table(s, ['point', 'could not run because'], failed.slice(0, 50).map(r => [r.name, r.error]));
  }

  // ---- plan ----
  const plan = D.plan;
  if (plan) {
    const s = section('Capacity plan', plan.explanation);
    const fits = plan.configs.filter(c => c.fits);
    if (fits.length) {
      const answer = plan.answer ? plan.answer.label : null;
      barChart(s, 'Largest sustainable request rate per configuration (dashed: target ' + fmt(plan.target_rate_per_s) + ' req/s)',
               fits.map(c => ({label: c.label, value: c.max_rate_per_s, color: c.label === answer ? PALETTE[4] : c.meets_target ? PALETTE[0] : PALETTE[9]})),
               'req/s', plan.target_rate_per_s, 'target');
    }
    table(s, ['configuration', 'fits', 'meets target', 'sustainable req/s', 'p99 TTFT at target (s)', 'p99 TPOT at target (s)', 'why not'],
          plan.configs.map(c => [c.label, c.fits ? 'yes' : 'no', c.fits ? (c.meets_target ? 'yes' : 'no') : '', c.fits ? c.max_rate_per_s : '',
                                 c.fits ? c.at_target.ttft_p99_s : '', c.fits ? c.at_target.tpot_p99_s : '', c.fits ? c.at_target.why_not : c.error]));
  }

  // ---- validation ----
  const val = D.validation;
  if (val && val.points && val.points.length) {
    const s = section('Predicted against measured', 'Each point is one measured quantity; on the dashed line the prediction is exact.');
    const w = 420, h = 360;
    const svg = figure(s, 'predicted vs measured (s)', w, h);
    const all = val.points.map(p => p.measured_s).concat(val.points.map(p => p.predicted_s));
    const hi = Math.max.apply(null, all) * 1.05;
    const a = plotArea(svg, w, h, [0, hi], [0, hi], 'measured (s)', 'predicted (s)', {xlo: 0, xhi: hi, ylo: 0, yhi: hi});
    mark('line', {x1: a.X(0), y1: a.Y(0), x2: a.X(hi), y2: a.Y(hi), stroke: '#888', 'stroke-dasharray': '4,3'}, svg, 'exact');
    val.points.forEach((p, i) => mark('circle', {cx: a.X(p.measured_s), cy: a.Y(p.predicted_s), r: 4, fill: PALETTE[i % PALETTE.length]}, svg,
                                      p.name + ': measured ' + fmt(p.measured_s) + ' s, predicted ' + fmt(p.predicted_s) + ' s'));
    table(s, ['quantity', 'measured (s)', 'predicted (s)', 'error'], val.points.map(p => [p.name, p.measured_s, p.predicted_s,
          fmt(100 * (p.predicted_s - p.measured_s) / p.measured_s) + '%']));
  }

  const empty = figures.filter(f => f.svg.querySelectorAll('.mark').length === 0).map(f => f.title);
  if (status.className !== 'error') {
    if (!figures.length) { status.textContent = 'error: no charts'; status.className = 'error'; }
    else if (empty.length) { status.textContent = 'error: empty chart: ' + empty.join('; '); status.className = 'error'; }
    else { status.textContent = 'ok ' + figures.length + ' charts'; status.className = 'ok'; }
  }
})();
