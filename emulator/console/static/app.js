// DICOM Fabricator's web console: plain JavaScript, no build step. Every value from the
// archive is put in the page as text (textContent), never as HTML.
"use strict";

const $ = (selector) => document.querySelector(selector);
let csrf = "";
let after = null;

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text == null ? "" : String(text);
  row.appendChild(td);
}

async function api(path, options = {}) {
  const headers = Object.assign({ Accept: "application/json" }, options.headers || {});
  if (csrf && options.method && options.method !== "GET") headers["X-CSRF-Token"] = csrf;
  return fetch(path, Object.assign({ credentials: "same-origin" }, options, { headers }));
}

function show(section) {
  const sections = ["login", "studies", "journal", "scenario", "fabricate", "workflow",
    "system", "users"];
  for (const id of sections) {
    $("#" + id).hidden = id !== section;
  }
  if (section === "scenario") loadScenario();
  if (section === "users") loadUsers();
  if (section === "workflow") loadWorkflow();
  if (section === "system") loadSystem();
  for (const button of document.querySelectorAll("#tabs button")) {
    button.classList.toggle("active", button.dataset.tab === section);
  }
}

async function start() {
  const session = await api("/api/session");
  if (session.ok) {
    const me = await session.json();
    csrf = me.csrf_token;
    const source = me.source === "ldap" ? ", directory" : "";
    $("#who").textContent = `${me.name} (${me.role}${source})`;
    $("#tabs button[data-tab=users]").hidden = me.role !== "admin";
    $("#logout").hidden = false;
    return open();
  }
  const health = await api("/api/health");
  if (health.ok) {
    $("#who").textContent = "no login needed (loopback, no users)";
    return open();
  }
  $("#tabs").hidden = true;
  show("login");
}

function open() {
  $("#tabs").hidden = false;
  show("studies");
  loadStudies(true);
  followJournal();
}

async function loadStudies(fresh) {
  const params = new URLSearchParams({ limit: "50" });
  for (const [key, value] of new FormData($("#filters"))) if (value) params.set(key, value);
  if (!fresh && after != null) params.set("after", after);
  const response = await api("/api/studies?" + params);
  if (!response.ok) return;
  const page = await response.json();
  const rows = $("#study-rows");
  if (fresh) rows.replaceChildren();
  for (const study of page.studies) {
    const row = document.createElement("tr");
    row.dataset.uid = study.study_uid;
    for (const value of [study.patient_name, study.patient_id, study.study_date,
      study.modalities.join(", "), study.study_description, study.series_count,
      study.instance_count]) cell(row, value);
    row.addEventListener("click", () => openStudy(study.study_uid));
    rows.appendChild(row);
  }
  after = page.next;
  $("#more").hidden = page.next == null;
}

async function openStudy(uid) {
  const response = await api("/api/studies/" + encodeURIComponent(uid));
  if (!response.ok) return;
  const study = await response.json();
  const box = $("#study");
  box.replaceChildren();
  const title = document.createElement("h2");
  title.textContent = `${study.patient_name || ""} ${study.study_description || ""} (${uid})`;
  box.appendChild(title);
  for (const series of study.series) {
    const part = document.createElement("div");
    part.className = "series";
    const name = document.createElement("h3");
    name.textContent = `${series.modality || ""} ${series.series_description || ""}`;
    part.appendChild(name);
    for (const instance of series.instances.slice(0, 12)) {
      const image = document.createElement("img");
      image.alt = instance.sop_instance_uid;
      image.loading = "lazy";
      image.src = ["/dicom-web/studies", uid, "series", series.series_uid, "instances",
        instance.sop_instance_uid, "thumbnail"].map(encodeURIComponent).join("/")
        .replace(/^%2F/, "/").replaceAll("%2F", "/");
      part.appendChild(image);
    }
    box.appendChild(part);
  }
}

async function loadScenario() {
  const response = await api("/api/scenario");
  const rows = $("#rule-rows");
  rows.replaceChildren();
  if (!response.ok) {
    $("#scenario-summary").textContent = "none active";
    return;
  }
  const active = await response.json();
  $("#scenario-summary").textContent =
    `${active.name} (seed ${active.seed}${active.stage ? ", stage " + active.stage : ""})`;
  for (const rule of active.rules) {
    const row = document.createElement("tr");
    row.dataset.rule = rule.id;
    for (const value of [rule.id, rule.action, rule.fired,
      rule.remaining == null ? "unlimited" : rule.remaining]) cell(row, value);
    rows.appendChild(row);
  }
}

function showProblems(list) {
  const box = $("#scenario-problems");
  box.replaceChildren();
  for (const problem of list) {
    const item = document.createElement("li");
    item.textContent = `line ${problem.line}: ${problem.field}: ${problem.message}`;
    box.appendChild(item);
  }
}

let validating = null;
function validateSoon() {
  clearTimeout(validating);
  validating = setTimeout(async () => {
    const response = await api("/api/scenario/validate", {
      method: "POST", headers: { "Content-Type": "application/yaml" },
      body: $("#scenario-text").value,
    });
    const answer = await response.json();
    showProblems(response.ok ? [] : (answer.problems || [{ line: "?", field: "", message: answer.detail }]));
  }, 300);
}

async function fabricate() {
  const form = new FormData($("#fabricate-form"));
  const body = { background: true, modalities: form.get("modalities") };
  for (const key of ["patients", "studies_per_patient", "seed"]) body[key] = Number(form.get(key));
  const response = await api("/api/fabricate", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  let job = await response.json();
  if (!response.ok) {
    $("#fabricate-status").textContent = job.detail;
    return;
  }
  const bar = $("#fabricate-progress");
  bar.max = job.total;
  while (job.state === "running") {
    bar.value = job.done;
    $("#fabricate-status").textContent = `${job.done} of ${job.total} instances`;
    await new Promise((resolve) => setTimeout(resolve, 200));
    job = await (await api("/api/jobs/" + job.id)).json();
  }
  bar.value = job.done;
  $("#fabricate-status").textContent = job.state === "done"
    ? `done: ${job.result.instances} instances in ${job.result.study_uids.length} studies`
    : `failed: ${job.error}`;
  loadStudies(true);
}

async function loadUsers() {
  const response = await api("/api/users");
  const rows = $("#user-rows");
  rows.replaceChildren();
  if (!response.ok) return;
  for (const user of (await response.json()).users) {
    const row = document.createElement("tr");
    row.dataset.user = user.name;
    for (const value of [user.name, user.role, user.updated_at]) cell(row, value);
    const td = document.createElement("td");
    const remove = document.createElement("button");
    remove.textContent = "Remove";
    remove.addEventListener("click", async () => {
      await api("/api/users/" + encodeURIComponent(user.name), { method: "DELETE" });
      loadUsers();
    });
    td.appendChild(remove);
    row.appendChild(td);
    rows.appendChild(row);
  }
}

function value(item, tag) {
  const element = item && item[tag];
  if (!element || !element.Value) return "";
  const first = element.Value[0];
  return typeof first === "object" && first !== null && "Alphabetic" in first
    ? first.Alphabetic : first;
}

async function fill(path, key, rowsId, columns) {
  const response = await api(path);
  const rows = $("#" + rowsId);
  rows.replaceChildren();
  if (!response.ok) return;
  for (const entry of (await response.json())[key]) {
    const row = document.createElement("tr");
    for (const column of columns(entry)) cell(row, column);
    rows.appendChild(row);
  }
}

function loadWorkflow() {
  fill("/api/worklist", "items", "worklist-rows", (entry) => {
    const step = (entry.item["00400100"] || { Value: [{}] }).Value[0] || {};
    return [entry.id, value(entry.item, "00100010"), value(entry.item, "00100020"),
      value(entry.item, "00080050"), value(step, "00080060"), value(step, "00400001"),
      `${value(step, "00400002")} ${value(step, "00400003")}`, value(step, "00400007"),
      entry.state];
  });
  fill("/api/mpps", "steps", "mpps-rows",
    (step) => [step.sop_instance_uid, step.status, step.updated_at]);
  fill("/api/commitments", "commitments", "commitment-rows",
    (c) => [c.id, c.transaction_uid, c.calling_ae, c.requested, c.failed, c.state]);
}

async function loadSystem() {
  const response = await api("/api/health");
  const rows = $("#health-rows");
  rows.replaceChildren();
  if (response.ok) {
    const health = await response.json();
    const facts = [["version", health.version], ["AE title", health.ae_title],
      ["DICOM", `${health.dicom.host}:${health.dicom.port}`], ["data", health.data_dir],
      ["instances", health.counts.instances], ["studies", health.counts.studies]];
    for (const fact of facts) {
      const row = document.createElement("tr");
      for (const text of fact) cell(row, text);
      rows.appendChild(row);
    }
  }
  fill("/api/remote-aes", "remote_aes", "remote-rows",
    (r) => [r.name, r.ae_title, r.host, r.port, r.tls ? "yes" : "no"]);
}

let stream = null;
function followJournal() {
  if (stream) return;
  stream = new EventSource("/api/journal/stream?kind=message");
  stream.onmessage = (event) => {
    const record = JSON.parse(event.data);
    const row = document.createElement("tr");
    row.dataset.service = record.service;
    const when = new Date(record.started * 1000).toLocaleTimeString();
    for (const value of [record.id, when, record.service, record.calling_ae, record.status,
      record.ms == null ? "" : record.ms.toFixed(1), record.detail]) cell(row, value);
    $("#journal-rows").prepend(row);
    while ($("#journal-rows").children.length > 500) $("#journal-rows").lastChild.remove();
  };
}

document.addEventListener("DOMContentLoaded", () => {
  $("#login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData($("#login"));
    const response = await api("/api/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: form.get("name"), password: form.get("password") }),
    });
    if (!response.ok) {
      $("#login-error").textContent = (await response.json()).detail;
      return;
    }
    $("#login-error").textContent = "";
    start();
  });
  $("#logout").addEventListener("click", async () => {
    await api("/api/logout", { method: "POST" });
    csrf = "";
    if (stream) stream.close();
    stream = null;
    $("#logout").hidden = true;
    $("#who").textContent = "";
    start();
  });
  $("#filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadStudies(true);
  });
  $("#more").addEventListener("click", () => loadStudies(false));
  $("#scenario-text").addEventListener("input", validateSoon);
  $("#user-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData($("#user-form"));
    const response = await api("/api/users", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(Object.fromEntries(form)),
    });
    $("#user-error").textContent = response.ok ? "" : (await response.json()).detail;
    if (response.ok) $("#user-form").reset();
    loadUsers();
  });
  $("#reset-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const keep = new FormData($("#reset-form")).getAll("keep");
    const response = await api("/api/reset", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ keep }),
    });
    const answer = await response.json();
    $("#reset-status").textContent = response.ok
      ? `reset: ${answer.instances_removed} instances removed` : answer.detail;
    loadSystem();
  });
  $("#fabricate-form").addEventListener("submit", (event) => {
    event.preventDefault();
    fabricate();
  });
  $("#scenario-activate").addEventListener("click", async () => {
    const response = await api("/api/scenario", {
      method: "PUT", headers: { "Content-Type": "application/yaml" },
      body: $("#scenario-text").value,
    });
    const answer = await response.json();
    showProblems(response.ok ? [] : (answer.problems || [{ line: "?", field: "", message: answer.detail }]));
    loadScenario();
  });
  $("#scenario-reset").addEventListener("click", async () => {
    await api("/api/scenario/reset", { method: "POST" });
    loadScenario();
  });
  $("#scenario-clear").addEventListener("click", async () => {
    await api("/api/scenario", { method: "DELETE" });
    loadScenario();
  });
  setInterval(() => { if (!$("#scenario").hidden) loadScenario(); }, 1000);
  for (const button of document.querySelectorAll("#tabs button")) {
    button.addEventListener("click", () => show(button.dataset.tab));
  }
  start();
});
