// The first-run wizard's last step: SNMP off (every access list emptied) or one read-only
// community, then the wizard recorded as finished (POST /api/v1/setup); or skipped at once.
"use strict";

async function recordWizard(outcome, root) {
  const answer = await orpheus.call("POST", "/api/v1/setup", { outcome });
  if (answer.ok) window.location.assign("/");
  else orpheus.showError(root, answer);
}

function snmpChanges(form) {
  const on = form.querySelector('input[name="snmp"]:checked').value === "on";
  if (!on) return { communities: [], users: [], receivers: [] };
  const name = form.querySelector('input[name="community"]').value.trim();
  const source = form.querySelector('input[name="source"]').value.trim();
  return { communities: [{ name, sources: source ? [source] : [] }] };
}

async function finishWizard(event) {
  event.preventDefault();
  const form = event.currentTarget;
  orpheus.clearErrors(form);
  const answer = await orpheus.call("PUT", "/api/v1/snmp", snmpChanges(form));
  if (answer.ok) await recordWizard("finished", form);
  else orpheus.showError(form, answer);
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("wizard-snmp");
  if (form) form.addEventListener("submit", finishWizard);
  const skip = document.getElementById("wizard-skip");
  skip.addEventListener("click", () => recordWizard("skipped", skip.parentElement));
});
