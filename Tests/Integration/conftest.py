"""Fixtures of the gateway integration tests: binaries, the generated policy set and its
bundles, the echo upstream, the decision service and each real gateway, started on
127.0.0.1 with ports chosen at run time and stopped by PID in `finally` blocks.

Binaries come from the environment (scripts/integration-test sets them): GATEPASS_BIN,
GATEPASSD_BIN, ENVOY_BIN, NGINX_BIN, CADDY_BIN, TRAEFIK_BIN.
"""
import json
import sys
import os
import re

import pytest

import harness
import policy_fixture
from harness import Service, free_port, raw_request, run

GATEWAYS = ["envoy-grpc", "envoy-http", "nginx", "caddy", "traefik"]
# What each gateway can remove (the capability table of docs/deployment.md).
POLICY_VARIANT = {"envoy-grpc": "full", "envoy-http": "cookie", "nginx": "header", "caddy": "header", "traefik": "header"}
HTTP_PATH_PREFIX = "/check"


def binary(name, default):
    return os.environ.get(name) or default


GATEPASS = binary("GATEPASS_BIN", os.path.join(harness.REPO, ".build", "debug", "gatepass"))
GATEPASSD = binary("GATEPASSD_BIN", os.path.join(harness.REPO, ".build", "debug", "gatepassd"))
ENVOY = binary("ENVOY_BIN", "envoy")
NGINX = binary("NGINX_BIN", "nginx")
CADDY = binary("CADDY_BIN", "caddy")
TRAEFIK = binary("TRAEFIK_BIN", "traefik")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test prints the logs of every process still running."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for service in list(Service.all_started):
            report.sections.append((f"logs of {service.name}", service.logs()))


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("gatepass-integration"))


@pytest.fixture(scope="session")
def keys():
    return policy_fixture.Keys()


class PolicyBundle:
    def __init__(self, directory, bundle):
        self.directory = directory
        self.bundle = bundle

    def eval(self, requests):
        """`gatepass eval` of raw requests: [(method, host, target, headers)] -> decisions."""
        lines = []
        for method, host, target, headers in requests:
            merged = {}
            for name, value in headers:
                merged.setdefault(name, []).append(value)
            lines.append(json.dumps({"method": method, "host": host, "path": target, "headers": merged}))
        result = run([GATEPASS, "eval", "--bundle", self.bundle, "--requests", "-"], input="\n".join(lines) + "\n")
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(scope="session")
def bundles(workdir, keys):
    out = {}
    for variant in ("full", "cookie", "header"):
        directory = policy_fixture.write_policies(os.path.join(workdir, "policies-" + variant), keys, variant)
        bundle = os.path.join(workdir, f"{variant}.gpb")
        result = run([GATEPASS, "compile", directory, "-o", bundle])
        assert result.returncode == 0, result.stdout + result.stderr
        out[variant] = PolicyBundle(directory, bundle)
    return out


@pytest.fixture(scope="session")
def upstream(workdir):
    service = Service("echo-upstream", [sys.executable, os.path.join(os.path.dirname(__file__), "echo_upstream.py"), "0"], workdir)
    try:
        line = service.wait_for_line("echo-upstream listening", timeout=20)
        service.port = int(line.split()[-1])
        yield service
    finally:
        service.stop()


def start_gatepassd(directory, bundle, mode, extra=()):
    """gatepassd on port 0 for the listener `mode` needs; the ports come from its startup line."""
    listener = {"envoy-grpc": ["--grpc", "127.0.0.1:0"],
                "envoy-http": ["--http", "127.0.0.1:0", "--http-path-prefix", HTTP_PATH_PREFIX]}.get(
        mode, ["--forward-auth", "127.0.0.1:0"])
    service = Service(f"gatepassd-{mode}", [GATEPASSD, "--bundle", bundle, *listener, "--admin", "127.0.0.1:0", *extra], directory)
    try:
        line = service.wait_for_line("gatepassd: listening", timeout=30)
        ports = dict(re.findall(r"(grpc|http|forward-auth|admin)=\S*:(\d+)", line))
        service.ports = {name: int(port) for name, port in ports.items()}
        service.port = service.ports[{"envoy-grpc": "grpc", "envoy-http": "http"}.get(mode, "forward-auth")]
        admin = service.ports["admin"]
        service.wait_until(lambda: raw_request(admin, "GET", "/readyz", "127.0.0.1", timeout=2).status == 200, "/readyz")
        return service
    except BaseException:
        service.stop()
        raise


def generate_config(gateway, policies, service_port, upstream_port, listen_port, extra=()):
    result = run([GATEPASS, "gateway-config", gateway, policies, "--service", f"127.0.0.1:{service_port}",
                  "--upstream", f"127.0.0.1:{upstream_port}", "--listen", f"127.0.0.1:{listen_port}",
                  "--http-path-prefix", HTTP_PATH_PREFIX, "--timeout-ms", "3000", *extra])
    assert result.returncode == 0, result.stderr
    return result.stdout


def start_gateway(gateway, directory, config_text, listen_port, ready=("/public/ready", policy_fixture.API_HOST),
                  is_ready=lambda response: response.reached_upstream):
    """Starts the real gateway with the generated configuration (wrapped where the gateway needs it)."""
    os.makedirs(directory, exist_ok=True)
    if gateway.startswith("envoy"):
        path = os.path.join(directory, "envoy.yaml")
        with open(path, "w") as out:
            out.write(config_text)
        argv = [ENVOY, "-c", path, "--concurrency", "1", "--disable-hot-restart", "-l", "info"]
        service = Service(gateway, argv, directory)
    elif gateway == "nginx":
        path = os.path.join(directory, "nginx.conf")
        with open(os.path.join(directory, "gatepass.conf"), "w") as out:
            out.write(config_text)
        user = "user root;\n" if os.geteuid() == 0 else ""
        with open(path, "w") as out:
            out.write(f"{user}worker_processes 1;\npid {directory}/nginx.pid;\nerror_log {directory}/error.log info;\n"
                      "events { worker_connections 256; }\nhttp {\n"
                      f"    access_log {directory}/access.log;\n"
                      f"    client_body_temp_path {directory}/body;\n    proxy_temp_path {directory}/proxy;\n"
                      f"    fastcgi_temp_path {directory}/fastcgi;\n    uwsgi_temp_path {directory}/uwsgi;\n"
                      f"    scgi_temp_path {directory}/scgi;\n"
                      f"    include {directory}/gatepass.conf;\n}}\n")
        service = Service(gateway, [NGINX, "-p", directory, "-c", path, "-g", "daemon off;"], directory)
    elif gateway == "caddy":
        path = os.path.join(directory, "Caddyfile")
        with open(path, "w") as out:
            out.write("{\n\tadmin off\n\tauto_https off\n}\n\n" + config_text)
        env = dict(os.environ, HOME=directory, XDG_DATA_HOME=directory, XDG_CONFIG_HOME=directory)
        service = Service(gateway, [CADDY, "run", "--config", path, "--adapter", "caddyfile"], directory, env=env)
    elif gateway == "traefik":
        # The generated text is the file provider's dynamic configuration; the static part
        # is the one its header comment shows (the entry point on --listen), used as written.
        dynamic = os.path.join(directory, "gatepass.yml")
        with open(dynamic, "w") as out:
            out.write(config_text)
        lines = config_text.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("# Static configuration")) + 1
        while not lines[start].startswith("#   "):
            start += 1
        static = []
        for line in lines[start:]:
            if not line.startswith("#   "):
                break
            static.append(line[4:].replace("this-file.yml", dynamic))
        path = os.path.join(directory, "traefik.yml")
        with open(path, "w") as out:
            out.write("\n".join(static) + "\nlog:\n  level: INFO\n"
                      "global:\n  checkNewVersion: false\n  sendAnonymousUsage: false\n")
        env = dict(os.environ, HOME=directory)
        service = Service(gateway, [TRAEFIK, "--configFile=" + path], directory, env=env)
    else:
        raise ValueError(gateway)
    try:
        service.wait_until(lambda: is_ready(raw_request(listen_port, "GET", ready[0], ready[1], timeout=2)), "a public request through the gateway", timeout=60)
        service.port = listen_port
        return service
    except BaseException:
        service.stop()
        raise


class Deployment:
    """The decision service and one gateway in front of the echo upstream."""

    def __init__(self, gateway, policy, service, proxy):
        self.gateway = gateway
        self.policy = policy
        self.service = service
        self.proxy = proxy

    def request(self, target, host=policy_fixture.API_HOST, headers=(), method="GET"):
        return raw_request(self.proxy.port, method, target, host, headers)


def deploy(gateway, workdir, bundles, upstream):
    """Starts gatepassd and the gateway; the caller stops both (see `stop`)."""
    policy = bundles[POLICY_VARIANT[gateway]]
    directory = os.path.join(workdir, gateway + "-" + str(free_port()))
    os.makedirs(directory, exist_ok=True)
    service = start_gatepassd(directory, policy.bundle, gateway)
    try:
        listen = free_port()
        config = generate_config(gateway, policy.directory, service.port, upstream.port, listen)
        proxy = start_gateway(gateway, directory, config, listen)
    except BaseException:
        service.stop()
        raise
    return Deployment(gateway, policy, service, proxy)


def stop(deployment):
    try:
        deployment.proxy.stop()
    finally:
        deployment.service.stop()


@pytest.fixture(scope="module", params=GATEWAYS)
def deployment(request, workdir, bundles, upstream):
    running = deploy(request.param, workdir, bundles, upstream)
    try:
        yield running
    finally:
        stop(running)
