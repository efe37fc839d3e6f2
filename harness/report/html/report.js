// The interactive part of report.html, written by hand so that the file
// works offline and needs nothing fetched: it draws the charts as SVG
// from the data the page carries, sorts tables, shows a figure on hover
// and hides the peers on demand.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
    "#b07aa1", "#ff9da7", "#9c755f", "#5f5a58", "#1b1b1b", "#17becf"];
  const stacks = [...new Set(data.rows.map(r => r.label))];
  const colour = label => palette[stacks.indexOf(label) % palette.length];

  function el(tag, attrs, parent, text) {
    const e = tag.startsWith("svg:") ? document.createElementNS(NS, tag.slice(4)) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }

  // Figures as the text tables print them.
  function dur(ns) {
    if (!isFinite(ns)) return "-";
    // By the rounded figure, so that 999.7µs reads 1.00ms, not 1.00e+3µs.
    if (ns < 999.5) return ns.toFixed(0) + "ns";
    if (ns < 999.5e3) return (ns / 1e3).toPrecision(3) + "µs";
    if (ns < 999.5e6) return (ns / 1e6).toPrecision(3) + "ms";
    return (ns / 1e9).toPrecision(3) + "s";
  }
  const num = (v, d) => v.toFixed(d);
  const pct = q => (100 * (1 - Math.pow(10, -q))).toPrecision(6).replace(/\.?0+$/, "") + "%";

  // Ticks: 1, 2 and 5 per decade on a log axis; about six round ones on a
  // linear one.
  function ticks(lo, hi, log) {
    const out = [];
    if (log) {
      for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
        for (const m of [1, 2, 5]) { const v = m * Math.pow(10, e); if (v >= lo && v <= hi) out.push(v); }
      return out;
    }
    const step = Math.pow(10, Math.floor(Math.log10((hi - lo) / 5 || 1)));
    const s = [1, 2, 5, 10].map(m => m * step).find(s => (hi - lo) / s <= 6) || step * 10;
    for (let v = Math.ceil(lo / s) * s; v <= hi + 1e-9; v += s) out.push(v);
    return out;
  }

  // chart draws series of points {x, y, tip} as lines with a marker at
  // each point; hovering a marker shows its tip.
  function chart(parent, o) {
    const W = 760, H = 320, L = 64, R = 170, T = 28, B = 44;
    const svg = el("svg:svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img" }, parent);
    el("svg:text", { x: 8, y: 16, class: "title" }, svg, o.title);
    const pts = o.series.flatMap(s => s.points);
    if (!pts.length) return svg;
    let [x0, x1] = o.xDomain || [Math.min(...pts.map(p => p.x)), Math.max(...pts.map(p => p.x))];
    let y0 = Math.min(...pts.map(p => p.y)), y1 = Math.max(...pts.map(p => p.y));
    if (o.ylog) { y0 = Math.pow(10, Math.floor(Math.log10(y0) * 2) / 2); y1 = Math.pow(10, Math.ceil(Math.log10(y1) * 2) / 2); }
    else { y0 = Math.min(0, y0); y1 = y1 * 1.08 || 1; }
    if (x0 === x1) { x0 -= 1; x1 += 1; }
    const f = (v, lo, hi, log) => log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
    const sx = v => L + f(v, x0, x1, o.xlog) * (W - L - R);
    const sy = v => H - B - f(v, y0, y1, o.ylog) * (H - T - B);
    const axis = el("svg:g", { class: "axis" }, svg);
    for (const v of ticks(y0, y1, o.ylog)) {
      el("svg:line", { x1: L, x2: W - R, y1: sy(v), y2: sy(v), class: "grid" }, axis);
      el("svg:text", { x: L - 6, y: sy(v) + 4, "text-anchor": "end" }, axis, o.yfmt ? o.yfmt(v) : String(v));
    }
    for (const t of o.xticks || ticks(x0, x1, o.xlog).map(v => ({ v, label: String(v) }))) {
      el("svg:line", { x1: sx(t.v), x2: sx(t.v), y1: T, y2: H - B, class: "grid" }, axis);
      el("svg:text", { x: sx(t.v), y: H - B + 16, "text-anchor": "middle" }, axis, t.label);
    }
    el("svg:text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle" }, axis, o.xlabel);
    el("svg:text", { x: 14, y: (T + H - B) / 2, transform: `rotate(-90 14 ${(T + H - B) / 2})`, "text-anchor": "middle" }, axis, o.ylabel);
    o.series.forEach((s, i) => {
      const g = el("svg:g", { class: "series" + (s.peer ? " peer" : ""), "data-series": s.label }, svg);
      const d = s.points.map((p, j) => (j ? "L" : "M") + sx(p.x).toFixed(1) + "," + sy(p.y).toFixed(1)).join("");
      el("svg:path", { d, stroke: s.colour, fill: "none", "stroke-width": 1.5, "stroke-dasharray": s.dash || "" }, g);
      for (const p of s.points) {
        const c = el("svg:circle", { cx: sx(p.x), cy: sy(p.y), r: 3, fill: s.colour, class: "point", "data-tip": p.tip }, g);
        el("svg:title", {}, c, p.tip);
      }
      const ly = T + 14 * i;
      const lg = el("svg:g", { class: "legend" + (s.peer ? " peer" : "") }, svg);
      el("svg:line", { x1: W - R + 10, x2: W - R + 28, y1: ly, y2: ly, stroke: s.colour, "stroke-width": 2, "stroke-dasharray": s.dash || "" }, lg);
      el("svg:text", { x: W - R + 32, y: ly + 4 }, lg, s.label);
    });
    return svg;
  }

  // bars draws one stacked horizontal bar per row of parts {key, label, v}.
  function bars(parent, title, rows, keys) {
    const W = 760, L = 120, R = 170, T = 28, rowH = 22, H = T + rowH * rows.length + 40;
    const svg = el("svg:svg", { viewBox: `0 0 ${W} ${Math.max(H, T + 14 * keys.length + 10)}`, class: "chart bars" }, parent);
    el("svg:text", { x: 8, y: 16, class: "title" }, svg, title);
    const max = Math.max(...rows.map(r => r.parts.reduce((a, p) => a + p.v, 0))) * 1.1 || 1;
    const sx = v => (v / max) * (W - L - R);
    for (const t of ticks(0, max, false)) {
      el("svg:line", { x1: L + sx(t), x2: L + sx(t), y1: T, y2: T + rowH * rows.length, class: "grid" }, svg);
      el("svg:text", { x: L + sx(t), y: T + rowH * rows.length + 14, "text-anchor": "middle", class: "axis" }, svg, String(+t.toPrecision(3)));
    }
    el("svg:text", { x: (L + W - R) / 2, y: T + rowH * rows.length + 32, "text-anchor": "middle", class: "axis" }, svg, "CPU per call (µs)");
    rows.forEach((r, i) => {
      const g = el("svg:g", { class: "series" + (r.peer ? " peer" : ""), "data-series": r.label }, svg);
      const y = T + rowH * i;
      el("svg:text", { x: L - 6, y: y + 15, "text-anchor": "end" }, g, r.label);
      let x = L;
      for (const p of r.parts) {
        const w = sx(p.v);
        const rect = el("svg:rect", { x, y: y + 3, width: Math.max(w, 0), height: rowH - 6, fill: palette[keys.indexOf(p.key)], class: "point", "data-tip": p.tip }, g);
        el("svg:title", {}, rect, p.tip);
        x += w;
      }
      el("svg:text", { x: x + 4, y: y + 15 }, g, num(r.parts.reduce((a, p) => a + p.v, 0), 2));
    });
    data.categories.forEach((c, i) => {
      el("svg:rect", { x: W - R + 10, y: T + 14 * i - 8, width: 12, height: 10, fill: palette[i] }, svg);
      el("svg:text", { x: W - R + 26, y: T + 14 * i + 1 }, svg, c.label);
    });
  }

  // table writes rows under columns {name, value(row), text(row)}; a
  // click on a heading sorts by that column, again to reverse.
  function table(parent, cols, rows) {
    const t = el("table", { class: "sortable" }, parent);
    const head = el("tr", {}, el("thead", {}, t));
    const body = el("tbody", {}, t);
    for (const r of rows) {
      const tr = el("tr", { class: r.peer ? "peer" : "" }, body);
      for (const c of cols) el("td", { "data-value": c.value(r), class: typeof c.value(r) === "number" ? "num" : "" }, tr, c.text(r));
    }
    cols.forEach((c, i) => {
      const th = el("th", { "data-col": c.name }, head, c.name);
      th.addEventListener("click", () => {
        const desc = th.classList.contains("asc");
        head.querySelectorAll("th").forEach(h => h.classList.remove("asc", "desc"));
        th.classList.add(desc ? "desc" : "asc");
        const val = tr => { const v = tr.children[i].dataset.value; return isNaN(+v) ? v : +v; };
        const sorted = [...body.children].sort((a, b) => (val(a) < val(b) ? -1 : val(a) > val(b) ? 1 : 0) * (desc ? -1 : 1));
        for (const tr of sorted) body.appendChild(tr);
      });
    });
    return t;
  }

  const med = (r, u) => r.medians[u] ?? NaN;
  const columns = [
    { name: "stack", value: r => r.label, text: r => r.label + (r.dir ? " " + r.dir : "") },
    { name: "transport", value: r => r.transport, text: r => r.transport },
    { name: "callers", value: r => r.callers, text: r => String(r.callers) + (r.pipeline > 1 ? "×" + r.pipeline : "") },
    { name: "rate", value: r => r.rate || 0, text: r => r.rate ? r.rate + "/s" : "closed" },
    { name: "calls/s", value: r => med(r, "calls/s"), text: r => num(med(r, "calls/s"), 0) },
    { name: "p50", value: r => med(r, "p50-ns"), text: r => dur(med(r, "p50-ns")) },
    { name: "p90", value: r => med(r, "p90-ns"), text: r => dur(med(r, "p90-ns")) },
    { name: "p99", value: r => med(r, "p99-ns"), text: r => dur(med(r, "p99-ns")) },
    { name: "p99.9", value: r => med(r, "p99.9-ns"), text: r => dur(med(r, "p99.9-ns")) },
    { name: "cpu/op", value: r => med(r, "cpu-ns/op"), text: r => dur(med(r, "cpu-ns/op")) },
    { name: "allocs/op", value: r => med(r, "allocs/op"), text: r => num(med(r, "allocs/op"), 1) },
    { name: "B/op", value: r => med(r, "B/op"), text: r => num(med(r, "B/op"), 0) },
    { name: "wire-B/op", value: r => med(r, "wire-B/op"), text: r => num(med(r, "wire-B/op"), 0) },
    { name: "reps", value: r => r.count, text: r => String(r.count) },
  ];
  const nineTicks = max => ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"].slice(0, Math.floor(max + 1e-9) + 1)
    .map((label, v) => ({ v, label: v === 0 ? "" : label })).concat([{ v: Math.log10(2), label: "50%" }]);
  const seriesOf = (rows, points) => rows.map(r => ({ label: r.label + (r.dir ? " " + r.dir : ""), peer: r.peer, colour: colour(r.label), points: points(r) }));

  const main = document.getElementById("sections");
  for (const section of [...new Set(data.rows.map(r => r.section))]) {
    const srows = data.rows.filter(r => r.section === section);
    const sec = el("section", { id: "s-" + section.replace(/[^a-zA-Z0-9]+/g, "-") }, main);
    el("h2", {}, sec, section);
    table(sec, columns, srows);
    for (const cond of [...new Set(srows.map(r => r.conditions))]) {
      const crows = srows.filter(r => r.conditions === cond && r.curve.length);
      const maxNines = Math.max(...crows.map(r => r.curve[r.curve.length - 1][0]));
      chart(sec, {
        title: `Latency percentile spectrum, ${section} (${cond})`, xlabel: "percentile", ylabel: "latency (log scale)",
        ylog: true, yfmt: dur, xDomain: [0, maxNines], xticks: nineTicks(maxNines),
        series: seriesOf(crows, r => r.curve.map(([q, ns]) => ({ x: q, y: ns, tip: `${r.name}: p${pct(q)} = ${dur(ns)}` }))),
      });
      // Over time only where a window lasted two seconds or more.
      const trows = crows.filter(r => r.intervals && r.intervals.length > 1);
      if (trows.length) chart(sec, {
        title: `p99 latency over time, per second of the first repetition, ${section} (${cond})`, xlabel: "second of the window",
        ylabel: "p99 (log scale)", ylog: true, yfmt: dur,
        series: seriesOf(trows, r => r.intervals.map(([s, p50, p99]) => ({ x: s, y: p99, tip: `${r.name}: second ${s}: p99 ${dur(p99)}, p50 ${dur(p50)}` }))),
      });
      const brows = srows.filter(r => r.conditions === cond && r.breakdown);
      if (brows.length) bars(sec, `Where the CPU per call goes, ${section} (${cond})`, brows.map(r => ({
        label: r.label, peer: r.peer,
        parts: data.categories.map(c => {
          const ns = r.breakdown[c.key] || 0, total = Object.values(r.breakdown).reduce((a, v) => a + v, 0);
          return { key: c.key, v: ns / 1e3, tip: `${r.name}: ${c.label} ${dur(ns)} per call (${(100 * ns / total).toFixed(1)}%)` };
        }),
      })), data.categories.map(c => c.key));
    }
    const closed = srows.filter(r => !r.rate);
    const byTransport = [...new Set(closed.map(r => r.transport))];
    for (const tr of byTransport) {
      const rows = closed.filter(r => r.transport === tr);
      const labels = [...new Set(rows.map(r => r.label))];
      if (new Set(rows.map(r => r.callers)).size < 2) continue;
      chart(sec, {
        title: `Throughput against callers, ${section} (${tr})`, xlabel: "concurrent callers (log scale)", ylabel: "calls/s",
        xlog: true, xticks: [...new Set(rows.map(r => r.callers))].map(v => ({ v, label: String(v) })),
        series: labels.map(l => {
          const rs = rows.filter(r => r.label === l).sort((a, b) => a.callers - b.callers);
          return { label: l, peer: rs[0].peer, colour: colour(l), points: rs.map(r => ({ x: r.callers, y: med(r, "calls/s"), tip: `${r.name}: ${num(med(r, "calls/s"), 0)} calls/s` })) };
        }),
      });
    }
    const lagged = srows.filter(r => r.rate);
    if (lagged.length) {
      el("h3", {}, sec, "Open loop: the generator's own lag");
      // Send lag percentiles where the results carry them (DESIGN 11).
      const lagKeys = [...new Set(lagged.flatMap(r => Object.keys(r.send_lag || {})))].sort();
      table(sec, [
        { name: "stack", value: r => r.label, text: r => r.label },
        { name: "rate", value: r => r.rate, text: r => r.rate + "/s" },
        { name: "calls/s", value: r => med(r, "calls/s"), text: r => num(med(r, "calls/s"), 0) },
        { name: "late calls", value: r => r.late || 0, text: r => String(r.late || 0) },
        { name: "worst lag", value: r => r.max_lag_ns || 0, text: r => dur(r.max_lag_ns || 0) },
      ].concat(lagKeys.map(k => ({ name: k.replace(/^send_lag_/, "send lag ").replace(/_ns$/, ""),
        value: r => (r.send_lag || {})[k] ?? NaN, text: r => dur((r.send_lag || {})[k] ?? NaN) }))), lagged);
    }
  }

  const tip = document.getElementById("tip");
  document.addEventListener("mouseover", e => {
    const t = e.target.closest && e.target.closest("[data-tip]");
    if (!t) { tip.hidden = true; return; }
    tip.textContent = t.dataset.tip;
    tip.hidden = false;
    tip.style.left = e.pageX + 12 + "px";
    tip.style.top = e.pageY + 12 + "px";
  });
  document.getElementById("hide-peers").addEventListener("change", e => document.body.classList.toggle("hide-peers", e.target.checked));
})();
