// What the chat page draws: messages, notes, the film card. Every piece of text reaches the page
// through textContent, never innerHTML, so a message is always shown as text.

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function clockTime(date) {
  const time = el("time", "stamp", date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
  time.dateTime = date.toISOString();
  return time;
}

// The log: a list inside a polite live region (role=log), so screen readers announce each new
// message once, without taking the focus from the composer.
export class Log {
  constructor(list, scroller, typing) {
    Object.assign(this, { list, scroller, typing });
  }

  clear() {
    this.list.replaceChildren();
  }

  scrollToEnd() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  // role: "bot" | "user"; when: a Date, or null for a restored message (no time is known).
  message(role, text, when = new Date()) {
    const item = el("li", `message ${role}`);
    item.dataset.role = role;
    const who = el("span", "visually-hidden", role === "bot" ? "Chatbot: " : "You: ");
    const bubble = el("div", "bubble", text);
    const meta = el("div", "meta");
    if (when) meta.append(clockTime(when));
    item.append(who, bubble, meta);
    this.list.append(item);
    this.scrollToEnd();
    return item;
  }

  note(text, kind) {
    const item = el("li", `note ${kind || ""}`.trim(), text);
    item.dataset.role = "system";
    this.list.append(item);
    this.scrollToEnd();
    return item;
  }

  card(film) {
    this.list.append(filmCard(film));
    this.scrollToEnd();
  }

  servedBy(item, info) {
    const meta = item.querySelector(".meta");
    const badge = el("span", `served-by ${info.backend}`, info.label);
    const took = el("span", "took", `${Math.round(info.ms)} ms${info.retried ? " · retried" : ""}`);
    badge.title = info.servedBy || info.label;
    meta.append(badge, took);
  }

  showTyping(on) {
    this.typing.hidden = !on;
    if (on) this.typing.scrollIntoView({ block: "nearest" });
  }
}

// The index of the message after which the film's card goes: the last one naming it.
export function cardIndex(messages, title) {
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    if (title && String(messages[i]).includes(title)) return i;
  }
  return messages.length - 1;
}

function filmCard(film) {
  const card = el("li", "film-card");
  card.dataset.role = "recommendation";
  const poster = el("div", "poster", initials(film.title));
  poster.setAttribute("aria-hidden", "true");
  const body = el("div", "film-body");
  const heading = el("h2", "film-title", film.title || "Untitled");
  if (film.year) heading.append(el("span", "film-year", ` (${film.year})`));
  body.append(heading, filmFacts(film), genreChips(film.genres || []));
  const director = film.director || (film.directors || [])[0];
  if (director) body.append(labelled("Director", director));
  if ((film.cast || []).length) body.append(labelled("Cast", film.cast.slice(0, 5).join(", ")));
  card.append(poster, body);
  return card;
}

function initials(title) {
  const words = String(title || "?").split(/\s+/).filter((w) => /\w/.test(w));
  return words.slice(0, 2).map((w) => w.replace(/^\W+/, "")[0] || "").join("").toUpperCase() || "?";
}

function filmFacts(film) {
  const facts = el("div", "film-facts");
  facts.append(el("span", "badge rating", film.mpaa ? `Rated ${film.mpaa}` : "Not rated"));
  if (film.runtime_min) facts.append(el("span", "badge", `${film.runtime_min} min`));
  if (typeof film.rating === "number") facts.append(el("span", "badge score", `★ ${film.rating.toFixed(1)}`));
  return facts;
}

function genreChips(genres) {
  const list = el("ul", "chips");
  list.setAttribute("aria-label", "Genres");
  genres.forEach((genre) => list.append(el("li", "chip", genre)));
  return list;
}

function labelled(label, value) {
  const line = el("p", "film-line");
  line.append(el("span", "film-label", label), el("span", "film-value", value));
  return line;
}
