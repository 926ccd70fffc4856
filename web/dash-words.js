// What the dashboard says of a service and its instances, in words: pure functions of the status
// (puma/status.py's shape), apart from the page that draws them.

export function instanceClass(instance) {
  if (instance.state === "ready" && instance.not_ready) return "not-ready";
  if (instance.state === "ready") return instance.healthy === false ? "starting" : "healthy";
  return ["starting", "draining", "unhealthy"].includes(instance.state) ? instance.state : "stopped";
}

// What a service with no instance is doing, as the status says it (puma/states.py): starting
// only while the deployment starts; after that it is not ready, with the status's reason.
export function noInstanceText(name, status) {
  if ((status.waiting_for || []).includes(name)) return "no instance yet: starting (importing, warming up)";
  const why = (status.not_ready || {})[name];
  return why ? `no instance running: ${why}` : "no instance running";
}

export function instanceText(instance) {
  const health = instance.not_ready ? `, not ready: ${instance.not_ready}`
    : instance.healthy === null || instance.healthy === undefined ? ""
      : instance.healthy ? ", healthy" : ", not yet healthy";
  const where = instance.pid ? ` (pid ${instance.pid})` : "";
  const memory = typeof instance.rss_mib === "number" ? `, ${Math.round(instance.rss_mib)} MiB resident` : "";
  // An instance that runs but does not serve yet (not ready, or not yet in Envoy) is "up": "ready"
  // is said of one whose readiness check passes only ("ready, not ready" would contradict itself).
  const state = instance.state === "ready" && (instance.not_ready || instance.healthy === false) ? "up" : instance.state;
  return `#${instance.id}${where}: ${state}${health}${memory}`;
}

// A service's state in words, for the polite announcement of a change and its link, first on the
// page: "ready", "not ready: why" (the gist of its reason), or "no ready instance".
export function serviceState(svc) {
  const why = (svc.not_ready || [])[0];
  if (why) return `not ready: ${gist(why)}`;
  if (svc.degraded) return `degraded: ${gist(svc.degraded)}`;
  return svc.ready > 0 ? "ready" : "no ready instance";
}

// What a reason says first: its opening clause, without the instance it is about ("instance 1: the
// legacy socket server is unreachable: nothing accepts ..." -> "the legacy socket server is
// unreachable"), as what a screen reader hears first must say why; a clause of a word or three
// that only names what the rest is about ("the legacy server: nothing accepts ...") keeps the next.
export function gist(reason) {
  const text = String(reason).replace(/^\s*instances? [\d, ]+(?:\([^)]*\))?:\s*/, "")
    .replace(/`([^`\n]*)`/g, "$1").trim();  // a command's backticks: the CLI's mark, not for a page
  const clauses = text.split(/(?::\s|;|\s\()/).map((c) => c.trim()).filter(Boolean);
  if (!clauses.length) return text;
  const words = (c) => c.split(/\s+/).length;
  return words(clauses[0]) < 4 && clauses.length > 1 ? `${clauses[0]}: ${clauses[1]}` : clauses[0];
}
