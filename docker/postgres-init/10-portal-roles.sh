#!/bin/sh
# The portal's two database roles, made once, when the postgres container initialises an empty
# data directory (the official image runs /docker-entrypoint-initdb.d/ then, as POSTGRES_USER,
# connected to POSTGRES_DB). portal_owner owns the database (so the public schema: PostgreSQL 15+
# gives it to the database owner) and runs migrations; portal_app is what the portal connects
# as: `manage.py db_roles` (compose's migrate service) grants it its privileges.
# The passwords go in as psql variables (:'name' quotes them), never into the SQL text.
set -eu
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v owner_password="$PORTAL_DB_OWNER_PASSWORD" -v app_password="$PORTAL_DB_APP_PASSWORD" <<'SQL'
CREATE ROLE portal_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE portal_app LOGIN PASSWORD :'app_password';
ALTER DATABASE :"DBNAME" OWNER TO portal_owner;
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"DBNAME" TO portal_app;
SQL
