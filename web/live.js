// What both pages tell screen readers through a live region (role status, alert or log), in one
// place. A region's text is set only when the message changes: setting it again, even to the same
// text, replaces its nodes, and screen readers read it once more (a poll or a re-render would
// repeat it). A message that is new although its words are not (the same failure a second time,
// after a new attempt) is said once more: the region is emptied, then given the text in the next
// moment, a change screen readers hear (in the same task they would hear nothing new).
//
// Commands, paths and addresses in a message are shown (as code, to copy) but never read out: a
// screen reader would spell out ".venv/bin/python -m legacy_socket_server --port 13161 ... 2>&1 &"
// symbol by symbol. What is announced says it in words ("start it with the command shown"; a
// command of plain words, "make run", as itself), and stays so: nothing in a live region changes
// after it was said. Swapping the words for the code afterwards (even under aria-busy, which the
// browser never saw set when it was set and removed in one task) was heard as a second message,
// an addition to a log or a new text of an alert.

const AGAIN_AFTER_MS = 100;
const pending = new WeakMap();  // region -> the timer that will set its text
const said = new WeakMap();  // region -> the text it was last given (its nodes hold it in parts)

// The kinds of technical piece, most specific first; `words` is what is said instead.
const LOOPBACK = /^(?:127\.\d+\.\d+\.\d+|localhost|\[?::1\]?)$/;
const PIECES = [
  { kind: "command", re: /`[^`\n]+`/y, words: (m) => commandWords(m[0].slice(1, -1)) },
  { kind: "url", re: /\b(?:https?|wss?):\/\/[^\s"'<>)]*[^\s"'<>).,;:!?]/y, words: () => "the address shown" },
  { kind: "address", re: /(?:\b\d{1,3}(?:\.\d{1,3}){3}\b|\blocalhost\b|\[::1\])(?::(\d{1,5})\b)?/y,
    words: (m) => (LOOPBACK.test(m[0].replace(/:\d+$/, "")) ? (m[1] ? `port ${m[1]}` : "this machine")
      : "the address shown") },
  { kind: "path", re: /(?:~|\.{1,2})?\/[\w.@+-]+(?:\/[\w.@+-]*)*[\w/]|\b[\w.-]+(?:\/[\w.@+-]+)+\.\w+\b/y,
    words: () => "the path shown" },
];
// A shell command given after a colon (or opening a parenthesis): it runs to the end of its
// sentence ("... 2>&1 &. Or switch ..."), flags and redirections included.
const COMMAND = /(?<=(?:^|[:;(]\s*))(?:\.{0,2}\/?[\w.-]+\/)*(?:python3?|make|puma|kill|pip|docker|sudo|cd|curl)(?:\s+(?:[^\s.,;)]|[.,;)](?=[\w/-]))+)+?(?=\.(?:\s|$)|[;,]\s|\)|$)/y;
const PATH_LIKE = /^(?:\.{0,2}\/?[\w.-]+\/)+[\w.-]+$/;  // an executable given by its path
// An argument that only a command has (a flag, a setting, a pid, a redirection, a path): "make
// sure" is words, "make stop PORT=8080" a command.
const ARGUMENT = /^(?:-|\w+=|\d+$|[<>&|]|\d>|\S*\/)/;

// A command made of plain words ("make run", "puma status") is said as it is; one with symbols
// (flags, paths, settings, redirections) as "the command shown".
function commandWords(command) {
  return /^[a-z]+(?: [a-z]+)*$/.test(command) ? command : "the command shown";
}

// Splits `text` into plain text and technical pieces: [{text}, {text, kind, words}].
export function pieces(text) {
  const out = [];
  let plain = "";
  for (let i = 0; i < text.length;) {
    const found = matchAt(text, i);
    if (!found) {
      plain += text[i];
      i += 1;
      continue;
    }
    if (plain) out.push({ text: plain });
    plain = "";
    out.push(found);
    i += found.text.length;
  }
  if (plain) out.push({ text: plain });
  return out;
}

function matchAt(text, i) {
  COMMAND.lastIndex = i;
  const command = COMMAND.exec(text);
  if (command && (PATH_LIKE.test(command[0].split(" ")[0]) || command[0].split(/\s+/).slice(1).some((a) => ARGUMENT.test(a)))) {
    return { text: command[0], kind: "command", words: commandWords(command[0]) };
  }
  if (i > 0 && /[\w/.-]/.test(text[i - 1])) return null;  // inside a word: not the start of a piece
  for (const piece of PIECES) {
    piece.re.lastIndex = i;
    const m = piece.re.exec(text);
    if (m) return { text: m[0], kind: piece.kind, words: piece.words(m) };
  }
  return null;
}

// What a screen reader is told of `text`: its technical pieces in words; "by :" joins tidied
// ("start it: the command shown" -> "start it with the command shown"), and a run of the same
// words said once ("the command shown or the command shown" -> "one of the commands shown").
export function inWords(text) {
  return pieces(text).map((p) => (p.kind ? `\u0000${p.words}` : p.text)).join("")
    .replace(/:\s*\u0000(the (?:command|path|address) shown)/g, " with $1")
    .replace(/\u0000the (command|path|address) shown(?:(?:,| or| and) \u0000the \1 shown)+/g, "one of the $1s shown")
    .replace(/\u0000/g, "");
}

// Fills `node` with `text`. With technical pieces: the text as shown (each piece as code) hidden
// from screen readers, and beside it, for them only, the text in words. A piece said as itself
// (a command of plain words) is shown as code and read as it is.
export function fill(node, text) {
  const parts = pieces(text);
  if (!parts.some((p) => p.kind && p.words !== p.text.replace(/^`|`$/g, ""))) {
    node.replaceChildren(...parts.map(shownPart));
    return;
  }
  const shown = document.createElement("span");
  shown.className = "shown-only";
  shown.setAttribute("aria-hidden", "true");
  shown.append(...parts.map(shownPart));
  const words = document.createElement("span");
  words.className = "visually-hidden said-instead";
  words.textContent = inWords(text);
  node.replaceChildren(shown, words);
}

function shownPart(p) {
  if (!p.kind || p.kind === "address") return document.createTextNode(p.text);
  const code = document.createElement("code");
  code.textContent = p.text.replace(/^`|`$/g, "");  // `make run` shown as code, copied without quotes
  return code;
}

function set(region, text) {
  said.set(region, text);
  fill(region, text);
}

// text: what the region says from now on ("" says nothing and empties it); again: a new event,
// said even when the region holds these words already.
export function speak(region, text, { again = false } = {}) {
  clearTimeout(pending.get(region));
  pending.delete(region);
  const now = said.has(region) ? said.get(region) : region.textContent;
  if (now !== text) {
    set(region, text);
    return;
  }
  if (!again || !text) return;
  set(region, "");
  pending.set(region, setTimeout(() => {
    pending.delete(region);
    set(region, text);
  }, AGAIN_AFTER_MS));
}

// Shows `text` in `node` (not a live region): a command in backticks as code, without them (the
// CLI's way of marking a command; its backticks on a page were read as part of it).
export function showText(node, text) {
  node.replaceChildren(...text.split(/(`[^`\n]+`)/).filter(Boolean).map((part) => {
    if (!/^`[^`\n]+`$/.test(part)) return document.createTextNode(part);
    const code = document.createElement("code");
    code.textContent = part.slice(1, -1);
    return code;
  }));
}
