// What the chat page draws: messages, notes, the film card, the messages waiting to be sent.
// Every piece of text reaches the page through textContent, never innerHTML, so a message is
// always shown as text.

import { clockText } from "./format.js";
import { fill } from "./live.js";

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function clockTime(date) {
  const time = el("time", "stamp", clockText(date));
  time.dateTime = date.toISOString();
  return time;
}

// The log: a list inside a polite live region (role=log), so screen readers announce each new
// message once, without taking the focus from the composer. What is around a message — its time,
// the backend that served it — is shown but not announced (aria-hidden), so one bot message is
// one short announcement; which backend answered and how long it took is the message's
// description (aria-describedby), read when the list is browsed.
let describedBy = 0;  // ids of the messages' descriptions

// The message's description (hidden, so adding it to the live log announces nothing): set, or
// replaced once more is known.
function describe(item, text) {
  const id = item.getAttribute("aria-describedby");
  if (id) {
    document.getElementById(id).textContent = text;
    return;
  }
  describedBy += 1;
  const description = el("span", "", text);
  description.id = `served-${describedBy}`;
  description.hidden = true;
  item.append(description);
  item.setAttribute("aria-describedby", description.id);
}

export class Log {
  // list: the live log's list; earlier: the list outside it, for a restored conversation.
  constructor(list, scroller, typing, earlier) {
    Object.assign(this, { list, scroller, typing, earlier, into: list, atEnd: true });
    // A message list that was showing its end keeps showing it when the composer grows or the
    // window shrinks (the scroller gets shorter, and the end would slide out of view).
    scroller.addEventListener("scroll", () => {
      this.atEnd = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 24;
    });
    new ResizeObserver(() => {
      if (this.atEnd) this.scrollToEnd();
    }).observe(scroller);
  }

  clear() {
    this.list.replaceChildren();
    this.earlier.replaceChildren();
    this.earlier.hidden = true;
  }

  // A conversation shown again (a reload, a switch back): its messages go in the list before the
  // live log, so no screen reader reads them all out (aria-busy alone left that to each reader);
  // the caller says one line instead. Returns `show`'s result and how many items it added.
  restoring(show) {
    const before = this.earlier.childElementCount;
    this.into = this.earlier;
    try {
      const result = show();
      this.earlier.hidden = this.earlier.childElementCount === 0;
      return { result, added: this.earlier.childElementCount - before };
    } finally {
      this.into = this.list;
    }
  }

  // Changes to what is shown already (a restore in bulk, a message marked not sent), made while
  // the log is busy: screen readers hear none of them; what is new is said after, once.
  quietly(change) {
    const region = this.list.closest("[aria-live]");
    region.setAttribute("aria-busy", "true");
    try {
      return change();
    } finally {
      region.removeAttribute("aria-busy");
    }
  }

  scrollToEnd() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.atEnd = true;
  }

  // role: "bot" | "user"; when: a Date, or null when no time is known; film: the film this
  // message proposes, shown as a card in it, so that screen readers hear one message:
  // "Chatbot: How about Heat (1995)? Film card: Heat, 1995, action, crime, 170 minutes."
  message(role, text, when = new Date(), film = null) {
    const item = el("li", `message ${role}`);
    item.dataset.role = role;
    const who = el("span", "visually-hidden", role === "bot" ? "Chatbot: " : "You: ");
    const bubble = el("div", "bubble", text);
    const meta = el("div", "meta");
    meta.setAttribute("aria-hidden", "true");
    item.append(who, bubble, ...(film ? [filmCard(film)] : []), meta);
    if (when) {  // the time shown is the description's too: "Sent at 05:12:53." (read when browsed)
      meta.append(clockTime(when));
      item.dataset.time = clockText(when);
      describe(item, `Sent at ${item.dataset.time}.`);
    }
    this.into.append(item);
    this.scrollToEnd();
    return item;
  }

  // A message that did not reach the server: said on the bubble itself, in words (not colour
  // alone) that screen readers read too ("You, not sent:"), with a button to send it again.
  // Quietly: the note that follows says it was not sent and why, once.
  markNotSent(item, onResend) {
    return this.quietly(() => this.flagNotSent(item, onResend));
  }

  // A message the backend has not taken yet (it answered 503: starting, or the legacy server down):
  // it must not look sent while the page waits. Flagged "Not sent yet" in words (screen readers:
  // "You, not sent yet:"), quietly (the status line says what the page waits for); unflagged once
  // it is answered, or flagged "Not sent" with Resend if the page gives up.
  markWaiting(item) {
    if (item.classList.contains("waiting") || item.classList.contains("not-sent")) return;
    this.quietly(() => {
      item.classList.add("waiting");
      item.dataset.sent = "false";
      relabel(item, "You, not sent yet: ");
      if (item.dataset.time) describe(item, `Typed at ${item.dataset.time}; not sent yet.`);
      const flag = el("div", "not-sent-flag waiting-flag");
      const label = el("span", "not-sent-label", "Not sent yet: waiting");
      label.setAttribute("aria-hidden", "true");  // said once, by "You, not sent yet:" before the text
      flag.append(label);
      item.append(flag);
    });
  }

  // It was taken after all (answered): an ordinary sent message again.
  clearWaiting(item) {
    if (!item.classList.contains("waiting")) return;
    this.quietly(() => {
      item.classList.remove("waiting");
      delete item.dataset.sent;
      relabel(item, "You: ");
      if (item.dataset.time) describe(item, `Sent at ${item.dataset.time}.`);
      item.querySelectorAll(".waiting-flag").forEach((flag) => flag.remove());
    });
  }

  flagNotSent(item, onResend) {
    item.classList.remove("waiting");
    item.querySelectorAll(".waiting-flag").forEach((flag) => flag.remove());
    item.classList.add("not-sent");
    item.dataset.sent = "false";
    relabel(item, "You, not sent: ");
    // Its description said "Sent at HH:MM:SS." (the time it was typed): now what is true of it.
    if (item.dataset.time) describe(item, `Typed at ${item.dataset.time}; not sent.`);
    const text = item.querySelector(".bubble").textContent;
    const flag = el("div", "not-sent-flag");
    const button = el("button", "resend", "Resend");
    button.type = "button";
    button.setAttribute("aria-label", `Resend “${text.length > 40 ? `${text.slice(0, 39)}…` : text}”`);
    button.addEventListener("click", () => onResend(item, text));
    const label = el("span", "not-sent-label", "Not sent");
    label.setAttribute("aria-hidden", "true");  // said once, by "You, not sent:" before the text
    flag.append(label, button);
    item.append(flag);
    return button;
  }

  // A message not sent whose text went back into the box: its bubble goes (it is shown once, there).
  withdraw(item) {
    this.quietly(() => item.remove());
  }

  // The unsent bubble of `text`, if any, goes: it is being sent again (its new bubble follows).
  dropNotSent(text) {
    const stale = [...this.list.querySelectorAll(".message.not-sent")]
      .filter((item) => item.querySelector(".bubble").textContent === text);
    stale.forEach((item) => item.remove());
  }

  // The notes that said `text` (or a part of it: given back, it may have been sent joined with what
  // was in the box) was not sent, once it was: left in place they read as if it had failed.
  dropNotSentNotes(text) {
    [...this.list.querySelectorAll(".note[data-not-sent]")]
      .filter((item) => text.includes(item.dataset.notSent)).forEach((item) => item.remove());
  }

  // A note is announced as the log's next line; a command, path or address in it is said in
  // words (live.js), and shown as code.
  note(text, kind) {
    const item = el("li", `note ${kind || ""}`.trim());
    fill(item, text);
    item.dataset.role = "system";
    this.list.append(item);
    this.scrollToEnd();
    return item;
  }

  // A film proposed with no message naming it: the card is the chatbot's message by itself.
  card(film, when = new Date()) {
    const item = this.message("bot", "", when, film);
    item.querySelector(".bubble").remove();
    return item;
  }

  // info: {backend, label, ms (null when not known, e.g. restored), retried, waitedS, servedBy}.
  // `ms` is the answered request's own time; a wait for start-up before it is said apart.
  // Screen readers get it as the message's description (read when the list is browsed, never
  // announced with the message): "Answered by PUMA mesh in 92 ms." The node described by is
  // hidden, so adding it to the live log announces nothing.
  servedBy(item, info) {
    const meta = item.querySelector(".meta");
    const badge = el("span", `served-by ${info.backend}`, info.label);
    badge.title = info.servedBy || info.label;
    meta.append(badge);
    let took = "";
    if (typeof info.ms === "number") {
      const after = info.waitedS >= 1 ? ` · answered once ready (waited ${Math.round(info.waitedS)} s for start-up)`
        : info.retried ? " · retried" : "";
      meta.append(el("span", "took", `${Math.round(info.ms)} ms${after}`));
      took = ` in ${Math.round(info.ms)} ms${info.waitedS >= 1 ? `, after ${Math.round(info.waitedS)} s of start-up`
        : info.retried ? ", retried" : ""}`;
    }
    describe(item, `Answered by ${info.label}${took}${item.dataset.time ? `, at ${item.dataset.time}` : ""}.`);
  }

  showTyping(on) {
    this.typing.hidden = !on;
    if (on && this.atEnd) this.typing.scrollIntoView({ block: "nearest" });
  }
}

// Messages typed but not sent yet, shown below the conversation as faded bubbles in the order
// they will be sent; each moves into the conversation when it is sent.
export class Outbox {
  constructor(list) {
    this.list = list;
  }

  show(texts, why) {
    this.list.replaceChildren(...texts.map((text) => {
      const item = el("li", "queued");
      item.append(el("span", "visually-hidden", "Waiting to be sent: "), el("div", "bubble", text),
        el("div", "meta", why));
      return item;
    }));
    this.list.hidden = texts.length === 0;
  }
}

// The index of the message the film's card belongs to: the first one naming it (the proposal,
// "How about Heat (1995)?"), else the last message.
export function cardIndex(messages, title) {
  const found = title ? messages.findIndex((message) => String(message).includes(title)) : -1;
  return found >= 0 ? found : messages.length - 1;
}

// The card is part of the message proposing the film. Screen readers hear it as one short line
// after the message's text, from the same fields the card shows: "Film card: Heat, 1995, action,
// crime, 170 minutes." (its genres in the order the chatbot names them: the server sends them so).
// The card's own layout (badges, chips, the director and cast lines the chatbot's next message
// says in words) is for the eye: hidden from screen readers, which would otherwise read it all
// out with every proposal. Every director is named, as the sentence does.
function filmCard(film) {
  const card = el("div", "film-card");
  card.dataset.role = "recommendation";
  const spoken = el("span", "visually-hidden film-spoken", ` ${filmSummary(film)}`);
  const poster = el("div", "poster", initials(film.title));
  const body = el("div", "film-body");
  const heading = el("h2", "film-title", film.title || "Untitled");
  if (film.year) heading.append(el("span", "film-year", ` (${film.year})`));
  body.append(heading, filmFacts(film), genreChips(film.genres || []));
  const people = el("dl", "film-people");
  const directors = names(film.directors, film.director);
  if (directors.length) people.append(labelled(directors.length > 1 ? "Directors" : "Director", directors.join(", ")));
  const cast = names(film.cast);
  if (cast.length) people.append(labelled("Cast", cast.slice(0, 5).join(", ")));
  if (people.childElementCount) body.append(people);
  const shown = el("div", "film-shown");
  shown.setAttribute("aria-hidden", "true");
  shown.append(poster, body);
  card.append(spoken, shown);
  return card;
}

// "Film card: Heat, 1995, action, crime, 170 minutes, MovieLens rating 4.1 of 5." (what is
// known; the rating too, as the chatbot does not say it).
export function filmSummary(film) {
  const parts = [film.title || "Untitled", film.year, ...(film.genres || []).filter(Boolean),
    film.runtime_min ? `${film.runtime_min} minutes` : "",
    typeof film.rating === "number" ? `MovieLens rating ${film.rating.toFixed(1)} of 5` : ""];
  return `Film card: ${parts.filter((part) => part !== "" && part !== null && part !== undefined).join(", ")}.`;
}

function initials(title) {
  const words = String(title || "?").split(/\s+/).filter((w) => /\w/.test(w));
  return words.slice(0, 2).map((w) => w.replace(/^\W+/, "")[0] || "").join("").toUpperCase() || "?";
}

function filmFacts(film) {
  const facts = el("ul", "film-facts");
  facts.setAttribute("aria-label", "Facts");
  facts.append(el("li", "badge rating", film.mpaa ? `Rated ${film.mpaa}` : "Not rated"));
  if (film.runtime_min) facts.append(el("li", "badge", `${film.runtime_min} min`));
  if (typeof film.rating === "number") {
    const score = el("li", "badge score");
    const star = el("span", "", "★ ");
    star.setAttribute("aria-hidden", "true");
    score.append(star, el("span", "visually-hidden", "MovieLens rating "), film.rating.toFixed(1),
      el("span", "visually-hidden", " of 5"));
    facts.append(score);
  }
  return facts;
}

function genreChips(genres) {
  const list = el("ul", "chips");
  list.setAttribute("aria-label", "Genres");
  genres.forEach((genre) => list.append(el("li", "chip", genre)));
  return list;
}

// Names from a list, or a single name (a backend may send either), without repeats or blanks.
function names(...sources) {
  const found = [];
  for (const source of sources) {
    for (const name of Array.isArray(source) ? source : [source]) {
      const text = typeof name === "string" ? name.trim() : "";
      if (text && !found.includes(text)) found.push(text);
    }
  }
  return found;
}

function labelled(label, value) {
  const line = el("div", "film-line");
  line.append(el("dt", "film-label", `${label}:`), " ", el("dd", "film-value", value));
  return line;
}

// The words screen readers read before a message ("You: ", "You, not sent: "), changed in place:
// a change of text, which a log (additions only) does not announce; a new text node would be an
// addition, heard as a fragment ("You, not sent yet:") without its message.
function relabel(item, words) {
  const who = item.querySelector(".visually-hidden");
  if (who.firstChild) who.firstChild.data = words;
  else who.textContent = words;
}
