"""Real bundle servers for the bundle-source tests: nginx serving a directory (the HTTP
source, with nginx's own ETag and If-None-Match handling) and the CNCF distribution
registry (Debian's docker-registry, the OCI source), on 127.0.0.1 with free ports.
Also signing keys, bundle compilation with a chosen revision, and the admin helpers."""
import os
import re
import shutil
import subprocess
import time

import harness
from harness import Service, free_port, raw_request, run

NGINX = os.environ.get("NGINX_BIN") or "nginx"
REGISTRY = os.environ.get("REGISTRY_BIN") or shutil.which("docker-registry") or "/usr/bin/docker-registry"
PROMTOOL = os.environ.get("PROMTOOL_BIN") or shutil.which("promtool") or "/usr/bin/promtool"
PROMETHEUS = os.environ.get("PROMETHEUS_BIN") or shutil.which("prometheus") or "/usr/bin/prometheus"


def signing_key(directory, name):
    """An Ed25519 key pair from the openssl CLI: (private PEM path, public PEM path)."""
    private = os.path.join(directory, f"{name}.pem")
    public = os.path.join(directory, f"{name}.pub.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", private], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", private, "-pubout", "-out", public], check=True, capture_output=True)
    return private, public


def compile_bundle(gatepass, policies, output, revision, sign_key=None):
    argv = [gatepass, "compile", policies, "-o", output, "--revision", revision]
    if sign_key:
        argv += ["--sign-key", sign_key]
    result = run(argv)
    assert result.returncode == 0, result.stdout + result.stderr
    return output


def start_nginx_files(directory, root):
    """nginx serving `root` read-only on a free port (static files: ETag, 304, Last-Modified)."""
    os.makedirs(directory, exist_ok=True)
    port = free_port()
    user = "user root;\n" if os.geteuid() == 0 else ""
    config = os.path.join(directory, "nginx.conf")
    with open(config, "w") as out:
        out.write(f"{user}worker_processes 1;\npid {directory}/nginx.pid;\nerror_log {directory}/error.log info;\n"
                  "events { worker_connections 256; }\nhttp {\n"
                  f"    access_log {directory}/access.log;\n"
                  f"    client_body_temp_path {directory}/body;\n    proxy_temp_path {directory}/proxy;\n"
                  f"    fastcgi_temp_path {directory}/fastcgi;\n    uwsgi_temp_path {directory}/uwsgi;\n"
                  f"    scgi_temp_path {directory}/scgi;\n"
                  f"    server {{ listen 127.0.0.1:{port}; root {root}; }}\n}}\n")
    service = Service("nginx-bundles", [NGINX, "-p", directory, "-c", config, "-g", "daemon off;"], directory)
    try:
        service.wait_until(lambda: raw_request(port, "GET", "/", "127.0.0.1", timeout=2).status in (200, 403, 404), "nginx answers")
    except BaseException:
        service.stop()
        raise
    service.port = port
    service.access_log = os.path.join(directory, "access.log")
    return service


def start_registry(directory):
    """The distribution registry with filesystem storage on a free port."""
    os.makedirs(directory, exist_ok=True)
    port = free_port()
    config = os.path.join(directory, "registry.yml")
    with open(config, "w") as out:
        out.write("version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n"
                  f"    rootdirectory: {directory}/data\n  delete:\n    enabled: true\n"
                  f"http:\n  addr: 127.0.0.1:{port}\n  secret: gatepass-integration-test\n")
    service = Service("registry", [REGISTRY, "serve", config], directory)
    try:
        service.wait_until(lambda: raw_request(port, "GET", "/v2/", f"127.0.0.1:{port}", timeout=2).status == 200, "the registry's /v2/")
    except BaseException:
        service.stop()
        raise
    service.port = port
    return service


def admin_get(service, path):
    return raw_request(service.ports["admin"], "GET", path, "127.0.0.1", timeout=5)


def revision_of(service):
    response = admin_get(service, "/readyz")
    match = re.search(r"revision=(\S+)", response.body)
    return match.group(1) if response.status == 200 and match else None


def metric(service, name_and_labels):
    """The value of one series in /metrics (exact name with labels), or None."""
    for line in admin_get(service, "/metrics").body.splitlines():
        if line.startswith(name_and_labels + " "):
            return float(line.split()[-1])
    return None


def wait_for(probe, what, timeout, services=()):
    """Polls `probe()` until true within `timeout` seconds; the error carries the logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return time.monotonic()
        time.sleep(0.05)
    logs = "\n".join(service.logs() for service in services)
    raise TimeoutError(f"{what} not reached within {timeout}s\n{logs}")


def start_gatepassd(gatepassd, directory, name, source_args, extra=()):
    """gatepassd with a bundle source, a forward-auth and an admin listener on free ports."""
    service = Service(name, [gatepassd, *source_args, "--forward-auth", "127.0.0.1:0", "--admin", "127.0.0.1:0", *extra], directory)
    try:
        line = service.wait_for_line("gatepassd: listening", timeout=30)
        service.ports = {key: int(value) for key, value in re.findall(r"(grpc|http|forward-auth|admin)=\S*:(\d+)", line)}
    except BaseException:
        service.stop()
        raise
    return service
