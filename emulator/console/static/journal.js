// The journal live: records stream in over Server-Sent Events with the filters of
// /api/journal; rows are added once per animation frame (or every 250 ms where the page gets
// no frames, as a hidden tab), so a burst of hundreds of messages a second costs one layout
// per draw and the page stays responsive; the newest 500 rows stay. A stream that breaks
// reconnects by itself and resumes where it broke; records seen twice are drawn once.
// A row opens to show the whole record, and a message its association's contexts.
import { $, api, cell, make, path } from "./core.js";

const MAX_ROWS = 500;
const MAX_SHOWN = 20000;  // ids remembered to drop a record that a resumed stream sends again
const DRAW_LATEST_MS = 250;
let stream = null;
let queued = [];
let received = 0;
let shown = new Set();
let frame = 0;
let timer = 0;

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
  cancelAnimationFrame(frame);
  clearTimeout(timer);
  frame = timer = 0;
  const batch = queued;
  queued = [];
  const rows = $("#journal-rows");
  const fragment = document.createDocumentFragment();
  for (const record of batch.reverse()) {
    const row = make("tr", null, { dataset: { id: record.id, service: record.service || "" } });
    for (const text of COLUMNS[record.kind](record)) cell(row, text);
    fragment.appendChild(row);
  }
  rows.prepend(fragment);
  while (rows.children.length > MAX_ROWS) rows.lastChild.remove();
  $("#journal-count").textContent = `${received} records`;
}

function receive(record) {
  if (shown.has(record.id)) return;  // sent again by a resumed stream
  shown.add(record.id);
  if (shown.size > MAX_SHOWN) shown = new Set([...shown].slice(-MAX_SHOWN / 2));
  received += 1;
  queued.push(record);
  if (queued.length > MAX_ROWS) queued = queued.slice(-MAX_ROWS);  // the table keeps no more
  if (!frame) frame = requestAnimationFrame(draw);
  if (!timer) timer = setTimeout(draw, DRAW_LATEST_MS);
}

function state(text) {
  $("#journal-state").textContent = text;
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
  $("#journal-count").textContent = "0 records";
  received = 0;
  shown = new Set();
  state("connecting");
  stream = new EventSource("/api/journal/stream?" + params);
  stream.onopen = () => state("live");
  stream.onmessage = (event) => receive(JSON.parse(event.data));
  stream.onerror = async () => {
    if (stream.readyState !== EventSource.CLOSED) {
      state("reconnecting");  // by itself, from where it broke
      return;
    }
    state("stopped");
    const answer = await api("/api/journal?limit=1&" + params);
    if (!answer.ok) $("#journal-error").textContent = (await answer.json()).detail;
  };
}

export function stopJournal() {
  if (stream) stream.close();
  stream = null;
  cancelAnimationFrame(frame);
  clearTimeout(timer);
  frame = timer = 0;
  queued = [];
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
