// The dashboard: reads the gateway's API with the user's session (name + password) or API token, so
// everything it shows is already cut to the user's org scope by the gateway. Vietnamese labels from
// the server's own list (/labels.json, shared/labels.py); dates dd/mm/yyyy; numbers as vi-VN writes them.
"use strict";

const API = "/api/v1";
const state = {token: sessionStorage.getItem("dv_token"), me: null, unit: null, path: [], units: {}, seq: 0, session: 0,
               words: {columns: {}, codes: {}, values: {}}, names: {}, warningsPageSize: 1000};

const HIDDEN = new Set(["parent_id", "depth", "indicator", "category", "group", "list", "level_vi", "subject_kind",
                        "host_org_unit_id", "event_id", "stream", "position", "data", "occurred_on_vi"]);
const TREND = ["members_removed", "members_resigned", "members_disciplined", "orgs_disciplined"];
const UNIT_KEYS = new Set(["org_unit_id"]);
const MEMBER_KEYS = new Set(["member_id", "subject_id"]);
const DECIMALS = new Intl.NumberFormat("vi-VN", {minimumFractionDigits: 2, maximumFractionDigits: 2});

const $ = sel => document.querySelector(sel);

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

function vnDate(v) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(v);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : v;
}

// a day typed dd/mm/yyyy -> "yyyy-mm-dd"; "" when left empty, null when it is no such day. The day
// fields are text, not the browser's date field, which shows mm/dd/yyyy in an English browser.
function isoDay(text) {
  const t = String(text || "").trim();
  if (!t) return "";
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t);
  if (!m) return null;
  const iso = `${m[3]}-${m[2].padStart(2, "0")}-${m[1].padStart(2, "0")}`;
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso ? iso : null;
}

function dayOf(sel) { return isoDay($(sel).value) || ""; }

// -- words ---------------------------------------------------------------------------------------
function column(key) { return state.words.columns[key] || key; }

function code(key, value) {
  const table = state.words.codes[key] || state.words.values[key] || {};
  return table[value] || value;
}

function number(key, v) {
  const n = Number(v);
  if (key.endsWith("_pct") || key.endsWith("_rate") || !Number.isInteger(n)) return DECIMALS.format(n);
  return NUMBER_VI.format(n);
}

// "Chi bộ Ấp 1 (LA-D1-G1-C1)", and the parent on a line of its own: never cut, never alike
function unitOf(id, fallbackName) {
  const u = state.units[id] || {};
  const parent = state.units[u.parent_id] || {};
  return {name: u.name || fallbackName || id, code: id, parent: u.parent_id ? (parent.name || u.parent_id) : "",
          parentCode: u.parent_id || ""};
}

function unitLabel(id, fallbackName) {
  const u = unitOf(id, fallbackName);
  return [`${u.name} (${u.code})`].concat(u.parent ? [`thuộc ${u.parent} (${u.parentCode})`] : []);
}

function unitHtml(id, fallbackName) {
  if (!id) return esc(fallbackName || "");
  const u = unitOf(id, fallbackName);
  return `<span class="unit"><span class="unit-name">${esc(u.name)}</span> <code>${esc(u.code)}</code>`
    + (u.parent ? `<small class="unit-parent">thuộc ${esc(u.parent)} <code>${esc(u.parentCode)}</code></small>` : "")
    + "</span>";
}

function memberHtml(id) {
  if (!id) return "";
  const name = state.names[id];
  if (!name) return `<code>${esc(id)}</code>`;  // not a member the user may read: the code alone
  return `<a class="member-link" href="#thanh-vien/${encodeURIComponent(id)}">${esc(name)}</a> <code>${esc(id)}</code>`;
}

function show(key, v) {
  if (v === null || v === undefined || v === "") return key === "change_pct" ? "—" : "";
  if (key === "met") return v ? '<span class="met">Đạt</span>' : '<span class="notmet">Không đạt</span>';
  if (typeof v === "boolean") return v ? "Có" : "Không";
  if (key === "change_pct") {
    const n = Number(v);
    return `<span class="${n > 0 ? "up" : n < 0 ? "down" : ""}">${n > 0 ? "+" : ""}${DECIMALS.format(n)} %</span>`;
  }
  if (typeof v === "number") return number(key, v);
  if (Array.isArray(v)) return v.map(x => esc(code(key, x))).join(", ");
  if (typeof v === "object") return esc(Object.entries(v).map(([k, x]) => `${column(k)}: ${code(k, vnDate(String(x)))}`).join("; "));
  return esc(code(key, vnDate(String(v))));
}

// -- the API -------------------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, body) {
    super(dvProblem(status, body));
    this.status = status;
  }
}

// a request of a session that has ended: nothing of it is drawn (the sign-in form says why)
class SessionEnded extends Error {}

const SESSION_EXPIRED = "Phiên đăng nhập đã hết hạn, hãy đăng nhập lại — Your session has expired, please sign in again";

function headers() { return state.token ? {Authorization: `Bearer ${state.token}`} : {}; }

// a GET with the user's credentials; no answer at all (server down) is an error the user is told of.
// Every request of the open dashboard comes through here: a 401 ends the session (endSession), and
// an answer that comes after its session ended is dropped, whatever it says.
async function reach(url) {
  const session = state.session;
  let resp;
  try {
    resp = await fetch(url, {headers: headers()});
  } catch (e) {
    if (session !== state.session) throw new SessionEnded();
    throw new ApiError(0, DV_UNREACHABLE);
  }
  if (session !== state.session) throw new SessionEnded();
  if (resp.status === 401 && state.me) {
    endSession();
    throw new SessionEnded();
  }
  return resp;
}

// a refused request told in the place that asked; nothing once the session has ended
function showError(box, e) {
  if (!(e instanceof SessionEnded)) box.innerHTML = `<p class="error">${esc(e.message)}</p>`;
}

// the refusal of a download, told in both languages (its body may not even be JSON)
async function refusal(resp) {
  return dvProblem(resp.status, await resp.json().catch(() => ({})));
}

async function api(path, params) {
  const qs = new URLSearchParams();
  Object.entries(params || {}).forEach(([k, v]) => {
    if (Array.isArray(v)) v.forEach(x => qs.append(k, x));
    else if (v !== null && v !== undefined && v !== "") qs.append(k, v);
  });
  const resp = await reach(`${API}${path}${qs.toString() ? "?" + qs : ""}`);
  const body = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new ApiError(resp.status, body);
  return body;
}

function rowsOf(result) {
  if (Array.isArray(result)) return result;
  if (result && Array.isArray(result.rows)) return result.rows;
  return result ? [result] : [];
}

// the columns of a report's rows, each knowing how to show, sort and filter itself
function columnsOf(rows, extra = {}) {
  const keys = [];
  rows.forEach(r => Object.keys(r).forEach(k => { if (!keys.includes(k) && !HIDDEN.has(k)) keys.push(k); }));
  const unitName = r => r.name || r.unit_name;
  return keys.filter(k => !((k === "name" || k === "unit_name") && keys.includes("org_unit_id"))).map(k => {
    if (extra[k]) return {key: k, label: column(k), ...extra[k]};
    if (UNIT_KEYS.has(k)) {
      return {key: k, label: column("name"), html: r => unitHtml(r[k], unitName(r)),
              text: r => unitLabel(r[k], unitName(r)).join(" ")};
    }
    if (MEMBER_KEYS.has(k)) {
      return {key: k, label: column(k), html: r => memberHtml(r[k]), text: r => `${state.names[r[k]] || ""} ${r[k] || ""}`};
    }
    const num = rows.some(r => typeof r[k] === "number");
    return {key: k, label: column(k), num, html: r => show(k, r[k]),
            text: r => (num ? r[k] : typeof r[k] === "string" ? code(k, vnDate(r[k])) : r[k])};
  });
}

function table(container, rows, opts = {}) {
  return dataTable(container, rows, columnsOf(rows, opts.columns), opts);
}

// the names of the members a list names (one scoped, access-logged lookup per list)
async function learnNames(ids) {
  const wanted = [...new Set(ids.filter(id => id && !(id in state.names)))];
  for (let i = 0; i < wanted.length; i += 500) {
    const found = await api("/members/search_members", {codes: wanted.slice(i, i + 500), limit: 500,
                                                       reason: $("#reason").value});
    found.rows.forEach(r => { state.names[r.member_id] = r.full_name; });
  }
}

function period() {
  const year = $("#year").value;
  return {...(year ? {year} : {term: $("#term").value}), ...clocks()};
}

// the two clocks and the structure, the same on every report (issue 14)
function clocks() {
  const out = {structure: $("#structure").value};
  if (dayOf("#as-of")) out.as_of = dayOf("#as-of");
  if (dayOf("#known-at")) out.known_at = dayOf("#known-at");
  return out;
}

// the day the unit list is drawn on: the as-of date, else the end of the period (not after today)
function treeDay() {
  if (dayOf("#as-of")) return dayOf("#as-of");
  const year = $("#year").value;
  const end = year ? `${year}-12-31` : `${$("#term").value.split("-")[1]}-09-30`;
  const now = new Date();  // the user's own day (toISOString is UTC: yesterday before 07:00 in Vietnam)
  const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
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
  const p = document.createElement("button");
  p.type = "button";
  p.className = "print";
  p.textContent = "In";
  p.addEventListener("click", () => window.print());
  div.appendChild(p);
  return div;
}

async function saveBlob(resp, filename) {
  const url = URL.createObjectURL(await resp.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function download(query, fmt, params) {
  const qs = new URLSearchParams({...params, format: fmt, reason: $("#reason").value});
  let resp;
  try {
    resp = await reach(`${API}/exports/reporting/${query}?${qs}`);
  } catch (e) {
    if (!(e instanceof SessionEnded)) alert(e.message);
    return;
  }
  if (!resp.ok) { alert(await refusal(resp)); return; }
  await saveBlob(resp, `${query}-${params.org_unit_id || "pham-vi"}.${fmt}`);
}

function allowed(service, query) {
  return ((state.me.endpoints[service] || {}).queries || []).includes(query);
}

// -- the org tree and drill-down (province → direct → grassroots → cell) -----------------------
async function loadUnits() {
  const panel = $("#panel-units .body");
  try {
    const params = {org_unit_id: state.unit, ...clocks(), as_of: treeDay()};
    const seq = state.seq;
    const rows = await api("/reporting/headcount", params);
    if (seq !== state.seq) return;  // a newer choice is being drawn
    rows.forEach(r => { state.units[r.org_unit_id] = {...state.units[r.org_unit_id], ...r}; });
    showScope();
    const here = rows.find(r => r.depth === 0);
    if (here && !state.unit) { state.unit = here.org_unit_id; state.path = [here.org_unit_id]; }
    const children = rows.filter(r => r.depth === 1);
    panel.innerHTML = `<p>Đang xem: <strong id="current-unit">${esc(here ? here.name : "")}</strong>
      ${here ? `<code>${esc(here.org_unit_id)}</code>` : ""} (${esc(code("kind", here && here.kind))}) — tổng số
      <strong>${NUMBER_VI.format(here ? here.total : 0)}</strong> đảng viên
      ngày <span id="tree-day">${esc(vnDate(params.as_of))}</span></p><div class="list"></div>`;
    table(panel.querySelector(".list"), children, {
      rowAttrs: r => ` data-unit="${esc(r.org_unit_id)}" data-kind="${esc(r.kind || "")}"`,
      drawn: wrap => wrap.querySelectorAll("tr.dt-row").forEach(tr => {
        tr.classList.add("unit-link");
        tr.addEventListener("click", () => drill(tr.dataset.unit));
      })});
    barChart($("#chart-units"), "Số đảng viên theo tổ chức trực thuộc", children.map(r => unitLabel(r.org_unit_id)),
             [{name: column("total"), values: children.map(r => r.total)}]);
    panel.appendChild(exportButtons("headcount_report", params));  // the report form: title rows, unit codes
  } catch (e) {
    showError(panel, e);
  }
  renderBreadcrumb();
}

function renderBreadcrumb() {
  const bc = $("#breadcrumb");
  bc.innerHTML = state.path.map((id, i) => {
    const name = esc((state.units[id] || {}).name || id), tag = ` <code>${esc(id)}</code>`;
    return i === state.path.length - 1 ? `<strong>${name}</strong>${tag}`
      : `<a data-depth="${i}">${name}</a>${tag}<span class="sep">›</span>`;
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
async function loadReport(query, render, extra = {}) {
  const section = document.querySelector(`section[data-query="${query}"]`);
  if (!allowed("reporting", query)) { section.hidden = true; return; }
  section.hidden = false;
  const body = section.querySelector(".body");
  const params = {org_unit_id: state.unit, ...period(), ...extra};
  body.innerHTML = '<p class="empty">Đang tải…</p>';
  try {
    const seq = state.seq;
    const result = await api(`/reporting/${query}`, params);
    if (seq !== state.seq) return;  // a newer choice is being drawn
    const meta = section.querySelector(".meta");
    if (meta) meta.textContent = [result.unit_name, result.period_vi || result.period || (result.year && `năm ${result.year}`),
                                  result.as_of_vi ? `số liệu đến ${result.as_of_vi}` : "",
                                  result.known_at ? `ghi nhận đến ${vnDate(result.known_at)}` : "",
                                  result.structure_vi || ""].filter(Boolean).join(" · ");
    // drawn aside and put in place only if no newer choice came meanwhile (names load asynchronously)
    const drawn = document.createElement("div");
    await (render || renderPlain)(result, drawn);
    if (seq !== state.seq) return;
    const {page, page_size, ...whole} = params;  // an export is the whole list, not the page on screen
    body.replaceChildren(...drawn.childNodes, exportButtons(query, whole));
    return result;
  } catch (e) {
    showError(body, e);
  }
}

function renderPlain(result, body) {
  table(body, rowsOf(result));
}

function renderTerm(result, body) {
  const rows = rowsOf(result);
  barChart($("#chart-term"), "Kỳ này so với kỳ trước", rows.map(r => r.label_vi || code("indicator", r.indicator)),
           [{name: column("previous"), values: rows.map(r => r.previous)}, {name: "Kỳ này", values: rows.map(r => r.value)}]);
  table(body, rows, {columns: {value: {label: "Kỳ này", num: true, html: r => show("value", r.value)}}});
}

function renderEvaluation(result, body) {
  const rows = rowsOf(result);
  table(body, rows, {
    rowAttrs: r => (r.org_unit_id && r.org_unit_id !== state.unit ? ` data-unit="${esc(r.org_unit_id)}"` : ""),
    drawn: wrap => wrap.querySelectorAll("tr[data-unit]").forEach(tr => {
      tr.classList.add("unit-link");
      tr.addEventListener("click", () => drill(tr.dataset.unit));
    })});
  if (Array.isArray(result.ratings) && result.ratings.length) {
    const h = document.createElement("h3");
    h.textContent = "Xếp loại tổ chức (quy tắc 20 %)";
    const box = document.createElement("div");
    body.append(h, box);
    table(box, result.ratings);
  }
}

function renderCauses(result, body) {
  const all = rowsOf(result);
  const rows = all.some(r => r.group === "category") ? all.filter(r => r.group === "category") : all;
  const label = r => r.label_vi || code("key", r.key);
  const numeric = rows.length ? Object.keys(rows[0]).filter(k => typeof rows[0][k] === "number" && k !== "year") : [];
  barChart($("#chart-causes"), "Theo đối tượng đảng viên", rows.map(label),
           numeric.slice(0, 4).map(k => ({name: column(k), values: rows.map(r => r[k])})));
  // the group's name in one column: the Vietnamese label is what the key column shows
  const labels = new Map(all.map(r => [r.key, label(r)]));
  table(body, all.map(({label_vi, ...r}) => r),
        {columns: {key: {label: column("category"), html: r => esc(labels.get(r.key)), text: r => labels.get(r.key)}},
         pageSize: 20});
}

async function renderMembersList(result, body) {
  const rows = rowsOf(result);
  await learnNames(rows.flatMap(r => [r.member_id, r.subject_id]));
  table(body, rows, {pageSize: 20});
}

async function loadTrend() {
  const box = $("#chart-trend");
  $("#panel-trend").hidden = !allowed("reporting", "term");
  if ($("#panel-trend").hidden) return;
  const last = new Date().getFullYear();
  const years = [];
  for (let y = last - 5; y <= last; y++) years.push(y);
  try {
    const results = await Promise.all(years.map(year => api("/reporting/term", {org_unit_id: state.unit, year, ...clocks()})));
    const names = {};
    results.forEach(res => rowsOf(res).forEach(r => { names[r.indicator] = r.label_vi || code("indicator", r.indicator); }));
    const series = TREND.filter(ind => names[ind]).map(ind => ({
      name: names[ind], values: results.map(res => (rowsOf(res).find(r => r.indicator === ind) || {}).value || 0)}));
    lineChart(box, "Xu hướng theo năm", years, series);
  } catch (e) {
    showError(box, e);
  }
}

// -- the yearly report to the Standing Committee (D8): the document staff send ---------------------
async function downloadYearly(fmt) {
  const year = $("#yearly-year").value || String(new Date().getFullYear());
  const params = {year, format: fmt, reason: $("#reason").value};
  if (state.unit) params.org_unit_id = state.unit;
  const status = $("#yearly-status");
  status.textContent = "Đang tạo văn bản…";
  let resp;
  try {
    resp = await reach(`${API}/documents/yearly?${new URLSearchParams(params)}`);
  } catch (e) {
    if (!(e instanceof SessionEnded)) status.textContent = e.message;
    return;
  }
  if (!resp.ok) { status.textContent = await refusal(resp); return; }
  const name = `bao-cao-nam-${year}-${state.unit || "toan-tinh"}.${fmt}`;
  await saveBlob(resp, name);
  status.textContent = `Đã tạo ${name}`;
}

function showYearly() {
  $("#panel-yearly").hidden = !allowed("reporting", "yearly");
  if (!$("#yearly-year").value) $("#yearly-year").value = $("#year").value || new Date().getFullYear();
}

async function refresh() {
  state.seq += 1;
  showYearly();
  await loadUnits();
  await Promise.all([
    loadReport("term", renderTerm),
    loadReport("movement", (result, body) => table(body, rowsOf(result), {columns: {level: {label: "Cấp", num: true}}})),
    loadReport("evaluation", renderEvaluation),
    loadReport("causes", renderCauses),
    // the warnings of the chosen period: the roster as it stood at its end
    loadWarnings(1),
    loadReport("anomalies", renderMembersList),
    loadReport("meetings"),
    loadTrend(),
  ]);
}

// the warnings come a server page at a time (a province's list runs to many thousands of rows and
// names): sorted and filtered within the page; the pager above the table asks for the next page
async function loadWarnings(page) {
  const seq = state.seq;
  return loadReport("warnings", async (result, body) => {
    await renderMembersList(result, body);
    if ((result.pages || 1) > 1 && seq === state.seq) body.prepend(warningsPager(result));
  }, {as_of: treeDay(), page, page_size: state.warningsPageSize});
}

function warningsPager(result) {
  const div = document.createElement("div");
  div.className = "server-pager";
  const first = (result.page - 1) * result.page_size + 1;
  const last = Math.min(result.total, result.page * result.page_size);
  div.innerHTML = `<span class="sp-count" role="status">Cảnh báo ${NUMBER_VI.format(first)}–${NUMBER_VI.format(last)}`
    + ` trên tổng ${NUMBER_VI.format(result.total)} (phần ${result.page}/${result.pages})</span> `
    + `<button type="button" class="sp-prev"${result.page > 1 ? "" : " disabled"}>‹ Phần trước</button> `
    + `<button type="button" class="sp-next"${result.page < result.pages ? "" : " disabled"}>Phần sau ›</button>`;
  div.querySelector(".sp-prev").addEventListener("click", () => loadWarnings(result.page - 1));
  div.querySelector(".sp-next").addEventListener("click", () => loadWarnings(result.page + 1));
  return div;
}

// -- member search and the member page -----------------------------------------------------------
async function searchMembers(text) {
  const panel = $("#panel-search");
  panel.hidden = false;
  const body = panel.querySelector(".body");
  body.innerHTML = '<p class="empty">Đang tìm…</p>';
  try {
    const found = await api("/members/search_members", {q: text, org_unit_id: state.unit, limit: 200,
                                                        reason: $("#reason").value});
    found.rows.forEach(r => {
      state.names[r.member_id] = r.full_name;
      if (r.org_unit_id && !state.units[r.org_unit_id]) {
        state.units[r.org_unit_id] = {name: r.unit_name, parent_id: r.parent_id};
        if (r.parent_id && !state.units[r.parent_id]) state.units[r.parent_id] = {name: r.parent_name};
      }
    });
    panel.querySelector(".meta").textContent = `«${text}» · ${NUMBER_VI.format(found.total)} người`
      + (found.total > found.rows.length ? ` (hiện ${NUMBER_VI.format(found.rows.length)} người đầu)` : "");
    const rows = found.rows.map(r => ({member_id: r.member_id, org_unit_id: r.org_unit_id, unit_name: r.unit_name,
                                       status: r.status}));
    table(body, rows, {sort: "member_id", columns: {
      member_id: {label: column("full_name"), html: r => memberHtml(r.member_id),
                  text: r => `${state.names[r.member_id] || ""} ${r.member_id}`}}});
    if (!rows.length) body.innerHTML = `<p class="empty">Không tìm thấy đảng viên nào khớp «${esc(text)}» trong phạm vi của bạn.</p>`;
  } catch (e) {
    showError(body, e);
  }
}

const RECORD_ORDER = ["full_name", "member_id", "org_unit_id", "status", "admitted_on", "birth_date", "sex",
                      "demobilised", "categories", "exemption", "left_on", "left_how", "card_number",
                      "background_file_number", "citizen_id", "ethnicity", "religion", "education",
                      "political_theory", "occupation"];

async function openMember(id) {
  const page = $("#member-page");
  $("#reports").hidden = true;
  $("#panel-search").hidden = true;
  page.hidden = false;
  const body = page.querySelector(".body"), trail = page.querySelector(".trail");
  body.innerHTML = '<p class="empty">Đang tải…</p>';
  trail.innerHTML = "";
  page.querySelector(".meta").textContent = id;
  try {
    const m = await api("/members/get_member", {member_id: id, reason: $("#reason").value});
    state.names[id] = m.full_name;
    page.querySelector(".meta").textContent = `${m.full_name || ""} · ${id}`;
    const keys = RECORD_ORDER.filter(k => k in m).concat(Object.keys(m).filter(k => !RECORD_ORDER.includes(k)
                                                                                    && !HIDDEN.has(k)));
    const label = k => (k === "member_id" ? "Mã đảng viên" : column(k));
    body.innerHTML = '<dl class="record">' + keys.map(k => `<dt>${esc(label(k))}</dt><dd>${
      k === "org_unit_id" ? unitHtml(m[k]) : show(k, m[k]) || '<span class="none">—</span>'}</dd>`).join("") + "</dl>";
  } catch (e) {
    showError(body, e);
    return;
  }
  if (!allowed("reporting", "audit_trail")) {
    trail.innerHTML = '<p class="empty">Nhật ký dữ kiện chỉ dành cho vai trò kiểm tra và quản trị.</p>';
    return;
  }
  try {
    const t = await api("/reporting/audit_trail", {member_id: id, reason: $("#reason").value});
    const rows = rowsOf(t).map(r => ({occurred_on: r.occurred_on, type: r.type, source: r.source,
                                      org_unit_id: r.org_unit_id, actor: r.actor, recorded_at: r.recorded_at}));
    table(trail, rows, {sort: "occurred_on", pageSize: 20, columns: {
      type: {label: "Dữ kiện", html: r => esc(code("type", r.type)), text: r => code("type", r.type)},
      source: {label: "Dịch vụ", html: r => esc(code("source", r.source)), text: r => code("source", r.source)},
      actor: {label: "Người ghi"},
      recorded_at: {label: "Thời điểm ghi nhận", html: r => esc(recorded(r.recorded_at)), text: r => r.recorded_at},
      occurred_on: {label: column("occurred_on"), html: r => esc(vnDate(r.occurred_on)), text: r => r.occurred_on}}});
  } catch (e) {
    showError(trail, e);
  }
}

function recorded(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString("vi-VN", {day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit"});
}

function route() {
  const m = /^#thanh-vien\/(.+)$/.exec(location.hash);
  if (m) { openMember(decodeURIComponent(m[1])); return; }
  $("#member-page").hidden = true;
  $("#reports").hidden = false;
}

// -- login ---------------------------------------------------------------------------------------
// the scope in the header: the unit's name (from the unit list, once drawn) with its code beside it
function showScope() {
  const scope = state.me && state.me.scope, box = $("#who-scope");
  if (!scope) { box.textContent = state.me ? "toàn tỉnh" : ""; return; }
  const name = (state.units[scope] || {}).name;
  box.innerHTML = (name ? `<span class="unit-name">${esc(name)}</span> ` : "") + `<code>${esc(scope)}</code>`;
}

// the server no longer knows the session (401): the token is forgotten, the sign-in form comes back
// saying why, and nothing the session read stays on screen (answers still on their way are dropped)
function endSession() {
  state.session += 1;
  state.seq += 1;
  sessionStorage.removeItem("dv_token");
  Object.assign(state, {token: null, me: null, unit: null, path: [], units: {}, names: {}});
  document.querySelectorAll("#board .body, #board .trail, #board .meta, #breadcrumb").forEach(el => {
    if (!el.closest("#panel-yearly")) el.replaceChildren();
  });
  document.querySelectorAll("#board .chart").forEach(clearChart);
  $("#yearly-status").textContent = "";
  $("#member-search").value = "";
  $("#token").value = "";
  $("#panel-search").hidden = true;
  $("#member-page").hidden = true;
  $("#reports").hidden = false;
  for (const id of ["#who-name", "#who-role", "#who-scope"]) $(id).textContent = "";
  $("#who").hidden = true;
  $("#board").hidden = true;
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);  // a member's code
  $("#login").hidden = false;
  $("#login-error").textContent = SESSION_EXPIRED;
}

async function start() {
  await state.labels;
  try {
    state.me = await api("/me");
  } catch (e) {
    if (e.status !== 0) {  // a refused token is forgotten; one the server could not check yet is kept
      sessionStorage.removeItem("dv_token");
      state.token = null;
    }
    $("#login-error").textContent = e.status === 401 ? "Mã truy cập không đúng hoặc đã hết hiệu lực — The access token is wrong or has expired" : e.message;
    return;
  }
  $("#login").hidden = true;
  $("#board").hidden = false;
  $("#who").hidden = false;
  $("#who-name").textContent = state.me.name;
  $("#who-role").textContent = code("role", state.me.role);
  showScope();
  $("#search-form").hidden = !allowed("members", "search_members");
  state.unit = state.me.scope;
  state.path = state.unit ? [state.unit] : [];
  route();
  await refresh();
}

async function signIn(ev) {
  ev.preventDefault();
  $("#login-error").textContent = "";
  let resp;
  try {
    resp = await fetch(`${API}/login`, {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({name: $("#login-name").value.trim(), password: $("#login-password").value})});
  } catch (e) {
    $("#login-error").textContent = dvUnreachable();
    return;
  }
  const body = await resp.json().catch(() => ({}));
  $("#login-password").value = "";
  if (!resp.ok) {
    $("#login-error").textContent = body.message_vi ? dvProblem(resp.status, body) : "Đăng nhập không thành công — Sign-in failed";
    return;
  }
  state.token = body.token;
  sessionStorage.setItem("dv_token", state.token);
  start();
}

async function signOut() {
  await fetch(`${API}/logout`, {method: "POST", headers: headers()}).catch(() => null);
  sessionStorage.removeItem("dv_token");
  location.hash = "";
  location.reload();
}

function init() {
  // the sign-in forms answer at once: a token typed before the labels arrive is not lost to the
  // browser's own form submission (a reload); drawing waits for the labels (``start``)
  state.labels = fetch("/labels.json").then(r => r.json()).then(words => { state.words = words; })
    .catch(() => { /* the codes stay as they are */ });
  $("#password-form").addEventListener("submit", signIn);
  $("#login-form").addEventListener("submit", ev => {
    ev.preventDefault();
    state.token = $("#token").value.trim();
    sessionStorage.setItem("dv_token", state.token);
    start();
  });
  $("#logout").addEventListener("click", signOut);
  $("#term").addEventListener("change", () => { $("#year").value = ""; refresh(); });
  $("#year").addEventListener("change", refresh);
  $("#yearly-docx").addEventListener("click", () => downloadYearly("docx"));
  $("#yearly-pdf").addEventListener("click", () => downloadYearly("pdf"));
  $("#structure").addEventListener("change", refresh);
  for (const id of ["#as-of", "#known-at"]) $(id).addEventListener("change", () => {
    const field = $(id), ok = isoDay(field.value) !== null;
    field.setCustomValidity(ok ? "" : "Ngày phải theo dạng dd/mm/yyyy — Date must be dd/mm/yyyy");
    if (!ok) { field.reportValidity(); return; }  // nothing drawn for a day that does not exist
    refresh();
  });
  $("#search-form").addEventListener("submit", ev => {
    ev.preventDefault();
    const text = $("#member-search").value.trim();
    if (text.length >= 2) {
      if (location.hash) location.hash = "";
      searchMembers(text);
    }
  });
  $("#member-back").addEventListener("click", () => { location.hash = ""; });
  window.addEventListener("hashchange", () => { if (state.me) route(); });
  if (state.token) start();
}

init();
