// Studies: the archive searched and paged on the server, a study's series with thumbnails,
// and instances downloaded, uploaded (drag and drop of Part 10 files) and deleted.
import { $, api, button, cell, make, path, problem } from "./core.js";

let after = null;
let opened = null;

export async function loadStudies(fresh) {
  const params = new URLSearchParams({ limit: "50" });
  for (const [key, entry] of new FormData($("#filters"))) if (entry) params.set(key, entry);
  if (!fresh && after != null) params.set("after", after);
  const response = await api("/api/studies?" + params);
  if (!response.ok) return;
  const page = await response.json();
  const rows = $("#study-rows");
  if (fresh) rows.replaceChildren();
  for (const study of page.studies) {
    const row = make("tr", null, { dataset: { uid: study.study_uid } });
    for (const text of [study.patient_name, study.patient_id, study.study_date,
      study.modalities.join(", "), study.study_description, study.series_count,
      study.instance_count]) cell(row, text);
    row.addEventListener("click", () => openStudy(study.study_uid));
    rows.appendChild(row);
  }
  after = page.next;
  $("#more").hidden = page.next == null;
  performance.mark("studies-shown");  // what bench/console.py measures
}

// Series of these modalities hold no pixels to draw a thumbnail from (SEG and RTDOSE do)
const DOCUMENTS = new Set(["SR", "KO", "PR", "DOC", "ECG", "RTSTRUCT", "RTPLAN"]);

function instanceTile(studyUid, series, instance) {
  const uid = instance.sop_instance_uid;
  const tile = make("figure", null, { class: "instance", dataset: { instance: uid } });
  if (DOCUMENTS.has(series.modality)) {
    const label = make("div", series.modality, { class: "document", title: uid });
    if (series.modality === "DOC") {  // an Encapsulated PDF: DICOMweb renders the document
      label.replaceChildren(make("a", "PDF", { target: "_blank", rel: "noopener",
        href: path("dicom-web", "studies", studyUid, "series", series.series_uid,
          "instances", uid, "rendered") }));
    }
    tile.appendChild(label);
  } else {
    const image = make("img", null, { alt: uid, loading: "lazy" });
    image.src = path("dicom-web", "studies", studyUid, "series", series.series_uid,
      "instances", uid, "thumbnail");
    tile.appendChild(image);
  }
  const caption = make("figcaption", `#${instance.instance_number ?? ""} `);
  const download = make("a", "download", { href: path("api", "instances", uid),
    download: `${uid}.dcm`, class: "download" });
  caption.appendChild(download);
  caption.appendChild(button("delete", async () => {
    const response = await api(path("dicom-web", "studies", studyUid, "series",
      series.series_uid, "instances", uid), { method: "DELETE" });
    $("#study-status").textContent = (await problem(response)) || `deleted ${uid}`;
    refresh(studyUid);
  }, "writes"));
  tile.appendChild(caption);
  return tile;
}

export async function openStudy(uid) {
  opened = uid;
  const response = await api(path("api", "studies", uid));
  const box = $("#study");
  box.replaceChildren();
  if (!response.ok) {
    box.appendChild(make("p", await problem(response), { class: "error" }));
    return;
  }
  const study = await response.json();
  box.appendChild(make("h2",
    `${study.patient_name || ""} ${study.study_description || ""} (${uid})`));
  box.appendChild(button("Delete study", async () => {
    const answer = await api(path("api", "studies", uid), { method: "DELETE" });
    $("#study-status").textContent = (await problem(answer)) || `deleted study ${uid}`;
    refresh(uid);
  }, "writes"));
  for (const series of study.series) {
    const part = make("div", null, { class: "series", dataset: { series: series.series_uid } });
    const shown = series.instances.slice(0, 24);
    const more = series.instances.length > shown.length
      ? ` (${shown.length} of ${series.instances.length} shown)` : "";
    part.appendChild(make("h3",
      `${series.modality || ""} ${series.series_description || ""}${more}`));
    for (const instance of shown) part.appendChild(instanceTile(uid, series, instance));
    box.appendChild(part);
  }
}

function refresh(uid) {
  loadStudies(true);
  if (opened === uid) openStudy(uid);
}

export async function upload(files) {
  if (!files.length) return;
  const form = new FormData();
  for (const file of files) form.append("file", file, file.name);
  $("#study-status").textContent = `uploading ${files.length} file(s)…`;
  const response = await api("/api/instances", { method: "POST", body: form });
  const answer = await response.json();
  const stored = answer.stored || [];
  const failed = (answer.failed || []).map((f) => `${files[f.part]?.name}: ${f.error}`);
  $("#study-status").textContent = response.ok || stored.length || failed.length
    ? [`stored ${stored.length} of ${files.length}`, ...failed].join("; ")
    : answer.detail;
  loadStudies(true);
  if (stored.length) openStudy(stored[stored.length - 1].study_uid);
}

export function setUp() {
  $("#filters").addEventListener("submit", (event) => {
    event.preventDefault();
    loadStudies(true);
  });
  $("#more").addEventListener("click", () => loadStudies(false));
  const zone = $("#upload");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    upload([...event.dataTransfer.files]);
  });
  $("#upload-files").addEventListener("change", (event) => {
    upload([...event.target.files]);
    event.target.value = "";
  });
}
