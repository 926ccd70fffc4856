"""The fault corpus: requests real deployments receive from broken, old, hostile or careless
clients, each case one instance of a kind. Collected from public bug reports against Envoy,
waitress, Flask/Werkzeug, SQLite-backed services and HTTP parsers (request smuggling, encoded path
traversal, slow clients, oversized headers and bodies, bad Unicode, deep or huge JSON, non-finite
numbers, HTTP/1.0), and from what broke here (issue 18).

`http_cases(paths)` gives raw-HTTP cases for the prefixes of a deployment; `line_cases()` gives
the legacy socket server's one-JSON-line-per-request cases. Neither knows how the server works:
each case says only what a client may expect (a status below 500, JSON for an error, no more
answers than requests, no file content outside the web root).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from tests.rawhttp import Exchange, RawResponse

DEEP = 20_000
BIG_DIGITS = 5_000
FILE_CONTENT = (b"root:x:", b"[build-system]", b"puma_config(", b"BEGIN PRIVATE KEY", b"[core]")


@dataclass(frozen=True)
class Case:
    kind: str
    name: str
    data: bytes | list[bytes]
    expect: frozenset[int] | None = None  # the statuses allowed (None: any below 500)
    max_responses: int = 1
    pause_s: float = 0.0
    silent_ok: bool = False  # a request the server may wait on (incomplete) or drop without answer
    forbidden: tuple[bytes, ...] = ()
    head: bool = False  # the answer to a HEAD has no body, whatever its Content-Length says
    max_reply_bytes: int | None = None  # an answer's body is at most this long (bad input gets a short 400)

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class LineCase:
    kind: str
    name: str
    data: bytes | list[bytes]
    expect_error: str | None = None  # the reply's "error" code, if it must be one
    closes: bool = False
    pause_s: float = 0.0
    replies: int = 1
    extra: dict = field(default_factory=dict)
    ok: bool = False  # the reply must be a turn's, not an error

    @property
    def id(self) -> str:
        return f"{self.kind}:{self.name}"


def request(method: str, target: str, body: bytes = b"", *, headers: tuple[tuple[str, str], ...] = (),
            version: str = "HTTP/1.1", host: str | None = "localhost", length: bool = True) -> bytes:
    """The bytes of one request; Host and Content-Length unless told otherwise."""
    lines = [f"{method} {target} {version}".encode("latin-1")]
    if host is not None:
        lines.append(b"Host: " + host.encode())
    lines += [f"{k}: {v}".encode("latin-1") for k, v in headers]
    if length and (body or method in ("POST", "PUT", "PATCH")):
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


_JSON = (("Content-Type", "application/json"),)
_FORM = (("Content-Type", "application/x-www-form-urlencoded"),)
_400 = frozenset({400})
_4XX = frozenset(range(400, 500))
_NOT_FOUND = frozenset({400, 403, 404, 405})
_REFUSED_BODY = frozenset({400, 415})  # 415 where the service takes no forms at all
_SHORT_REPLY = 16 * 1024

# --- what a body may hold (sent to every service) ------------------------------------------

_JSON_BODIES: list[tuple[str, str, bytes, frozenset[int] | None]] = [
    ("json-deep", "arrays-20000", b"[" * DEEP + b"]" * DEEP, _400),
    ("json-deep", "objects-5000", b'{"a":' * 5_000 + b"1" + b"}" * 5_000, _400),
    ("json-deep", "field-200-levels", b'{"UUID": "-1", "text": ' + b"[" * 200 + b"]" * 200 + b"}", _400),
    ("json-huge", "int-5000-digits", b'{"UUID": "-1", "turn_no": ' + b"9" * BIG_DIGITS + b"}", _400),
    ("json-huge", "int-4301-digits", b'{"x": -' + b"1" * 4301 + b"}", _400),
    ("non-finite", "1e999", b'{"UUID": "-1", "chatText": "hi", "turn_no": 1e999}', _400),
    ("non-finite", "minus-1E400", b'{"liked": -1E400, "id": "abc"}', _400),
    ("non-finite", "Infinity", b'{"text": "hi", "turn_no": Infinity}', _400),
    ("non-finite", "minus-Infinity", b'[-Infinity]', _400),
    ("non-finite", "NaN", b'{"state": NaN}', _400),
    ("non-finite", "400-digit-float", b'{"x": ' + b"7" * 400 + b'.5}', _400),
    ("json-malformed", "truncated", b'{"UUID": "-1", "chatText": ', _400),
    ("json-malformed", "trailing-garbage", b'{"UUID": "-1"} {"x": 1}', _400),
    ("json-malformed", "single-quotes", b"{'UUID': '-1'}", _400),
    ("json-malformed", "raw-control-char", b'{"text": "a\x01\x02b"}', _400),
    ("json-odd", "top-level-array", b"[1, 2, 3]", None),
    ("json-odd", "top-level-null", b"null", None),
    ("json-odd", "top-level-string", b'"hello"', None),
    ("json-odd", "empty-object", b"{}", None),
    ("json-odd", "duplicate-keys", b'{"UUID": "-1", "UUID": ["x"], "mode": "false"}', None),
    ("json-odd", "numbers-at-the-edge", b'{"turn_no": 1.7976931348623157e308, "liked": -0.0, "id": 1e-400}', None),
    ("bad-unicode", "invalid-utf8", b'{"text": "\xff\xfe\xfa"}', _400),
    ("bad-unicode", "overlong-utf8", b'{"text": "\xc0\xaf\xe0\x80\xaf"}', _400),
    ("bad-unicode", "truncated-utf8", b'{"text": "\xe2\x82"}', _400),
    ("bad-unicode", "utf16-with-bom", '{"UUID": "-1", "text": "hi"}'.encode("utf-16"), None),
    ("bad-unicode", "utf8-bom", b'\xef\xbb\xbf{"UUID": "-1", "chatText": "hi", "mode": "false"}', None),
    ("bad-unicode", "lone-surrogates", b'{"UUID": "-1", "chatText": "\\ud800 \\udfff\\ud83d", "text": "\\udc00", '
     b'"name": "\\ud800", "comments": "\\ud83d", "id": "\\ud800"}', None),
    ("bad-unicode", "nul-characters", b'{"UUID": "-1", "chatText": "a\\u0000b", "text": "\\u0000", "comments": "\\u0000"}', None),
    ("bad-unicode", "json-with-charset-latin1", b'{"text": "caf\xe9"}', _400),
]


def body_cases(path: str, *, reads_body: bool = True) -> list[Case]:
    """What a client may POST to one service prefix. `reads_body`: a bad body gets 400 (a PUMA
    service reads it before anything else); else any 4xx (an endpoint that refuses first)."""
    cases = [Case(kind, name, request("POST", path, body, headers=_JSON), expect if reads_body or expect is None
                  else _4XX) for kind, name, body, expect in _JSON_BODIES]
    form = b"UUID=%ff%fe&chatText=%c0%af\xff\xfe&mode=false&turn_no=1e999&UUID=-1"
    cases += [
        Case("bad-unicode", "form-invalid-percent-and-bytes", request("POST", path, form, headers=_FORM)),
        Case("bad-unicode", "query-invalid-percent", request("GET", path + "?x=%ff%fe&y=%&z=%zz")),
        Case("form", "fields-repeated-1000", request("POST", path, b"&".join(b"UUID=%d" % i for i in range(1000)),
                                                     headers=_FORM)),
        Case("form", "turn-no-20-digits", request("POST", path, b"UUID=-1&chatText=hi&mode=false&turn_no="
                                                  + b"9" * 20, headers=_FORM)),
        Case("content-type", "multipart-without-boundary",
             request("POST", path, b"--x\r\n\r\nhi\r\n--x--\r\n", headers=(("Content-Type", "multipart/form-data"),))),
        Case("content-type", "multipart-truncated",
             request("POST", path, b'--b\r\nContent-Disposition: form-data; name="UUID"\r\n\r\n-1\r\n--b',
                     headers=(("Content-Type", "multipart/form-data; boundary=b"),))),
        Case("content-type", "not-accepted", request("POST", path, b"<turn/>", headers=(("Content-Type", "text/xml"),)),
             frozenset({415}) if reads_body else _4XX),
        Case("content-type", "garbled", request("POST", path, b"{}", headers=(("Content-Type", "application/json;;;=;"),))),
        # A service's fields arrive as the client sent them, or the request is refused (issue 18, round 3).
        Case("bad-unicode", "form-escapes-not-utf8", request("POST", path, b"UUID=-1&chatText=K%f6ln&mode=false",
                                                             headers=_FORM), _REFUSED_BODY if reads_body else _4XX),
        Case("bad-unicode", "form-lone-percent", request("POST", path, b"UUID=-1&chatText=100%&mode=false",
                                                         headers=_FORM), _REFUSED_BODY if reads_body else _4XX),
        Case("content-encoding", "gzip", request("POST", path, b"\x1f\x8b\x08\x00" + b"\x00" * 16,
                                                 headers=(*_JSON, ("Content-Encoding", "gzip"))),
             frozenset({415}) if reads_body else _4XX),
        Case("content-encoding", "deflate-form", request("POST", path, b"x\x9c\x03\x00", headers=(
            *_FORM, ("Content-Encoding", "deflate"))), frozenset({415}) if reads_body else _4XX),
        Case("content-type", "multipart-file-part",
             request("POST", path, b'--b\r\nContent-Disposition: form-data; name="UUID"; filename="id.txt"\r\n\r\n'
                     b"-1\r\n--b--\r\n", headers=(("Content-Type", "multipart/form-data; boundary=b"),)),
             None if reads_body else _4XX),  # a file part is read as a field (tests/test_uploads.py): below 500
        Case("content-type", "none-with-a-body", request("POST", path, b'{"UUID": "-1"}')),
        Case("method", "PUT", request("PUT", path, b'{"UUID": "-1"}', headers=_JSON)),
        Case("method", "DELETE", request("DELETE", path)),
        Case("method", "OPTIONS", request("OPTIONS", path)),
        Case("method", "PROPFIND", request("PROPFIND", path)),
        Case("method", "TRACE", request("TRACE", path)),
        Case("method", "BREW", request("BREW", path), frozenset({404, 405})),  # a method HTTP does not define (404: internal)
        # Many fields no parameter takes (newcomer 43, B2): a short answer, in time; never a 5xx.
        Case("many-fields", "form-30000-unknown", request("POST", path, b"&".join(b"k%d=v" % i for i in range(30_000)),
                                                          headers=_FORM), max_reply_bytes=_SHORT_REPLY),
        Case("many-fields", "json-20000-unknown", request("POST", path, b"{" + b",".join(
            b'"key%d": [%d]' % (i, i) for i in range(20_000)) + b"}", headers=_JSON), max_reply_bytes=_SHORT_REPLY),
        Case("many-fields", "form-5000-repeated-unknown", request("POST", path, b"&".join(
            [b"zz=%d" % i for i in range(5_000)]), headers=_FORM), max_reply_bytes=_SHORT_REPLY),
        Case("http-1.0", "post-json", request("POST", path, b'{"UUID": "-1", "text": "hi"}', headers=_JSON,
                                              version="HTTP/1.0", host=None)),
        Case("http-1.0", "get-no-host", request("GET", path, version="HTTP/1.0", host=None)),
    ]
    return [dataclasses.replace(c, name=f"{c.name}@{path}") for c in cases]


# --- what a turn of the listener protocol may hold (sent to /agent and /legacy) -------------

def turn_cases(path: str) -> list[Case]:
    """Fields of a turn with one meaning only (issue 18, round 2): whole-number turn_no, the
    documented mode strings, each key or field once, UTF-8 text; a BOM and spaces around "-1"
    are no error. The same rules hold on the legacy server (`line_cases`)."""
    def turn(body: bytes, name: str, expect: frozenset[int]) -> Case:
        return Case("turn-fields", f"{name}@{path}", request("POST", path, body, headers=_JSON), expect)

    ok = frozenset({200})
    return [
        turn(b'{"UUID": "-1", "chatText": "hi", "mode": "false", "turn_no": 1.5}', "turn-no-1.5", _400),
        turn(b'{"UUID": "-1", "chatText": "hi", "mode": "false", "turn_no": "1.5"}', "turn-no-string-1.5", _400),
        turn(b'{"UUID": "-1", "chatText": "hi", "mode": "false", "turn_no": true}', "turn-no-true", _400),
        turn(b'{"UUID": "-1", "chatText": "hi", "mode": "false", "turn_no": -3}', "turn-no-negative", _400),
        turn(b'{"UUID": "-1", "chatText": "hi", "mode": true}', "mode-json-true", _400),
        turn(b'{"UUID": "-1", "chatText": "hi", "mode": 1}', "mode-number", _400),
        turn(b'{"UUID": "-1", "chatText": "hi", "mode": "poll"}', "mode-undocumented", _400),
        turn(b'{"UUID": "-1", "chatText": "hi", "chatText": "bye", "mode": "false"}', "duplicate-key", _400),
        turn(b'{"UUID": "-1", "chatText": "\xed\xa0\x80", "mode": "false"}', "encoded-surrogate", _400),
        turn(b'{"UUID": "-1", "chatText": "\xf4\x90\x80\x80", "mode": "false"}', "beyond-u10ffff", _400),
        turn(b'\xef\xbb\xbf{"UUID": "-1", "chatText": "hi", "mode": "false"}', "utf8-bom", ok),
        turn(b'{"UUID": " -1 ", "chatText": "hi", "mode": "false"}', "new-id-with-spaces", ok),
        turn(b'{"UUID": "-1", "chatText": "\\ud800 comedy", "mode": "false", "turn_no": 1.0}', "escaped-surrogate", ok),
        Case("turn-fields", f"duplicate-form-field@{path}", request("POST", path, b"UUID=-1&chatText=a&chatText=b&mode=false",
             headers=_FORM), _400),
        Case("turn-fields", f"duplicate-query-field@{path}", request("POST", path + "?mode=false&mode=true",
             b"UUID=-1&chatText=a", headers=_FORM), _400),
    ]


# --- paths ---------------------------------------------------------------------------------

_TRAVERSALS = [
    "/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2fetc%2fpasswd",
    "/%252e%252e/%252e%252e/etc/passwd", "/..\\..\\..\\etc\\passwd", "/%5c..%5c..%5cetc%5cpasswd",
    "/.git/config", "/.env", "/../pyproject.toml", "/web/../../pyproject.toml", "//etc/passwd",
    "/index.html%00.js", "/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", "/chat.js/..%2f..%2fREADME.md",
    "/dashboard/../../chatbot/puma_app.py", "/%2e%2e%2f%2e%2e%2fchatbot%2fpuma_app.py",
    "/" + "a" * 300, "/" + "x" * 255 + ".js", "/" + "a/" * 1_000 + "b", "/" + "%41" * 3_000,
    "/web/%00", "/..;/..;/etc/passwd", "/./././index.html/.", "/static/..%252f..%252fetc/passwd",
]


# An encoded slash or backslash would make a new path segment once a service decodes it: the
# edge refuses it (400, "cannot be normalised") rather than route it anywhere.
_ESCAPED_SLASHES = ["/..%2f..%2fetc%2fpasswd", "/..%2F..%2Fpyproject.toml", "{p}%2Fx", "{p}%2f..%2f..%2fetc",
                    "{p}/a%2fb", "/%5c..%5c..%5cetc", "{p}%5Cx", "/%2e%2e%2f%2e%2e%2fREADME.md"]


# A '%' that does not start two hex digits: the edge refuses it (400, "invalid percent-escape")
# rather than let each service read it its own way.
_BAD_ESCAPES = ["{p}%ZZ", "{p}/%", "{p}/a%2", "{p}/%g0x", "{p}/ok%20then%", "/%", "{p}/%%41"]


def path_cases(prefixes: list[str]) -> list[Case]:
    cases = [Case("traversal", t[:60], request("GET", t), _NOT_FOUND | {200}, forbidden=FILE_CONTENT)
             for t in _TRAVERSALS]
    for prefix in prefixes:
        for target in sorted({t.format(p=prefix.rstrip("/")) for t in _ESCAPED_SLASHES}):
            for method in ("GET", "POST"):
                cases.append(Case("escaped-slash", f"{method} {target[:50]}", request(method, target, b"{}"),
                                  frozenset({400}), forbidden=FILE_CONTENT))
        for target in sorted({t.format(p=prefix.rstrip("/")) for t in _BAD_ESCAPES}):
            cases.append(Case("bad-escape", f"GET {target[:50]}", request("GET", target), frozenset({400})))
    for prefix in prefixes:
        if prefix != "/":
            cases.append(Case("traversal", f"{prefix}/../..", request("GET", prefix + "/../../etc/passwd"),
                              forbidden=FILE_CONTENT))
    return cases


# --- the HTTP framing itself ------------------------------------------------------------------

def raw_cases(path: str) -> list[Case]:
    """Smuggling, odd framing and targets, client-sent Envoy headers, oversized parts and slow
    clients, sent to `path`."""
    cases = [*_smuggling(path), *_odd_framing(path), *_strict(path), *_envoy_headers(path), *_oversized(path),
             *_slow(path)]
    return [dataclasses.replace(c, name=f"{c.name}@{path}") for c in cases]


def _smuggling(path: str) -> list[Case]:
    """Request smuggling (RFC 9112 6.1, 6.3): never two answers for one request, never a 5xx."""
    body, smuggled = b'{"UUID": "-1"}', request("GET", "/_puma/workers")
    return [
        Case("smuggling", "cl-and-te", request("POST", path, b"0\r\n\r\n" + smuggled, length=False, headers=(
            ("Content-Length", "6"), ("Transfer-Encoding", "chunked"), *_JSON))),
        Case("smuggling", "te-chunked-twice", request("POST", path, b"0\r\n\r\n", length=False, headers=(
            ("Transfer-Encoding", "chunked, chunked"),))),
        Case("smuggling", "te-with-tab", request("POST", path, b"0\r\n\r\n" + smuggled, length=False, headers=(
            ("Transfer-Encoding", "\tchunked"), ("Content-Length", "4")))),
        Case("smuggling", "te-unknown-coding", request("POST", path, body, length=False, headers=(
            ("Transfer-Encoding", "xchunked"), ("Content-Length", str(len(body)))))),
        Case("smuggling", "te-gzip", request("POST", path, b"0\r\n\r\n", length=False, headers=(
            ("Transfer-Encoding", "gzip, chunked"),))),
        Case("smuggling", "two-content-lengths", request("POST", path, body + smuggled, length=False, headers=(
            ("Content-Length", str(len(body))), ("Content-Length", str(len(body) + len(smuggled)))))),
        Case("smuggling", "content-length-plus", request("POST", path, body, length=False, headers=(
            ("Content-Length", f"+{len(body)}"),))),
        Case("smuggling", "content-length-hex", request("POST", path, body, length=False, headers=(
            ("Content-Length", "0x0e"),))),
        Case("smuggling", "content-length-negative", request("POST", path, body, length=False, headers=(
            ("Content-Length", "-1"),))),
        Case("smuggling", "content-length-huge", request("POST", path, body, length=False, headers=(
            ("Content-Length", "9" * 25),))),
        Case("smuggling", "chunk-size-with-junk", request("POST", path, b"1these-bytes\r\nZ\r\n0\r\n\r\n", length=False,
                                                          headers=(("Transfer-Encoding", "chunked"),))),
        Case("smuggling", "chunk-size-0x", request("POST", path, b"0x1\r\nZ\r\n0\r\n\r\n", length=False,
                                                   headers=(("Transfer-Encoding", "chunked"),))),
        Case("smuggling", "chunk-extension-lone-lf", request("POST", path, b"2;\nxx\r\n0\r\n\r\n" + smuggled,
                                                             length=False, headers=(("Transfer-Encoding", "chunked"),))),
        Case("smuggling", "chunk-size-overflow", request("POST", path, b"fffffffffffffffff1\r\nZ\r\n0\r\n\r\n",
                                                         length=False, headers=(("Transfer-Encoding", "chunked"),))),
        Case("smuggling", "obs-fold-header", b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
             b" 0\r\n\r\n{}" + smuggled),
        Case("smuggling", "space-before-colon", b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
             b"Content-Length : 2\r\n\r\n{}" + smuggled),
        Case("smuggling", "get-with-body-then-request", request("GET", path, smuggled), max_responses=1),
    ]


def _odd_framing(path: str) -> list[Case]:
    """Framing, request targets and hosts a browser would never send."""
    body = b'{"UUID": "-1"}'
    return [
        Case("framing", "lf-only-line-ends", b"GET " + path.encode() + b" HTTP/1.1\nHost: x\n\n"),
        Case("framing", "nul-in-header", b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n"),
        Case("framing", "header-without-colon", b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nGarbage\r\n\r\n"),
        Case("framing", "two-hosts", b"GET " + path.encode() + b" HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        Case("framing", "absolute-form-target", request("GET", "http://evil.example" + path)),
        Case("framing", "connect", request("CONNECT", "evil.example:443")),
        Case("framing", "websocket-upgrade", request("GET", path, headers=(
            ("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")))),
        Case("framing", "h2c-upgrade", request("GET", path, headers=(
            ("Connection", "Upgrade, HTTP2-Settings"), ("Upgrade", "h2c"), ("HTTP2-Settings", "AAMAAABkAAQAAP__")))),
        Case("framing", "http-0.9", b"GET " + path.encode() + b"\r\n\r\n"),
        Case("framing", "http-2.0-on-1.1", request("GET", path, version="HTTP/2.0")),
        Case("framing", "binary-garbage", bytes(range(256)) * 4),
        Case("framing", "expect-100-continue", request("POST", path, body, headers=(
            ("Expect", "100-continue"), ("Content-Type", "application/json")))),
        # An expectation the server cannot meet: 417 (RFC 9110 10.1.1), not an answer it did not ask for.
        Case("expect", "200-ok", request("POST", path, body, headers=(("Expect", "200-ok"), *_JSON)), frozenset({417})),
        Case("expect", "100-continue-and-more", request("POST", path, body, headers=(
            ("Expect", "100-continue, x-fast"), *_JSON)), frozenset({417})),
        Case("framing", "pipelined-three", request("GET", path) * 3, max_responses=3),
        Case("framing", "raw-non-ascii-path", b"GET " + path.encode() + b"/\xff\xfe\xc0 HTTP/1.1\r\nHost: x\r\n\r\n"),
        Case("framing", "raw-non-ascii-query", b"GET " + path.encode() + b"?q=\xff\x00 HTTP/1.1\r\nHost: x\r\n\r\n"),
        Case("framing", "fragment-in-target", request("GET", path + "#frag")),
        Case("framing", "asterisk-form", request("OPTIONS", "*")),
        Case("framing", "fullwidth-path", request("GET", "/%EF%BD%81%EF%BD%87%EF%BD%85%EF%BD%8E%EF%BD%94")),
        Case("framing", "userinfo-in-absolute-form", request("GET", "http://user:pw@localhost" + path)),
        Case("framing", "host-unbalanced-bracket", request("GET", path, host="[::1")),
        Case("framing", "host-with-space", request("GET", path, host="a b")),
        Case("framing", "header-name-with-parens", request("GET", path, headers=(("X(A)", "1"),))),
        Case("framing", "gzip-body-not-decoded", request("POST", path, bytes.fromhex("1f8b08000000000000ff") + b"\x00" * 10,
                                                          headers=(*_JSON, ("Content-Encoding", "gzip")))),
        Case("framing", "head", request("HEAD", path), head=True),
    ]


def _strict(path: str) -> list[Case]:
    """What RFC 9112 says a server must refuse (issue 18, round 2): answered 400, and a request
    pipelined behind a refused one is never served."""
    follow = request("GET", path)
    return [
        Case("strict-http", "two-hosts", b"GET " + path.encode() + b" HTTP/1.1\r\nHost: a.example\r\n"
             b"Host: b.example\r\n\r\n", _400),
        Case("strict-http", "two-hosts-then-a-request", b"GET " + path.encode() + b" HTTP/1.1\r\nHost: a\r\n"
             b"Host: a\r\n\r\n" + follow, _400),
        Case("strict-http", "chunk-longer-than-its-size", request("POST", path, b"2\r\n{}}}\r\n0\r\n\r\n", length=False,
             headers=(("Transfer-Encoding", "chunked"), *_JSON)) + follow, _400),
        Case("strict-http", "chunk-without-crlf", request("POST", path, b"2\r\n{}0\r\n\r\n", length=False,
             headers=(("Transfer-Encoding", "chunked"), *_JSON)) + follow, _400),
        Case("strict-http", "underscore-in-header-name", request("GET", path, headers=(("X_Forwarded_For", "10.0.0.1"),)),
             _400),
        Case("strict-http", "no-host-on-1.1", request("GET", path, host=None), _400),
        Case("strict-http", "lowercase-version", b"GET " + path.encode() + b" http/1.1\r\nHost: x\r\n\r\n", _400),
        Case("strict-http", "encoded-nul-in-path", request("GET", path + "/%00x"), _400 | _NOT_FOUND),
        Case("strict-http", "upgrade-to-websocket", request("GET", path, headers=(
            ("Connection", "Upgrade"), ("Upgrade", "websocket"))), _4XX),
    ]


def _envoy_headers(path: str) -> list[Case]:
    """Headers that steer Envoy, sent by a client (public reports: retry storms, forced 504s)."""
    return [
        Case("envoy-headers", "retry-a-bad-request", request("POST", path, b"[" * 300 + b"]" * 300, headers=(
            *_JSON, ("X-Forwarded-For", "127.0.0.1"), ("X-Envoy-Retry-On", "4xx,5xx,retriable-4xx,reset,gateway-error"),
            ("X-Envoy-Retriable-Status-Codes", "400,404,405,409,415"), ("X-Envoy-Max-Retries", "10")))),
        Case("envoy-headers", "a-1-ms-timeout", request("POST", path, b"[" + b"1," * 200_000 + b"1]", headers=(
            *_JSON, ("X-Forwarded-For", "10.1.2.3"), ("X-Envoy-Upstream-Rq-Timeout-Ms", "1"),
            ("X-Envoy-Upstream-Rq-Per-Try-Timeout-Ms", "1")))),
        Case("envoy-headers", "claims-to-be-internal", request("GET", path, headers=(
            ("X-Envoy-Internal", "true"), ("X-Envoy-Expected-Rq-Timeout-Ms", "1"), ("X-Envoy-Force-Trace", "1"),
            ("X-Request-Id", "\u0000" * 10)))),
    ]


def _oversized(path: str) -> list[Case]:
    """Oversized parts: a 4xx, never a 5xx or a hang."""
    big = b"x" * (2 << 20)
    return [
        Case("oversized", "header-70KB", request("GET", path, headers=(("X-Big", "a" * 70_000),)), frozenset({431})),
        Case("oversized", "headers-200", request("GET", path, headers=tuple((f"X-H{i}", "v" * 100) for i in range(200))),
             frozenset({431})),
        Case("oversized", "target-70KB", request("GET", path + "?q=" + "a" * 70_000), frozenset({414, 431})),
        Case("oversized", "body-2MB", request("POST", path, big, headers=_JSON), frozenset({413})),
        Case("oversized", "chunked-body-2MB", request("POST", path, b"%x\r\n" % len(big) + big + b"\r\n0\r\n\r\n",
                                                      length=False, headers=(("Transfer-Encoding", "chunked"),
                                                                             ("Content-Type", "application/json"))),
             frozenset({413})),
        Case("oversized", "cookie-60KB", request("GET", path, headers=(("Cookie", "; ".join(
            f"c{i}={'v' * 50}" for i in range(1_100))),)), frozenset({431})),
    ]


def _slow(path: str) -> list[Case]:
    """A client that stops sending: the server may wait, but must not answer 5xx meanwhile."""
    body = b'{"UUID": "-1"}'
    return [
        Case("slow", "body-shorter-than-length", request("POST", path, b"{}", length=False, headers=(
            ("Content-Length", "100"), ("Content-Type", "application/json"))), silent_ok=True),
        Case("slow", "headers-in-pieces", [b"GET " + path.encode() + b" HTTP/1.1\r\n", b"Host: x\r\n", b"X-A: 1\r\n",
                                           b"\r\n"], pause_s=0.2),
        Case("slow", "body-in-pieces", [request("POST", path, b"", length=False, headers=(
            ("Content-Length", "14"), ("Content-Type", "application/json")))] + [bytes([c]) for c in body], pause_s=0.05),
    ]


# --- the legacy socket server: one JSON object per line --------------------------------------

def line_cases() -> list[LineCase]:
    bad = "bad_request"
    return [
        LineCase("json-deep", "arrays-20000", b"[" * DEEP + b"]" * DEEP + b"\n", bad),
        LineCase("json-deep", "objects-5000", b'{"a":' * 5_000 + b"1" + b"}" * 5_000 + b"\n", bad),
        LineCase("json-huge", "turn-no-5000-digits", b'{"id": "-1", "text": "hi", "turn_no": ' + b"9" * BIG_DIGITS
                 + b"}\n", bad),
        LineCase("non-finite", "turn-no-1e999", b'{"id": "-1", "text": "hi", "turn_no": 1e999}\n', bad),
        LineCase("non-finite", "turn-no-Infinity", b'{"id": "-1", "text": "hi", "turn_no": Infinity}\n', bad),
        LineCase("non-finite", "NaN-mode", b'{"id": "-1", "text": "hi", "mode": NaN}\n', bad),
        LineCase("non-finite", "turn-no-1e308", b'{"id": "-1", "text": "hi", "turn_no": 1e308}\n'),
        LineCase("json-huge", "turn-no-20-digit-string", b'{"id": "-1", "text": "hi", "turn_no": "' + b"9" * 20
                 + b'"}\n'),
        LineCase("json-malformed", "truncated", b'{"id": "-1", "text": \n', bad),
        LineCase("json-odd", "array", b'["id", "-1"]\n', bad),
        LineCase("json-odd", "id-is-a-list", b'{"id": ["-1"], "text": "hi"}\n', bad),
        LineCase("json-odd", "mode-is-a-number", b'{"id": "-1", "text": "hi", "mode": 5}\n', bad),
        LineCase("bad-unicode", "invalid-utf8", b'{"id": "-1", "text": "\xff\xfe"}\n', bad),
        LineCase("bad-unicode", "lone-surrogates", b'{"id": "-1", "text": "\\ud800 comedy \\udfff", "mode": "false"}\n'),
        LineCase("bad-unicode", "nul", b'{"id": "-1", "text": "a\\u0000b", "mode": "false"}\n'),
        LineCase("framing", "an-http-request", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", bad, replies=2),
        LineCase("framing", "binary-garbage", bytes(range(1, 10)) + bytes(range(11, 256)) + b"\n", bad),
        LineCase("oversized", "line-over-64KB", b'{"id": "-1", "text": "' + b"x" * 70_000 + b'"}\n', "line_too_long",
                 closes=True),
        LineCase("slow", "line-in-pieces", [b'{"id": "-1", ', b'"text": "hi", ', b'"mode": "false"}\n'], pause_s=0.2),
        # the same field rules as the mesh's /agent (`turn_cases`)
        LineCase("turn-fields", "turn-no-1.5", b'{"id": "-1", "text": "hi", "mode": "false", "turn_no": 1.5}\n', bad),
        LineCase("turn-fields", "mode-json-true", b'{"id": "-1", "text": "hi", "mode": true}\n', bad),
        LineCase("turn-fields", "duplicate-key", b'{"id": "-1", "text": "hi", "text": "bye"}\n', bad),
        LineCase("turn-fields", "encoded-surrogate", b'{"id": "-1", "text": "\xed\xa0\x80"}\n', bad),
        LineCase("turn-fields", "utf8-bom", b'\xef\xbb\xbf{"id": "-1", "text": "hi", "mode": "false"}\n', ok=True),
        LineCase("turn-fields", "new-id-with-spaces", b'{"id": " -1", "text": "hi", "mode": "false"}\n', ok=True),
        LineCase("turn-fields", "turn-no-2.0", b'{"id": "-1", "text": "hi", "mode": "false", "turn_no": 1.0}\n', ok=True),
    ]


def problems(case: Case, result: Exchange) -> list[str]:
    """What a client would call broken in `result` for `case`."""
    found = []
    responses = result.responses
    if not responses and not case.silent_ok:
        found.append(f"no answer (closed={result.closed}, timed out={result.timed_out}, "
                     f"parse error={result.protocol_error})")
    if len(responses) > case.max_responses:
        found.append(f"{len(responses)} answers to {case.max_responses} request(s): {result.statuses}")
    for r in responses:
        if r.status >= 500 or r.status == 426:
            found.append(f"answered {r.status}: {r.body[:200]!r}")
        elif case.expect is not None and r is responses[0] and r.status not in case.expect:
            found.append(f"answered {r.status}, expected one of {sorted(case.expect)}: {r.body[:200]!r}")
        if r.status >= 400 and not r.is_json:
            found.append(f"a {r.status} without a JSON body: {r.headers.get('content-type')!r} {r.body[:120]!r}")
        elif r.status >= 400 and not case.head and not _error_text(r):
            found.append(f"a {r.status} whose JSON names no error: {r.body[:200]!r}")
        if r.status == 405 and not r.headers.get("allow"):
            found.append("a 405 without an Allow header")
        if r.status in (429, 503) and not r.headers.get("retry-after"):
            found.append(f"a {r.status} without Retry-After")
        if case.max_reply_bytes is not None and len(r.body) > case.max_reply_bytes:
            found.append(f"a {r.status} of {len(r.body)} bytes, over {case.max_reply_bytes}: {r.body[:120]!r}")
        leaked = [f for f in case.forbidden if f in r.body]
        if leaked:
            found.append(f"answered with file content {leaked}")
    return found


def _error_text(response: RawResponse) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return error.strip() if isinstance(error, str) else ""
