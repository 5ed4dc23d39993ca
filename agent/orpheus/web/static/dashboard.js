// Refreshes the dashboard's figures every few seconds from GET /dashboard/values.
"use strict";

const REFRESH_MS = 5000;

async function refreshDashboard() {
  const response = await fetch("/dashboard/values", { credentials: "same-origin" });
  if (response.redirected || !response.ok) {
    window.location.assign("/login");
    return;
  }
  const figures = await response.json();
  Object.entries(figures).forEach(([key, text]) => {
    if (key === "alarms") return;
    const element = document.getElementById("value-" + key);
    if (element) element.textContent = text;
  });
  const list = document.getElementById("alarms");
  list.replaceChildren(...figures.alarms.map((alarm) => {
    const item = document.createElement("li");
    item.textContent = alarm;
    return item;
  }));
}

document.addEventListener("DOMContentLoaded", () => {
  window.setInterval(() => { refreshDashboard().catch(() => {}); }, REFRESH_MS);
});
