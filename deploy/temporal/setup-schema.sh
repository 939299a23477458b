#!/bin/sh
# Temporal's schema in its two databases, created by deploy/postgres/10-databases.sh.
# Safe to run on every `docker compose up`: setup-schema only creates the versioning tables
# (--quiet: already there is not an error), and update-schema applies only the versions the
# database lacks, which is also how a Temporal upgrade migrates the schema (docs/deploy.md).
# Connection from the environment: SQL_PLUGIN, SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD.
set -eu

SCHEMA=/etc/temporal/schema/postgresql/v12

temporal-sql-tool --db "${TEMPORAL_DB:-temporal}" --quiet setup-schema -v 0.0
temporal-sql-tool --db "${TEMPORAL_DB:-temporal}" update-schema -d "$SCHEMA/temporal/versioned"

temporal-sql-tool --db "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}" --quiet setup-schema -v 0.0
temporal-sql-tool --db "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}" \
    update-schema -d "$SCHEMA/visibility/versioned"

echo "Temporal schema is up to date"
