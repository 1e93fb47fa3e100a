// The dashboard's charts, drawn by Chart.js (a maintained library, installed from the npm registry by
// scripts/web_assets.py and served by the gateway: no internet at run time). Labels are never cut:
// bars of units and indicators lie horizontally, so a whole name (and its code) fits beside its bar.
"use strict";

const PALETTE = ["#b3120f", "#1d4f91", "#d98c1f", "#1b7f2a", "#6b3fa0", "#555"];
const NUMBER_VI = new Intl.NumberFormat("vi-VN");

function chartFrame(container, title, height) {
  if (!window.Chart) {  // the library was not installed (scripts/web_assets.py): say so, keep the tables
    container.innerHTML = '<p class="error">Chưa cài thư viện biểu đồ (chạy scripts/web_assets.py) — '
      + "the charting library is not installed</p>";
    container.style.height = "";
    return null;
  }
  clearChart(container);
  container.style.height = `${height}px`;
  const canvas = document.createElement("canvas");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", title);
  canvas.textContent = title;
  container.appendChild(canvas);
  return canvas;
}

function datasets(series, fill) {
  return series.map((s, i) => ({label: s.name, data: s.values.map(v => Number(v) || 0),
                                backgroundColor: PALETTE[i % PALETTE.length], borderColor: PALETTE[i % PALETTE.length],
                                fill: fill, tension: 0.2}));
}

function baseOptions(title, horizontal) {
  const valueAxis = {beginAtZero: true, ticks: {precision: 0, callback: v => NUMBER_VI.format(v)}};
  return {
    indexAxis: horizontal ? "y" : "x", responsive: true, maintainAspectRatio: false, animation: false,
    locale: "vi-VN",
    plugins: {title: {display: true, text: title}, legend: {position: "bottom"},
              tooltip: {callbacks: {label: c => `${c.dataset.label}: ${NUMBER_VI.format(c.raw)}`}}},
    scales: horizontal ? {x: valueAxis, y: {ticks: {autoSkip: false}}} : {y: valueAxis},
  };
}

// a chart taken off the screen (its Chart.js instance let go)
function clearChart(container) {
  const old = window.Chart && Chart.getChart(container.querySelector("canvas"));
  if (old) old.destroy();
  container.innerHTML = "";
  container.style.height = "";
}

// Grouped bars, one row per label (labels may be arrays: one line each). series = [{name, values}]
function barChart(container, title, labels, series) {
  if (!labels.length) { container.innerHTML = ""; container.style.height = ""; return null; }
  const lines = labels.reduce((n, l) => n + (Array.isArray(l) ? l.length : 1), 0);
  const height = Math.max(200, 70 + lines * 16 + labels.length * series.length * 14);
  const canvas = chartFrame(container, title, height);
  return canvas && new Chart(canvas, {type: "bar", data: {labels, datasets: datasets(series, false)},
                            options: baseOptions(title, true)});
}

// Lines over years. series = [{name, values}] aligned with labels.
function lineChart(container, title, labels, series) {
  if (!labels.length) { container.innerHTML = ""; return null; }
  const canvas = chartFrame(container, title, 280);
  return canvas && new Chart(canvas, {type: "line", data: {labels: labels.map(String), datasets: datasets(series, false)},
                            options: baseOptions(title, false)});
}

// Print: draw the charts again at the paper's width, and back after.
window.addEventListener("beforeprint", () => {
  if (window.Chart) Object.values(Chart.instances).forEach(c => c.resize());
});
