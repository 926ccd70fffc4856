// What both pages tell screen readers through a live region (role status or alert), in one
// place. A region's text is set only when the message changes: setting it again, even to the same
// text, replaces its text node, and screen readers read it once more (a poll or a re-render would
// repeat it). A message that is new although its words are not (the same failure a second time,
// after a new attempt) is said once more: the region is emptied, then given the text in the next
// moment, a change screen readers hear (in the same task they would hear nothing new).

const AGAIN_AFTER_MS = 100;
const pending = new WeakMap();  // region -> the timer that will set its text

// text: what the region says from now on ("" says nothing and empties it); again: a new event,
// said even when the region holds these words already.
export function speak(region, text, { again = false } = {}) {
  clearTimeout(pending.get(region));
  pending.delete(region);
  if (region.textContent !== text) {
    region.textContent = text;
    return;
  }
  if (!again || !text) return;
  region.textContent = "";
  pending.set(region, setTimeout(() => {
    pending.delete(region);
    region.textContent = text;
  }, AGAIN_AFTER_MS));
}
