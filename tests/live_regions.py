"""What a page's live regions announce, as a screen reader would be told: a recorder installed
before the page's own scripts (a MutationObserver on the whole document) that turns each change
of a live region into the text announced, and the checks the browser tests make of that record.

A live region is an element with aria-live (not "off"), or role status, alert or log. Announced:
- a log (or aria-relevant "additions"): each node added to it, as its own announcement;
- any other (status and alert are atomic): the region's whole text, once per batch of changes;
- an alert revealed (its `hidden` removed) with text in it.
Text a screen reader does not read (hidden, aria-hidden, display none) is left out, as are
changes made while the region or an element around it is aria-busy (ARIA: assistive technology
may wait until the changes are complete; the pages use it for what must not be read out). With
`record(page, busy_in_one_task=False)` an aria-busy set and removed again in one task counts for
nothing: the browser builds its accessibility update after the task, and never sees it busy.
Setting a region's text again to the text it holds replaces its text node: that is recorded as
an announcement too, since screen readers read it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

RECORDER = r"""(() => {
  const LIVE = '[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"], [role="log"]';
  const said = [];
  window.__liveSaid = said;
  const start = performance.now();
  const shown = (node) => {
    for (let e = node; e && e.nodeType === 1; e = e.parentElement) {
      if (e.hidden || e.getAttribute('aria-hidden') === 'true') return false;
      const style = getComputedStyle(e);
      if (style.display === 'none' || style.visibility === 'hidden') return false;
    }
    return true;
  };
  const spoken = (node) => {
    if (node.nodeType === 3) return node.data;
    if (node.nodeType !== 1 || node.hidden || node.getAttribute('aria-hidden') === 'true') return '';
    if (getComputedStyle(node).display === 'none') return '';
    return [...node.childNodes].map(spoken).join(node.matches('li, p, div, h2, dt, dd, ul, dl') ? ' ' : '');
  };
  const clean = (text) => text.replace(/\s+/g, ' ').trim();
  const regionOf = (node) => {
    const e = node.nodeType === 1 ? node : node.parentElement;
    return e ? e.closest(LIVE) : null;
  };
  const name = (region) => region.id || `${region.tagName.toLowerCase()}.${region.className}`;
  const additive = (region) => region.getAttribute('role') === 'log'
    || (region.getAttribute('aria-relevant') || '').split(/\s+/).includes('additions')
       && !(region.getAttribute('aria-relevant') || '').includes('text');
  const busy = new Set();  // elements aria-busy (a region in one, or one, says nothing meanwhile)
  const busyAt = (region) => {
    for (let e = region; e; e = e.parentElement) if (busy.has(e)) return true;
    return false;
  };
  // An empty text says nothing; it is kept (cleared: true) as the end of what the region said.
  const say = (region, text) => {
    text = clean(text);
    said.push({ region: name(region), text, t: Math.round(performance.now() - start), ...(text ? {} : { cleared: true }) });
  };
  // From the time the document is parsed: what the parser inserts is the page, not a change.
  let parsed = false;
  document.addEventListener('DOMContentLoaded', () => { parsed = true; }, { once: true });
  new MutationObserver((records) => {
    if (!parsed) return;
    const atomic = new Set();
    records.forEach((r, i) => {
      if (r.type === 'attributes' && r.attributeName === 'aria-busy' && window.__liveBusyInOneTask === false) {
        if (r.target.getAttribute('aria-busy') === 'true') busy.add(r.target); else busy.delete(r.target);
        return;
      }
      if (r.type === 'attributes' && r.attributeName === 'aria-busy') {
        // The callback comes after the whole task: the value set is the next record's old value,
        // or the attribute as it is now.
        const next = records.slice(i + 1).find((o) => o.target === r.target && o.attributeName === 'aria-busy');
        const value = next ? next.oldValue : r.target.getAttribute('aria-busy');
        if (value === 'true') busy.add(r.target); else busy.delete(r.target);
        return;
      }
      const region = regionOf(r.target);
      if (!region || busyAt(region)) return;
      if (r.type === 'attributes') {  // `hidden` of the region or of something in it
        if (r.target === region && r.oldValue !== null && !region.hidden && region.matches('[role="alert"]')) atomic.add(region);
        return;
      }
      if (additive(region)) {
        if (r.type === 'childList') {
          r.addedNodes.forEach((node) => {
            const text = node.isConnected && shown(node.parentNode || region) ? clean(spoken(node)) : '';
            if (text) say(region, text);
          });
        }
      } else {
        atomic.add(region);
      }
    });
    atomic.forEach((region) => { if (shown(region)) say(region, spoken(region)); });
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true,
                         attributeFilter: ['hidden', 'aria-busy'], attributeOldValue: true });
})();"""


def record(page: Any, *, busy_in_one_task: bool = True) -> None:
    """Install the recorder in every document the page opens from now on (call before goto).
    busy_in_one_task=False: an aria-busy that ends in the task that set it hides nothing."""
    if not busy_in_one_task:
        page.add_init_script("window.__liveBusyInOneTask = false;")
    page.add_init_script(RECORDER)


def announced(page: Any, since: int = 0, *, cleared: bool = False) -> list[dict[str, Any]]:
    """[{region, text, t (ms since the document was parsed)}] announced so far, from index
    `since` of the whole record (`len(announced(page, cleared=True))` marks a point); with
    `cleared`, the emptyings too (text "", cleared True)."""
    said = list(page.evaluate("window.__liveSaid"))[since:]
    return said if cleared else [item for item in said if not item.get("cleared")]


def repeats(said: Sequence[dict[str, Any]]) -> list[str]:
    """Announcements that say again what was just said: the same text twice in a row by one
    region (not emptied in between: a new event in the same words is emptied, then said), or by
    two regions within half a second of each other. `said`: `announced(page, cleared=True)`."""
    found = []
    last: dict[str, str] = {}
    for i, item in enumerate(said):
        if item.get("cleared"):
            last.pop(item["region"], None)
            continue
        if last.get(item["region"]) == item["text"]:
            found.append(f"{item['region']} again: {item['text']!r}")
        last[item["region"]] = item["text"]
        for other in said[:i]:
            if (other["region"] != item["region"] and other["text"] == item["text"] and not other.get("cleared")
                    and item["t"] - other["t"] < 500):
                found.append(f"{item['region']} and {other['region']} both: {item['text']!r}")
    return found
