# syntax=docker/dockerfile:1
# The edge agent, `cleave agent`, on node:20-slim: production dependencies only, non-root.
# For gateways and boards that run containers; on a Jetson or a Pi the systemd service
# (deploy/edge/install.sh) reaches the power sensors more simply. Build from the repository root:
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     -f deploy/docker/edge-agent.Dockerfile -t registry.example.com/cleave/agent:0.1.0 .
# CPU only: the CUDA/TensorRT providers need an L4T base image and an onnxruntime build with
# them (docs/deploy.md, "CUDA and TensorRT").

ARG NODE_VERSION=20

FROM --platform=$BUILDPLATFORM node:${NODE_VERSION}-slim AS deps
ARG TARGETARCH
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.base.json ./
COPY test/package.json test/package.json
COPY proto proto
COPY services services
COPY edge-agent edge-agent
COPY cloud-server cloud-server
COPY bench bench
COPY cli cli
RUN --mount=type=cache,target=/root/.npm \
    case "$TARGETARCH" in amd64) cpu=x64 ;; arm64) cpu=arm64 ;; *) echo "unsupported: $TARGETARCH" >&2; exit 1 ;; esac \
 && npm ci --omit=dev --no-audit --no-fund --os=linux --cpu="$cpu" --libc=glibc \
 && find . -path ./node_modules -prune -o -name '*.test.ts' -exec rm -f {} +

FROM node:${NODE_VERSION}-slim AS runtime
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/bin/npm /usr/local/bin/npx /opt/yarn-* \
    /usr/local/bin/yarn /usr/local/bin/yarnpkg \
 && mkdir -p /var/lib/cleave && chown node:node /var/lib/cleave
# Inside a container the API must listen beyond loopback to be reachable at all; publish the
# port only to the apps that should call it.
ENV NODE_ENV=production \
    TMPDIR=/tmp \
    CLEAVE_AGENT_HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app /app
COPY models models
USER node
# Fleet state (spool, downloaded bundles) and kept hard examples.
VOLUME ["/var/lib/cleave"]
# 8470: the local HTTP API (/v1/infer, /healthz, /metrics).
EXPOSE 8470
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.CLEAVE_AGENT_HTTP_PORT||8470)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/cli/bin/cleave.js"]
CMD ["agent", "--fleet-state", "/var/lib/cleave/fleet"]
