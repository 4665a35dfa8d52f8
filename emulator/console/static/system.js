// System: health, version and configuration, the remote AEs (added, edited and removed by an
// admin), reset with the parts to keep; the users page (admin only); fabrication with progress.
import { $, api, button, cell, fill, make, path, problem, send } from "./core.js";
import { loadStudies } from "./studies.js";

export async function loadSystem() {
  const response = await api("/api/health");
  const rows = $("#health-rows");
  rows.replaceChildren();
  if (response.ok) {
    const health = await response.json();
    const facts = [["version", health.version], ["AE title", health.ae_title],
      ["DICOM", `${health.dicom.host}:${health.dicom.port}`], ["data", health.data_dir],
      ["instances", health.counts.instances], ["studies", health.counts.studies],
      ["scenario", health.scenario ? health.scenario.name : "none"]];
    for (const fact of facts) {
      const row = make("tr");
      for (const text of fact) cell(row, text);
      rows.appendChild(row);
    }
  }
  const config = await api("/api/config");
  const settings = $("#config-rows");
  settings.replaceChildren();
  if (config.ok) {
    for (const [key, setting] of Object.entries(await config.json())) {
      if (key === "remote_aes") continue;
      const row = make("tr");
      cell(row, key);
      cell(row, typeof setting === "string" ? setting : JSON.stringify(setting));
      settings.appendChild(row);
    }
  }
  fill("/api/remote-aes", "remote_aes", "remote-rows",
    (r) => [r.name, r.ae_title, r.host, r.port, r.tls ? "yes" : "no"], (row, remote) => {
      row.dataset.remote = remote.name;
      const actions = make("td");
      actions.appendChild(button("edit", () => editRemote(remote), "admin-only"));
      actions.appendChild(button("remove", async () => {
        const answer = await api(path("api", "remote-aes", remote.name), { method: "DELETE" });
        $("#remote-status").textContent = await problem(answer);
        loadSystem();
      }, "admin-only"));
      row.appendChild(actions);
    });
}

function editRemote(remote) {
  const form = $("#remote-form");
  for (const name of ["name", "ae_title", "host", "port"]) form.elements[name].value = remote[name];
  form.elements.tls.checked = Boolean(remote.tls);
  form.elements.name.readOnly = true;  // the name is the key: edit everything else
}

async function saveRemote(event) {
  event.preventDefault();
  const form = event.target;
  const body = { ae_title: form.elements.ae_title.value, host: form.elements.host.value,
    port: Number(form.elements.port.value), tls: form.elements.tls.checked };
  const response = await send("PUT", path("api", "remote-aes", form.elements.name.value), body);
  const failed = await problem(response);
  $("#remote-status").textContent = failed || `saved ${form.elements.name.value}`;
  if (!failed) {
    form.reset();
    form.elements.name.readOnly = false;
  }
  loadSystem();
}

export async function loadUsers() {
  fill("/api/users", "users", "user-rows", (u) => [u.name, u.role, u.updated_at], (row, user) => {
    row.dataset.user = user.name;
    const actions = make("td");
    actions.appendChild(button("Remove", async () => {
      await api(path("api", "users", user.name), { method: "DELETE" });
      loadUsers();
    }));
    row.appendChild(actions);
  });
}

async function fabricate(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = { background: true, modalities: form.get("modalities") };
  for (const key of ["patients", "studies_per_patient", "series_per_study",
    "instances_per_series", "seed"]) body[key] = Number(form.get(key));
  const response = await send("POST", "/api/fabricate", body);
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
    job = await (await api(path("api", "jobs", job.id))).json();
  }
  bar.value = job.done;
  $("#fabricate-status").textContent = job.state === "done"
    ? `done: ${job.result.instances} instances in ${job.result.study_uids.length} studies`
    : `failed: ${job.error}`;
  loadStudies(true);
}

export function setUp() {
  $("#remote-form").addEventListener("submit", saveRemote);
  $("#remote-form").addEventListener("reset", () => {
    $("#remote-form").elements.name.readOnly = false;
  });
  $("#user-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await send("POST", "/api/users",
      Object.fromEntries(new FormData(event.target)));
    $("#user-error").textContent = await problem(response);
    if (response.ok) event.target.reset();
    loadUsers();
  });
  $("#reset-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const keep = new FormData(event.target).getAll("keep");
    const response = await send("POST", "/api/reset", { keep });
    const answer = await response.json();
    $("#reset-status").textContent = response.ok
      ? `reset: ${answer.instances_removed} instances removed` : answer.detail;
    loadSystem();
  });
  $("#fabricate-form").addEventListener("submit", fabricate);
}
