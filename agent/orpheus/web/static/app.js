// The page's changes go to the REST API itself, with the session's CSRF token; what the API
// refuses is shown beside the field it names. Values are set with textContent only.
"use strict";

const orpheus = (() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  async function call(method, path, body, type) {
    const headers = { "X-CSRF-Token": csrf() };
    let data;
    if (body === undefined && method !== "GET") body = {};  // the API takes JSON on every change
    if (body !== undefined) {
      headers["Content-Type"] = type || "application/json";
      data = type ? body : JSON.stringify(body);
    }
    const response = await fetch(path, { method, headers, body: data, credentials: "same-origin" });
    let json = null;
    try { json = await response.json(); } catch (error) { json = null; }
    return { status: response.status, ok: response.ok, body: json,
             retryAfter: response.headers.get("Retry-After") };
  }

  function message(answer) {
    let text = (answer.body && answer.body.error) || ("HTTP " + answer.status);
    if (answer.status === 401 && answer.body && answer.body.error === "authentication required") {
      text = "wrong user name or password";
    }
    if (answer.status === 429 && answer.retryAfter) {
      text += " (try again in " + answer.retryAfter + " s)";
    }
    return text;
  }

  function clearErrors(root) {
    root.querySelectorAll(".error").forEach((span) => { span.textContent = ""; });
  }

  // The field an API error names ("body field 'number': ..."), else the form's default one.
  function showError(root, answer) {
    const text = message(answer);
    const named = /field '([a-z_]+)/.exec(text);
    const fallback = root.dataset.errorDefault || "_form";
    let span = named && root.querySelector('.error[data-for="' + named[1] + '"]');
    if (!span) {  // "extension password: 8-64 printable characters": the field named before ':'
      span = Array.from(root.querySelectorAll(".error[data-for]")).find((candidate) =>
        new RegExp("\\b" + candidate.dataset.for + ":").test(text));
    }
    if (!span) span = root.querySelector('.error[data-for="' + fallback + '"]');
    if (!span) span = root.querySelector('.error[data-for="_form"]');
    if (!span) span = document.getElementById("action-error");
    span.textContent = text;
  }

  function value(input) {
    const type = input.dataset.type;
    if (type === "bool") return input.checked;
    const raw = input.value.trim();
    if (type === "int") return /^-?[0-9]+$/.test(raw) ? Number(raw) : raw;
    if (type === "int-or-null") {  // empty: no limit (a retention's)
      if (raw === "") return null;
      return /^-?[0-9]+$/.test(raw) ? Number(raw) : raw;
    }
    if (type === "list") return raw.split(",").map((item) => item.trim()).filter((item) => item);
    if (type === "json") {  // a list of objects (SNMP's communities): what is not JSON goes as
      try { return JSON.parse(raw); } catch (error) { return raw; }  // text, for the API to name
    }
    if (type === "dict") {
      const found = {};
      raw.split(",").forEach((pair) => {
        const at = pair.indexOf("=");
        if (at > 0) found[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
      });
      return found;
    }
    return input.value;
  }

  function formBody(form) {
    const body = {};
    const nest = form.dataset.nest;
    if (nest) body[nest] = {};
    form.querySelectorAll("input[name], select[name], textarea[name]").forEach((input) => {
      if (input.disabled || input.type === "file") return;
      if (input.dataset.optional !== undefined && input.value.trim() === "" &&
          input.dataset.type !== "bool") return;
      if (nest && input.dataset.top === undefined) body[nest][input.name] = value(input);
      else body[input.name] = value(input);
    });
    return body;
  }

  function then(form, answer) {
    const next = form.dataset.then || "reload";
    const warnings = (answer.body && answer.body.warnings) || [];
    if (warnings.length) sessionStorage.setItem("orpheus-warnings", JSON.stringify(warnings));
    if (next === "show") {  // an answer to read (HA's pairing code): its fields, as text
      const shown = document.getElementById(form.dataset.show);
      shown.querySelectorAll("[data-field]").forEach((item) => {
        const found = answer.body ? answer.body[item.dataset.field] : undefined;
        item.textContent = found === undefined || found === null ? "" : String(found);
      });
      shown.hidden = false;
    } else if (next === "session") {
      window.location.assign(answer.body.must_change_password ? "/password" : "/");
    } else if (next === "reload") {
      window.location.reload();
    } else {
      window.location.assign(next);
    }
  }

  async function submit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    clearErrors(form);
    const answer = await call(form.dataset.apiMethod, form.dataset.apiPath, formBody(form));
    if (answer.ok) then(form, answer); else showError(form, answer);
  }

  async function action(event) {
    const button = event.currentTarget;
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    const body = button.dataset.body ? JSON.parse(button.dataset.body) : undefined;
    const answer = await call(button.dataset.apiMethod, button.dataset.apiPath, body);
    if (answer.ok) window.location.reload();
    else showError(button.parentElement, answer);
  }

  async function fileJson(event) {
    event.preventDefault();
    const form = event.currentTarget;
    clearErrors(form);
    const file = form.querySelector('input[type="file"]').files[0];
    if (!file) { showError(form, { status: 0, body: { error: "choose a file first" } }); return; }
    let document_;
    try { document_ = JSON.parse(await file.text()); } catch (error) {
      showError(form, { status: 0, body: { error: "the file is not JSON: " + error.message } });
      return;
    }
    const answer = await call(form.dataset.apiMethod, form.dataset.apiPath, document_);
    if (answer.ok) window.location.reload(); else showError(form, answer);
  }

  // A file input that fills a textarea of its form (a PEM certificate chosen or pasted).
  async function fillFromFile(event) {
    const input = event.currentTarget;
    const file = input.files[0];
    if (!file) return;
    input.form.querySelector('textarea[name="' + input.dataset.fills + '"]').value = await file.text();
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
  }

  async function importCsv(event) {
    event.preventDefault();
    const form = event.currentTarget;
    clearErrors(form);
    const file = form.querySelector('input[type="file"]').files[0];
    if (!file) { showError(form, { status: 0, body: { error: "choose a file first" } }); return; }
    const answer = await call("POST", form.dataset.path, await file.text(), "text/csv");
    if (!answer.ok) { showError(form, answer); return; }
    const body = document.querySelector("#import-report tbody");
    body.replaceChildren();
    answer.body.rows.forEach((row) => {
      const tr = document.createElement("tr");
      tr.className = row.added ? "added" : "refused";
      cell(tr, "line " + row.line);
      cell(tr, row.number || "");
      cell(tr, row.added ? "added" : "refused: " + row.error);
      body.appendChild(tr);
    });
  }

  function showStoredWarnings() {
    const stored = sessionStorage.getItem("orpheus-warnings");
    const list = document.querySelector("ul.warnings");
    if (!stored || !list) return;
    sessionStorage.removeItem("orpheus-warnings");
    JSON.parse(stored).forEach((text) => {
      const item = document.createElement("li");
      item.className = "badge weak";
      item.textContent = text;
      list.appendChild(item);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form.api-form").forEach((f) => f.addEventListener("submit", submit));
    document.querySelectorAll(".api-action").forEach((b) => b.addEventListener("click", action));
    document.querySelectorAll("form.file-json-form").forEach((f) => f.addEventListener("submit", fileJson));
    document.querySelectorAll("input[type=file][data-fills]").forEach((i) => i.addEventListener("change", fillFromFile));
    document.querySelectorAll("form.import-form").forEach((f) => f.addEventListener("submit", importCsv));
    const logout = document.getElementById("logout");
    if (logout) {
      logout.addEventListener("click", async () => {
        await call("DELETE", "/api/v1/session");
        window.location.assign("/login");
      });
    }
    showStoredWarnings();
  });

  return { call, showError, clearErrors };
})();
