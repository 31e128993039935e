"""Bundle sources, reloads and observability of gatepassd with real servers on loopback:
a watched file (and SIGHUP), an nginx-served URL (ETag, 304), the CNCF distribution
registry (OCI, `gatepass publish`), `promtool check metrics`, a real Prometheus scrape,
decision logs that never hold a token, and SIGTERM turning readiness false first."""
import json
import os
import signal
import subprocess
import time
import urllib.parse

import pytest

import bundle_servers as bs
import policy_fixture
from conftest import GATEPASS, GATEPASSD
from harness import Service, free_port, raw_request, run

POLL = ["--bundle-poll-min", "1s", "--bundle-poll-max", "1s"]


@pytest.fixture(scope="module")
def signing(workdir):
    directory = os.path.join(workdir, "signing-keys")
    os.makedirs(directory, exist_ok=True)
    return {"good": bs.signing_key(directory, "good"), "other": bs.signing_key(directory, "other")}


@pytest.fixture
def scratch(workdir, request):
    directory = os.path.join(workdir, f"{request.node.name}-{free_port()}")
    os.makedirs(directory)
    return directory


def forward_auth(service, target, headers=()):
    """A forward-auth check of GET `target` on the API host, as Caddy or Traefik sends it."""
    return raw_request(service.ports["forward-auth"], "GET", "/", "127.0.0.1",
                       [("X-Forwarded-Method", "GET"), ("X-Forwarded-Uri", target),
                        ("X-Forwarded-Host", policy_fixture.API_HOST), *headers])


def publish_file(root, gatepass, policies, revision, key=None):
    """Compiles into a temporary name and renames it over `bundle.gpb`: what a deploy does."""
    temporary = os.path.join(root, f".{revision}.tmp")
    bs.compile_bundle(gatepass, policies, temporary, revision, key)
    os.rename(temporary, os.path.join(root, "bundle.gpb"))


def errors(service):
    return bs.metric(service, 'gatepass_bundle_activations_total{result="error"}') or 0


def test_a_watched_file_reloads_on_change_and_on_sighup(scratch, bundles):
    policies = bundles["header"].directory
    publish_file(scratch, GATEPASS, policies, "rev-file-1")
    service = bs.start_gatepassd(GATEPASSD, scratch, "gatepassd-file", ["--bundle", os.path.join(scratch, "bundle.gpb")])
    try:
        assert bs.revision_of(service) == "rev-file-1"
        allowed = forward_auth(service, "/public/x")
        assert allowed.status == 200 and allowed.header("x-gatepass-revision") == "rev-file-1"

        publish_file(scratch, GATEPASS, policies, "rev-file-2")
        bs.wait_for(lambda: bs.revision_of(service) == "rev-file-2", "the renamed file activates", 10, [service])
        assert forward_auth(service, "/public/x").header("x-gatepass-revision") == "rev-file-2"

        before = bs.metric(service, 'gatepass_bundle_activations_total{result="ok"}')
        os.kill(service.pid, signal.SIGHUP)
        bs.wait_for(lambda: bs.metric(service, 'gatepass_bundle_activations_total{result="ok"}') == before + 1,
                    "SIGHUP reactivates", 10, [service])

        with open(os.path.join(scratch, "bundle.gpb"), "r+b") as bundle:
            bundle.seek(200)
            byte = bundle.read(1)
            bundle.seek(200)
            bundle.write(bytes([byte[0] ^ 0x01]))
        bs.wait_for(lambda: errors(service) >= 1, "a corrupt file is refused", 10, [service])
        assert bs.revision_of(service) == "rev-file-2"
        assert bs.metric(service, 'gatepass_bundle_last_failure_reason{reason="digest"}') == 1
        assert forward_auth(service, "/public/x").status == 200, "decisions go on with the last good bundle"
    finally:
        service.stop()


def test_a_url_source_polls_with_etags_and_keeps_the_last_good_bundle(scratch, bundles, signing):
    policies = bundles["header"].directory
    good, good_public = signing["good"]
    other, _ = signing["other"]
    root = os.path.join(scratch, "www")
    os.makedirs(root)
    publish_file(root, GATEPASS, policies, "rev-http-1", good)
    nginx = bs.start_nginx_files(os.path.join(scratch, "nginx"), root)
    cache = os.path.join(scratch, "cache")
    source = ["--bundle-url", f"http://127.0.0.1:{nginx.port}/bundle.gpb", "--trusted-key", good_public, "--bundle-cache", cache, *POLL]
    service = bs.start_gatepassd(GATEPASSD, scratch, "gatepassd-url", source)
    restarted = None
    try:
        assert bs.revision_of(service) == "rev-http-1"
        bs.wait_for(lambda: '" 304 ' in open(nginx.access_log).read(), "a conditional poll answered 304", 10, [service, nginx])

        started = time.monotonic()
        publish_file(root, GATEPASS, policies, "rev-http-2", good)
        converged = bs.wait_for(lambda: bs.revision_of(service) == "rev-http-2", "the new bundle activates", 2 * 1 + 5, [service])
        print(f"url source: converged in {converged - started:.2f}s with a 1s poll interval")

        with open(os.path.join(root, "bundle.gpb"), "wb") as bundle:
            bundle.write(b"GPBUNDLE but not really" * 10)
        bs.wait_for(lambda: errors(service) == 1, "a corrupt bundle is refused", 10, [service])
        publish_file(root, GATEPASS, policies, "rev-unsigned")
        bs.wait_for(lambda: errors(service) == 2, "an unsigned bundle is refused", 10, [service])
        publish_file(root, GATEPASS, policies, "rev-other", other)
        bs.wait_for(lambda: errors(service) == 3, "a bundle signed by an unknown key is refused", 10, [service])
        assert bs.revision_of(service) == "rev-http-2"
        assert bs.metric(service, 'gatepass_bundle_last_failure_reason{reason="signature"}') == 1
        assert forward_auth(service, "/public/x").header("x-gatepass-revision") == "rev-http-2"

        nginx.stop()
        bs.wait_for(lambda: errors(service) >= 4, "a fetch failure is counted", 10, [service])
        assert bs.metric(service, 'gatepass_bundle_last_failure_reason{reason="fetch"}') == 1
        assert bs.revision_of(service) == "rev-http-2", "the service keeps serving while the bundle server is down"

        service.stop()
        restarted = bs.start_gatepassd(GATEPASSD, scratch, "gatepassd-url-restarted", source)
        assert bs.revision_of(restarted) == "rev-http-2", "a restart while the source is down serves the cache"
        assert forward_auth(restarted, "/public/x").status == 200
    finally:
        for process in (restarted, service, nginx):
            if process:
                process.stop()


def test_an_oci_source_pulls_what_gatepass_publish_pushed(scratch, bundles, signing):
    policies = bundles["header"].directory
    good, good_public = signing["good"]
    registry = bs.start_registry(os.path.join(scratch, "registry"))
    services = [registry]
    try:
        reference = f"127.0.0.1:{registry.port}/gatepass/policies:prod"

        def publish(revision, key=good):
            bundle = bs.compile_bundle(GATEPASS, policies, os.path.join(scratch, f"{revision}.gpb"), revision, key)
            result = run([GATEPASS, "publish", bundle, reference])
            assert result.returncode == 0, result.stdout + result.stderr
            digest = result.stdout.split()[2]
            assert digest.startswith("sha256:") and len(digest) == 71, result.stdout
            return digest

        first = publish("rev-oci-1")
        assert publish("rev-oci-1") == first, "publishing the same bundle twice gives the same manifest digest"
        service = bs.start_gatepassd(GATEPASSD, scratch, "gatepassd-oci", ["--bundle-oci", reference, "--trusted-key", good_public, *POLL])
        services.append(service)
        pinned = bs.start_gatepassd(GATEPASSD, scratch, "gatepassd-oci-pinned",
                                    ["--bundle-oci", reference.rsplit(":", 1)[0] + "@" + first, "--trusted-key", good_public, *POLL])
        services.append(pinned)
        assert bs.revision_of(service) == "rev-oci-1" and bs.revision_of(pinned) == "rev-oci-1"

        started = time.monotonic()
        publish("rev-oci-2")
        converged = bs.wait_for(lambda: bs.revision_of(service) == "rev-oci-2", "the new tag activates", 2 * 1 + 5, [service])
        print(f"oci source: converged in {converged - started:.2f}s with a 1s poll interval")
        publish("rev-oci-unsigned", key=None)
        bs.wait_for(lambda: errors(service) >= 1, "an unsigned artifact is refused", 10, [service])
        assert bs.revision_of(service) == "rev-oci-2"
        assert bs.revision_of(pinned) == "rev-oci-1", "a replica pinned by digest never moves, whatever the tag does"

        bad = run([GATEPASS, "publish", os.path.join(scratch, "rev-oci-unsigned.gpb"), reference, "--trusted-key", good_public])
        assert bad.returncode == 2 and "not signed" in bad.stderr, bad.stdout + bad.stderr
    finally:
        for process in reversed(services):
            process.stop()


def test_metrics_pass_promtool_and_a_real_prometheus_scrapes_them(scratch, bundles, keys):
    service = bs.start_gatepassd(GATEPASSD, scratch, "gatepassd-metrics", ["--bundle", bundles["header"].bundle])
    prometheus = None
    try:
        for target, headers in [("/public/x", []), ("/admin/x", []),
                                ("/admin/x", [("Authorization", "Bearer " + keys.token())])]:
            forward_auth(service, target, headers)
        text = bs.admin_get(service, "/metrics").body
        for series in ['gatepass_decisions_total{transport="forward-auth",outcome="allow",reason="authenticated",entry="gw-api"} 1',
                       'gatepass_decisions_total{transport="forward-auth",outcome="deny",reason="token_missing",entry="none"} 1',
                       "gatepass_ready 1"]:
            assert series in text, text
        assert "alice" not in text and "/admin" not in text, "no subject or path in label values"
        check = subprocess.run([bs.PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stdout + check.stderr

        port = free_port()
        config = os.path.join(scratch, "prometheus.yml")
        with open(config, "w") as out:
            out.write("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: gatepassd\n"
                      f"    static_configs:\n      - targets: ['127.0.0.1:{service.ports['admin']}']\n")
        prometheus = Service("prometheus", [bs.PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={scratch}/tsdb",
                                            f"--web.listen-address=127.0.0.1:{port}"], scratch)
        query = "/api/v1/query?query=" + urllib.parse.quote('sum(gatepass_decisions_total{transport="forward-auth"})')

        def scraped():
            response = raw_request(port, "GET", query, f"127.0.0.1:{port}", timeout=2)
            if response.status != 200 or not response.json:
                return False
            result = response.json["data"]["result"]
            return bool(result) and float(result[0]["value"][1]) == 3

        prometheus.wait_until(scraped, "Prometheus has scraped the three decisions", timeout=60)
    finally:
        if prometheus:
            prometheus.stop()
        service.stop()


def test_decision_logs_hold_the_fields_and_never_a_token(scratch, bundles, keys):
    log = os.path.join(scratch, "decisions.jsonl")
    service = bs.start_gatepassd(GATEPASSD, scratch, "gatepassd-logs",
                                 ["--bundle", bundles["header"].bundle, "--decision-log", log, "--log-level", "debug"])
    good, expired, stranger = keys.token(), keys.expired(), keys.token(key=keys.stranger)
    try:
        for token in (good, expired, stranger):
            forward_auth(service, "/admin/users?secret-query=q1", [("Authorization", "Bearer " + token), ("X-Request-Id", "req-7"),
                                                                    ("Cookie", "session=cookie-secret")])
    finally:
        service.stop()
    assert service.process.returncode == 0
    lines = [json.loads(line) for line in open(log)]
    assert [line["reason"] for line in lines] == ["authenticated", "token_expired", "bad_signature"]
    first = lines[0]
    assert first["path"] == "/admin/users" and first["request_id"] == "req-7" and first["entry"] == "gw-api"
    assert first["sub"].startswith("sha256:") and first["issuer"] == policy_fixture.issuer("gw-api")
    assert first["kid"] == policy_fixture.KID and first["revision"] and first["method"] == "GET"
    everything = open(log).read() + service.logs(limit=10 ** 7)
    for secret in (good, expired, stranger, *(token.split(".")[2] for token in (good, expired, stranger)),
                   "q1", "cookie-secret", "alice"):
        assert secret not in everything, f"`{secret[:20]}…` reached a log"


def test_sigterm_turns_readiness_false_first_then_exits_zero(scratch, bundles):
    service = bs.start_gatepassd(GATEPASSD, scratch, "gatepassd-sigterm",
                                 ["--bundle", bundles["header"].bundle, "--shutdown-delay", "2s"])
    try:
        assert bs.admin_get(service, "/readyz").status == 200
        os.kill(service.pid, signal.SIGTERM)
        bs.wait_for(lambda: bs.admin_get(service, "/readyz").status == 503, "readiness turns false", 5, [service])
        assert forward_auth(service, "/public/x").status == 200, "decisions are still served during the delay"
        service.process.wait(timeout=15)
        assert service.process.returncode == 0
    finally:
        service.stop()
