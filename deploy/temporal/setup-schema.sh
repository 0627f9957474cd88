#!/bin/sh
# Create or upgrade Temporal's two PostgreSQL databases and schemas (`temporal`, `temporal_visibility`).
# Idempotent: every step is a no-op when already done, so it runs on every start. Used by both stacks:
#   - docker-compose.yml's temporal-schema service (admin-tools image, SQL_TOOL=temporal-sql-tool), and
#   - `npm run cluster` (SQL_TOOL=.tools/temporal-server-<version>/sql, built from Go modules).
# The schemas are the ones embedded in the tool (`--schema-name`), so the tool's version decides them.
#
# Environment: POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, POSTGRES_PWD, TEMPORAL_DB (default temporal),
# TEMPORAL_VISIBILITY_DB (default temporal_visibility), as the server's config; SQL_TOOL (default
# temporal-sql-tool).
set -eu

SQL_TOOL="${SQL_TOOL:-temporal-sql-tool}"
export SQL_PLUGIN=postgres12
export SQL_HOST="${POSTGRES_HOST:-127.0.0.1}"
export SQL_PORT="${POSTGRES_PORT:-5432}"
export SQL_USER="${POSTGRES_USER:-temporal}"
export SQL_PASSWORD="${POSTGRES_PWD:-temporal}"

for pair in "${TEMPORAL_DB:-temporal}:temporal" "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}:visibility"; do
  db="${pair%%:*}"
  schema="postgresql/v12/${pair#*:}"
  echo "schema: database $db ($schema)"
  "$SQL_TOOL" --db "$db" create-database
  "$SQL_TOOL" --db "$db" setup-schema -v 0.0
  "$SQL_TOOL" --db "$db" update-schema --schema-name "$schema"
done
echo "schema: up to date"
