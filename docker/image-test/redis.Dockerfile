# Test stand-in for compose's redis:7-bookworm on machines without registry access (the image test
# only, never production): Debian's Redis 7, data in /data, reachable from the compose network.
ARG BASE_IMAGE=localhost/ml-portal-base:bookworm
FROM ${BASE_IMAGE}
RUN export DEBIAN_FRONTEND=noninteractive \
 && apt-get -q update && apt-get -qy install redis-server >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
WORKDIR /data
USER redis
# Without a config file Redis runs in protected mode and refuses other containers; the official
# image turns it off the same way (the network is the compose project's own).
# Compose's command starts with "redis-server", as the official image's does.
ENTRYPOINT ["/bin/sh", "-c", "[ \"$1\" = redis-server ] && shift; exec redis-server --protected-mode no \"$@\"", "redis-entrypoint"]
CMD ["redis-server"]
