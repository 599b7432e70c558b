// The chat: messages in order (the latest CHAT_KEPT), the form, and for organisers deleting
// messages and muting people.

import { moderates, room, S } from "./state.js";
import {
  $, clock, clone, fmt, markUnread, onAction, onTabShown, personName, showEmpty, toast,
} from "./ui.js";

const CHAT_KEPT = 200;

const chatList = () => $("chat-list");

function nearEnd() {
  const list = chatList();
  return list.scrollHeight - list.scrollTop - list.clientHeight < 60;
}

function scrollChatToEnd() {
  const list = chatList();
  list.scrollTop = list.scrollHeight;
}

function chatItem(message) {
  const li = clone("tpl-chat");
  li.dataset.id = message.id;
  li.dataset.userId = message.user.id ?? "";
  const who = li.querySelector(".live-who");
  who.textContent = personName(message.user);
  if (message.user.hidden) {
    who.classList.add("live-hidden-name");
    who.title = S.hidden_name;
  }
  const at = li.querySelector(".live-at");
  at.dateTime = message.at;
  at.textContent = clock.format(new Date(message.at));
  li.querySelector(".live-text").textContent = message.text;
  const actions = li.querySelector(".live-msg-actions");
  if (actions) {
    for (const button of actions.querySelectorAll("button")) {
      button.dataset.id = message.id;
      button.dataset.userId = message.user.id ?? "";
      button.dataset.userName = message.user.name;
    }
    const mute = actions.querySelector('[data-action="mute"]');
    mute.hidden = message.user.id === null || message.user.id === room.me.id;
    mute.textContent = room.muted.has(message.user.id) ? S.unmute : S.mute;
  }
  return li;
}

// The same message may come twice (the author's acknowledgement, the broadcast, a snapshot):
// keep one, and never let a copy without the author's name replace one that has it.
function addChat(message, { counts = true } = {}) {
  const list = chatList();
  const known = list.querySelector(`:scope > [data-id="${Number(message.id)}"]`);
  if (known) {
    if (message.user.id !== null && known.dataset.userId === "") {
      known.replaceWith(chatItem(message));
    }
    return;
  }
  const stick = nearEnd();
  list.append(chatItem(message));
  while (list.children.length > CHAT_KEPT) {
    list.firstElementChild.remove();
  }
  showEmpty("chat-list", "chat-empty");
  if (stick || (room.me && message.user.id === room.me.id)) {
    scrollChatToEnd();
  }
  if (counts) {
    markUnread("tab-chat");
  }
}

function removeChat(id) {
  const li = chatList().querySelector(`:scope > [data-id="${Number(id)}"]`);
  if (li) {
    li.remove();
  }
  showEmpty("chat-list", "chat-empty");
}

export function setMuted(muted) {
  room.me.muted = muted;
  $("muted-note").hidden = !muted;
  for (const control of $("chat-form").elements) {
    control.disabled = muted;
  }
}

function showMuted(userId, muted) {
  if (muted) {
    room.muted.add(userId);
  } else {
    room.muted.delete(userId);
  }
  const buttons = chatList().querySelectorAll(`[data-action="mute"][data-user-id="${userId}"]`);
  for (const b of buttons) {
    b.textContent = muted ? S.unmute : S.mute;
  }
}

// The chat of a join's state (room.me is already that state's).
export function renderChat(state) {
  chatList().replaceChildren();
  for (const message of state.chat) {
    addChat(message, { counts: false });
  }
  showEmpty("chat-list", "chat-empty");
  scrollChatToEnd();
  setMuted(Boolean(state.me.muted));
}

export function wireChat({ on, send }) {
  onTabShown("tab-chat", scrollChatToEnd);
  on("chat", (message) => addChat(message));
  on("chat_deleted", ({ id }) => removeChat(id));
  on("muted", ({ user_id: userId, muted }) => {
    if (room.me && userId === room.me.id) {
      setMuted(muted);
    }
    if (moderates) {
      showMuted(userId, muted);
    }
  });

  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("chat-text");
    const text = input.value.trim();
    if (text) {
      send("chat", { text }, (answer) => {
        input.value = "";
        if (answer.message) {
          addChat(answer.message, { counts: false });
        }
      });
    }
  });

  onAction(chatList(), {
    "chat-delete"(button) {
      if (window.confirm(S.confirm_delete)) {
        send("chat_delete", { id: Number(button.dataset.id) });
      }
    },
    mute(button) {
      const userId = Number(button.dataset.userId);
      const muted = !room.muted.has(userId);
      if (muted && !window.confirm(fmt(S.confirm_mute, { name: button.dataset.userName }))) {
        return;
      }
      send("mute", { user_id: userId, muted }, () => {
        showMuted(userId, muted);
        toast(muted ? S.muted_user : S.unmuted_user);
      });
    },
  });
}
