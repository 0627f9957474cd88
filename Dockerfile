# Conveyor worker image: `docker compose build conveyor-worker` (see docker-compose.yml), or
#   docker build -t conveyor-worker .
#
# The worker runs the TypeScript sources through tsx (a runtime dependency), so there is no compile
# step; the workflow bundle (webpack) is built here once, so the container starts without bundling.
FROM node:20-bookworm-slim

WORKDIR /app

# Dependencies first, so a source change does not reinstall them. Everything the worker needs at run
# time is in "dependencies" (tsx, @temporalio/*, @duckdb/node-api, zod, pino, commander);
# typescript and @types/node are only for `npm run typecheck`.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# The sources, all of them (.dockerignore leaves out state, builds and tools): the worker, the
# `conveyor` command (the dashboard service runs it) and the pipelines.
COPY . ./

# Prebuild the workflow bundle into /app/.build/workflow-bundle.js (the default
# CONVEYOR_WORKFLOW_BUNDLE), where workers/main.ts loads it from.
RUN npx tsx scripts/build-workflow-bundle.ts \
 && test -s .build/workflow-bundle.js

# Conveyor's state (landing/, the lake in lake/) lives in /data: mount a volume there. The directory is
# created owned by `node` so that a new named volume mounted on it starts out owned by `node` too.
RUN mkdir -p /data && chown node:node /data

ENV NODE_ENV=production \
    CONVEYOR_DATA_DIR=/data

# The sources and the bundle stay root-owned and read-only for the worker; it writes only to /data.
USER node

# Fewer malloc arenas: less memory kept by the worker's many threads (workers/node-flags.ts).
ENV MALLOC_ARENA_MAX=2
# Both queues by default; docker-compose.yml runs one service per queue (--queues daily / backfill).
CMD ["node", "--require", "tsx/cjs", "--max-old-space-size=256", "--max-semi-space-size=4", "workers/main.ts"]
