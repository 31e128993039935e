"""Remote key sets in gatepassd against a real, fault-injecting HTTP server on loopback
(jwks_server.py, its own process): rotation through the unknown-kid refetch, outages
(500s, a server that hangs, a body that stalls) with stale-while-error and failing
closed past `maxStale`, poisoned sets (private members, weak and HMAC keys, empty,
unusable, garbage, 10 MiB), a flood of random kids against the cooldown, 304s for ETag
and Last-Modified, the refresh interval from Cache-Control/Expires within min and max
and the failure backoff, OIDC discovery (a mismatching issuer refused, a matching one used),
a redirect to http refused, `--jwks-startup wait|serve` while the server is down, and a
bootstrap set from `gatepass compile --fetch-jwks` serving while the server is down.

Each test compiles its own one-entry policy, starts its own server and gatepassd on
free ports, awaits every state with a deadline (never a bare sleep), and stops every
process by PID in the `processes` fixture's teardown; a failure prints their logs
(conftest's hook). Refresh intervals are of 1-3 s, so the module runs in under 2 minutes.
"""
import base64
import json
import os
import random
import re
import string
import threading
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import bundle_servers as bs
import conftest
import jwks_server
import policy_fixture
from conftest import GATEPASS, GATEPASSD
from harness import free_port, raw_request, run

API_HOST = policy_fixture.API_HOST
AUDIENCE = "gw-api"
PROTECTED = "/api/orders"
JWKS = "/jwks.json"
DISCOVERY = "/.well-known/openid-configuration"
# A request with an unknown kid waits this long for the refetch: more than the default
# 100 ms, so a loaded CI machine running a debug build does not turn a pass into a flake.
BUDGET = ["--jwks-refetch-budget", "1s"]
TIMEOUT = ["--jwks-timeout", "1s"]


# ---------------------------------------------------------------- keys and tokens


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64url_uint(value):
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class Signer:
    """An RSA key with its kid: its public JWK, its private JWK, tokens it signs."""

    def __init__(self, kid, bits=2048):
        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        self.pem = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())

    def jwk(self):
        numbers = self.key.public_key().public_numbers()
        return {"kty": "RSA", "kid": self.kid, "alg": "RS256", "use": "sig",
                "n": b64url_uint(numbers.n), "e": b64url_uint(numbers.e)}

    def private_jwk(self):
        numbers = self.key.private_numbers()
        return dict(self.jwk(), d=b64url_uint(numbers.d), p=b64url_uint(numbers.p), q=b64url_uint(numbers.q),
                    dp=b64url_uint(numbers.dmp1), dq=b64url_uint(numbers.dmq1), qi=b64url_uint(numbers.iqmp))

    def token(self, issuer, kid=None):
        now = int(time.time())
        claims = {"iss": issuer, "aud": AUDIENCE, "sub": "alice", "iat": now - 10, "exp": now + 600}
        return jwt.encode(claims, self.pem, algorithm="RS256", headers={"kid": kid or self.kid})


def jwks(*signers):
    return {"keys": [signer.jwk() for signer in signers]}


def ec_jwk(kid):
    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
            "x": b64url(numbers.x.to_bytes(32, "big")), "y": b64url(numbers.y.to_bytes(32, "big"))}


@pytest.fixture(scope="module")
def signers():
    return {"a": Signer("rot-a"), "b": Signer("rot-b"), "c": Signer("rot-c"), "weak": Signer("weak-1024", bits=1024)}


# ---------------------------------------------------------------- processes


@pytest.fixture
def scratch(workdir, request):
    directory = os.path.join(workdir, f"{request.node.name}-{free_port()}")
    os.makedirs(directory)
    return directory


@pytest.fixture
def processes():
    """Every process a test starts; stopped by PID (reverse order) however the test ends."""
    started = []
    yield started
    for service in reversed(started):
        service.stop()


def start_idp(scratch, processes, port=0, name="jwks-server"):
    server = jwks_server.start_jwks_server(scratch, port=port, name=name)
    processes.append(server)
    return server


def write_policy(directory, name, refresh, jwks_uri=None, discovery_issuer=None):
    """A one-entry policy: a Bearer token of `issuer` for every path under /api/ of the
    API host, keys from `jwks_uri` or from the discovery document of `discovery_issuer`."""
    os.makedirs(directory, exist_ok=True)
    issuer = discovery_issuer or f"https://{name}.gatepass.test"
    source = "discovery: true" if discovery_issuer else f"jwksUri: {jwks_uri}"
    flow = ", ".join(f"{key}: {value}" for key, value in refresh.items())
    text = "\n".join([
        "version: 1",
        f"name: {name}",
        f"issuer: {issuer}",
        f"audiences: [{AUDIENCE}]",
        "algorithms: [RS256]",
        "requireExpiration: true",
        source,
        "allowInsecureJwksUri: true",
        f"jwksRefresh: {{{flow}}}",
        "token:",
        "  from: header",
        "  name: Authorization",
        "  prefix: \"Bearer \"",
        "  passthrough: false",
        "authorization:",
        "  mode: blacklist",
        "  rules:",
        f"    - {{ domain: {API_HOST}, path: \"/api/**\" }}",
    ]) + "\n"
    with open(os.path.join(directory, f"{name}.yaml"), "w") as out:
        out.write(text)
    return issuer


def compile_policy(scratch, name, refresh, jwks_uri=None, discovery_issuer=None, fetch=False):
    """(bundle path, issuer): `gatepass compile`, with `--fetch-jwks` when `fetch`."""
    policies = os.path.join(scratch, "policies-" + name)
    issuer = write_policy(policies, name, refresh, jwks_uri, discovery_issuer)
    bundle = os.path.join(scratch, f"{name}.gpb")
    argv = [GATEPASS, "compile", policies, "-o", bundle, "--revision", "rev-" + name]
    if fetch:
        argv.append("--fetch-jwks")
    result = run(argv)
    assert result.returncode == 0, result.stdout + result.stderr
    return bundle, issuer


def start_service(scratch, name, bundle, processes, extra=(), ready=True):
    service = bs.start_gatepassd(GATEPASSD, scratch, name, ["--bundle", bundle], [*TIMEOUT, *extra])
    processes.append(service)
    if ready:
        bs.wait_for(lambda: readyz(service) == 200, f"{name}: /readyz 200", 15, processes)
    return service


def readyz(service):
    return bs.admin_get(service, "/readyz").status


# ---------------------------------------------------------------- decisions and metrics


def check(service, token):
    """A forward-auth check of GET /api/orders on the API host with `token` as Bearer."""
    return raw_request(service.ports["forward-auth"], "GET", "/", "127.0.0.1",
                       [("X-Forwarded-Method", "GET"), ("X-Forwarded-Uri", PROTECTED),
                        ("X-Forwarded-Host", API_HOST), ("Authorization", "Bearer " + token)])


def reason(response):
    return response.json.get("reason") if isinstance(response.json, dict) else None


def assert_allowed(service, token, what):
    response = check(service, token)
    assert response.status == 200, f"{what}: {response!r}"


def assert_unknown_key(service, token, what):
    response = check(service, token)
    assert response.status == 401 and reason(response) == "unknown_key", f"{what}: {response!r}"


SERIES = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def jwks_metric(service, name, url, **labels):
    """The value of the series `name` with url=`url` and `labels` (any label order), or
    None when /metrics has no such series."""
    wanted = dict(labels, url=url)
    for line in bs.admin_get(service, "/metrics").body.splitlines():
        match = SERIES.match(line)
        if not match or match.group(1) != name:
            continue
        found = dict(LABEL.findall(match.group(2) or ""))
        if found == wanted:
            return float(match.group(3))
    return None


def fetches(service, url, result):
    return jwks_metric(service, "gatepass_jwks_fetches_total", url, result=result) or 0


def refetches(service, url, result):
    return jwks_metric(service, "gatepass_jwks_unknown_kid_refetches_total", url, result=result) or 0


def keys_in_use(service, url):
    return jwks_metric(service, "gatepass_jwks_keys", url)


def wait_keys(service, url, count, processes, what=None):
    """`gatepass_jwks_keys{url}` reaches `count` (the gauge follows the set within a tick)."""
    bs.wait_for(lambda: keys_in_use(service, url) == count,
                what or f"gatepass_jwks_keys{{url=\"{url}\"}} == {count}", 5, processes)


def served(server, path, label=None, statuses=(200,)):
    """Requests to `path` (with `label`) the server answered with one of `statuses`."""
    return [entry for entry in server.client.log(path)
            if (label is None or entry["label"] == label) and entry["status"] in statuses]


# ---------------------------------------------------------------- rotation


def test_rotation_a_new_kid_verifies_at_once_and_a_removed_kid_stops(scratch, processes, signers):
    a, b = signers["a"], signers["b"]
    idp = start_idp(scratch, processes)
    url = idp.client.url(JWKS)
    idp.client.route(JWKS, json=jwks(a), label="a")
    # A long default interval: no scheduled refresh can run between the rotation on the
    # server and the request with the new kid, so only the unknown-kid refetch can help it.
    bundle, issuer = compile_policy(scratch, "rotation", jwks_uri=url,
                                    refresh={"default": "30s", "min": "1s", "max": "30s", "maxStale": "60s", "cooldown": "1s"})
    service = start_service(scratch, "gatepassd-rotation", bundle, processes, BUDGET)
    assert_allowed(service, a.token(issuer), "a token of the only key")
    wait_keys(service, url, 1, processes)
    assert fetches(service, url, "ok") >= 1
    assert refetches(service, url, "ok") == 0

    # The IdP publishes key b; the set now also asks to be refreshed every second.
    idp.client.route(JWKS, json=jwks(a, b), headers={"Cache-Control": "max-age=1"}, label="a+b")
    started = time.monotonic()
    response = check(service, b.token(issuer))
    took = time.monotonic() - started
    assert response.status == 200, f"a token of the new kid verifies after one refetch: {response!r}"
    assert took < 1.5, f"the request waited {took:.2f}s (budget 1s)"
    assert len(served(idp, JWKS, "a+b")) >= 1
    assert refetches(service, url, "ok") == 1
    wait_keys(service, url, 2, processes)
    assert_allowed(service, a.token(issuer), "the old key still verifies while it is published")

    # The IdP retires key a: after the next refresh (max-age=1) it stops verifying at once.
    idp.client.route(JWKS, json=jwks(b), headers={"Cache-Control": "max-age=1"}, label="b")
    bs.wait_for(lambda: served(idp, JWKS, "b") and keys_in_use(service, url) == 1,
                "the set without key a is fetched and in use", 10, processes)
    assert_unknown_key(service, a.token(issuer), "a token of the removed kid")
    assert_allowed(service, b.token(issuer), "a token of the remaining key")


def test_rotation_through_envoy_grpc_waits_for_the_refetch(scratch, processes, signers, upstream):
    """The same rotation through a real Envoy and ext_authz over gRPC, with the generated
    configuration: the Check call of a token with a new kid waits for the refetch (no
    event loop blocked) and Envoy forwards the request."""
    a, b = signers["a"], signers["b"]
    idp = start_idp(scratch, processes)
    url = idp.client.url(JWKS)
    idp.client.route(JWKS, json=jwks(a), label="a")
    bundle, issuer = compile_policy(scratch, "envoy", jwks_uri=url,
                                    refresh={"default": "30s", "min": "1s", "max": "30s", "maxStale": "60s", "cooldown": "1s"})
    service = start_service(scratch, "gatepassd-envoy", bundle, processes, [*BUDGET, "--grpc", "127.0.0.1:0"])
    listen = free_port()
    config = conftest.generate_config("envoy-grpc", os.path.join(scratch, "policies-envoy"), service.ports["grpc"],
                                      upstream.port, listen)
    envoy = conftest.start_gateway("envoy-grpc", os.path.join(scratch, "envoy"), config, listen)
    processes.append(envoy)

    def through_envoy(token):
        return raw_request(listen, "GET", PROTECTED, API_HOST, [("Authorization", "Bearer " + token)])

    assert through_envoy(a.token(issuer)).reached_upstream
    idp.client.route(JWKS, json=jwks(a, b), label="a+b")
    response = through_envoy(b.token(issuer))
    assert response.status == 200 and response.reached_upstream, f"a new kid through Envoy: {response!r}"
    assert refetches(service, url, "ok") == 1
    assert "authorization" not in response.upstream_header_names(), "the token header is removed (passthrough off)"
    stranger = through_envoy(a.token(issuer, kid="never-published"))
    assert stranger.status == 401 and not stranger.reached_upstream, repr(stranger)


# ---------------------------------------------------------------- outage


def test_outage_serves_the_last_good_set_until_max_stale_then_fails_closed(scratch, processes, signers):
    a = signers["a"]
    max_stale = 12
    idp = start_idp(scratch, processes)
    url = idp.client.url(JWKS)
    idp.client.route(JWKS, json=jwks(a), label="good")
    bundle, issuer = compile_policy(scratch, "outage", jwks_uri=url,
                                    refresh={"default": "1s", "min": "1s", "max": "2s", "maxStale": f"{max_stale}s", "cooldown": "30s"})
    service = start_service(scratch, "gatepassd-outage", bundle, processes)
    token = a.token(issuer)
    assert_allowed(service, token, "before the outage")

    def last_success():
        """Wall-clock time of the last 200 or 304 the server gave gatepassd."""
        return max(entry["time"] for entry in served(idp, JWKS, statuses=(200, 304)))

    # No ETag on the faulty routes: a conditional request must not turn them into a quick 304.
    phases = [("500", {"status": 500, "body": "{\"error\":\"internal\"}"}),
              ("hang", {"json": jwks(a), "delay": 30, "etag": False}),   # past --jwks-timeout 1s, before any header
              ("stall", {"json": jwks(a), "stall": 30, "etag": False})]  # headers and half the body, then nothing
    for label, spec in phases:
        before = fetches(service, url, "error")
        idp.client.route(JWKS, label=label, **spec)
        bs.wait_for(lambda: idp.client.count(JWKS, label) >= 1, f"a fetch reaches the `{label}` route", 10, processes)
        if label != "500":
            # A hang or a stall fails only when --jwks-timeout (1s) runs out: the error
            # counted after its arrival is its own, not one of a fetch before it.
            before = fetches(service, url, "error")
        bs.wait_for(lambda: fetches(service, url, "error") > before,
                    f"the `{label}` fetch is counted as an error (--jwks-timeout 1s bounds the whole fetch)", 10, processes)
        assert time.time() - last_success() < max_stale - 1, "the phases took longer than maxStale: the test is too slow"
        assert_allowed(service, token, f"the last good set keeps serving during `{label}`")
        assert readyz(service) == 200, f"still ready during `{label}`"
    assert fetches(service, url, "invalid") == 0

    # Past maxStale after the last success: fail closed, not ready.
    stale_from = last_success() + max_stale
    bs.wait_for(lambda: readyz(service) == 503, "/readyz 503 past maxStale", stale_from - time.time() + 6, processes)
    assert time.time() >= stale_from - 0.5, f"not ready {stale_from - time.time():.2f}s before maxStale ran out"
    assert_unknown_key(service, token, "past maxStale")

    # The server comes back: the next attempt (backoff ≤ max 2s) restores keys and readiness.
    # (The same set as before: with its ETag, the answer may well be a 304, also a success.)
    def successes():
        return fetches(service, url, "ok") + fetches(service, url, "not_modified")

    ok_before = successes()
    idp.client.route(JWKS, json=jwks(a), label="back")
    bs.wait_for(lambda: readyz(service) == 200, "ready again once a fetch succeeds", 10, processes)
    assert_allowed(service, token, "after the server came back")
    assert successes() > ok_before


# ---------------------------------------------------------------- poisoning


def test_poisoned_sets_are_refused_and_the_last_good_set_stays(scratch, processes, signers):
    a, b, weak = signers["a"], signers["b"], signers["weak"]
    idp = start_idp(scratch, processes)
    url = idp.client.url(JWKS)
    idp.client.route(JWKS, json=jwks(a), label="good")
    bundle, issuer = compile_policy(scratch, "poisoning", jwks_uri=url,
                                    refresh={"default": "1s", "min": "1s", "max": "1s", "maxStale": "60s", "cooldown": "30s"})
    service = start_service(scratch, "gatepassd-poisoning", bundle, processes, BUDGET)
    token = a.token(issuer)
    assert_allowed(service, token, "before the poisoning")
    wait_keys(service, url, 1, processes)

    poisons = [
        ("private-key", {"json": {"keys": [a.jwk(), b.private_jwk()]}}, "invalid"),
        ("weak-rsa-1024", {"json": {"keys": [a.jwk(), weak.jwk()]}}, "invalid"),
        ("hmac-oct", {"json": {"keys": [a.jwk(), {"kty": "oct", "kid": "hmac", "k": b64url(b"s" * 32)}]}}, "invalid"),
        ("empty", {"json": {"keys": []}}, "invalid"),
        ("no-rs256-key", {"json": {"keys": [ec_jwk("only-es256")]}}, "invalid"),
        ("garbage", {"body": "<html><body>502 Bad Gateway</body></html>"}, "invalid"),
        ("truncated", {"body": json.dumps(jwks(a))[:100]}, "invalid"),
        ("600-KiB", {"json": {"keys": [a.jwk(), b.jwk()]}, "fill": 600 * 1024}, "error"),  # over the default 512 KiB
        ("10-MiB", {"json": {"keys": [a.jwk(), b.jwk()]}, "fill": 10 * 1024 * 1024}, "error"),
    ]
    for label, spec, result in poisons:
        before = fetches(service, url, result)
        idp.client.route(JWKS, label=label, **spec)
        bs.wait_for(lambda: idp.client.count(JWKS, label) >= 1 and fetches(service, url, result) > before,
                    f"the `{label}` set is refused and counted as {result}", 10, processes)
        assert_allowed(service, token, f"the last good set keeps serving after `{label}`")
        assert keys_in_use(service, url) == 1, f"after `{label}`"
        assert readyz(service) == 200
        if label == "private-key":
            assert_unknown_key(service, b.token(issuer), "a key that came only in a refused set")
    assert fetches(service, url, "ok") >= 1

    # A good set again: installed.
    idp.client.route(JWKS, json=jwks(a, b), label="good-again")
    wait_keys(service, url, 2, processes, "the next good set is installed")
    assert_allowed(service, b.token(issuer), "a key of the good set")


# ---------------------------------------------------------------- flood of random kids


def test_a_flood_of_random_kids_causes_at_most_one_fetch_per_cooldown(scratch, processes, signers):
    a = signers["a"]
    cooldown = 2.0
    idp = start_idp(scratch, processes)
    url = idp.client.url(JWKS)
    idp.client.route(JWKS, json=jwks(a), label="good")
    bundle, issuer = compile_policy(scratch, "flood", jwks_uri=url,
                                    refresh={"default": "60s", "min": "1s", "max": "60s", "maxStale": "120s", "cooldown": "2s"})
    service = start_service(scratch, "gatepassd-flood", bundle, processes, ["--jwks-refetch-budget", "100ms"])
    assert_allowed(service, a.token(issuer), "before the flood")
    idp.client.clear()

    duration = 4.5
    results = []
    failures = []
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def attacker():
        seen = []
        try:
            while time.monotonic() < deadline:
                kid = "".join(random.choices(string.ascii_letters + string.digits, k=16))
                response = check(service, a.token(issuer, kid=kid))
                seen.append((response.status, reason(response)))
        except Exception as error:  # reported by the main thread
            with lock:
                failures.append(repr(error))
        with lock:
            results.extend(seen)

    started = time.time()
    threads = [threading.Thread(target=attacker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 30)
    ended = time.time()
    assert not any(thread.is_alive() for thread in threads), "the flood did not end"
    assert not failures, failures
    assert len(results) >= 20, f"only {len(results)} requests in the flood"
    assert set(results) == {(401, "unknown_key")}, set(results)

    arrivals = sorted(entry["time"] for entry in idp.client.log(JWKS))
    windows = int((ended - started) / cooldown) + 1
    print(f"flood: {len(results)} random kids in {ended - started:.1f}s caused {len(arrivals)} fetches "
          f"(at most {windows} allowed with a {cooldown:.0f}s cooldown)")
    assert 1 <= len(arrivals) <= windows, arrivals
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:])]
    assert all(gap >= cooldown - 0.25 for gap in gaps), f"two fetches closer than the cooldown: {gaps}"
    assert refetches(service, url, "rate_limited") >= 1
    assert refetches(service, url, "ok") >= 1
    assert_allowed(service, a.token(issuer), "a good token after the flood")


# ---------------------------------------------------------------- 304


def test_not_modified_keeps_the_set_and_resets_its_age(scratch, processes, signers):
    a, b = signers["a"], signers["b"]
    max_stale = 3
    idp = start_idp(scratch, processes)
    url = idp.client.url(JWKS)
    etag = idp.client.route(JWKS, json=jwks(a), label="etag")["etag"]
    bundle, issuer = compile_policy(scratch, "not-modified", jwks_uri=url,
                                    refresh={"default": "1s", "min": "1s", "max": "1s", "maxStale": f"{max_stale}s", "cooldown": "30s"})
    service = start_service(scratch, "gatepassd-not-modified", bundle, processes)
    token = a.token(issuer)
    assert_allowed(service, token, "after the first fetch")

    first = served(idp, JWKS, "etag")[0]["time"]
    bs.wait_for(lambda: fetches(service, url, "not_modified") >= 3 and time.time() > first + max_stale + 1.5,
                "three 304s and maxStale past the only 200", 15, processes)
    log = idp.client.log(JWKS)
    assert [entry["status"] for entry in log][:1] == [200] and all(entry["status"] == 304 for entry in log[1:]), log
    assert all(entry["if_none_match"] == etag for entry in log[1:]), "every refresh is conditional on the ETag"
    assert fetches(service, url, "ok") == 1
    assert readyz(service) == 200, "304s reset the set's age: still ready past maxStale after the only 200"
    assert_allowed(service, token, "keys kept through 304s")
    wait_keys(service, url, 1, processes)
    age = jwks_metric(service, "gatepass_jwks_age_seconds", url)
    assert age is not None and 0 <= age < max_stale, f"age {age}"

    # Last-Modified without an ETag: If-Modified-Since, answered 304.
    modified = idp.client.route(JWKS, json=jwks(a), etag=False, last_modified=True, label="last-modified")["last_modified"]
    before = fetches(service, url, "not_modified")
    bs.wait_for(lambda: any(entry["if_modified_since"] == modified for entry in served(idp, JWKS, "last-modified", (304,))),
                "a refresh conditional on Last-Modified answered 304", 10, processes)
    bs.wait_for(lambda: fetches(service, url, "not_modified") > before, "the 304 is counted", 5, processes)
    assert_allowed(service, token, "keys kept through Last-Modified 304s")

    # A changed body is fetched and installed.
    idp.client.route(JWKS, json=jwks(a, b), label="changed")
    wait_keys(service, url, 2, processes, "the changed set is installed")
    assert_allowed(service, b.token(issuer), "a key of the changed set")


# ---------------------------------------------------------------- refresh schedule


def test_refresh_interval_follows_cache_headers_within_min_and_max_and_failures_back_off(scratch, processes, signers):
    a = signers["a"]
    idp = start_idp(scratch, processes)
    url = idp.client.url(JWKS)
    idp.client.route(JWKS, json=jwks(a), label="default")
    bundle, issuer = compile_policy(scratch, "schedule", jwks_uri=url,
                                    refresh={"default": "2s", "min": "1s", "max": "3s", "maxStale": "60s", "cooldown": "30s"})
    service = start_service(scratch, "gatepassd-schedule", bundle, processes)
    assert_allowed(service, a.token(issuer), "before the schedule checks")

    def gap_after(label, count=2, timeout=15):
        """Seconds between the first two fetches answered under `label` (the first answer's
        headers set the interval before the second), as the server saw them arrive."""
        bs.wait_for(lambda: idp.client.count(JWKS, label) >= count, f"{count} fetches under `{label}`", timeout, processes)
        times = [entry["time"] for entry in idp.client.log(JWKS) if entry["label"] == label]
        return [later - earlier for earlier, later in zip(times, times[1:])]

    # ±10 % jitter, plus a little for scheduling and a loaded machine (the tolerances keep
    # 2s and 3s apart: a default-2s answer arrives by 2.4s, a 3s one from 2.55s).
    def within(gap, interval):
        return 0.9 * interval - 0.15 <= gap <= 1.1 * interval + 0.6

    gaps = gap_after("default")
    assert within(gaps[0], 2), f"no caching headers: the default 2s, not {gaps[0]:.2f}s"

    idp.client.route(JWKS, json=jwks(a), headers={"Cache-Control": "max-age=0"}, label="max-age=0")
    gaps = gap_after("max-age=0")
    assert within(gaps[0], 1), f"max-age=0 is clamped to min 1s, not {gaps[0]:.2f}s"

    idp.client.route(JWKS, json=jwks(a), expires_in=3600, label="expires")
    gaps = gap_after("expires")
    assert within(gaps[0], 3), f"Expires an hour ahead is clamped to max 3s, not {gaps[0]:.2f}s"

    idp.client.route(JWKS, status=503, body="{}", label="failing")
    gaps = gap_after("failing", count=4, timeout=20)
    print(f"backoff gaps: {[round(gap, 2) for gap in gaps]}")
    for gap, interval in zip(gaps, (1, 2, 3)):
        assert interval - 0.15 <= gap <= interval + 0.6, f"failures back off 1s, 2s, then max 3s (not 4s): {gaps}"
    assert fetches(service, url, "error") >= 3
    assert_allowed(service, a.token(issuer), "the last good set serves through the failures")


# ---------------------------------------------------------------- discovery


def test_discovery_with_a_mismatching_issuer_is_refused(scratch, processes, signers):
    a = signers["a"]
    idp = start_idp(scratch, processes)
    issuer = f"http://127.0.0.1:{idp.port}"
    document_url = idp.client.url(DISCOVERY)
    idp.client.route(JWKS, json=jwks(a), label="keys")
    bundle, issuer = compile_policy(scratch, "discovery-mismatch", discovery_issuer=issuer,
                                    refresh={"default": "1s", "min": "1s", "max": "2s", "maxStale": "60s", "cooldown": "30s"})
    # Written before gatepassd starts: its first fetch sees the trailing slash.
    idp.client.route(DISCOVERY, json={"issuer": issuer + "/", "jwks_uri": idp.client.url(JWKS)}, label="trailing-slash")
    service = start_service(scratch, "gatepassd-discovery-mismatch", bundle, processes, ready=False)

    def refused():
        return fetches(service, document_url, "invalid") + fetches(service, document_url, "error")

    for label, document_issuer in [("trailing-slash", issuer + "/"), ("other-host", "http://127.0.0.2:" + str(idp.port)),
                                   ("upper-case", issuer.upper())]:
        before = refused()
        idp.client.route(DISCOVERY, json={"issuer": document_issuer, "jwks_uri": idp.client.url(JWKS)}, label=label)
        bs.wait_for(lambda: idp.client.count(DISCOVERY, label) >= 1 and refused() > before,
                    f"the `{label}` document is refused and counted", 10, processes)
        assert readyz(service) == 503, f"not ready with the `{label}` document (--jwks-startup wait)"
        assert_unknown_key(service, a.token(issuer), f"no keys from the `{label}` document")
    assert idp.client.count(JWKS) == 0, "the jwks_uri of a refused document is never fetched"
    assert fetches(service, document_url, "ok") == 0

    # The document fixed: keys, readiness, an allow.
    idp.client.route(DISCOVERY, json={"issuer": issuer, "jwks_uri": idp.client.url(JWKS)}, label="fixed")
    bs.wait_for(lambda: readyz(service) == 200, "ready once the document names the issuer exactly", 10, processes)
    assert_allowed(service, a.token(issuer), "with the fixed document")


def test_discovery_finds_the_jwks_uri_and_follows_rotation(scratch, processes, signers):
    a, b = signers["a"], signers["b"]
    idp = start_idp(scratch, processes)
    issuer = f"http://127.0.0.1:{idp.port}"
    document_url = idp.client.url(DISCOVERY)
    keys_url = idp.client.url("/oauth2/v1/keys")
    idp.client.route(DISCOVERY, json={"issuer": issuer, "jwks_uri": keys_url, "id_token_signing_alg_values_supported": ["RS256"],
                                      "authorization_endpoint": issuer + "/authorize"}, label="document")
    idp.client.route("/oauth2/v1/keys", json=jwks(a), label="a")
    bundle, issuer = compile_policy(scratch, "discovery", discovery_issuer=issuer,
                                    refresh={"default": "30s", "min": "1s", "max": "30s", "maxStale": "60s", "cooldown": "1s"})
    service = start_service(scratch, "gatepassd-discovery", bundle, processes, BUDGET)
    assert_allowed(service, a.token(issuer), "a key from the discovered jwks_uri")
    assert idp.client.count(DISCOVERY) >= 1 and idp.client.count(JWKS) == 0
    assert fetches(service, document_url, "ok") >= 1, "the document's fetch is labelled with its own URL"
    assert fetches(service, keys_url, "ok") >= 1, "the set's fetch is labelled with the jwks_uri"
    wait_keys(service, keys_url, 1, processes)

    idp.client.route("/oauth2/v1/keys", json=jwks(a, b), label="a+b")
    assert_allowed(service, b.token(issuer), "a new kid at the discovered jwks_uri, after one refetch")
    assert refetches(service, keys_url, "ok") == 1
    assert len(served(idp, "/oauth2/v1/keys", "a+b")) >= 1


# ---------------------------------------------------------------- redirects


def test_a_redirect_to_http_is_refused(scratch, processes, signers):
    a = signers["a"]
    idp = start_idp(scratch, processes)
    url = idp.client.url(JWKS)
    target = idp.client.url("/moved/jwks.json")  # same host and port, but http
    idp.client.route("/moved/jwks.json", json=jwks(a), label="target")
    idp.client.route(JWKS, status=302, redirect=target, label="302")
    bundle, issuer = compile_policy(scratch, "redirect", jwks_uri=url,
                                    refresh={"default": "1s", "min": "1s", "max": "1s", "maxStale": "60s", "cooldown": "30s"})
    token = a.token(issuer)

    # From the start: never ready, no keys, the target never asked.
    first = start_service(scratch, "gatepassd-redirect-start", bundle, processes, ready=False)
    bs.wait_for(lambda: fetches(first, url, "error") >= 2, "the redirect is refused (twice)", 10, processes)
    assert readyz(first) == 503
    assert_unknown_key(first, token, "no keys behind a redirect to http")
    assert idp.client.count("/moved/jwks.json") == 0, "the http target of the redirect was fetched"
    first.stop()

    # Later in life: the last good set stays, each redirect is an error.
    idp.client.route(JWKS, json=jwks(a), label="direct")
    service = start_service(scratch, "gatepassd-redirect-later", bundle, processes)
    assert_allowed(service, token, "a set fetched directly")
    for status in (301, 307, 308):
        label = str(status)
        before = fetches(service, url, "error")
        idp.client.route(JWKS, status=status, redirect=target, label=label)
        bs.wait_for(lambda: idp.client.count(JWKS, label) >= 1 and fetches(service, url, "error") > before,
                    f"a {status} to http is refused", 10, processes)
        assert_allowed(service, token, f"the last good set keeps serving after a {status}")
    assert idp.client.count("/moved/jwks.json") == 0, "the http target of a redirect was fetched"


# ---------------------------------------------------------------- startup


def test_startup_wait_is_not_ready_and_serve_is_while_the_server_is_down(scratch, processes, signers):
    a = signers["a"]
    port = free_port()  # nothing listens there yet
    url = f"http://127.0.0.1:{port}{JWKS}"
    bundle, issuer = compile_policy(scratch, "startup", jwks_uri=url,
                                    refresh={"default": "1s", "min": "1s", "max": "2s", "maxStale": "60s", "cooldown": "30s"})
    token = a.token(issuer)
    waiting = start_service(scratch, "gatepassd-startup-wait", bundle, processes, ["--jwks-startup", "wait"], ready=False)
    serving = start_service(scratch, "gatepassd-startup-serve", bundle, processes, ["--jwks-startup", "serve"], ready=False)

    bs.wait_for(lambda: readyz(serving) == 200, "--jwks-startup serve is ready at once", 10, processes)
    bs.wait_for(lambda: fetches(waiting, url, "error") >= 2, "wait mode retries the fetch", 10, processes)
    assert readyz(waiting) == 503, "--jwks-startup wait is not ready before a set is loaded"
    assert readyz(serving) == 200
    assert_unknown_key(waiting, token, "wait mode without keys")
    assert_unknown_key(serving, token, "serve mode: an entry without keys fails closed")

    idp = start_idp(scratch, processes, port=port)
    idp.client.route(JWKS, json=jwks(a), label="up")
    bs.wait_for(lambda: readyz(waiting) == 200, "wait mode ready once the server answers", 10, processes)
    assert_allowed(waiting, token, "wait mode once the set is loaded")
    bs.wait_for(lambda: check(serving, token).status == 200, "serve mode allows once the set is loaded", 10, processes)
    wait_keys(serving, url, 1, processes)
    wait_keys(waiting, url, 1, processes)


def test_a_bootstrap_set_from_compile_fetch_jwks_serves_while_the_server_is_down(scratch, processes, signers):
    a, b = signers["a"], signers["b"]
    idp = start_idp(scratch, processes)
    port = idp.port
    url = idp.client.url(JWKS)
    idp.client.route(JWKS, json=jwks(a), label="compile")
    bundle, issuer = compile_policy(scratch, "bootstrap", jwks_uri=url, fetch=True,
                                    refresh={"default": "1s", "min": "1s", "max": "2s", "maxStale": "300s", "cooldown": "1s"})
    assert idp.client.count(JWKS, "compile") == 1, "compile --fetch-jwks fetched the set once"
    idp.stop()
    processes.remove(idp)

    token = a.token(issuer)
    service = start_service(scratch, "gatepassd-bootstrap", bundle, processes, ["--jwks-startup", "wait", *BUDGET])
    assert_allowed(service, token, "the bootstrap set verifies with the server down")
    bs.wait_for(lambda: fetches(service, url, "error") >= 1, "the refresher tried the server", 10, processes)
    assert readyz(service) == 200
    wait_keys(service, url, 1, processes, "the bootstrap set's keys are in use")
    assert_allowed(service, token, "still after a failed refresh")
    assert fetches(service, url, "ok") == 0

    # The server is back with a rotated set: the network set replaces the bootstrap one.
    idp = start_idp(scratch, processes, port=port, name="jwks-server-back")
    idp.client.route(JWKS, json=jwks(a, b), label="back")
    bs.wait_for(lambda: check(service, b.token(issuer)).status == 200, "a key only the server has verifies", 10, processes)
    assert fetches(service, url, "ok") >= 1
