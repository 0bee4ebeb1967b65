// Coldsend dashboard: small enhancements over plain forms (every page works without this file).
"use strict";

// A select marked data-autosubmit submits its form when changed.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
    target.form.requestSubmit();
  }
});

// Elements with data-live refresh themselves from the same page every data-live milliseconds,
// without a reload: the server renders them (escaped) and they are swapped in by id.
function refreshLive() {
  const live = Array.from(document.querySelectorAll("[data-live][id]"));
  if (live.length === 0) {
    return;
  }
  const every = Math.min(...live.map((el) => Number(el.getAttribute("data-live")) || 5000));
  setTimeout(async () => {
    try {
      const response = await fetch(window.location.href, { headers: { "X-Live": "1" }, credentials: "same-origin" });
      if (response.ok) {
        const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
        for (const el of live) {
          const replacement = fresh.getElementById(el.id);
          if (replacement && replacement.innerHTML !== el.innerHTML) {
            el.innerHTML = replacement.innerHTML;
          }
        }
      }
    } finally {
      refreshLive();
    }
  }, every);
}

// The CSV import's progress bar, from its JSON status; the page reloads to show the result.
function followImport(el) {
  const bar = el.querySelector("progress");
  const label = el.querySelector("[data-progress-text]");
  const poll = async () => {
    const response = await fetch(el.getAttribute("data-import-progress"), { credentials: "same-origin" });
    if (!response.ok) {
      return;
    }
    const status = await response.json();
    if (status.total > 0) {
      bar.max = status.total;
      bar.value = status.done;
    }
    label.textContent = `${status.rows} rows read, ${status.uploaded} uploaded`;
    if (status.finished) {
      window.location.reload();
    } else {
      setTimeout(poll, 300);
    }
  };
  poll();
}

document.addEventListener("DOMContentLoaded", () => {
  refreshLive();
  document.querySelectorAll("[data-import-progress]").forEach(followImport);
});
