#!/bin/sh
# The official image's contract: RABBITMQ_DEFAULT_USER and RABBITMQ_DEFAULT_PASS (and RABBITMQ_DEFAULT_VHOST) become
# the broker's first user, an administrator; guest is then not created.
set -eu
conf=/etc/rabbitmq/conf.d/20-default-user.conf
: > "$conf"
if [ -n "${RABBITMQ_DEFAULT_USER:-}" ]; then printf 'default_user = %s\n' "$RABBITMQ_DEFAULT_USER" >> "$conf"; fi
if [ -n "${RABBITMQ_DEFAULT_PASS:-}" ]; then printf 'default_pass = %s\n' "$RABBITMQ_DEFAULT_PASS" >> "$conf"; fi
if [ -n "${RABBITMQ_DEFAULT_VHOST:-}" ]; then printf 'default_vhost = %s\n' "$RABBITMQ_DEFAULT_VHOST" >> "$conf"; fi
exec "$@"
