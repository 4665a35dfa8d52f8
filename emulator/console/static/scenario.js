// Scenario: the active scenario with each rule's fired and remaining counts and the stage; an
// editor validated as you type (the file:line problems the CLI prints), then activated;
// start over, reload the --scenario file, deactivate, remove a rule.
import { $, api, button, cell, make, path, problem, send } from "./core.js";

export async function loadScenario() {
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
    const row = make("tr", null, { dataset: { rule: rule.id } });
    for (const text of [rule.id, (rule.labels || []).join(" "), rule.action, rule.fired,
      rule.remaining == null ? "unlimited" : rule.remaining]) cell(row, text);
    const actions = make("td");
    actions.appendChild(button("remove", async () => {
      const answer = await api(path("api", "scenario", "rules", rule.id), { method: "DELETE" });
      $("#scenario-status").textContent = await problem(answer);
      loadScenario();
    }, "writes"));
    row.appendChild(actions);
    rows.appendChild(row);
  }
}

function showProblems(list) {
  const box = $("#scenario-problems");
  box.replaceChildren();
  for (const found of list) {
    box.appendChild(make("li", `line ${found.line}: ${found.field}: ${found.message}`));
  }
}

async function problemsOf(response) {
  if (response.ok) return [];
  const answer = await response.json();
  return answer.problems || [{ line: "?", field: "", message: answer.detail }];
}

let validating = null;
function validateSoon() {
  clearTimeout(validating);
  validating = setTimeout(async () => {
    const text = $("#scenario-text").value;
    showProblems(await problemsOf(await send("POST", "/api/scenario/validate", text,
      "application/yaml")));
  }, 300);
}

async function act(method, route) {
  const response = await api(route, { method });
  $("#scenario-status").textContent = await problem(response);
  loadScenario();
}

export function setUp() {
  $("#scenario-text").addEventListener("input", validateSoon);
  $("#scenario-activate").addEventListener("click", async () => {
    const text = $("#scenario-text").value;
    showProblems(await problemsOf(await send("PUT", "/api/scenario", text, "application/yaml")));
    loadScenario();
  });
  $("#scenario-reset").addEventListener("click", () => act("POST", "/api/scenario/reset"));
  $("#scenario-reload").addEventListener("click", () => act("POST", "/api/scenario/reload"));
  $("#scenario-clear").addEventListener("click", () => act("DELETE", "/api/scenario"));
  setInterval(() => { if (!$("#scenario").hidden) loadScenario(); }, 1000);
}
