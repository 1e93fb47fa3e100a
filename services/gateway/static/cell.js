// The cell secretary's page: record a meeting (roster of that day, one tap per member) and the
// month's dues; see the cell's warnings. Every entry goes to an outbox kept on the device
// (localStorage) with its own Idempotency-Key, and is sent — and re-sent after a failure or while
// offline — until the gateway accepts or refuses it. A re-send never writes twice. An entry belongs
// to the user who made it: on a device several secretaries share, the next one to sign in neither
// sees it (its label may name a member) nor sends it under their own name; it waits for its maker.
"use strict";

const API = "/api/v1";
const OUTBOX = "dv_cell_outbox";
const REASONS = ["Ốm đau", "Đi công tác", "Việc gia đình", "Đi làm ăn xa", "Học tập", "Lý do khác"];
const WARN_KIND = {unexcused_absences: "Vắng sinh hoạt không lý do", unpaid_dues: "Không đóng đảng phí",
                   absence: "Vắng sinh hoạt không lý do", dues: "Không đóng đảng phí"};
const state = {token: sessionStorage.getItem("dv_token"), me: null, unit: null, roster: [], names: {},
               attendance: {}, reasons: {}, dues: {}, duesRoster: [], duesFor: null, sending: false};
const $ = id => document.getElementById(id);

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}
const pad = n => String(n).padStart(2, "0");
function todayVn() { const d = new Date(); return `${pad(d.getDate())}/${pad(d.getMonth() + 1)}/${d.getFullYear()}`; }
function isoOf(vn) {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec((vn || "").trim());
  return m ? `${m[3]}-${pad(m[2])}-${pad(m[1])}` : null;
}
function monthIso(vn) {
  const m = /^(\d{1,2})\/(\d{4})$/.exec((vn || "").trim());
  return m ? `${m[2]}-${pad(m[1])}` : null;
}
// a refusal as the gateway words it: Vietnamese, then English
function said(body) { return [body.message_vi, body.message_en].filter(Boolean).join(" — "); }
function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return "k" + Date.now().toString(36) + Math.random().toString(36).slice(2);
}

async function api(path, opts = {}) {
  const headers = {...(opts.headers || {}), Authorization: `Bearer ${state.token}`};
  const res = await fetch(API + path, {...opts, headers});
  const body = await res.json().catch(() => ({}));
  if (res.status === 401 && state.me) sessionEnded();
  return {status: res.status, ok: res.ok, body};
}

// The token stopped working (expired, replaced, revoked) while the page was open: ask to sign in
// again rather than retry with a dead token; the outbox stays on the device and goes, in its
// maker's name, once they are signed in again.
function sessionEnded() {
  sessionStorage.removeItem("dv_token");
  state.token = null;
  $("cell-token").value = "";
  $("cell-login").hidden = false;
  $("cell-login-error").textContent =
    "Phiên đăng nhập đã hết hạn hoặc mã truy cập không còn hiệu lực: hãy đăng nhập lại để gửi các mục đang chờ " +
    "(vẫn được giữ trên máy) — Your session has ended: sign in again to send the waiting entries (kept on this device)";
}

// --- outbox --------------------------------------------------------------------------------------
function outbox() { try { return JSON.parse(localStorage.getItem(OUTBOX) || "[]"); } catch (e) { return []; } }
function saveOutbox(items) { localStorage.setItem(OUTBOX, JSON.stringify(items)); renderOutbox(); }
// the signed-in user's entries (entries saved before entries carried their maker belong to whoever
// signs in next, as they did then)
function ownedBy(item) { return !!state.me && (item.user === undefined || item.user === state.me.name); }
function myOutbox() { return outbox().filter(ownedBy); }

function enqueue(label, path, body) {
  const items = outbox();
  items.push({id: uuid(), key: uuid(), user: state.me.name, label, path, body, state: "waiting", message: "",
              at: new Date().toISOString()});
  saveOutbox(items);
}

async function sendAll() {
  if (state.sending || !state.token || !state.me) return;
  state.sending = true;
  try {
    for (const item of myOutbox().filter(i => i.state === "waiting")) {
      let result;
      try {
        const res = await fetch(API + item.path, {method: "POST", body: JSON.stringify(item.body),
          headers: {Authorization: `Bearer ${state.token}`, "Content-Type": "application/json",
                    "Idempotency-Key": item.key}});
        const body = await res.json().catch(() => ({}));
        if (res.ok) result = {state: "accepted", message: `Đã ghi ${(body.events || []).length} sự kiện`};
        else if (res.status === 401) {
          sessionEnded();
          setNet(true);
          break;  // kept waiting, untouched: sent once the secretary signs in again
        }
        else if (res.status >= 500 || res.status === 408 || res.status === 429)
          result = {state: "waiting", message: body.message_vi || `Lỗi ${res.status}, sẽ gửi lại`};
        else result = {state: "refused", message: said(body) || `Bị từ chối — Refused (${res.status})`};
        setNet(true);
      } catch (e) {
        setNet(false);
        break;  // offline: keep everything for later, in order
      }
      const items = outbox();
      const mine = items.find(i => i.id === item.id);
      if (mine) Object.assign(mine, result);
      saveOutbox(items);
    }
  } finally {
    state.sending = false;
  }
}

function setNet(online) {
  $("net-state").textContent = online ? "" : "Mất kết nối: dữ liệu được giữ trên máy và sẽ tự gửi khi có mạng.";
}

const STATE_VI = {waiting: "Chờ gửi", accepted: "Đã ghi", refused: "Bị từ chối"};
function renderOutbox() {
  const items = myOutbox();
  $("outbox-count").textContent = items.filter(i => i.state === "waiting").length;
  $("o-list").innerHTML = items.slice().reverse().map(i =>
    `<li class="${i.state}" data-state="${i.state}"><strong>${STATE_VI[i.state]}</strong> · ${esc(i.label)}` +
    (i.message ? `<br><span>${esc(i.message)}</span>` : "") +
    (i.state === "refused" ? ` <button type="button" data-drop="${i.id}">Bỏ</button>` : "") + `</li>`).join("");
  $("o-list").querySelectorAll("[data-drop]").forEach(b => b.addEventListener("click", () =>
    saveOutbox(outbox().filter(i => i.id !== b.dataset.drop))));
}

// --- units and roster ----------------------------------------------------------------------------
async function loadUnits() {
  const res = await api(`/members/org_tree${state.me.scope ? `?org_unit_id=${encodeURIComponent(state.me.scope)}` : ""}`);
  const cells = [];
  const walk = nodes => nodes.forEach(n => {
    if (n.kind === "cell" || n.kind === "grassroots_cell") cells.push(n);
    walk(n.children || []);
  });
  if (res.ok) walk(res.body);
  $("cell-unit").innerHTML = cells.map(c => `<option value="${esc(c.org_unit_id)}">${esc(c.name)}</option>`).join("");
  state.unit = cells.length ? cells[0].org_unit_id : null;
}

async function nameOf(memberId) {
  if (state.names[memberId]) return state.names[memberId];
  const res = await api(`/members/get_member?member_id=${encodeURIComponent(memberId)}` +
                        `&reason=${encodeURIComponent("Điểm danh, ghi đảng phí của chi bộ")}`);
  state.names[memberId] = res.ok && res.body.full_name ? res.body.full_name : memberId;
  return state.names[memberId];
}

let rosterAsked = 0;  // the last roster asked for: a late answer for another cell or day is dropped

async function loadRoster() {
  const on = isoOf($("m-date").value);
  if (!on || !state.unit) { alert("Ngày họp phải theo dạng dd/mm/yyyy"); return; }
  const mine = ++rosterAsked, unit = state.unit;
  const res = await api(`/meetings/roster?org_unit_id=${encodeURIComponent(unit)}&on=${on}`);
  if (mine !== rosterAsked || unit !== state.unit) return;  // the secretary moved on meanwhile
  if (!res.ok) { alert(said(res.body) || "Không tải được danh sách — The roster could not be loaded"); return; }
  const roster = res.body;
  for (const e of roster) await nameOf(e.member_id);
  if (mine !== rosterAsked || unit !== state.unit) return;
  state.roster = roster;
  state.rosterFor = {unit, on};
  state.attendance = {};
  state.reasons = {};
  renderRoster();
}

function renderRoster() {
  const expected = state.roster.filter(e => !e.exempt);
  $("m-chair").innerHTML = `<option value="">—</option>` + expected.map(e =>
    `<option value="${esc(e.member_id)}">${esc(state.names[e.member_id])}</option>`).join("");
  $("m-roster").innerHTML = state.roster.map(e => {
    const flags = [e.temporary ? "sinh hoạt tạm thời" : "", e.working_away ? "đi làm ăn xa" : "",
                   e.exempt ? "được miễn sinh hoạt — không điểm danh" : ""].filter(Boolean).join(", ");
    if (e.exempt) return `<li data-member="${esc(e.member_id)}"><div class="name">${esc(state.names[e.member_id])}</div>` +
      `<div class="flags">${esc(flags)}</div></li>`;
    const s = state.attendance[e.member_id];
    return `<li data-member="${esc(e.member_id)}"><div class="name">${esc(state.names[e.member_id])}</div>` +
      (flags ? `<div class="flags">${esc(flags)}</div>` : "") +
      `<div class="choices">` +
      `<button type="button" data-a="present" class="${s === "present" ? "on" : ""}">Có mặt</button>` +
      `<button type="button" data-a="excused" class="${s === "excused" ? "on warn" : ""}">Có lý do</button>` +
      `<button type="button" data-a="unexcused" class="${s === "unexcused" ? "on bad" : ""}">Vắng</button></div>` +
      (s === "excused" ? `<label>Lý do <select data-reason>${REASONS.map(r =>
        `<option${state.reasons[e.member_id] === r ? " selected" : ""}>${r}</option>`).join("")}</select></label>` : "") +
      `</li>`;
  }).join("");
  $("m-roster").querySelectorAll("li[data-member]").forEach(li => {
    const id = li.dataset.member;
    li.querySelectorAll("[data-a]").forEach(b => b.addEventListener("click", () => {
      state.attendance[id] = b.dataset.a;
      if (b.dataset.a === "excused" && !state.reasons[id]) state.reasons[id] = REASONS[0];
      renderRoster();
    }));
    const reason = li.querySelector("[data-reason]");
    if (reason) reason.addEventListener("change", () => { state.reasons[id] = reason.value; });
  });
}

function saveMeeting() {
  const on = isoOf($("m-date").value);
  const expected = state.roster.filter(e => !e.exempt);
  if (!on || !expected.length) { alert("Hãy tải danh sách ngày họp trước"); return; }
  const loaded = state.rosterFor || {};
  if (loaded.unit !== state.unit || loaded.on !== on) {  // the roster is that of another cell or day
    alert("Danh sách đang hiện là của ngày hoặc chi bộ khác: hãy tải lại danh sách ngày họp — " +
          "The roster shown is for another day or cell: load the meeting day's roster again");
    return;
  }
  const missing = expected.filter(e => !state.attendance[e.member_id]);
  if (missing.length) { alert(`Chưa điểm danh: ${missing.map(e => state.names[e.member_id]).join(", ")}`); return; }
  const kind = $("m-kind").value;
  const body = {occurred_on: on, meeting_id: `${state.unit}-${on}-${kind}`, org_unit_id: state.unit, kind,
                duration_minutes: Number($("m-duration").value),
                committee_member_attended: $("m-overseer").checked,
                // HD 42: a regular meeting combined with a thematic one (120 minutes; it counts for
                // the quarter's thematic meeting too)
                combined: $("m-combined").checked,
                attendance: expected.map(e => ({member_id: e.member_id, status: state.attendance[e.member_id],
                  ...(state.attendance[e.member_id] === "excused" ? {reason: state.reasons[e.member_id]} : {})}))};
  if ($("m-chair").value) body.chaired_by = $("m-chair").value;
  enqueue(`Sinh hoạt ${kind === "regular" ? "thường kỳ" : "chuyên đề"} ngày ${$("m-date").value}`,
          "/meetings/record_meeting", body);
  state.attendance = {};
  $("m-combined").checked = false;
  renderRoster();
  sendAll();
}

const DUES = [["paid", "Đã đóng"], ["unpaid", "Chưa đóng"], ["exempt", "Miễn"]];
// the reductions and the grounds of exemption the meetings service accepts (shared/rules.py
// dues_reduction_rates, dues_exemption_grounds; QĐ 342 / QĐ 01), with shared/labels.py's words
const REDUCTION_RATES = [30, 50, 70];
const EXEMPTION_GROUNDS = [["party_age_50", "Tuổi đảng từ 50 năm"], ["social_pension", "Hưởng trợ cấp xã hội"],
                           ["poor_household", "Hộ nghèo"], ["serious_illness", "Ốm đau hiểm nghèo"]];
const DUES_CHOICES = [...DUES.map(([v, l]) => ({status: v, label: l})),
                      ...REDUCTION_RATES.map(p => ({status: "reduced", pct: p, label: `Giảm ${p}%`}))];
function duesLabel(d) {
  if (d.status === "reduced") return `Giảm ${d.pct}%`;
  const ground = EXEMPTION_GROUNDS.find(g => g[0] === d.ground);
  return DUES.find(x => x[0] === d.status)[1] + (ground ? ` (${ground[1]})` : "");
}

function lastDayOfMonth(month) {  // "2025-03" → "2025-03-31": the day whose roster owes the month's dues
  const [y, m] = month.split("-").map(Number);
  return `${month}-${pad(new Date(y, m, 0).getDate())}`;
}

let duesAsked = 0;  // the last dues roster asked for: a late answer for another cell or month is dropped

// The members who owe the month's dues to the cell: its roster on the month's last day (the
// meetings service files a month's dues in the cell the member belongs to on that day), not the
// roster of the meeting day.
async function loadDuesRoster() {
  const month = monthIso($("d-month").value);
  const mine = ++duesAsked, unit = state.unit;
  state.duesRoster = [];
  state.duesFor = null;
  state.dues = {};
  if (!month || !unit) { renderDues(month ? "" : "Tháng phải theo dạng mm/yyyy — The month must read mm/yyyy"); return; }
  renderDues("Đang tải danh sách tháng… — Loading the month's roster…");
  const res = await api(`/meetings/roster?org_unit_id=${encodeURIComponent(unit)}&on=${lastDayOfMonth(month)}`)
    .catch(() => ({ok: false, body: {}}));
  if (mine !== duesAsked || unit !== state.unit) return;
  if (!res.ok) {
    renderDues(said(res.body) || "Không tải được danh sách tháng — The month's roster could not be loaded");
    return;
  }
  for (const e of res.body) await nameOf(e.member_id);
  if (mine !== duesAsked || unit !== state.unit) return;
  state.duesRoster = res.body;
  state.duesFor = {unit, month};
  renderDues();
}

function renderDues(note = "") {
  $("d-note").textContent = note;
  $("d-roster").innerHTML = state.duesRoster.map(e => {
    const d = state.dues[e.member_id] || {};
    const on = c => d.status === c.status && (c.pct === undefined || d.pct === c.pct);
    return `<li data-member="${esc(e.member_id)}"><div class="name">${esc(state.names[e.member_id])}</div>` +
      `<div class="choices four">${DUES_CHOICES.map(c =>
        `<button type="button" data-d="${c.status}"${c.pct ? ` data-pct="${c.pct}"` : ""} ` +
        `class="${on(c) ? "on" + (c.status === "unpaid" ? " bad" : "") : ""}">${esc(c.label)}</button>`).join("")}` +
      `</div>` +
      (d.status === "exempt" ? `<label>Căn cứ miễn <select data-ground><option value="">— chọn —</option>${
        EXEMPTION_GROUNDS.map(([v, l]) => `<option value="${v}"${d.ground === v ? " selected" : ""}>${esc(l)}</option>`)
          .join("")}</select></label>` : "") +
      `</li>`;
  }).join("");
  $("d-roster").querySelectorAll("li[data-member]").forEach(li => {
    const id = li.dataset.member;
    li.querySelectorAll("[data-d]").forEach(b => b.addEventListener("click", () => {
      state.dues[id] = {status: b.dataset.d, ...(b.dataset.pct ? {pct: Number(b.dataset.pct)} : {})};
      renderDues();
    }));
    const ground = li.querySelector("[data-ground]");
    if (ground) ground.addEventListener("change", () => { state.dues[id].ground = ground.value || undefined; });
  });
}

function saveDues() {
  const month = monthIso($("d-month").value);
  if (!month) { alert("Tháng phải theo dạng mm/yyyy — The month must read mm/yyyy"); return; }
  const loaded = state.duesFor || {};
  if (loaded.unit !== state.unit || loaded.month !== month) {  // the roster is that of another cell or month
    alert("Danh sách đang hiện là của tháng hoặc chi bộ khác: hãy đợi danh sách của tháng — " +
          "The roster shown is for another month or cell: wait for the month's roster");
    return;
  }
  const chosen = Object.entries(state.dues);
  if (!chosen.length) { alert("Chưa chọn đảng viên nào — No member chosen"); return; }
  const groundless = chosen.filter(([, d]) => d.status === "exempt" && !d.ground);
  if (groundless.length) {
    alert(`Chưa chọn căn cứ miễn đảng phí: ${groundless.map(([m]) => state.names[m] || m).join(", ")} — ` +
          "Choose the ground of the exemption");
    return;
  }
  for (const [member, d] of chosen) {
    const body = {occurred_on: isoOf(todayVn()), member_id: member, month, status: d.status};
    if (d.status === "reduced") body.reduction_pct = d.pct;
    if (d.status === "exempt") body.exemption_ground = d.ground;
    enqueue(`Đảng phí tháng ${$("d-month").value}: ${state.names[member] || member} — ${duesLabel(d)}`,
            "/meetings/record_dues", body);
  }
  state.dues = {};
  renderDues();
  sendAll();
}

async function loadWarnings() {
  const year = new Date().getFullYear();
  const res = await api(`/meetings/warnings?year=${year}&org_unit_id=${encodeURIComponent(state.unit)}`);
  if (!res.ok) { $("w-list").textContent = res.body.message_vi || "Không tải được cảnh báo"; return; }
  if (!res.body.length) { $("w-list").textContent = "Không có cảnh báo trong năm."; return; }
  const rows = [];
  for (const w of res.body) {
    const name = await nameOf(w.member_id);
    const act = w.kind.includes("dues")
      ? `<button type="button" data-go="dues">Ghi đảng phí</button>`
      : `<a href="/static/bieu-mau.html?command=remove_member&member_id=${encodeURIComponent(w.member_id)}">Lập thủ tục xóa tên</a>`;
    rows.push(`<div class="warning-item"><strong>Mức ${esc(w.level)}</strong> · ${esc(name)} — ` +
      `${esc(WARN_KIND[w.kind] || w.kind)} (${esc(w.count)} lần), từ ${esc(w.raised_on.split("-").reverse().join("/"))}` +
      `<br>${w.level >= 3 ? act : ""}</div>`);
  }
  $("w-list").innerHTML = rows.join("");
  $("w-list").querySelectorAll("[data-go]").forEach(b => b.addEventListener("click", () => showTab("dues")));
}

function showTab(name) {
  document.querySelectorAll(".tab").forEach(t => { t.hidden = t.id !== `tab-${name}`; });
  document.querySelectorAll(".tabs button").forEach(b => b.classList.toggle("active", b.dataset.tab === name));
  if (name === "warnings") loadWarnings();
  if (name === "outbox") renderOutbox();
}

async function start() {
  const me = await api("/me").catch(() => null);
  if (!me || !me.ok) {
    if (me) sessionStorage.removeItem("dv_token");
    $("cell-login").hidden = false;
    return;
  }
  state.me = me.body;
  $("cell-user").textContent = state.me.name;
  $("cell-who").hidden = false;
  $("cell-app").hidden = false;
  $("cell-login").hidden = true;
  await loadUnits();
  loadDuesRoster();
  renderOutbox();
  sendAll();
}

$("cell-login-form").addEventListener("submit", async ev => {
  ev.preventDefault();
  state.token = $("cell-token").value.trim();
  const me = await api("/me").catch(() => ({ok: false, status: 0, body: DV_UNREACHABLE}));
  if (!me.ok) {
    $("cell-login-error").textContent = me.body.message_vi ? dvProblem(me.status, me.body)
      : "Mã truy cập không đúng — The access token is wrong";
    return;
  }
  sessionStorage.setItem("dv_token", state.token);
  $("cell-token").value = "";
  // someone else signing in after a session ended: the page starts afresh, keeping nothing of the
  // previous secretary's in memory (the roster's names, taps, dues chosen); the same one goes on
  if (state.me && state.me.name !== me.body.name) { location.reload(); return; }
  start();
});
$("cell-logout").addEventListener("click", () => { sessionStorage.removeItem("dv_token"); location.reload(); });
$("cell-unit").addEventListener("change", () => {
  state.unit = $("cell-unit").value; state.roster = []; rosterAsked += 1; renderRoster(); loadDuesRoster();
});
document.querySelectorAll(".tabs button").forEach(b => b.addEventListener("click", () => showTab(b.dataset.tab)));
$("m-load").addEventListener("click", loadRoster);
$("m-save").addEventListener("click", saveMeeting);
$("d-save").addEventListener("click", saveDues);
$("d-month").addEventListener("input", loadDuesRoster);
$("o-send").addEventListener("click", sendAll);
window.addEventListener("online", sendAll);
setInterval(sendAll, 3000);
$("m-date").value = todayVn();
{ const d = new Date(); $("d-month").value = `${pad(d.getMonth() + 1)}/${d.getFullYear()}`; }
if (state.token) start(); else $("cell-login").hidden = false;
