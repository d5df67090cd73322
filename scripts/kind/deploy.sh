#!/usr/bin/env bash
# Deploys Polaris to a local kind cluster running Knative Serving, Kourier and
# Knative Eventing with eventing-natss: creates the cluster (kind-config.yaml),
# installs Knative at the versions pinned below, builds one image per function
# and loads them into the cluster, starts PostgreSQL and NATS, runs the
# migrations, deploys every function of functions/registry.ts (listed in
# knative/functions.txt by `npm run manifests`) with `kn service apply`,
# then the Broker (a NatsJetStreamChannel) with one Trigger per event function,
# the outbox relay and the CronJobs, which send to the Broker, and prints the URLs.
#
#   scripts/kind/deploy.sh            deploy; needs docker, kind, kubectl and kn
#   scripts/kind/deploy.sh --dry-run  print every command, in order, running none
#
# Running it again is safe: it keeps the cluster, the data and the secrets, and
# rolls out new revisions only when the working tree changed (`kn service apply`
# leaves an unchanged function as it is).
#
# Environment: POLARIS_KIND_CLUSTER (default polaris); POLARIS_IMAGE_TAG
# (default: a hash of the working tree, so unchanged code keeps its revisions).
set -eEuo pipefail

cd "$(dirname "$0")/../.."

readonly KNATIVE_SERVING_VERSION=1.22.1
readonly KOURIER_VERSION=1.22.1
readonly KNATIVE_EVENTING_VERSION=1.22.2
# The eventing-natss release made for Eventing 1.22 (NatsJetStreamChannel, asset eventing-jsm.yaml).
readonly EVENTING_NATSS_VERSION=1.22.0
readonly SERVING_RELEASE="https://github.com/knative/serving/releases/download/knative-v${KNATIVE_SERVING_VERSION}"
readonly KOURIER_RELEASE="https://github.com/knative-extensions/net-kourier/releases/download/knative-v${KOURIER_VERSION}"
readonly EVENTING_RELEASE="https://github.com/knative/eventing/releases/download/knative-v${KNATIVE_EVENTING_VERSION}"
readonly EVENTING_NATSS_RELEASE="https://github.com/knative-extensions/eventing-natss/releases/download/knative-v${EVENTING_NATSS_VERSION}"

readonly CLUSTER="${POLARIS_KIND_CLUSTER:-polaris}"
readonly NAMESPACE=polaris
readonly DOMAIN=127.0.0.1.sslip.io
readonly IMAGE_PREFIX=kind.local/polaris-
# Images the Dockerfile builds besides the functions (scripts/manifests/facts.ts: processImageNames).
readonly PROCESS_IMAGES=(migrate outbox-relay)
readonly STEPS=13

usage() {
  sed -n '2,/^set -eEuo pipefail/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

dry_run=false
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=true ;;
    -h | --help) usage; exit 0 ;;
    *) echo "deploy.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

# --- how each command is shown and run --------------------------------------

# Sets `quoted` to the words, each quoted for the shell only when it needs it,
# so the plan stays readable. No subshell: the plan has hundreds of commands.
quoted=""
quote_all() {
  local word escaped
  quoted=""
  for word in "$@"; do
    if [[ "$word" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
      quoted+="${quoted:+ }$word"
    else
      escaped="${word//\'/\'\\\'\'}"
      quoted+="${quoted:+ }'$escaped'"
    fi
  done
}

# Prints one word quoted for the shell when it needs it.
quote() {
  local quoted
  quote_all "$1"
  printf '%s' "$quoted"
}

step_number=0
step_title=""
step_hint=""

# Starts a step: its title, and what to do when it fails.
step() {
  step_number=$((step_number + 1))
  step_title="$1"
  step_hint="$2"
  if $dry_run; then
    printf '\n# [%d/%d] %s\n' "$step_number" "$STEPS" "$step_title"
  else
    printf '\n\033[1m==> [%d/%d] %s\033[0m\n' "$step_number" "$STEPS" "$step_title"
  fi
}

# Runs one command (or prints it, with --dry-run).
run() {
  quote_all "$@"
  if $dry_run; then
    printf '%s\n' "$quoted"
  else
    printf '  $ %s\n' "$quoted"
    "$@"
  fi
}

# Runs one command like run, trying again for a while: a webhook that was just
# installed may not answer at once.
run_retrying() {
  local attempt
  if $dry_run; then
    run "$@"
    return
  fi
  for attempt in 1 2 3 4 5 6; do
    run "$@" && return
    ((attempt < 6)) || return 1
    echo "  (trying again in 10 s)"
    sleep 10
  done
}

# Runs a shell snippet: pipes, conditionals (or prints it, with --dry-run).
run_shell() {
  if $dry_run; then
    printf '%s\n' "$1"
  else
    printf '  $ %s\n' "$1"
    bash -euo pipefail -c "$1"
  fi
}

on_failure() {
  local status=$?
  if ((step_number > 0)); then
    printf '\ndeploy.sh: step %d/%d failed: %s\n  %s\n  Then run scripts/kind/deploy.sh again: finished steps are kept.\n' \
      "$step_number" "$STEPS" "$step_title" "$step_hint" >&2
  fi
  exit "$status"
}
trap on_failure ERR

# --- what the steps need ------------------------------------------------------

# A tag that changes exactly when the working tree does: the hash of a tree
# holding every file git does not ignore, committed or not.
source_tag() {
  local scratch tree
  if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    date -u +%Y%m%d%H%M%S
    return
  fi
  scratch=$(mktemp -d)
  GIT_INDEX_FILE="$scratch/index" git add -A . >/dev/null
  tree=$(GIT_INDEX_FILE="$scratch/index" git write-tree)
  rm -rf "$scratch"
  printf '%s' "${tree:0:12}"
}

readonly TAG="${POLARIS_IMAGE_TAG:-$(source_tag)}"

# The committed manifests name images with the tag `dev`; deploy this build's.
with_tag() {
  printf 'sed %s %s' "$(quote "s|\\(image: kind.local/polaris-[a-z0-9-]*\\):dev\$|\\1:$TAG|")" "$1"
}

functions=()
while IFS= read -r name; do
  [[ -n "$name" ]] && functions+=("$name")
done <knative/functions.txt
if ((${#functions[@]} == 0)); then
  echo "deploy.sh: knative/functions.txt lists no function: run npm run manifests" >&2
  exit 1
fi

host_port=$(awk '/hostPort:/ { print $2; exit }' kind-config.yaml)
port_suffix=""
[[ "$host_port" == 80 ]] || port_suffix=":$host_port"
readonly INGEST_URL="http://ingest.${NAMESPACE}.${DOMAIN}${port_suffix}"
readonly GATEWAY_URL="http://gateway.${NAMESPACE}.${DOMAIN}${port_suffix}"

# --- the plan -----------------------------------------------------------------

if $dry_run; then
  printf '# Polaris on kind: the commands scripts/kind/deploy.sh runs, in order (run from the repository root).\n'
  printf '# Needs docker, kind (0.30 or later), kubectl and kn on the PATH. Image tag: %s\n' "$TAG"
fi

step "Creating the kind cluster $CLUSTER, unless it exists" "Install what is missing: docker, kind (https://kind.sigs.k8s.io), kubectl, kn (https://knative.dev/docs/client/)."
if ! $dry_run; then
  for tool in docker kind kubectl kn; do
    command -v "$tool" >/dev/null || { echo "deploy.sh: $tool is not on the PATH" >&2; false; }
  done
  docker info >/dev/null 2>&1 || { echo "deploy.sh: docker answers no commands: is the daemon running?" >&2; false; }
fi
run_shell "kind get clusters 2>/dev/null | grep -x $(quote "$CLUSTER") >/dev/null || kind create cluster --name $(quote "$CLUSTER") --config kind-config.yaml --wait 120s"
run kubectl config use-context "kind-$CLUSTER"

step "Installing Knative Serving v$KNATIVE_SERVING_VERSION" "kubectl get pods -n knative-serving shows what is not ready."
run kubectl apply -f "$SERVING_RELEASE/serving-crds.yaml"
run kubectl wait --for=condition=Established --timeout=120s crd -l knative.dev/crd-install=true
run kubectl apply -f "$SERVING_RELEASE/serving-core.yaml"
run kubectl wait --for=condition=Available --timeout=300s deployment --all -n knative-serving
# Every function starts at zero replicas (initial-scale "0" in its manifest), which Knative refuses unless this is on.
run_retrying kubectl patch configmap/config-autoscaler -n knative-serving --type merge -p '{"data":{"allow-zero-initial-scale":"true"}}'

step "Installing Kourier v$KOURIER_VERSION and the $DOMAIN domain" "kubectl get pods -n kourier-system shows what is not ready."
run kubectl apply -f "$KOURIER_RELEASE/kourier.yaml"
run kubectl apply -f scripts/kind/kourier-ingress.yaml
run_retrying kubectl patch configmap/config-network -n knative-serving --type merge -p '{"data":{"ingress-class":"kourier.ingress.networking.knative.dev"}}'
run_retrying kubectl patch configmap/config-domain -n knative-serving --type merge -p "{\"data\":{\"$DOMAIN\":\"\"}}"
run kubectl wait --for=condition=Available --timeout=300s deployment --all -n kourier-system
run kubectl wait --for=condition=Available --timeout=300s deployment --all -n knative-serving

step "Installing Knative Eventing v$KNATIVE_EVENTING_VERSION" "kubectl get pods -n knative-eventing shows what is not ready."
run kubectl apply -f "$EVENTING_RELEASE/eventing-crds.yaml"
run kubectl wait --for=condition=Established --timeout=120s crd -l knative.dev/crd-install=true
run kubectl apply -f "$EVENTING_RELEASE/eventing-core.yaml"
# The channel-based Broker; its channel is eventing-natss's, next step.
run kubectl apply -f "$EVENTING_RELEASE/mt-channel-broker.yaml"
run kubectl wait --for=condition=Available --timeout=300s deployment --all -n knative-eventing

step "Installing eventing-natss v$EVENTING_NATSS_VERSION (NatsJetStreamChannel on Polaris's NATS)" "kubectl get pods -n knative-eventing -l messaging.knative.dev/channel=nats-jetstream-channel shows what is not ready."
run kubectl apply -f "$EVENTING_NATSS_RELEASE/eventing-jsm.yaml"
run kubectl wait --for=condition=Established --timeout=120s crd/natsjetstreamchannels.messaging.knative.dev
# Where its dispatcher finds NATS (nats.polaris.svc.cluster.local, started below; it reconnects until then).
run kubectl apply -f knative/40-eventing-natss-config.yaml
run kubectl wait --for=condition=Available --timeout=300s deployment --all -n knative-eventing

step "Building ${#functions[@]} function images and ${#PROCESS_IMAGES[@]} more, tag $TAG" "The docker build output above names the failing stage; npm run build shows the same errors locally."
images=()
for name in "${functions[@]}" "${PROCESS_IMAGES[@]}"; do
  images+=("$IMAGE_PREFIX$name:$TAG")
  run docker build --build-arg "FUNCTION=$name" -t "$IMAGE_PREFIX$name:$TAG" .
done

step "Loading the images into the cluster" "kind load needs the cluster created in step 1: kind get clusters."
# kind load docker-image fails against Docker's containerd image store (the
# default from Docker 29: "content digest … not found"); saving only this
# platform's images (docker image save --platform, Docker 28 and later) into
# one archive and loading that works with either store.
quote_all "${images[@]}"
run_shell "images=($quoted)
if ! kind load docker-image --name $(quote "$CLUSTER") \"\${images[@]}\"; then
  echo 'kind load docker-image failed: loading an archive of the images for this platform instead' >&2
  archive=\$(mktemp \"\${TMPDIR:-/tmp}/polaris-images.XXXXXX\")
  trap 'rm -f \"\$archive\"' EXIT
  docker image save --platform \"\$(docker version --format '{{.Server.Os}}/{{.Server.Arch}}')\" -o \"\$archive\" \"\${images[@]}\"
  kind load image-archive --name $(quote "$CLUSTER") \"\$archive\"
fi"

step "Starting PostgreSQL and NATS" "kubectl get pods -n $NAMESPACE; kubectl describe statefulset -n $NAMESPACE."
run kubectl apply -f knative/00-namespace.yaml -f knative/10-config.yaml
# Random secrets, made once: PostgreSQL keeps the password its volume was created with.
run_shell "if kubectl get secret polaris-secrets polaris-postgres -n $NAMESPACE >/dev/null 2>&1; then
  echo 'Secrets polaris-secrets and polaris-postgres exist: kept'
else
  postgres_password=\$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \\n')
  kubectl create secret generic polaris-postgres -n $NAMESPACE \\
    --from-literal=POSTGRES_PASSWORD=\"\$postgres_password\" \\
    --dry-run=client -o yaml | kubectl apply -f -
  kubectl create secret generic polaris-secrets -n $NAMESPACE \\
    --from-literal=DATABASE_URL=\"postgres://polaris:\$postgres_password@postgres.$NAMESPACE.svc.cluster.local:5432/polaris\" \\
    --from-literal=POLARIS_ADMIN_TOKEN=\"pol_admin_\$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \\n')\" \\
    --from-literal=POLARIS_JWT_SECRET=\"\$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')\" \\
    --from-literal=POLARIS_SESSION_SECRET=\"\$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')\" \\
    --from-literal=POLARIS_OIDC_CLIENT_SECRET= \\
    --from-literal=STRIPE_SECRET_KEY= \\
    --from-literal=STRIPE_WEBHOOK_SECRET= \\
    --from-literal=POLARIS_WEBHOOK_SECRET_KEY=\"\$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n')\" \\
    --dry-run=client -o yaml | kubectl apply -f -
fi"
run kubectl apply -f knative/20-postgres.yaml -f knative/21-nats.yaml
run kubectl rollout status statefulset/postgres -n "$NAMESPACE" --timeout=300s
run kubectl rollout status statefulset/nats -n "$NAMESPACE" --timeout=300s

step "Migrating the database" "The Job's logs are above; kubectl describe job/polaris-migrate -n $NAMESPACE shows its events."
# A relay older than this deploy may not know every outbox row this version
# writes (Usage's rows listing a commit's events by id), so it stops before the
# migration and anything of this version runs. Events wait in the outboxes
# until the new relay starts, near the end of this script.
run_shell "if kubectl get deployment/outbox-relay -n $NAMESPACE >/dev/null 2>&1; then
  kubectl scale deployment/outbox-relay -n $NAMESPACE --replicas=0
  kubectl rollout status deployment/outbox-relay -n $NAMESPACE --timeout=300s
fi"
run kubectl delete job polaris-migrate -n "$NAMESPACE" --ignore-not-found
run_shell "$(with_tag knative/30-migrate-job.yaml) | kubectl apply -f -"
# Until the Job completes or fails, whichever comes first: a failed migration
# prints its logs at once rather than after the whole timeout.
run_shell "deadline=\$((SECONDS + 300))
while :; do
  conditions=\" \$(kubectl get job/polaris-migrate -n $NAMESPACE -o 'jsonpath={.status.conditions[?(@.status==\"True\")].type}' || true) \"
  case \$conditions in
    *' Complete '*) echo 'Migrations applied.'; break ;;
    *' Failed '*) echo 'The migration Job failed. Its logs:' >&2 ;;
    *)
      if ((SECONDS < deadline)); then sleep 2; continue; fi
      echo 'The migration Job did not finish in 300 s. Its logs:' >&2 ;;
  esac
  kubectl logs -n $NAMESPACE -l batch.kubernetes.io/job-name=polaris-migrate --all-containers --prefix --tail=200 >&2 || true
  exit 1
done"

step "Deploying ${#functions[@]} functions with kn" "kn service describe <function> -n $NAMESPACE and kubectl logs -n $NAMESPACE -l serving.knative.dev/service=<function> -c function show why."
# apply, not create --force: a function whose manifest and image are unchanged keeps its revision.
for name in "${functions[@]}"; do
  run kn service apply "$name" -n "$NAMESPACE" -f "knative/functions/$name.yaml" --image "$IMAGE_PREFIX$name:$TAG" --no-wait
done
run kubectl wait --for=condition=Ready --timeout=600s ksvc --all -n "$NAMESPACE"
run kn service list -n "$NAMESPACE"

step "Creating the Broker and one Trigger per event function" "kubectl describe broker default -n $NAMESPACE, kubectl get natsjetstreamchannels,triggers -n $NAMESPACE show why."
run kubectl apply -f knative/41-broker.yaml
run kubectl wait --for=condition=Ready --timeout=300s broker/default -n "$NAMESPACE"
# After the functions: a Trigger is ready once its subscriber (a Knative Service) answers.
run kubectl apply -f knative/70-triggers.yaml
run kubectl wait --for=condition=Ready --timeout=300s trigger --all -n "$NAMESPACE"

step "Starting the outbox relay (outboxes to the Broker, dead letters to the dead-letter stream)" "kubectl describe sinkbinding outbox-relay -n $NAMESPACE and kubectl logs deployment/outbox-relay -n $NAMESPACE show why."
run_shell "$(with_tag knative/60-outbox-relay.yaml) | kubectl apply -f -"
run kubectl wait --for=condition=Ready --timeout=120s sinkbinding/outbox-relay -n "$NAMESPACE"
run kubectl rollout status deployment/outbox-relay -n "$NAMESPACE" --timeout=300s

step "Scheduling aggregation and webhook retries (CronJobs, SinkBindings to the Broker)" "kubectl describe sinkbinding aggregation-cron webhook-delivery-cron -n $NAMESPACE shows why."
run kubectl apply -f knative/50-aggregation-cronjob.yaml -f knative/51-webhook-delivery-cronjob.yaml
run kubectl wait --for=condition=Ready --timeout=120s sinkbinding/aggregation-cron sinkbinding/webhook-delivery-cron -n "$NAMESPACE"

try_it="ADMIN=\$(kubectl get secret polaris-secrets -n $NAMESPACE -o jsonpath='{.data.POLARIS_ADMIN_TOKEN}' | base64 -d)
curl -s $GATEWAY_URL/graphql -H \"Authorization: Bearer \$ADMIN\" -H 'Content-Type: application/json' \\
  -d '{\"query\": \"mutation { createOrganization(name: \\\"Acme\\\") { organization { id name } apiKey } }\"}'
KEY=<apiKey from the answer>
curl -s $INGEST_URL/ingest -H \"X-API-Key: \$KEY\" -H 'Content-Type: application/json' \\
  -d '{\"metric\": \"api_calls\", \"quantity\": 5}'
kubectl get pods -n $NAMESPACE -w    # functions scale to zero about a minute after their last request"

if $dry_run; then
  printf '\n# Then try it:\n# %s\n' "${try_it//$'\n'/$'\n'# }"
else
  printf '\n\033[1mPolaris is deployed.\033[0m\n'
  printf '  ingest    %s/ingest\n' "$INGEST_URL"
  printf '  GraphQL   %s/graphql   (GraphiQL: %s/graphiql)\n' "$GATEWAY_URL" "$GATEWAY_URL"
  printf '  Admin token: %s\n' "$(kubectl get secret polaris-secrets -n "$NAMESPACE" -o jsonpath='{.data.POLARIS_ADMIN_TOKEN}' | base64 -d)"
  printf '\nTry it:\n%s\n' "$try_it"
fi
