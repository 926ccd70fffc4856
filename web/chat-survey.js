// The end-of-chat survey: two 1-5 scales (required), a yes/no, comments. An error names the
// first unanswered question, marks it invalid, and clears as soon as that question is answered.

import { el } from "./chat-view.js";

const REQUIRED = [
  { name: "liked", field: "liked-field", message: "Please rate the movie from 1 to 5." },
  { name: "engagement", field: "engagement-field", message: "Please rate the conversation from 1 to 5." },
];

export class Survey {
  constructor(form, errorBox, submitButton) {
    Object.assign(this, { form, errorBox, submitButton, missing: null });
    this.buildScales();
    form.addEventListener("change", () => this.onChange());
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

  // The first required question without an answer, or null.
  firstMissing() {
    const form = new FormData(this.form);
    return REQUIRED.find((q) => !form.get(q.name)) || null;
  }

  // True if complete; otherwise shows the error and focuses the question.
  check() {
    const missing = this.firstMissing();
    if (!missing) return true;
    this.showError(missing.message, missing);
    this.form.querySelector(`#${missing.field} input`).focus();
    return false;
  }

  showError(text, question = null) {
    this.clearInvalid();
    this.missing = question;
    if (question) {
      this.form.querySelectorAll(`#${question.field} input`).forEach((i) => i.setAttribute("aria-invalid", "true"));
    }
    this.errorBox.textContent = text;
    this.errorBox.hidden = false;
  }

  onChange() {
    if (!this.missing) return;
    const form = new FormData(this.form);
    if (form.get(this.missing.name)) this.clearError();
  }

  clearInvalid() {
    this.form.querySelectorAll("[aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
  }

  clearError() {
    this.clearInvalid();
    this.missing = null;
    this.errorBox.hidden = true;
    this.errorBox.textContent = "";
  }
}
