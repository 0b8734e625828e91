#!/usr/bin/env bash
# The migration step of a GovSkills release (deploy/README.md, Kubernetes): applies the
# configuration and the migration Job, and waits until the Job has completed or failed. On failure
# (or when its pod cannot start, or after the timeout) it prints the Job's pods and logs and exits
# non-zero; `kubectl wait --for=condition=complete` alone would wait out its whole timeout.
#
#   deploy/kubernetes/migrate.sh [-n NAMESPACE] [-k KUSTOMIZE_DIR] [--timeout SECONDS]
#
# The namespace is -n, else the kustomization's `namespace:`, else the current context's. Run it
# after the Secret exists, then `kubectl apply -k deploy/kubernetes`.
set -euo pipefail

# What the migration step applies: the ConfigMap (component config) and the migration Job
# (component migration), nothing that starts the API. Everything else the Job needs is created by
# hand before this step (the Secret). .ci/run checks this selection against the rendered manifests
# (check-install-order.py reads this line).
SELECTOR='app.kubernetes.io/component in (config,migration)'
JOB=govskills-migrate

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
namespace=
timeout=1800 # the Job's activeDeadlineSeconds
kubectl=${KUBECTL:-kubectl}
poll=5
# A pod that cannot start (a missing ConfigMap, Secret or key; an image that cannot be pulled)
# is given this long, in case the cause is being fixed, before the step fails.
stuck_grace=90
stuck_reasons='CreateContainerConfigError|CreateContainerError|InvalidImageName|ErrImagePull|ImagePullBackOff'

usage() {
    sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

die() {
    printf 'migrate.sh: %s\n' "$*" >&2
    exit 1
}

while (($#)); do
    case $1 in
        -n | --namespace)
            [ $# -ge 2 ] || die "$1 needs a value"
            namespace=$2
            shift 2
            ;;
        -k | --kustomize)
            [ $# -ge 2 ] || die "$1 needs a value"
            dir=$2
            shift 2
            ;;
        --timeout)
            [ $# -ge 2 ] || die "$1 needs a value"
            [[ $2 =~ ^[0-9]+$ ]] || die "--timeout takes seconds"
            timeout=$2
            shift 2
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            exit 2
            ;;
    esac
done

[ -f "$dir/kustomization.yaml" ] || die "no kustomization.yaml in $dir"
if [ -z "$namespace" ]; then
    namespace=$(sed -n 's/^namespace:[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$dir/kustomization.yaml")
fi
k=("$kubectl")
if [ -n "$namespace" ]; then
    k+=(--namespace "$namespace")
fi

report() {
    echo "--- job/$JOB" >&2
    "${k[@]}" get job "$JOB" -o wide >&2 || true
    "${k[@]}" get job "$JOB" \
        -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}' >&2 || true
    echo "--- its pods" >&2
    "${k[@]}" get pods -l "job-name=$JOB" -o wide >&2 || true
    "${k[@]}" get pods -l "job-name=$JOB" \
        -o jsonpath='{range .items[*]}{.metadata.name}: {range .status.containerStatuses[*]}{.state.waiting.reason} {.state.waiting.message}{.state.terminated.reason} {.state.terminated.message}{end}{"\n"}{end}' >&2 || true
    echo "--- logs" >&2
    "${k[@]}" logs -l "job-name=$JOB" --all-containers --prefix --tail=200 >&2 || true
}

# A Job's pod template cannot change, and a finished Job of the previous release would answer the
# wait below at once: start from no Job. (Deleting a Job that is still running stops it; its
# transaction rolls back, see deploy/README.md, Migrations.)
"${k[@]}" delete job "$JOB" --ignore-not-found --wait=true
"${k[@]}" apply -k "$dir" -l "$SELECTOR"

echo "waiting up to ${timeout}s for job/$JOB to complete or fail"
deadline=$((SECONDS + timeout))
stuck_since=
while :; do
    conditions=$("${k[@]}" get job "$JOB" \
        -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{"\n"}{end}')
    if grep -qx Complete <<<"$conditions"; then
        echo "job/$JOB completed"
        "${k[@]}" logs "job/$JOB" --tail=20 || true
        exit 0
    fi
    if grep -qx Failed <<<"$conditions"; then
        echo "migrate.sh: job/$JOB failed" >&2
        report
        exit 1
    fi
    waiting=$("${k[@]}" get pods -l "job-name=$JOB" \
        -o jsonpath='{range .items[*]}{range .status.containerStatuses[*]}{.state.waiting.reason}{"\n"}{end}{end}')
    if grep -qxE "$stuck_reasons" <<<"$waiting"; then
        stuck_since=${stuck_since:-$SECONDS}
        if ((SECONDS - stuck_since >= stuck_grace)); then
            echo "migrate.sh: the pod of job/$JOB cannot start ($(grep -m1 -xE "$stuck_reasons" <<<"$waiting"))" >&2
            report
            exit 1
        fi
    else
        stuck_since=
    fi
    if ((SECONDS >= deadline)); then
        echo "migrate.sh: job/$JOB neither completed nor failed within ${timeout}s" >&2
        report
        exit 1
    fi
    sleep "$poll"
done
