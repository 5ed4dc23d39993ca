// Uploads a bundle with its progress (XMLHttpRequest's upload events), then follows the
// install job through GET /api/v1/jobs/<id> until it ends.
"use strict";

function followJob(id) {
  const bar = document.getElementById("job-progress");
  const state = document.getElementById("job-state");
  const log = document.getElementById("job-log");
  const poll = async () => {
    const response = await fetch("/api/v1/jobs/" + id, { credentials: "same-origin" });
    const job = await response.json();
    if (!response.ok) { state.textContent = job.error || "HTTP " + response.status; return; }
    bar.value = Number(job.progress) || 0;
    state.textContent = job.state + (job.message ? ": " + job.message : "");
    log.textContent = (job.log || []).join("\n");
    if (job.state === "running" || job.state === "queued") window.setTimeout(poll, 1000);
  };
  poll();
}

function upload(event) {
  event.preventDefault();
  const form = event.currentTarget;
  orpheus.clearErrors(form);
  const file = form.querySelector('input[type="file"]').files[0];
  if (!file) { orpheus.showError(form, { status: 0, body: { error: "choose a bundle first" } }); return; }
  const bar = document.getElementById("upload-progress");
  const percent = document.getElementById("upload-percent");
  const request = new XMLHttpRequest();
  const reboot = form.querySelector('input[name="reboot"]').checked;
  request.open("POST", "/api/v1/update" + (reboot ? "?reboot=1" : ""));
  request.setRequestHeader("Content-Type", "application/octet-stream");
  request.setRequestHeader("X-CSRF-Token", document.querySelector('meta[name="csrf-token"]').content);
  request.upload.addEventListener("progress", (progress) => {
    if (!progress.lengthComputable) return;
    bar.value = Math.round((100 * progress.loaded) / progress.total);
    percent.textContent = bar.value + " %";
  });
  request.addEventListener("load", () => {
    let body = null;
    try { body = JSON.parse(request.responseText); } catch (error) { body = null; }
    if (request.status >= 200 && request.status < 300 && body) {
      bar.value = 100;
      percent.textContent = "100 %";
      followJob(body.id);
    } else {
      orpheus.showError(form, { status: request.status, body });
    }
  });
  request.addEventListener("error", () => {
    orpheus.showError(form, { status: 0, body: { error: "the upload failed (connection lost)" } });
  });
  request.send(file);
}

// The unit downloads the bundle itself (and checks it before anything is written).
async function installFromUrl(event) {
  event.preventDefault();
  const form = event.currentTarget;
  orpheus.clearErrors(form);
  const body = {
    url: form.querySelector('input[name="url"]').value.trim(),
    reboot: form.querySelector('input[name="reboot"]').checked,
  };
  const answer = await orpheus.call("POST", "/api/v1/update", body);
  if (answer.ok && answer.body) followJob(answer.body.id);
  else orpheus.showError(form, answer);
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("upload-form");
  if (form) form.addEventListener("submit", upload);
  const byUrl = document.getElementById("url-form");
  if (byUrl) byUrl.addEventListener("submit", installFromUrl);
});
