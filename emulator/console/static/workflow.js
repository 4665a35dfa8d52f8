// Workflow: the worklist (an item added from a form, or from an HL7 order), the performed
// procedure steps with their state, and the storage commitment requests with theirs.
import { $, api, button, fill, make, path, problem, send, value } from "./core.js";

export function loadWorkflow() {
  fill("/api/worklist", "items", "worklist-rows", (entry) => {
    const step = (entry.item["00400100"] || { Value: [{}] }).Value[0] || {};
    return [entry.id, value(entry.item, "00100010"), value(entry.item, "00100020"),
      value(entry.item, "00080050"), value(step, "00080060"), value(step, "00400001"),
      `${value(step, "00400002")} ${value(step, "00400003")}`, value(step, "00400007"),
      entry.state];
  }, (row, entry) => {
    row.dataset.item = entry.id;
    const actions = make("td");
    actions.appendChild(button("delete", async () => {
      const answer = await api(path("api", "worklist", entry.id), { method: "DELETE" });
      $("#worklist-status").textContent = await problem(answer);
      loadWorkflow();
    }, "writes"));
    row.appendChild(actions);
  });
  fill("/api/mpps", "steps", "mpps-rows",
    (step) => [step.sop_instance_uid, step.status, step.updated_at]);
  fill("/api/commitments", "commitments", "commitment-rows",
    (c) => [c.id, c.transaction_uid, c.calling_ae, c.requested, c.failed, c.state]);
}

const element = (vr, ...values) => (values[0] ? { vr, Value: values } : { vr });

// The form as one worklist item in DICOM JSON (PS3.18 F.2), as POST /api/worklist takes it.
function item(form) {
  const get = (name) => (form.get(name) || "").trim();
  const start = get("start");  // 2026-12-02T09:30 from the datetime-local input
  const [date, time] = start ? start.split("T") : ["", ""];
  return {
    "00100010": get("patient_name") ? { vr: "PN", Value: [{ Alphabetic: get("patient_name") }] }
      : { vr: "PN" },
    "00100020": element("LO", get("patient_id")),
    "00080050": element("SH", get("accession_number")),
    "00321060": element("LO", get("procedure")),
    "00400100": {
      vr: "SQ",
      Value: [{
        "00080060": element("CS", get("modality")),
        "00400001": element("AE", get("station")),
        "00400002": element("DA", date.replaceAll("-", "")),
        "00400003": element("TM", time.replaceAll(":", "")),
        "00400007": element("LO", get("procedure")),
      }],
    },
  };
}

export function setUp() {
  $("#worklist-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await send("POST", "/api/worklist", item(new FormData(event.target)));
    const failed = await problem(response);
    $("#worklist-status").textContent = failed || "added";
    if (!failed) event.target.reset();
    loadWorkflow();
  });
  $("#hl7-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    // HL7 v2 separates segments with carriage returns; a textarea gives line feeds
    const message = $("#hl7-text").value.trim().replace(/\r?\n/g, "\r");
    const response = await send("POST", "/api/hl7", message, "application/hl7-v2");
    const answer = await response.json();
    $("#hl7-status").textContent = response.ok
      ? `accepted (${answer.ack_code || "AA"})` : answer.detail;
    loadWorkflow();
  });
}
