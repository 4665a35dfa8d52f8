// What every page of the console shares: the API with the session's CSRF token, and page
// building that puts every value in as text (textContent), never as HTML.

export const $ = (selector) => document.querySelector(selector);

export const session = { csrf: "", role: "", name: "" };

export async function api(path, options = {}) {
  const headers = Object.assign({ Accept: "application/json" }, options.headers || {});
  if (session.csrf && options.method && options.method !== "GET") {
    headers["X-CSRF-Token"] = session.csrf;
  }
  return fetch(path, Object.assign({ credentials: "same-origin" }, options, { headers }));
}

export async function send(method, path, body, type = "application/json") {
  const payload = type === "application/json" ? JSON.stringify(body) : body;
  return api(path, { method, headers: { "Content-Type": type }, body: payload });
}

// The error an answer explains (the API's {"detail"}), or "" for a success.
export async function problem(response) {
  if (response.ok) return "";
  try {
    const answer = await response.json();
    return answer.detail || answer.error || `${response.status} ${response.statusText}`;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

export function make(tag, text, attributes = {}) {
  const element = document.createElement(tag);
  if (text != null) element.textContent = String(text);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value);
  }
  return element;
}

export function cell(row, text) {
  row.appendChild(make("td", text == null ? "" : text));
}

export function button(text, onClick, className = "") {
  const element = make("button", text, className ? { class: className, type: "button" }
    : { type: "button" });
  element.addEventListener("click", (event) => {
    event.stopPropagation();
    onClick(event);
  });
  return element;
}

// A table body filled with one row per entry of path's answer[key].
export async function fill(path, key, rowsId, columns, decorate) {
  const response = await api(path);
  const rows = $("#" + rowsId);
  rows.replaceChildren();
  if (!response.ok) return [];
  const entries = (await response.json())[key];
  for (const entry of entries) {
    const row = document.createElement("tr");
    for (const column of columns(entry)) cell(row, column);
    if (decorate) decorate(row, entry);
    rows.appendChild(row);
  }
  return entries;
}

// The first value of a DICOM JSON element (a person name's alphabetic group).
export function value(item, tag) {
  const element = item && item[tag];
  if (!element || !element.Value) return "";
  const first = element.Value[0];
  return typeof first === "object" && first !== null && "Alphabetic" in first
    ? first.Alphabetic : first;
}

export function path(...parts) {
  return "/" + parts.map(encodeURIComponent).join("/");
}
