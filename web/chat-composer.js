// The composer: a text area that grows with what is typed (up to a third of the window, then it
// scrolls), Enter sends and Shift+Enter starts a new line, and a counter from 400 characters on.
// A message over the limit is kept, marked and not sent: said once in the status region, then
// kept up to date in the counter (the box's description, read on demand, never announced per
// key); once it fits again, that is said once. An empty Enter says there is nothing to send, each
// time (each Enter is news), and empties a box of spaces; but not while a message just sent is on
// its way (a double Enter: "Nothing to send" read as if the message had failed).

export const MAX_CHARS = 500;
const COUNT_FROM = 400;  // the counter shows from here on
const REPEAT_ENTER_MS = 1000;  // an empty Enter this soon after a send is the same press, repeated

// Characters as people count them (code points: an emoji is one), as the server does.
export const length = (text) => [...text].length;

export class Composer {
  // onChange(text): after every change of the text (typed, set, sent), e.g. to keep it over a reload.
  // sending(): whether a message sent is still waiting for its answer.
  constructor({ form, input, count, onSend, onNotice, onChange = () => {}, sending = () => false }) {
    Object.assign(this, { form, input, count, onSend, onNotice, onChange, sending, refused: false, noticed: null, sentAt: -Infinity });
    this.placeholder = input.placeholder;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    input.addEventListener("input", () => this.update());
    this.grow();
  }

  submit() {
    const text = this.input.value.trim();
    if (this.input.readOnly) return;
    if (!text) {
      if (this.input.value) this.set("");  // only spaces: nothing of them is worth keeping
      // The Enter after the one that sent (a double press; the answer may be in already): nothing is wrong.
      if (this.sending() || performance.now() - this.sentAt < REPEAT_ENTER_MS) return;
      this.onNotice("Nothing to send: type a message first.");
      return;
    }
    if (length(text) > MAX_CHARS) {
      this.refused = true;
      this.update();
      this.onNotice(`Not sent: your message has ${length(text)} characters; ${MAX_CHARS} at most. Shorten it to send it.`);
      this.noticed = this.input.value;  // the text that notice is about
      this.input.focus();
      return;
    }
    this.set("");
    this.sentAt = performance.now();
    this.onSend(text);
  }

  set(text) {
    this.input.value = text;
    this.update();
  }

  // The counter (and the refusal, for the text as it is now), the invalid mark and the height.
  update() {
    this.onChange(this.input.value);
    // Counted as it is sent (submit trims the spaces around it): the counter, the refusal and the
    // limit agree on one number (a pasted text's trailing space or newline made them differ by one).
    const n = length(this.input.value.trim());
    const over = n - MAX_CHARS;
    if (over <= 0 && this.refused) {
      this.refused = false;  // the refusal was about a longer text: it no longer applies
      this.noticed = null;
      this.onNotice(n ? `It fits now: ${n} of ${MAX_CHARS} characters; press Enter to send it.` : "");
    } else if (this.refused && this.noticed !== null && this.noticed !== this.input.value) {
      // Its count was of an older text: withdrawn (silently); the counter says the count now.
      this.noticed = null;
      this.onNotice("");
    }
    this.count.hidden = n < COUNT_FROM;
    this.count.classList.toggle("over", over > 0);
    const verb = this.refused ? "Not sent: " : "";
    this.count.textContent = over > 0
      ? `${verb}${n} / ${MAX_CHARS} characters: ${over} too many. Shorten it to send it.`
      : `${n} / ${MAX_CHARS} characters`;
    if (over > 0) this.input.setAttribute("aria-invalid", "true");
    else this.input.removeAttribute("aria-invalid");
    this.grow();
  }

  grow() {
    const style = this.input.style;
    style.height = "auto";
    const most = Math.max(80, Math.round(window.innerHeight / 3));
    style.height = `${Math.min(this.input.scrollHeight + 2, most)}px`;
    style.overflowY = this.input.scrollHeight + 2 > most ? "auto" : "hidden";
  }

  // Off: read-only and aria-disabled rather than disabled, so a box that has the focus keeps it
  // (a disabled one drops it to the page, and the page must not move it unasked).
  enable(on, placeholder) {
    this.input.readOnly = !on;
    if (on) this.input.removeAttribute("aria-disabled");
    else this.input.setAttribute("aria-disabled", "true");
    this.input.placeholder = placeholder || this.placeholder;
  }
}
