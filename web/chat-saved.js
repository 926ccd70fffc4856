// What the page keeps in sessionStorage (this tab only, gone when it closes): the backend in use
// and, per backend, the conversation's id, the messages queued but not sent yet, and the turn
// in flight, so a reload or a visit to the dashboard resumes the conversation without loss.
// Shape: {backend, conversations: {puma: {id, pending: [text], inflight: {text, turnNo}|null}}}

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

  forget(backend) {
    const data = this.load();
    if (data.conversations) delete data.conversations[backend];
    this.store(data);
  }
}
