// The chat page: talks to the PUMA deployment (POST /agent) or the legacy bridge (POST /legacy)
// with the listener protocol {id, text, mode, turn_no}. Every piece of text reaches the page
// through textContent, never innerHTML, so a message is always shown as text.
"use strict";

(() => {
  const BACKENDS = {
    puma: { url: "/agent", label: "PUMA mesh" },
    legacy: { url: "/legacy", label: "Legacy server" },
  };
  const REQUEST_TIMEOUT_MS = 35000;
  const RETRY_DELAY_MS = 300;
  const params = new URLSearchParams(window.location.search);
  // ?typing=MS fixes the typing delay (tests use a short one); otherwise it follows the length.
  const fixedTyping = params.has("typing") ? Math.max(0, Number(params.get("typing")) || 0) : null;

  const $ = (id) => document.getElementById(id);
  const ui = {
    messages: $("messages"), typing: $("typing"), nextRow: $("next-row"), next: $("next-button"),
    chat: $("chat-panel"), survey: $("survey-panel"), surveyForm: $("survey-form"),
    surveyError: $("survey-error"), thanks: $("thanks-panel"), restart: $("restart-button"),
    composer: $("composer"), input: $("chat-input"), send: $("send-button"),
    switcher: $("backend-switch"),
  };

  const chat = {
    backend: BACKENDS[params.get("backend")] ? params.get("backend") : "puma",
    sessionId: "-1", turnNo: 0, busy: false, ended: false, generation: 0, filmId: null,
  };

  // ------------------------------------------------------------------ DOM helpers

  function el(tag, className, text) {
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

  function scrollToEnd() {
    ui.chat.scrollTop = ui.chat.scrollHeight;
    ui.typing.scrollIntoView({ block: "nearest" });
  }

  function setState(name) {
    document.body.dataset.state = name;
  }

  function addMessage(role, text) {
    const item = el("li", `message ${role}`);
    item.dataset.role = role;
    const bubble = el("div", "bubble", text);
    const meta = el("div", "meta");
    meta.append(clockTime(new Date()));
    item.append(bubble, meta);
    ui.messages.append(item);
    scrollToEnd();
    return item;
  }

  function addNote(text, kind) {
    const item = el("li", `note ${kind || ""}`.trim(), text);
    item.dataset.role = "system";
    ui.messages.append(item);
    scrollToEnd();
    return item;
  }

  function addServedBy(item, info) {
    const meta = item.querySelector(".meta");
    const badge = el("span", `served-by ${info.backend}`, info.label);
    const took = el("span", "took", `${Math.round(info.ms)} ms${info.retried ? " · retried" : ""}`);
    badge.title = info.servedBy || info.label;
    meta.append(badge, took);
  }

  // ------------------------------------------------------------------ film card

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
    const rating = film.mpaa ? `Rated ${film.mpaa}` : "Not rated";
    facts.append(el("span", "badge rating", rating));
    if (film.runtime_min) facts.append(el("span", "badge", `${film.runtime_min} min`));
    if (typeof film.rating === "number") facts.append(el("span", "badge score", `★ ${film.rating.toFixed(1)}`));
    return facts;
  }

  function genreChips(genres) {
    const list = el("ul", "chips");
    genres.forEach((genre) => list.append(el("li", "chip", genre)));
    return list;
  }

  function labelled(label, value) {
    const line = el("p", "film-line");
    line.append(el("span", "film-label", label), el("span", "film-value", value));
    return line;
  }

  // ------------------------------------------------------------------ talking to a backend

  async function post(url, payload) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const resp = await fetch(url, {
        method: "POST", signal: controller.signal,
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(payload),
      });
      const data = await resp.json().catch(() => null);
      return { status: resp.status, data, servedBy: resp.headers.get("X-Served-By") };
    } finally {
      clearTimeout(timer);
    }
  }

  function retryable(result) {
    return !result || result.status >= 500 || !result.data;
  }

  // One user turn; a failed one (network, 5xx) is sent once more with the same turn_no, which
  // the server answers from its record if the first attempt did arrive.
  async function requestTurn(text, turnNo) {
    const backend = chat.backend;
    const payload = { id: chat.sessionId, text, mode: "false", turn_no: turnNo };
    const started = performance.now();
    let result = null;
    let error = null;
    let retried = false;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      if (attempt) { retried = true; await wait(RETRY_DELAY_MS); }
      try {
        result = await post(BACKENDS[backend].url, payload);
        error = null;
      } catch (err) {
        result = null;
        error = err;
      }
      if (!retryable(result)) break;
    }
    const info = { backend, label: BACKENDS[backend].label, ms: performance.now() - started, retried };
    return { result, error, info: { ...info, servedBy: result && result.servedBy } };
  }

  // The listener queues a turn's later messages and says "listen"; the page already shows them
  // all (``messages``), so it only drains the queue to learn the turn's final signal.
  async function finalSignal(reply) {
    let signal = reply.signal;
    for (let polls = 0; signal === "listen" && polls <= (reply.passiveLen || 0); polls += 1) {
      try {
        const polled = await post(BACKENDS[chat.backend].url, { id: reply.userid, mode: "true" });
        if (!polled.data || polled.status >= 400) return null;
        signal = polled.data.signal;
      } catch (err) {
        return null;
      }
    }
    return signal;
  }

  function describeFailure(outcome) {
    const label = BACKENDS[chat.backend].label;
    if (outcome.error) {
      const why = outcome.error.name === "AbortError" ? "it took too long" : "the network failed";
      return `Could not reach the ${label}: ${why}.`;
    }
    const data = outcome.result.data || {};
    const detail = data.detail || data.error || `HTTP ${outcome.result.status}`;
    return `The ${label} answered with an error: ${detail}`;
  }

  // ------------------------------------------------------------------ a turn on screen

  function wait(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  function typingDelay(text) {
    if (fixedTyping !== null) return fixedTyping;
    return Math.min(1100, 350 + String(text).length * 12);
  }

  async function showMessages(reply, info, generation) {
    const messages = (reply.messages && reply.messages.length) ? reply.messages
      : (reply.response ? [reply.response] : []);
    // Every reply carries the film under discussion; its card is shown when it is new.
    const film = reply.recommendation && reply.recommendation.id !== chat.filmId ? reply.recommendation : null;
    if (film) chat.filmId = film.id;
    const cardAfter = film ? lastIndexMentioning(messages, film.title) : -1;
    let last = null;
    for (let i = 0; i < messages.length; i += 1) {
      ui.typing.hidden = false;
      scrollToEnd();
      await wait(typingDelay(messages[i]));
      if (generation !== chat.generation) return;
      ui.typing.hidden = true;
      last = addMessage("bot", messages[i]);
      if (i === cardAfter) { ui.messages.append(filmCard(film)); scrollToEnd(); }
    }
    ui.typing.hidden = true;
    if (film && cardAfter < 0) { ui.messages.append(filmCard(film)); scrollToEnd(); }
    if (last) addServedBy(last, info);
  }

  function lastIndexMentioning(messages, title) {
    for (let i = messages.length - 1; i >= 0; i -= 1) {
      if (title && messages[i].includes(title)) return i;
    }
    return messages.length - 1;
  }

  async function takeTurn(text) {
    if (chat.busy || chat.ended) return;
    chat.busy = true;
    setState("busy");
    ui.send.disabled = true;
    const generation = chat.generation;
    if (text) addMessage("user", text);
    const turnNo = chat.turnNo + 1;
    ui.typing.hidden = false;
    const outcome = await requestTurn(text, turnNo);
    if (generation !== chat.generation) return;
    if (!outcome.result || outcome.result.status >= 400 || !outcome.result.data) {
      failTurn(outcome, text);
      return;
    }
    const reply = outcome.result.data;
    chat.turnNo = turnNo;
    chat.sessionId = reply.userid || chat.sessionId;
    const [signal] = await Promise.all([finalSignal(reply), showMessages(reply, outcome.info, generation)]);
    if (generation !== chat.generation) return;
    finishTurn(signal);
  }

  function failTurn(outcome, text) {
    ui.typing.hidden = true;
    addNote(describeFailure(outcome), "error");
    if (text && !ui.input.value) ui.input.value = text;
    chat.busy = false;
    ui.send.disabled = false;
    setState(chat.turnNo ? "ready" : "error");
    ui.input.focus();
  }

  function finishTurn(signal) {
    chat.busy = false;
    ui.send.disabled = false;
    if (signal === "end") {
      endConversation();
      return;
    }
    setState("ready");
    ui.input.focus();
  }

  function endConversation() {
    chat.ended = true;
    setState("ended");
    ui.input.disabled = true;
    ui.send.disabled = true;
    ui.nextRow.hidden = false;
    scrollToEnd();
    ui.next.focus();
  }

  // ------------------------------------------------------------------ survey

  function buildScales() {
    ui.surveyForm.querySelectorAll(".scale-options").forEach((box) => {
      for (let value = 1; value <= 5; value += 1) {
        const label = el("label", "scale-option");
        const input = el("input");
        Object.assign(input, { type: "radio", name: box.dataset.name, value: String(value) });
        label.append(input, el("span", "", value));
        box.append(label);
      }
    });
  }

  function surveyAnswers() {
    const form = new FormData(ui.surveyForm);
    const before = form.get("chatbot_before");
    const comments = String(form.get("comments") || "").trim();
    return {
      id: chat.sessionId,
      liked: form.get("liked") ? Number(form.get("liked")) : null,
      engagement: form.get("engagement") ? Number(form.get("engagement")) : null,
      chatbot_before: before === null ? null : before === "true",
      comments: comments || null,
    };
  }

  function showSurveyError(text, focus) {
    ui.surveyError.textContent = text;
    ui.surveyError.hidden = false;
    if (focus) focus.focus();
  }

  async function submitSurvey(event) {
    event.preventDefault();
    const answers = surveyAnswers();
    if (!answers.liked) return showSurveyError("Please rate the movie from 1 to 5.", $("liked-field").querySelector("input"));
    if (!answers.engagement) return showSurveyError("Please rate the conversation from 1 to 5.", $("engagement-field").querySelector("input"));
    const button = $("survey-submit");
    button.disabled = true;
    try {
      const result = await post("/survey", answers);
      if (result.status !== 200) {
        const data = result.data || {};
        return showSurveyError(`Your answers could not be saved: ${data.error || data.detail || `HTTP ${result.status}`}`);
      }
      showPanel("thanks");
      ui.restart.focus();
    } catch (err) {
      showSurveyError("Your answers could not be saved: the network failed. Please try again.");
    } finally {
      button.disabled = false;
    }
  }

  function showPanel(name) {
    ui.chat.hidden = name !== "chat";
    ui.composer.hidden = name !== "chat";
    ui.survey.hidden = name !== "survey";
    ui.thanks.hidden = name !== "thanks";
    if (name !== "chat") setState(name);
  }

  // ------------------------------------------------------------------ start, restart, switch

  function startConversation(note) {
    chat.generation += 1;
    Object.assign(chat, { sessionId: "-1", turnNo: 0, busy: false, ended: false, filmId: null });
    ui.messages.replaceChildren();
    ui.surveyForm.reset();
    ui.surveyError.hidden = true;
    ui.nextRow.hidden = true;
    ui.input.disabled = false;
    ui.input.value = "";
    showPanel("chat");
    if (note) addNote(note);
    takeTurn("");
    ui.input.focus();
  }

  function selectBackend(name) {
    chat.backend = name;
    const url = new URL(window.location.href);
    url.searchParams.set("backend", name);
    window.history.replaceState(null, "", url);
  }

  function bindEvents() {
    ui.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = ui.input.value.trim();
      ui.input.focus();
      if (!text || chat.busy || chat.ended) return;
      ui.input.value = "";
      takeTurn(text);
    });
    ui.switcher.addEventListener("change", (event) => {
      selectBackend(event.target.value);
      startConversation(`New conversation with the ${BACKENDS[chat.backend].label}.`);
    });
    ui.next.addEventListener("click", () => { showPanel("survey"); ui.survey.querySelector("input").focus(); });
    ui.surveyForm.addEventListener("submit", submitSurvey);
    ui.restart.addEventListener("click", () => startConversation());
  }

  function init() {
    ui.switcher.querySelector(`input[value="${chat.backend}"]`).checked = true;
    buildScales();
    bindEvents();
    startConversation();
  }

  init();
})();
