# One small image per function, each carrying only its own bundle:
#
#   docker build --build-arg FUNCTION=ingest -t polaris-ingest .
#
# FUNCTION is a name from functions/registry.ts, or `migrate` (the migration
# Job), `outbox-relay` (the cluster's outboxes to the Knative Broker) or
# `delivery` (compose's outboxes to JetStream and JetStream to the event
# functions). Every image shares the build stage, so building all of them
# installs and bundles once.
#
# A maintained Node LTS line. Both stages run the same image: the V8 code cache the
# build writes is only accepted by the V8 that wrote it. (The code itself also
# runs on Node 20, package.json's lowest.)
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# npm ci's postinstall applies these to node_modules before anything is bundled.
COPY patches/ patches/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM build AS bundle
ARG FUNCTION
RUN set -eu; \
    case "${FUNCTION:-}" in \
      '') echo 'FUNCTION is required: --build-arg FUNCTION=<function name, migrate, outbox-relay or delivery>' >&2; exit 1 ;; \
      migrate|outbox-relay|delivery) from="dist/${FUNCTION}" ;; \
      *) from="dist/functions/${FUNCTION}" ;; \
    esac; \
    if [ ! -f "${from}/index.mjs" ]; then echo "FUNCTION=${FUNCTION} has no bundle: not in functions/registry.ts?" >&2; exit 1; fi; \
    cp -R "${from}" /bundle

# The bundle is self-contained (its code, the V8 code cache the build stage
# wrote with this same Node image, the gateway's GraphiQL assets): no
# node_modules, no sources, no npm at run time.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY --from=bundle /bundle/ ./
USER node
EXPOSE 8080
CMD ["node", "index.mjs"]
