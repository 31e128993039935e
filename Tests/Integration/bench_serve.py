"""scripts/bench-serve: requests per second and p50/p99/p99.9 latency through real
gateways, with and without Gatepass, measured with wrk in one run on this machine.

Setups: Envoy alone (the floor), Envoy + its own jwt_authn (the peer), Envoy + ext_authz
gRPC -> gatepassd, Envoy + ext_authz HTTP -> gatepassd, nginx alone, nginx + auth_request
-> gatepassd; each for a valid RS256 token, a valid ES256 token and a public path. The
upstream is an nginx answering 200 from memory (a Python upstream would be the
bottleneck). Envoy runs with --concurrency 1; wrk with 1 thread and BENCH_CONNECTIONS
connections for BENCH_SECONDS (at most 20) per case. Configurations are the ones
`gatepass gateway-config` writes.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import conftest
import harness
from harness import Service, free_port, raw_request, run
from policy_fixture import b64url_uint

HOST = "bench.gatepass.test"
SECONDS = min(20, int(os.environ.get("BENCH_SECONDS", "10")))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
LUA = """done = function(summary, latency, requests)
  io.write(string.format("GATEPASS-BENCH rps=%.1f p50=%d p99=%d p999=%d errors=%d non2xx=%d\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
"""


class BenchKeys:
    def __init__(self):
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())

    def jwks(self, which):
        if which == "rs":
            numbers = self.rsa.public_key().public_numbers()
            return {"kty": "RSA", "kid": "bench-rs", "alg": "RS256", "n": b64url_uint(numbers.n), "e": b64url_uint(numbers.e)}
        numbers = self.ec.public_key().public_numbers()
        return {"kty": "EC", "crv": "P-256", "kid": "bench-es", "alg": "ES256",
                "x": b64url_uint(numbers.x).rjust(43, "A"), "y": b64url_uint(numbers.y).rjust(43, "A")}

    def token(self, which):
        now = int(time.time())
        key = self.rsa if which == "rs" else self.ec
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        claims = {"iss": f"https://bench-{which}.gatepass.test", "aud": "bench", "sub": "alice", "iat": now - 10, "exp": now + 3600}
        return jwt.encode(claims, pem, algorithm="RS256" if which == "rs" else "ES256", headers={"kid": f"bench-{which}"})


def write_policies(directory, keys):
    import json
    os.makedirs(directory, exist_ok=True)
    for which, alg in (("rs", "RS256"), ("es", "ES256")):
        with open(os.path.join(directory, f"bench-{which}.yaml"), "w") as out:
            out.write(f"""version: 1
name: bench-{which}
issuer: https://bench-{which}.gatepass.test
audiences: [bench]
algorithms: [{alg}]
jwks: |
  {json.dumps({"keys": [keys.jwks(which)]})}
forwardClaims:
  sub: x-user-id
authorization:
  mode: blacklist
  rules:
    - {{ domain: {HOST}, path: /{which}/** }}
""")
    return directory


def fast_upstream(directory):
    port = free_port()
    os.makedirs(directory, exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""
    with open(os.path.join(directory, "nginx.conf"), "w") as out:
        out.write(f"{user}worker_processes 1;\npid {directory}/nginx.pid;\nerror_log {directory}/error.log warn;\n"
                  "events { worker_connections 1024; }\nhttp {\n    access_log off;\n"
                  f"    client_body_temp_path {directory}/body;\n    proxy_temp_path {directory}/proxy;\n"
                  f"    fastcgi_temp_path {directory}/fastcgi;\n    uwsgi_temp_path {directory}/uwsgi;\n    scgi_temp_path {directory}/scgi;\n"
                  f"    server {{ listen 127.0.0.1:{port}; location / {{ return 200 'ok'; }} }}\n}}\n")
    service = Service("upstream-nginx", [conftest.NGINX, "-p", directory, "-c", f"{directory}/nginx.conf", "-g", "daemon off;"], directory)
    service.wait_until(lambda: raw_request(port, "GET", "/", HOST, timeout=2).status == 200, "the upstream")
    service.port = port
    return service


def plain_envoy(listen, upstream_port):
    return f"""static_resources:
  listeners:
  - name: plain
    address: {{ socket_address: {{ address: 127.0.0.1, port_value: {listen} }} }}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: plain
          route_config:
            virtual_hosts:
            - {{ name: all, domains: ["*"], routes: [{{ match: {{ prefix: "/" }}, route: {{ cluster: upstream }} }}] }}
          http_filters:
          - name: envoy.filters.http.router
            typed_config: {{ "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }}
  clusters:
  - name: upstream
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: upstream
      endpoints: [{{ lb_endpoints: [{{ endpoint: {{ address: {{ socket_address: {{ address: 127.0.0.1, port_value: {upstream_port} }} }} }} }}] }}]
"""


def jwt_authn_envoy(listen, upstream_port, keys):
    import json
    config = plain_envoy(listen, upstream_port)
    providers = "".join(f"""
                bench_{which}:
                  issuer: https://bench-{which}.gatepass.test
                  audiences: [bench]
                  local_jwks: {{ inline_string: {json.dumps(json.dumps({"keys": [keys.jwks(which)]}))} }}
                  from_headers: [{{ name: Authorization, value_prefix: "Bearer " }}]
                  claim_to_headers: [{{ header_name: x-user-id, claim_name: sub }}]""" for which in ("rs", "es"))
    rules = "".join(f"""
              - match: {{ prefix: "/{which}/" }}
                requires: {{ provider_name: bench_{which} }}""" for which in ("rs", "es"))
    jwt_filter = f"""          - name: envoy.filters.http.jwt_authn
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication
              providers:{providers}
              rules:{rules}
"""
    return config.replace("          - name: envoy.filters.http.router\n", jwt_filter + "          - name: envoy.filters.http.router\n")


def wrk(port, path, token, directory):
    script = os.path.join(directory, "report.lua")
    with open(script, "w") as out:
        out.write(LUA)
    argv = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--timeout", "5s", "-s", script, "-H", f"Host: {HOST}"]
    if token:
        argv += ["-H", f"Authorization: Bearer {token}"]
    result = subprocess.run(argv + [f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, timeout=SECONDS + 30)
    match = re.search(r"GATEPASS-BENCH rps=([\d.]+) p50=(\d+) p99=(\d+) p999=(\d+) errors=(\d+) non2xx=(\d+)", result.stdout)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")
    return {"rps": float(match[1]), "p50": int(match[2]), "p99": int(match[3]), "p999": int(match[4]),
            "errors": int(match[5]), "non2xx": int(match[6])}


def protobuf_field(number, payload):
    """A length-delimited protobuf field (wire type 2)."""
    def varint(value):
        out = bytearray()
        while True:
            byte = value & 0x7F
            value >>= 7
            out.append(byte | (0x80 if value else 0))
            if not value:
                return bytes(out)
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def check_request(method, host, path, headers):
    """An ext_authz v3 CheckRequest, encoded by hand: attributes(1).request(4).http(2)
    with method(2), headers(3, map entries key 1 / value 2), path(4), host(5)."""
    http = protobuf_field(2, method.encode()) + protobuf_field(5, host.encode()) + protobuf_field(4, path.encode())
    for name, value in headers:
        http += protobuf_field(3, protobuf_field(1, name.encode()) + protobuf_field(2, value.encode()))
    return protobuf_field(1, protobuf_field(4, protobuf_field(2, http)))


FIXED_RATE = 5000  # requests per second, as issue 9 asks


def fixed_rate_handler_latency(directory, bundle, token, label, extra=()):
    """gatepassd's own handler latency (request received to response written, measured
    inside the service, read from the admin listener's /stats) while h2load sends
    ext_authz gRPC Check requests at a fixed 5,000 per second (10 clients x 500).
    `extra` are gatepassd flags (metrics off, a decision log) for the overhead rows."""
    os.makedirs(directory, exist_ok=True)
    service = conftest.start_gatepassd(directory, bundle, "envoy-grpc", extra)
    try:
        message = check_request("GET", HOST, "/rs/x" if token else "/public/x",
                                [("authorization", "Bearer " + token)] if token else [])
        body = os.path.join(directory, f"check-{label}.bin")
        with open(body, "wb") as handle:
            handle.write(b"\x00" + len(message).to_bytes(4, "big") + message)
        admin = service.ports["admin"]
        raw_request(admin, "POST", "/stats/reset", "127.0.0.1")
        clients = 10
        total = FIXED_RATE * SECONDS
        argv = ["h2load", "-n", str(total), "-c", str(clients), "-m", "1", f"--rps={FIXED_RATE // clients}", "-d", body,
                "-H", "content-type: application/grpc", "-H", "te: trailers",
                f"http://127.0.0.1:{service.port}/envoy.service.auth.v3.Authorization/Check"]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=SECONDS * 3 + 30)
        stats = raw_request(admin, "GET", "/stats", "127.0.0.1").body
        line = next((l for l in stats.splitlines() if l.startswith("transport=grpc")), "")
        fields = dict(re.findall(r"(\w+)=(\S+)", line))
        done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded", result.stdout)
        return {"label": label, "count": fields.get("count"), "p50": fields.get("p50_us"), "p99": fields.get("p99_us"),
                "p999": fields.get("p999_us"), "max": fields.get("max_us"),
                "done": done.group(1) if done else "?", "succeeded": done.group(2) if done else "?"}
    finally:
        service.stop()


def main():
    directory = tempfile.mkdtemp(prefix="gatepass-bench-")
    keys = BenchKeys()
    policies = write_policies(os.path.join(directory, "policies"), keys)
    bundle = os.path.join(directory, "bench.gpb")
    compiled = run([conftest.GATEPASS, "compile", policies, "-o", bundle])
    if compiled.returncode != 0:
        print(compiled.stdout, compiled.stderr)
        return 1
    tokens = {"RS256": keys.token("rs"), "ES256": keys.token("es"), "public": None}
    paths = {"RS256": "/rs/x", "ES256": "/es/x", "public": "/public/x"}
    results = []
    started = []
    try:
        upstream = fast_upstream(os.path.join(directory, "upstream"))
        started.append(upstream)
        setups = [
            ("Envoy alone (no auth)", "envoy", None, lambda listen, _: plain_envoy(listen, upstream.port)),
            ("Envoy + jwt_authn", "envoy", None, lambda listen, _: jwt_authn_envoy(listen, upstream.port, keys)),
            ("Envoy + ext_authz gRPC -> Gatepass", "envoy-grpc", "envoy-grpc", None),
            ("Envoy + ext_authz HTTP -> Gatepass", "envoy-http", "envoy-http", None),
            ("nginx alone (no auth)", "nginx", None, lambda listen, _: f"server {{ listen 127.0.0.1:{listen}; location / {{ proxy_pass http://127.0.0.1:{upstream.port}; proxy_http_version 1.1; proxy_set_header Connection \"\"; }} }}\n"),
            ("nginx + auth_request -> Gatepass", "nginx", "nginx", None),
        ]
        for title, kind, target, render in setups:
            setup_dir = os.path.join(directory, re.sub(r"\W+", "-", title))
            os.makedirs(setup_dir, exist_ok=True)
            service = None
            try:
                listen = free_port()
                if target:
                    service = conftest.start_gatepassd(setup_dir, bundle, target)
                    config = conftest.generate_config(target, policies, service.port, upstream.port, listen)
                else:
                    config = render(listen, None)
                proxy = conftest.start_gateway(kind, setup_dir, config, listen, ready=("/public/x", HOST),
                                               is_ready=lambda response: response.status == 200)
                try:
                    for token_name in ("RS256", "ES256", "public"):
                        check = raw_request(listen, "GET", paths[token_name], HOST,
                                            [("Authorization", "Bearer " + tokens[token_name])] if tokens[token_name] else [])
                        if check.status != 200:
                            raise RuntimeError(f"{title} {token_name}: the check request got {check.status} {check.body[:200]}")
                        measured = wrk(listen, paths[token_name], tokens[token_name], setup_dir)
                        results.append((title, token_name, measured))
                        print(f"{title:38} {token_name:7} {measured['rps']:10.0f} rps  p50 {measured['p50']/1000:7.2f} ms  "
                              f"p99 {measured['p99']/1000:7.2f} ms  p99.9 {measured['p999']/1000:7.2f} ms"
                              f"{'  errors ' + str(measured['errors'] + measured['non2xx']) if measured['errors'] or measured['non2xx'] else ''}",
                              flush=True)
                finally:
                    proxy.stop()
            finally:
                if service:
                    service.stop()
    except Exception:
        for process in list(Service.all_started):
            print(process.logs())
        raise
    finally:
        for process in list(Service.all_started):
            process.stop()
    print("\n| Setup | Token | req/s | p50 (ms) | p99 (ms) | p99.9 (ms) |\n|---|---|---|---|---|---|")
    for title, token_name, measured in results:
        print(f"| {title} | {token_name} | {measured['rps']:.0f} | {measured['p50']/1000:.2f} | {measured['p99']/1000:.2f} | {measured['p999']/1000:.2f} |")
    print(f"\nHandler latency inside gatepassd at a fixed {FIXED_RATE} requests per second (h2load, ext_authz gRPC Check, {SECONDS} s):")
    print("\n| Request | done / succeeded | handler p50 (µs) | p99 (µs) | p99.9 (µs) | max (µs) |\n|---|---|---|---|---|---|")
    log = os.path.join(directory, "decisions.jsonl")
    variants = [("", ["--no-metrics"]), (" + metrics", []), (" + metrics + decision log", ["--decision-log", log])]
    for token_name, token in (("RS256", tokens["RS256"]), ("public", None)):
        for suffix, extra in variants:
            latency = fixed_rate_handler_latency(os.path.join(directory, "fixed-rate"), bundle, token, token_name, extra)
            print(f"| {token_name}{suffix} | {latency['done']} / {latency['succeeded']} | {latency['p50']} | {latency['p99']} | {latency['p999']} | {latency['max']} |",
                  flush=True)
    by = {(title, token): measured["rps"] for title, token, measured in results}
    for token_name in ("RS256", "ES256", "public"):
        peer = by.get(("Envoy + jwt_authn", token_name))
        ours = by.get(("Envoy + ext_authz gRPC -> Gatepass", token_name))
        if peer and ours:
            print(f"Envoy + ext_authz gRPC -> Gatepass / Envoy + jwt_authn, {token_name}: {ours / peer:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
