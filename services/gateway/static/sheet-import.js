// Upload a spreadsheet list to POST /api/v1/imports/sheet: check first (dry run), then import.
"use strict";

const token = sessionStorage.getItem("dv_token");
const CHANGES = {transfer: "Chuyển sinh hoạt", record_update: "Cập nhật hồ sơ", recognized_official:
                 "Công nhận chính thức", working_away: "Đi làm ăn xa", removed: "Xóa tên", discipline: "Kỷ luật"};
const el = id => document.getElementById(id);
// the import job's phases (GET /api/v1/import-jobs/{job}: ``phase`` or ``phase:service``)
const PHASES = {parsing: "Đang đọc tệp", rows: "Đang kiểm tra từng hàng", validating: "Đang kiểm tra từng dòng",
                writing: "Đang ghi", reacting: "Đang xử lý hệ quả", projecting: "Đang cập nhật số liệu báo cáo",
                done: "Xong", refused: "Bị từ chối"};
const SERVICES = {members: "tổ chức, đảng viên", meetings: "sinh hoạt, đảng phí", discipline: "kiểm tra, kỷ luật",
                  reporting: "báo cáo"};
const POLL_MS = 300;

// a message as the gateway words it: Vietnamese, then English
const bilingual = m => [m.message_vi, m.message_en].filter(Boolean).join(" — ");

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

async function loadUnits() {
  const res = await fetch("/api/v1/members/org_tree", {headers: {Authorization: `Bearer ${token}`}});
  if (!res.ok) return;
  const list = el("sheet-units");
  const walk = nodes => nodes.forEach(n => {
    const o = document.createElement("option");
    o.value = n.org_unit_id;
    o.label = `${n.name} (${n.org_unit_id})`;
    list.appendChild(o);
    walk(n.children || []);
  });
  walk(await res.json());
}

function showJob(job) {
  const [name, service] = String(job.phase || "").split(":");
  let text = PHASES[name] || "Đang xử lý";
  if (service) text += ` (${SERVICES[service] || service})`;
  if (job.total) text += `: ${Number(job.done || 0).toLocaleString("vi-VN")}/${Number(job.total).toLocaleString("vi-VN")}`;
  el("sheet-phase").textContent = text;
  const bar = el("sheet-bar");
  if (job.total) { bar.max = job.total; bar.value = Math.min(job.done || 0, job.total); }
  else bar.removeAttribute("value");  // not yet counted: an indeterminate bar
  el("sheet-progress").hidden = false;
}

// A job the upload runs under (POST /api/v1/import-jobs), polled until ``finished()`` says so;
// null when none can be made (the upload then goes on without a bar).
async function follow(finished) {
  const auth = {Authorization: `Bearer ${token}`};
  let job;
  try {
    const res = await fetch("/api/v1/import-jobs", {method: "POST", headers: auth});
    if (!res.ok) return null;
    job = (await res.json()).job;
  } catch (e) {
    return null;
  }
  showJob({phase: "parsing"});
  const poll = async () => {
    try {
      const res = await fetch(`/api/v1/import-jobs/${encodeURIComponent(job)}`, {headers: auth});
      if (res.ok) showJob(await res.json());
    } catch (e) { /* the upload's own answer says what went wrong */ }
  };
  (async () => {
    while (!finished()) {
      await poll();
      await new Promise(ok => setTimeout(ok, POLL_MS));
    }
    await poll();  // the job's last state: done or refused
  })();
  return job;
}

function table(title, head, rows) {
  if (!rows.length) return "";
  return `<h3>${esc(title)}</h3><table><thead><tr>${head.map(h => `<th>${esc(h)}</th>`).join("")}</tr></thead>` +
    `<tbody>${rows.map(r => `<tr>${r.map(c => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

async function send(dryRun) {
  const file = el("sheet-file").files[0];
  if (!file || !el("sheet-into").value) {
    el("sheet-status").textContent = "Chọn tệp và tổ chức nhận trước.";
    return;
  }
  const params = new URLSearchParams({kind: el("sheet-kind").value, into: el("sheet-into").value.trim(),
                                      filename: file.name});
  if (el("sheet-name").value.trim()) params.set("sheet", el("sheet-name").value.trim());
  if (el("sheet-create").checked) params.set("create_units", "1");
  if (el("sheet-on").value.trim()) params.set("on", el("sheet-on").value.trim());
  if (dryRun) params.set("dry_run", "1");
  el("sheet-status").textContent = dryRun ? "Đang kiểm tra…" : "Đang nhập… (chờ các dịch vụ cập nhật số liệu)";
  el("sheet-result").innerHTML = "";
  // one file at a time: a second click while it runs would send it again
  el("sheet-check").disabled = el("sheet-import").disabled = true;
  let res, body, finished = false;
  const job = await follow(() => finished);
  if (job) params.set("job", job);
  try {
    res = await fetch(`/api/v1/imports/sheet?${params}`, {method: "POST", body: await file.arrayBuffer(),
      headers: {Authorization: `Bearer ${token}`, "Content-Type": "application/octet-stream"}});
    body = await res.json().catch(() => ({}));
  } catch (e) {
    el("sheet-status").textContent = "Mất kết nối tới máy chủ — the server could not be reached";
    el("sheet-status").className = "error";
    return;
  } finally {
    finished = true;
    el("sheet-check").disabled = el("sheet-import").disabled = false;
  }
  el("sheet-status").textContent = bilingual(body) || `Lỗi — Error ${res.status}`;
  el("sheet-status").className = res.ok ? "ok" : "error";
  el("sheet-result").innerHTML =
    (body.notes || []).map(n => `<p class="note">${esc(bilingual(n))}</p>`).join("") +
    (body.rows !== undefined ? `<p>${body.rows} dòng; có thay đổi: ${body.accepted}; không đổi: ${body.unchanged}; ` +
      `sự kiện: ${body.events}; đã ghi: ${body.written ?? 0}</p>` : "") +
    table("Ô bị từ chối", ["Ô", "Lý do — Reason"], (body.refused || []).map(r => [r.cell, bilingual(r)])) +
    table("Thay đổi so với hệ thống", ["Dòng", "Đảng viên", "Thay đổi"],
          (body.changes || []).map(c => [c.row, c.member_id, CHANGES[c.change] || c.change])) +
    ((body.not_in_list || []).length ? `<p class="note">${body.not_in_list.length} đảng viên có trong hệ thống ` +
      `nhưng không có trong danh sách (không ghi gì).</p>` : "");
}

if (!token) {
  el("sheet-login").hidden = false;
  el("sheet-panel").hidden = true;
} else {
  loadUnits();
  el("sheet-check").addEventListener("click", () => send(true));
  el("sheet-import").addEventListener("click", () => send(false));
}
