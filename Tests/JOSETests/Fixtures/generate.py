#!/usr/bin/env python3
"""Generates interoperability fixtures with joserfc (an independent JOSE implementation).

Run once: python3 generate.py  (writes interop.json next to this script).
Keys are random, so re-running changes every value; the committed output is the fixture.
Tokens have fixed times: iat 1700000000, exp 1700003600; tests verify at now 1700000100.
"""
import json
import os

from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

ISSUER = "https://issuer.example.com"
CLAIMS = {
    "iss": ISSUER,
    "sub": "user-42",
    "aud": ["api.example.com", "other"],
    "iat": 1700000000,
    "nbf": 1700000000,
    "exp": 1700003600,
    "scope": "read write",
    "nested": {"roles": ["admin", "dev"], "level": 3},
}

CASES = [
    ("HS256", lambda: OctKey.generate_key(256)),
    ("HS384", lambda: OctKey.generate_key(384)),
    ("HS512", lambda: OctKey.generate_key(512)),
    ("RS256", lambda: RSAKey.generate_key(2048)),
    ("RS384", lambda: RSAKey.generate_key(3072)),
    ("RS512", lambda: RSAKey.generate_key(4096)),
    ("PS256", lambda: RSAKey.generate_key(2048)),
    ("PS384", lambda: RSAKey.generate_key(2048)),
    ("PS512", lambda: RSAKey.generate_key(2048)),
    ("ES256", lambda: ECKey.generate_key("P-256")),
    ("ES384", lambda: ECKey.generate_key("P-384")),
    ("ES512", lambda: ECKey.generate_key("P-521")),
    ("EdDSA", lambda: OKPKey.generate_key("Ed25519")),
    ("EdDSA", lambda: OKPKey.generate_key("Ed448")),
]


def main():
    keys = []
    cases = []
    for index, (alg, make) in enumerate(CASES):
        key = make()
        thumbprint = key.thumbprint()
        kid = thumbprint  # the kid of every fixture key is its own RFC 7638 thumbprint
        public = dict(key.as_dict(private=(alg.startswith("HS"))))
        public["kid"] = kid
        public["alg"] = alg
        public["use"] = "sig"
        keys.append(public)
        header = {"alg": alg, "kid": kid, "typ": "JWT"}
        token = jwt.encode(header, CLAIMS, key, algorithms=[alg])
        header_nokid = {"alg": alg}
        token_nokid = jwt.encode(header_nokid, CLAIMS, key, algorithms=[alg])
        cases.append({
            "name": f"{alg}-{public.get('crv', public['kty'])}",
            "alg": alg,
            "kid": kid,
            "thumbprint": thumbprint,
            "token": token,
            "tokenWithoutKid": token_nokid,
        })
    out = {
        "generator": "joserfc",
        "issuer": ISSUER,
        "now": 1700000100,
        "jwks": {"keys": keys},
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "interop.json")
    with open(path, "w") as handle:
        json.dump(out, handle, indent=2)
        handle.write("\n")


if __name__ == "__main__":
    main()
