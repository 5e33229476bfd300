# Test stand-in for compose's postgres:16-bookworm on machines without registry access (the image
# test only, never production): Debian's PostgreSQL 15, started the way the official image is, from
# POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, with its data in /var/lib/postgresql/data.
ARG BASE_IMAGE=localhost/ml-portal-base:bookworm
FROM ${BASE_IMAGE}
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get -q update && apt-get -qy install postgresql-15 >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data && chown postgres:postgres /var/lib/postgresql/data \
 && chmod 700 /var/lib/postgresql/data
COPY docker/image-test/postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
# pg_isready (compose's health check) finds the server's socket through PGHOST.
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin \
    PGDATA=/var/lib/postgresql/data \
    PGHOST=/tmp
USER postgres
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
CMD ["postgres"]
