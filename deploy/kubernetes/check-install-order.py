#!/usr/bin/env python3
"""Checks, without a cluster, that the documented install order works from an empty namespace.

Reads the rendered manifests (`kubectl kustomize deploy/kubernetes`, a file or `-` for stdin) and
the migration step's label selector (from migrate.sh, which runs that step), and checks that:

- the migration step selects the migration Job and no workload that runs the API (the API starts
  only after the migrations have run);
- every ConfigMap, Secret and ServiceAccount the migration Job refers to (envFrom, env valueFrom,
  volumes, imagePullSecrets, serviceAccountName) is either applied by the migration step itself or
  created by the operator before it (CREATED_BEFORE below, as deploy/README.md says), with the keys
  the Job asks for;
- every object the other workloads refer to is in the full render or created before it.

Run by .ci/run; needs PyYAML. Exits 1, naming each missing object, if the order does not hold.

    kubectl kustomize deploy/kubernetes | python3 deploy/kubernetes/check-install-order.py -
"""

import argparse
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent

# What the operator creates by hand before the first `migrate.sh` (deploy/README.md, First install):
# (kind, name) -> the template it is made from. Nothing else may be missing from the migration step.
CREATED_BEFORE = {
    ("Secret", "govskills-secrets"): HERE / "secret.example.yaml",
}

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "CronJob"}


def parse_selector(text):
    """A kubectl label selector as a list of (key, operator, values): =, !=, in, notin, exists, !exists."""
    terms = []
    for raw in re.split(r",(?![^()]*\))", text):
        term = raw.strip()
        if not term:
            raise ValueError(f"empty term in selector {text!r}")
        match = re.fullmatch(r"(\S+)\s+(in|notin)\s*\(([^()]*)\)", term)
        if match:
            values = {v.strip() for v in match.group(3).split(",") if v.strip()}
            terms.append((match.group(1), match.group(2), values))
            continue
        match = re.fullmatch(r"([^=!\s]+)\s*(==|=|!=)\s*(\S*)", term)
        if match:
            op = "!=" if match.group(2) == "!=" else "="
            terms.append((match.group(1), op, {match.group(3)}))
            continue
        match = re.fullmatch(r"(!?)\s*([^=!\s()]+)", term)
        if match:
            terms.append((match.group(2), "!exists" if match.group(1) else "exists", set()))
            continue
        raise ValueError(f"cannot read the selector term {term!r}")
    return terms


def selects(terms, labels):
    for key, op, values in terms:
        present = key in labels
        value = labels.get(key)
        if op in ("=", "in") and not (present and value in values):
            return False
        if op in ("!=", "notin") and present and value in values:
            return False
        if op == "exists" and not present:
            return False
        if op == "!exists" and present:
            return False
    return True


def selector_from_migrate_sh(path):
    text = path.read_text()
    match = re.search(r"^SELECTOR='([^']*)'", text, re.MULTILINE)
    if not match:
        raise SystemExit(f"error: no SELECTOR='...' line in {path}")
    return match.group(1)


def pod_spec(obj):
    spec = obj.get("spec") or {}
    if obj["kind"] == "Pod":
        return spec
    if obj["kind"] == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return ((spec.get("template") or {}).get("spec")) or {}


def references(spec):
    """(kind, name, key or None, optional, where) for every object a pod spec needs."""
    refs = []
    for group in ("initContainers", "containers"):
        for container in spec.get(group) or []:
            where = f"container {container.get('name')}"
            for source in container.get("envFrom") or []:
                for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                    ref = source.get(field)
                    if ref:
                        refs.append((kind, ref["name"], None, bool(ref.get("optional")), f"{where} envFrom"))
            for env in container.get("env") or []:
                value_from = env.get("valueFrom") or {}
                for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                    ref = value_from.get(field)
                    if ref:
                        refs.append((kind, ref["name"], ref.get("key"), bool(ref.get("optional")),
                                     f"{where} env {env.get('name')}"))
    for volume in spec.get("volumes") or []:
        where = f"volume {volume.get('name')}"
        if volume.get("configMap"):
            ref = volume["configMap"]
            refs.append(("ConfigMap", ref["name"], None, bool(ref.get("optional")), where))
        if volume.get("secret"):
            ref = volume["secret"]
            refs.append(("Secret", ref["secretName"], None, bool(ref.get("optional")), where))
        for source in (volume.get("projected") or {}).get("sources") or []:
            for field, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
                ref = source.get(field)
                if ref:
                    refs.append((kind, ref["name"], None, bool(ref.get("optional")), where))
    for ref in spec.get("imagePullSecrets") or []:
        refs.append(("Secret", ref["name"], None, False, "imagePullSecrets"))
    account = spec.get("serviceAccountName")
    if account and account != "default":
        refs.append(("ServiceAccount", account, None, False, "serviceAccountName"))
    return refs


def keys_of(obj):
    return set((obj.get("data") or {}).keys()) | set((obj.get("stringData") or {}).keys())


def load(path):
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def check_refs(workload, available, label, errors, rendered=None):
    """Checks the references of one workload against `available` ((kind, name) -> object)."""
    name = f"{workload['kind']}/{workload['metadata']['name']}"
    for kind, ref_name, key, optional, where in references(pod_spec(workload)):
        target = available.get((kind, ref_name))
        before = CREATED_BEFORE.get((kind, ref_name))
        if target is None and before is not None:
            templates = [d for d in load(before) if (d.get("kind"), d["metadata"]["name"]) == (kind, ref_name)]
            if not templates:
                errors.append(f"{name} ({where}) needs {kind} {ref_name}, said to be created from "
                              f"{before.name}, which does not define it")
                continue
            target = templates[0]
            source = f"created before it from {before.name}"
        elif target is not None:
            source = label
        elif optional:
            print(f"  {name} ({where}): {kind} {ref_name} is optional and may be absent")
            continue
        else:
            unselected = " (it is in the kustomization, but the selector leaves it out)" \
                if rendered is not None and (kind, ref_name) in rendered else ""
            errors.append(f"{name} ({where}) needs {kind} {ref_name}, which is neither {label} "
                          f"nor created before it{unselected}")
            continue
        if key is not None and key not in keys_of(target):
            if optional:
                print(f"  {name} ({where}): key {key} of {kind} {ref_name} is optional and may be absent")
                continue
            errors.append(f"{name} ({where}) needs the key {key} of {kind} {ref_name}, which does not have it")
            continue
        print(f"  {name} ({where}): {kind} {ref_name}{'' if key is None else ' key ' + key}: {source}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rendered", help="output of `kubectl kustomize deploy/kubernetes`, or - for stdin")
    parser.add_argument("--selector", help="the migration step's label selector (default: from migrate.sh)")
    args = parser.parse_args()

    text = sys.stdin.read() if args.rendered == "-" else Path(args.rendered).read_text()
    objects = [doc for doc in yaml.safe_load_all(text) if doc]
    selector = args.selector or selector_from_migrate_sh(HERE / "migrate.sh")
    terms = parse_selector(selector)
    errors = []

    everything = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    step = {key: o for key, o in everything.items()
            if selects(terms, (o["metadata"].get("labels") or {}))}
    print(f"migration step: kubectl apply -k ... -l '{selector}' applies "
          + (", ".join(f"{kind}/{name}" for kind, name in step) or "nothing"))

    jobs = [o for o in step.values() if o["kind"] == "Job"]
    if not jobs:
        errors.append("the migration step selects no Job")
    for kind, name in step:
        if kind in WORKLOADS:
            errors.append(f"the migration step also applies {kind}/{name}: the API must start after the migrations")
    for job in jobs:
        check_refs(job, step, "applied by the migration step", errors, rendered=everything)

    print("full apply: kubectl apply -k deploy/kubernetes")
    for obj in objects:
        if obj["kind"] in WORKLOADS or obj["kind"] == "Job":
            check_refs(obj, everything, "in the kustomization", errors)

    if errors:
        for error in errors:
            print(f"error: {error}", file=sys.stderr)
        print(f"install order: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    print("install order: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
