// The session's attendance dashboard: while the session is under way, ask the JSON API every
// 15 seconds and refresh the counts, the venue/online split and the status and minutes of the
// rows this page shows (only those are asked for: the table is one page of many).
// Without JavaScript the page is complete as served; this only keeps it current.
(() => {
  const root = document.getElementById("attendance-live");
  if (!root || root.dataset.live !== "true") return;

  const EVERY_MS = 15000;
  const labels = JSON.parse(root.dataset.labels || "{}");
  const updated = root.querySelector("[data-updated]");
  let timer = null;

  function setText(element, value) {
    if (element && element.textContent !== String(value)) element.textContent = String(value);
  }

  function render(data) {
    root.querySelectorAll("[data-count]").forEach((el) => {
      setText(el, data.counts[el.dataset.count] ?? 0);
    });
    root.querySelectorAll("[data-split]").forEach((el) => {
      const [mode, key] = el.dataset.split.split(".");
      setText(el, (data.by_mode[mode] || {})[key] ?? 0);
    });
    for (const record of data.records) {
      const row = document.querySelector(`tr[data-record="${record.id}"]`);
      if (!row) continue; // new people or another filter: they appear on the next page load
      const status = row.querySelector('[data-field="status"]');
      if (status && labels[record.status]) {
        setText(status, labels[record.status]);
        status.className = `badge at-status-${record.status}`;
      }
      setText(row.querySelector('[data-field="online_minutes"]'), record.online_minutes);
    }
    if (updated) {
      updated.hidden = false;
      const time = updated.querySelector("time");
      const now = new Date();
      time.dateTime = now.toISOString();
      time.textContent = now.toLocaleTimeString(document.documentElement.lang || "ja", {
        timeZone: "Asia/Tokyo",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      });
    }
    if (data.final) stop();
  }

  function url() {
    const ids = [...document.querySelectorAll("tr[data-record]")].map((row) => row.dataset.record);
    const query = ids.length ? `ids=${ids.join(",")}` : "counts_only=true";
    return `${root.dataset.url}?${query}`;
  }

  async function poll() {
    if (document.hidden) return;
    try {
      const response = await fetch(url(), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) {
        render(await response.json());
      } else if (response.status === 401 || response.status === 403 || response.status === 404) {
        stop(); // logged out or no longer allowed: the next page load says why
      }
    } catch {
      // offline for a moment: try again at the next tick
    }
  }

  function stop() {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
  }

  timer = window.setInterval(poll, EVERY_MS);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && timer !== null) poll();
  });
})();
