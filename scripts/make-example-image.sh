#!/usr/bin/env bash
# Builds a tiny example image directory for the `image` and `oci-default` profiles from
# Debian's busybox-static: DIR/bin/busybox, applet links in DIR/bin, and the empty
# directories those profiles mount onto (dev, proc, sys, tmp, etc). The profiles bind the
# image read-only, so every mount point must exist in it beforehand.
#
#   bash scripts/make-example-image.sh /tmp/image
#   rootfsctl run image --set rootfs=/tmp/image -- /bin/sh -c 'echo ok'
#
# Installs busybox-static with apt-get when it is missing (needs root then, like
# scripts/deps.sh). DIR may exist; it is filled in place.
set -euo pipefail

if (($# != 1)); then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
busybox=/bin/busybox

if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed"; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "make-example-image: need root to install busybox-static (or install it yourself)" >&2
    exit 1
  fi
  echo "make-example-image: installing busybox-static" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends busybox-static >/dev/null
fi

mkdir -p "$dir"/{bin,dev,proc,sys,tmp,etc,root}
chmod 1777 "$dir/tmp"
chmod 0700 "$dir/root"
install -m 0755 "$busybox" "$dir/bin/busybox"
# Relative links so the image works wherever it is mounted, for every applet this busybox
# has (sh, ls, cat, true, echo, mount, ...).
for applet in $("$busybox" --list); do
  [[ $applet == busybox ]] && continue
  ln -sfn busybox "$dir/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
echo "make-example-image: $dir ($("$busybox" | head -n 1))" >&2
