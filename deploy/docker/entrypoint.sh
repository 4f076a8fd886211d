#!/bin/sh
# The image's entrypoint: runs one agent of the fleet by name, or fleetctl.
#   commerce <agent> [args]     e.g. commerce order
#   commerce fleetctl <args>    e.g. commerce fleetctl topics --file /etc/commerce/topics.json
set -eu
home=${COMMERCE_HOME:-/opt/commerce}

agents() {
  for exe in "$home"/bin/*-agent; do
    [ -x "$exe" ] && basename "$exe" -agent
  done
}

usage() {
  echo "usage: commerce <agent> | commerce fleetctl <args>"
  echo "agents: $(agents | tr '\n' ' ')"
}

if [ $# -eq 0 ]; then
  usage >&2
  exit 2
fi
name=$1
shift
case "$name" in
  -h | --help | help)
    usage
    exit 0
    ;;
  fleetctl) exec "$home/bin/fleetctl" "$@" ;;
  *[!a-z0-9-]* | -*)
    echo "commerce: '$name' is not an agent name" >&2
    usage >&2
    exit 2
    ;;
esac
if [ -x "$home/bin/$name-agent" ]; then
  # The runtime's defaults (migrations/<agent>, schemas) are relative to here.
  cd "$home"
  exec "$home/bin/$name-agent" "$@"
fi
echo "commerce: no agent '$name'" >&2
usage >&2
exit 2
