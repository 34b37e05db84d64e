#!/usr/bin/env bash
# Smoke test against a real cluster: submit a Workflow manifest with the standalone `argot`
# binary and wait for it to succeed.
#
#   runtime-client/scripts/cluster-smoke.sh path/to/workflow.yaml
#   runtime-client/scripts/cluster-smoke.sh            # the quickstart example, end to end
#
# With no manifest it runs the quickstart example: builds its image with examples/Dockerfile
# (needs docker), loads it into kind (ARGOT_SMOKE_KIND=1) or pushes nothing and expects
# ARGOT_SMOKE_IMAGE to be pullable by the cluster, compiles the pipeline with that image, and
# submits the result.
#
# Uses the current kubeconfig context, or creates a kind cluster named argot-smoke when
# ARGOT_SMOKE_KIND=1 (needs kind and docker). Installs Argo Workflows' quick-start manifest
# into namespace `argo` unless its CRDs are already there (ARGO_VERSION, default v4.1.2).
# Exit code is argot's: 0 succeeded, 5 run failed, 6 timed out, 7 cluster error.
set -euo pipefail

manifest=${1:-}
namespace=${ARGOT_SMOKE_NAMESPACE:-argo}
argo_version=${ARGO_VERSION:-v4.1.2}
timeout=${ARGOT_SMOKE_TIMEOUT:-10m}
repo=$(cd "$(dirname "$0")/../.." && pwd)

if [[ "${ARGOT_SMOKE_KIND:-0}" == 1 ]]; then
  kind get clusters | grep -qx argot-smoke || kind create cluster --name argot-smoke --wait 120s
  kubectl config use-context kind-argot-smoke
fi

echo "context: $(kubectl config current-context)"
if ! kubectl get crd workflows.argoproj.io >/dev/null 2>&1; then
  echo "installing Argo Workflows ${argo_version} (quick-start) into namespace ${namespace}"
  kubectl create namespace "${namespace}" --dry-run=client -o yaml | kubectl apply -f -
  kubectl apply -n "${namespace}" -f \
    "https://github.com/argoproj/argo-workflows/releases/download/${argo_version}/quick-start-minimal.yaml"
  kubectl -n "${namespace}" rollout status deployment/workflow-controller --timeout=300s
fi

if [[ -z "${manifest}" ]]; then
  image=${ARGOT_SMOKE_IMAGE:-argot-quickstart:smoke}
  if [[ -z "${ARGOT_SMOKE_IMAGE:-}" || "${ARGOT_SMOKE_KIND:-0}" == 1 ]]; then
    docker build -f "${repo}/examples/Dockerfile" --build-arg BIN=quickstart -t "${image}" "${repo}"
    [[ "${ARGOT_SMOKE_KIND:-0}" == 1 ]] && kind load docker-image "${image}" --name argot-smoke
  fi
  manifest=$(mktemp --suffix=.yaml)
  cargo run --manifest-path "${repo}/Cargo.toml" -q -p argot-examples --bin quickstart -- \
    compile --image "${image}" -o "${manifest}"
  echo "compiled the quickstart for image ${image} into ${manifest}"
fi

cargo build --manifest-path "${repo}/Cargo.toml" -p argot-client --bin argot
target_dir=$(cargo metadata --manifest-path "${repo}/Cargo.toml" --format-version 1 --no-deps \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
argot="${target_dir}/debug/argot"

store=$(mktemp -d)/metadata.db
set +e
"${argot}" submit "${manifest}" --namespace "${namespace}" --watch --timeout "${timeout}" \
  --store "${store}"
code=$?
set -e
echo "argot exited ${code}"
if [[ ${code} -eq 0 ]]; then
  "${argot}" runs list --store "${store}"
fi
exit "${code}"
