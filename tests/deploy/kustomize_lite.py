"""An offline subset of ``kustomize build``, enough to check deploy/ without the binary.

Supported (and nothing else: any other kustomization field raises ``Unsupported`` so a
manifest change that needs more makes the tests fail loudly instead of passing quietly):

- ``resources``: YAML files and directories holding a kustomization, recursively;
- ``namespace``; ``labels`` (``pairs``, metadata only: ``includeSelectors`` /
  ``includeTemplates`` must be false); ``images`` (``newName``, ``newTag``, ``digest``);
- ``patches`` given inline as JSON6902 operation lists (add / replace / remove / test),
  selected by ``target`` (group, version, kind, name, namespace);
- ``configMapGenerator`` / ``secretGenerator`` with ``literals`` and ``envs``, ``behavior``
  create / merge / replace, and ``options`` / ``generatorOptions`` ``disableNameSuffixHash``.
  Generated names get kustomize's content-hash suffix, and references from pod specs
  (env, envFrom, volumes) are rewritten, as kustomize does.

Order of operations follows kustomize: resources, generators, then patches, namespace,
labels, images; names and references are settled once, after the outermost level.

An ``envs`` file that does not exist is read from ``<file>.example`` instead, and the
substitution is recorded in ``Build.example_fallbacks``: the real files hold secrets,
are git-ignored and are never in a checkout.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUPPORTED_FIELDS = {
    "apiVersion", "kind", "resources", "namespace", "labels", "images", "patches",
    "configMapGenerator", "secretGenerator", "generatorOptions",
}
#: kinds that have no namespace (the namespace transformer leaves them alone)
CLUSTER_SCOPED = {
    "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "PersistentVolume", "StorageClass", "PriorityClass", "IngressClass",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService",
}
_GEN = "__generated__"  # private marker on generated objects, removed by build()


class Unsupported(Exception):
    """The kustomization uses a feature this renderer does not implement."""


@dataclass
class Build:
    root: Path
    objects: list[dict] = field(default_factory=list)
    #: kustomization files read, outermost first
    kustomizations: list[Path] = field(default_factory=list)
    #: every resource file loaded
    files: list[Path] = field(default_factory=list)
    #: env files read from their ``.example`` because the real one is absent
    example_fallbacks: list[Path] = field(default_factory=list)
    #: every env file a generator asked for (real path, whether or not it exists)
    env_files: list[Path] = field(default_factory=list)

    def by_kind(self, kind: str) -> list[dict]:
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind: str, name: str) -> dict:
        found = [o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name]
        if len(found) != 1:
            raise KeyError(f"{kind}/{name}: {len(found)} found")
        return found[0]


def find_kustomization(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        if (directory / name).is_file():
            return directory / name
    return None


def load_documents(path: Path) -> list[dict]:
    """All non-empty YAML documents of a file (a comment-only document is skipped)."""
    with open(path, encoding="utf-8") as fh:
        docs = [d for d in yaml.safe_load_all(fh) if d is not None]
    for d in docs:
        if not isinstance(d, dict) or "kind" not in d or "apiVersion" not in d:
            raise ValueError(f"{path}: a document without apiVersion/kind")
    return docs


# -- public entry point ---------------------------------------------------------------------
def build(directory: str | Path) -> Build:
    directory = Path(directory).resolve()
    result = Build(root=directory)
    objects = _build(directory, result)
    _settle_generated_names(objects)
    for o in objects:
        o.pop(_GEN, None)
    _check_unique(objects)
    result.objects = objects
    return result


def _build(directory: Path, result: Build) -> list[dict]:
    kfile = find_kustomization(directory)
    if kfile is None:
        raise FileNotFoundError(f"no kustomization in {directory}")
    result.kustomizations.append(kfile)
    with open(kfile, encoding="utf-8") as fh:
        k = yaml.safe_load(fh) or {}
    unknown = set(k) - SUPPORTED_FIELDS
    if unknown:
        raise Unsupported(f"{kfile}: unsupported kustomization fields {sorted(unknown)}")

    objects: list[dict] = []
    for entry in k.get("resources", []) or []:
        path = (directory / entry).resolve()
        if path.is_dir():
            objects.extend(_build(path, result))
        elif path.is_file():
            result.files.append(path)
            objects.extend(copy.deepcopy(load_documents(path)))
        else:
            raise FileNotFoundError(f"{kfile}: resource {entry} does not exist")

    global_options = k.get("generatorOptions") or {}
    if set(global_options) - {"disableNameSuffixHash"}:
        raise Unsupported(f"{kfile}: generatorOptions {sorted(global_options)}")
    for kind, key in (("ConfigMap", "configMapGenerator"), ("Secret", "secretGenerator")):
        for gen in k.get(key, []) or []:
            _generate(kind, gen, global_options, directory, objects, result, kfile)

    for patch in k.get("patches", []) or []:
        _apply_patch(patch, objects, kfile)

    if k.get("namespace"):
        for o in objects:
            if o["kind"] not in CLUSTER_SCOPED:
                o.setdefault("metadata", {})["namespace"] = k["namespace"]

    for entry in k.get("labels", []) or []:
        if entry.get("includeSelectors") or entry.get("includeTemplates"):
            raise Unsupported(f"{kfile}: labels with includeSelectors/includeTemplates")
        if set(entry) - {"pairs", "includeSelectors", "includeTemplates"}:
            raise Unsupported(f"{kfile}: labels fields {sorted(entry)}")
        for o in objects:
            o.setdefault("metadata", {}).setdefault("labels", {}).update(
                {str(a): str(b) for a, b in entry["pairs"].items()})

    for image in k.get("images", []) or []:
        if set(image) - {"name", "newName", "newTag", "digest"}:
            raise Unsupported(f"{kfile}: images fields {sorted(image)}")
        for o in objects:
            for c in containers(o):
                c["image"] = _retag(c["image"], image)
    return objects


# -- generators -----------------------------------------------------------------------------
def _read_env_file(path: Path, result: Build) -> dict[str, str]:
    result.env_files.append(path)
    source = path
    if not path.is_file():
        example = path.with_name(path.name + ".example")
        if not example.is_file():
            raise FileNotFoundError(f"env file {path} (and {example.name}) missing")
        result.example_fallbacks.append(path)
        source = example
    data: dict[str, str] = {}
    for raw in source.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ValueError(f"{source}: not KEY=VALUE: {raw!r}")
        key, value = line.split("=", 1)
        data[key.strip()] = value
    return data


def _generate(kind, gen, global_options, directory, objects, result, kfile):
    if set(gen) - {"name", "behavior", "literals", "envs", "options", "type"}:
        raise Unsupported(f"{kfile}: generator fields {sorted(gen)}")
    options = {**global_options, **(gen.get("options") or {})}
    if set(options) - {"disableNameSuffixHash"}:
        raise Unsupported(f"{kfile}: generator options {sorted(options)}")
    data: dict[str, str] = {}
    for env in gen.get("envs", []) or []:
        data.update(_read_env_file((directory / env).resolve(), result))
    for literal in gen.get("literals", []) or []:
        key, value = literal.split("=", 1)
        data[key] = value

    behavior = gen.get("behavior", "create")
    existing = [o for o in objects if o.get(_GEN) and o["kind"] == kind
                and o[_GEN]["name"] == gen["name"]]
    if behavior == "create":
        if existing:
            raise ValueError(f"{kfile}: {kind} {gen['name']} generated twice (use behavior: merge)")
        obj: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": gen["name"]}}
        if kind == "Secret":
            obj["type"] = gen.get("type", "Opaque")
        obj[_GEN] = {"name": gen["name"], "hash": not options.get("disableNameSuffixHash", False)}
        obj["data"] = {}
        objects.append(obj)
    elif behavior in ("merge", "replace"):
        if len(existing) != 1:
            raise ValueError(f"{kfile}: {behavior} of {kind} {gen['name']}: no generated base")
        obj = existing[0]
        if behavior == "replace":
            obj["data"] = {}
        if "disableNameSuffixHash" in options:
            obj[_GEN]["hash"] = not options["disableNameSuffixHash"]
    else:
        raise Unsupported(f"{kfile}: generator behavior {behavior}")
    for key, value in data.items():
        obj["data"][key] = _kyaml_base64(value) if kind == "Secret" else value


def _kyaml_base64(value: str) -> str:
    """Base64 as kustomize writes Secret data: 70-character lines, each followed by a
    newline once the text is longer than one line (decoders skip the newlines; the hash
    suffix does not)."""
    encoded = base64.b64encode(value.encode()).decode()
    line = 70
    if len(encoded) // line + 1 == 1:
        return encoded
    return "".join(encoded[i:i + line] + "\n" for i in range(0, len(encoded), line))


def _kustomize_hash(obj: dict) -> str:
    """kustomize's name suffix: sha256 of a canonical JSON of kind/name/(type)/data, its
    first ten hex digits with 0 1 3 a e mapped to g h k m t.

    The name is hashed as "": kustomize v4/v5 looks it up with the single path element
    "metadata/name", which finds nothing (checked against `kubectl kustomize`, v5.5)."""
    if obj["kind"] == "ConfigMap":
        doc = {"kind": "ConfigMap", "name": "", "data": obj.get("data", {})}
    else:
        doc = {"kind": "Secret", "type": obj.get("type", "Opaque"), "name": "", "data": obj.get("data", {})}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Go's encoding/json (what kustomize hashes) escapes these three for HTML
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    digest = hashlib.sha256(text.encode()).hexdigest()
    return digest[:10].translate(str.maketrans("013ae", "ghkmt"))


def _settle_generated_names(objects: list[dict]) -> None:
    renames: dict[tuple[str, str | None, str], str] = {}
    for o in objects:
        gen = o.get(_GEN)
        if not gen:
            continue
        if gen["hash"]:
            o["metadata"]["name"] = f"{gen['name']}-{_kustomize_hash(o)}"
        renames[(o["kind"], o["metadata"].get("namespace"), gen["name"])] = o["metadata"]["name"]
    if not renames:
        return
    for o in objects:
        spec = pod_spec(o)
        if spec is None:
            continue
        ns = o["metadata"].get("namespace")

        def rename(kind, holder, key):
            if holder and holder.get(key) is not None:
                holder[key] = renames.get((kind, ns, holder[key]), holder[key])

        for c in containers(o):
            for e in c.get("env", []) or []:
                ref = e.get("valueFrom") or {}
                rename("ConfigMap", ref.get("configMapKeyRef"), "name")
                rename("Secret", ref.get("secretKeyRef"), "name")
            for e in c.get("envFrom", []) or []:
                rename("ConfigMap", e.get("configMapRef"), "name")
                rename("Secret", e.get("secretRef"), "name")
        for v in spec.get("volumes", []) or []:
            rename("ConfigMap", v.get("configMap"), "name")
            rename("Secret", v.get("secret"), "secretName")
            for src in (v.get("projected") or {}).get("sources", []) or []:
                rename("ConfigMap", src.get("configMap"), "name")
                rename("Secret", src.get("secret"), "name")


# -- patches --------------------------------------------------------------------------------
def _matches(target: dict, obj: dict) -> bool:
    if set(target) - {"group", "version", "kind", "name", "namespace"}:
        raise Unsupported(f"patch target fields {sorted(target)}")
    api = obj["apiVersion"]
    group, version = api.split("/", 1) if "/" in api else ("", api)
    meta = obj.get("metadata", {})
    checks = {"group": group, "version": version, "kind": obj["kind"],
              "name": meta.get("name"), "namespace": meta.get("namespace")}
    return all(checks[key] == value for key, value in target.items())


def _apply_patch(patch: dict, objects: list[dict], kfile: Path) -> None:
    if set(patch) - {"target", "patch"}:
        raise Unsupported(f"{kfile}: patch fields {sorted(patch)} (only inline target+patch)")
    ops = yaml.safe_load(patch["patch"])
    if not isinstance(ops, list):
        raise Unsupported(f"{kfile}: strategic-merge patches (use a JSON6902 list)")
    hits = [o for o in objects if _matches(patch.get("target") or {}, o)]
    if not hits:
        raise ValueError(f"{kfile}: patch target {patch.get('target')} matches nothing")
    for o in hits:
        for op in ops:
            json_patch(o, op)


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise ValueError(f"bad JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def json_patch(doc: Any, op: dict) -> None:
    """One RFC 6902 operation, in place (add, replace, remove, test)."""
    kind = op["op"]
    *parents, last = _pointer(op["path"])
    node = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if kind == "test":
        current = node[int(last)] if isinstance(node, list) else node[last]
        if current != op["value"]:
            raise ValueError(f"test failed at {op['path']}: {current!r} != {op['value']!r}")
    elif isinstance(node, list):
        if kind == "add":
            node.insert(len(node) if last == "-" else int(last), copy.deepcopy(op["value"]))
        elif kind == "replace":
            node[int(last)] = copy.deepcopy(op["value"])
        elif kind == "remove":
            del node[int(last)]
        else:
            raise Unsupported(f"JSON patch op {kind}")
    else:
        if kind in ("replace", "remove") and last not in node:
            raise ValueError(f"{kind} of missing {op['path']}")
        if kind in ("add", "replace"):
            node[last] = copy.deepcopy(op["value"])
        elif kind == "remove":
            del node[last]
        else:
            raise Unsupported(f"JSON patch op {kind}")


# -- pod helpers ----------------------------------------------------------------------------
def pod_spec(obj: dict) -> dict | None:
    kind = obj["kind"]
    if kind == "Pod":
        return obj.get("spec")
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return obj["spec"]["template"]["spec"]
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def containers(obj: dict) -> Iterable[dict]:
    spec = pod_spec(obj)
    if spec is None:
        return []
    return list(spec.get("initContainers", []) or []) + list(spec.get("containers", []) or [])


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """name, tag, digest (the tag colon is the one after the last slash)."""
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1:], digest
    return image, None, digest


def _retag(image: str, rule: dict) -> str:
    name, tag, digest = split_image(image)
    if name != rule["name"]:
        return image
    name = rule.get("newName", name)
    if "newTag" in rule:
        tag, digest = str(rule["newTag"]), None
    if "digest" in rule:
        tag, digest = None, rule["digest"]
    return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def _check_unique(objects: list[dict]) -> None:
    seen = set()
    for o in objects:
        key = (o["apiVersion"].split("/")[0], o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
        if key in seen:
            raise ValueError(f"duplicate object {key}")
        seen.add(key)
