// The journal live: records stream in over Server-Sent Events with the filters of
// /api/journal; rows are added once per animation frame, so a burst of hundreds of messages a
// second costs one layout per frame and the page stays responsive; the newest 500 rows stay.
// A row opens to show the whole record, and a message its association's contexts.
import { $, api, cell, make, path } from "./core.js";

const MAX_ROWS = 500;
let stream = null;
let queued = [];
let received = 0;
let drawing = false;

const COLUMNS = {
  message: (r) => [r.id, time(r.started), r.service, r.calling_ae, r.status,
    ms(r.ms), r.faults.join(" "), r.detail],
  association: (r) => [r.id, time(r.started), r.outcome, r.calling_ae,
    `${r.called_ae} ${r.peer}`, ms(r.ended ? (r.ended - r.started) * 1000 : null),
    r.faults.join(" "), `${r.messages} messages, ${r.contexts_accepted}/${r.contexts_proposed} contexts`],
  http: (r) => [r.id, time(r.started), `${r.method} ${r.service}`, r.peer, r.status,
    ms(r.ms), r.faults.join(" "), r.path],
};

function time(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString();
}

function ms(value) {
  return value == null ? "" : value.toFixed(1);
}

function draw() {
  drawing = false;
  const batch = queued;
  queued = [];
  const rows = $("#journal-rows");
  const fragment = document.createDocumentFragment();
  for (const record of batch.slice(-MAX_ROWS).reverse()) {
    const row = make("tr", null, { dataset: { id: record.id, service: record.service || "" } });
    for (const text of COLUMNS[record.kind](record)) cell(row, text);
    fragment.appendChild(row);
  }
  rows.prepend(fragment);
  while (rows.children.length > MAX_ROWS) rows.lastChild.remove();
  $("#journal-count").textContent = `${received} records`;
}

// The filters each kind of record has (the others would be a 400).
const FIELDS = {
  message: ["service", "calling_ae", "status", "sop_instance", "fault"],
  association: ["calling_ae", "outcome", "fault"],
  http: ["service", "status", "outcome", "fault"],
};

export function followJournal() {
  stopJournal();
  const form = new FormData($("#journal-filters"));
  const kind = form.get("kind") || "message";
  const params = new URLSearchParams({ kind });
  for (const key of FIELDS[kind]) if (form.get(key)) params.set(key, form.get(key));
  $("#journal-rows").replaceChildren();
  $("#journal-error").textContent = "";
  received = 0;
  stream = new EventSource("/api/journal/stream?" + params);
  stream.onmessage = (event) => {
    queued.push(JSON.parse(event.data));
    received += 1;
    if (!drawing) {
      drawing = true;
      requestAnimationFrame(draw);
    }
  };
  stream.onerror = async () => {
    if (stream.readyState !== EventSource.CLOSED) return;  // reconnecting by itself
    const answer = await api("/api/journal?limit=1&" + params);
    if (!answer.ok) $("#journal-error").textContent = (await answer.json()).detail;
  };
}

export function stopJournal() {
  if (stream) stream.close();
  stream = null;
}

// One DICOM JSON data set as rows of tag, VR and value (sequences nested, indented).
function elements(table, dataset, depth = 0) {
  for (const [tag, element] of Object.entries(dataset || {})) {
    const row = make("tr");
    cell(row, `${"  ".repeat(depth)}(${tag.slice(0, 4)},${tag.slice(4)})`);
    cell(row, element.vr);
    const values = element.Value || [];
    cell(row, element.vr === "SQ" ? `${values.length} item(s)`
      : values.map((v) => (typeof v === "object" && v !== null ? v.Alphabetic ?? JSON.stringify(v) : v)).join("\\"));
    table.appendChild(row);
    if (element.vr === "SQ") for (const item of values) elements(table, item, depth + 1);
  }
}

async function openRecord(id) {
  const box = $("#journal-detail");
  box.replaceChildren();
  const response = await api(path("api", "journal", id));
  if (!response.ok) return;
  const record = await response.json();
  box.appendChild(make("h3", `${record.kind} ${record.id}`));
  const facts = make("table", null, { id: "journal-facts" });
  const started = new Date(record.started * 1000).toISOString();
  for (const [name, text] of [["service", record.service || record.outcome],
    ["status", record.status], ["outcome", record.outcome], ["started", started],
    ["ms", ms(record.ms)], ["rules fired", (record.faults || []).join(" ") || "none"],
    ["detail", record.detail]]) {
    if (text == null || text === "") continue;
    const row = make("tr");
    cell(row, name);
    cell(row, text);
    facts.appendChild(row);
  }
  box.appendChild(facts);
  const identifier = record.extra && record.extra.identifier;
  if (identifier) {
    box.appendChild(make("h3", "identifier"));
    const table = make("table", null, { id: "journal-identifier" });
    elements(table, identifier);
    box.appendChild(table);
  }
  const association = record.kind === "message"
    ? await api(path("api", "journal", record.association)) : null;
  const found = association && association.ok ? await association.json()
    : record.kind === "association" ? record : null;
  if (found) {
    box.appendChild(make("h3", `association ${found.id}: presentation contexts`));
    const table = make("table", null, { id: "journal-contexts" });
    for (const context of found.contexts) {
      const row = make("tr");
      for (const text of [context.id, context.abstract_syntax, context.result,
        context.transfer_syntax || (context.transfer_syntaxes || []).join(" ")]) cell(row, text);
      table.appendChild(row);
    }
    box.appendChild(table);
  }
  const raw = make("details");
  raw.appendChild(make("summary", "the whole record (JSON)"));
  raw.appendChild(make("pre", JSON.stringify(record, null, 2), { id: "journal-record" }));
  box.appendChild(raw);
}

export function setUp() {
  $("#journal-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    followJournal();
  });
  $("#journal-filters").addEventListener("change", (event) => {
    if (event.target.name === "kind") followJournal();
  });
  $("#journal-rows").addEventListener("click", (event) => {
    const row = event.target.closest("tr");
    if (row) openRecord(row.dataset.id);
  });
}
