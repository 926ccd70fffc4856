// The end-of-chat survey: two 1-5 scales (required), a yes/no and comments (both optional); the
// scale about the recommended film only when one was offered (it asks about what happened). A
// submit marks every question still to answer at once, each with its own message beside it
// (linked by aria-describedby, so it is read with the question), sums them up in the alert by the
// button, and focuses the first; each message goes when its question is answered. Each radio's
// name says what its number means on the scale ("1 of 5: not at all"). Comments have a
// counter from 4,000 characters on and are not sent over 5,000 (the server's limit).

import { el } from "./chat-view.js";
import { counted } from "./format.js";
import { speak } from "./live.js";

const REQUIRED = [
  { name: "liked", field: "liked-field", error: "liked-error", what: "how much you liked the movie (1 to 5)" },
  { name: "engagement", field: "engagement-field", error: "engagement-error",
    what: "how engaging the conversation was (1 to 5)" },
];
const COMMENTS_MAX = 5000;
const COMMENTS_COUNT_FROM = 4000;

export class Survey {
  constructor(form, errorBox, submitButton) {
    Object.assign(this, { form, errorBox, submitButton, checking: false, filmOffered: true });
    this.note = form.querySelector(".survey-note");
    this.comments = form.querySelector("#comments");
    this.count = form.querySelector("#comments-count");
    this.label = submitButton.textContent;
    this.buildScales();
    form.addEventListener("change", () => this.onChange());
    this.comments.addEventListener("input", () => this.onComments());
  }

  buildScales() {
    this.form.querySelectorAll(".scale-options").forEach((box) => {
      const ends = { 1: box.dataset.low, 5: box.dataset.high };
      for (let value = 1; value <= 5; value += 1) {
        const label = el("label", "scale-option");
        const input = el("input");
        Object.assign(input, { type: "radio", name: box.dataset.name, value: String(value) });
        const meaning = ` of 5${ends[value] ? `: ${ends[value]}` : ""}`;
        label.append(input, el("span", "", value), el("span", "visually-hidden", meaning));
        box.append(label);
      }
    });
  }

  // What is asked: the film's question only if a film was offered in the conversation.
  ask({ filmOffered }) {
    this.filmOffered = filmOffered;
    const field = this.form.querySelector("#liked-field");
    field.hidden = !filmOffered;
    if (!filmOffered) field.querySelectorAll("input").forEach((input) => { input.checked = false; });
    this.note.textContent = filmOffered ? "The first two questions need an answer; the others are optional."
      : "No film was offered in this conversation, so there is nothing to rate. The first question needs an "
        + "answer; the others are optional.";
  }

  asked() {
    return REQUIRED.filter((q) => this.filmOffered || q.name !== "liked");
  }

  reset() {
    this.form.reset();
    this.clearError();
    this.onComments();
  }

  answers(sessionId) {
    const form = new FormData(this.form);
    const before = form.get("chatbot_before");
    const comments = String(form.get("comments") || "").trim();
    return {
      id: sessionId,
      liked: this.filmOffered && form.get("liked") ? Number(form.get("liked")) : null,
      engagement: form.get("engagement") ? Number(form.get("engagement")) : null,
      chatbot_before: before === null ? null : before === "true",
      comments: comments || null,
    };
  }

  // Every problem left: the required questions without an answer, then comments too long.
  problems() {
    const form = new FormData(this.form);
    const missing = this.asked().filter((q) => !form.get(q.name));
    const over = [...this.comments.value.trim()].length - COMMENTS_MAX;
    return { missing, over };
  }

  // True if it can be sent; otherwise shows every problem and focuses the first.
  check() {
    this.checking = true;
    const { missing, over } = this.problems();
    if (!missing.length && over <= 0) return true;
    this.show(missing, over);
    const first = missing.length ? this.form.querySelector(`#${missing[0].field} input`) : this.comments;
    first.focus();
    return false;
  }

  // announce: false while the user answers (each arrow key is a change): the questions' own
  // messages follow, and the alert, which would interrupt the radio's "2 of 5" at each key, is
  // withdrawn (silently) if its words no longer hold, to be said again at the next submit.
  show(missing, over, { announce = true } = {}) {
    this.clearInvalid();
    missing.forEach((q) => {
      this.form.querySelectorAll(`#${q.field} input`).forEach((input) => {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", q.error);
      });
      this.fieldError(q.error, `Please answer ${q.what}.`);
    });
    if (over > 0) {
      this.comments.setAttribute("aria-invalid", "true");
      this.fieldError("comments-error", `Your comments are ${counted(over, "character")} over the ${COMMENTS_MAX.toLocaleString("en")} allowed; please shorten them.`);
    }
    const problems = missing.length + (over > 0 ? 1 : 0);
    const what = missing.length ? `Please answer ${missing.map((q) => q.what).join(" and ")}.` : "";
    const text = `${what}${what && over > 0 ? " " : ""}${over > 0 ? "Please shorten your comments." : ""}`
      + (problems ? ` The ${problems === 1 ? "message is" : "messages are"} shown with each question, above its answers.` : "");
    if (announce) this.showError(text);
    else if (this.errorBox.textContent !== text) this.withdrawError();
  }

  withdrawError() {
    this.errorBox.hidden = true;
    speak(this.errorBox, "");
  }

  fieldError(id, text) {
    const box = this.form.querySelector(`#${id}`);
    box.textContent = text;
    box.hidden = false;
  }

  // An alert: said once per change of its words (a re-check after each answer must not repeat
  // it); `again` for a new failure in the same words (a second send that fails), said once more.
  showError(text, { again = false } = {}) {
    speak(this.errorBox, text, { again });
    this.errorBox.hidden = false;
  }

  onChange() {
    if (!this.checking) return;
    const { missing, over } = this.problems();
    if (!missing.length && over <= 0) this.clearError();
    else this.show(missing, over, { announce: false });
  }

  onComments() {
    const n = [...this.comments.value].length;
    this.count.hidden = n < COMMENTS_COUNT_FROM;
    this.count.classList.toggle("over", n > COMMENTS_MAX);
    this.count.textContent = n > COMMENTS_MAX
      ? `${n.toLocaleString("en")} / ${COMMENTS_MAX.toLocaleString("en")} characters: ${(n - COMMENTS_MAX).toLocaleString("en")} too many`
      : `${n.toLocaleString("en")} / ${COMMENTS_MAX.toLocaleString("en")} characters`;
    this.onChange();
  }

  // While the answers are on their way: the button says so and cannot be pressed twice.
  sending(on) {
    this.submitButton.disabled = on;
    this.submitButton.textContent = on ? "Sending…" : this.label;
    this.form.setAttribute("aria-busy", String(on));
  }

  clearInvalid() {
    this.form.querySelectorAll("[aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
    this.form.querySelectorAll(".scale input[aria-describedby]").forEach((i) => i.removeAttribute("aria-describedby"));
    this.form.querySelectorAll(".field-error").forEach((box) => {
      box.hidden = true;
      box.textContent = "";
    });
  }

  clearError() {
    this.clearInvalid();
    this.checking = false;
    this.withdrawError();
  }
}
