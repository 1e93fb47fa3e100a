// Clerk forms generated from the command contracts (GET /api/v1/forms/<service>/<command>): one
// mechanism for every command. Dates typed dd/mm/yyyy; unit and member pickers list only what the
// user's scope holds; the answer shows the events written or the rule's Vietnamese message.
"use strict";

const API = "/api/v1";
const token = sessionStorage.getItem("dv_token");
const $ = id => document.getElementById(id);
const pad = n => String(n).padStart(2, "0");
let current = null;
let eventNames = {};  // event type -> its Vietnamese name (/labels.json, shared/labels.py)

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}
// the answer as {ok, status, body}; no answer at all (server down) is status 0 with a message saying so
async function api(path, opts = {}) {
  let res;
  try {
    res = await fetch(API + path, {...opts, headers: {...(opts.headers || {}), Authorization: `Bearer ${token}`}});
  } catch (e) {
    return {ok: false, status: 0, body: DV_UNREACHABLE};
  }
  return {ok: res.ok, status: res.status, body: await res.json().catch(() => ({}))};
}
function today() { const d = new Date(); return `${pad(d.getDate())}/${pad(d.getMonth() + 1)}/${d.getFullYear()}`; }
function isoOf(vn) {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(vn.trim());
  return m ? `${m[3]}-${pad(m[2])}-${pad(m[1])}` : null;
}

async function pickers(scope) {
  const tree = await api(`/members/org_tree${scope ? `?org_unit_id=${encodeURIComponent(scope)}` : ""}`);
  const units = [];
  const walk = nodes => nodes.forEach(n => { units.push(n); walk(n.children || []); });
  if (tree.ok) walk(tree.body);
  $("f-units").innerHTML = units.map(u => `<option value="${esc(u.org_unit_id)}">${esc(u.name)}</option>`).join("");
  const members = [];
  for (const u of units.filter(u => u.kind === "cell" || u.kind === "grassroots_cell")) {
    const res = await api(`/members/unit_members?org_unit_id=${encodeURIComponent(u.org_unit_id)}`);
    if (res.ok) res.body.forEach(m => members.push({id: m, unit: u.name}));
  }
  $("f-members").innerHTML = members.map(m => `<option value="${esc(m.id)}">${esc(m.unit)}</option>`).join("");
}

function input(f) {
  const id = `f-${f.name}`;
  const req = f.required ? " required" : "";
  const label = `${esc(f.label_vi)}${f.required ? " *" : ""}`;
  const preset = new URLSearchParams(location.search).get(f.name) || "";
  switch (f.input) {
    case "choice":
      return `<label>${label} <select id="${id}" name="${f.name}"${req}>${f.required ? "" : `<option value="">—</option>`}` +
        f.choices.map(c => `<option value="${esc(c.value)}"${c.value === (preset || f.default) ? " selected" : ""}>` +
                           `${esc(c.label_vi)}</option>`).join("") + `</select></label>`;
    case "yesno":
      return `<label class="check"><input id="${id}" name="${f.name}" type="checkbox"${f.default ? " checked" : ""}> ${label}</label>`;
    case "date":
      return `<label>${label} (dd/mm/yyyy) <input id="${id}" name="${f.name}" inputmode="numeric" placeholder="dd/mm/yyyy"` +
        ` value="${f.name === "occurred_on" ? today() : ""}"${req}></label>`;
    case "number":
      return `<label>${label} <input id="${id}" name="${f.name}" type="number"${f.minimum !== undefined ? ` min="${f.minimum}"` : ""}` +
        `${f.maximum !== undefined ? ` max="${f.maximum}"` : ""}${req}></label>`;
    case "unit":
      return `<label>${label} <input id="${id}" name="${f.name}" list="f-units" autocomplete="off" value="${esc(preset)}"${req}></label>`;
    case "member":
      return `<label>${label} <input id="${id}" name="${f.name}" list="f-members" autocomplete="off" value="${esc(preset)}"${req}></label>`;
    case "list":
      return `<label>${label} (cách nhau bởi dấu phẩy) <input id="${id}" name="${f.name}"${req}></label>`;
    default:
      return `<label>${label} <input id="${id}" name="${f.name}" value="${esc(preset)}"${req}></label>`;
  }
}

let asked = 0;  // the last form asked for: an earlier answer arriving after it is dropped

async function showForm(command) {
  const mine = ++asked;
  $("f-send").disabled = true;  // until the chosen command's form stands: never send another's
  const res = await api(`/forms/members/${command}`);
  if (mine !== asked) return;  // the clerk chose another command meanwhile: its form wins
  current = res.body;
  $("f-form").innerHTML = current.fields.map(input).join("");
  $("f-form").dataset.command = command;
  $("f-result").innerHTML = "";
  $("f-send").disabled = false;
}

function payload() {
  const out = {};
  for (const f of current.fields) {
    const el = $(`f-${f.name}`);
    if (f.input === "yesno") { out[f.name] = el.checked; continue; }
    const v = el.value.trim();
    if (!v) continue;
    if (f.input === "date") out[f.name] = isoOf(v) || v;  // the API names a malformed date
    else if (f.input === "number") out[f.name] = Number(v);
    else if (f.input === "list") out[f.name] = v.split(",").map(s => s.trim()).filter(Boolean);
    else out[f.name] = v;
  }
  return out;
}

// the server's message beside the field it names (inside the field's label), read out with the field
function markField(name, text) {
  document.querySelectorAll("#f-form .field-error").forEach(n => n.remove());
  document.querySelectorAll("#f-form [aria-invalid]").forEach(el => {
    el.removeAttribute("aria-invalid");
    el.removeAttribute("aria-describedby");
  });
  const el = name ? $(`f-${name}`) : null;
  if (!el) return;
  const note = document.createElement("span");
  note.className = "field-error error";
  note.id = `f-${name}-error`;
  note.textContent = text;
  (el.closest("label") || el.parentNode).appendChild(note);
  el.setAttribute("aria-invalid", "true");
  el.setAttribute("aria-describedby", note.id);
  el.focus();
}

async function send() {
  const key = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
  const res = await api(`/${current.service}/${current.command}`, {method: "POST", body: JSON.stringify(payload()),
    headers: {"Content-Type": "application/json", "Idempotency-Key": key}});
  markField(res.ok ? null : res.body.field, dvProblem(res.status, res.body));
  if (res.ok) {
    const events = res.body.events || [];
    $("f-result").className = "ok";
    $("f-result").innerHTML = `<p>Đã ghi ${events.length} sự kiện:</p><ul>` + events.map(e =>
      `<li>${esc(eventNames[e.type] || e.type)} — ${esc((e.occurred_on || "").split("-").reverse().join("/"))}</li>`)
      .join("") + "</ul>";
  } else {
    $("f-result").className = "error";
    const field = res.body.field ? ` (trường: ${esc((current.fields.find(f => f.name === res.body.field) || {}).label_vi || res.body.field)})` : "";
    $("f-result").innerHTML = `<p class="error" id="f-error">${esc(dvProblem(res.status, res.body))}${field}</p>`;
  }
}

async function start() {
  fetch("/labels.json").then(r => r.json()).then(w => { eventNames = (w.codes || {}).type || {}; }).catch(() => null);
  const me = await api("/me");
  const offered = me.ok ? await api("/forms") : me;
  if (offered.status === 0) {  // no answer: the server is down, not the session over
    $("f-load-error").textContent = dvProblem(0, offered.body);
    $("f-load-error").hidden = false;
    return;
  }
  if (!me.ok) { $("f-login").hidden = false; return; }
  $("f-command").innerHTML = offered.body.map(f => `<option value="${esc(f.command)}">${esc(f.title_vi)}</option>`).join("");
  const wanted = new URLSearchParams(location.search).get("command");
  if (wanted && offered.body.some(f => f.command === wanted)) $("f-command").value = wanted;
  $("f-app").hidden = false;
  await showForm($("f-command").value);
  pickers(me.body.scope);
}

if (!token) $("f-login").hidden = false; else start();
$("f-command").addEventListener("change", () => showForm($("f-command").value));
$("f-send").addEventListener("click", send);
