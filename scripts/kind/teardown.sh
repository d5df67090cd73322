#!/usr/bin/env bash
# Removes what scripts/kind/deploy.sh made.
#
#   scripts/kind/teardown.sh                   delete the whole kind cluster (Knative too)
#   scripts/kind/teardown.sh --keep-cluster    delete only the polaris namespace: every
#                                              function, PostgreSQL's and NATS's data and
#                                              the secrets; Knative stays for a faster deploy
#   scripts/kind/teardown.sh --dry-run         print the commands without running them
#
# The images stay in docker: docker image ls 'kind.local/polaris-*'.
# Environment: POLARIS_KIND_CLUSTER (default polaris).
set -eEuo pipefail

readonly CLUSTER="${POLARIS_KIND_CLUSTER:-polaris}"
readonly NAMESPACE=polaris

dry_run=false
keep_cluster=false
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=true ;;
    --keep-cluster) keep_cluster=true ;;
    -h | --help) sed -n '2,/^set -eEuo pipefail/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "teardown.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

run() {
  if $dry_run; then
    printf '%s\n' "$*"
  else
    printf '  $ %s\n' "$*"
    "$@"
  fi
}

if $keep_cluster; then
  run kubectl delete namespace "$NAMESPACE" --context "kind-$CLUSTER" --ignore-not-found --wait=true
elif $dry_run || kind get clusters 2>/dev/null | grep -x "$CLUSTER" >/dev/null; then
  run kind delete cluster --name "$CLUSTER"
else
  echo "No kind cluster named $CLUSTER: nothing to remove."
fi
