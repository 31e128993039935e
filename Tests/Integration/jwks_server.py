"""A small fault-injecting HTTP server for JWKS and OpenID discovery documents, for the
remote-key tests (test_remote_jwks.py).

It runs as its own process (`python3 jwks_server.py PORT`, port 0 for any), listens on
127.0.0.1, prints `jwks-server listening PORT` and is stopped by PID like every other
process of the suite (`start_jwks_server` returns a `harness.Service` with a client
attached). The test drives it through a control API under `/_control/` (JSON):

- `POST /_control/route` sets what one path answers: `status`, `body` (text) or `json`
  (any JSON value, serialised) or `fill` (pad `json` with spaces up to that many bytes:
  a huge but well-formed body), `headers` (extra response headers), `delay` (seconds
  before the status line: a server that hangs), `stall` (seconds after the headers and
  half the body: a body that never finishes), `redirect` (a `Location`, with `status`
  301/302/303/307/308), `etag` (default true: an ETag computed from the body, and
  `If-None-Match` answered 304), `last_modified` (default false: a fixed `Last-Modified`
  per body, and `If-Modified-Since` answered 304), `expires_in` (seconds: `Date` and
  `Expires` that far apart, computed per answer), `label` (recorded with each request).
- `GET /_control/log` returns every request to a non-control path: path, label, the
  `If-None-Match`/`If-Modified-Since` it carried, the status answered, wall-clock time.
- `POST /_control/clear` empties the log.

Paths without a route answer 404. `python3 jwks_server.py --self-test` checks the server
itself (no gatepassd needed).
"""
import email.utils
import hashlib
import http.client
import http.server
import json
import os
import sys
import threading
import time

CONTROL = "/_control/"


class State:
    """Routes and the request log, shared by the handler threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.routes = {}
        self.log = []
        self.stopping = threading.Event()

    def set_route(self, spec):
        path = spec["path"]
        if "json" in spec:
            body = json.dumps(spec["json"], sort_keys=True).encode()
        else:
            body = spec.get("body", "").encode("utf-8", "surrogateescape")
        fill = spec.get("fill")
        if fill and len(body) < fill:
            # Spaces before the closing brace keep the JSON well formed: only the size is wrong.
            if body.endswith(b"}"):
                body = body[:-1] + b" " * (fill - len(body)) + b"}"
            else:
                body = body + b" " * (fill - len(body))
        digest = hashlib.sha256(body).hexdigest()
        route = {
            "status": int(spec.get("status", 200)),
            "body": body,
            "headers": dict(spec.get("headers", {})),
            "delay": float(spec.get("delay", 0)),
            "stall": float(spec.get("stall", 0)),
            "redirect": spec.get("redirect"),
            "etag": f"\"{digest[:24]}\"" if spec.get("etag", True) else None,
            # A fixed date per body (from its digest), so the same body keeps its date.
            "last_modified": email.utils.formatdate(1_700_000_000 + int(digest[:6], 16), usegmt=True)
            if spec.get("last_modified", False) else None,
            "label": spec.get("label", ""),
            "expires_in": spec.get("expires_in"),
        }
        with self.lock:
            self.routes[path] = route
        return {"path": path, "bytes": len(body), "etag": route["etag"], "last_modified": route["last_modified"]}

    def route(self, path):
        with self.lock:
            return self.routes.get(path)

    def record(self, entry):
        with self.lock:
            self.log.append(entry)

    def entries(self):
        with self.lock:
            return [dict(entry) for entry in self.log]

    def clear(self):
        with self.lock:
            self.log.clear()


def etag_matches(header, etag):
    if header is None or etag is None:
        return False
    if header.strip() == "*":
        return True
    candidates = [tag.strip() for tag in header.split(",")]
    # Weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored.
    bare = etag[2:] if etag.startswith("W/") else etag
    return any((tag[2:] if tag.startswith("W/") else tag) == bare for tag in candidates)


def not_modified_since(header, last_modified):
    if header is None or last_modified is None:
        return False
    try:
        since = email.utils.parsedate_to_datetime(header)
        modified = email.utils.parsedate_to_datetime(last_modified)
    except (TypeError, ValueError):
        return False
    return modified <= since


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "gatepass-jwks-fault/1"

    def log_message(self, format, *args):
        if self.path.startswith(CONTROL):
            return
        sys.stderr.write("jwks-server: %s - %s\n" % (self.address_string(), format % args))

    # Set when the route sends its own Date (with Expires): no second Date header.
    own_date = False

    def send_response(self, code, message=None):
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())
        if not self.own_date:
            self.send_header("Date", self.date_time_string())

    @property
    def state(self):
        return self.server.state

    def send_bytes(self, status, body, content_type="application/json", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def control(self, method):
        name = self.path[len(CONTROL):].split("?", 1)[0]
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}") if length else {}
        if method == "POST" and name == "route":
            answer = self.state.set_route(payload)
        elif method == "GET" and name == "log":
            answer = self.state.entries()
        elif method == "POST" and name == "clear":
            self.state.clear()
            answer = {}
        else:
            self.send_bytes(404, b"{}")
            return
        self.send_bytes(200, json.dumps(answer).encode())

    def do_POST(self):
        if self.path.startswith(CONTROL):
            self.control("POST")
        else:
            self.send_bytes(405, b"{}")

    def do_GET(self):
        self.own_date = False  # one handler serves every request of a keep-alive connection
        if self.path.startswith(CONTROL):
            self.control("GET")
            return
        path = self.path.split("?", 1)[0]
        route = self.state.route(path)
        entry = {"path": path, "label": route["label"] if route else "", "time": time.time(),
                 "if_none_match": self.headers.get("If-None-Match"),
                 "if_modified_since": self.headers.get("If-Modified-Since")}
        if route is None:
            entry["status"] = 404
            self.state.record(entry)
            self.send_bytes(404, b"{\"error\":\"no route\"}")
            return
        if route["delay"] > 0:
            entry["status"] = "hung"
            self.state.record(entry)
            # Interruptible, so that stopping the server is not held up by a hanging answer.
            if self.state.stopping.wait(route["delay"]):
                return
        headers = list(route["headers"].items())
        if route["expires_in"] is not None:
            # Date and Expires from the same second: Expires - Date is exactly `expires_in`.
            now = int(time.time())
            self.own_date = True
            headers += [("Date", email.utils.formatdate(now, usegmt=True)),
                        ("Expires", email.utils.formatdate(now + route["expires_in"], usegmt=True))]
        if route["redirect"]:
            status, body = route["status"] if route["status"] in (301, 302, 303, 307, 308) else 302, b""
            headers.append(("Location", route["redirect"]))
        elif route["status"] == 200 and (
                etag_matches(entry["if_none_match"], route["etag"]) if entry["if_none_match"] is not None and route["etag"]
                else not_modified_since(entry["if_modified_since"], route["last_modified"])):
            status, body = 304, None
        else:
            status, body = route["status"], route["body"]
        if status in (200, 304):
            if route["etag"]:
                headers.append(("ETag", route["etag"]))
            if route["last_modified"]:
                headers.append(("Last-Modified", route["last_modified"]))
        if route["delay"] <= 0:
            # A stalled answer is no answer: it never completes.
            entry["status"] = "stalled" if route["stall"] > 0 and status != 304 else status
            self.state.record(entry)
        if status == 304:
            self.send_response(304)
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            return
        if route["stall"] > 0:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.state.stopping.wait(route["stall"])
            self.close_connection = True
            return
        try:
            self.send_bytes(status, body, headers=headers)
        except (BrokenPipeError, ConnectionResetError):
            # A client that refuses a huge body may close early: that is its right.
            self.close_connection = True


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, port):
        super().__init__(("127.0.0.1", port), Handler)
        self.state = State()


def serve(port):
    server = Server(port)
    print(f"jwks-server listening {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.state.stopping.set()
        server.server_close()


# ---------------------------------------------------------------- the test's side


class Client:
    """The control API of a running server, plus URLs on it."""

    def __init__(self, port):
        self.port = port

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def _call(self, method, name, payload=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            body = json.dumps(payload).encode() if payload is not None else None
            connection.request(method, CONTROL + name, body=body,
                               headers={"Content-Type": "application/json"} if body is not None else {})
            response = connection.getresponse()
            data = response.read()
            assert response.status == 200, (response.status, data)
            return json.loads(data)
        finally:
            connection.close()

    def route(self, path, **spec):
        """What `path` answers from now on (see the module documentation for `spec`)."""
        return self._call("POST", "route", dict(spec, path=path))

    def log(self, path=None):
        entries = self._call("GET", "log")
        return [entry for entry in entries if path is None or entry["path"] == path]

    def count(self, path, label=None):
        return len([entry for entry in self.log(path) if label is None or entry["label"] == label])

    def clear(self):
        self._call("POST", "clear", {})


def start_jwks_server(directory, port=0, name="jwks-server"):
    """The server as its own process on `port` (0: any free one); stop it with `.stop()`."""
    import harness  # the suite's process helper (imported here so --self-test runs alone)

    service = harness.Service(name, [sys.executable, os.path.abspath(__file__), str(port)], directory)
    try:
        line = service.wait_for_line("jwks-server listening", timeout=20)
        service.port = int(line.split()[-1])
        service.client = Client(service.port)
        service.wait_until(lambda: service.client.log() is not None, "the control API answers", timeout=10)
    except BaseException:
        service.stop()
        raise
    return service


# ---------------------------------------------------------------- self-test


def self_test():
    """Checks the server on its own: routes, ETag/304, Last-Modified/304, redirects,
    delays, stalls, fill, the log. Exits non-zero on the first failure."""
    server = Server(0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    port = server.server_address[1]
    client = Client(port)

    def get(path, headers=(), timeout=5):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            connection.request("GET", path, headers=dict(headers))
            response = connection.getresponse()
            return response.status, dict((k.lower(), v) for k, v in response.getheaders()), response.read()
        finally:
            connection.close()

    try:
        jwks = {"keys": [{"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"}]}
        info = client.route("/jwks.json", json=jwks, headers={"Cache-Control": "max-age=5"}, label="one")
        status, headers, body = get("/jwks.json")
        assert status == 200 and json.loads(body) == jwks, (status, body)
        assert headers["etag"] == info["etag"] and headers["cache-control"] == "max-age=5", headers
        status, headers, body = get("/jwks.json", [("If-None-Match", info["etag"])])
        assert status == 304 and body == b"" and headers["etag"] == info["etag"], (status, headers, body)
        assert get("/jwks.json", [("If-None-Match", "W/" + info["etag"])])[0] == 304
        assert get("/jwks.json", [("If-None-Match", "\"other\"")])[0] == 200

        jwks2 = {"keys": jwks["keys"] + [{"kty": "RSA", "kid": "k2", "n": "AQAB", "e": "AQAB"}]}
        info2 = client.route("/jwks.json", json=jwks2, label="two")
        assert info2["etag"] != info["etag"]
        assert get("/jwks.json", [("If-None-Match", info["etag"])])[0] == 200, "a changed body is served again"

        lm = client.route("/lm.json", json=jwks, etag=False, last_modified=True)
        status, headers, _ = get("/lm.json")
        assert status == 200 and "etag" not in headers and headers["last-modified"] == lm["last_modified"], headers
        assert get("/lm.json", [("If-Modified-Since", lm["last_modified"])])[0] == 304
        assert get("/lm.json", [("If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT")])[0] == 200

        client.route("/expires", json=jwks, expires_in=3600)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/expires")
        raw = connection.getresponse()
        raw.read()
        assert len(raw.headers.get_all("Date")) == 1, raw.headers
        connection.close()
        _, headers, _ = get("/expires")
        gap = email.utils.parsedate_to_datetime(headers["expires"]) - email.utils.parsedate_to_datetime(headers["date"])
        assert gap.total_seconds() == 3600, headers

        client.route("/500", status=500, body="boom")
        assert get("/500")[0] == 500
        assert get("/500", [("If-None-Match", "*")])[0] == 500, "only a 200 route answers 304"
        assert get("/missing")[0] == 404

        client.route("/redirect", status=302, redirect=f"http://127.0.0.1:{port}/jwks.json")
        status, headers, _ = get("/redirect")
        assert status == 302 and headers["location"].endswith("/jwks.json"), headers

        client.route("/hang", json=jwks, delay=3, label="hang")
        started = time.monotonic()
        try:
            get("/hang", timeout=0.5)
            raise AssertionError("a hanging route answered")
        except TimeoutError:
            pass
        except OSError as error:  # socket.timeout on older Pythons
            assert "timed out" in str(error), error
        assert time.monotonic() - started < 2

        client.route("/stall", json=jwks, stall=3)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
        connection.request("GET", "/stall")
        response = connection.getresponse()
        assert response.status == 200
        try:
            response.read()
            raise AssertionError("a stalled body finished")
        except (TimeoutError, OSError, http.client.IncompleteRead):
            pass
        connection.close()

        big = client.route("/big.json", json=jwks, fill=10 * 1024 * 1024)
        assert big["bytes"] == 10 * 1024 * 1024
        status, _, body = get("/big.json", timeout=10)
        assert status == 200 and len(body) == 10 * 1024 * 1024 and json.loads(body) == jwks

        log = client.log("/jwks.json")
        assert [entry["status"] for entry in log] == [200, 304, 304, 200, 200], log
        assert [entry["label"] for entry in log] == ["one"] * 4 + ["two"], log
        assert log[1]["if_none_match"] == info["etag"]
        assert client.count("/hang", label="hang") == 1 and client.log("/hang")[0]["status"] == "hung"
        assert client.log("/stall")[0]["status"] == "stalled"
        client.clear()
        assert client.log() == []
        print("jwks_server self-test: ok")
    finally:
        server.state.stopping.set()
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        self_test()
    elif len(sys.argv) == 2:
        serve(int(sys.argv[1]))
    else:
        sys.exit("usage: jwks_server.py PORT | --self-test")
