// DICOM Fabricator's web console: plain JavaScript modules, no build step. The server
// enforces every role; the page only hides what a role cannot do (body[data-role]).
import { $, api, send, session } from "./core.js";
import * as journal from "./journal.js";
import * as scenario from "./scenario.js";
import * as studies from "./studies.js";
import * as system from "./system.js";
import * as workflow from "./workflow.js";

const PAGES = {
  studies: () => {},
  journal: () => {},
  scenario: scenario.loadScenario,
  fabricate: () => {},
  workflow: workflow.loadWorkflow,
  system: system.loadSystem,
  users: system.loadUsers,
};

function show(page) {
  for (const id of ["login", ...Object.keys(PAGES)]) $("#" + id).hidden = id !== page;
  if (PAGES[page]) PAGES[page]();
  for (const tab of document.querySelectorAll("#tabs button")) {
    tab.classList.toggle("active", tab.dataset.tab === page);
  }
}

async function start() {
  // both at once: one round trip less before the first page
  const [found, health] = await Promise.all([api("/api/session"), api("/api/health")]);
  if (found.ok) {
    const me = await found.json();
    Object.assign(session, { csrf: me.csrf_token, role: me.role, name: me.name });
    const source = me.source === "ldap" ? ", directory" : "";
    $("#who").textContent = `${me.name} (${me.role}${source})`;
    $("#logout").hidden = false;
    return open(me.role);
  }
  if (health.ok) {
    $("#who").textContent = "no login needed (loopback, no users)";
    return open("admin");
  }
  $("#tabs").hidden = true;
  show("login");
}

function open(role) {
  document.body.dataset.role = role;
  $("#tabs").hidden = false;
  show("studies");
  studies.loadStudies(true);
  journal.followJournal();
}

async function logIn(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const response = await send("POST", "/api/login",
    { name: form.get("name"), password: form.get("password") });
  if (!response.ok) {
    $("#login-error").textContent = (await response.json()).detail;
    return;
  }
  $("#login-error").textContent = "";
  event.target.reset();
  start();
}

async function logOut() {
  await api("/api/logout", { method: "POST" });
  Object.assign(session, { csrf: "", role: "", name: "" });
  journal.stopJournal();
  delete document.body.dataset.role;
  $("#logout").hidden = true;
  $("#who").textContent = "";
  start();
}

document.addEventListener("DOMContentLoaded", () => {
  $("#login").addEventListener("submit", logIn);
  $("#logout").addEventListener("click", logOut);
  for (const module of [studies, journal, scenario, workflow, system]) module.setUp();
  for (const tab of document.querySelectorAll("#tabs button")) {
    tab.addEventListener("click", () => show(tab.dataset.tab));
  }
  start();
});
