#!/bin/sh
# Entrypoint of every service. Services run as the unprivileged `app` user. Only the
# trainer starts as root, and only to join the group that owns the mounted Docker
# socket (its gid differs between hosts), then drops to `app` before running.
set -e
if [ "$(id -u)" = "0" ]; then
    groups=app
    if [ -S /var/run/docker.sock ]; then
        groups="app,$(stat -c %g /var/run/docker.sock)"
    fi
    exec setpriv --reuid=app --regid=app --groups="$groups" --inh-caps=-all \
        env HOME=/home/app "$@"
fi
exec "$@"
