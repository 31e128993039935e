"""scripts/demo: the example policies behind a real Envoy, end to end.

Compiles Policies/, starts an echo upstream, `gatepassd` (gRPC) and Envoy with the
configuration `gatepass gateway-config envoy-grpc` writes, sends a handful of signed
requests and prints what the client got and what the upstream saw; then stops every
process it started. Tokens are signed with the test keys in Tests/Fixtures/signing-keys.
"""
import os
import sys
import tempfile
import time

import jwt
from cryptography.hazmat.primitives import serialization

import conftest
import harness
from harness import Service, free_port, raw_request, run

KEYS = os.path.join(harness.REPO, "Tests", "Fixtures", "signing-keys")
EC_KID = "iKNNZtfmWiGZlKHpoS-c38uTIOeH96SQMw0knN_DOo0"
ED_KID = "pbnhGdkimhKLlOGk8ih_Hl1GSczp_G37JMMkzNFr0Rg"
# A test value for the billing entry's HS256 secret (the same as Tests/Fixtures/e2e).
BILLING_SECRET = "bQQ5kEsa8eOVCpqtJxcJgHDtNv_i0WyYbdptBLiQ-E0"


def key(name):
    with open(os.path.join(KEYS, name), "rb") as pem:
        return serialization.load_pem_private_key(pem.read(), password=None)


def employee_token(**overrides):
    now = int(time.time())
    claims = {"iss": "https://login.internal.example.com", "aud": "ai-gateway", "sub": "alice",
              "email": "alice@example.com", "scope": "chat:read chat:write", "realm_access": {"roles": ["ai-user"]},
              "iat": now - 10, "exp": now + 600}
    claims.update(overrides)
    return jwt.encode(claims, key("internal-ai-es256.pem"), algorithm="ES256", headers={"kid": EC_KID})


def mobile_token():
    now = int(time.time())
    claims = {"iss": "https://id.example.com/mobile", "aud": "mobile-gateway", "sub": "device-42", "iat": now - 10, "exp": now + 600}
    return jwt.encode(claims, key("mobile-ed25519.pem"), algorithm="EdDSA", headers={"kid": ED_KID})


def short(token):
    return token[:12] + "…"


def main():
    directory = tempfile.mkdtemp(prefix="gatepass-demo-")
    bundle = os.path.join(directory, "policy.gpb")
    compiled = run([conftest.GATEPASS, "compile", os.path.join(harness.REPO, "Policies"), "-o", bundle])
    print(compiled.stdout.strip() or compiled.stderr)
    if compiled.returncode != 0:
        return 1
    started = []
    try:
        upstream = Service("echo-upstream", [sys.executable, os.path.join(os.path.dirname(__file__), "echo_upstream.py"), "0"], directory)
        started.append(upstream)
        upstream.port = int(upstream.wait_for_line("echo-upstream listening").split()[-1])
        env = dict(os.environ, BILLING_WEBHOOK_SECRET=BILLING_SECRET)
        service = Service("gatepassd", [conftest.GATEPASSD, "--bundle", bundle, "--grpc", "127.0.0.1:0", "--admin", "127.0.0.1:0"],
                          directory, env=env)
        started.append(service)
        line = service.wait_for_line("gatepassd: listening")
        print(line)
        grpc_port = int(line.split("grpc=")[1].split()[0].rsplit(":", 1)[1])
        listen = free_port()
        config = conftest.generate_config("envoy-grpc", os.path.join(harness.REPO, "Policies"), grpc_port, upstream.port, listen)
        envoy = conftest.start_gateway("envoy-grpc", os.path.join(directory, "envoy"), config, listen,
                                        ready=("/healthz", "partner.example.com"))
        started.append(envoy)
        print(f"envoy listening on 127.0.0.1:{listen} (configuration: {directory}/envoy/envoy.yaml)\n")

        valid = employee_token()
        expired = employee_token(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
        mobile = mobile_token()
        requests = [
            ("a valid employee token", "chat.ai.example.com", "/v1/chat/completions", [("Authorization", "Bearer " + valid)]),
            ("an expired token", "chat.ai.example.com", "/v1/chat/completions", [("Authorization", "Bearer " + expired)]),
            ("no token", "chat.ai.example.com", "/v1/chat/completions", []),
            ("a spoofed identity header with a valid token", "chat.ai.example.com", "/v1/chat/completions",
             [("Authorization", "Bearer " + valid), ("X-User-Id", "mallory"), ("x_user_id", "mallory")]),
            ("a spoofed partner header on a public path", "partner.example.com", "/v1/catalog/items/42", [("X-Partner-Id", "mallory")]),
            ("a /public/../ bypass attempt", "admin.ai.example.com", "/public/../settings", []),
            ("a query token (removed before the upstream)", "m.example.com", f"/api/profile?access_token={mobile}&page=2", []),
        ]
        shown = {"authorization", "x-user-id", "x_user_id", "x-user-email", "x-partner-id", "cookie"}
        for title, host, target, headers in requests:
            response = raw_request(listen, "GET", target, host, headers)
            sent = ", ".join(f"{name}: {short(value) if len(value) > 40 else value}" for name, value in headers) or "no headers"
            print(f"* {title}\n  client sent: GET {target.replace(mobile, short(mobile))} (Host {host}; {sent})")
            if response.reached_upstream:
                seen = [f"{name}: {short(value) if len(value) > 40 else value}" for name, value in response.json["headers"] if name.lower() in shown]
                print(f"  client got:  {response.status}")
                print(f"  upstream saw: {response.json['method']} {response.json['path']}  {', '.join(seen) or '(no identity headers)'}\n")
            else:
                reason = response.json.get("reason") if isinstance(response.json, dict) else response.body[:60]
                print(f"  client got:  {response.status} {reason}  WWW-Authenticate: {response.header('www-authenticate')}")
                print("  upstream saw: nothing\n")
        return 0
    except Exception:
        for process in started:
            print(process.logs())
        raise
    finally:
        for process in reversed(started):
            process.stop()


if __name__ == "__main__":
    sys.exit(main())
