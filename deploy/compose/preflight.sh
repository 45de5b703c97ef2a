#!/bin/sh
# docker-compose.yml's `preflight` service: what compose's own checks cannot see, before anything starts. Runs in the
# producer's image as the producer's user, with ./data mounted at /data. One line on stderr and exit 2 for:
# - a password that is empty, still .env.example's placeholder, a well-known one, or shorter than 12 characters;
# - the producer's user being root (STREAMING_UID 0: `id -u` as root); the image's user `app` (1654) is meant;
# - a ./data the producer's user cannot create its folders in (the producer would exit 2 and restart for ever).
set -eu

refuse() { echo "preflight: $*" >&2; exit 2; }

for name in RABBITMQ_PASSWORD PRODUCER_PASSWORD CONSUMER_PASSWORD; do
    eval "value=\${$name:-}"
    case "$value" in
        "") refuse "$name is empty: set it in .env (e.g. openssl rand -hex 24)" ;;
        change-me-before-use | guest | admin | password | rabbitmq | streaming | changeme | secret)
            refuse "$name is a known password ('$value'): set it in .env (e.g. openssl rand -hex 24)" ;;
    esac
    [ "${#value}" -ge 12 ] || refuse "$name is shorter than 12 characters: set it in .env (e.g. openssl rand -hex 24)"
done

uid=$(id -u)
gid=$(id -g)
[ "$uid" != 0 ] || refuse "STREAMING_UID is 0: the producer would run as root; leave STREAMING_UID/GID at 1654 and chown -R 1654:1654 data, or set them to the non-root owner of data"

owner=$(stat -c %u:%g /data)
for folder in inbox processing outbox done failed; do
    mkdir -p "/data/$folder" 2>/dev/null && [ -w "/data/$folder" ] ||
        refuse "the producer (uid $uid, gid $gid) cannot create or write data/$folder (data is owned by $owner): set STREAMING_UID/STREAMING_GID in .env to the owner of data (stat -c '%u %g' data), or chown -R $uid:$gid data"
done
probe="/data/inbox/.preflight.$$"
: > "$probe" 2>/dev/null && rm -f "$probe" ||
    refuse "the producer (uid $uid, gid $gid) cannot write in data/inbox (data is owned by $owner): chown -R $uid:$gid data"
echo "preflight: passwords set, producer uid $uid gid $gid can write data (owned by $owner)"
