// Listening, downloading and the CDR export: the privacy password goes in its header to the
// API only, the answer becomes a blob the page plays or saves. The password is read from its
// field at each click and kept nowhere else.
"use strict";

(() => {
  const password = () => document.getElementById("privacy-password").value;

  async function fetchSealed(path) {
    const response = await fetch(path, {
      headers: { "X-Privacy-Password": password() }, credentials: "same-origin",
    });
    if (response.ok) return { ok: true, blob: await response.blob() };
    let body = null;
    try { body = await response.json(); } catch (error) { body = null; }
    return { ok: false, status: response.status, body,
             retryAfter: response.headers.get("Retry-After") };
  }

  function refused(where, answer) {
    orpheus.showError(where, answer);
  }

  function save(blob, name) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  }

  async function play(event) {
    const button = event.currentTarget;
    orpheus.clearErrors(button.parentElement);
    const answer = await fetchSealed("/api/v1/recordings/" + encodeURIComponent(button.dataset.id) + "/audio");
    if (!answer.ok) { refused(button.parentElement, answer); return; }
    const player = document.getElementById("player");
    if (player.src) URL.revokeObjectURL(player.src);
    player.src = URL.createObjectURL(answer.blob);
    player.dataset.id = button.dataset.id;
    player.hidden = false;
    player.play().catch(() => {});  // a browser may refuse to start it unasked: the controls do
  }

  async function download(event) {
    const button = event.currentTarget;
    orpheus.clearErrors(button.parentElement);
    const answer = await fetchSealed("/api/v1/recordings/" + encodeURIComponent(button.dataset.id) + "/audio");
    if (answer.ok) save(answer.blob, "recording-" + button.dataset.id + ".wav");
    else refused(button.parentElement, answer);
  }

  async function exportCdr() {
    const form = document.getElementById("privacy-form");
    orpheus.clearErrors(form);
    const answer = await fetchSealed("/api/v1/cdr?format=csv");
    if (answer.ok) save(answer.blob, "cdr.csv"); else refused(form, answer);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("button.play").forEach((b) => b.addEventListener("click", play));
    document.querySelectorAll("button.download").forEach((b) => b.addEventListener("click", download));
    const cdr = document.getElementById("cdr-export");
    if (cdr) cdr.addEventListener("click", exportCdr);
    const mode = document.getElementById("transfer-mode");
    if (mode) {  // copy or move: the same fields, another route
      mode.addEventListener("change", () => {
        document.getElementById("transfer-form").dataset.apiPath = "/api/v1/recordings/" + mode.value;
      });
    }
  });
})();
