// The dashboard: reads the gateway's API with the user's token, so everything it shows is already
// cut to the user's org scope by the gateway. Vietnamese labels; dates dd/mm/yyyy.
"use strict";

const API = "/api/v1";
const state = {token: sessionStorage.getItem("dv_token"), me: null, unit: null, path: [], units: {}, seq: 0};

const LABELS = {
  org_unit_id: "Mã tổ chức", name: "Tên tổ chức", unit_name: "Tên tổ chức", kind: "Loại hình",
  own: "Sinh hoạt trực tiếp", total: "Tổng số đảng viên", indicator: "Chỉ số", label_vi: "Nội dung",
  value: "Kỳ này", previous: "Kỳ trước", change_pct: "Tăng/giảm (%)", actual: "Thực hiện", target: "Chỉ tiêu",
  met: "Kết quả", member_id: "Mã đảng viên", list: "Danh sách", level: "Mức độ", since: "Từ ngày",
  category: "Đối tượng", category_vi: "Đối tượng", year: "Năm", count: "Số lượng", held: "Số buổi đã họp",
  expected: "Số buổi phải họp", attendance_rate: "Tỷ lệ dự họp (%)", sub_units: "Số tổ chức trực thuộc",
  sub_units_disciplined: "Số bị kỷ luật", share_pct: "Tỷ lệ (%)", not_complete: "Không hoàn thành",
  removed: "Xóa tên", resigned: "Xin ra khỏi Đảng", expelled: "Khai trừ", disciplined: "Bị kỷ luật",
  regular_held: "Sinh hoạt thường kỳ đã họp", regular_expected: "Thường kỳ phải họp",
  thematic_held: "Chuyên đề đã họp", thematic_expected: "Chuyên đề phải họp", unexcused: "Vắng không lý do",
  meetings_meeting_standard: "Buổi đạt chuẩn HD 12", leadership_disciplined: "Cấp ủy bị kỷ luật",
};
const KINDS = {province: "Tỉnh ủy", direct: "Đảng bộ trực thuộc Tỉnh ủy", grassroots_committee: "Đảng bộ cơ sở",
               grassroots_cell: "Chi bộ cơ sở", branch: "Đảng bộ bộ phận", cell: "Chi bộ"};
const ROLES = {viewer: "Xem báo cáo", clerk: "Cán bộ nghiệp vụ", inspector: "Kiểm tra", administrator: "Quản trị"};
const LISTS = {unexcused_absences: "Vắng sinh hoạt không lý do", unpaid_dues: "Chưa đóng đảng phí",
               recognition_overdue: "Quá hạn công nhận chính thức", exemption_overdue: "Hết hạn miễn sinh hoạt",
               not_complete_twice: "Hai năm liền không hoàn thành nhiệm vụ",
               transfer_papers_overdue: "Quá hạn nộp hồ sơ chuyển sinh hoạt", remediation_overdue: "Quá hạn khắc phục sau kiểm điểm",
               new_member_class_overdue: "Quá hạn học lớp đảng viên mới", cell_below_minimum: "Chi bộ dưới 3 đảng viên chính thức",
               working_away_overdue: "Đi làm ăn xa quá hạn trở về", working_away_no_contact: "Đi làm ăn xa không liên lạc"};
const HIDDEN = new Set(["parent_id", "depth", "indicator", "category", "group", "key", "list"]);
const TREND = ["members_removed", "members_resigned", "members_disciplined", "orgs_disciplined"];

const $ = sel => document.querySelector(sel);

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

function vnDate(v) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : v;
}

function show(key, v) {
  if (v === null || v === undefined) return key === "change_pct" ? "—" : "";
  if (key === "met") return v ? '<span class="met">Đạt</span>' : '<span class="notmet">Không đạt</span>';
  if (typeof v === "boolean") return v ? "Có" : "Không";
  if (key === "kind") return esc(KINDS[v] || v);
  if (key === "list") return esc(LISTS[v] || v);
  if (key === "change_pct") {
    const n = Number(v);
    return `<span class="${n > 0 ? "up" : n < 0 ? "down" : ""}">${n > 0 ? "+" : ""}${n.toFixed(2)} %</span>`;
  }
  if (typeof v === "object") return esc(JSON.stringify(v));
  return esc(vnDate(String(v)));
}

class ApiError extends Error {
  constructor(status, body) {
    super(`${body.message_vi || body.title || status}${body.message_en ? " — " + body.message_en : ""}`);
    this.status = status;
  }
}

async function api(path, params) {
  const qs = new URLSearchParams(Object.entries(params || {}).filter(([, v]) => v !== null && v !== undefined && v !== ""));
  const resp = await fetch(`${API}${path}${qs.toString() ? "?" + qs : ""}`,
                           {headers: {Authorization: `Bearer ${state.token}`}});
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new ApiError(resp.status, body);
  return body;
}

function rowsOf(result) {
  if (Array.isArray(result)) return result;
  if (result && Array.isArray(result.rows)) return result.rows;
  return result ? [result] : [];
}

function table(rows, opts = {}) {
  if (!rows.length) return '<p class="empty">Không có số liệu trong phạm vi này.</p>';
  const cols = [];
  rows.forEach(r => Object.keys(r).forEach(k => { if (!cols.includes(k) && !HIDDEN.has(k)) cols.push(k); }));
  const head = cols.map(c => `<th>${esc(LABELS[c] || c)}</th>`).join("");
  const body = rows.map(r => {
    const drill = opts.drill && r.org_unit_id && opts.drill(r);
    const attrs = drill ? ` class="unit-link" data-unit="${esc(r.org_unit_id)}" data-kind="${esc(r.kind || "")}"` : "";
    return `<tr${attrs}>` + cols.map(c => `<td class="${typeof r[c] === "number" ? "num" : ""}">${show(c, r[c])}</td>`).join("") + "</tr>";
  }).join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function period() {
  const year = $("#year").value;
  return {...(year ? {year} : {term: $("#term").value}), ...clocks()};
}

// the two clocks and the structure, the same on every report (issue 14)
function clocks() {
  const out = {structure: $("#structure").value};
  if ($("#as-of").value) out.as_of = $("#as-of").value;
  if ($("#known-at").value) out.known_at = $("#known-at").value;
  return out;
}

// the day the unit list is drawn on: the as-of date, else the end of the period (not after today)
function treeDay() {
  if ($("#as-of").value) return $("#as-of").value;
  const year = $("#year").value;
  const end = year ? `${year}-12-31` : `${$("#term").value.split("-")[1]}-09-30`;
  const today = new Date().toISOString().slice(0, 10);
  return end < today ? end : today;
}

function exportButtons(query, params) {
  const div = document.createElement("div");
  div.className = "exports";
  for (const fmt of ["xlsx", "csv"]) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "export";
    b.dataset.query = query;
    b.dataset.format = fmt;
    b.textContent = `Tải ${fmt.toUpperCase()}`;
    b.addEventListener("click", () => download(query, fmt, params));
    div.appendChild(b);
  }
  return div;
}

async function download(query, fmt, params) {
  const qs = new URLSearchParams({...params, format: fmt, reason: $("#reason").value});
  const resp = await fetch(`${API}/exports/reporting/${query}?${qs}`, {headers: {Authorization: `Bearer ${state.token}`}});
  if (!resp.ok) { alert((await resp.json()).message_vi); return; }
  const url = URL.createObjectURL(await resp.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = `${query}-${params.org_unit_id || "pham-vi"}.${fmt}`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function allowed(query) {
  return ((state.me.endpoints.reporting || {}).queries || []).includes(query);
}

// -- the org tree and drill-down (province → direct → grassroots → cell) -----------------------
async function loadUnits() {
  const panel = $("#panel-units .body");
  try {
    const params = {org_unit_id: state.unit, ...clocks(), as_of: treeDay()};
    const seq = state.seq;
    const rows = await api("/reporting/headcount", params);
    if (seq !== state.seq) return;  // a newer choice is being drawn
    rows.forEach(r => { state.units[r.org_unit_id] = r; });
    const here = rows.find(r => r.depth === 0);
    if (here && !state.unit) { state.unit = here.org_unit_id; state.path = [here.org_unit_id]; }
    const children = rows.filter(r => r.depth === 1);
    panel.innerHTML = `<p>Đang xem: <strong id="current-unit">${esc(here ? here.name : "")}</strong>
      (${esc(KINDS[here && here.kind] || "")}) — tổng số <strong>${here ? here.total : 0}</strong> đảng viên
      ngày <span id="tree-day">${esc(vnDate(params.as_of))}</span></p>`
      + table(children.length ? children : [], {drill: r => true});
    panel.querySelectorAll("tr.unit-link").forEach(tr => tr.addEventListener("click", () => drill(tr.dataset.unit)));
    barChart($("#chart-units"), "Số đảng viên theo tổ chức trực thuộc", children.map(r => r.name),
             [{name: "Tổng số đảng viên", values: children.map(r => r.total)}]);
    panel.appendChild(exportButtons("headcount", params));
  } catch (e) {
    panel.innerHTML = `<p class="error">${esc(e.message)}</p>`;
  }
  renderBreadcrumb();
}

function renderBreadcrumb() {
  const bc = $("#breadcrumb");
  bc.innerHTML = state.path.map((id, i) => {
    const name = esc((state.units[id] || {}).name || id);
    return i === state.path.length - 1 ? `<strong>${name}</strong>` : `<a data-depth="${i}">${name}</a><span class="sep">›</span>`;
  }).join("");
  bc.querySelectorAll("a").forEach(a => a.addEventListener("click", () => {
    state.path = state.path.slice(0, Number(a.dataset.depth) + 1);
    state.unit = state.path[state.path.length - 1];
    refresh();
  }));
}

function drill(unitId) {
  state.path.push(unitId);
  state.unit = unitId;
  refresh();
}

// -- reports -------------------------------------------------------------------------------------
async function loadReport(query, render) {
  const section = document.querySelector(`section[data-query="${query}"]`);
  if (!allowed(query)) { section.hidden = true; return; }
  section.hidden = false;
  const body = section.querySelector(".body");
  const params = {org_unit_id: state.unit, ...period()};
  body.innerHTML = '<p class="empty">Đang tải…</p>';
  try {
    const seq = state.seq;
    const result = await api(`/reporting/${query}`, params);
    if (seq !== state.seq) return;  // a newer choice is being drawn
    if (result && result.integrity && result.integrity.intact === false) {
      // a source store fails integrity verification: every figure below may be tampered with
      const alert = $("#integrity-alert");
      alert.textContent = `${result.integrity.message_vi} — ${result.integrity.message_en}`;
      alert.hidden = false;
    }
    const meta = section.querySelector(".meta");
    if (meta) meta.textContent = [result.unit_name, result.period_vi || result.period || result.year,
                                  result.as_of_vi ? `số liệu đến ${result.as_of_vi}` : "",
                                  result.known_at ? `ghi nhận đến ${result.known_at}` : "",
                                  result.structure_vi || ""].filter(Boolean).join(" · ");
    body.innerHTML = render ? render(result) : table(rowsOf(result));
    body.appendChild(exportButtons(query, params));
    return result;
  } catch (e) {
    body.innerHTML = `<p class="error">${esc(e.message)}</p>`;
  }
}

function renderTerm(result) {
  const rows = rowsOf(result);
  barChart($("#chart-term"), "Kỳ này so với kỳ trước", rows.map(r => r.label_vi || r.indicator),
           [{name: "Kỳ trước", values: rows.map(r => r.previous)}, {name: "Kỳ này", values: rows.map(r => r.value)}]);
  return table(rows);
}

function renderEvaluation(result) {
  const rows = rowsOf(result);
  let html = table(rows, {drill: r => r.org_unit_id !== state.unit});
  if (Array.isArray(result.ratings) && result.ratings.length) {
    html += "<h3>Xếp loại tổ chức (quy tắc 20 %)</h3>" + table(result.ratings);
  }
  setTimeout(() => document.querySelectorAll("#panel-evaluation tr.unit-link").forEach(
    tr => tr.addEventListener("click", () => drill(tr.dataset.unit))));
  return html;
}

function renderCauses(result) {
  const all = rowsOf(result);
  const rows = all.some(r => r.group === "category") ? all.filter(r => r.group === "category") : all;
  const label = r => r.category_vi || r.category || r.label_vi || r.seniority || Object.values(r)[0];
  const numeric = rows.length ? Object.keys(rows[0]).filter(k => typeof rows[0][k] === "number" && k !== "year") : [];
  barChart($("#chart-causes"), "Theo đối tượng đảng viên", rows.map(label),
           numeric.slice(0, 4).map(k => ({name: LABELS[k] || k, values: rows.map(r => r[k])})));
  return table(all);
}

async function loadTrend() {
  const box = $("#chart-trend");
  if (!allowed("term")) { $("#panel-trend").hidden = true; return; }
  const last = new Date().getFullYear();
  const years = [];
  for (let y = last - 5; y <= last; y++) years.push(y);
  try {
    const results = await Promise.all(years.map(year => api("/reporting/term", {org_unit_id: state.unit, year, ...clocks()})));
    const names = {};
    results.forEach(res => rowsOf(res).forEach(r => { names[r.indicator] = r.label_vi || r.indicator; }));
    const series = TREND.filter(ind => names[ind]).map(ind => ({
      name: names[ind], values: results.map(res => (rowsOf(res).find(r => r.indicator === ind) || {}).value || 0)}));
    lineChart(box, "Xu hướng theo năm", years, series);
  } catch (e) {
    box.innerHTML = `<p class="error">${esc(e.message)}</p>`;
  }
}

// -- the yearly report to the Standing Committee (D8): the document staff send ---------------------
async function downloadYearly(fmt) {
  const year = $("#yearly-year").value || String(new Date().getFullYear());
  const params = {year, format: fmt, reason: $("#reason").value};
  if (state.unit) params.org_unit_id = state.unit;
  const status = $("#yearly-status");
  status.textContent = "Đang tạo văn bản…";
  const resp = await fetch(`${API}/documents/yearly?${new URLSearchParams(params)}`,
                           {headers: {Authorization: `Bearer ${state.token}`}});
  if (!resp.ok) { status.textContent = (await resp.json()).message_vi; return; }
  const url = URL.createObjectURL(await resp.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = `bao-cao-nam-${year}-${state.unit || "toan-tinh"}.${fmt}`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  status.textContent = `Đã tạo ${a.download}`;
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function showYearly() {
  $("#panel-yearly").hidden = !allowed("yearly");
  if (!$("#yearly-year").value) $("#yearly-year").value = $("#year").value || new Date().getFullYear();
}

async function refresh() {
  state.seq += 1;
  showYearly();
  await loadUnits();
  await Promise.all([
    loadReport("term", renderTerm),
    loadReport("evaluation", renderEvaluation),
    loadReport("causes", renderCauses),
    loadReport("warnings"),
    loadReport("meetings"),
    loadTrend(),
  ]);
}

// -- login ---------------------------------------------------------------------------------------
async function start() {
  try {
    state.me = await api("/me");
  } catch (e) {
    sessionStorage.removeItem("dv_token");
    state.token = null;
    $("#login-error").textContent = e.status === 401 ? "Mã truy cập không đúng hoặc đã hết hiệu lực." : e.message;
    return;
  }
  $("#login").hidden = true;
  $("#board").hidden = false;
  $("#who").hidden = false;
  $("#who-name").textContent = state.me.name;
  $("#who-role").textContent = ROLES[state.me.role] || state.me.role;
  $("#who-scope").textContent = state.me.scope || "toàn tỉnh";
  state.unit = state.me.scope;
  state.path = state.unit ? [state.unit] : [];
  await refresh();
}

$("#login-form").addEventListener("submit", ev => {
  ev.preventDefault();
  state.token = $("#token").value.trim();
  sessionStorage.setItem("dv_token", state.token);
  start();
});
$("#logout").addEventListener("click", () => { sessionStorage.removeItem("dv_token"); location.reload(); });
$("#term").addEventListener("change", () => { $("#year").value = ""; refresh(); });
$("#year").addEventListener("change", refresh);
$("#yearly-docx").addEventListener("click", () => downloadYearly("docx"));
$("#yearly-pdf").addEventListener("click", () => downloadYearly("pdf"));
for (const id of ["#as-of", "#known-at", "#structure"]) $(id).addEventListener("change", refresh);
if (state.token) start();
