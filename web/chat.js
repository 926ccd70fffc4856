// The chat page: talks to the PUMA deployment (turns: POST /agent, reads: POST /listener) or to
// the legacy server through its bridge (POST /legacy), with the listener protocol
// {id, text, mode, turn_no, index}. Messages typed while the chatbot answers or starts are queued —
// shown below the conversation — and sent in order; the conversation's id is kept in
// sessionStorage, so a reload (or a visit to the dashboard and back) shows it again as it was:
// the server's transcript has each turn's time and film, the tab keeps how long each turn took.
// Text goes in via textContent only.

import { Log, Outbox, cardIndex } from "./chat-view.js";
import { Composer, MAX_CHARS } from "./chat-composer.js";
import { describeFailure, failed, listener, lostConversation, newConversationId, post, readiness, send, wait } from "./chat-net.js";
import { short, statusText } from "./chat-status.js";
import { Survey } from "./chat-survey.js";
import { Saved } from "./chat-saved.js";
import { showText, speak } from "./live.js";
import { counted } from "./format.js";

const BACKENDS = {
  puma: { turn: "/agent", read: "/listener", label: "PUMA mesh" },
  legacy: { turn: "/legacy", read: "/legacy", label: "Legacy server" },
};
const params = new URLSearchParams(window.location.search);
// ?typing=MS fixes the typing delay (tests use a short one); otherwise it follows the length.
const fixedTyping = params.has("typing") ? Math.max(0, Number(params.get("typing")) || 0) : null;

const $ = (id) => document.getElementById(id);
const ui = {
  nextRow: $("next-row"), next: $("next-button"), chat: $("chat-panel"), survey: $("survey-panel"),
  thanks: $("thanks-panel"), restart: $("restart-button"), composer: $("composer"), input: $("chat-input"),
  send: $("send-button"), switcher: $("backend-switch"), status: $("status-line"), count: $("char-count"),
  logRegion: $("log"), surveyForm: $("survey-form"), surveySubmit: $("survey-submit"),
  typingStatus: $("typing-status"), announce: $("status-announce"),
};
const log = new Log($("messages"), ui.chat, $("typing"), $("earlier"));
const outbox = new Outbox($("outbox"));
const survey = new Survey(ui.surveyForm, $("survey-error"), ui.surveySubmit);
const saved = new Saved("puma-chat", Object.keys(BACKENDS));
const composer = new Composer({
  form: ui.composer, input: ui.input, count: ui.count, onSend: (text) => submit(text),
  sending: () => chat.busy || chat.queue.length > 0,
  // A notice answers the key just pressed (Enter): said at once, as the next key (which arrives
  // before a timer fires) may already withdraw it, and it must not be withdrawn unsaid.
  onNotice: (text) => { setNotice(text); renderStatus(); announceNow(); },
  onChange: (text) => {
    saved.update(chat.backend, { draft: text });  // what is typed survives a reload
    withdrawStaleNotice(text);
  },
});

const chat = {
  backend: BACKENDS[params.get("backend")] ? params.get("backend") : saved.backend() || "puma",
  id: null, turnNo: 0, ended: false, busy: false, generation: 0, filmId: null,
  queue: [], hurry: false, wake: null, waiting: null, waitedS: 0, waitFrom: 0, waitingWhy: "",
  notice: "", noticeSpoken: "", noticeFresh: false, noticeBox: null, unrestored: null, watching: false,
  restarting: false, stopped: false,
  givenBack: null,  // what the page put back into the box last (not a draft of the user's)
};

const label = (backend = chat.backend) => BACKENDS[backend].label;
const current = (generation) => () => generation === chat.generation;

// ------------------------------------------------------------------ state shown to the user

function setState(name) {
  document.body.dataset.state = name;
}

// The line above the input (chat-status.js says what it holds). The waiting messages are also
// shown as faded bubbles below the conversation.
function renderStatus() {
  const { line, spoken, outbox: heading } = statusText(chat, label());
  if (ui.status.dataset.line !== line) {  // (its text has no backticks: its commands are code)
    ui.status.dataset.line = line;
    showText(ui.status, line);
  }
  // A landmark only while it says something: an empty "Status line" region in the landmarks list
  // is a stop with nothing in it (what changes is announced by #status-announce anyway).
  if (line && !ui.status.hasAttribute("role")) {
    ui.status.setAttribute("role", "region");
    ui.status.setAttribute("aria-label", "Status line");
  } else if (!line && ui.status.hasAttribute("role")) {
    ui.status.removeAttribute("role");
    ui.status.removeAttribute("aria-label");
  }
  fitStatus();
  announce(spoken || (chat.ended ? ENDED_SPOKEN : ""));
  outbox.show(chat.queue, heading);
}

// The line's notice (nothing to send, a refused or unsent message, the backend answering again),
// and what screen readers hear of it when part of it was just said elsewhere. A notice is about the
// box as it is now: it lives until the box changes (typed, sent, emptied) and is said once.
function setNotice(line, spoken = line) {
  Object.assign(chat, { notice: line, noticeSpoken: spoken, noticeFresh: Boolean(line && spoken),
    noticeBox: line ? ui.input.value : null });
}

// The box changed since the notice was given: it no longer applies, and goes (silently: what is
// typed is the news). A notice given for the new text (the composer's "It fits now") comes after.
function withdrawStaleNotice(text) {
  if (!chat.notice || chat.noticeBox === null || chat.noticeBox === text) return;
  setNotice("");
  renderStatus();
}

// The line is bounded (style.css: 3 lines, 2 on a short screen) so the conversation and the box
// keep the height; a longer text scrolls inside it, which the keyboard reaches only then.
function fitStatus() {
  const over = ui.status.scrollHeight > ui.status.clientHeight + 1;
  if (over !== (ui.status.tabIndex === 0)) ui.status.tabIndex = over ? 0 : -1;
  ui.status.classList.toggle("overflows", over);  // a sign that more follows (style.css)
}
window.addEventListener("resize", fitStatus);

const ENDED_SPOKEN = "The conversation is over. Next →, above the message box (Shift+Tab), leads to the survey.";

// Screen readers hear a change of substance once (a polite status), not each rewrite of the line.
// Said after the current task's changes (the microtasks of one step included), the last text only:
// a state passed through on the way ("is sent when the chatbot has answered", just before the
// message is given back) is never announced. A new notice is said on its own, each time it is
// given (a second empty Enter is news too), and never again: the status after it is said only when
// it changes from what was heard before the notice, and a notice withdrawn leaves the region empty.
let toAnnounce = null;
let announcing = null;  // the timer that will say it
let heard = "";  // the status last said (notices aside)
let holdsNotice = false;  // the region holds a notice's words
function announce(text) {
  if (toAnnounce === null) announcing = setTimeout(announceNow, 0);
  toAnnounce = text;
}

function announceNow() {
  clearTimeout(announcing);
  const rest = toAnnounce;
  toAnnounce = null;
  if (rest === null) return;
  if (chat.noticeFresh) {
    chat.noticeFresh = false;
    holdsNotice = true;
    heard = rest;
    speak(ui.announce, chat.noticeSpoken, { again: true });
  } else if (rest !== heard) {
    holdsNotice = false;
    heard = rest;
    speak(ui.announce, rest);
  } else if (holdsNotice && !chat.notice) {  // emptied, which is silent: the status was heard already
    holdsNotice = false;
    speak(ui.announce, "");
  }
}

// What the page waits for, and since when: the line counts the seconds as they pass (a tick each
// second, whether or not the page has heard from the server since), screen readers hear only
// what it waits for, when that changes. `why`: what the service's 503 said is down (the legacy
// server's address and start command).
function showWaiting(what, seconds = 0, why = "") {
  const names = what.length ? what.join(", ") : "the services";
  chat.waitFrom = performance.now() - seconds * 1000;
  if (chat.waiting === names && chat.waitedS === seconds && chat.waitingWhy === why) return;
  Object.assign(chat, { waiting: names, waitedS: seconds, waitingWhy: why });
  setState("starting");
  waitingTitle(names === "the legacy server" ? "Not answering" : "Starting");
  renderStatus();
  tickWaiting();
}

let waitTicker = null;
function tickWaiting() {
  if (waitTicker !== null) return;
  waitTicker = setInterval(() => {
    if (!chat.waiting) {
      clearInterval(waitTicker);
      waitTicker = null;
      return;
    }
    const seconds = Math.round((performance.now() - chat.waitFrom) / 1000);
    if (seconds !== chat.waitedS) {
      chat.waitedS = seconds;
      renderStatus();
    }
  }, 1000);
}

function doneWaiting() {
  chat.waiting = null;
  waitingTitle("");
  setState("busy");
  renderStatus();
}

// The tab's title says what the page waits for, as after an outage (a background tab shows it):
// "Not answering" while the legacy server does not, "Starting" while the mesh starts.
function waitingTitle(what) {
  if (ui.chat.hidden || chat.watching) return;  // the survey's own title; an outage's is set already
  document.title = what ? `${what} · ${TITLES.chat}` : TITLES.chat;
}

// A message that was not sent goes back into the box, selected, so typing it again replaces it
// rather than doubling it; the status line says so. A draft typed meanwhile is kept as it is: the
// message stays on its bubble then, flagged "Not sent" with Resend (`onBubble`). Messages given back
// one after another (a failed one, then those queued behind it) go into the box together.
// `noted`: the conversation's note has just said "Not sent: “…”" and why; screen readers then
// hear only what to do, not "Not sent" a second time.
function giveBack(text, { noted = false, onBubble = false } = {}) {
  if (!text) return;
  const box = ui.input.value;
  const back = boxTakes(text);
  if (back) {
    composer.set(box && box !== text ? `${box} ${text}` : text);
    chat.givenBack = ui.input.value;
    ui.input.select();
  }
  // The deployment stopped: Enter now would fail again; what to do first is start it.
  const then = chat.stopped ? "once the deployment runs again (make run), press Enter" : "press Enter";
  const all = back ? ui.input.value : text;
  const line = back ? `Not sent: “${short(all, 40)}” is back in the box; ${then} to try again.`
    : onBubble ? `Not sent: “${short(text, 40)}”; its Resend button sends it again, Enter sends what is in the box.`
      : `Not sent: “${short(text, 40)}”; ${then} to send what is in the box.`;
  const todo = back ? `It is back in the box; ${then} to try again.`
    : onBubble ? "Its Resend button sends it again; Enter sends what is in the box."
      : `${then[0].toUpperCase()}${then.slice(1)} to send what is in the box.`;
  setNotice(line, noted ? todo : line);
  renderStatus();
}

// Whether a message not sent goes back into the box: it is empty, holds that message already, or
// holds only what was given back just before (not a draft of the user's).
function boxTakes(text) {
  const box = ui.input.value;
  return !box || box === text || box === chat.givenBack;
}

// A message not sent is shown once, with one way to send it again (both, a newcomer had to guess
// which to use): back in the box, its bubble withdrawn; or, the box holding a draft, on its bubble
// with Resend. Returns whether the bubble keeps it.
function showNotSent(text, bubble) {
  if (!bubble) return false;
  if (text && boxTakes(text)) {
    log.withdraw(bubble);
    return false;
  }
  log.markNotSent(bubble, resend);
  return true;
}

// A touch screen: focusing the box unasked opens the on-screen keyboard over the conversation.
const coarsePointer = () => window.matchMedia("(pointer: coarse)").matches;

function focusIfIdle(target) {
  const active = document.activeElement;
  const unfocused = !active || active === document.body;
  if ((unfocused && !coarsePointer()) || ui.composer.contains(active) || active === ui.next) target.focus();
}

// ------------------------------------------------------------------ the backend coming back

const RECOVERY_POLL_MS = 2000;

// Whether the backend answers again: its services are ready (the legacy bridge's, for the legacy
// server; the mesh's others, for PUMA) and the page reaches them.
function answersAgain(state, backend) {
  if (state.unreachable) return false;
  const mine = Object.keys(state.notReady).filter((name) => (name === "legacy") === (backend === "legacy"));
  return state.ready || (state.started && !mine.length);
}

// After a send failed as the backend was down or out of reach: its readiness is checked until it
// answers, then that is said once (the tab's title says it is not answering meanwhile). A send
// meanwhile says for itself how it went; a deployment that cannot tell its readiness is not watched.
async function watchRecovery(outcome, backend) {
  const down = (outcome.error && outcome.error.name !== "AbortError") || (outcome.result && outcome.result.status === 503);
  if (!down || chat.watching) return;
  const isCurrent = current(chat.generation);
  chat.watching = true;
  // Stopped during its start-up (nothing answers where Envoy did): said apart from an outage.
  chat.stopped = chat.stopped || Boolean(outcome.gone);
  document.title = `${chat.stopped ? "Stopped" : "Not answering"} · ${TITLES.chat}`;
  try {
    for (;;) {
      await wait(RECOVERY_POLL_MS);
      if (!isCurrent() || chat.busy || chat.backend !== backend) return;
      const state = await readiness();
      if (!isCurrent() || chat.busy || state.unknown) return;
      if (answersAgain(state, backend)) break;
      if (!state.unreachable && state.waiting.length) showRestarting(state.waiting, backend);
    }
    const what = ui.input.value.trim() ? "press Enter to send what is in the box" : "you can send again";
    setNotice(`The ${label(backend)} answers again: ${what}.`);
    renderStatus();
  } finally {
    chat.watching = false;
    chat.restarting = false;
    chat.stopped = false;
    if (!ui.chat.hidden) document.title = TITLES.chat;
  }
}

// The deployment answers again, but is starting (`make run` again after a stop): said as start-up
// (what it waits for, in the line and the title), not as an outage with "press Enter to try
// again". Screen readers hear it once; the names left are shown as they change, not read out.
function showRestarting(waiting, backend) {
  const what = ui.input.value.trim() ? "press Enter and what is in the box is sent once it is ready"
    : "what you send is answered once it is ready";
  const line = `The ${label(backend)} is starting: waiting for ${waiting.join(", ")}…; ${what}.`;
  if (!chat.restarting) {
    chat.restarting = true;
    setNotice(line, `The ${label(backend)} is starting again; ${what}.`);
  } else if (chat.notice !== line) {
    Object.assign(chat, { notice: line, noticeBox: ui.input.value });
  }
  document.title = `Starting · ${TITLES.chat}`;
  renderStatus();
}

// ------------------------------------------------------------------ turns

function typingPause(text) {
  if (chat.hurry) return Promise.resolve();
  const ms = fixedTyping !== null ? fixedTyping : Math.min(1100, 350 + String(text).length * 12);
  return new Promise((resolve) => {
    chat.wake = resolve;
    setTimeout(resolve, ms);
  });
}

const TYPING_ANNOUNCE_AFTER_MS = 700;

// Said once per turn to screen readers (the dots are not announced); cleared when it is answered.
function announceTyping(on) {
  const text = on ? "Chatbot is typing…" : "";
  speak(ui.typingStatus, text);
}

async function showReply(reply, info, isCurrent) {
  const all = reply.messages && reply.messages.length ? reply.messages : (reply.response ? [reply.response] : []);
  // Every reply carries the film under discussion; its card is shown when it is new.
  const film = reply.recommendation && reply.recommendation.id !== chat.filmId ? reply.recommendation : null;
  if (film) chat.filmId = film.id;
  const cardAfter = film ? cardIndex(all, film.title) : -1;
  const messages = listener(reply, all, BACKENDS[chat.backend].read);
  let last = null;
  for (let i = 0; i < all.length; i += 1) {
    log.showTyping(true);
    const [text] = await Promise.all([messages.next(i), typingPause(all[i])]);
    if (!isCurrent()) return null;
    log.showTyping(false);
    last = log.message("bot", text, new Date(), i === cardAfter ? film : null);  // the card in the message naming it
  }
  log.showTyping(false);
  if (film && cardAfter < 0) last = log.card(film);
  if (last) log.servedBy(last, info);
  return messages.signal();
}

// One turn: sent until answered (waiting out start-up), then shown. False if it failed.
async function turn(text, turnNo, bubble = null) {
  const isCurrent = current(chat.generation);
  const backend = chat.backend;
  saved.update(backend, { inflight: { text, turnNo } });
  // "Typing" only while a reply is on its way: while the service starts, the status says starting.
  // Screen readers hear it only once the reply takes a moment: a send that fails at once is heard
  // as "Not sent", never "Chatbot is typing…" first.
  let announceLater = null;
  const typing = (on) => {
    log.showTyping(on);
    clearTimeout(announceLater);
    if (on) announceLater = setTimeout(() => announceTyping(true), TYPING_ANNOUNCE_AFTER_MS);
    else announceTyping(false);
  };
  if (!chat.waiting) typing(true);
  const onWait = (what, seconds, why) => {
    typing(false);
    if (bubble) log.markWaiting(bubble);  // not taken yet: it must not look sent meanwhile
    showWaiting(what, seconds, why);
  };
  const outcome = await send(BACKENDS[backend].turn, { id: chat.id, text, mode: "false", turn_no: turnNo },
    { onWait, isCurrent });
  if (outcome.stale || !isCurrent()) return false;
  if (outcome.waited) doneWaiting();
  if (turnNo > 1 && lostConversation(outcome)) {
    typing(false);
    return startAgain(text, bubble, backend);
  }
  if (failed(outcome)) {
    typing(false);
    const why = describeFailure(outcome, label(backend));
    if (outcome.gone) chat.stopped = true;  // giveBack's words (watchRecovery keeps it while it watches)
    const onBubble = showNotSent(text, bubble);
    const note = log.note(text ? `Not sent: “${short(text, 40)}”. ${why}` : why, "error");
    if (text) note.dataset.notSent = text;  // withdrawn once the message is sent after all
    giveBack(text, { noted: Boolean(text), onBubble });
    saved.update(backend, { inflight: null });
    watchRecovery(outcome, backend);
    return false;
  }
  if (bubble) log.clearWaiting(bubble);
  if (text) log.dropNotSentNotes(text);  // it was sent: "Not sent" no longer holds
  const reply = outcome.result.data;
  chat.turnNo = turnNo;
  chat.id = reply.userid || chat.id;
  saved.update(backend, { inflight: null });
  const info = { backend, label: label(backend), ms: outcome.ms, retried: outcome.retried || outcome.waited, servedBy: outcome.result.servedBy,
    waitedS: outcome.waited ? outcome.waitedMs / 1000 : 0 };
  saved.turnMeta(backend, turnNo, { ms: Math.round(info.ms), retried: Boolean(info.retried), servedBy: info.servedBy,
    waitedS: Math.round(info.waitedS) });
  clearTimeout(announceLater);
  const signal = await showReply(reply, info, isCurrent);
  announceTyping(false);
  if (!isCurrent()) return false;
  if (signal === "end") endConversation();
  return true;
}

// The backend no longer has this conversation (the legacy server restarted: its sessions were in
// its memory). Sending again would get the same 404 for ever, so it is said in plain words and a new
// conversation starts at once, the message that met the loss sent first in it.
async function startAgain(text, bubble, backend) {
  if (bubble) bubble.remove();
  saved.forget(backend);
  chat.turnNo = 0;
  const why = backend === "legacy" ? "it was restarted, and it keeps conversations in memory" : "it expired or was deleted";
  log.note(`The ${label(backend)} no longer has this conversation (${why}), so a new one starts here` +
    `${text ? `; “${short(text, 40)}” is sent in it` : ""}.`);
  const ok = await greet();
  return ok && (text ? userTurn(text) : true);
}

function greet() {
  chat.id = newConversationId();
  saved.update(chat.backend, { id: chat.id, pending: chat.queue.slice(), inflight: null, turns: {} });
  return turn("", 1);
}

function userTurn(text) {
  chat.hurry = false;  // a queued message's answer is typed as usual
  chat.givenBack = null;  // what the box holds from now on is the user's
  if (chat.notice.startsWith("Not sent: “")) setNotice("");  // it is being sent again
  saved.update(chat.backend, { pending: chat.queue.slice() });
  log.dropNotSent(text);
  const bubble = log.message("user", text);
  renderStatus();  // it left the queue: its faded bubble goes
  return turn(text, chat.turnNo + 1, bubble);
}

// The Resend button of a message that was not sent: sent again (from the box too, if it is there).
function resend(item, text) {
  if (ui.input.value === text) composer.set("");
  setNotice("");
  item.remove();
  submit(text);
  ui.input.focus();
}

// Runs `first` (a resume), the greeting if there was none yet, then the queued messages.
async function run(first) {
  const isCurrent = current(chat.generation);
  chat.busy = true;
  setState("busy");
  renderStatus();
  let ok = first ? await first() : true;
  if (ok && isCurrent() && !chat.turnNo && !chat.ended) ok = await greet();
  while (ok && isCurrent() && !chat.ended && chat.queue.length) {
    renderStatus();
    ok = await userTurn(chat.queue.shift());
  }
  if (!isCurrent()) return;
  settle(ok);
}

function settle(ok) {
  chat.busy = false;
  chat.hurry = false;
  if (chat.waiting) waitingTitle("");
  chat.waiting = null;
  log.showTyping(false);
  announceTyping(false);
  if (chat.ended) {
    if (chat.queue.length) log.note(`Not sent, as the conversation is over: “${short(chat.queue.join(" "))}”`);
    chat.queue = [];
  } else {
    if (!ok && chat.queue.length) giveBack(chat.queue.join(" "));
    if (!ok) chat.queue = [];
    setState(ok || chat.turnNo ? "ready" : "error");
    focusIfIdle(ui.input);
  }
  saved.update(chat.backend, { pending: chat.queue.slice() });
  renderStatus();
}

function submit(text) {
  if (chat.ended) return;
  chat.queue.push(text);
  saved.update(chat.backend, { pending: chat.queue.slice() });
  if (chat.unrestored && !chat.busy) {  // the conversation is shown first, then this is sent
    const id = chat.unrestored;
    chat.unrestored = null;
    chat.queue = [];  // saved as pending just above: resume queues it after the turns it shows
    run(() => resume(id));
    return;
  }
  if (chat.busy) {
    chat.hurry = true;  // the rest of the current answer appears at once
    if (chat.wake) chat.wake();
    renderStatus();
  } else {
    run();
  }
}

function endConversation() {
  chat.ended = true;
  setState("ended");
  composer.enable(false, "The conversation is over");
  ui.send.disabled = true;
  ui.nextRow.hidden = false;
  log.scrollToEnd();
  // The focus stays where the user left it (a move cuts a screen reader's queue, which still holds
  // the last replies); the way on is said instead.
  renderStatus();  // says the way on (ENDED_SPOKEN)
}

// ------------------------------------------------------------------ resume

// Shows the conversation `id` again from the server; false (and forgotten) if it has none.
async function resume(id, note) {
  const isCurrent = current(chat.generation);
  const backend = chat.backend;
  const outcome = await send(BACKENDS[backend].read, { id, mode: "transcript" }, { onWait: showWaiting, isCurrent });
  if (outcome.stale || !isCurrent()) return false;
  if (outcome.waited) doneWaiting();
  const { pending = [], inflight = null } = saved.conversation(backend) || {};
  if (failed(outcome) && !(outcome.result && outcome.result.status === 404)) {
    return keepUnrestored(id, outcome, backend, [...(inflight && inflight.text ? [inflight.text] : []), ...pending]);
  }
  if (failed(outcome)) {
    saved.forget(backend);
    const missing = outcome.result && outcome.result.status === 404;
    const greeted = !(inflight && inflight.turnNo === 1);  // else it never started: nothing is lost
    if (!missing || greeted) {
      const why = missing ? "the server no longer has it" : describeFailure(outcome, label(backend));
      log.note(`Your earlier conversation could not be restored (${why}); here is a new one.`);
    }
    chat.queue.unshift(...(inflight && inflight.text ? [inflight.text] : []), ...pending);
    return true;
  }
  restore(outcome.result.data, backend, (saved.conversation(backend) || {}).turns || {}, note);
  chat.id = id;
  // Messages typed before the reload that the server never got are sent now, in order.
  const lost = inflight && inflight.text && outcome.result.data.turn_no < inflight.turnNo ? [inflight.text] : [];
  chat.queue.unshift(...lost, ...pending);
  return true;
}

// The backend cannot show the conversation now (not running): it stays saved, to show once it
// answers; the messages not sent yet go back into the box (and are kept over a reload there).
function keepUnrestored(id, outcome, backend, unsent) {
  chat.unrestored = id;
  saved.update(backend, { pending: [], inflight: null });
  watchRecovery(outcome, backend);
  log.note(`${describeFailure(outcome, label(backend))} Your conversation with it is kept: it is shown again `
    + "when you send a message or reload once it runs.", "error");
  const draft = [...unsent, ...chat.queue, ui.input.value].filter((t) => t).join(" ");
  chat.queue = [];
  if (draft) composer.set(draft);
  return false;
}

// Each turn as it was shown: its messages with the turn's time, the film card it proposed after
// the message naming it, and which backend served it (with how long it took, if this tab knows).
// Shown outside the live log, not read out again: screen readers hear one line, `note` (the switch
// back) with how many messages came back.
function restore(data, backend, turns, note = "") {
  const { result: filmId, added } = log.restoring(() => showHistory(data, backend, turns));
  chat.turnNo = data.turn_no || (data.history || []).length;
  chat.filmId = filmId || (data.recommendation ? data.recommendation.id : null);
  log.note(added ? `${note || "Your conversation so far"}; ${counted(added, "earlier message")} restored.`
    : `${note || "Your conversation so far, restored"}.`);
  if (data.signal === "end") endConversation();
}

// The film of the last card shown, if any.
function showHistory(data, backend, turns) {
  const history = data.history || [];
  // A transcript written before turns recorded their film: the film under discussion, once.
  const legacyFilm = history.some((entry) => entry.film) ? null : data.recommendation;
  let filmId = null;
  history.forEach((entry, index) => {
    const when = entry.at && !Number.isNaN(Date.parse(entry.at)) ? new Date(entry.at) : null;
    (entry.u || []).filter((text) => text).forEach((text) => log.message("user", text, when));
    const said = entry.c || [];
    const film = entry.film && entry.film.id !== filmId ? entry.film
      : legacyFilm && index === history.length - 1 ? legacyFilm : null;
    if (film) filmId = film.id;
    const cardAfter = film ? cardIndex(said, film.title) : -1;
    let last = null;
    said.forEach((text, i) => {
      last = log.message("bot", text, when, i === cardAfter ? film : null);
    });
    if (film && cardAfter < 0) last = log.card(film, when);
    const known = turns[String(index + 1)] || {};
    if (last) {
      log.servedBy(last, { backend, label: label(backend), ms: known.ms ?? null, retried: known.retried,
        waitedS: known.waitedS || 0, servedBy: known.servedBy });
    }
  });
  return filmId;
}

// ------------------------------------------------------------------ panels, start, switch

// The tab's title follows the view, so a screen reader (and a tab list) says where the page is.
const TITLES = { chat: "Movie chat · PUMA", survey: "Survey · Movie chat · PUMA", thanks: "Thank you · Movie chat · PUMA" };

function showPanel(name) {
  ui.chat.hidden = name !== "chat";
  ui.composer.hidden = name !== "chat";
  ui.survey.hidden = name !== "survey";
  ui.thanks.hidden = name !== "thanks";
  document.title = TITLES[name];
  if (name !== "chat") setState(name);
}

function openConversation(note) {
  surveySent = false;
  chat.generation += 1;
  Object.assign(chat, { id: null, turnNo: 0, busy: false, ended: false, filmId: null, queue: [], hurry: false, waiting: null,
    unrestored: null });
  log.clear();
  survey.reset();
  ui.nextRow.hidden = true;
  composer.enable(true);
  ui.send.disabled = false;
  showPanel("chat");
  const stored = saved.conversation(chat.backend);
  if (stored && stored.draft && !ui.input.value) composer.set(stored.draft);
  if (stored && stored.id) {
    run(() => resume(stored.id, note));
  } else {
    if (note) log.note(note);
    chat.queue.push(...((stored && stored.pending) || []));
    run();
  }
}

function switchBackend(name) {
  const before = chat.backend;
  chat.backend = name;
  saved.setBackend(name);
  const url = new URL(window.location.href);
  url.searchParams.set("backend", name);
  window.history.replaceState(null, "", url);
  const back = saved.conversation(name);
  // Back: one short line, completed with how many messages came back (restore); the switch's own
  // description already says the other conversation is kept.
  let note = back && back.id ? `Switched to the ${label(name)}: back to your conversation with it`
    : `Switched to the ${label(name)}: this is a new conversation.`;
  if (!(back && back.id) && (saved.conversation(before) || {}).id) {
    note += ` Your conversation with the ${label(before)} is kept; switch back to continue it.`;
  }
  openConversation(note);
}

async function sendSurvey(event) {
  event.preventDefault();
  if (!survey.check()) return;
  survey.sending(true);
  let failure = "";
  try {
    const result = await post("/survey", survey.answers(chat.id));
    if (result.status !== 200) {
      const data = result.data || {};
      failure = `Your answers could not be saved: ${data.error || data.detail || `HTTP ${result.status}`}`;
      return;
    }
    saved.forget(chat.backend);
    showPanel("thanks");
    ui.restart.focus();
    leaveSurveyEntry();
  } catch (err) {
    failure = "Your answers could not be saved: the network failed. Please try again.";
  } finally {
    survey.sending(false);
    // Said once the form is no longer busy (a change inside a busy form may never be read), and
    // said each time: a second failure in the same words is news too.
    if (failure) survey.showError(failure, { again: true });
  }
}

// The survey is a history entry (#survey): Back returns to the conversation, Forward to the survey.
// Once it is sent, the page's entries are the chat's one, showing the thank-you: the page steps
// back from #survey to it (the entry Next came from, same URL), so Back from the thank-you leaves
// for the page before the chat, as from any page, instead of landing on a copy of this one (the
// same URL, a new conversation) with the site one more Back away; Forward to the sent survey's
// entry steps back to the thank-you again.
let surveySent = false;

function leaveSurveyEntry() {
  surveySent = true;
  if (window.location.hash === "#survey") window.history.back();
}

function openSurvey() {
  survey.ask({ filmOffered: Boolean(chat.filmId) });  // only about what happened
  showPanel("survey");
  ui.survey.querySelector("fieldset:not([hidden]) input").focus();
}

function onHistory() {
  if (surveySent) {
    if (window.location.hash === "#survey") window.history.back();
    return;  // the thank-you stays shown
  }
  const wanted = window.location.hash === "#survey" && chat.ended ? "survey" : "chat";
  if (wanted === "survey") openSurvey();
  else if (ui.chat.hidden) {
    showPanel("chat");
    setState(chat.ended ? "ended" : "ready");
    // The focus was in the survey, now hidden (the browser would drop it to the page's top): it goes
    // to the conversation reached, which a screen reader names, and from which Tab leads on.
    ui.chat.focus();
  }
}

function bindEvents() {
  ui.switcher.addEventListener("change", (event) => switchBackend(event.target.value));
  ui.next.addEventListener("click", () => {
    if (window.location.hash !== "#survey") window.history.pushState({ panel: "survey" }, "", "#survey");
    openSurvey();
  });
  window.addEventListener("popstate", onHistory);
  ui.surveyForm.addEventListener("submit", sendSurvey);
  ui.restart.addEventListener("click", () => openConversation());
}

// What was typed on PUMA's "Starting…" page, shown while this page's service had no instance ready
// (puma/localreplies.py keeps it in this key): it goes into the box, not lost, and the line says so.
const STARTING_TYPED_KEY = "puma-starting-typed";

function takeStartingDraft() {
  let typed = "";
  try {
    typed = (sessionStorage.getItem(STARTING_TYPED_KEY) || "").trim();
    sessionStorage.removeItem(STARTING_TYPED_KEY);
  } catch (err) { /* no storage: nothing was kept */ }
  if (!typed || chat.ended) return;
  const box = ui.input.value.trim();
  composer.set(box && box !== typed ? `${box} ${typed}` : typed);
  setNotice("What you typed while the page loaded is in the box: press Enter to send it.");
  renderStatus();
}

// What was typed before this script ran (on a busy machine the box shows a moment before its
// script has loaded, and takes keys): kept, never lost. An Enter pressed then left its newline in
// the box instead of sending: the message is sent once the chatbot has greeted, as if queued.
// (The box restored by the browser on a reload holds the saved draft: that stays a draft.)
function takeEarlyTyping(early, draft) {
  if (!early.trim() || early === draft || chat.ended) return;
  if (/\n\s*$/.test(early) && [...early.trim()].length <= MAX_CHARS) {
    composer.set("");
    chat.queue.push(early.trim());
    renderStatus();
  } else {
    composer.set(early);  // counted, saved as a draft
  }
}

function init() {
  const early = ui.input.value;
  const draft = (saved.conversation(chat.backend) || {}).draft || "";
  if (window.location.hash) {  // a reload on the survey: the conversation first (Next leads to it again)
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  ui.switcher.querySelector(`input[value="${chat.backend}"]`).checked = true;
  saved.setBackend(chat.backend);
  bindEvents();
  if (!coarsePointer()) ui.input.focus();  // ready to type; not on a touch screen (its keyboard)
  openConversation();
  takeEarlyTyping(early, draft);
  takeStartingDraft();
}

init();
