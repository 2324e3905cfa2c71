#!/usr/bin/env bash
# Builds the image the docker executor runs workloads in, locally and without a registry:
# a minimal Debian root filesystem (debootstrap --variant=minbase) with Debian's Python and the
# packages the app templates need that Debian ships, imported with `docker import`.
#
#   images/runtime-python/build-runtime.sh [PYTHON_VERSION] [--tag NAME]
#
# PYTHON_VERSION defaults to 3.11 (Debian bookworm's). The image is tagged runtime-python:<version>
# and runtime-python:latest, or only NAME when --tag is given. The root filesystem is cached as a
# tarball under ${XDG_CACHE_HOME:-~/.cache}/runtime/, so a second build only imports it (seconds).
# debootstrap needs root; importing a cached root filesystem needs only access to the Docker engine.
#
# Why Debian's Python: workloads run the host's absolute command lines inside the container (their
# folders are bind-mounted at the same paths), and a venv made from the host's /usr/bin/python3 points
# at /usr/bin/python3, which this image provides in the same version.
set -euo pipefail

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

version=3.11
tag=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) [ $# -ge 2 ] || { echo "build-runtime: --tag needs a name" >&2; usage 2; }; tag=$2; shift 2 ;;
    --tag=*) tag=${1#--tag=}; shift ;;
    -h|--help) usage 0 ;;
    [0-9]*) version=$1; shift ;;
    *) echo "build-runtime: unknown argument '$1'" >&2; usage 2 ;;
  esac
done

# The Debian release whose python3 is the version asked for.
case "$version" in
  3.11) suite=bookworm ;;
  *) echo "build-runtime: Python $version is not one this script can build: 3.11 (Debian bookworm) is" >&2; exit 2 ;;
esac

packages=python3,python3-venv,python3-pip,python3-flask
cache=${XDG_CACHE_HOME:-$HOME/.cache}/runtime
# The tarball's name says what is in it: another package list is another root filesystem.
key=$(printf '%s %s %s' "$suite" "$version" "$packages" | sha256sum | cut -c1-12)
rootfs=$cache/runtime-python-$version-$suite-$key.tar

command -v docker > /dev/null || { echo "build-runtime: the docker command is not installed" >&2; exit 1; }
docker version --format '{{.Server.Version}}' > /dev/null 2>&1 || { echo "build-runtime: the Docker engine does not answer (is dockerd running? DOCKER_HOST=${DOCKER_HOST:-unset})" >&2; exit 1; }

# The first Debian mirror the machine's apt uses for the main archive (not the security one).
mirror() {
  local uri=""
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -e "$file" ] || continue
    uri=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && u != "" && $0 !~ /security/ { print u; exit } /^$/ { u = "" }' "$file")
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ] && [ -e /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

mkdir -p "$cache"
# One builder at a time per cache: a test run and a benchmark may both ask for the image.
exec 9> "$cache/build-runtime.lock"
flock 9

if [ ! -s "$rootfs" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "build-runtime: building the root filesystem needs root (debootstrap); run it as root, e.g. sudo $0 $version" >&2
    exit 1
  fi
  command -v debootstrap > /dev/null || { echo "build-runtime: debootstrap is not installed (apt-get install -y debootstrap)" >&2; exit 1; }
  work=$(mktemp -d "$cache/rootfs-XXXXXX")
  trap 'rm -rf "$work"' EXIT
  source_uri=$(mirror)
  echo "build-runtime: debootstrap --variant=minbase $suite with $packages from $source_uri"
  debootstrap --variant=minbase --include="$packages" "$suite" "$work/root" "$source_uri"
  # What a container never needs: downloaded packages and package lists.
  rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"* "$work/root/var/log/"*
  tar --numeric-owner -C "$work/root" -cf "$work/rootfs.tar" .
  mv "$work/rootfs.tar" "$rootfs"
  rm -rf "$work"
  trap - EXIT
else
  echo "build-runtime: using the cached root filesystem $rootfs"
fi

first=${tag:-runtime-python:$version}
docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change "LABEL runtime.image=runtime-python runtime.python=$version" \
  --change 'CMD ["python3"]' \
  "$rootfs" "$first" > /dev/null

# The image must give the Python asked for, with the packages the templates use.
found=$(docker run --rm --network none "$first" python3 -c 'import sys, venv, flask; print("%d.%d" % sys.version_info[:2])' 2>&1) || found="(python3 did not run: $found)"
if [ "$found" != "$version" ]; then
  docker rmi "$first" > /dev/null 2>&1 || true
  echo "build-runtime: the image has Python $found, not $version as asked; removed $first" >&2
  exit 1
fi

if [ -z "$tag" ]; then
  docker tag "$first" runtime-python:latest
  echo "build-runtime: built runtime-python:$version and runtime-python:latest (Python $found)"
else
  echo "build-runtime: built $first (Python $found)"
fi
