#!/usr/bin/env python3
"""Generates requests.jsonl: requests with real tokens against the example Policies/.

Tokens are signed with the test keys in Tests/Fixtures/signing-keys (never production
keys) by an independent implementation (Python `cryptography`). Run once; the output is
committed and evaluated with `--now 1767225600` (2026-01-01T00:00:00Z) by CLITests, whose
decisions are pinned in Golden/eval/policies.jsonl. The billing secret below is a test
value given to the runtime through BILLING_WEBHOOK_SECRET.
"""
import base64
import json
import pathlib

from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

HERE = pathlib.Path(__file__).resolve().parent
KEYS = HERE.parent / "signing-keys"
NOW = 1767225600
BILLING_SECRET = "bQQ5kEsa8eOVCpqtJxcJgHDtNv_i0WyYbdptBLiQ-E0"
EC_KID = "iKNNZtfmWiGZlKHpoS-c38uTIOeH96SQMw0knN_DOo0"
ED_KID = "pbnhGdkimhKLlOGk8ih_Hl1GSczp_G37JMMkzNFr0Rg"
SEED_KID = "DHFbpoIUqrY8t2zpA2qXfCmr5VO5ZEr4RzHU_-envvQ"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(obj) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode())


def load(name):
    return serialization.load_pem_private_key((KEYS / name).read_bytes(), password=None)


EC_KEY = load("internal-ai-es256.pem")
ED_KEY = load("mobile-ed25519.pem")
OTHER_EC_KEY = ec.generate_private_key(ec.SECP256R1())


def es256(header, claims, key=EC_KEY):
    signing_input = f"{segment(header)}.{segment(claims)}".encode()
    r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return signing_input.decode() + "." + b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def eddsa(header, claims):
    signing_input = f"{segment(header)}.{segment(claims)}".encode()
    return signing_input.decode() + "." + b64(ED_KEY.sign(signing_input))


def hs256(header, claims, secret):
    signing_input = f"{segment(header)}.{segment(claims)}".encode()
    mac = hmac.HMAC(secret, hashes.SHA256())
    mac.update(signing_input)
    return signing_input.decode() + "." + b64(mac.finalize())


def internal(**overrides):
    claims = {"iss": "https://login.internal.example.com", "sub": "alice", "aud": ["ai-gateway"],
              "iat": NOW - 60, "exp": NOW + 3600, "scope": "chat:read chat:write",
              "realm_access": {"roles": ["ai-user"]}, "email": "alice@example.com"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def mobile(**overrides):
    claims = {"iss": "https://id.example.com/mobile", "sub": "device-42", "aud": "mobile-gateway",
              "iat": NOW - 60, "exp": NOW + 600}
    claims.update(overrides)
    return claims


def billing(**overrides):
    claims = {"iss": "https://payments.example.net", "sub": "billing-provider", "iat": NOW - 10,
              "exp": NOW + 240, "event": "invoice.paid"}
    claims.update(overrides)
    return claims


EC_HEADER = {"alg": "ES256", "kid": EC_KID, "typ": "JWT"}
ED_HEADER = {"alg": "EdDSA", "kid": ED_KID}
HS_HEADER = {"alg": "HS256", "kid": "billing-2026"}
VALID_INTERNAL = es256(EC_HEADER, internal())
VALID_MOBILE = eddsa(ED_HEADER, mobile())
OTHER_MOBILE = eddsa(ED_HEADER, mobile(sub="device-43"))
SEED_PUBLIC_DER = None

cases = []


def case(name, host, path, headers=None, method="GET"):
    request = {"id": name, "method": method, "host": host, "path": path, "headers": headers or {}}
    cases.append(request)


def bearer(token):
    return {"authorization": "Bearer " + token}


# Public and protected regions.
case("public-catalogue", "partner.example.com", "/v1/catalog/items")
case("public-health", "partner.example.com", "/healthz")
case("mobile-public-page", "m.example.com", "/about")
case("partner-protected-no-token", "partner.example.com", "/v1/orders")
case("unknown-host-protected-by-whitelist", "unknown.example.org", "/")
case("no-host", None, "/anything")
# internal-ai (ES256, blacklist, claims, forwarded claims).
case("internal-valid", "chat.ai.example.com", "/v1/chat/completions", bearer(VALID_INTERNAL))
case("internal-valid-lowercase-scheme", "chat.ai.example.com", "/v1/chat/completions", {"authorization": "bearer  " + VALID_INTERNAL})
case("internal-missing-token", "chat.ai.example.com", "/v1/chat/completions")
case("internal-expired", "chat.ai.example.com", "/v1/chat/completions", bearer(es256(EC_HEADER, internal(iat=NOW - 7200, exp=NOW - 3600))))
case("internal-not-yet-valid", "chat.ai.example.com", "/v1/chat/completions", bearer(es256(EC_HEADER, internal(nbf=NOW + 600))))
case("internal-wrong-key", "chat.ai.example.com", "/v1/chat/completions", bearer(es256(EC_HEADER, internal(), key=OTHER_EC_KEY)))
case("internal-unknown-kid", "chat.ai.example.com", "/v1/chat/completions", bearer(es256({"alg": "ES256", "kid": "rotated-away"}, internal())))
case("internal-wrong-audience", "chat.ai.example.com", "/v1/chat/completions", bearer(es256(EC_HEADER, internal(aud="other-service"))))
case("internal-wrong-issuer", "chat.ai.example.com", "/v1/chat/completions", bearer(es256(EC_HEADER, internal(iss="https://evil.example.com"))))
case("internal-lifetime-exceeded", "chat.ai.example.com", "/v1/chat/completions", bearer(es256(EC_HEADER, internal(iat=NOW - 60, exp=NOW + 86400))))
case("internal-missing-scope", "chat.ai.example.com", "/v1/chat/completions", bearer(es256(EC_HEADER, internal(scope="chat:read"))))
case("internal-missing-role", "chat.ai.example.com", "/v1/chat/completions", bearer(es256(EC_HEADER, internal(realm_access={"roles": ["guest"]}))))
case("internal-ambiguous", "chat.ai.example.com", "/v1/chat/completions",
     {"authorization": ["Bearer " + VALID_INTERNAL, "Bearer " + es256(EC_HEADER, internal(sub="bob"))]})
case("internal-alg-none", "chat.ai.example.com", "/v1/chat/completions",
     bearer(segment({"alg": "none"}) + "." + segment(internal()) + "."))
case("internal-alg-none-mixed-case", "chat.ai.example.com", "/v1/chat/completions",
     bearer(segment({"alg": "nOnE"}) + "." + segment(internal()) + "."))
case("internal-jwe", "chat.ai.example.com", "/v1/chat/completions", bearer("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"))
case("internal-too-large", "chat.ai.example.com", "/v1/chat/completions", bearer(es256(EC_HEADER, internal(pad="x" * 9000))))
case("internal-spoofed-user-header", "chat.ai.example.com", "/v1/chat/completions",
     {"authorization": "Bearer " + VALID_INTERNAL, "X-User-Id": "mallory"})
case("spoofed-header-on-public-path", "partner.example.com", "/healthz", {"x-user-id": "mallory", "x-partner-id": "evil"})
# Bypass attempts (path normalisation and host canonicalisation).
case("bypass-dot-segments", "admin.ai.example.com", "/public/../admin")
case("bypass-double-slash", "chat.ai.example.com", "//v1//chat/completions")
case("bypass-uppercase-path", "chat.ai.example.com", "/V1/CHAT/completions")
case("bypass-uppercase-host", "CHAT.AI.EXAMPLE.COM", "/v1/chat/completions")
case("bypass-host-port-and-dot", "chat.ai.example.com.:8443", "/v1/chat/completions")
case("bypass-encoded-slash", "chat.ai.example.com", "/v1%2Fchat/completions")
case("bypass-encoded-dot", "chat.ai.example.com", "/v1/chat/%2e%2e/chat/completions")
case("bypass-matrix-parameter", "chat.ai.example.com", "/v1/chat;x=1/completions")
case("bypass-fragment", "chat.ai.example.com", "/v1/chat/completions#/public")
case("bypass-ambiguous-dot-dot", "chat.ai.example.com", "/v1//../chat/completions")
case("bad-host-userinfo", "user@chat.ai.example.com", "/v1/chat/completions")
# mobile-app (EdDSA, cookie or query token, jwksFile).
case("mobile-cookie", "m.example.com", "/api/profile", {"cookie": "theme=dark; session_token=" + VALID_MOBILE})
case("mobile-query", "m.example.com", "/api/profile?access_token=" + VALID_MOBILE + "&x=1")
case("mobile-cookie-and-query-same", "m.example.com", "/api/profile?access_token=" + VALID_MOBILE, {"cookie": "session_token=" + VALID_MOBILE})
case("mobile-cookie-and-query-different", "m.example.com", "/api/profile?access_token=" + OTHER_MOBILE, {"cookie": "session_token=" + VALID_MOBILE})
case("mobile-header-not-read", "m.example.com", "/api/profile", bearer(VALID_MOBILE))
# billing-webhooks (HS256 secret from the environment, passthrough, claim oneOf).
case("billing-valid", "hooks.example.com", "/billing/events", {"x-webhook-token": hs256(HS_HEADER, billing(), base64.urlsafe_b64decode(BILLING_SECRET + "="))}, method="POST")
case("billing-wrong-event", "hooks.example.com", "/billing/events", {"x-webhook-token": hs256(HS_HEADER, billing(event="account.deleted"), base64.urlsafe_b64decode(BILLING_SECRET + "="))}, method="POST")
case("billing-wrong-secret", "hooks.example.com", "/billing/events", {"x-webhook-token": hs256(HS_HEADER, billing(), b"not-the-secret-but-32-bytes-long!")}, method="POST")
# partner-api (the console's RSA key): an RS256 token re-signed as HS256 with the public key.
seed_n = "xAE7eB6qugXyCAG3yhh7pkDkT65pHymX-P7KfIupjf59vsdo91bSP9C8H07pSAGQO1MV_xFj9VswgsCg4R6otmg5PV2He95lZdHtOcU5DXIg_pbhLdKXbi66GlVeK6ABZOUW3WYtnNHD-91gVuoeJT_DwtGGcp4ignkgXfkiEm4sw-4sfb4qdt5oLbyVpmW6x9cfa7vs2WTfURiCrBoUqgBo_-4WTiULmmHSGZHOjzwa8WtrtOQGsAFjIbno85jp6MnGGGZPYZbDAa_b3y5u-YpW7ypZrvD8BgtKVjgtQgZhLAGezMt0ua3DRrWnKqTZ0BJ_EyxOGuHJrLsn00fnMQ"
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers
seed_key = RSAPublicNumbers(65537, int.from_bytes(base64.urlsafe_b64decode(seed_n + "=="), "big")).public_key()
seed_pem = seed_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
partner_claims = {"iss": "https://auth.example.com", "sub": "partner-service", "aud": "ai-gateway", "iat": NOW - 60, "exp": NOW + 600}
case("partner-key-confusion-hs256", "partner.example.com", "/v1/orders", bearer(hs256({"alg": "HS256", "kid": SEED_KID}, partner_claims, seed_pem)))
case("partner-forged-rs256", "partner.example.com", "/v1/orders",
     bearer(segment({"alg": "RS256", "kid": SEED_KID}) + "." + segment(partner_claims) + "." + b64(b"\x01" * 256)))

with open(HERE / "requests.jsonl", "w") as out:
    for request in cases:
        out.write(json.dumps(request, separators=(",", ":")) + "\n")
print(f"wrote {len(cases)} requests")
