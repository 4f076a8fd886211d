#!/bin/bash
# The container health check, without curl in the image: GET <path> (default /readyz) on
# 127.0.0.1:$ADMIN_PORT; exits 0 only for an HTTP 200 answer.
set -euo pipefail
path=${1:-/readyz}
port=${ADMIN_PORT:?ADMIN_PORT is not set}
host=${PROBE_HOST:-127.0.0.1}
exec 3<>"/dev/tcp/$host/$port" || exit 1
printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$host" >&3
status_line=""
read -r -t "${PROBE_TIMEOUT:-5}" status_line <&3 || true
# Read the rest, so the server is not answered with a reset.
while read -r -t 2 _ <&3; do :; done
case "$status_line" in
  "HTTP/1."?" 200 "*) exit 0 ;;
esac
echo "commerce-probe: $path on :$port answered '${status_line%$'\r'}'" >&2
exit 1
