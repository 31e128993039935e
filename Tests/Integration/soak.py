"""Hostile-traffic soak of the decision service (issue 13), run by scripts/soak.

Starts on 127.0.0.1 with free ports: the echo upstream, the fault-injecting JWKS server
(jwks_server.py), gatepassd (a watched --bundle signed with an Ed25519 key and checked
with --trusted-key, --grpc, --forward-auth, --admin) and a real Envoy in front (the
configuration from `gatepass gateway-config envoy-grpc`). The policy set is the
integration set of policy_fixture.py (inline keys) plus `gw-remote`, whose keys come
from the JWKS server (`jwksUri`, short `jwksRefresh`, so refreshes run during the soak).

Phases: a quiet run of valid traffic only (the latency baseline), then the storm for
`--seconds`: the same valid traffic at the same fixed rate, through Envoy and directly to
forward-auth, next to 10,000 distinct valid tokens, malformed / stranger-signed / missing
tokens, oversized headers and header counts, slowloris clients, connections opened and
dropped, garbage and invalid HTTP/2 frames on the gRPC port, a bundle rename every few
seconds (good, corrupt bytes, signed by an untrusted key) and the JWKS server failing
(500s, hangs) and recovering.

Asserts: gatepassd and Envoy alive with the same PID; every sampled decision equal to
`gatepass eval` on the same request and bundle revision; no allowed answer for a request
of a class the policy denies; RSS growth <= RSS_BOUND_MIB and open-FD growth <= FD_BOUND
between the end of warm-up and the end (each the peak of an 8 s window); prints p50/p90/p99 of the valid requests, quiet
and storm. Exit 0 only when every assertion holds. Every process is stopped by PID in a
`finally` (also on Ctrl-C); logs are printed on failure.
"""
import argparse
import collections
import json
import os
import random
import re
import shutil
import signal
import socket
import ssl  # noqa: F401  (imported so a missing stdlib piece fails early)
import statistics
import struct
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import jwt  # noqa: E402

import bundle_servers as bs  # noqa: E402
import jwks_server  # noqa: E402
import policy_fixture  # noqa: E402
from harness import Service, free_port, raw_request, run  # noqa: E402

GATEPASS = os.environ.get("GATEPASS_BIN") or os.path.join(HERE, "..", "..", ".build", "debug", "gatepass")
GATEPASSD = os.environ.get("GATEPASSD_BIN") or os.path.join(HERE, "..", "..", ".build", "debug", "gatepassd")
ENVOY = os.environ.get("ENVOY_BIN") or "envoy"

RSS_BOUND_MIB = 20
# Smaller than the distinct tokens the storm sends, so the churn evicts.
TOKEN_CACHE_SIZE = 1000
# Slowloris connections must be closed this long after their first byte.
HEAD_TIMEOUT = 5
# A slowloris client sends a byte this often; a send finds a closed connection one or two
# periods after the server closed it.
SLOWLORIS_PERIOD = 3
FD_BOUND = 50
MARK_WINDOW = 8
API = policy_fixture.API_HOST
REMOTE = "gw-remote"
JWKS_PATH = "/jwks.json"
# Classes whose requests the policy allows; any other allowed answer is a failure.
ALLOWED_CLASSES = {"valid", "churn", "remote", "public"}
# Classes decided by gatepassd as `gatepass eval` decides them (compared on a sample).
EVAL_CLASSES = {"valid", "churn", "remote", "public", "malformed", "stranger", "missing", "expired", "scope"}


def log(message):
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- policies and bundles


def write_remote_policy(directory, jwks_url):
    text = "\n".join([
        "version: 1", f"name: {REMOTE}", f"issuer: {policy_fixture.issuer(REMOTE)}",
        f"audiences: [{policy_fixture.AUDIENCE}]", "algorithms: [RS256]", "requireExpiration: true",
        f"jwksUri: {jwks_url}", "allowInsecureJwksUri: true",
        "jwksRefresh: {default: 2s, min: 1s, max: 3s, maxStale: 1h, cooldown: 1s}",
        "token:", "  from: header", "  name: X-Remote-Token", "  passthrough: false",
        "forwardClaims:", "  sub: x-remote-user",
        "authorization:", "  mode: blacklist", "  rules:", f"    - {{ domain: {API}, path: \"/remote/**\" }}",
    ]) + "\n"
    with open(os.path.join(directory, f"{REMOTE}.yaml"), "w") as out:
        out.write(text)


def compile_signed(policies, output, revision, key):
    result = run([GATEPASS, "compile", policies, "-o", output, "--revision", revision, "--sign-key", key, "--fetch-jwks"])
    if result.returncode != 0:
        raise RuntimeError(f"gatepass compile {revision}: {result.stdout}{result.stderr}")


# ---------------------------------------------------------------- requests


class Traffic:
    """The request classes: (class, target, headers) for one request."""

    def __init__(self, keys, remote_key, churn_count):
        self.keys = keys
        self.remote_key = remote_key
        self.valid = keys.token()
        self.remote = self.remote_token("carol")
        self.stranger = keys.token(key=keys.stranger)
        self.expired = keys.expired()
        self.scope = keys.token(scope="other")
        self.churn = []
        started = time.monotonic()
        now = int(time.time())
        for index in range(churn_count):
            # Signed with the key object (policy_fixture's token() reloads the PEM each time: slow).
            claims = {"iss": policy_fixture.issuer("gw-api"), "aud": policy_fixture.AUDIENCE, "sub": f"user-{index}",
                      "email": f"user-{index}@example.com", "scope": "api:read", "iat": now - 10, "exp": now + 1800}
            self.churn.append(jwt.encode(claims, keys.good, algorithm="RS256", headers={"kid": policy_fixture.KID}))
        log(f"signed {churn_count} distinct tokens in {time.monotonic() - started:.1f}s")
        self.churn_next = 0
        self.lock = threading.Lock()

    def remote_token(self, sub):
        now = int(time.time())
        claims = {"iss": policy_fixture.issuer(REMOTE), "aud": policy_fixture.AUDIENCE, "sub": sub,
                  "iat": now - 10, "exp": now + 3600}
        return jwt.encode(claims, self.remote_key, algorithm="RS256", headers={"kid": "soak-remote-1"})

    def make(self, kind):
        bearer = lambda token: [("Authorization", "Bearer " + token)]  # noqa: E731
        if kind == "valid":
            return "/admin/orders", bearer(self.valid)
        if kind == "churn":
            with self.lock:
                token = self.churn[self.churn_next % len(self.churn)]
                self.churn_next += 1
            return f"/admin/users/{self.churn_next % 97}", bearer(token)
        if kind == "remote":
            return "/remote/items", [("X-Remote-Token", self.remote)]
        if kind == "public":
            return "/public/page", []
        if kind == "malformed":
            garbage = random.choice(["x.y", "a.b.c", "....", "eyJhbGciOiJub25lIn0.e30.", "%00%ff" * 8,
                                     self.valid[:-7] + "AAAAAAA", self.valid.replace(".", "..", 1)])
            return "/admin/orders", bearer(garbage)
        if kind == "stranger":
            return "/admin/orders", bearer(self.stranger)
        if kind == "expired":
            return "/admin/orders", bearer(self.expired)
        if kind == "scope":
            return "/admin/orders", bearer(self.scope)
        if kind == "missing":
            return "/admin/orders", []
        if kind == "oversized":
            return "/admin/orders", [("X-Big", "a" * random.choice([40_000, 70_000, 200_000]))]
        if kind == "many":
            return "/admin/orders", [(f"X-H{index}", "v" * 50) for index in range(random.choice([150, 400, 1000]))]
        raise ValueError(kind)


# The storm's mix per transport (weights); the quiet run sends only `valid`.
STORM_MIX = {"valid": 30, "churn": 25, "remote": 8, "public": 6, "malformed": 8, "stranger": 4,
             "expired": 3, "scope": 3, "missing": 5, "oversized": 4, "many": 4}


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.records = []     # dicts: phase, transport, kind, status, allowed, latency, revision, request
        self.errors = collections.Counter()

    def add(self, record):
        with self.lock:
            self.records.append(record)


class State:
    def __init__(self):
        self.phase = "quiet"
        self.revision = None          # the revision gatepassd reports (admin /readyz)
        self.stop = threading.Event()
        self.storm = threading.Event()


def send(transport, ports, target, headers, timeout=10):
    if transport == "envoy":
        return raw_request(ports["envoy"], "GET", target, API, headers, timeout=timeout)
    return raw_request(ports["forward-auth"], "GET", "/", "127.0.0.1",
                       [("X-Forwarded-Method", "GET"), ("X-Forwarded-Uri", target), ("X-Forwarded-Host", API), *headers],
                       timeout=timeout)


def is_allowed(transport, response):
    if transport == "envoy":
        return response.status == 200 and response.reached_upstream
    return response.status == 200


def load_worker(transport, rate, ports, traffic, recorder, state, seed):
    """Sends at a fixed rate (absolute schedule; a late send is sent at once, not skipped)."""
    rng = random.Random(seed)
    kinds, weights = zip(*STORM_MIX.items())
    interval = 1.0 / rate
    next_time = time.monotonic()
    while not state.stop.is_set():
        now = time.monotonic()
        if next_time > now:
            state.stop.wait(next_time - now)
            continue
        next_time += interval
        if next_time < now - 1.0:
            next_time = now  # more than a second behind: the machine is saturated; do not burst
            recorder.errors["schedule_slip"] += 1
        phase = state.phase
        kind = "valid" if phase == "quiet" else rng.choices(kinds, weights)[0]
        target, headers = traffic.make(kind)
        revision = state.revision
        started = time.monotonic()
        try:
            response = send(transport, ports, target, headers)
        except (OSError, Exception) as error:  # noqa: B014
            recorder.errors[f"{transport}:{kind}:{type(error).__name__}"] += 1
            recorder.add({"phase": phase, "transport": transport, "kind": kind, "status": None, "allowed": False,
                          "latency": time.monotonic() - started, "revision": revision, "request": None})
            continue
        latency = time.monotonic() - started
        answered = response.header("x-gatepass-revision")
        record = {"phase": phase, "transport": transport, "kind": kind, "status": response.status,
                  "allowed": is_allowed(transport, response), "latency": latency,
                  "revision": answered or revision, "revision_from": "header" if answered else "readyz",
                  "request": None}
        if kind in EVAL_CLASSES and (kind != "valid" or rng.random() < 0.2):
            record["request"] = (target, headers)
            record["time"] = time.time()
        if transport == "envoy" and response.status == 200 and not response.reached_upstream:
            recorder.errors["envoy_200_without_upstream"] += 1
        recorder.add(record)


# ---------------------------------------------------------------- hostile clients


def slowloris(port, state, count, counters, name):
    """Keeps `count` connections that send a request's headers one byte every few seconds.
    At the end, `<name>_oldest_open_ms` is the age of the oldest one still open."""
    sockets = []  # (socket, when it was opened)
    partial = b"GET /admin/orders HTTP/1.1\r\nHost: " + API.encode() + b"\r\nX-Slow: "
    while not state.stop.is_set():
        while len(sockets) < count and not state.stop.is_set():
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=2)
                sock.sendall(partial)
                sockets.append((sock, time.monotonic()))
                counters[name + "_opened"] += 1
            except OSError:
                counters[name + "_connect_failed"] += 1
                break
        alive = []
        for sock, opened in sockets:
            try:
                sock.sendall(b"a")
                alive.append((sock, opened))
            except OSError:
                counters[name + "_closed_by_server"] += 1
                sock.close()
        sockets = alive
        state.stop.wait(SLOWLORIS_PERIOD)
    now = time.monotonic()
    counters[name + "_oldest_open_ms"] = max((int((now - opened) * 1000) for _, opened in sockets), default=0)
    for sock, _ in sockets:
        sock.close()


def open_and_drop(ports, state, counters, rate=20):
    """Connections opened and dropped: at once, after half a request, with RST (SO_LINGER 0)."""
    rng = random.Random(7)
    while not state.stop.is_set():
        port = rng.choice(list(ports))
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            style = rng.randrange(3)
            if style >= 1:
                sock.sendall(b"GET /admin/orders HTTP/1.1\r\nHost: api.gatepass.test\r\nAuthoriz")
            if style == 2:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            counters["dropped_connections"] += 1
        except OSError:
            counters["drop_connect_failed"] += 1
        state.stop.wait(1.0 / rate)


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(kind, flags, stream, payload, length=None):
    size = len(payload) if length is None else length
    return struct.pack(">I", size)[1:] + bytes([kind, flags]) + struct.pack(">I", stream & 0x7FFFFFFF) + payload


def h2_garbage(port, state, counters, rate=10):
    """Garbage and invalid HTTP/2 frames on the gRPC port."""
    rng = random.Random(11)
    cases = [
        lambda: os.urandom(rng.randrange(1, 4096)),
        lambda: PREFACE + os.urandom(rng.randrange(1, 512)),
        lambda: PREFACE + frame(4, 0, 0, b"") + frame(1, 4, 0, b"\x82\x86"),            # HEADERS on stream 0
        lambda: PREFACE + frame(4, 0, 0, b"\x00" * 5),                                   # SETTINGS of bad length
        lambda: PREFACE + frame(4, 0, 0, b"") + frame(0, 1, 1, b"x" * 10),               # DATA on an idle stream
        lambda: PREFACE + frame(4, 0, 0, b"") + frame(1, 4, 1, os.urandom(64)),          # HEADERS with garbage HPACK
        lambda: PREFACE + frame(4, 0, 0, b"") + frame(0, 0, 1, b"", length=16_000_000),  # a frame larger than allowed
        lambda: PREFACE + frame(4, 0, 0, b"") + frame(9, 0, 1, b"\x00" * 8),             # CONTINUATION without HEADERS
        lambda: PREFACE + frame(4, 0, 0, b"") + frame(8, 0, 0, b"\x00\x00\x00\x00"),     # WINDOW_UPDATE of 0
        lambda: PREFACE + frame(4, 0, 0, b"") + b"".join(frame(6, 0, 0, b"12345678") for _ in range(200)),  # PING flood
        lambda: PREFACE + frame(4, 0, 0, b"") + b"".join(frame(3, 0, 2 * n + 1, b"\x00\x00\x00\x08") for n in range(300)),
        lambda: b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    ]
    while not state.stop.is_set():
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            sock.settimeout(1)
            sock.sendall(rng.choice(cases)())
            try:
                sock.recv(65536)
            except OSError:
                pass
            sock.close()
            counters["h2_garbage_sent"] += 1
        except OSError:
            counters["h2_garbage_connect_failed"] += 1
        state.stop.wait(1.0 / rate)


def bundle_reloader(work, bundle_path, good, key_wrong, policies, service, state, counters, timeline, problems, every):
    """Every `every` seconds renames a new file over the watched bundle: the next good one
    (awaited active), corrupt bytes, or one signed by an untrusted key (both refused)."""
    cycle = ["good", "corrupt", "good", "wrong-signature"]
    index = 0
    good_index = 1
    while not state.stop.wait(every):
        kind = cycle[index % len(cycle)]
        index += 1
        temporary = os.path.join(work, f".next-{index}.gpb")
        errors_before = bs.metric(service, 'gatepass_bundle_activations_total{result="error"}') or 0
        if kind == "good":
            if good_index >= len(good):
                continue
            revision, path = good[good_index]
            good_index += 1
            shutil.copyfile(path, temporary)
        elif kind == "corrupt":
            with open(good[0][1], "rb") as source:
                data = bytearray(source.read())
            for _ in range(8):
                position = random.randrange(len(data))
                data[position] ^= 0xFF
            if random.random() < 0.3:
                data = bytearray(os.urandom(random.randrange(1, 5000)))
            with open(temporary, "wb") as out:
                out.write(data)
        else:
            shutil.copyfile(key_wrong, temporary)
        os.rename(temporary, bundle_path)
        counters[f"bundle_{kind}"] += 1
        try:
            if kind == "good":
                bs.wait_for(lambda: bs.revision_of(service) == revision, f"revision {revision} active", 20, [service])
                state.revision = revision
                timeline.append((time.time(), revision))
            else:
                bs.wait_for(lambda: (bs.metric(service, 'gatepass_bundle_activations_total{result="error"}') or 0) > errors_before,
                            f"a {kind} bundle refused", 20, [service])
                still = bs.revision_of(service)
                if still != state.revision:
                    problems.append(f"after a {kind} bundle the revision is {still}, not {state.revision}")
        except TimeoutError as error:
            problems.append(str(error).splitlines()[0])


def jwks_faults(client, good_set, state, counters, every):
    """The JWKS server cycles: good, 500s, good, hangs (longer than --jwks-timeout), good."""
    cycle = [("500", {"status": 500, "body": "down"}), ("good", None), ("hang", {"json": good_set, "delay": 4}),
             ("good", None), ("garbage", {"status": 200, "body": "{not json"}), ("good", None)]
    index = 0
    while not state.stop.wait(every):
        name, spec = cycle[index % len(cycle)]
        index += 1
        if spec is None:
            # The same keys, every other time padded: a new ETag, so recovery is a fresh 200 (not only 304s).
            client.route(JWKS_PATH, json=good_set, headers={"Cache-Control": "max-age=1"}, fill=600 if index % 4 == 2 else 0)
        else:
            client.route(JWKS_PATH, headers={"Cache-Control": "max-age=1"}, **spec)
        counters[f"jwks_{name}"] += 1
        if index % 6 == 0:
            client.clear()
    client.route(JWKS_PATH, json=good_set, headers={"Cache-Control": "max-age=1"})


# ---------------------------------------------------------------- measurements


def proc_sample(pid):
    with open(f"/proc/{pid}/status") as status:
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", status.read()).group(1))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def start_time(pid):
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[19]


def jwks_fetches(service):
    """gatepass_jwks_fetches_total summed per `result` label."""
    totals = collections.Counter()
    for line in bs.admin_get(service, "/metrics").body.splitlines():
        if line.startswith("gatepass_jwks_fetches_total{"):
            match = re.search(r'result="([^"]+)"', line)
            totals[match.group(1) if match else "?"] += float(line.split()[-1])
    return totals


def token_cache_counters(service):
    """gatepass_token_cache_{hits,misses,evictions}_total, by short name."""
    totals = collections.Counter()
    for line in bs.admin_get(service, "/metrics").body.splitlines():
        match = re.match(r"gatepass_token_cache_(hits|misses|evictions)_total(?:\{[^}]*\})? (\S+)$", line)
        if match:
            totals[match.group(1)] += float(match.group(2))
    return totals


def percentiles(values):
    if not values:
        return (float("nan"),) * 3
    ordered = sorted(values)

    def at(fraction):
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000
    return at(0.50), at(0.90), at(0.99)


def eval_sample(records, bundles, trusted_key, limit_per_revision):
    """Decisions of `gatepass eval` for the sampled requests, per revision: mismatches."""
    by_revision = collections.defaultdict(list)
    for record in records:
        if record.get("request") and record["status"] is not None and record["revision"] in bundles:
            by_revision[record["revision"]].append(record)
    mismatches, compared = [], 0
    for revision, items in sorted(by_revision.items()):
        random.Random(revision).shuffle(items)
        items = items[:limit_per_revision]
        lines = []
        for record in items:
            target, headers = record["request"]
            merged = {}
            for name, value in headers:
                merged.setdefault(name, []).append(value)
            lines.append(json.dumps({"method": "GET", "host": API, "path": target, "headers": merged}))
        result = run([GATEPASS, "eval", "--bundle", bundles[revision], "--trusted-key", trusted_key, "--requests", "-"],
                     input="\n".join(lines) + "\n")
        if result.returncode != 0:
            mismatches.append(f"gatepass eval failed for {revision}: {result.stderr[:500]}")
            continue
        decisions = [json.loads(line) for line in result.stdout.splitlines()]
        for record, decision in zip(items, decisions):
            compared += 1
            expected = decision["status"]
            got = record["status"]
            if record["transport"] == "envoy" and expected == 200:
                ok = record["allowed"]
            else:
                ok = got == expected
            if not ok:
                mismatches.append(f"{revision} {record['transport']} {record['kind']} {record['request'][0]}: "
                                  f"served {got}, eval {expected} ({decision.get('reason')})")
    return compared, mismatches


# ---------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=120, help="length of the storm (default 120)")
    parser.add_argument("--quiet-seconds", type=int, default=None, help="length of the quiet run (default seconds/6, 10..30)")
    parser.add_argument("--rate", type=float, default=40, help="requests per second per transport (default 40)")
    parser.add_argument("--churn", type=int, default=10_000, help="distinct valid tokens (default 10000)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    quiet_seconds = args.quiet_seconds or max(10, min(30, args.seconds // 6))
    warmup = max(10, args.seconds // 5)

    work = tempfile.mkdtemp(prefix="gatepass-soak-")
    log(f"work directory {work}; gatepassd {GATEPASSD}; envoy {ENVOY}")
    services = []
    failed = True
    state = State()
    threads = []

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    try:
        keys = policy_fixture.Keys()
        from cryptography.hazmat.primitives.asymmetric import rsa
        remote_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = remote_key.public_key().public_numbers()
        good_set = {"keys": [{"kty": "RSA", "kid": "soak-remote-1", "alg": "RS256", "use": "sig",
                              "n": policy_fixture.b64url_uint(numbers.n), "e": policy_fixture.b64url_uint(numbers.e)}]}

        upstream = Service("echo-upstream", [sys.executable, os.path.join(HERE, "echo_upstream.py"), "0"], work)
        services.append(upstream)
        upstream.port = int(upstream.wait_for_line("echo-upstream listening", timeout=20).split()[-1])
        idp = jwks_server.start_jwks_server(work)
        services.append(idp)
        idp.client.route(JWKS_PATH, json=good_set, headers={"Cache-Control": "max-age=1"})

        policies = policy_fixture.write_policies(os.path.join(work, "policies"), keys, "full")
        write_remote_policy(policies, idp.client.url(JWKS_PATH))
        trusted_private, trusted_public = bs.signing_key(work, "trusted")
        other_private, _ = bs.signing_key(work, "untrusted")
        reload_every = 4
        count = args.seconds // reload_every // 2 + 3
        good = []
        started = time.monotonic()
        for number in range(count):
            revision = f"soak-{number:03d}"
            path = os.path.join(work, f"{revision}.gpb")
            compile_signed(policies, path, revision, trusted_private)
            good.append((revision, path))
        wrong = os.path.join(work, "wrong-signature.gpb")
        compile_signed(policies, wrong, "soak-untrusted", other_private)
        log(f"compiled {count} signed bundles (+1 signed by an untrusted key) in {time.monotonic() - started:.1f}s")
        bundles = dict(good)

        bundle_path = os.path.join(work, "bundle.gpb")
        shutil.copyfile(good[0][1], bundle_path)
        service = bs.start_gatepassd(GATEPASSD, work, "gatepassd",
                                     ["--bundle", bundle_path, "--trusted-key", trusted_public, "--grpc", "127.0.0.1:0"],
                                     ["--jwks-timeout", "1s", "--jwks-refetch-budget", "1s", "--idle-timeout", "20s",
                                      "--request-read-timeout", f"{HEAD_TIMEOUT}s",
                                      "--token-cache-size", str(TOKEN_CACHE_SIZE), "--log-level", "notice"])
        services.append(service)
        bs.wait_for(lambda: bs.revision_of(service) == good[0][0], "gatepassd ready", 30, services)
        state.revision = good[0][0]
        pid, pid_start = service.pid, start_time(service.pid)

        listen = free_port()
        config = run([GATEPASS, "gateway-config", "envoy-grpc", policies, "--service", f"127.0.0.1:{service.ports['grpc']}",
                      "--upstream", f"127.0.0.1:{upstream.port}", "--listen", f"127.0.0.1:{listen}", "--timeout-ms", "3000"])
        if config.returncode != 0:
            raise RuntimeError("gateway-config: " + config.stderr)
        envoy_dir = os.path.join(work, "envoy")
        os.makedirs(envoy_dir)
        with open(os.path.join(envoy_dir, "envoy.yaml"), "w") as out:
            out.write(config.stdout)
        envoy = Service("envoy", [ENVOY, "-c", os.path.join(envoy_dir, "envoy.yaml"), "--concurrency", "1",
                                  "--disable-hot-restart", "-l", "warning"], envoy_dir)
        services.append(envoy)
        envoy.wait_until(lambda: raw_request(listen, "GET", "/public/ready", API, timeout=2).reached_upstream,
                         "a public request through Envoy", timeout=60)
        envoy_pid, envoy_start = envoy.pid, start_time(envoy.pid)
        ports = {"envoy": listen, "forward-auth": service.ports["forward-auth"]}
        log(f"gatepassd pid {pid} grpc={service.ports['grpc']} forward-auth={ports['forward-auth']} "
            f"admin={service.ports['admin']}; envoy pid {envoy_pid} on {listen}")

        traffic = Traffic(keys, remote_key, args.churn)
        # Every class answers as expected once before the clock starts (a broken setup fails early).
        for transport in ports:
            for kind, expect in (("valid", True), ("remote", True), ("missing", False)):
                target, headers = traffic.make(kind)
                response = send(transport, ports, target, headers)
                if is_allowed(transport, response) != expect:
                    raise RuntimeError(f"setup check: {transport} {kind} answered {response!r}")

        recorder = Recorder()
        counters = collections.Counter()
        problems = []
        timeline = [(time.time(), good[0][0])]
        samples = []   # (monotonic, phase, rss kB, fds)

        workers_per_transport = 6
        for transport in ports:
            for number in range(workers_per_transport):
                threads.append(threading.Thread(target=load_worker, daemon=True,
                                                args=(transport, args.rate / workers_per_transport, ports, traffic,
                                                      recorder, state, hash((transport, number)))))

        def sampler():
            while not state.stop.wait(1):
                try:
                    rss, fds = proc_sample(pid)
                    samples.append((time.monotonic(), state.phase, rss, fds))
                except OSError:
                    problems.append("gatepassd's /proc entry vanished")
                    return
        threads.append(threading.Thread(target=sampler, daemon=True))
        for thread in threads:
            thread.start()
        log(f"quiet run: {quiet_seconds}s of valid traffic, {args.rate:g}/s per transport")
        time.sleep(quiet_seconds)  # the measured interval itself, not a readiness wait

        log(f"storm: {args.seconds}s (warm-up {warmup}s)")
        state.phase = "storm"
        fetches_before = jwks_fetches(service)
        cache_before = token_cache_counters(service)
        storm_threads = [
            threading.Thread(target=slowloris, args=(ports["forward-auth"], state, 40, counters, "slowloris_fa"), daemon=True),
            threading.Thread(target=slowloris, args=(ports["envoy"], state, 20, counters, "slowloris_envoy"), daemon=True),
            threading.Thread(target=slowloris, args=(service.ports["grpc"], state, 20, counters, "slowloris_grpc"), daemon=True),
            threading.Thread(target=open_and_drop, args=([ports["forward-auth"], ports["envoy"], service.ports["grpc"]], state, counters), daemon=True),
            threading.Thread(target=h2_garbage, args=(service.ports["grpc"], state, counters), daemon=True),
            threading.Thread(target=bundle_reloader, args=(work, bundle_path, good, wrong, policies, service, state, counters,
                                                            timeline, problems, reload_every), daemon=True),
            threading.Thread(target=jwks_faults, args=(idp.client, good_set, state, counters, 5), daemon=True),
        ]
        for thread in storm_threads:
            thread.start()
        threads += storm_threads
        storm_started = time.monotonic()
        # RSS and FDs, sampled every second: each mark is the peak over a window of
        # MARK_WINDOW seconds (slowloris connections closed and reopened every few seconds
        # move the FD count by up to their number), at the end of warm-up and of the storm.
        samples = []  # (seconds into the storm, rss kB, fds)
        while time.monotonic() - storm_started < args.seconds:
            time.sleep(1)  # the storm's clock
            elapsed = time.monotonic() - storm_started
            if elapsed >= warmup:
                state.phase = "storm"
                if service.running():
                    samples.append((elapsed, *proc_sample(pid)))
            if not service.running() or not envoy.running():
                problems.append("a process exited during the storm")
                break

        def peak(window):
            inside = [sample for sample in samples if window[0] <= sample[0] < window[1]]
            return (max(s[1] for s in inside), max(s[2] for s in inside)) if inside else None
        warm_mark = peak((warmup, warmup + MARK_WINDOW))
        end_mark = peak((args.seconds - MARK_WINDOW, args.seconds + 1)) if service.running() else None
        state.stop.set()
        for thread in threads:
            thread.join(timeout=30)
        log("storm over; checking")

        # ------------------------------------------------------------ assertions
        results = []  # (assertion, value, bound, ok)
        alive = service.running() and os.path.exists(f"/proc/{pid}") and start_time(pid) == pid_start
        results.append(("gatepassd alive, same PID, never restarted", f"pid {pid}", "alive", alive))
        envoy_alive = envoy.running() and start_time(envoy_pid) == envoy_start
        results.append(("Envoy alive, same PID", f"pid {envoy_pid}", "alive", envoy_alive))
        ready = raw_request(service.ports["admin"], "GET", "/readyz", "127.0.0.1", timeout=5).status if alive else None
        results.append(("gatepassd ready after the storm", str(ready), "200", ready == 200))

        records = recorder.records
        wrongly_allowed = [r for r in records if r["allowed"] and r["kind"] not in ALLOWED_CLASSES]
        results.append(("allowed answers to requests the policy denies", str(len(wrongly_allowed)), "0", not wrongly_allowed))
        compared, mismatches = eval_sample(records, bundles, trusted_public, 400)
        results.append(("sampled decisions differing from `gatepass eval`", f"{len(mismatches)} of {compared}", "0",
                        not mismatches and compared > 0))
        valid_quiet = [r for r in records if r["phase"] == "quiet" and r["kind"] == "valid"]
        valid_storm = [r for r in records if r["phase"] == "storm" and r["kind"] in ("valid",)]
        failed_valid = [r for r in valid_storm + valid_quiet if not r["allowed"]]
        results.append(("valid requests not allowed", f"{len(failed_valid)} of {len(valid_storm) + len(valid_quiet)}", "0",
                        not failed_valid))
        if warm_mark and end_mark:
            rss_growth = (end_mark[0] - warm_mark[0]) / 1024
            fd_growth = end_mark[1] - warm_mark[1]
            results.append(("gatepassd RSS growth after warm-up (peaks of 8 s windows)", f"{rss_growth:+.1f} MiB ({warm_mark[0] / 1024:.1f} -> {end_mark[0] / 1024:.1f})",
                            f"<= {RSS_BOUND_MIB} MiB", rss_growth <= RSS_BOUND_MIB))
            results.append(("gatepassd open FDs growth after warm-up (peaks of 8 s windows)", f"{fd_growth:+d} ({warm_mark[1]} -> {end_mark[1]})",
                            f"<= {FD_BOUND}", fd_growth <= FD_BOUND))
        else:
            results.append(("RSS/FD samples", "missing", "present", False))
        results.append(("bundle reload problems", str(len(problems)), "0", not problems))
        revisions_seen = len(timeline)
        results.append(("good bundle revisions activated during the storm", str(revisions_seen - 1), ">= 1", revisions_seen > 1))
        fetches = jwks_fetches(service) if alive else collections.Counter()
        fetches.subtract(fetches_before)
        fetch_text = ", ".join(f"{name} {int(number)}" for name, number in sorted(fetches.items()))
        results.append(("JWKS fetches during the storm (gatepass_jwks_fetches_total)", fetch_text or "none",
                        "ok >= 1, error >= 1, invalid >= 1",
                        fetches["ok"] >= 1 and fetches["error"] >= 1 and fetches["invalid"] >= 1))
        cache = token_cache_counters(service) if alive else collections.Counter()
        cache.subtract(cache_before)
        cache_text = ", ".join(f"{name} {int(cache[name])}" for name in ("hits", "misses", "evictions"))
        results.append((f"verified-token cache during the storm (--token-cache-size {TOKEN_CACHE_SIZE})", cache_text,
                        "hits >= 1, evictions >= 1", cache["hits"] >= 1 and cache["evictions"] >= 1))
        remote_storm = [r for r in records if r["phase"] == "storm" and r["kind"] == "remote"]
        remote_denied = [r for r in remote_storm if not r["allowed"]]
        results.append(("remote-key (jwksUri) tokens denied during JWKS faults", f"{len(remote_denied)} of {len(remote_storm)}",
                        "0 (stale-while-error)", not remote_denied and bool(remote_storm)))
        slow_closed = counters["slowloris_fa_closed_by_server"]
        results.append((f"forward-auth slowloris connections closed by gatepassd (--request-read-timeout {HEAD_TIMEOUT}s)",
                        f"{slow_closed} of {counters['slowloris_fa_opened']} opened", ">= 1 (each reopened at once)", slow_closed >= 1))
        # Every trickling connection is closed at its deadline: none still open at the end
        # is older than the deadline plus the two send periods it may take to notice.
        oldest = counters["slowloris_fa_oldest_open_ms"] / 1000
        bound = HEAD_TIMEOUT + 2 * SLOWLORIS_PERIOD + 1
        results.append(("oldest forward-auth slowloris connection still open at the end", f"{oldest:.1f} s",
                        f"<= {bound} s", oldest <= bound))
        closed = sum(number for name, number in counters.items() if name.endswith("_closed_by_server"))
        log(f"slowloris: held open without a complete request: forward-auth {counters['slowloris_fa_opened'] - counters['slowloris_fa_closed_by_server']}"
            f" of {counters['slowloris_fa_opened']}, envoy {counters['slowloris_envoy_opened'] - counters['slowloris_envoy_closed_by_server']}"
            f" of {counters['slowloris_envoy_opened']}; closed by a server: {closed}")

        print()
        print("| assertion | measured | bound | result |")
        print("|---|---|---|---|")
        for name, value, bound, ok in results:
            print(f"| {name} | {value} | {bound} | {'pass' if ok else 'FAIL'} |")
        print()
        print("| valid requests (ms) | transport | count | p50 | p90 | p99 |")
        print("|---|---|---|---|---|---|")
        for phase, items in (("quiet", valid_quiet), ("storm", valid_storm)):
            for transport in ports:
                latencies = [r["latency"] for r in items if r["transport"] == transport and r["status"] is not None]
                p50, p90, p99 = percentiles(latencies)
                print(f"| {phase} | {transport} | {len(latencies)} | {p50:.1f} | {p90:.1f} | {p99:.1f} |")
        print()
        by_kind = collections.Counter((r["transport"], r["kind"], r["status"]) for r in records if r["phase"] == "storm")
        print("| storm requests | transport | status | count |")
        print("|---|---|---|---|")
        for (transport, kind, status), number in sorted(by_kind.items(), key=lambda item: (item[0][0], item[0][1], str(item[0][2]))):
            print(f"| {kind} | {transport} | {status if status is not None else 'no answer'} | {number} |")
        print()
        print("| hostile actions | count |")
        print("|---|---|")
        for name, number in sorted(counters.items()):
            print(f"| {name} | {number} |")
        print(f"| client errors (no answer) | {sum(recorder.errors.values())} |")
        print()
        if recorder.errors:
            log("client-side errors: " + ", ".join(f"{k}={v}" for k, v in recorder.errors.most_common(15)))
        for problem in problems[:20]:
            log("problem: " + problem)
        for mismatch in mismatches[:20]:
            log("mismatch: " + mismatch)
        for record in wrongly_allowed[:20]:
            log(f"wrongly allowed: {record['transport']} {record['kind']} {record['status']}")
        failed = not all(ok for _, _, _, ok in results)
        log("RESULT: " + ("FAIL" if failed else "PASS"))
    except BaseException as error:
        log(f"soak aborted: {type(error).__name__}: {error}")
        failed = True
    finally:
        state.stop.set()
        if failed:
            for service_ in services:
                print(service_.logs(limit=6000))
        for service_ in reversed(services):
            try:
                service_.stop()
            except Exception as error:  # noqa: BLE001
                log(f"stopping {service_.name}: {error}")
        if args.keep or failed:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
