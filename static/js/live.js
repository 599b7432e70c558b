// The live room (templates/live/room.html): one Socket.IO connection to the "/live" namespace.
// On every (re)connect the client joins again and redraws the whole room from the state the
// `join` acknowledgement carries (the server keeps no per-connection state to recover), then
// follows the broadcasts. Text from people is only ever inserted with textContent.
(() => {
  "use strict";

  const root = document.getElementById("live-room");
  if (!root || typeof io !== "function") {
    return;
  }
  const S = JSON.parse(root.dataset.strings);
  const sessionId = Number(root.dataset.sessionId);
  const moderates = root.dataset.role === "organizer";
  const $ = (id) => document.getElementById(id);
  const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
  const clock = new Intl.DateTimeFormat(document.documentElement.lang || "ja", {
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "Asia/Tokyo",
  });
  // A join refused for one of these reasons will be refused again: stop trying.
  const FINAL = new Set(["room_closed", "not_registered_online", "forbidden", "not_found",
    "authentication_required"]);
  const CHAT_KEPT = 200;

  const room = {
    me: null,
    joined: false,
    stopped: false,
    questions: new Map(),
    polls: new Map(),
    muted: new Set(), // people this organiser muted during this visit
  };

  // --- small helpers ---------------------------------------------------------------------------

  function clone(id) {
    return $(id).content.firstElementChild.cloneNode(true);
  }

  let toastTimer = null;
  function toast(message) {
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

  function errorText(error) {
    if (!error) {
      return S.send_failed;
    }
    const fields = error.fields ? Object.values(error.fields).flat() : [];
    return fields.length ? fields[0] : error.message;
  }

  function setStatus(state, text) {
    const status = $("live-status");
    status.dataset.state = state;
    status.textContent = text || S[state];
  }

  function personName(user) {
    return user.id !== null && room.me && user.id === room.me.id
      ? `${user.name} ${S.you}` : user.name;
  }

  function showEmpty(listId, emptyId) {
    $(emptyId).hidden = $(listId).children.length > 0;
  }

  // --- tabs --------------------------------------------------------------------------------------

  const tabs = Array.from(root.querySelectorAll('[role="tab"]'));

  function selectTab(tab) {
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
    if (tab.id === "tab-chat") {
      scrollChatToEnd();
    }
  }

  function markUnread(tabId) {
    const tab = $(tabId);
    if (tab.getAttribute("aria-selected") === "true") {
      return;
    }
    const badge = tab.querySelector(".live-unread");
    badge.textContent = String(Number(badge.textContent || 0) + 1);
    badge.hidden = false;
  }

  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) {
        const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
        selectTab(next);
        next.focus();
      }
    });
  }

  // --- chat --------------------------------------------------------------------------------------

  const chatList = $("chat-list");

  function nearEnd() {
    return chatList.scrollHeight - chatList.scrollTop - chatList.clientHeight < 60;
  }

  function scrollChatToEnd() {
    chatList.scrollTop = chatList.scrollHeight;
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
    const known = chatList.querySelector(`:scope > [data-id="${Number(message.id)}"]`);
    if (known) {
      if (message.user.id !== null && known.dataset.userId === "") {
        known.replaceWith(chatItem(message));
      }
      return;
    }
    const stick = nearEnd();
    chatList.append(chatItem(message));
    while (chatList.children.length > CHAT_KEPT) {
      chatList.firstElementChild.remove();
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
    const li = chatList.querySelector(`:scope > [data-id="${Number(id)}"]`);
    if (li) {
      li.remove();
    }
    showEmpty("chat-list", "chat-empty");
  }

  function setMuted(muted) {
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
    for (const b of chatList.querySelectorAll(`[data-action="mute"][data-user-id="${userId}"]`)) {
      b.textContent = muted ? S.unmute : S.mute;
    }
  }

  // --- questions ---------------------------------------------------------------------------------

  function questionOrder(a, b) {
    // Open questions first, most votes first, then in the order they were asked.
    return (a.answered - b.answered) || (b.votes - a.votes) || (a.id - b.id);
  }

  function questionItem(q) {
    const li = clone("tpl-question");
    li.dataset.id = q.id;
    li.classList.toggle("is-answered", q.answered);
    li.querySelector(".live-text").textContent = q.text;
    const who = li.querySelector(".live-who");
    who.textContent = personName(q.user);
    if (q.anonymous && q.user.id !== null) {
      who.textContent += ` (${S.anonymous_to_others})`;
    }
    li.querySelector(".live-answered").hidden = !q.answered;
    const vote = li.querySelector(".live-vote");
    vote.dataset.id = q.id;
    vote.querySelector(".live-votes").textContent = String(q.votes);
    vote.setAttribute("aria-pressed", String(Boolean(q.voted)));
    vote.setAttribute("aria-label", fmt(S.votes_label, { n: q.votes }));
    vote.disabled = Boolean(q.voted);
    const answered = li.querySelector('[data-action="answered"]');
    if (answered) {
      answered.dataset.id = q.id;
      answered.dataset.answered = q.answered ? "1" : "";
      answered.textContent = q.answered ? S.mark_unanswered : S.mark_answered;
      li.querySelector('[data-action="question-hide"]').dataset.id = q.id;
    }
    return li;
  }

  function renderQuestions() {
    const list = $("question-list");
    const focused = document.activeElement;
    const refocus = focused && list.contains(focused)
      ? { id: focused.dataset.id, action: focused.dataset.action } : null;
    list.replaceChildren(...[...room.questions.values()].sort(questionOrder).map(questionItem));
    if (refocus) {
      const again = list.querySelector(
        `[data-action="${refocus.action}"][data-id="${Number(refocus.id)}"]`,
      );
      if (again) {
        again.focus();
      }
    }
    showEmpty("question-list", "questions-empty");
  }

  function upsertQuestion(q) {
    const known = room.questions.get(q.id);
    const user = known && known.user.id !== null && q.user.id === null ? known.user : q.user;
    room.questions.set(q.id, { ...known, ...q, user, voted: Boolean(known?.voted || q.voted) });
    renderQuestions();
  }

  function changeQuestion(id, change) {
    const q = room.questions.get(id);
    if (q) {
      change(q);
      renderQuestions();
    }
  }

  // --- polls -------------------------------------------------------------------------------------

  function pollCard(poll) {
    const card = clone("tpl-poll");
    card.dataset.id = poll.id;
    card.querySelector(".live-poll-question").textContent = poll.question;
    const status = card.querySelector(".live-poll-status");
    status.textContent = S[`poll_${poll.status}`] || poll.status;
    status.classList.add(`status-${poll.status}`);
    card.querySelector(".live-poll-kind").textContent = poll.multiple ? S.choose_any : S.choose_one;
    const options = card.querySelector(".live-options");
    const mine = new Set(poll.my_choices || []);
    poll.options.forEach((label, index) => {
      const li = clone("tpl-option");
      const input = li.querySelector("input");
      input.type = poll.multiple ? "checkbox" : "radio";
      input.name = `poll-${poll.id}`;
      input.value = String(index);
      input.checked = mine.has(index);
      input.disabled = poll.status !== "open";
      li.querySelector(".live-option-label").textContent = label;
      options.append(li);
    });
    const form = card.querySelector(".live-poll-form");
    form.dataset.id = poll.id;
    form.querySelector(".live-poll-submit").hidden = poll.status !== "open";
    for (const button of card.querySelectorAll(".live-msg-actions button")) {
      button.dataset.id = poll.id;
    }
    const open = card.querySelector('[data-action="poll-open"]');
    if (open) {
      open.hidden = poll.status === "open";
      card.querySelector('[data-action="poll-close"]').hidden = poll.status !== "open";
    }
    showResults(card, poll.results);
    return card;
  }

  function showResults(card, results) {
    const voters = results.voters;
    card.querySelector(".live-poll-voters").textContent = fmt(S.voters, { n: voters });
    card.querySelectorAll(".live-option").forEach((li, index) => {
      const count = results.counts[index] || 0;
      const bar = li.querySelector("progress");
      bar.max = Math.max(voters, 1);
      bar.value = count;
      const percent = voters ? Math.round((100 * count) / voters) : 0;
      li.querySelector(".live-option-count").textContent = `${count} (${percent}%)`;
    });
  }

  function renderPolls() {
    const list = $("poll-list");
    // Open polls first, then the newest.
    const polls = [...room.polls.values()].sort(
      (a, b) => ((b.status === "open") - (a.status === "open")) || (b.id - a.id),
    );
    list.replaceChildren(...polls.map(pollCard));
    showEmpty("poll-list", "polls-empty");
  }

  function upsertPoll(poll) {
    const known = room.polls.get(poll.id);
    const merged = { ...known, ...poll, my_choices: poll.my_choices ?? known?.my_choices ?? [] };
    if (!moderates && merged.status === "draft") {
      room.polls.delete(poll.id);
    } else {
      room.polls.set(poll.id, merged);
    }
    if (merged.status === "open" && known?.status !== "open") {
      markUnread("tab-polls");
    }
    renderPolls();
  }

  // --- people and the announcement ---------------------------------------------------------------

  function renderPresence(presence) {
    $("live-people-count").textContent = `(${presence.count})`;
    $("people-summary").textContent = fmt(S.people_here, { n: presence.count });
    $("people-list").replaceChildren(...presence.people.map((person) => {
      const li = document.createElement("li");
      li.textContent = personName(person);
      if (person.hidden) {
        const note = document.createElement("span");
        note.className = "hint";
        note.textContent = ` (${S.hidden_name})`;
        li.append(note);
      }
      return li;
    }));
    if (presence.more > 0) { // a big room lists the first names only
      const li = document.createElement("li");
      li.className = "hint";
      li.textContent = fmt(S.more_people, { n: presence.more });
      $("people-list").append(li);
    }
  }

  function renderAnnouncement(text) {
    const banner = $("live-announcement");
    $("live-announcement-text").textContent = text || "";
    banner.hidden = !text;
  }

  // --- the whole room, from a join acknowledgement -----------------------------------------------

  function render(state) {
    room.me = state.me;
    chatList.replaceChildren();
    for (const message of state.chat) {
      addChat(message, { counts: false });
    }
    showEmpty("chat-list", "chat-empty");
    scrollChatToEnd();
    room.questions = new Map(state.questions.map((q) => [q.id, q]));
    renderQuestions();
    room.polls = new Map(state.polls.map((p) => [p.id, p]));
    renderPolls();
    renderPresence(state.presence);
    renderAnnouncement(state.announcement);
    $("hide-name").checked = Boolean(state.me.hide_name);
    setMuted(Boolean(state.me.muted));
  }

  // --- the connection ----------------------------------------------------------------------------

  const socket = io("/live", {
    reconnectionDelay: 1000,
    reconnectionDelayMax: 15000,
    randomizationFactor: 0.5,
  });

  // Events sent with an acknowledgement, by name: a refusal of one of them comes twice (an
  // "error" event, then the acknowledgement), and only the acknowledgement is shown.
  const awaiting = new Map();
  function emitWithAck(event, data, timeout, callback) {
    awaiting.set(event, (awaiting.get(event) || 0) + 1);
    socket.timeout(timeout).emit(event, data, (err, answer) => {
      awaiting.set(event, awaiting.get(event) - 1);
      callback(err, answer);
    });
  }

  function join() {
    room.joined = false;
    emitWithAck("join", { session_id: sessionId }, 15000, (err, answer) => {
      if (err) { // no answer in time: drop the connection and let the backoff try again
        socket.disconnect().connect();
        return;
      }
      if (answer && answer.ok) {
        room.joined = true;
        render(answer.state);
        setStatus("connected");
        return;
      }
      const error = answer && answer.error;
      toast(errorText(error));
      if (error && FINAL.has(error.code)) {
        room.stopped = true;
        socket.disconnect();
        setStatus("offline", error.message);
      } else {
        setTimeout(() => socket.connected && join(), 3000);
      }
    });
  }

  socket.on("connect", join);
  socket.on("disconnect", (reason) => {
    room.joined = false;
    if (room.stopped) {
      return;
    }
    setStatus(navigator.onLine ? "reconnecting" : "offline");
    if (reason === "io server disconnect") { // the server hung up: try again after a pause
      setTimeout(() => !room.stopped && socket.connect(), 2000);
    }
  });
  socket.on("connect_error", (error) => {
    if (!socket.active) { // refused by the server (e.g. the login expired): retrying won't help
      room.stopped = true;
      setStatus("offline", S.offline);
      toast(errorText(error.data));
      return;
    }
    setStatus(navigator.onLine ? (room.me ? "reconnecting" : "connecting") : "offline");
  });
  socket.io.on("reconnect_attempt", () => {
    setStatus(navigator.onLine ? "reconnecting" : "offline");
  });
  window.addEventListener("offline", () => setStatus("offline"));
  window.addEventListener("online", () => {
    if (!socket.connected && !room.stopped) {
      setStatus("reconnecting");
      socket.connect();
    }
  });

  // Broadcasts from the server.
  socket.on("chat", (message) => addChat(message));
  socket.on("chat_deleted", ({ id }) => removeChat(id));
  socket.on("question", (q) => {
    const isNew = !room.questions.has(q.id);
    upsertQuestion(q);
    if (isNew) {
      markUnread("tab-qa");
    }
  });
  socket.on("question_votes", ({ id, votes }) => changeQuestion(id, (q) => {
    q.votes = votes;
  }));
  socket.on("question_answered", ({ id, answered }) => changeQuestion(id, (q) => {
    q.answered = answered;
  }));
  socket.on("question_hidden", ({ id }) => {
    room.questions.delete(id);
    renderQuestions();
  });
  socket.on("poll", upsertPoll);
  socket.on("poll_results", ({ id, results }) => {
    const poll = room.polls.get(id);
    if (poll) {
      poll.results = results;
      const card = $("poll-list").querySelector(`[data-id="${Number(id)}"]`);
      if (card) {
        showResults(card, results);
      }
    }
  });
  socket.on("announcement", ({ text }) => renderAnnouncement(text));
  socket.on("presence", renderPresence);
  socket.on("muted", ({ user_id: userId, muted }) => {
    if (room.me && userId === room.me.id) {
      setMuted(muted);
    }
    if (moderates) {
      showMuted(userId, muted);
    }
  });
  socket.on("error", (error) => {
    if (!(error && awaiting.get(error.event) > 0)) {
      toast(errorText(error));
    }
  });

  // --- what people do ----------------------------------------------------------------------------

  function send(event, data, onOk) {
    if (!room.joined) {
      toast(S.send_failed);
      return;
    }
    emitWithAck(event, data, 10000, (err, answer) => {
      if (err) {
        toast(S.send_failed);
      } else if (!answer || answer.error) {
        const error = answer && answer.error;
        if (error && error.code === "muted") {
          setMuted(true);
        }
        toast(errorText(error));
      } else {
        if (answer.warning) {
          toast(answer.warning.message); // sent, but only part of the room heard it live
        }
        if (onOk) {
          onOk(answer);
        }
      }
    });
  }

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

  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("ask-text");
    const text = input.value.trim();
    if (text) {
      send("ask", { text, anonymous: $("ask-anonymous").checked }, (answer) => {
        input.value = "";
        if (answer.question) {
          upsertQuestion(answer.question);
        }
      });
    }
  });

  $("hide-name").addEventListener("change", (event) => {
    const box = event.target;
    send("hide_name", { hide: box.checked }, (answer) => {
      room.me.hide_name = Boolean(answer.hide_name);
      box.checked = room.me.hide_name;
    });
    if (!room.joined) {
      box.checked = !box.checked;
    }
  });

  $("poll-list").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    const id = Number(form.dataset.id);
    const choices = [...form.querySelectorAll("input:checked")].map((i) => Number(i.value));
    if (!choices.length) {
      return;
    }
    send("poll_vote", { id, choices }, (answer) => {
      if (answer.poll) {
        upsertPoll(answer.poll);
      }
      toast(S.thanks);
    });
  });

  const pollForm = $("poll-form");
  if (pollForm) {
    pollForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const options = $("poll-options").value.split("\n").map((o) => o.trim()).filter(Boolean);
      send("poll_create", {
        question: $("poll-question").value.trim(),
        options,
        multiple: $("poll-multiple").checked,
      }, (answer) => {
        pollForm.reset();
        if (answer.poll) {
          upsertPoll(answer.poll);
        }
      });
    });
  }

  const announceForm = $("announce-form");
  if (announceForm) {
    announceForm.addEventListener("submit", (event) => {
      event.preventDefault();
      send("announce", { text: $("announce-text").value.trim() }, (answer) => {
        announceForm.reset();
        renderAnnouncement(answer.announcement);
      });
    });
    $("announce-clear").addEventListener("click", () => {
      send("announce", { text: "" }, () => renderAnnouncement(null));
    });
  }

  // Buttons inside the lists: one listener for all of them.
  const actions = {
    upvote(button) {
      const id = Number(button.dataset.id);
      send("upvote", { question_id: id }, (answer) => changeQuestion(id, (q) => {
        q.voted = true;
        q.votes = answer.votes ?? q.votes;
      }));
    },
    answered(button) {
      send("question_answered", { id: Number(button.dataset.id), answered: !button.dataset.answered });
    },
    "question-hide"(button) {
      if (window.confirm(S.confirm_hide)) {
        send("question_hide", { id: Number(button.dataset.id) });
      }
    },
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
    "poll-open"(button) {
      send("poll_open", { id: Number(button.dataset.id) }, (answer) => upsertPoll(answer.poll));
    },
    "poll-close"(button) {
      send("poll_close", { id: Number(button.dataset.id) }, (answer) => upsertPoll(answer.poll));
    },
  };

  root.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (button && actions[button.dataset.action]) {
      actions[button.dataset.action](button);
    }
  });
})();
