// What the page keeps in sessionStorage (this tab only, gone when it closes): the backend in use
// and, per backend, the conversation's id, the messages queued but not sent yet, and the turn
// in flight, so a reload or a visit to the dashboard resumes the conversation without loss.
// and how each turn was served (the backend's answer time as this tab measured it: the server
// does not know it), shown again with the restored conversation.
// Shape: {backend, conversations: {puma: {id, pending: [text], inflight: {text, turnNo}|null,
//         turns: {"<turn_no>": {ms, retried, servedBy}}}}}

const TURNS_KEPT = 200;

export class Saved {
  constructor(key, backends) {
    Object.assign(this, { key, backends });
  }

  load() {
    try {
      const data = JSON.parse(window.sessionStorage.getItem(this.key) || "{}");
      return data && typeof data === "object" ? data : {};
    } catch (err) {
      return {};  // storage disabled or garbled: no resume, nothing else changes
    }
  }

  store(data) {
    try {
      window.sessionStorage.setItem(this.key, JSON.stringify(data));
    } catch (err) { /* storage disabled or full: the page works without resume */ }
  }

  backend() {
    const name = this.load().backend;
    return this.backends.includes(name) ? name : null;
  }

  setBackend(name) {
    this.store({ ...this.load(), backend: name });
  }

  conversation(backend) {
    const found = (this.load().conversations || {})[backend];
    return found && typeof found === "object" ? found : null;
  }

  update(backend, fields) {
    const data = this.load();
    const conversations = data.conversations || {};
    conversations[backend] = { ...(conversations[backend] || {}), ...fields };
    this.store({ ...data, conversations });
  }

  turnMeta(backend, turnNo, meta) {
    const turns = { ...((this.conversation(backend) || {}).turns || {}), [String(turnNo)]: meta };
    const numbers = Object.keys(turns).map(Number).sort((a, b) => a - b);
    numbers.slice(0, Math.max(0, numbers.length - TURNS_KEPT)).forEach((n) => delete turns[String(n)]);
    this.update(backend, { turns });
  }

  forget(backend) {
    const data = this.load();
    if (data.conversations) delete data.conversations[backend];
    this.store(data);
  }
}
