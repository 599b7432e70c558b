// Small pieces of the live room's page: lookups, words with values, the status line, the
// toast, empty-list notes, the tabs and their unread badges, and the buttons inside lists.

import { room, root, S } from "./state.js";

export const $ = (id) => document.getElementById(id);

export const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));

export const clock = new Intl.DateTimeFormat(document.documentElement.lang || "ja", {
  hour: "2-digit",
  minute: "2-digit",
  timeZone: "Asia/Tokyo",
});

export function clone(id) {
  return $(id).content.firstElementChild.cloneNode(true);
}

let toastTimer = null;
export function toast(message) {
  const box = $("live-toast");
  if (!message) {
    return;
  }
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    box.hidden = true;
  }, 5000);
}

export function errorText(error) {
  if (!error) {
    return S.send_failed;
  }
  const fields = error.fields ? Object.values(error.fields).flat() : [];
  return fields.length ? fields[0] : error.message;
}

export function setStatus(state, text) {
  const status = $("live-status");
  status.dataset.state = state;
  status.textContent = text || S[state];
}

export function personName(user) {
  return user.id !== null && room.me && user.id === room.me.id
    ? `${user.name} ${S.you}` : user.name;
}

export function showEmpty(listId, emptyId) {
  $(emptyId).hidden = $(listId).children.length > 0;
}

// Buttons inside a list (they come and go with its items): one listener for all of them.
export function onAction(list, actions) {
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (button && actions[button.dataset.action]) {
      actions[button.dataset.action](button);
    }
  });
}

// --- tabs ------------------------------------------------------------------------------------

const shown = new Map(); // tab id -> what to do when it is selected

export function onTabShown(tabId, fn) {
  shown.set(tabId, fn);
}

function selectTab(tabs, tab) {
  for (const t of tabs) {
    const selected = t === tab;
    t.setAttribute("aria-selected", String(selected));
    t.tabIndex = selected ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !selected;
  }
  const unread = tab.querySelector(".live-unread");
  if (unread) {
    unread.hidden = true;
    unread.textContent = "";
  }
  shown.get(tab.id)?.();
}

export function markUnread(tabId) {
  const tab = $(tabId);
  if (tab.getAttribute("aria-selected") === "true") {
    return;
  }
  const badge = tab.querySelector(".live-unread");
  badge.textContent = String(Number(badge.textContent || 0) + 1);
  badge.hidden = false;
}

export function wireTabs() {
  const tabs = Array.from(root.querySelectorAll('[role="tab"]'));
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tabs, tab));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) {
        const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
        selectTab(tabs, next);
        next.focus();
      }
    });
  }
}
