"""The integration policy set, written at test time with RSA keys generated for the run
(no private key is committed): three entries of one identity provider.

- `gw-api`: `Authorization: Bearer`, passthrough off, `scope` must contain `api:read`,
  `sub`/`email` forwarded as `x-user-id`/`x-user-email`; protects `/admin/**` on
  api.gatepass.test (a blacklist: case ignored) and every path of admin.gatepass.test.
- `gw-pass`: `X-Api-Token`, passthrough on, `sub` as `x-pass-user`, `/passthrough/**`.
- `gw-mobile`: a `gp_session` cookie (and, in the `full` variant, an `access_token`
  query parameter), passthrough off, `sub` as `x-mobile-user`, `/mobile/**`.

Variants by what the gateway can remove: `full` (Envoy gRPC), `cookie` (Envoy HTTP: no
query token), `header` (nginx, Caddy: header tokens only).
"""
import base64
import json
import os
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

AUDIENCE = "gw-api"
KID = "gatepass-integration-1"
API_HOST = "api.gatepass.test"
ADMIN_HOST = "admin.gatepass.test"
CLAIM_HEADERS = ["x-user-id", "x-user-email", "x-pass-user", "x-mobile-user"]


def issuer(entry_name):
    """Each entry has its own issuer (the token's issuer selects the entry)."""
    return f"https://{entry_name}.gatepass.test"


def b64url_uint(value):
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Keys:
    def __init__(self):
        self.good = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self):
        numbers = self.good.public_key().public_numbers()
        return {"kty": "RSA", "kid": KID, "alg": "RS256", "use": "sig", "n": b64url_uint(numbers.n), "e": b64url_uint(numbers.e)}

    def jwks_json(self):
        return json.dumps({"keys": [self.jwk()]}, sort_keys=True)

    def token(self, entry="gw-api", key=None, **overrides):
        now = int(time.time())
        claims = {"iss": issuer(entry), "aud": AUDIENCE, "sub": "alice", "email": "alice@example.com",
                  "scope": "api:read api:write", "iat": now - 10, "exp": now + 600}
        claims.update(overrides)
        claims = {name: value for name, value in claims.items() if value is not None}
        pem = (key or self.good).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption())
        return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": KID})

    def expired(self, entry="gw-api"):
        now = int(time.time())
        return self.token(entry, iat=now - 7200, exp=now - 3600)


def entry(name, token_block, forward, rules, claims=None, jwks=None):
    lines = [
        "version: 1",
        f"name: {name}",
        f"issuer: {issuer(name)}",
        f"audiences: [{AUDIENCE}]",
        "algorithms: [RS256]",
        "requireExpiration: true",
        "clockSkew: 5s",
        "jwks: |",
        "  " + jwks,
        token_block,
    ]
    if claims:
        lines.append(claims)
    lines.append("forwardClaims:")
    lines += [f"  {claim}: {header}" for claim, header in forward.items()]
    lines += ["authorization:", "  mode: blacklist", "  rules:"]
    lines += [f"    - {{ domain: {domain}, path: \"{path}\" }}" for domain, path in rules]
    return "\n".join(lines) + "\n"


def write_policies(directory, keys, variant):
    """Writes the policy files of `variant` into `directory` and returns it."""
    os.makedirs(directory, exist_ok=True)
    jwks = keys.jwks_json()
    files = {
        "gw-api.yaml": entry(
            "gw-api",
            "token:\n  from: header\n  name: Authorization\n  prefix: \"Bearer \"\n  passthrough: false",
            {"sub": "x-user-id", "email": "x-user-email"},
            [(API_HOST, "/admin/**"), (ADMIN_HOST, "/**")],
            claims="claims:\n  scope: { contains: \"api:read\" }",
            jwks=jwks),
        "gw-pass.yaml": entry(
            "gw-pass",
            "token:\n  from: header\n  name: X-Api-Token\n  passthrough: true",
            {"sub": "x-pass-user"},
            [(API_HOST, "/passthrough/**")],
            jwks=jwks),
    }
    if variant in ("full", "cookie"):
        locations = ["  - { from: cookie, name: gp_session, passthrough: false }"]
        if variant == "full":
            locations.append("  - { from: query, name: access_token, passthrough: false }")
        files["gw-mobile.yaml"] = entry(
            "gw-mobile", "token:\n" + "\n".join(locations), {"sub": "x-mobile-user"},
            [(API_HOST, "/mobile/**")], jwks=jwks)
    for name, text in files.items():
        with open(os.path.join(directory, name), "w") as out:
            out.write(text)
    return directory
