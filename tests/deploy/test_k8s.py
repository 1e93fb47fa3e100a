"""deploy/ (Kustomize), checked offline: rendered without the kustomize binary
(tests/deploy/kustomize_lite.py), every object validated against the Kubernetes JSON
schemas shipped by the `kubernetes-validate` package (strict: unknown fields fail) or,
for operator CRDs, against the minimal schemas in tests/deploy/schemas/, then checked
for what the platform promises: probes, resources, non-root, autoscaling, secrets only
by reference, default-deny networking with the gateway as the only public door.
"""
from __future__ import annotations

import base64
import functools
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

from shared.config import SERVICES, Settings

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEPLOY = REPO / "deploy"
SCHEMAS = HERE / "schemas"
K8S_VERSION = "1.31"

_spec = importlib.util.spec_from_file_location("dangvien_kustomize_lite", HERE / "kustomize_lite.py")
kl = sys.modules.setdefault(_spec.name, importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(kl)

APP_SERVICES = (*SERVICES, "gateway")
PREFIX = Settings.model_config["env_prefix"]
#: read from the environment by the code but not (yet) fields of Settings: the health/metrics
#: port, and the gateway's user database (services/gateway/auth.py). Each drops out of this
#: set by itself once shared/config.py gains the field.
PENDING_FIELDS = {"metrics_port", "gateway_db"} - set(Settings.model_fields)
ENV_NAMES = {f"{PREFIX}{f.upper()}" for f in (*Settings.model_fields, *PENDING_FIELDS)}
METRICS_PORT = 9100

KUSTOMIZATIONS = sorted(str(p.parent.relative_to(DEPLOY)) for p in DEPLOY.rglob("kustomization.yaml"))
#: complete installations of the application (one province or district each)
STACKS = [k for k in KUSTOMIZATIONS if k.startswith("overlays/")]
APP_BUILDS = ["base", *STACKS]

#: secrets made by operators at run time, and the object that makes each
OPERATOR_SECRETS = {"dangvien-pg-app": ("Cluster", "dangvien-pg")}

#: who, outside the namespace, may open connections to what (namespace -> allowed ports).
#: "public" sources (no `from`, an ipBlock, or the ingress controller) may only reach the
#: targets in PUBLIC_DOORS.
CONTROL_PLANE = {"rabbitmq-system": {15672}, "cnpg-system": {8000}, "monitoring": {9100, 15692, 9187}}
INGRESS_NAMESPACE = "ingress-nginx"
PUBLIC_DOORS = {
    # kustomization -> {(workload, port)}
    "default": {("Deployment/gateway", 8000)},
    "national": {("RabbitmqCluster/dangvien-rabbitmq", 5671)},   # the provinces' shovels
}


# -- rendering and schemas ----------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def render(kustomization: str):
    return kl.build(DEPLOY / kustomization)


@pytest.fixture(params=KUSTOMIZATIONS)
def any_build(request):
    return request.param, render(request.param)


@pytest.fixture(params=APP_BUILDS)
def app_build(request):
    return request.param, render(request.param)


@pytest.fixture(params=STACKS)
def stack(request):
    return request.param, render(request.param)


def _k8s_schema_dir() -> Path:
    import kubernetes_validate
    root = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    return root / f"v{K8S_VERSION}.0-local-strict"


@functools.lru_cache(maxsize=None)
def _registry() -> Registry:
    defs = json.loads((_k8s_schema_dir() / "_definitions.json").read_text())
    return Resource.from_contents(defs) @ Registry()


@functools.lru_cache(maxsize=None)
def validator_for(api_version: str, kind: str):
    group, _, version = api_version.rpartition("/")
    crd = SCHEMAS / f"{group}_{version}_{kind}.json"
    if crd.exists():
        schema = json.loads(crd.read_text())
    else:
        short_group = group.split(".")[0]
        name = f"{kind.lower()}-{short_group}-{version}.json" if group else f"{kind.lower()}-{version}.json"
        path = _k8s_schema_dir() / name
        if not path.exists():
            return None
        schema = json.loads(path.read_text())
    return jsonschema.Draft202012Validator(schema, registry=_registry())


def validation_errors(obj: dict) -> list[str]:
    validator = validator_for(obj["apiVersion"], obj["kind"])
    if validator is None:
        return [f"no schema for {obj['apiVersion']} {obj['kind']}: add one to tests/deploy/schemas/"]
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)]


# -- small helpers ------------------------------------------------------------------------
def ref(obj: dict) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def selects(selector: dict | None, labels: dict) -> bool:
    """A LabelSelector against a label set (matchLabels and matchExpressions)."""
    selector = selector or {}
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {"In": key in labels and labels[key] in values,
              "NotIn": labels.get(key) not in values,
              "Exists": key in labels,
              "DoesNotExist": key not in labels}[op]
        if not ok:
            return False
    return True


def workloads(build) -> dict[str, dict]:
    """Pod label sets by workload, including the pods operators make from custom resources."""
    pods = {}
    for o in build.objects:
        if o["kind"] in ("Deployment", "StatefulSet"):
            pods[ref(o)] = o["spec"]["template"]["metadata"]["labels"]
    clusters = {o["metadata"]["name"] for o in build.by_kind("RabbitmqCluster")}
    clusters |= {o["spec"]["rabbitmqClusterReference"]["name"] for o in build.objects
                 if "rabbitmqClusterReference" in (o.get("spec") or {})}
    for name in clusters:   # labels set by the RabbitMQ cluster operator
        pods[f"RabbitmqCluster/{name}"] = {"app.kubernetes.io/name": name,
                                           "app.kubernetes.io/component": "rabbitmq",
                                           "app.kubernetes.io/part-of": "rabbitmq"}
    for o in build.by_kind("Cluster"):   # labels set by CloudNativePG
        pods[ref(o)] = {"cnpg.io/cluster": o["metadata"]["name"], "cnpg.io/podRole": "instance"}
    return pods


def selected(policy: dict, pods: dict[str, dict]) -> set[str]:
    return {w for w, labels in pods.items() if selects(policy["spec"]["podSelector"], labels)}


def port_numbers(rule: dict) -> set:
    return {p.get("port") for p in rule.get("ports") or []}


def app_deployments(build) -> list[dict]:
    return [d for d in build.by_kind("Deployment")
            if d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component") == "app"]


def config_data(build, name_prefix: str = "dangvien-config") -> dict[str, str]:
    cms = [c for c in build.by_kind("ConfigMap") if c["metadata"]["name"].startswith(name_prefix)]
    assert len(cms) == 1, [c["metadata"]["name"] for c in cms]
    return cms[0]["data"]


def container(deployment: dict) -> dict:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, ref(deployment)
    return containers[0]


def named_port(c: dict, port) -> int:
    if isinstance(port, int):
        return port
    return next(p["containerPort"] for p in c.get("ports", []) if p.get("name") == port)


# -- rendering ----------------------------------------------------------------------------
def test_there_is_a_base_two_overlays_and_the_national_rollup():
    assert {"base", "overlays/staging", "overlays/production", "national"} <= set(KUSTOMIZATIONS)


def test_each_kustomization_renders(any_build):
    name, build = any_build
    assert build.objects, f"{name} renders nothing"


def test_every_manifest_file_is_used_by_a_kustomization():
    used = set()
    for k in KUSTOMIZATIONS:
        used |= {p.resolve() for p in render(k).files}
    manifests = {p.resolve() for p in DEPLOY.rglob("*.y*ml") if p.name not in kl.KUSTOMIZATION_FILES}
    orphans = sorted(str(p.relative_to(DEPLOY)) for p in manifests - used)
    assert not orphans, f"manifests no kustomization includes: {orphans}"


def test_every_object_validates_against_its_schema(any_build):
    name, build = any_build
    problems = {ref(o): errs for o in build.objects if (errs := validation_errors(o))}
    assert not problems, f"{name}: {json.dumps(problems, indent=1)}"


def test_objects_are_namespaced_by_the_overlay(any_build):
    name, build = any_build
    namespaces = {o["metadata"].get("namespace") for o in build.objects if o["kind"] != "Namespace"}
    if name == "base":
        # the base names no namespace and makes none: each overlay puts all of it in its own
        assert namespaces == {None}, namespaces
        assert not [o for o in build.objects if o["kind"] == "Namespace"]
        return
    assert len(namespaces) == 1 and None not in namespaces, namespaces


def test_matches_kubectl_kustomize_when_available(tmp_path):
    """The offline renderer agrees with the real kustomize (skipped where kubectl is absent)."""
    kubectl = shutil.which("kubectl")
    if not kubectl or subprocess.run([kubectl, "kustomize", "--help"], capture_output=True).returncode:
        pytest.skip("kubectl with kustomize not installed")
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy)
    for example in copy.rglob("*.env.example"):
        real = example.with_name(example.name[: -len(".example")])
        if not real.exists():
            shutil.copy(example, real)

    def key(o):
        return (o["kind"], o["metadata"].get("namespace") or "", o["metadata"]["name"])

    for k in KUSTOMIZATIONS:
        out = subprocess.run([kubectl, "kustomize", str(copy / k)], capture_output=True, text=True)
        assert out.returncode == 0, f"{k}: {out.stderr}"
        theirs = {key(o): o for o in yaml.safe_load_all(out.stdout) if o}
        ours = {key(o): o for o in kl.build(copy / k).objects}
        assert ours == theirs, f"{k}: offline rendering differs from kubectl kustomize"


# -- secrets ------------------------------------------------------------------------------
def test_no_secret_manifest_is_committed():
    for path in DEPLOY.rglob("*.y*ml"):
        for doc in yaml.safe_load_all(path.read_text()):
            assert not (doc and doc.get("kind") == "Secret"), f"{path}: Secret manifest (use a secretGenerator)"


def test_secret_inputs_are_gitignored_and_have_examples():
    env_files = set()
    for k in KUSTOMIZATIONS:
        env_files |= set(render(k).env_files)
    assert env_files
    git = shutil.which("git")
    for path in sorted(env_files):
        assert path.with_name(path.name + ".example").is_file(), f"{path}: no .example"
        if git and (REPO / ".git").exists():
            rel = str(path.relative_to(REPO))
            ignored = subprocess.run([git, "check-ignore", "-q", "--no-index", rel], cwd=REPO)
            assert ignored.returncode == 0, f"{rel} is not git-ignored"
            tracked = subprocess.run([git, "ls-files", "--error-unmatch", rel], cwd=REPO, capture_output=True)
            assert tracked.returncode != 0, f"{rel} is committed"


def test_secret_examples_hold_no_real_password():
    for example in DEPLOY.rglob("*.env.example"):
        for line in example.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                key, value = line.split("=", 1)
                if re.search(r"pass|secret|uri", key, re.I) and value not in ("amqp://",):
                    assert "CHANGE-ME" in value, f"{example.name}: {key} must be a CHANGE-ME placeholder"


def test_app_rabbitmq_password_is_the_same_in_both_secret_inputs():
    for overlay in STACKS:
        d = DEPLOY / overlay
        user = dict(l.split("=", 1) for l in (d / "rabbitmq-user.env.example").read_text().splitlines()
                    if l and not l.startswith("#"))
        uri = dict(l.split("=", 1) for l in (d / "secrets.env.example").read_text().splitlines()
                   if l and not l.startswith("#"))["amqp-uri"]
        parts = urlsplit(uri)
        assert (parts.username, parts.password) == (user["username"], user["password"]), overlay
        assert parts.hostname == "dangvien-rabbitmq"


# -- the application Deployments ------------------------------------------------------------
def test_one_deployment_per_service_running_dangvien_serve(app_build):
    _, build = app_build
    deployments = {d["metadata"]["name"]: d for d in app_deployments(build)}
    assert set(deployments) == set(APP_SERVICES)
    for name, d in deployments.items():
        c = container(d)
        argv = c.get("command", []) + c.get("args", [])
        assert argv == ["dangvien", "serve", name], f"{name}: {argv}"


def test_deployments_have_readiness_and_liveness_probes(app_build):
    _, build = app_build
    for d in app_deployments(build):
        c = container(d)
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            get = (c.get(probe) or {}).get("httpGet")
            assert get, f"{ref(d)}: no {probe}"
            assert get["path"] == path, f"{ref(d)}: {probe} on {get['path']}"
            assert named_port(c, get["port"]) == METRICS_PORT, f"{ref(d)}: {probe} port"


def test_deployments_have_resources(app_build):
    _, build = app_build
    for d in app_deployments(build) + build.by_kind("StatefulSet"):
        for c in kl.containers(d):
            res = c.get("resources") or {}
            assert {"cpu", "memory"} <= set(res.get("requests") or {}), f"{ref(d)}: requests"
            assert "memory" in (res.get("limits") or {}), f"{ref(d)}: memory limit"


def test_pods_run_as_non_root_without_privileges(app_build):
    _, build = app_build
    for w in app_deployments(build) + build.by_kind("StatefulSet"):
        pod = kl.pod_spec(w)
        pod_sc = pod.get("securityContext") or {}
        for c in kl.containers(w):
            sc = c.get("securityContext") or {}
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, f"{ref(w)}: runAsNonRoot"
            assert sc.get("runAsUser", pod_sc.get("runAsUser", 1)) != 0, f"{ref(w)}: uid 0"
            assert sc.get("allowPrivilegeEscalation") is False, f"{ref(w)}: privilege escalation"
            assert not sc.get("privileged"), ref(w)
            assert "ALL" in (sc.get("capabilities") or {}).get("drop", []), f"{ref(w)}: capabilities"
        assert pod_sc.get("runAsNonRoot") is True, f"{ref(w)}: pod-level runAsNonRoot (covers every container)"
        assert pod.get("automountServiceAccountToken") is False, f"{ref(w)}: API token mounted"
        assert (pod_sc.get("seccompProfile") or {}).get("type") == "RuntimeDefault", ref(w)
    for d in app_deployments(build):
        assert container(d)["securityContext"].get("readOnlyRootFilesystem") is True, ref(d)


def test_every_deployment_has_an_autoscaler(app_build):
    _, build = app_build
    hpas = build.by_kind("HorizontalPodAutoscaler")
    for d in app_deployments(build):
        mine = [h for h in hpas if h["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1", "kind": "Deployment", "name": d["metadata"]["name"]}]
        assert len(mine) == 1, f"{ref(d)}: {len(mine)} autoscalers"
        spec = mine[0]["spec"]
        assert 1 <= spec["minReplicas"] <= spec["maxReplicas"], ref(d)
        assert spec["minReplicas"] >= 2, f"{ref(d)}: one replica is one outage away"
        assert "replicas" not in d["spec"], f"{ref(d)}: fixed replicas fight the autoscaler"
        pdbs = [p for p in build.by_kind("PodDisruptionBudget")
                if selects(p["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])]
        assert len(pdbs) == 1, f"{ref(d)}: disruption budget"


def test_env_comes_only_from_secret_and_configmap_references(app_build):
    _, build = app_build
    for d in app_deployments(build) + build.by_kind("StatefulSet"):
        for c in kl.containers(d):
            for e in c.get("env", []) or []:
                if d["kind"] == "Deployment":
                    assert "value" not in e, f"{ref(d)}: {e['name']} is a literal (use a ConfigMap/Secret ref)"
                    source = e.get("valueFrom") or {}
                    assert set(source) <= {"secretKeyRef", "configMapKeyRef"} and len(source) == 1, \
                        f"{ref(d)}: {e['name']}"
                elif "value" in e:
                    assert not re.search(r"PASS|SECRET|TOKEN|KEY", e["name"]), f"{ref(d)}: {e['name']}"
                    assert not re.search(r"://[^/\s:@]+:[^/\s@$]+@", str(e["value"])), f"{ref(d)}: {e['name']}"
            for e in c.get("envFrom", []) or []:
                assert set(e) <= {"configMapRef", "secretRef", "prefix"}, f"{ref(d)}: {e}"


def test_configmaps_hold_no_credentials(any_build):
    _, build = any_build
    for cm in build.by_kind("ConfigMap"):
        for key, value in cm.get("data", {}).items():
            assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", value), f"{ref(cm)}: {key} carries a password"
            assert not re.search(r"PASSWORD|SECRET|TOKEN", key), f"{ref(cm)}: {key}"


def test_every_setting_is_provided_and_nothing_else(app_build):
    _, build = app_build
    config = config_data(build)
    assert set(config) <= ENV_NAMES, f"not Settings fields: {sorted(set(config) - ENV_NAMES)}"
    for d in app_deployments(build):
        c = container(d)
        names = {e["name"] for e in c.get("env", [])}
        from_cm = set()
        for e in c.get("envFrom", []):
            assert e["configMapRef"]["name"].startswith("dangvien-config"), ref(d)
            from_cm |= set(config)
        assert not names & from_cm, f"{ref(d)}: set twice: {sorted(names & from_cm)}"
        assert names | from_cm == ENV_NAMES, (
            f"{ref(d)}: missing {sorted(ENV_NAMES - names - from_cm)}, "
            f"extra {sorted((names | from_cm) - ENV_NAMES)}")
    assert int(config[f"{PREFIX}METRICS_PORT"]) == METRICS_PORT
    for service in ("members", "meetings", "discipline"):
        url = config[f"{PREFIX}STORE_{service.upper()}"]
        assert urlsplit(url).hostname in {s["metadata"]["name"] for s in build.by_kind("Service")}, url


def test_references_to_configmaps_and_secrets_resolve(stack):
    name, build = stack
    objects = {(o["kind"], o["metadata"]["name"]): o for o in build.objects}
    for d in app_deployments(build) + build.by_kind("StatefulSet"):
        for c in kl.containers(d):
            for e in c.get("env", []) or []:
                for kind, field in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                    sel = (e.get("valueFrom") or {}).get(field)
                    if not sel:
                        continue
                    if kind == "Secret" and sel["name"] in OPERATOR_SECRETS:
                        owner = OPERATOR_SECRETS[sel["name"]]
                        assert owner in objects, f"{ref(d)}: {sel['name']} needs {owner}"
                        continue
                    target = objects.get((kind, sel["name"]))
                    assert target, f"{name}: {ref(d)} -> missing {kind} {sel['name']}"
                    assert sel["key"] in target.get("data", {}), f"{ref(d)} -> {sel['name']} has no {sel['key']}"
            for e in c.get("envFrom", []) or []:
                ref_ = e.get("configMapRef") or e.get("secretRef")
                kind = "ConfigMap" if "configMapRef" in e else "Secret"
                assert (kind, ref_["name"]) in objects, f"{ref(d)} -> missing {kind} {ref_['name']}"
    # secrets that custom resources point at
    for o in build.objects:
        spec = o.get("spec") or {}
        for holder in ("importCredentialsSecret", "uriSecret"):
            if holder in spec:
                assert ("Secret", spec[holder]["name"]) in objects, f"{ref(o)} -> {spec[holder]['name']}"
    pg = objects[("Cluster", "dangvien-pg")]
    creds = pg["spec"]["backup"]["barmanObjectStore"]["s3Credentials"]
    for sel in creds.values():
        secret = objects.get(("Secret", sel["name"]))
        assert secret and sel["key"] in secret["data"], f"backup credentials {sel}"
    # the CNPG app secret is for the owner of the database the services use
    assert pg["spec"]["bootstrap"]["initdb"] == {"database": "dangvien", "owner": "dangvien"}


def test_each_overlay_sends_backups_to_its_own_object_store():
    """Not only the path: the endpoint of the S3 store is the overlay's, never the base's."""
    def store(k):
        pg = next(o for o in render(k).objects if o["kind"] == "Cluster" and o["metadata"]["name"] == "dangvien-pg")
        return pg["spec"]["backup"]["barmanObjectStore"]

    base = store("base")
    seen = {}
    for k in STACKS:
        own = store(k)
        assert own["endpointURL"] != base["endpointURL"], f"{k} keeps the base's backup endpoint"
        assert own["destinationPath"] != base["destinationPath"], k
        seen[own["endpointURL"]] = k
    assert len(seen) == len(STACKS), "two overlays share one backup endpoint"


def test_amqp_secret_names_the_broker_service(stack):
    _, build = stack
    secret = next(s for s in build.by_kind("Secret") if s["metadata"]["name"].startswith("dangvien-secrets"))
    uri = base64.b64decode(secret["data"]["amqp-uri"]).decode()
    cluster = build.get("RabbitmqCluster", "dangvien-rabbitmq")
    assert urlsplit(uri).hostname == cluster["metadata"]["name"], uri
    assert urlsplit(uri).scheme == "amqp"


def test_overlay_images_are_pinned(stack):
    _, build = stack
    for w in build.by_kind("Deployment") + build.by_kind("StatefulSet"):
        for c in kl.containers(w):
            name, tag, digest = kl.split_image(c["image"])
            assert "/" in name, f"{ref(w)}: {c['image']} has no registry"
            assert digest or (tag and tag != "latest"), f"{ref(w)}: {c['image']} is not pinned"
    for rc in build.by_kind("RabbitmqCluster"):
        assert kl.split_image(rc["spec"]["image"])[1] not in (None, "latest")
    for pg in build.by_kind("Cluster"):
        assert kl.split_image(pg["spec"]["imageName"])[1] not in (None, "latest")


# -- the gateway is the only way in -------------------------------------------------------------
def test_gateway_is_served_through_service_and_ingress(app_build):
    _, build = app_build
    gateway = build.get("Deployment", "gateway")
    c = container(gateway)
    config = config_data(build)
    service = build.get("Service", "gateway")
    assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
    pods = workloads(build)
    assert {w for w, labels in pods.items() if selects({"matchLabels": service["spec"]["selector"]}, labels)} \
        == {"Deployment/gateway"}
    port = service["spec"]["ports"][0]
    assert named_port(c, port["targetPort"]) == int(config[f"{PREFIX}HTTP_PORT"])
    ingresses = build.by_kind("Ingress")
    assert len(ingresses) == 1
    backends = [p["backend"]["service"] for r in ingresses[0]["spec"]["rules"] for p in r["http"]["paths"]]
    assert backends and all(b["name"] == "gateway" for b in backends)
    assert all(b["port"].get("name") == port["name"] or b["port"].get("number") == port["port"] for b in backends)
    assert ingresses[0]["spec"].get("tls"), "the gateway is served over TLS"
    for s in build.by_kind("Service"):
        assert s["spec"].get("type", "ClusterIP") in ("ClusterIP",), f"{ref(s)} is exposed outside the cluster"
    for rc in build.by_kind("RabbitmqCluster"):
        assert rc["spec"].get("service", {}).get("type", "ClusterIP") == "ClusterIP"


def test_a_default_deny_policy_covers_every_pod(app_build):
    _, build = app_build
    deny = [p for p in build.by_kind("NetworkPolicy")
            if p["spec"]["podSelector"] in ({}, {"matchLabels": {}})
            and set(p["spec"].get("policyTypes", [])) >= {"Ingress", "Egress"}
            and not p["spec"].get("ingress") and not p["spec"].get("egress")]
    assert deny, "no default-deny NetworkPolicy (ingress and egress)"


def _external_sources(rule: dict) -> list[str]:
    """Where, outside the namespace, a rule lets traffic in from ("" = same namespace only)."""
    peers = rule.get("from")
    if not peers:
        return ["public"]
    sources = []
    for peer in peers:
        if "ipBlock" in peer:
            sources.append("public")
        elif "namespaceSelector" in peer:
            labels = (peer["namespaceSelector"] or {}).get("matchLabels") or {}
            ns = labels.get("kubernetes.io/metadata.name")
            if not ns or set(labels) != {"kubernetes.io/metadata.name"}:
                sources.append("public")      # several or any namespaces
            elif ns == INGRESS_NAMESPACE:
                sources.append("public")
            else:
                sources.append(ns)
    return sources


@pytest.mark.parametrize("kustomization", [*APP_BUILDS, "national", "national/federation", "national/province"])
def test_only_the_gateway_accepts_traffic_from_outside_the_namespace(kustomization):
    build = render(kustomization)
    pods = workloads(build)
    doors = PUBLIC_DOORS.get(kustomization, PUBLIC_DOORS["default"])
    for policy in build.by_kind("NetworkPolicy"):
        targets = selected(policy, pods)
        for rule in policy["spec"].get("ingress") or []:
            for source in _external_sources(rule):
                ports = port_numbers(rule)
                assert ports and None not in ports, f"{ref(policy)}: all ports open to {source}"
                if source == "public":
                    opened = {(t, p) for t in targets for p in ports}
                    assert targets and opened <= doors, f"{ref(policy)} opens {sorted(opened)} to the outside"
                else:
                    assert source in CONTROL_PLANE, f"{ref(policy)}: ingress from namespace {source}"
                    assert ports <= CONTROL_PLANE[source], f"{ref(policy)}: {source} may not reach {ports}"
                    assert "Deployment/gateway" not in targets or ports <= {METRICS_PORT}, ref(policy)


def test_the_gateway_is_reachable_from_the_ingress_controller(app_build):
    _, build = app_build
    pods = workloads(build)
    ok = False
    for policy in build.by_kind("NetworkPolicy"):
        if "Deployment/gateway" in selected(policy, pods):
            for rule in policy["spec"].get("ingress") or []:
                if "public" in _external_sources(rule) and 8000 in port_numbers(rule):
                    ok = True
    assert ok, "nothing lets the ingress controller reach the gateway on 8000"


def _allowed(build, direction: str, src: str, dst: str, port: int) -> bool:
    """Is `src` -> `dst`:port allowed in `direction` ("egress" of src / "ingress" of dst)?"""
    pods = workloads(build)
    owner, peer = (src, dst) if direction == "egress" else (dst, src)
    for policy in build.by_kind("NetworkPolicy"):
        if owner not in selected(policy, pods) or direction.capitalize() not in policy["spec"]["policyTypes"]:
            continue
        for rule in policy["spec"].get(direction) or []:
            peers = rule.get("to" if direction == "egress" else "from")
            ports = port_numbers(rule)
            if ports and port not in ports:
                continue
            if not peers:
                return True
            for p in peers:
                if "podSelector" in p and "namespaceSelector" not in p and selects(p["podSelector"], pods[peer]):
                    return True
    return False


def test_services_may_reach_broker_and_stores_and_nothing_else_may(app_build):
    _, build = app_build
    pods = workloads(build)
    backends = {"RabbitmqCluster/dangvien-rabbitmq": 5672, "Cluster/dangvien-pg": 5432,
                "StatefulSet/kurrentdb": 2113}
    assert set(backends) <= set(pods)
    apps = [ref(d) for d in app_deployments(build)]
    for app in apps:
        for backend, port in backends.items():
            assert _allowed(build, "egress", app, backend, port), f"{app} -> {backend}:{port} blocked (egress)"
            assert _allowed(build, "ingress", app, backend, port), f"{app} -> {backend}:{port} blocked (ingress)"
    for app in apps:   # services do not call each other over the network except through the broker
        for other in apps:
            if other != app:
                for port in (8000, METRICS_PORT):
                    assert not _allowed(build, "ingress", app, other, port), f"{app} -> {other}:{port}"


# -- data services --------------------------------------------------------------------------------
def test_data_services_are_three_node_clusters(app_build):
    _, build = app_build
    assert build.get("RabbitmqCluster", "dangvien-rabbitmq")["spec"]["replicas"] == 3
    pg = build.get("Cluster", "dangvien-pg")
    assert pg["spec"]["instances"] == 3
    assert pg["spec"]["imageName"].split(":")[1].startswith("16")
    sts = build.get("StatefulSet", "kurrentdb")
    assert sts["spec"]["replicas"] == 3
    env = {e["name"]: e.get("value") for e in container(sts)["env"]}
    assert env["KURRENTDB_CLUSTER_SIZE"] == "3"
    headless = build.get("Service", sts["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"].get("publishNotReadyAddresses")
    assert env["KURRENTDB_CLUSTER_DNS"].startswith(headless["metadata"]["name"] + ".")
    assert selects({"matchLabels": headless["spec"]["selector"]}, sts["spec"]["template"]["metadata"]["labels"])
    for probe in ("readinessProbe", "livenessProbe"):
        assert container(sts).get(probe), f"kurrentdb: {probe}"
    assert any(selects(p["spec"]["selector"], sts["spec"]["template"]["metadata"]["labels"])
               for p in build.by_kind("PodDisruptionBudget")), "kurrentdb needs a disruption budget"
    scheduled = build.by_kind("ScheduledBackup")
    assert scheduled and scheduled[0]["spec"]["cluster"]["name"] == "dangvien-pg"


def test_rabbitmq_has_the_plugins_the_national_rollup_needs(app_build):
    _, build = app_build
    plugins = set(build.get("RabbitmqCluster", "dangvien-rabbitmq")["spec"]["rabbitmq"]["additionalPlugins"])
    assert {"rabbitmq_shovel", "rabbitmq_federation"} <= plugins


def test_production_is_sized_above_staging():
    prod, staging = render("overlays/production"), render("overlays/staging")

    def gib(q: str) -> float:
        units = {"Ki": 2 ** -20, "Mi": 2 ** -10, "Gi": 1, "Ti": 2 ** 10}
        number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]i)", q).groups()
        return float(number) * units[unit]

    for kind, name, path in (("Cluster", "dangvien-pg", ("spec", "storage", "size")),
                             ("RabbitmqCluster", "dangvien-rabbitmq", ("spec", "persistence", "storage"))):
        p, s = prod.get(kind, name), staging.get(kind, name)
        for key in path:
            p, s = p[key], s[key]
        assert gib(p) > gib(s), f"{kind}/{name}: production {p} <= staging {s}"
    p = prod.get("StatefulSet", "kurrentdb")["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
    s = staging.get("StatefulSet", "kurrentdb")["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
    assert gib(p) > gib(s)


# -- national roll-up -------------------------------------------------------------------------------
EVENT_EXCHANGES = [f"{s}.events" for s in SERVICES]


def _exchanges(build) -> dict[str, dict]:
    return {e["spec"]["name"]: e["spec"] for e in build.by_kind("Exchange")}


def test_province_shovels_forward_every_event_exchange():
    build = render("national/province")
    exchanges = _exchanges(build)
    queues = {q["spec"]["name"]: q["spec"] for q in build.by_kind("Queue")}
    bindings = [b["spec"] for b in build.by_kind("Binding")]
    shovels = [s["spec"] for s in build.by_kind("Shovel")]
    for exchange in EVENT_EXCHANGES:
        # same attributes the relay declares (shared/relay.py): topic, durable
        assert exchanges[exchange]["type"] == "topic" and exchanges[exchange]["durable"] is True
        bound = [b for b in bindings if b["source"] == exchange and b["destinationType"] == "queue"
                 and b["routingKey"] == "#"]
        assert len(bound) == 1, f"{exchange}: every event must be collected"
        queue = queues[bound[0]["destination"]]
        assert queue["durable"] and queue["type"] == "quorum"
        mine = [s for s in shovels if s.get("srcQueue") == queue["name"]]
        assert len(mine) == 1 and mine[0]["destExchange"] == exchange, exchange
        assert "destExchangeKey" not in mine[0], "the routing key (event type) must be kept"
        assert mine[0]["ackMode"] == "on-confirm"
    secrets = {s["metadata"]["name"]: s for s in build.by_kind("Secret")}
    for shovel in shovels:
        assert {"srcUri", "destUri"} <= set(secrets[shovel["uriSecret"]["name"]]["data"])
    assert not [p for p in build.by_kind("NetworkPolicy") if p["spec"].get("ingress")], \
        "push mode opens nothing inbound in the province"


def test_national_hub_accepts_every_event_exchange_from_each_province():
    build = render("national")
    exchanges = _exchanges(build)
    assert set(EVENT_EXCHANGES) <= set(exchanges)
    users = {u["metadata"]["name"] for u in build.by_kind("User")}
    assert users, "one broker user per province"
    for perm in build.by_kind("Permission"):
        assert perm["spec"]["userReference"]["name"] in users
        write = re.compile(perm["spec"]["permissions"]["write"])
        assert all(write.fullmatch(e) for e in EVENT_EXCHANGES)
        assert not write.fullmatch("amq.default") and not write.fullmatch("national.other")
        assert perm["spec"]["permissions"]["read"] == "^$" and perm["spec"]["permissions"]["configure"] == "^$"


def test_federation_alternative_covers_every_event_exchange():
    build = render("national/federation")
    policies = [p["spec"] for p in build.by_kind("Policy")]
    upstreams = [f["spec"] for f in build.by_kind("Federation")]
    assert upstreams and len(policies) == 1
    policy = policies[0]
    assert policy["applyTo"] == "exchanges" and "federation-upstream-set" in policy["definition"]
    assert all(re.search(policy["pattern"], e) for e in EVENT_EXCHANGES)
    assert not re.search(policy["pattern"], "national.members.events")
    secrets = {s["metadata"]["name"]: s for s in build.by_kind("Secret")}
    for upstream in upstreams:
        assert upstream["maxHops"] == 1
        uri = base64.b64decode(secrets[upstream["uriSecret"]["name"]]["data"]["uri"]).decode()
        assert urlsplit(uri).scheme == "amqps", "provincial links cross networks: TLS only"


# -- reporting partitioned by direct unit (deploy/partitioned) ------------------------------
def test_partitioned_reporting_covers_each_partition_once_with_its_own_scaling():
    from shared.partitioning import Partition
    build = render("partitioned")
    reporting = [d for d in app_deployments(build)
                 if container(d).get("command", []) + container(d).get("args", []) == ["dangvien", "serve", "reporting"]]
    configmaps = {c["metadata"]["name"]: c.get("data", {}) for c in build.by_kind("ConfigMap")}
    partitions = {}
    for d in reporting:
        refs = [e["valueFrom"]["configMapKeyRef"] for e in container(d).get("env", [])
                if e["name"] == f"{PREFIX}REPORTING_PARTITION"]
        assert len(refs) == 1, f"{ref(d)}: partition setting"
        partitions[d["metadata"]["name"]] = Partition.parse(configmaps[refs[0]["name"]][refs[0]["key"]])
    assert sorted(partitions.values(), key=lambda p: p.index) == Partition(0, 2).siblings()
    labels = {d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"] for d in reporting}
    for d in reporting:
        name = d["metadata"]["name"]
        assert [n for n, pod in labels.items() if selects(d["spec"]["selector"], pod)] == [name], \
            f"{name}: its selector takes other partitions' pods"
        hpas = [h for h in build.by_kind("HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"]["name"] == name]
        assert len(hpas) == 1 and hpas[0]["spec"]["minReplicas"] >= 2, name
        pdbs = [p for p in build.by_kind("PodDisruptionBudget") if selects(p["spec"]["selector"], labels[name])]
        assert len(pdbs) == 1, f"{name}: {len(pdbs)} disruption budgets"
    policies = build.by_kind("NetworkPolicy")
    reaching = {name: {p["metadata"]["name"] for p in policies if selects(p["spec"]["podSelector"], pod)}
                for name, pod in labels.items()}
    assert len({frozenset(v) for v in reaching.values()}) == 1, reaching  # same network rules for every partition


def test_partition_1_is_the_base_reporting_deployment_but_for_its_partition():
    """reporting-p1.yaml is a copy (the offline renderer has no nameSuffix/components): it must not drift."""
    import copy
    base = {d["kind"]: d for d in kl.load_documents(DEPLOY / "base/services/reporting.yaml")}
    p1 = {d["kind"]: d for d in kl.load_documents(DEPLOY / "partitioned/reporting-p1.yaml")}
    assert set(p1) == set(base)
    label = "dangvien.vn/partition"
    expected = copy.deepcopy(base["Deployment"])
    expected["metadata"]["name"] = "reporting-p1"
    for labels in (expected["spec"]["selector"]["matchLabels"], expected["spec"]["template"]["metadata"]["labels"],
                   expected["spec"]["template"]["spec"]["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"]):
        labels[label] = "1"
    expected["spec"]["template"]["spec"]["containers"][0]["env"].append(
        {"name": f"{PREFIX}REPORTING_PARTITION",
         "valueFrom": {"configMapKeyRef": {"name": "dangvien-reporting-partitions", "key": "p1"}}})
    assert p1["Deployment"] == expected
    assert p1["HorizontalPodAutoscaler"]["spec"] == {
        **base["HorizontalPodAutoscaler"]["spec"],
        "scaleTargetRef": {**base["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"], "name": "reporting-p1"}}
    assert p1["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == {
        **base["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"], label: "1"}
