#!/usr/bin/env python3
"""Writes the committed seed corpora under Fuzz/corpus/<target>/ from the repository's
fixtures, goldens, RFC vectors and hostile inputs of the tests. Deterministic; rerun
after changing a fixture (`python3 Fuzz/make-seeds.py`), then review `git status Fuzz/`.

Bundles (the `bundle` target) come from `gatepass compile`, so build the CLI first
(`swift build --product gatepass`); without it the bundle seeds are left as they are.
"""
import base64, glob, hashlib, hmac, json, os, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Fuzz", "corpus")
NOW = 1767225600
SECRET = b"fuzz-secret-0123456789abcdef0123456789abcdef"  # FuzzFixtures.secret


def write(target, data, name=None):
    if isinstance(data, str):
        data = data.encode()
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def reset(target):
    shutil.rmtree(os.path.join(CORPUS, target), ignore_errors=True)


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256(header, payload, secret=SECRET):
    signing_input = b64(header) + "." + b64(payload)
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(mac)


def api_token(**overrides):
    claims = {"iss": "https://issuer.example.com", "sub": "svc", "aud": "api", "iat": NOW - 60,
              "exp": NOW + 600, "scope": "api:read api:write", "roles": ["writer"]}
    claims.update(overrides)
    return hs256(json.dumps({"alg": "HS256", "kid": "api-1", "typ": "JWT"}, separators=(",", ":")),
                 json.dumps(claims, separators=(",", ":")))


def partner_token():
    claims = {"iss": "https://partners.example.net", "sub": "p-1", "exp": NOW + 600}
    return hs256('{"alg":"HS256","kid":"partners-1"}', json.dumps(claims, separators=(",", ":")))


def small_files(patterns, limit):
    for pattern in patterns:
        for path in sorted(glob.glob(os.path.join(ROOT, pattern), recursive=True)):
            if os.path.isfile(path) and os.path.getsize(path) <= limit:
                yield path


# policy: every policy file of the examples, fixtures and goldens' inputs.
def policy():
    reset("policy")
    for path in small_files(["Policies/*.yaml", "Tests/Fixtures/**/*.yaml", "Tests/Fixtures/**/*.yml", "docs/examples/*.yml"], 16384):
        write("policy", open(path, "rb").read())


interop = json.load(open(os.path.join(ROOT, "Tests/JOSETests/Fixtures/interop.json")))

HOSTILE_HEADERS = [
    '{"alg":"none"}', '{"alg":"None","typ":"JWT"}', '{"alg":"HS256","alg":"RS256"}', '{"alg":"HS256","crit":["exp"]}',
    '{"alg":"RS256","jwk":{"kty":"oct","k":"AAAA"}}', '{"alg":"HS256","kid":"../../etc/passwd"}', '{"alg":"ES256","b64":false}',
    '{"alg":"HS256","kid":"3olWW7vmRHvXlmdbWZr8PYfRdA8bt0nnevOWfDb_-G8"}', '\ufeff{"alg":"HS256"}', '{"alg":"HS256"} ',
    '[]', '{"alg":1}', '{"alg":"RS256","x5u":"http://evil"}', '{"alg":"HS256","kid":"\\u0000"}',
]


# jws: the interop tokens (every algorithm, with and without kid) and hostile ones.
def jws():
    reset("jws")
    claims = '{"iss":"https://issuer.example.com","sub":"user-42","aud":"api.example.com","iat":1700000000,"exp":1700003600}'
    for case in interop["cases"]:
        write("jws", case["token"])
        write("jws", case["tokenWithoutKid"])
        head, payload, signature = case["token"].split(".")
        write("jws", head + "." + payload + ".")                    # signature stripped
        write("jws", head + "." + payload + "." + signature[::-1])  # signature mangled
    for header in HOSTILE_HEADERS:
        write("jws", b64(header) + "." + b64(claims) + ".")
        write("jws", b64(header) + "." + b64(claims) + "." + b64(b"\x00" * 32))
    for text in ["", ".", "..", "...", "a.b.c", "a.b.c.d.e", "eyJ.eyJ.", "=.=.=", "e30.e30.", "e30.e30.e30",
                 b64('{"alg":"HS256"}') + ".=.", b64('{"alg":"HS256"}') + "." + b64("[]") + ".AA"]:
        write("jws", text)


# jwks: key sets of the examples, fixtures and interop vectors.
def jwks():
    reset("jwks")
    write("jwks", json.dumps(interop["jwks"]))
    for path in small_files(["Policies/keys/*.json", "Tests/Fixtures/**/*.json"], 16384):
        data = open(path, "rb").read()
        if b'"keys"' in data or b'"kty"' in data:
            write("jwks", data)
    for text in ['{"keys":[]}', '{"keys":[{"kty":"oct","k":"AAAA"}]}', '{"keys":[{"kty":"EC","crv":"P-256","x":"","y":""}]}',
                 '{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB"}]}', '{"keys":[{"kty":"OKP","crv":"Ed448","x":"AA"}]}',
                 '{"keys":{}}', '{"kty":"oct","k":"AAAA"}']:
        write("jwks", text)


# json: headers and claim sets of the interop tokens, key sets, and edge cases of RFC 8259.
def json_():
    reset("json")
    for case in interop["cases"][:4]:
        head, payload, _ = case["token"].split(".")
        for part in (head, payload):
            write("json", base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    write("json", json.dumps(interop["jwks"]))
    for text in ['{}', '[]', '0', '-0', '-0.0', '1e400', '1E-400', '123456789012345678901234567890', '9007199254740993',
                 '0.1', '1.5e+3', 'true', 'false', 'null', '""', '"\\u00e9\\ud83d\\ude00"', '"\\ud800"', '"\\/\\b\\f\\n\\r\\t"',
                 '{"a":1,"a":2}', '{"a":{"b":[1,[2,[3,{"c":null}]]]}}', '[1,2,]', '{"a" : 1 , "b":[ ] }', '\ufeff{}',
                 '"\u00e9"', '{"e\u0301":1,"\u00e9":2}', '[' * 33 + ']' * 33, '[' * 31 + ']' * 31, ' \t\n\r[]\n', '01', '1.', '.5',
                 '{"aud":["a","b"],"exp":1700003600,"nbf":1.5}']:
        write("json", text)


# request: host, target and header lines (see RequestTarget).
def request():
    reset("request")
    good = api_token()
    for line in open(os.path.join(ROOT, "Tests/Fixtures/e2e/requests.jsonl")):
        item = json.loads(line)
        headers = "".join(f"\n{name}: {value}" for name, value in sorted(item.get("headers", {}).items()))
        write("request", f"{item.get('host') or ''}\n{item['path']}{headers}")
    targets = ["/admin", "/admin/", "/admin.", "/admin%20", "/%EF%BC%A1dmin", "/public/../admin", "/public/%2e%2e/admin",
               "/a//../admin", "/admin#/public", "/admin?x=1#y", "/v1/x/private", "/v1/%78/private", "//admin", "/ADMIN",
               "/admin%2Fx", "/admin;x", "/admin\\x", "/%c3%a9", "/%C0%AF", "*", "", "/v1/a/b/../../x/private"]
    for host in ["api.example.com", "API.EXAMPLE.COM.", "api.example.com:8443", "a.internal.example.com",
                 "partners.example.com", "", "[::1]:80", "127.0.0.1", "user@api.example.com"]:
        for target in targets[:8] if host != "api.example.com" else targets:
            write("request", f"{host}\n{target}")
    write("request", f"api.example.com\n/admin/x\nAuthorization: Bearer {good}")
    write("request", f"api.example.com\n/admin/x?access_token={good}")
    write("request", f"api.example.com\n/admin/x\nCookie: a=b; session={good}")
    write("request", f"api.example.com\n/admin/x\nAuthorization: Bearer {api_token(scope='api:read')}")
    write("request", f"api.example.com\n/admin/x\nAuthorization: Bearer {api_token(exp=NOW - 10)}")
    write("request", f"api.example.com\n/admin/x\nAuthorization: Bearer {good}\nAuthorization: Bearer {api_token(sub='x')}")
    write("request", f"api.example.com\n/admin/x\nAuthorization: Bearer {good}\nX-Forwarded-For: 1.2.3.4\nHost: other")
    write("request", f"partners.example.com\n/private\nX-Partner-Token: {partner_token()}")
    write("request", "api.example.com\n/admin\nAuthorization: Bearer")


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def check_request(method, host, path, headers, header_map=None):
    http = field(1, "req-1") + field(2, method) + b"".join(field(3, field(1, k) + field(2, v)) for k, v in headers)
    http += field(4, path) + field(5, host) + field(6, "https") + field(10, "HTTP/1.1")
    if header_map is not None:
        http += field(13, b"".join(field(1, field(1, k) + field(3, v)) for k, v in header_map))
    request = field(2, http)
    attributes = field(4, request)
    return field(1, attributes)


# grpc: ext_authz CheckRequests as Envoy sends them (headers map, or raw header_map).
def grpc():
    reset("grpc")
    good = api_token()
    write("grpc", b"")
    write("grpc", check_request("GET", "api.example.com", "/admin/x", [(":path", "/admin/x"), ("authorization", "Bearer " + good)]))
    write("grpc", check_request("GET", "api.example.com", "/admin/x", [], header_map=[("authorization", "Bearer " + good), ("cookie", "session=" + good)]))
    write("grpc", check_request("POST", "api.example.com", "/v1/a/private?access_token=" + good, [("x-forwarded-for", "1.2.3.4")]))
    write("grpc", check_request("GET", "partners.example.com", "/public/a", []))
    write("grpc", check_request("GET", "partners.example.com", "/x", [("x-partner-token", partner_token())]))
    write("grpc", check_request("GET", "api.example.com", "/admin%2e", [("host", "evil")]))
    write("grpc", check_request("", "", "", []))
    write("grpc", check_request("GET", "api.example.com", "/admin", [], header_map=[("authorization", "\xff\xfe")]))


# forward-auth: what Traefik, Caddy and nginx send to a forward-auth endpoint.
def forward_auth():
    reset("forward-auth")
    good = api_token()
    def req(lines, body=""):
        return "\r\n".join(lines) + "\r\n\r\n" + body
    write("forward-auth", req(["GET /auth HTTP/1.1", "Host: gatepassd", "X-Forwarded-Method: GET", "X-Forwarded-Host: api.example.com",
                               "X-Forwarded-Uri: /admin/x", "X-Forwarded-Proto: https", f"Authorization: Bearer {good}"]))
    write("forward-auth", req(["GET /auth HTTP/1.1", "Host: api.example.com", "X-Original-URI: /admin/x?access_token=" + good,
                               "X-Original-Method: GET", "X-Gatepass-Gateway: nginx"]))
    write("forward-auth", req(["GET /auth HTTP/1.1", "Host: gatepassd", "X-Forwarded-Host: partners.example.com",
                               "X-Forwarded-Uri: /public/a"]))
    write("forward-auth", req(["GET /auth HTTP/1.1", "Host: gatepassd", "X-Forwarded-Host: api.example.com",
                               "X-Forwarded-Uri: /admin/x", "X-Forwarded-Uri: /public"]))
    write("forward-auth", req(["POST /auth HTTP/1.1", "Host: gatepassd", "X-Forwarded-Host: api.example.com",
                               "X-Forwarded-Uri: /admin", "Content-Length: 5"], "hello"))
    write("forward-auth", req(["GET /auth HTTP/1.1", "Host: gatepassd", "X-Forwarded-Host: api.example.com",
                               "X-Forwarded-Uri: /admin", "Transfer-Encoding: chunked"], "5\r\nhello\r\n0\r\n\r\n"))
    write("forward-auth", req(["GET /auth HTTP/1.1", "Host: gatepassd", "X-Forwarded-Uri: /a", "Connection: keep-alive"])
          + req(["GET /auth HTTP/1.1", "Host: gatepassd", "X-Forwarded-Uri: /admin%2e", "Cookie: session=" + good]))
    write("forward-auth", req(["GET /auth HTTP/1.0", "X-Forwarded-Uri: /"]))
    write("forward-auth", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + "\x00\x00\x00\x04\x00\x00\x00\x00\x00")


# bundle: bundles compiled from the example policies and the fuzz fixture, without their
# trailing SHA-256 digest (BundleTarget appends a correct one) and whole.
def bundle():
    cli = os.path.join(ROOT, ".build", "debug", "gatepass")
    if not os.path.exists(cli):
        print("make-seeds: no .build/debug/gatepass; bundle seeds left as they are", file=sys.stderr)
        return
    reset("bundle")
    fixture = open(os.path.join(ROOT, "Fuzz", "Targets", "Fixtures.swift")).read()
    policies = fixture.split('static let policies = """\n')[1].split('    """')[0]
    policies = "\n".join(line[4:] for line in policies.splitlines()) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        inputs = []
        fuzz_dir = os.path.join(tmp, "fuzz")
        os.makedirs(fuzz_dir)
        open(os.path.join(fuzz_dir, "fuzz.yaml"), "w").write(policies)
        inputs.append(fuzz_dir)
        inputs.append(os.path.join(ROOT, "Policies"))
        signing = ["--sign-key", os.path.join(ROOT, "Tests/Fixtures/signing-keys/mobile-ed25519.pem")]
        runs = [(source, []) for source in inputs] + [(inputs[0], signing)]
        for index, (source, extra) in enumerate(runs):
            out = os.path.join(tmp, f"b{index}.gpb")
            env = dict(os.environ, GATEPASS_FUZZ_SECRET=SECRET.decode())
            result = subprocess.run([cli, "compile", source, "--output", out, "--revision", f"seed-{index}"] + extra,
                                    capture_output=True, text=True, env=env, cwd=ROOT)
            if result.returncode != 0:
                print(f"make-seeds: cannot compile {source}: {result.stderr}", file=sys.stderr)
                continue
            data = open(out, "rb").read()
            write("bundle", data[:-32])
            write("bundle", data)
    write("bundle", b"")
    write("bundle", b"GPB1")


if __name__ == "__main__":
    policy(); jws(); jwks(); json_(); request(); grpc(); forward_auth(); bundle()
    for target in sorted(os.listdir(CORPUS)):
        print(f"{target}: {len(os.listdir(os.path.join(CORPUS, target)))} seeds")
