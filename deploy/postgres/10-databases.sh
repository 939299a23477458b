#!/bin/sh
# Runs once, when the postgres service starts on an empty volume (/docker-entrypoint-initdb.d).
# One server, three databases with their own owners: acip's event store and read models, and
# Temporal's persistence and visibility. A managed PostgreSQL gets the same three by hand
# (docs/deploy.md).
set -eu

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v app_password="$APP_DB_PASSWORD" -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE acip LOGIN PASSWORD :'app_password';
CREATE DATABASE acip OWNER acip;
CREATE ROLE temporal LOGIN PASSWORD :'temporal_password';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
SQL
