# CORA web app image: the Next.js app of a CORA pnpm mono-repo (`apps/web`, built with
# `output: 'standalone'`), run by the App Runner service that `AppRunnerService` creates:
# port 3000, health check GET /api/health, non-root user, no package manager in the final image.
#
# Build context: the root of the CORA mono-repo (package.json, pnpm-workspace.yaml, pnpm-lock.yaml,
# apps/, packages/). `cora-infra new` writes this file (cora-infra's own copy is linted and scanned
# by its `make scan`). From the mono-repo's root (the deploy-app workflow does this):
#
#   docker build --build-arg NEXT_PUBLIC_API_URL="$(terraform output -raw api_endpoint)" \
#     -t "$ECR_REPOSITORY_URL:$GIT_SHA" .
#
# NEXT_PUBLIC_API_URL: Next.js inlines every NEXT_PUBLIC_* variable into the browser bundle at build
# time, so the API URL (the stack's `api_endpoint` output; the deploy-app workflow passes it) must be a
# build argument: setting it only in App Runner's runtime env reaches server code, not the browser.
# The build fails when it is empty. One image is therefore built per environment.
#
# Images are deployed by immutable tag (the git SHA), never `latest`. The base image is pinned to an
# exact Node 22 LTS release; pin its digest too (node:<version>-alpine@sha256:...) where the build can
# resolve it. The next.config of apps/web needs `output: 'standalone'` (and, for workspace packages,
# `outputFileTracingRoot` at the mono-repo root) so that `.next/standalone/apps/web/server.js` exists.

# ---------------------------------------------------------------------------------------------------
# base: Node 22 LTS (exact release) with pnpm at a pinned version through corepack.
FROM node:22.23.3-alpine AS base
# Keep PNPM_VERSION equal to the `packageManager` field of the mono-repo's package.json (inside /app
# corepack uses that field when it is set).
ARG PNPM_VERSION=10.34.9
ENV PNPM_HOME=/pnpm \
    COREPACK_ENABLE_DOWNLOAD_PROMPT=0 \
    NEXT_TELEMETRY_DISABLED=1
ENV PATH=/pnpm:$PATH
RUN corepack enable pnpm \
    && corepack install --global "pnpm@${PNPM_VERSION}"
WORKDIR /app

# ---------------------------------------------------------------------------------------------------
# deps: download every package of the lockfile into pnpm's store. Only the lockfile and the workspace
# file are copied, so this layer is rebuilt only when dependencies change, not on every source edit.
# (Copy the mono-repo's .npmrc here too if it has one; add `apk add --no-cache libc6-compat` only if a
# native dependency needs glibc.)
FROM base AS deps
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch

# ---------------------------------------------------------------------------------------------------
# builder: install the web app and its workspace dependencies offline from the store, then build.
FROM deps AS builder
# The pnpm package name of apps/web (`pnpm --filter`).
ARG WEB_PACKAGE=web
ARG NEXT_PUBLIC_API_URL
COPY . .
RUN pnpm install --offline --frozen-lockfile --filter "${WEB_PACKAGE}..."
RUN test -n "${NEXT_PUBLIC_API_URL}" \
    || { echo "error: pass --build-arg NEXT_PUBLIC_API_URL=<the stack's api_endpoint output>" >&2; exit 1; }
RUN pnpm --filter "${WEB_PACKAGE}" build

# ---------------------------------------------------------------------------------------------------
# runner: the standalone server only (no pnpm, no sources, no dev dependencies), as the unprivileged
# `node` user of the official image (uid/gid 1000, given by number so the runtime needs no passwd
# lookup). Application files stay owned by root, so the process cannot modify its own code; only
# Next.js's cache directory is writable.
FROM node:22.23.3-alpine AS runner
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOSTNAME=0.0.0.0
WORKDIR /app
COPY --from=builder /app/apps/web/.next/standalone ./
COPY --from=builder /app/apps/web/.next/static ./apps/web/.next/static
COPY --from=builder /app/apps/web/public ./apps/web/public
RUN mkdir -p apps/web/.next/cache \
    && chown 1000:1000 apps/web/.next/cache
USER 1000:1000
EXPOSE 3000
# The same path App Runner checks (GET /api/health); Node 22 has fetch, so no curl or wget is needed.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:3000/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "apps/web/server.js"]
