// fix401's one screen. Every decision is made by the core library behind the commands;
// this file only shows results, progress and errors. No innerHTML with data: text only.
"use strict";

const T = window.__TAURI__;
const invoke = T.core.invoke;
const $ = (id) => document.getElementById(id);

// The repairs the window performs, by action id → the button that runs it. Every word shown
// (verdict, headline, what to do first) comes from the core's outcome, never from here.
const REPAIRS = {
  "flush-dns": "flush-dns-retry",
  "clear-site-data": "fix-site",
  "restart-browser": "restart-browser",
};

let busy = false;
let lastUrl = "";
// Action ids the help desk turned off (configuration): never offered.
let disabled = new Set();

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

function setBusy(on, text) {
  busy = on;
  $("progress").hidden = !on;
  if (text) $("progress-text").textContent = text;
  // A button the page turned off (data-off) stays off when the wait ends.
  for (const b of document.querySelectorAll("button")) b.disabled = on || b.dataset.off === "1";
  $("url").readOnly = on;
}

function showMessage(text, info) {
  const m = $("message");
  m.textContent = text || "";
  m.className = info ? "message info" : "message";
  m.hidden = !text;
}

function errorText(e) {
  if (e && typeof e === "object" && "message" in e) return e.message;
  return String(e);
}

function channel() {
  const ch = new T.core.Channel();
  ch.onmessage = (ev) => {
    if (ev.event === "started") $("progress-text").textContent = ev.label + "…";
    else if (ev.event === "progress") $("progress-text").textContent = ev.message;
    else if (ev.event === "done") $("progress-text").textContent = ev.message;
    else if (ev.event === "failed") $("progress-text").textContent = ev.error;
  };
  return ch;
}

async function run(label, fn) {
  if (busy) return;
  showMessage("");
  setBusy(true, label);
  try {
    await fn();
  } catch (e) {
    showMessage(errorText(e));
  } finally {
    setBusy(false);
  }
}

// Shows the core's outcome (verdict words, tone, headline, first step) as sent, and the
// one row of repairs: the first action is the main button; the other repairs the findings
// call for stay beside it.
function setVerdict(o, findings, worksFromHere) {
  const v = $("verdict");
  v.textContent = o.verdict_words;
  v.className = "verdict " + o.tone;
  v.dataset.verdict = o.verdict;
  $("headline").textContent = o.headline;
  $("headline").hidden = !o.headline;
  $("first-step").textContent = o.first_step ? "What to do first: " + o.first_step : "";
  $("first-step").hidden = !o.first_step;
  // Once the page works, the person goes back to it in their own browser: that becomes the
  // main button, first in the row, and the repairs step back.
  const works = o.tone === "good";
  $("open-page").hidden = !works;
  const wanted = new Set((findings || []).flatMap((f) => f.actions || []).filter((a) => !disabled.has(a)));
  // What the core still suggests when the page works from here (restart-browser after a
  // Basic/Digest login the browser may keep sending) stays offered beside "Open the page".
  const still = new Set(((worksFromHere && worksFromHere.actions) || []).filter((a) => !disabled.has(a)));
  for (const [action, id] of Object.entries(REPAIRS)) {
    $(id).hidden = !still.has(action) && (works || !wanted.has(action));
  }
  renderWorksFromHere(worksFromHere);
  const lead = works ? "open-page" : (!disabled.has(o.first_action) && REPAIRS[o.first_action]) || null;
  // The main button comes first in the page itself, so Tab reaches it first too.
  let order = ["flush-dns-retry", "fix-site", "restart-browser", "open-page", "undo"];
  if (lead) order = [lead, ...order.filter((id) => id !== lead)];
  for (const id of order) $(id).classList.toggle("primary", id === lead);
  $("undo").parentElement.append(...order.map($));
  $("result").hidden = false;
  v.focus();
}

// The findings in plain words. The one the headline already says is not repeated; cause ids
// and confidence are for technicians (Technical details).
function renderFindings(findings, o, okText) {
  const list = $("findings");
  list.replaceChildren();
  const said = (f) => f.cause === o.cause && o.headline.endsWith(f.summary);
  for (const f of (findings || []).filter((f) => !said(f))) {
    list.append(el("li", { class: "finding " + f.confidence, "data-cause": f.cause },
      el("p", { class: "summary" }, f.summary)));
  }
  if (!list.childElementCount && okText) {
    list.append(el("li", { class: "finding none" }, el("p", { class: "summary" }, okText)));
  }
  $("findings-title").textContent = list.childElementCount && o.cause ? "Also found" : "What fix401 found";
  $("findings-title").hidden = list.childElementCount === 0;
  list.hidden = list.childElementCount === 0;
  renderTechFindings(findings);
}

// When the page works from here and no browser holds anything for the site, the core says
// what it tested and what still differs from the browser instead of blaming stored data.
function renderWorksFromHere(w) {
  $("works-from-here").hidden = !w;
  const fill = (id, lines) => $(id).replaceChildren(...(lines || []).map((t) => el("li", {}, t)));
  fill("wfh-tested", w && w.tested);
  fill("wfh-differences", w && w.differences);
}

// Every finding for a technician: its cause id, confidence and evidence.
function renderTechFindings(findings) {
  const ul = $("tech-findings");
  ul.replaceChildren();
  for (const f of findings || []) {
    const ev = el("ul", {}, ...(f.evidence || []).map((e) => el("li", {}, el("code", {}, e))));
    ul.append(el("li", { "data-cause": f.cause },
      el("p", {}, el("code", {}, f.cause), ` · ${f.confidence} confidence · actions: ${(f.actions || []).join(", ") || "none"}`), ev));
  }
  if (!ul.childElementCount) ul.append(el("li", { class: "muted" }, "none"));
}

// Loopback and LAN phases take fractions of a millisecond: "0.2 ms", not "0 ms".
function fmtMs(v) {
  if (v == null) return "–";
  return v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`;
}

function waterfall(t) {
  const NS = "http://www.w3.org/2000/svg";
  const phases = [["DNS", t.dns, "#0ea5e9"], ["Connect", t.connect, "#8b5cf6"],
    ["TLS", t.tls, "#f59e0b"], ["First byte", t.first_byte, "#22c55e"]];
  const total = Math.max(t.total || 0, phases.reduce((s, p) => s + (p[1] || 0), 0), 1);
  const W = 640, row = 26, left = 110, right = 80, H = row * (phases.length + 1) + 10;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  const desc = phases.map((p) => `${p[0]} ${fmtMs(p[1])}`).join(", ") + `, total ${fmtMs(t.total)}`;
  svg.setAttribute("aria-label", "Timing: " + desc);
  const scale = (W - left - right) / total;
  let x = 0;
  phases.concat([["Total", t.total, "#64748b"]]).forEach((p, i) => {
    const y = 8 + i * row;
    const label = document.createElementNS(NS, "text");
    label.setAttribute("x", "0"); label.setAttribute("y", String(y + 15));
    label.textContent = p[0];
    svg.append(label);
    const isTotal = p[0] === "Total";
    const start = isTotal ? 0 : x;
    const w = Math.max((p[1] || 0) * scale, p[1] ? 2 : 0);
    const r = document.createElementNS(NS, "rect");
    r.setAttribute("x", String(left + start * scale)); r.setAttribute("y", String(y + 3));
    r.setAttribute("width", String(w)); r.setAttribute("height", "16"); r.setAttribute("rx", "3");
    r.setAttribute("fill", p[2]);
    svg.append(r);
    const val = document.createElementNS(NS, "text");
    val.setAttribute("x", String(left + start * scale + w + 6)); val.setAttribute("y", String(y + 15));
    val.textContent = fmtMs(p[1]);
    svg.append(val);
    if (!isTotal) x += p[1] || 0;
  });
  $("waterfall").replaceChildren(svg);
}

function renderTechnical(r) {
  $("tech-status").textContent = r.status == null ? "no answer" : r.status_text || String(r.status);
  $("tech-url").textContent = r.final_url && r.final_url !== r.url ? `${r.url} → ${r.final_url}` : r.url;
  $("tech-resolved").textContent = (r.resolved || []).join(", ") || "–";
  waterfall(r.timings_ms || {});
  const red = $("tech-redirects");
  red.replaceChildren();
  const hops = r.redirects || [];
  // One hop without a Location is the request itself: there was no redirect.
  if (hops.length > 1 || (hops[0] && hops[0].location)) {
    for (const h of hops) {
      red.append(el("li", {}, `${h.status ?? "–"} ${h.url}` + (h.location ? ` → ${h.location}` : "")));
    }
  }
  if (!red.childElementCount) red.append(el("li", { class: "muted" }, "none: the address answered directly"));
  const ch = $("tech-challenges");
  ch.replaceChildren();
  for (const c of r.challenges || []) {
    const box = el("div", { class: "challenge" },
      el("p", {}, el("strong", {}, c.header + ": "), el("code", {}, (c.lines || []).join(", "))));
    const ul = el("ul", {});
    for (const x of c.explanations || []) ul.append(el("li", {}, x));
    box.append(ul);
    ch.append(box);
  }
  if (!ch.childElementCount) ch.append(el("p", { class: "muted" }, "The server sent no challenge."));
  const hb = $("tech-headers");
  hb.replaceChildren();
  for (const h of r.headers || []) hb.append(el("tr", {}, el("td", {}, h.name), el("td", {}, h.value)));
}

function showReport(r) {
  setVerdict(r.outcome, r.findings, r.works_from_here);
  renderFindings(r.findings, r.outcome);
  // The core rules clearing out when the evidence exonerates the site's data: not offered.
  if (r.site_data_ruled_out) $("fix-site").hidden = true;
  renderTechnical(r);
}

async function check() {
  const url = $("url").value.trim();
  if (!url) {
    showMessage("Type or paste the address of the page first.");
    $("url").focus();
    return;
  }
  lastUrl = url;
  $("browsers-panel").hidden = true;
  // From here the result card offers Undo.
  $("undo-earlier").hidden = true;
  await run("Testing the address…", async () => {
    const r = await invoke("check", { url, onEvent: channel() });
    showReport(r);
  });
}

async function flushRetry() {
  const url = lastUrl || $("url").value.trim();
  await run("Flushing the DNS cache…", async () => {
    const r = await invoke("flush_dns_retry", { url, onEvent: channel() });
    renderTechnical(r.after);
    setVerdict(r.outcome, r.after.findings, r.after.works_from_here);
    renderFindings(r.after.findings, r.outcome, r.verdict === "fixed" ? "Nothing is wrong any more." : "");
    showMessage(r.flush.summary, r.flush.flushed);
  });
}

// "1 cookie", "2 cookies": never "cookie(s)".
function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

function fmtBytes(n) {
  if (n < 1024) return plural(n, "byte", "bytes");
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1048576).toFixed(1)} MiB`;
}

// One line per profile of what clearing would remove (the core's plan; names, never values).
function planLines(plan, browserId) {
  const lines = [];
  for (const p of (plan && plan.profiles) || []) {
    if (p.browser_id !== browserId) continue;
    const parts = [];
    for (const it of p.items || []) {
      const a = it.action;
      if (a.type === "cookies") parts.push(`${plural(a.count, "cookie", "cookies")}: ${a.names.join(", ")}`);
      else if (a.type === "cache_entries") parts.push(`${plural(a.count, "cached file", "cached files")}, ${fmtBytes(a.bytes)}`);
      else if (a.type === "whole_cache") parts.push(`the whole cache (${fmtBytes(a.bytes)}): ${a.reason}`);
      else if (a.type === "storage_folders") parts.push(`${plural(a.folders.length, "storage folder", "storage folders")}, ${fmtBytes(a.bytes)}`);
    }
    let open = false;
    for (const k of p.skipped || []) {
      if (k.code === "browser_running") open = true;
      else parts.push(`left alone: ${k.reason}`);
    }
    // An open browser's stores are not read: "nothing stored" would be a guess.
    const none = open ? "not looked at while the browser is open" : "nothing stored for this site";
    lines.push(`${p.profile_name}: ${parts.length ? parts.join(" · ") : none}`);
  }
  return lines;
}

async function openFixSite() {
  const url = lastUrl || $("url").value.trim();
  await run("Looking for your browsers…", async () => {
    const list = await invoke("list_browsers");
    let plan = null;
    let refused = "";
    try { plan = await invoke("site_plan", { url }); } catch (e) {
      // A public suffix (github.io, co.uk) is never a site: nothing may be cleared.
      if (e && e.code === "bad_input") refused = errorText(e);
    }
    const ul = $("browsers");
    ul.replaceChildren();
    const open = [];
    for (const b of list) {
      const id = "br-" + b.id;
      const cb = el("input", { type: "checkbox", id, value: b.id, "aria-describedby": id + "-plan" });
      cb.checked = true;
      const text = `${b.name}${b.version ? " " + b.version : ""} — ${plural(b.profiles.length, "profile", "profiles")}`;
      const label = el("label", { for: id }, cb, text);
      if (b.running) { label.append(el("span", { class: "badge" }, "open")); open.push(b.name); }
      const details = el("ul", { class: "plan", id: id + "-plan" },
        ...planLines(plan, b.id).map((l) => el("li", {}, l)));
      ul.append(el("li", {}, label, details));
    }
    if (!list.length) ul.append(el("li", { class: "muted" }, "No browser was found for this user."));
    const warn = $("browsers-open");
    warn.hidden = open.length === 0;
    warn.textContent = open.length
      ? `${open.join(", ")} ${open.length > 1 ? "are" : "is"} open. fix401 can only change a browser’s data while it is closed.`
      : "";
    $("close-browsers").hidden = open.length === 0;
    $("fix-site-go").dataset.off = list.length === 0 || refused ? "1" : "";
    $("browsers-panel").hidden = false;
    if (refused) showMessage(refused);
  });
  $("browsers-panel").hidden || (document.querySelector("#browsers input") || $("fix-site-go")).focus();
}

function chosenBrowsers() {
  return [...document.querySelectorAll("#browsers input:checked")].map((c) => c.value);
}

async function closeBrowsers() {
  await run("Closing the browsers…", async () => {
    const res = await invoke("close_browsers", { ids: chosenBrowsers() });
    showMessage(res.map((c) => c.summary).join(" "), res.every((c) => c.ok));
  });
  await openFixSite();
}

async function fixSite() {
  const url = lastUrl || $("url").value.trim();
  const browsers = chosenBrowsers();
  await run("Clearing the site’s data…", async () => {
    const r = await invoke("fix_site", { url, browsers, onEvent: channel() });
    // Before the verdict shows: the window is consistent the moment it changes.
    await refreshUndo();
    $("browsers-panel").hidden = true;
    const after = r.after || r.before;
    setVerdict(r.outcome, after.findings, r.works_from_here || after.works_from_here);
    renderFindings(after.findings, r.outcome, r.verdict === "fixed" ? "Nothing is wrong any more." : "");
    const did = (r.actions || []).map((a) => a.summary).join(" ");
    if (did) showMessage(did, r.verdict !== "still_failing");
  });
}

async function openPage() {
  const url = lastUrl || $("url").value.trim();
  await run("Opening the page…", async () => {
    const r = await invoke("open_page", { url });
    showMessage(r.summary, r.ok);
  });
}

// "Restart the browser": its own DNS and connection caches go with it; the page opens again.
async function restartBrowsers() {
  const url = lastUrl || $("url").value.trim();
  await run("Closing your browser…", async () => {
    const r = await invoke("restart_browsers", { url });
    showMessage(r.summary, r.ok);
  });
}

// Undo is offered only while a clear can be put back, naming the site it would restore.
async function refreshUndo() {
  let last = null;
  try { last = await invoke("undo_available"); } catch (_) { /* then it is not offered */ }
  $("undo").hidden = !last;
  $("undo").textContent = last ? `Undo last fix (${last.site})` : "Undo last fix";
  if (!last) $("undo-earlier").hidden = true;
  return last;
}

// On opening the app, a fix from an earlier visit can be undone without checking first.
function offerEarlierUndo(last) {
  if (!last || !$("result").hidden) return;
  const when = new Date(last.created);
  const at = isNaN(when) ? "" : ` (${when.toLocaleString()})`;
  $("undo-earlier-text").textContent = `Your last fix, of ${last.site}${at}, can be undone.`;
  $("undo-earlier").hidden = false;
}

async function undo() {
  await run("Putting the data back…", async () => {
    const r = await invoke("undo");
    await refreshUndo();
    showMessage(r.summary, true);
    // The last result no longer describes the browser: say what is true now.
    setVerdict(r.outcome, []);
    renderFindings([], r.outcome, "Not tested since the undo.");
  });
}

async function copyReport() {
  await run("Preparing the report…", async () => {
    const text = await invoke("report_text");
    try {
      await navigator.clipboard.writeText(text);
    } catch (_) {
      const ta = el("textarea", {});
      ta.value = text;
      document.body.append(ta);
      ta.select();
      document.execCommand("copy");
      ta.remove();
    }
    showMessage("The report is on the clipboard: paste it into your e-mail or ticket.", true);
  });
}

async function saveReport() {
  await run("Saving the report…", async () => {
    const path = await invoke("save_report");
    // Cancelling the dialog is not an error: nothing to say.
    showMessage(path ? `Report saved to ${path}` : "", true);
  });
}

// One file for the ticket: fix401 tests the address again, recording every request.
async function saveBundle() {
  const url = lastUrl || $("url").value.trim();
  await run("Preparing the file for support…", async () => {
    const b = await invoke("save_bundle", { url });
    showMessage(b ? `File for support saved to ${b.path}` : "", true);
  });
}

// The help desk's configuration: preset addresses, actions turned off, who to call.
function applySettings(s) {
  disabled = new Set(s.disabled_actions || []);
  for (const [action, id] of Object.entries(REPAIRS)) if (disabled.has(action)) $(id).hidden = true;
  const list = $("preset-urls");
  list.replaceChildren(...(s.urls || []).map((u) => el("option", { value: u })));
  const c = s.support;
  const parts = c ? [c.phone, c.email, c.url].filter(Boolean) : [];
  const foot = $("support");
  foot.hidden = !(c && (c.name || parts.length));
  if (!foot.hidden) {
    foot.replaceChildren("Need help? ", el("strong", {}, c.name || "Your help desk"),
      parts.length ? " · " + parts.join(" · ") : "");
  }
}

function fillUrl(u) {
  if (!u) return;
  $("url").value = u;
  check();
}

window.addEventListener("DOMContentLoaded", async () => {
  $("check-form").addEventListener("submit", (e) => { e.preventDefault(); check(); });
  $("flush-dns-retry").addEventListener("click", flushRetry);
  $("fix-site").addEventListener("click", openFixSite);
  $("restart-browser").addEventListener("click", restartBrowsers);
  $("fix-site-go").addEventListener("click", fixSite);
  $("fix-site-cancel").addEventListener("click", () => { $("browsers-panel").hidden = true; $("fix-site").focus(); });
  $("close-browsers").addEventListener("click", closeBrowsers);
  $("undo").addEventListener("click", undo);
  $("undo-earlier-go").addEventListener("click", async () => {
    $("undo-earlier").hidden = true;
    await undo();
  });
  $("open-page").addEventListener("click", openPage);
  $("copy-report").addEventListener("click", copyReport);
  $("save-report").addEventListener("click", saveReport);
  $("save-bundle").addEventListener("click", saveBundle);
  T.event.listen("fill-url", (e) => fillUrl(e.payload));
  $("url").focus();
  // Nothing but the window before the first paint: the undo offer, the help desk's settings
  // and the start-up address are asked for once the page has been painted (a frame, then a
  // task after it).
  await new Promise((painted) => requestAnimationFrame(() => setTimeout(painted, 0)));
  refreshUndo().then(offerEarlierUndo);
  let presets = [];
  try {
    const s = await invoke("settings");
    applySettings(s);
    presets = s.urls || [];
  } catch (e) {
    // A broken configuration file: say which line, keep the window usable.
    showMessage(errorText(e));
  }
  try {
    const start = await invoke("startup_url");
    if (start) fillUrl(start);
    else if (presets.length) $("url").value = presets[0];
  } catch (e) { showMessage(errorText(e)); }
});
