// The dashboard's last figures from a serving deployment, kept in this browser (localStorage: every
// tab of this address, across reloads), so a page opened while PUMA's supervisor is silent shows
// at once what it last said, marked stale and labelled with its age, rather than "connecting…"
// until the status request gives up (Envoy waits 5 s for the supervisor). The status is the public
// or the full view this browser was given; it holds no secret.

const KEY = "puma-dashboard-last";
const KEPT_MS = 60 * 60 * 1000;  // older figures say too little of the deployment now: not shown

export function saveLast(status, at = new Date()) {
  try {
    window.localStorage.setItem(KEY, JSON.stringify({ at: at.getTime(), status }));
  } catch (err) { /* storage disabled or full: a page opened later only has no earlier figures */ }
}

// {at: Date, status} of the last figures saved, or null (none, garbled, or older than KEPT_MS).
export function loadLast(now = Date.now()) {
  try {
    const saved = JSON.parse(window.localStorage.getItem(KEY) || "null");
    if (!saved || typeof saved.at !== "number" || !saved.status || typeof saved.status !== "object") return null;
    if (now - saved.at > KEPT_MS || saved.at > now + 60_000) return null;
    return { at: new Date(saved.at), status: saved.status };
  } catch (err) {
    return null;
  }
}

// "12 s ago", "4 min ago", "1 h ago": how old figures are, in the words of a glance.
export function ageText(then, now = new Date()) {
  const s = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}
