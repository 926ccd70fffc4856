// The end-of-chat survey: two 1-5 scales (required), a yes/no and comments (both optional). A
// submit names every question still to answer at once, marks each invalid and focuses the first;
// the error shrinks as questions are answered and goes when none is left. Comments have a
// counter from 4,000 characters on and are not sent over 5,000 (the server's limit).

import { el } from "./chat-view.js";

const REQUIRED = [
  { name: "liked", field: "liked-field", what: "how much you liked the movie (1 to 5)" },
  { name: "engagement", field: "engagement-field", what: "how engaging the conversation was (1 to 5)" },
];
const COMMENTS_MAX = 5000;
const COMMENTS_COUNT_FROM = 4000;

export class Survey {
  constructor(form, errorBox, submitButton) {
    Object.assign(this, { form, errorBox, submitButton, checking: false });
    this.comments = form.querySelector("#comments");
    this.count = form.querySelector("#comments-count");
    this.label = submitButton.textContent;
    this.buildScales();
    form.addEventListener("change", () => this.onChange());
    this.comments.addEventListener("input", () => this.onComments());
  }

  buildScales() {
    this.form.querySelectorAll(".scale-options").forEach((box) => {
      for (let value = 1; value <= 5; value += 1) {
        const label = el("label", "scale-option");
        const input = el("input");
        Object.assign(input, { type: "radio", name: box.dataset.name, value: String(value) });
        label.append(input, el("span", "", value));
        box.append(label);
      }
    });
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
      liked: form.get("liked") ? Number(form.get("liked")) : null,
      engagement: form.get("engagement") ? Number(form.get("engagement")) : null,
      chatbot_before: before === null ? null : before === "true",
      comments: comments || null,
    };
  }

  // Every problem left: the required questions without an answer, then comments too long.
  problems() {
    const form = new FormData(this.form);
    const missing = REQUIRED.filter((q) => !form.get(q.name));
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

  show(missing, over) {
    this.clearInvalid();
    missing.forEach((q) => this.form.querySelectorAll(`#${q.field} input`)
      .forEach((i) => i.setAttribute("aria-invalid", "true")));
    if (over > 0) this.comments.setAttribute("aria-invalid", "true");
    const parts = [];
    if (missing.length) parts.push(`Please answer ${missing.map((q) => q.what).join(" and ")}.`);
    if (over > 0) parts.push(`Your comments are ${over} characters over the ${COMMENTS_MAX.toLocaleString("en")} allowed; please shorten them.`);
    this.showError(parts.join(" "));
  }

  showError(text) {
    this.errorBox.textContent = text;
    this.errorBox.hidden = false;
  }

  onChange() {
    if (!this.checking) return;
    const { missing, over } = this.problems();
    if (!missing.length && over <= 0) this.clearError();
    else this.show(missing, over);
  }

  onComments() {
    const n = [...this.comments.value].length;
    this.count.hidden = n < COMMENTS_COUNT_FROM;
    this.count.classList.toggle("over", n > COMMENTS_MAX);
    this.count.textContent = n > COMMENTS_MAX
      ? `${n.toLocaleString("en")} / ${COMMENTS_MAX.toLocaleString("en")} characters: ${n - COMMENTS_MAX} too many`
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
  }

  clearError() {
    this.clearInvalid();
    this.checking = false;
    this.errorBox.hidden = true;
    this.errorBox.textContent = "";
  }
}
