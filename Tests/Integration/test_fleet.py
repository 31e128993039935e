"""The fleet test: three gatepassd replicas behind a real Envoy, in front of the echo
upstream, under load from wrk, while bundles are published, broken, and the bundle servers
and replicas go away.

- Replicas 0 and 1 poll an nginx-served URL (`--bundle-url`), replica 2 the CNCF
  distribution registry (`--bundle-oci`); every bundle is signed and every replica has
  `--trusted-key`, `--bundle-cache` and a 1 s poll interval.
- Envoy (`--concurrency 1`) runs the configuration `gatepass gateway-config envoy-grpc
  --service A --service B --service C` writes (round robin, gRPC health checks, outlier
  detection, a retry), plus an admin listener for its counters.
- wrk (Tests/Integration/fleet_load.lua) sends, at a bounded rate, three kinds of request:
  a valid token to a protected path (200), a public path (200), no token on a protected
  path (401), and counts statuses and the `x-gatepass-revision` each allowed request
  carried to the upstream.

Scenarios, in order, each under its own bounded wrk run: (1) a new signed bundle reaches
every replica within twice the poll interval, no request fails, each allowed request
carries exactly one revision; (2) a corrupt, an unsigned and a wrongly signed bundle are
refused by every replica, counted in /metrics, and decisions do not change; (3) with both
bundle servers stopped the replicas keep serving, and restarted replicas serve from the
cache; (4) SIGKILL one replica, then SIGTERM another: nothing the bundle denies is ever
allowed; failures are counted and reported. The measured numbers are printed (also with
pytest -q).
"""
import hashlib
import http.client
import json
import os
import shutil
import signal
import time
import urllib.parse

import pytest
import yaml

import bundle_servers as bs
import policy_fixture
from conftest import GATEPASS, GATEPASSD, start_gateway
from harness import Service, free_port, raw_request, run

POLL_SECONDS = 1
POLL = ["--bundle-poll-min", f"{POLL_SECONDS}s", "--bundle-poll-max", f"{POLL_SECONDS}s"]
# Readiness-first shutdown: the delay covers one Envoy health-check interval plus its timeout.
LIFECYCLE = ["--shutdown-delay", "2s", "--shutdown-grace", "5s"]
WRK = os.environ.get("WRK_BIN") or shutil.which("wrk") or "/usr/bin/wrk"
LUA = os.path.join(os.path.dirname(__file__), "fleet_load.lua")
# Six wrk threads, one connection each (two per request kind), 20 ms apart: at most 300 requests a second.
LOAD_THREADS = 6
LOAD_PAUSE_MS = 20
REPOSITORY = "gatepass/policies"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_BUNDLE = "application/vnd.gatepass.bundle.v1"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
ENVOY_COUNTERS = [
    "cluster.gatepass_grpc.upstream_rq_retry",
    "cluster.gatepass_grpc.upstream_rq_retry_success",
    "cluster.gatepass_grpc.upstream_cx_connect_fail",
    "cluster.gatepass_grpc.upstream_rq_pending_failure_eject",
    "cluster.gatepass_grpc.upstream_cx_destroy_remote_with_active_rq",
    "cluster.gatepass_grpc.upstream_rq_rx_reset",
    "cluster.gatepass_grpc.upstream_rq_timeout",
    "cluster.gatepass_grpc.health_check.failure",
    "cluster.gatepass_grpc.outlier_detection.ejections_enforced_total",
    "cluster.gatepass_grpc.lb_healthy_panic",
    "http.gatepass_ingress.ext_authz.ok",
    "http.gatepass_ingress.ext_authz.denied",
    "http.gatepass_ingress.ext_authz.error",
]


class LoadResult:
    """What wrk's threads counted, by request kind."""

    EXPECTED = {"valid": 200, "public": 200, "missing": 401}

    def __init__(self, stdout, seconds):
        self.kinds = {}
        self.errors = {}
        self.seconds = seconds
        for line in stdout.splitlines():
            if line.startswith("FLEET "):
                fields = dict(item.split("=", 1) for item in line.split()[1:])
                kind = self.kinds.setdefault(fields["kind"], {"responses": 0, "bad_revision": 0, "statuses": {}, "revisions": {}})
                kind["responses"] += int(fields["responses"])
                kind["bad_revision"] += int(fields["bad_revision"])
                for key, value in fields.items():
                    if key.startswith("status:"):
                        status = int(key.split(":", 1)[1])
                        kind["statuses"][status] = kind["statuses"].get(status, 0) + int(value)
                    elif key.startswith("revision:"):
                        revision = key.split(":", 1)[1]
                        kind["revisions"][revision] = kind["revisions"].get(revision, 0) + int(value)
            elif line.startswith("FLEETERRORS "):
                self.errors = {key: int(value) for key, value in (item.split("=", 1) for item in line.split()[1:])}
        assert set(self.kinds) == set(self.EXPECTED), f"wrk's script did not report every kind:\n{stdout}"

    @property
    def responses(self):
        return sum(kind["responses"] for kind in self.kinds.values())

    @property
    def socket_errors(self):
        return sum(self.errors.get(name, 0) for name in ("connect", "read", "write", "timeout"))

    def unexpected(self):
        """{kind: {status: count}} of every response that is not the bundle's decision."""
        out = {}
        for name, kind in self.kinds.items():
            wrong = {status: n for status, n in kind["statuses"].items() if status != self.EXPECTED[name]}
            if wrong:
                out[name] = wrong
        return out

    @property
    def failed(self):
        return sum(sum(wrong.values()) for wrong in self.unexpected().values()) + self.socket_errors

    @property
    def wrongly_allowed(self):
        return self.kinds["missing"]["statuses"].get(200, 0)

    @property
    def bad_revisions(self):
        return sum(kind["bad_revision"] for kind in self.kinds.values())

    def revisions(self, kinds=("valid", "public", "missing")):
        out = {}
        for name in kinds:
            for revision, n in self.kinds[name]["revisions"].items():
                out[revision] = out.get(revision, 0) + n
        return out

    def summary(self):
        by_kind = ", ".join(f"{name} {kind['responses']} {dict(sorted(kind['statuses'].items()))}"
                            for name, kind in sorted(self.kinds.items()))
        return (f"{self.responses} responses in {self.seconds}s ({self.responses / self.seconds:.0f}/s): {by_kind}; "
                f"revisions {self.revisions()}; socket errors {self.errors}")


class Load:
    """One bounded wrk run through the gateway (a rate bound by the script, a time bound by -d)."""

    def __init__(self, fleet, name, seconds):
        self.seconds = seconds
        argv = [WRK, "-t", str(LOAD_THREADS), "-c", str(LOAD_THREADS), "-d", f"{seconds}s", "--timeout", "5s",
                "-s", LUA, f"http://127.0.0.1:{fleet.gateway_port}/", "--", fleet.token, policy_fixture.API_HOST,
                str(LOAD_PAUSE_MS)]
        self.service = Service(f"wrk-{name}", argv, fleet.directory)
        self.started = time.monotonic()

    def sleep_until(self, offset):
        """Waits until `offset` seconds after the load started (a bounded wait for the scenario's step)."""
        remaining = self.started + offset - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)

    def finish(self):
        try:
            self.service.process.wait(timeout=self.seconds + 20)
        finally:
            self.service.stop()
        assert self.service.process.returncode == 0, self.service.logs()
        with open(self.service.stdout_path) as out:
            return LoadResult(out.read(), self.seconds)


class Replica:
    def __init__(self, index, source_args, directory):
        self.index = index
        self.source_args = source_args
        self.directory = directory
        self.generation = 0
        self.service = None
        self.grpc = None
        self.startup_line = None

    def start(self):
        """Starts (or restarts, on the same gRPC port Envoy knows) this replica."""
        self.generation += 1
        address = f"127.0.0.1:{self.grpc}" if self.grpc else "127.0.0.1:0"
        for attempt in range(10):
            try:
                self.service = bs.start_gatepassd(GATEPASSD, self.directory, f"gatepassd-{self.index}-{self.generation}-{attempt}",
                                                  self.source_args, ["--grpc", address, *LIFECYCLE])
                break
            except RuntimeError as error:
                if "cannot listen" not in str(error) or attempt == 9:
                    raise
                time.sleep(0.2)  # the port of the previous process is still being released
        self.grpc = self.service.ports["grpc"]
        with open(self.service.stdout_path) as out:
            self.startup_line = next(line for line in out if line.startswith("gatepassd: listening"))
        bs.wait_for(lambda: bs.admin_get(self.service, "/readyz").status == 200, f"replica {self.index} is ready", 15, [self.service])
        return self

    def revision(self):
        return bs.revision_of(self.service)

    def metric(self, series):
        return bs.metric(self.service, series) or 0

    def errors(self):
        return self.metric('gatepass_bundle_activations_total{result="error"}')

    def failure_reason(self):
        for line in bs.admin_get(self.service, "/metrics").body.splitlines():
            if line.startswith("gatepass_bundle_last_failure_reason{") and float(line.split()[-1]) == 1:
                return line.split('reason="', 1)[1].split('"', 1)[0]
        return None

    def stop(self):
        if self.service:
            self.service.stop()


class Fleet:
    def __init__(self, directory, policies, keys):
        self.directory = directory
        self.policies = policies
        self.keys = keys
        self.token = keys.token()
        self.www = os.path.join(directory, "www")
        os.makedirs(self.www)
        self.good, self.good_public = bs.signing_key(directory, "fleet-signing")
        self.unknown, _ = bs.signing_key(directory, "unknown-signing")
        self.nginx = None
        self.registry = None
        self.replicas = []
        self.envoy = None
        self.envoy_admin = None

    # Bundles and their publication

    def compile(self, revision, key="good"):
        sign = {"good": self.good, "unknown": self.unknown, None: None}[key]
        return bs.compile_bundle(GATEPASS, self.policies, os.path.join(self.directory, f"{revision}.gpb"), revision, sign)

    @property
    def reference(self):
        return f"127.0.0.1:{self.registry.port}/{REPOSITORY}:prod"

    def publish_http(self, bundle):
        """Copies to a temporary name on the server and renames it over the served file."""
        temporary = os.path.join(self.www, ".bundle.gpb.tmp")
        shutil.copyfile(bundle, temporary)
        os.rename(temporary, os.path.join(self.www, "bundle.gpb"))

    def publish_oci(self, bundle):
        result = run([GATEPASS, "publish", bundle, self.reference])
        assert result.returncode == 0, result.stdout + result.stderr

    def publish_oci_raw(self, data):
        """Pushes bytes `gatepass publish` would refuse (a corrupt bundle) with the same media
        types, through the distribution API: two blobs, then the manifest under the tag."""
        port = self.registry.port

        def call(method, target, body=b"", headers=()):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request(method, target, body=body, headers=dict(headers, Host=f"127.0.0.1:{port}"))
                response = connection.getresponse()
                response.read()
                return response
            finally:
                connection.close()

        def blob(content):
            digest = "sha256:" + hashlib.sha256(content).hexdigest()
            started = call("POST", f"/v2/{REPOSITORY}/blobs/uploads/")
            assert started.status == 202, started.status
            location = urllib.parse.urlsplit(started.getheader("Location"))
            query = (location.query + "&" if location.query else "") + "digest=" + urllib.parse.quote(digest)
            done = call("PUT", f"{location.path}?{query}", content, {"Content-Type": "application/octet-stream"})
            assert done.status == 201, done.status
            return {"digest": digest, "size": len(content)}

        config = blob(b"{}")
        layer = blob(data)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": OCI_BUNDLE,
            "config": {"mediaType": OCI_EMPTY, **config},
            "layers": [{"mediaType": OCI_BUNDLE, **layer, "annotations": {"org.opencontainers.image.title": "bundle.gpb"}}],
        }).encode()
        put = call("PUT", f"/v2/{REPOSITORY}/manifests/prod", manifest, {"Content-Type": OCI_MANIFEST})
        assert put.status == 201, put.status

    # Processes

    def start(self, upstream, revision):
        bundle = self.compile(revision)
        self.publish_http(bundle)
        self.nginx = bs.start_nginx_files(os.path.join(self.directory, "nginx"), self.www)
        self.registry = bs.start_registry(os.path.join(self.directory, "registry"))
        self.publish_oci(bundle)
        url = f"http://127.0.0.1:{self.nginx.port}/bundle.gpb"
        for index in range(3):
            source = ["--bundle-url", url] if index < 2 else ["--bundle-oci", self.reference]
            cache = os.path.join(self.directory, f"cache-{index}")
            replica = Replica(index, [*source, "--trusted-key", self.good_public, "--bundle-cache", cache, *POLL], self.directory)
            self.replicas.append(replica)
            replica.start()
            assert replica.revision() == revision
        listen = free_port()
        self.envoy_admin = free_port()
        config = envoy_fleet_config(self.policies, [replica.grpc for replica in self.replicas], upstream.port, listen)
        for replica in self.replicas:
            assert f"port_value: {replica.grpc} }}" in config, config
        # Only for the test's own reading of Envoy's counters; not part of the generated configuration.
        config += f"admin:\n  address:\n    socket_address: {{ address: 127.0.0.1, port_value: {self.envoy_admin} }}\n"
        self.envoy = start_gateway("envoy-grpc", os.path.join(self.directory, "envoy"), config, listen)
        self.wait_all_healthy()

    def stop(self):
        for process in [self.envoy, *self.replicas, self.registry, self.nginx]:
            if process:
                try:
                    process.stop()
                except Exception as error:  # keep stopping the others
                    print(f"stopping {process}: {error}")

    # Readings

    @property
    def gateway_port(self):
        return self.envoy.port

    def envoy_get(self, path):
        return raw_request(self.envoy_admin, "GET", path, "127.0.0.1", timeout=5).body

    def envoy_counters(self):
        values = {}
        for line in self.envoy_get("/stats").splitlines():
            name, _, value = line.partition(": ")
            if name in ENVOY_COUNTERS:
                values[name] = int(value)
        return values

    def envoy_hosts(self):
        """Per replica, Envoy's counters and health flags: {port: "rq_success=… rq_error=… …"}."""
        fields = ("rq_success", "rq_error", "rq_timeout", "cx_connect_fail", "health_flags")
        values = {}
        for line in self.envoy_get("/clusters").splitlines():
            parts = line.split("::")
            if len(parts) == 4 and parts[0] == "gatepass_grpc" and parts[2] in fields:
                values.setdefault(int(parts[1].rsplit(":", 1)[1]), {})[parts[2]] = parts[3]
        return {port: " ".join(f"{name}={value}" for name, value in sorted(stats.items())) for port, stats in values.items()}

    def replica_counters(self, replica):
        if not (replica.service and replica.service.running()):
            return "stopped"
        unavailable = replica.metric('gatepass_unavailable_total{transport="grpc"}')
        bad_input = replica.metric('gatepass_bad_input_total{transport="grpc"}')
        return f"unavailable={unavailable:.0f} bad_input={bad_input:.0f}"

    def wait_all_healthy(self, timeout=15):
        """Envoy's health checks see every running replica as healthy."""
        def healthy():
            text = self.envoy_get("/clusters")
            return all(f"gatepass_grpc::127.0.0.1:{replica.grpc}::health_flags::healthy" in text
                       for replica in self.replicas if replica.service and replica.service.running())
        bs.wait_for(healthy, "Envoy sees every replica healthy", timeout, [self.envoy])

    def through_envoy(self, target, token=None):
        headers = [("Authorization", "Bearer " + token)] if token else []
        return raw_request(self.envoy.port, "GET", target, policy_fixture.API_HOST, headers)


def delta(after, before):
    return {name.split(".", 2)[-1] if name.startswith("cluster.") else name.split(".", 1)[-1]: after.get(name, 0) - before.get(name, 0)
            for name in ENVOY_COUNTERS if after.get(name, 0) != before.get(name, 0)}


def flip_byte(source, target, offset=200):
    with open(source, "rb") as data:
        content = bytearray(data.read())
    content[offset] ^= 0x01
    with open(target, "wb") as out:
        out.write(content)
    return bytes(content)


def envoy_fleet_config(policies, services, upstream_port=18080, listen_port=20000):
    result = run([GATEPASS, "gateway-config", "envoy-grpc", policies,
                  *(argument for port in services for argument in ("--service", f"127.0.0.1:{port}")),
                  "--upstream", f"127.0.0.1:{upstream_port}", "--listen", f"127.0.0.1:{listen_port}"])
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_generated_envoy_cluster_spreads_checks_over_healthy_replicas_only(bundles):
    """What the fleet relies on, read from the generated YAML: round robin over the replicas,
    gRPC health checks of the ext_authz service, outlier detection, no panic mode (below 50%
    healthy, Envoy would send checks to unhealthy replicas too), a retry of the Check itself
    on connect failures and resets, and fail-closed errors."""
    config = yaml.safe_load(envoy_fleet_config(bundles["full"].directory, [19191, 19192, 19193]))
    clusters = {cluster["name"]: cluster for cluster in config["static_resources"]["clusters"]}
    cluster = clusters["gatepass_grpc"]
    assert cluster["lb_policy"] == "ROUND_ROBIN"
    ports = [endpoint["endpoint"]["address"]["socket_address"]["port_value"]
             for group in cluster["load_assignment"]["endpoints"] for endpoint in group["lb_endpoints"]]
    assert ports == [19191, 19192, 19193]
    [check] = cluster["health_checks"]
    assert check["grpc_health_check"]["service_name"] == "envoy.service.auth.v3.Authorization"
    assert cluster["outlier_detection"]["consecutive_gateway_failure"] >= 1
    assert cluster.get("common_lb_config", {}).get("healthy_panic_threshold", {}).get("value") == 0, \
        "the cluster keeps Envoy's panic mode: with fewer than half the replicas healthy, checks go to dead ones"
    [listener] = config["static_resources"]["listeners"]
    filters = listener["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"]
    ext_authz = next(item["typed_config"] for item in filters if item["name"] == "envoy.filters.http.ext_authz")
    assert ext_authz["failure_mode_allow"] is False
    grpc_service = ext_authz["grpc_service"]
    assert "retry_policy" not in grpc_service["envoy_grpc"], \
        "envoy_grpc.retry_policy only re-establishes xDS streams; a Check is never retried by it"
    retry = grpc_service.get("retry_policy")
    assert retry and retry["num_retries"] >= 1, "the Check has no retry policy (GrpcService.retry_policy)"
    assert {"connect-failure", "reset"} <= set(retry["retry_on"].split(",")), retry
    assert [predicate["name"] for predicate in retry.get("retry_host_predicate", [])] == ["envoy.retry_host_predicates.previous_hosts"], \
        "a retry may land on the replica that just failed"


@pytest.fixture
def fleet(workdir, bundles, keys, upstream):
    directory = os.path.join(workdir, f"fleet-{free_port()}")
    os.makedirs(directory)
    running = Fleet(directory, bundles["full"].directory, keys)
    try:
        running.start(upstream, "rev-fleet-1")
        yield running
    finally:
        running.stop()


def test_a_fleet_behind_envoy_rolls_out_refuses_bad_bundles_survives_outages_and_never_fails_open(fleet, capsys):
    report = []

    def note(text):
        with capsys.disabled():
            print(("" if report else "\n") + "fleet: " + text, flush=True)
        report.append(text)

    replicas = fleet.replicas
    assert fleet.through_envoy("/admin/fleet", fleet.token).upstream_headers("x-gatepass-revision") == ["rev-fleet-1"]
    assert fleet.through_envoy("/admin/fleet").status == 401

    # 1. A new signed bundle, published to both sources under load.
    new = fleet.compile("rev-fleet-2")
    load = Load(fleet, "rollout", 6)
    load.sleep_until(1.5)
    fleet.publish_oci(new)
    published = {2: time.monotonic()}
    fleet.publish_http(new)
    published[0] = published[1] = time.monotonic()
    converged = {}
    deadline = published[0] + 2 * POLL_SECONDS + 5
    while len(converged) < 3 and time.monotonic() < deadline:
        for replica in replicas:
            if replica.index not in converged and replica.revision() == "rev-fleet-2":
                converged[replica.index] = time.monotonic() - published[replica.index]
        time.sleep(0.02)
    rollout = load.finish()
    times = ", ".join(f"{converged[i]:.2f}s" if i in converged else "never" for i in range(3))
    note(f"rollout: replicas converged in {times} "
         f"(replicas 0-1 HTTP, 2 OCI; poll interval {POLL_SECONDS}s)")
    note(f"rollout load: {rollout.summary()}")
    assert len(converged) == 3, f"not every replica activated the new bundle: {converged}"
    assert max(converged.values()) <= 2 * POLL_SECONDS, f"convergence took longer than twice the poll interval: {converged}"
    assert rollout.failed == 0, f"requests failed during the rollout: {rollout.unexpected()} {rollout.errors}"
    assert rollout.bad_revisions == 0, "an allowed request reached the upstream without exactly one revision"
    assert set(rollout.revisions()) <= {"rev-fleet-1", "rev-fleet-2"}, rollout.revisions()
    for _ in range(6):
        assert fleet.through_envoy("/admin/fleet", fleet.token).upstream_headers("x-gatepass-revision") == ["rev-fleet-2"]

    # 2. A corrupt bundle, an unsigned one, one signed by an unknown key: refused everywhere.
    corrupt_path = os.path.join(fleet.directory, "corrupt.gpb")
    corrupt = flip_byte(new, corrupt_path)
    unsigned = fleet.compile("rev-fleet-unsigned", key=None)
    stranger = fleet.compile("rev-fleet-stranger", key="unknown")
    base = {replica.index: replica.errors() for replica in replicas}
    load = Load(fleet, "bad-bundles", 9)
    load.sleep_until(1)
    for number, (what, reason, publish) in enumerate([
        ("a corrupt bundle", "digest", lambda: (fleet.publish_oci_raw(corrupt), fleet.publish_http(corrupt_path))),
        ("an unsigned bundle", "signature", lambda: (fleet.publish_oci(unsigned), fleet.publish_http(unsigned))),
        ("a bundle signed by an unknown key", "signature", lambda: (fleet.publish_oci(stranger), fleet.publish_http(stranger))),
    ], start=1):
        publish()
        for replica in replicas:
            bs.wait_for(lambda: replica.errors() >= base[replica.index] + number and replica.failure_reason() == reason,
                        f"replica {replica.index} refuses {what} ({reason})", 2 * POLL_SECONDS + 5, [replica.service])
            assert replica.revision() == "rev-fleet-2", (what, replica.index)
    refused = load.finish()
    counts = {replica.index: replica.errors() - base[replica.index] for replica in replicas}
    note(f"bad bundles: activation errors counted per replica {counts}; revisions "
         f"{[replica.revision() for replica in replicas]}")
    note(f"bad bundles load: {refused.summary()}")
    assert counts == {0: 3, 1: 3, 2: 3}, counts
    assert refused.failed == 0 and refused.bad_revisions == 0, (refused.unexpected(), refused.errors)
    assert set(refused.revisions()) == {"rev-fleet-2"}, refused.revisions()

    # 3. Both bundle servers stop; the replicas keep serving; restarts serve from the cache.
    fleet.nginx.stop()
    fleet.registry.stop()
    load = Load(fleet, "servers-down", 12)
    for replica in replicas:
        bs.wait_for(lambda: replica.failure_reason() == "fetch", f"replica {replica.index} counts the fetch failure",
                    2 * POLL_SECONDS + 5, [replica.service])
        assert replica.revision() == "rev-fleet-2"
    restarted = []
    for replica in (replicas[0], replicas[2]):
        old = replica.service
        old.stop()
        assert old.process.returncode == 0, old.logs()
        replica.start()
        assert "revision=rev-fleet-2" in replica.startup_line, replica.startup_line
        assert "serving the cached bundle" in replica.service.logs(), replica.service.logs()
        fleet.wait_all_healthy()
        restarted.append(replica.index)
    outage = load.finish()
    note(f"servers down: replicas {restarted} restarted from --bundle-cache at revision "
         f"{[replicas[i].revision() for i in restarted]}; load: {outage.summary()}")
    assert outage.failed == 0 and outage.wrongly_allowed == 0, (outage.unexpected(), outage.errors)
    assert set(outage.revisions()) == {"rev-fleet-2"}, outage.revisions()

    # 4. Under load: SIGKILL one replica, then SIGTERM another.
    before = fleet.envoy_counters()
    load = Load(fleet, "sigkill", 6)
    load.sleep_until(1.5)
    os.kill(replicas[1].service.pid, signal.SIGKILL)
    replicas[1].service.process.wait(timeout=10)
    killed = load.finish()
    after_kill = fleet.envoy_counters()
    note(f"SIGKILL of replica 1: {killed.failed} of {killed.responses} requests failed "
         f"{killed.unexpected()}; Envoy: {delta(after_kill, before)}; load: {killed.summary()}")

    load = Load(fleet, "sigterm", 6)
    load.sleep_until(1.5)
    signalled = time.monotonic()
    os.kill(replicas[2].service.pid, signal.SIGTERM)
    replicas[2].service.process.wait(timeout=15)
    exited_after = time.monotonic() - signalled
    terminated = load.finish()
    after_term = fleet.envoy_counters()
    note(f"SIGTERM of replica 2 (exit {replicas[2].service.process.returncode} after {exited_after:.1f}s; "
         f"{' '.join(LIFECYCLE)}): {terminated.failed} of "
         f"{terminated.responses} requests failed {terminated.unexpected()}; Envoy: {delta(after_term, after_kill)}; "
         f"load: {terminated.summary()}")

    note(f"after SIGKILL and SIGTERM: Envoy per replica {fleet.envoy_hosts()}; replica 0 {fleet.replica_counters(replicas[0])}")

    for name, result in (("SIGKILL", killed), ("SIGTERM", terminated)):
        assert result.wrongly_allowed == 0, f"{name}: a request the bundle denies was allowed"
        for kind, wrong in result.unexpected().items():
            for status in wrong:
                # Fail-closed answers only: Envoy's status_on_error (503) or a denial.
                assert status in (401, 403, 503), f"{name}: {kind} got {status}"
        assert result.bad_revisions == 0
    assert replicas[2].service.process.returncode == 0
    assert terminated.failed == 0, f"SIGTERM (readiness first) lost requests: {terminated.unexpected()} {terminated.errors}"
    assert killed.failed <= killed.responses * 0.02, f"SIGKILL lost more than 2% of the requests: {killed.summary()}"
    assert fleet.through_envoy("/admin/fleet", fleet.token).status == 200, "the last replica serves"
    assert fleet.through_envoy("/admin/fleet").status == 401


class NginxFleet:
    """Three forward-auth replicas (`--bundle` file) behind nginx with the `upstream` group
    `gatepass gateway-config nginx --service … --service …` writes."""

    def __init__(self, directory, policy, keys):
        self.directory = directory
        self.policy = policy
        self.token = keys.token()
        self.replicas = []
        self.nginx = None

    @property
    def gateway_port(self):
        return self.nginx.port

    def start(self, upstream):
        self.decision_logs = [os.path.join(self.directory, f"decisions-{index}.jsonl") for index in range(3)]
        for index in range(3):
            self.replicas.append(bs.start_gatepassd(GATEPASSD, self.directory, f"gatepassd-nginx-{index}",
                                                    ["--bundle", self.policy.bundle],
                                                    [*LIFECYCLE, "--decision-log", self.decision_logs[index]]))
        self.revision = bs.revision_of(self.replicas[0])
        listen = free_port()
        result = run([GATEPASS, "gateway-config", "nginx", self.policy.directory,
                      *(argument for replica in self.replicas for argument in ("--service", f"127.0.0.1:{replica.ports['forward-auth']}")),
                      "--upstream", f"127.0.0.1:{upstream.port}", "--listen", f"127.0.0.1:{listen}"])
        assert result.returncode == 0, result.stderr
        assert "upstream gatepass_decision {" in result.stdout, result.stdout
        self.nginx = start_gateway("nginx", os.path.join(self.directory, "nginx"), result.stdout, listen)

    def stop(self):
        for process in [self.nginx, *self.replicas]:
            if process:
                process.stop()


def test_a_fleet_behind_nginx_routes_around_killed_and_stopped_replicas(workdir, bundles, keys, upstream, capsys):
    directory = os.path.join(workdir, f"nginx-fleet-{free_port()}")
    os.makedirs(directory)
    fleet = NginxFleet(directory, bundles["header"], keys)
    try:
        fleet.start(upstream)
        load = Load(fleet, "nginx-sigkill", 5)
        load.sleep_until(1.5)
        os.kill(fleet.replicas[0].pid, signal.SIGKILL)
        fleet.replicas[0].process.wait(timeout=10)
        killed = load.finish()
        load = Load(fleet, "nginx-sigterm", 5)
        load.sleep_until(1.5)
        signalled = time.monotonic()
        os.kill(fleet.replicas[1].pid, signal.SIGTERM)
        fleet.replicas[1].process.wait(timeout=15)
        exited_after = time.monotonic() - signalled
        terminated = load.finish()
        with capsys.disabled():
            print(f"\nfleet (nginx): SIGKILL of replica 0: {killed.failed} of {killed.responses} requests failed "
                  f"{killed.unexpected()}; load: {killed.summary()}")
            print(f"fleet (nginx): SIGTERM of replica 1 (exit {fleet.replicas[1].process.returncode} after {exited_after:.1f}s): "
                  f"{terminated.failed} of "
                  f"{terminated.responses} requests failed {terminated.unexpected()}; load: {terminated.summary()}", flush=True)
        for name, result in (("SIGKILL", killed), ("SIGTERM", terminated)):
            assert result.wrongly_allowed == 0, f"{name}: a request the bundle denies was allowed"
            assert result.bad_revisions == 0
            for kind, wrong in result.unexpected().items():
                for status in wrong:
                    assert status in (401, 403, 500, 502, 503), f"{name}: {kind} got {status}"
        assert fleet.replicas[1].process.returncode == 0
        for result in (killed, terminated):
            assert set(result.revisions()) == {fleet.revision}, "allowed requests reach the upstream with the revision"
        fleet.replicas[2].stop()
        lines = [json.loads(line) for path in fleet.decision_logs if os.path.exists(path) for line in open(path)]
        assert len(lines) >= killed.responses, "every decision is logged (but those a SIGKILL lost in the buffer)"
        assert {line["revision"] for line in lines} == {fleet.revision}, "a decision log line without the revision"
        assert killed.failed == 0, f"nginx did not retry the checks of the killed replica: {killed.summary()}"
        assert terminated.failed == 0, f"SIGTERM lost requests: {terminated.summary()}"
    finally:
        fleet.stop()
