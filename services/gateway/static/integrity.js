// The integrity alert of every page (dashboard, cell book, forms, sheet import). The gateway puts
// the header X-Dangvien-Integrity ("failed; stores=members", "unverified; stores=…") on every answer
// drawn while an event store fails its tamper check (or could not be checked). This script reads it
// on every fetch the page makes and keeps a banner above the page — in Vietnamese with English beside,
// in the words the exports print first (shared/labels.py, served in /labels.json) — for as long as
// answers carry it: moving to another view or page keeps it; it goes once an answer drawn from records
// comes back without it.
// Loaded before the page's own script, so the page's fetch calls all come through here.
"use strict";

(function () {
  const HEADER = "X-Dangvien-Integrity";
  const API = "/api/v1/";
  // answers that never read records, so never carry the header: they say nothing either way
  const NO_RECORDS = new Set(["me", "login", "logout", "forms", "audit", "import-jobs"]);
  const KEPT = "dv_integrity";  // the last word, kept for the next page of this tab (sessionStorage)
  const rawFetch = window.fetch.bind(window);
  let flag = kept();  // the header the last answer drawn from records carried, "" when none
  let words = null, asked = false;

  function kept() {
    try { return sessionStorage.getItem(KEPT) || ""; } catch (e) { return ""; }
  }

  function keep() {
    try {
      if (flag) sessionStorage.setItem(KEPT, flag); else sessionStorage.removeItem(KEPT);
    } catch (e) { /* storage refused: this page only */ }
  }

  function note(input, init, resp) {
    const url = new URL(typeof input === "string" ? input : input.url, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith(API)) return;
    const value = resp.headers.get(HEADER) || "";
    if (!value) {
      // a clean answer drawn from records clears the alert; a command, a refusal or an answer that
      // reads no records (who am I, the forms) says nothing about the stores
      const method = ((init && init.method) || (typeof input === "string" ? "GET" : input.method) || "GET");
      const first = url.pathname.slice(API.length).split("/")[0];
      if (method.toUpperCase() !== "GET" || !resp.ok || NO_RECORDS.has(first)) return;
    }
    if (value === flag) return;
    flag = value;
    keep();
    render();
  }

  window.fetch = async function (input, init) {
    const resp = await rawFetch(input, init);
    try { note(input, init, resp); } catch (e) { /* the alert never breaks the page */ }
    return resp;
  };

  // "failed; stores=members,meetings" -> {state: "failed", stores: "members, meetings"}
  function parse(value) {
    const m = /^\s*([a-z_]+)\s*;\s*stores=([^;]*)/.exec(value);
    return m ? {state: m[1], stores: m[2].split(",").map(s => s.trim()).filter(Boolean).join(", ")}
      : {state: "", stores: ""};
  }

  function loadWords() {
    if (asked) return;
    asked = true;
    rawFetch("/labels.json").then(r => r.json()).then(body => {
      words = body.integrity || null;
      render();
    }).catch(() => null);
  }

  function banner() {
    let el = document.getElementById("integrity-alert");
    if (!el) {
      el = document.createElement("div");
      el.id = "integrity-alert";
      el.className = "integrity-alert";
      el.setAttribute("role", "alert");
      el.hidden = true;
      const header = document.querySelector("body > header");
      if (header) header.after(el); else document.body.prepend(el);
    }
    return el;
  }

  function render() {
    if (!document.body) return;
    const el = banner();
    if (!flag) {
      el.hidden = true;
      el.replaceChildren();
      delete el.dataset.state;
      delete el.dataset.stores;
      return;
    }
    loadWords();
    const {state, stores} = parse(flag);
    const w = words && words[state];
    const title = words ? `${words.title_vi}: / ${words.title_en}:` : "Cảnh báo toàn vẹn dữ liệu: / Integrity warning:";
    const strong = document.createElement("strong");
    strong.className = "integrity-title";
    strong.textContent = title;
    const text = document.createElement("span");
    text.className = "integrity-text";
    // the exports' first line, word for word; the header as it came when its state is not known here
    text.textContent = w ? `${w.vi.replace("{stores}", stores)} / ${w.en.replace("{stores}", stores)}`
      : `${HEADER}: ${flag}`;
    el.replaceChildren(strong, text);
    el.dataset.state = state;
    el.dataset.stores = stores;
    el.hidden = false;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
