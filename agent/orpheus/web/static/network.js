// Counts down the seconds a pending access-list change has left before its rollback.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const shown = document.getElementById("confirm-seconds");
  if (!shown) return;
  const deadline = Date.now() + Number(shown.dataset.seconds) * 1000;
  const tick = () => {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    shown.textContent = String(left);
    if (left === 0) window.clearInterval(timer);
  };
  const timer = window.setInterval(tick, 1000);
});
