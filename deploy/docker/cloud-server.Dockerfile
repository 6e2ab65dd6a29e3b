# syntax=docker/dockerfile:1
# The tail service, `cleave serve`, on node:20-slim: production dependencies only, non-root.
# Build from the repository root, for one architecture or both:
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     -f deploy/docker/cloud-server.Dockerfile -t registry.example.com/cleave/serve:0.1.0 .
# The dependency stage runs on the build machine and installs the target's prebuilt binaries
# (npm --os/--cpu/--libc; .npmrc keeps install scripts off), so arm64 needs no emulation.
# cloud-server.Dockerfile.dockerignore keeps tests, training, docs and node_modules out.

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
# npm and yarn are not needed to run; fewer tools in the image, fewer CVEs to track.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/bin/npm /usr/local/bin/npx /opt/yarn-* \
    /usr/local/bin/yarn /usr/local/bin/yarnpkg
ENV NODE_ENV=production \
    TMPDIR=/tmp \
    CLEAVE_SERVE_HOST=0.0.0.0
WORKDIR /app
# Owned by root, read by the unprivileged user: the code cannot be changed at run time.
COPY --from=deps /app /app
# The shipped bundles; mount your model repository over /app/models (or pass --models).
COPY models models
# The `node` user of the base image (uid 1000): non-root. tsx caches compiled sources in TMPDIR.
USER node
# 50051: gRPC (SplitInference, ModelRepository, grpc.health.v1, reflection);
# 8000: HTTP (KServe v2, /metrics, /dashboard).
EXPOSE 50051 8000
# Ready = a model version is loaded and the server is not draining (docs/serving.md, Health).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.CLEAVE_SERVE_HTTP_PORT||8000)+'/v2/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains (health NOT_SERVING, in-flight answered, streams ended UNAVAILABLE), exit 0.
STOPSIGNAL SIGTERM
# 64 MB semi-spaces: requests that wait in a deep batch queue then die young instead of being
# promoted by every scavenge (cli/src/serve-heap.ts, docs/serving.md).
ENTRYPOINT ["node", "--max-semi-space-size=64", "/app/cli/bin/cleave.js"]
CMD ["serve", "--models", "/app/models"]
