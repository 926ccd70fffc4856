// The dashboard's timing, from its address (`?interval=` ms between polls, `?slow_ms=` for tests):
// how often it polls, what its charts span, how long a slow status is waited for.

const params = new URLSearchParams(window.location.search);
export const INTERVAL_MS = Math.max(250, Number(params.get("interval")) || 1500);
export const WINDOW_S = Math.max(30, (80 * INTERVAL_MS) / 1000);  // what the charts span once full
export const KEEP_S = WINDOW_S + 5;
// How long a poll of /_puma/status may take before the page asks /_puma/ready (which Envoy answers
// within 0.5 s, from what the supervisor last published) whether the supervisor is silent: the
// status itself answers only after Envoy's 5 s wait then. `?slow_ms=` for tests.
export const SLOW_MS = params.has("slow_ms") ? Math.max(0, Number(params.get("slow_ms")) || 0) : 400;
