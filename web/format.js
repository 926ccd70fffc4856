// How the chat page and the dashboard write times and counts, in one place.

const two = (n) => String(n).padStart(2, "0");

// The one time format of both pages: 24-hour HH:MM:SS, local time, whatever the browser's
// language (a page never shows "01:42 PM" beside "13:36:56").
export function clockText(date) {
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

// "1 request", "2 requests", "1 start-up failure": a count with its noun in agreement.
export function counted(n, one, many = `${one}s`) {
  return `${Number(n).toLocaleString("en")} ${Number(n) === 1 ? one : many}`;
}

// What both pages say when the deployment itself does not answer (a network failure): what is
// down and what to do, in the same words on the chat and the dashboard.
export const DEPLOYMENT_DOWN = "The deployment does not answer: it has stopped, or is restarting "
  + "(is `make run` or `puma run` still running?)";

// What the chat says when the deployment it was waiting for went away during its start-up (nothing
// answers any more where Envoy answered before): it will not come back by itself, so the command.
export const DEPLOYMENT_STOPPED = "The deployment stopped while it was starting (nothing answers at this address any "
  + "more); start it again with make run (or puma run); this page says when it answers";
