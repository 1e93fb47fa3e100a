// Small SVG charts drawn by hand: the dashboard must work without internet (no CDN libraries).
"use strict";

const PALETTE = ["#b3120f", "#1d4f91", "#d98c1f", "#1b7f2a", "#6b3fa0", "#555"];
const SVGNS = "http://www.w3.org/2000/svg";

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVGNS, name);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function niceMax(v) {
  if (v <= 0) return 4;
  if (v <= 20) return Math.ceil(v / 4) * 4;  // whole numbers on the four grid lines
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  return Math.ceil(v / p) * p;
}

function frame(width, height, title) {
  const svg = svgEl("svg", {width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title});
  svg.appendChild(svgEl("title", {}, title));
  return svg;
}

function legend(svg, series, x, y) {
  series.forEach((s, i) => {
    svg.appendChild(svgEl("rect", {x: x, y: y + i * 16, width: 10, height: 10, fill: PALETTE[i % PALETTE.length]}));
    svg.appendChild(svgEl("text", {x: x + 14, y: y + 9 + i * 16}, s));
  });
}

function axis(svg, left, top, w, h, max) {
  for (let i = 0; i <= 4; i++) {
    const y = top + h - (h * i) / 4;
    svg.appendChild(svgEl("line", {x1: left, x2: left + w, y1: y, y2: y, stroke: "#e5e0d8"}));
    svg.appendChild(svgEl("text", {x: left - 6, y: y + 4, "text-anchor": "end"}, String(Math.round((max * i) / 4))));
  }
}

// Grouped bars: labels along x, one bar per series. series = [{name, values: [...]}]
function barChart(container, title, labels, series) {
  container.innerHTML = "";
  if (!labels.length) return;
  const width = Math.max(480, labels.length * (series.length * 16 + 24) + 220), height = 260;
  const left = 48, top = 16, w = width - left - 190, h = height - top - 70;
  const svg = frame(width, height, title);
  svg.classList.add("bar-chart");
  const max = niceMax(Math.max(...series.flatMap(s => s.values.map(v => Number(v) || 0))));
  axis(svg, left, top, w, h, max);
  const group = w / labels.length, bw = Math.max(4, Math.min(28, (group - 8) / series.length));
  labels.forEach((label, i) => {
    series.forEach((s, j) => {
      const v = Number(s.values[i]) || 0, bh = (h * v) / max;
      const x = left + i * group + (group - bw * series.length) / 2 + j * bw;
      const bar = svgEl("rect", {x, y: top + h - bh, width: bw - 1, height: bh, fill: PALETTE[j % PALETTE.length]});
      bar.appendChild(svgEl("title", {}, `${label} — ${s.name}: ${v}`));
      svg.appendChild(bar);
    });
    const tx = left + i * group + group / 2;
    svg.appendChild(svgEl("text", {x: tx, y: top + h + 14, "text-anchor": "end",
                                   transform: `rotate(-30 ${tx} ${top + h + 14})`}, String(label).slice(0, 24)));
  });
  legend(svg, series.map(s => s.name), left + w + 16, top);
  container.appendChild(svg);
}

// Lines over years. series = [{name, values: [...]}] aligned with labels.
function lineChart(container, title, labels, series) {
  container.innerHTML = "";
  if (!labels.length) return;
  const width = 640, height = 260, left = 48, top = 16, w = width - left - 200, h = height - top - 40;
  const svg = frame(width, height, title);
  svg.classList.add("line-chart");
  const max = niceMax(Math.max(...series.flatMap(s => s.values.map(v => Number(v) || 0))));
  axis(svg, left, top, w, h, max);
  const step = labels.length > 1 ? w / (labels.length - 1) : 0;
  labels.forEach((label, i) => svg.appendChild(
    svgEl("text", {x: left + i * step, y: top + h + 16, "text-anchor": "middle"}, String(label))));
  series.forEach((s, j) => {
    const pts = s.values.map((v, i) => `${left + i * step},${top + h - (h * (Number(v) || 0)) / max}`);
    svg.appendChild(svgEl("polyline", {points: pts.join(" "), fill: "none", stroke: PALETTE[j % PALETTE.length],
                                       "stroke-width": 2}));
    s.values.forEach((v, i) => {
      const dot = svgEl("circle", {cx: left + i * step, cy: top + h - (h * (Number(v) || 0)) / max, r: 3,
                                   fill: PALETTE[j % PALETTE.length]});
      dot.appendChild(svgEl("title", {}, `${labels[i]} — ${s.name}: ${v}`));
      svg.appendChild(dot);
    });
  });
  legend(svg, series.map(s => s.name), left + w + 16, top);
  container.appendChild(svg);
}
