// Tables people work in: sort by any column (click its header), filter the rows (every word typed must
// appear; case and diacritics ignored), page through long lists. Rows of other pages stay in the
// table, hidden on screen and printed (the print stylesheet shows them), so paper gets the whole list.
"use strict";

function folded(s) {
  return String(s ?? "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
}

const PAGE_SIZES = [10, 20, 50, 100];

// columns: [{key, label, html(row) → cell HTML, text(row) → words to filter/sort by, num: bool}]
// opts: {pageSize, sort: key, dir: 1 | -1, rowAttrs(row) → attribute string, id}
function dataTable(container, rows, columns, opts = {}) {
  container.innerHTML = "";
  if (!rows.length) {
    container.innerHTML = '<p class="empty">Không có số liệu trong phạm vi này.</p>';
    return null;
  }
  const st = {sort: opts.sort || null, dir: opts.dir || 1, filter: "", page: 1, size: opts.pageSize || 20};
  const wrap = document.createElement("div");
  wrap.className = "datatable";
  const sizes = PAGE_SIZES.map(n => `<option value="${n}"${n === st.size ? " selected" : ""}>${n}</option>`).join("");
  wrap.innerHTML = `<div class="dt-tools">
      <label>Lọc <input type="search" class="dt-filter" placeholder="Gõ để lọc các dòng"></label>
      <span class="dt-count" role="status"></span>
      <span class="dt-pager"><button type="button" class="dt-prev" aria-label="Trang trước">‹ Trước</button>
        <span class="dt-page"></span>
        <button type="button" class="dt-next" aria-label="Trang sau">Sau ›</button>
        <label>Số dòng/trang <select class="dt-size">${sizes}</select></label></span></div>
    <div class="table-wrap"><table><thead><tr></tr></thead><tbody></tbody></table></div>`;
  container.appendChild(wrap);
  const text = (c, r) => (c.text ? c.text(r) : r[c.key]);
  const words = rows.map(r => folded(columns.map(c => text(c, r)).join(" ")));
  const headRow = wrap.querySelector("thead tr");
  columns.forEach(c => {
    const th = document.createElement("th");
    th.dataset.key = c.key;
    th.className = "sortable" + (c.num ? " num" : "");
    th.tabIndex = 0;
    th.textContent = c.label;
    th.title = "Bấm để sắp xếp";
    const toggle = () => {
      st.dir = st.sort === c.key ? -st.dir : 1;
      st.sort = c.key;
      st.page = 1;
      draw();
    };
    th.addEventListener("click", toggle);
    th.addEventListener("keydown", ev => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); toggle(); } });
    headRow.appendChild(th);
  });
  const compare = c => (a, b) => {
    const x = text(c, rows[a]), y = text(c, rows[b]);
    if (c.num) return ((Number(x) || 0) - (Number(y) || 0)) * st.dir;
    return String(x ?? "").localeCompare(String(y ?? ""), "vi", {numeric: true}) * st.dir;
  };

  function draw() {
    const needles = folded(st.filter).split(/\s+/).filter(Boolean);
    let order = rows.map((_, i) => i).filter(i => needles.every(n => words[i].includes(n)));
    const col = columns.find(c => c.key === st.sort);
    if (col) order.sort(compare(col));
    const pages = Math.max(1, Math.ceil(order.length / st.size));
    st.page = Math.min(Math.max(1, st.page), pages);
    const first = (st.page - 1) * st.size;
    wrap.querySelector("tbody").innerHTML = order.map((i, n) => {
      const r = rows[i];
      const off = n < first || n >= first + st.size ? " off-page" : "";
      const attrs = opts.rowAttrs ? opts.rowAttrs(r) : "";
      return `<tr class="dt-row${off}"${attrs}>` + columns.map(c =>
        `<td class="${c.num ? "num" : ""}">${c.html ? c.html(r) : esc(r[c.key])}</td>`).join("") + "</tr>";
    }).join("");
    headRow.querySelectorAll("th").forEach(th => th.setAttribute("aria-sort", th.dataset.key !== st.sort ? "none"
      : st.dir > 0 ? "ascending" : "descending"));
    const shownTo = Math.min(order.length, first + st.size);
    wrap.querySelector(".dt-count").textContent = order.length
      ? `Dòng ${NUMBER_VI.format(first + 1)}–${NUMBER_VI.format(shownTo)} trên ${NUMBER_VI.format(order.length)}`
        + (order.length < rows.length ? ` (lọc từ ${NUMBER_VI.format(rows.length)})` : "")
      : "Không có dòng nào khớp";
    wrap.querySelector(".dt-page").textContent = `Trang ${st.page}/${pages}`;
    wrap.querySelector(".dt-prev").disabled = st.page <= 1;
    wrap.querySelector(".dt-next").disabled = st.page >= pages;
    if (opts.drawn) opts.drawn(wrap);
  }

  wrap.querySelector(".dt-filter").addEventListener("input", ev => { st.filter = ev.target.value; st.page = 1; draw(); });
  wrap.querySelector(".dt-prev").addEventListener("click", () => { st.page -= 1; draw(); });
  wrap.querySelector(".dt-next").addEventListener("click", () => { st.page += 1; draw(); });
  wrap.querySelector(".dt-size").addEventListener("change", ev => { st.size = Number(ev.target.value); st.page = 1; draw(); });
  draw();
  return wrap;
}
