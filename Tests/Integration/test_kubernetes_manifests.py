"""The Kubernetes manifests of docs/examples/kubernetes/ (not applied here): they parse as
YAML, their gatepassd arguments are gatepassd's real flags (read from `gatepassd --help`),
the probes, ports, volumes and Secrets fit those arguments, and the arguments of each
gatepassd Deployment start a real gatepassd once the cluster's paths and addresses are
mapped onto loopback and a scratch directory. The Envoy side is generated as its comment
says and checked by `envoy --mode validate`."""
import glob
import os
import re
import shlex
import shutil
import signal

import pytest
import yaml

import bundle_servers as bs
from conftest import ENVOY, GATEPASS, GATEPASSD
from harness import REPO, Service, free_port, raw_request, run

MANIFESTS = os.path.join(REPO, "docs", "examples", "kubernetes")
SOURCES = ("--bundle", "--bundle-url", "--bundle-oci")
FILE_FLAGS = ("--bundle", "--trusted-key", "--bundle-credentials-file", "--bundle-token-file", "--bundle-cache")


def documents():
    out = {}
    for path in sorted(glob.glob(os.path.join(MANIFESTS, "*.yaml"))):
        with open(path) as text:
            out[os.path.basename(path)] = [document for document in yaml.safe_load_all(text) if document is not None]
    return out


def gatepassd_flags():
    """{flag: takes a value} from `gatepassd --help`."""
    result = run([GATEPASSD, "--help"])
    assert result.returncode == 0, result.stderr
    flags = {}
    for match in re.finditer(r"^  (--[a-z0-9-]+)( <[^>]+>)?", result.stdout, re.MULTILINE):
        flags[match.group(1)] = bool(match.group(2))
    assert "--bundle-oci" in flags and "--admin" in flags, result.stdout
    return flags


def parse_args(args, flags):
    """[(flag, value)] of a container's `args`, each `--flag=value` or `--flag value`."""
    out = []
    items = list(args)
    while items:
        item = items.pop(0)
        assert item.startswith("--"), f"not a flag: {item!r}"
        name, equals, value = item.partition("=")
        assert name in flags, f"{name} is not a gatepassd flag"
        if flags[name]:
            if not equals:
                assert items, f"{name} needs a value"
                value = items.pop(0)
            assert value, f"{name} needs a value"
            out.append((name, value))
        else:
            assert not equals, f"{name} takes no value"
            out.append((name, None))
    return out


def duration_seconds(text):
    number, unit = re.fullmatch(r"(\d+)(ms|s|m|h)", text).groups()
    return int(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]


def gatepassd_deployments():
    out = []
    for name, docs in documents().items():
        for document in docs:
            if document["kind"] != "Deployment":
                continue
            for container in document["spec"]["template"]["spec"]["containers"]:
                if container["name"] == "gatepassd":
                    out.append((name, document, container))
    return out


def by_kind(kind):
    return [document for docs in documents().values() for document in docs if document["kind"] == kind]


def mount_of(container, path):
    """The volumeMount holding `path` (the longest mountPath prefix)."""
    mounts = [mount for mount in container.get("volumeMounts", [])
              if path == mount["mountPath"] or path.startswith(mount["mountPath"].rstrip("/") + "/")]
    assert mounts, f"{path} is on no volume"
    return max(mounts, key=lambda mount: len(mount["mountPath"]))


def test_every_manifest_parses_and_names_its_objects():
    found = documents()
    assert {"gatepassd-configmap.yaml", "gatepassd-oci.yaml", "gatepassd-service.yaml",
            "gatepass-trusted-keys.yaml", "envoy-gateway.yaml"} <= set(found), sorted(found)
    for name, docs in found.items():
        assert docs, f"{name} is empty"
        for document in docs:
            assert document.get("apiVersion") and document.get("kind"), (name, document)
            assert document["metadata"].get("name") and document["metadata"].get("namespace") == "gatepass", (name, document["metadata"])


@pytest.mark.parametrize("name,deployment,container", gatepassd_deployments(), ids=lambda value: value if isinstance(value, str) else None)
def test_gatepassd_deployments_use_real_flags_and_fitting_probes_ports_and_volumes(name, deployment, container):
    args = parse_args(container["args"], gatepassd_flags())
    values = {}
    for flag, value in args:
        values.setdefault(flag, []).append(value)
    assert sum(flag in values for flag in SOURCES) == 1, f"{name}: exactly one bundle source"
    assert len(values.get("--trusted-key", [])) >= 1, f"{name}: bundles must be signed"

    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    admin_host, admin_port = values["--admin"][0].rsplit(":", 1)
    grpc_host, grpc_port = values["--grpc"][0].rsplit(":", 1)
    assert admin_host == grpc_host == "0.0.0.0", "probes and Envoy reach the pod's address"
    assert ports["admin"] == int(admin_port) and ports["grpc"] == int(grpc_port)
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = container[probe]["httpGet"]
        port = ports[get["port"]] if isinstance(get["port"], str) else get["port"]
        assert get["path"] == path and port == int(admin_port), (probe, get)

    pod = deployment["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    secrets = {secret["metadata"]["name"]: secret for secret in by_kind("Secret")}
    for flag in FILE_FLAGS:
        for path in values.get(flag, []):
            mount = mount_of(container, path)
            volume = volumes[mount["name"]]
            assert "subPath" not in mount, f"{path}: a subPath mount never sees updates"
            if flag == "--trusted-key":
                secret_name = volume["secret"]["secretName"]
                assert mount.get("readOnly") is True
                if secret_name in secrets:
                    assert os.path.basename(path) in secrets[secret_name]["stringData"], (path, secret_name)
            elif flag == "--bundle":
                assert "configMap" in volume and mount.get("readOnly") is True, (path, volume)
            elif flag == "--bundle-cache":
                assert "emptyDir" in volume and not mount.get("readOnly"), "the cache must be writable"
            else:
                assert "secret" in volume, (flag, volume)

    delay = duration_seconds(values.get("--shutdown-delay", ["0s"])[0])
    grace = duration_seconds(values.get("--shutdown-grace", ["10s"])[0])
    assert pod["terminationGracePeriodSeconds"] > delay + grace, "the kubelet would SIGKILL before the shutdown ends"
    assert delay >= 2, "the delay must cover Envoy's health-check interval plus its timeout"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True

    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    [service] = [service for service in by_kind("Service") if service["metadata"]["name"] == "gatepassd"]
    assert service["spec"]["clusterIP"] == "None", "a headless Service: Envoy balances the pods itself"
    assert service["spec"]["selector"].items() <= labels.items()
    assert {port["targetPort"] for port in service["spec"]["ports"]} <= set(ports)


@pytest.mark.parametrize("name,deployment,container", gatepassd_deployments(), ids=lambda value: value if isinstance(value, str) else None)
def test_gatepassd_deployment_arguments_start_a_real_gatepassd(name, deployment, container, workdir, bundles):
    """The manifest's own arguments, with each mount mapped to a scratch directory, the
    listeners to loopback port 0 and the registry to a local one: gatepassd starts, is
    ready and live on the admin port, and exits 0 on SIGTERM."""
    scratch = os.path.join(workdir, f"k8s-{name}-{free_port()}")
    os.makedirs(scratch)
    current, current_public = bs.signing_key(scratch, "current")
    _, next_public = bs.signing_key(scratch, "next")
    bundle = bs.compile_bundle(GATEPASS, bundles["full"].directory, os.path.join(scratch, "signed.gpb"), "rev-k8s", current)

    mounts = {mount["mountPath"]: os.path.join(scratch, "mounts", mount["name"]) for mount in container["volumeMounts"]}
    for directory in mounts.values():
        os.makedirs(directory, exist_ok=True)

    def local(path):
        mount = mount_of(container, path)
        return os.path.join(mounts[mount["mountPath"]], os.path.relpath(path, mount["mountPath"]))

    registry = None
    service = None
    try:
        args = []
        for flag, value in parse_args(container["args"], gatepassd_flags()):
            if flag in ("--grpc", "--admin"):
                value = "127.0.0.1:0"
            elif flag == "--bundle-oci":
                registry = bs.start_registry(os.path.join(scratch, "registry"))
                repository = value.split("/", 1)[1]
                value = f"127.0.0.1:{registry.port}/{repository}"
                published = run([GATEPASS, "publish", bundle, value])
                assert published.returncode == 0, published.stdout + published.stderr
            elif flag in FILE_FLAGS:
                value = local(value)
                if flag == "--bundle":
                    with open(bundle, "rb") as source, open(value, "wb") as target:
                        target.write(source.read())
                elif flag == "--trusted-key":
                    key = current_public if os.path.basename(value).startswith("current") else next_public
                    with open(key) as source, open(value, "w") as target:
                        target.write(source.read())
                elif flag != "--bundle-cache":
                    with open(value, "w") as target:
                        target.write("robot:not-used-by-a-registry-without-auth\n")
            args += [flag] if value is None else [flag, value]
        service = Service("gatepassd-" + name.split(".")[0], [GATEPASSD, *args], scratch)
        line = service.wait_for_line("gatepassd: listening", timeout=30)
        assert "revision=rev-k8s" in line, line
        admin = int(re.search(r"admin=\S*:(\d+)", line).group(1))
        assert re.search(r"grpc=\S*:\d+", line), line
        for path in ("/readyz", "/healthz"):
            response = raw_request(admin, "GET", path, "127.0.0.1", timeout=5)
            assert response.status == 200, (path, response)
        os.kill(service.pid, signal.SIGTERM)
        service.process.wait(timeout=30)
        assert service.process.returncode == 0, service.logs()
    finally:
        if service:
            service.stop()
        if registry:
            registry.stop()


def envoy_command(manifest):
    """The `gatepass gateway-config ...` command in the comment of envoy-gateway.yaml."""
    with open(os.path.join(MANIFESTS, manifest)) as text:
        lines = [line[1:].strip() for line in text if line.startswith("#   ")]
    command = " ".join(line.rstrip("\\").strip() for line in lines)
    command = command.split(" > ")[0]
    assert command.startswith("gatepass gateway-config envoy-grpc"), command
    return shlex.split(command)[1:]


def test_the_envoy_side_is_generated_as_documented_and_envoy_accepts_it(workdir, bundles):
    [deployment] = [document for document in documents()["envoy-gateway.yaml"] if document["kind"] == "Deployment"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    argv = envoy_command("envoy-gateway.yaml")
    argv[argv.index("Policies")] = bundles["full"].directory
    result = run([GATEPASS, *argv])
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    [listener] = config["static_resources"]["listeners"]
    container_ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert listener["address"]["socket_address"]["port_value"] == container_ports["http"]
    config_path = container["args"][container["args"].index("-c") + 1]
    assert mount_of(container, config_path)["name"] == "config"
    [gateway_service] = [service for service in by_kind("Service") if service["metadata"]["name"] == "envoy-gateway"]
    assert {port["targetPort"] for port in gateway_service["spec"]["ports"]} <= set(container_ports)

    path = os.path.join(workdir, f"k8s-envoy-{free_port()}.yaml")
    with open(path, "w") as out:
        out.write(result.stdout)
    validated = run([ENVOY, "--mode", "validate", "-c", path, "--disable-hot-restart"])
    assert validated.returncode == 0, validated.stdout[-3000:] + validated.stderr[-3000:]


def test_a_headless_service_name_becomes_a_balanced_health_checked_cluster(bundles):
    """One `--service` that is a DNS name (the headless Service) may resolve to every pod: the
    generated cluster resolves it (STRICT_DNS) and health-checks, ejects and retries as it does
    for several `--service` addresses."""
    argv = envoy_command("envoy-gateway.yaml")
    argv[argv.index("Policies")] = bundles["full"].directory
    result = run([GATEPASS, *argv])
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    cluster = {cluster["name"]: cluster for cluster in config["static_resources"]["clusters"]}["gatepass_grpc"]
    assert cluster["type"] == "STRICT_DNS"
    assert cluster.get("health_checks"), "no health checks for the replicas behind the headless Service"
    assert cluster["health_checks"][0]["grpc_health_check"]["service_name"] == "envoy.service.auth.v3.Authorization"
    assert "outlier_detection" in cluster and cluster["common_lb_config"]["healthy_panic_threshold"]["value"] == 0
    filters = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"]
    ext_authz = next(item["typed_config"] for item in filters if item["name"] == "envoy.filters.http.ext_authz")
    assert "connect-failure" in ext_authz["grpc_service"]["retry_policy"]["retry_on"]


def test_a_configmap_volume_update_activates_the_new_bundle(workdir, bundles):
    """The layout and the update of a ConfigMap volume, as the kubelet does them: the file is
    `bundle.gpb -> ..data/bundle.gpb`, `..data -> ..TIMESTAMP`; an update writes a new
    timestamped directory, points `..data_tmp` at it and renames that over `..data` (one
    atomic rename), then removes the old directory. gatepassd follows the path, not an
    inode, and activates the new bundle; a SIGHUP is not needed."""
    volume = os.path.join(workdir, f"k8s-configmap-volume-{free_port()}")
    os.makedirs(volume)
    policies = bundles["full"].directory

    def project(revision, serial):
        directory = f"..2026_12_01_00_00_0{serial}.{revision}"
        os.makedirs(os.path.join(volume, directory))
        bs.compile_bundle(GATEPASS, policies, os.path.join(volume, directory, "bundle.gpb"), revision)
        os.symlink(directory, os.path.join(volume, "..data_tmp"))
        os.rename(os.path.join(volume, "..data_tmp"), os.path.join(volume, "..data"))
        return directory

    first = project("rev-cm-1", 1)
    os.symlink("..data/bundle.gpb", os.path.join(volume, "bundle.gpb"))
    service = bs.start_gatepassd(GATEPASSD, workdir, f"gatepassd-configmap-{free_port()}", ["--bundle", os.path.join(volume, "bundle.gpb")])
    try:
        assert bs.revision_of(service) == "rev-cm-1"
        project("rev-cm-2", 2)
        shutil.rmtree(os.path.join(volume, first))
        bs.wait_for(lambda: bs.revision_of(service) == "rev-cm-2", "the swapped ConfigMap volume activates", 10, [service])
        assert bs.metric(service, 'gatepass_bundle_activations_total{result="error"}') == 0
    finally:
        service.stop()
