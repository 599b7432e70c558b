// Polls: the open one first, voting (again replaces the answer), results as they come, and
// for organisers drafting, opening and closing polls.

import { moderates, room, S } from "./state.js";
import { $, clone, fmt, markUnread, onAction, showEmpty, toast } from "./ui.js";

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

export function renderPollsOf(state) {
  room.polls = new Map(state.polls.map((p) => [p.id, p]));
  renderPolls();
}

export function wirePolls({ on, send }) {
  on("poll", upsertPoll);
  on("poll_results", ({ id, results }) => {
    const poll = room.polls.get(id);
    if (poll) {
      poll.results = results;
      const card = $("poll-list").querySelector(`[data-id="${Number(id)}"]`);
      if (card) {
        showResults(card, results);
      }
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

  onAction($("poll-list"), {
    "poll-open"(button) {
      send("poll_open", { id: Number(button.dataset.id) }, (answer) => upsertPoll(answer.poll));
    },
    "poll-close"(button) {
      send("poll_close", { id: Number(button.dataset.id) }, (answer) => upsertPoll(answer.poll));
    },
  });
}
