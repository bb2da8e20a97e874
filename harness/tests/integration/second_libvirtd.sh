#!/bin/sh
# A second, private libvirtd for tests of remote hosts (qemu+unix://), on this machine.
#
#   second_libvirtd.sh start SCRATCH   prints the daemon's URI once `virsh version` answers
#   second_libvirtd.sh stop SCRATCH    kills it and every QEMU it started, removes SCRATCH
#
# The daemon runs in its own mount namespace in which libvirt's directories are
# SCRATCH's and /tmp is an empty tmpfs: it shares no config, state, socket or
# file with the harness (nor with a host libvirtd), so the harness must reach it
# as it would a remote host -- images by storage-pool upload, console and
# channels by streams. Inside, path P is SCRATCH/P outside (for the five dirs below).
#
# Pitfalls (found by trying, libvirt 9.0 on Debian 12, no systemd):
# - libvirtd's default pid file is /run/libvirtd.pid, outside /run/libvirt: it
#   would clash with a host daemon, so -p puts it in the private /run/libvirt.
# - Everything the daemon reads is named by its in-namespace path (the config,
#   the pid file): SCRATCH may itself be under /tmp, which the tmpfs hides.
# - /var/run is a symlink to /run on Debian: binding /run/libvirt covers both.
# - The caller's LIBVIRT_* variables (the harness sets LIBVIRT_LOG_OUTPUTS to a file
#   in its /tmp run dir) would reach the daemon, which then fails to start: env -i.
# - The first answer takes ~11 s: libvirt probes every installed QEMU binary into
#   its (private, empty) capabilities cache.
# - auth_unix_rw defaults to polkit; there is no polkit daemon here: "none".
# - An empty /etc/libvirt means no default network and no nwfilter rules, so the
#   network/nwfilter drivers have nothing to autostart (no dnsmasq, no iptables).
# - libvirtd does not kill its QEMUs when it exits, and QEMU daemonizes (its
#   parent is init): `stop` kills every process in the daemon's mount namespace.
set -eu

die() { echo "second_libvirtd: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 start|stop SCRATCH"
cmd=$1
[ "$(id -u)" = 0 ] || die "needs root (unshare -m, bind mounts)"

# The libvirt dirs the daemon gets privately (inside path = SCRATCH + path).
DIRS="/etc/libvirt /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt"

start() {
    mkdir -p "$1"
    scratch=$(cd "$1" && pwd -P)
    sock="$scratch/run/libvirt/libvirt-sock"
    # sun_path holds 107 bytes; libvirt fails later with a vaguer message.
    [ ${#sock} -lt 100 ] || die "SCRATCH path too long for a unix socket: $sock"
    [ ! -e "$scratch/daemon.pid" ] || die "$scratch already has a daemon (stop it first)"
    for d in $DIRS; do
        [ -d "$d" ] || die "$d missing on this host (install libvirt-daemon-system)"
        mkdir -p "$scratch$d"
    done
    mkdir -p "$scratch/etc/libvirt/qemu" "$scratch/var/lib/libvirt/images"

    cat >"$scratch/etc/libvirt/libvirtd.conf" <<'EOF'
# Written by second_libvirtd.sh: a private test daemon, unix socket only.
auth_unix_ro = "none"
auth_unix_rw = "none"
unix_sock_rw_perms = "0700"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
    # As the harness's embedded driver (libvirt_backend.cpp, writeEmbedConfig):
    # a root TCG guest needs no cgroups, namespaces, security driver, chown or virtlogd.
    cat >"$scratch/etc/libvirt/qemu.conf" <<'EOF'
stdio_handler = "file"
cgroup_controllers = [ ]
namespaces = [ ]
security_driver = "none"
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
EOF

    binds=""
    for d in $DIRS; do
        binds="$binds mount --bind '$scratch$d' '$d' &&"
    done
    # No --fork: unshare and sh exec, so $! is libvirtd's pid. setsid: a Ctrl-C
    # aimed at the caller does not kill the daemon and orphan its QEMUs.
    # env -i: the caller's environment must not reach the daemon (the harness sets
    # LIBVIRT_LOG_OUTPUTS to a file under its /tmp run dir, which the daemon cannot
    # see: it then refuses to start).
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin setsid unshare -m --propagation private sh -c \
        "$binds mount -t tmpfs -o mode=1777 klp-tmp /tmp && exec /usr/sbin/libvirtd -p /run/libvirt/libvirtd.pid" \
        </dev/null >"$scratch/daemon.out" 2>&1 &
    pid=$!
    echo "$pid" >"$scratch/daemon.pid"

    uri="qemu+unix:///system?socket=$sock"
    log="$scratch/var/log/libvirt/libvirtd.log"
    # Bounded by the clock: the first answer waits for libvirt to probe every
    # installed QEMU binary (~10 s here on a cold capabilities cache).
    deadline=$(($(date +%s) + 60))
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "second_libvirtd: libvirtd exited at start; its output and log:" >&2
            tail -n 20 "$scratch/daemon.out" "$log" >&2 2>/dev/null || true
            stop "$scratch" >/dev/null 2>&1 || true
            exit 1
        fi
        # The namespace is known once sh has exec'ed libvirtd (it differs from ours then).
        if [ ! -s "$scratch/daemon.mntns" ]; then
            ns=$(readlink "/proc/$pid/ns/mnt" 2>/dev/null || true)
            if [ -n "$ns" ] && [ "$ns" != "$(readlink /proc/self/ns/mnt)" ]; then
                echo "$ns" >"$scratch/daemon.mntns"
            fi
        fi
        if [ -s "$scratch/daemon.mntns" ] && [ -S "$sock" ] &&
            timeout 20 virsh -c "$uri" version >/dev/null 2>&1; then
            break
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "second_libvirtd: no answer on $uri within 60 s; its output and log:" >&2
            tail -n 20 "$scratch/daemon.out" "$log" >&2 2>/dev/null || true
            stop "$scratch" >/dev/null 2>&1 || true
            exit 1
        fi
        sleep 0.1
    done
    echo "$uri"
}

# Pids of every process in mount namespace $1 (libvirtd, its QEMUs, helpers).
in_namespace() {
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
    done
    return 0
}

stop() {
    [ -d "$1" ] || return 0
    scratch=$(cd "$1" && pwd -P)
    ns=$(cat "$scratch/daemon.mntns" 2>/dev/null || true)
    pid=$(cat "$scratch/daemon.pid" 2>/dev/null || true)
    if [ -n "$ns" ] && [ "$ns" = "$(readlink /proc/self/ns/mnt)" ]; then
        die "refusing: $scratch/daemon.mntns names our own mount namespace"
    fi
    if [ -z "$ns" ] && [ -n "$pid" ]; then
        # Start failed before the namespace was recorded: only the daemon can be there.
        kill -9 "$pid" 2>/dev/null || true
    elif [ -n "$ns" ]; then
        # libvirtd first, politely (it writes its state); then everything left.
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
        i=0
        while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        i=0
        while :; do
            left=$(in_namespace "$ns")
            [ -z "$left" ] && break
            # shellcheck disable=SC2086
            kill -9 $left 2>/dev/null || true
            i=$((i + 1))
            [ $i -lt 100 ] || die "processes of $ns survive SIGKILL: $left"
            sleep 0.1
        done
    fi
    # The bind mounts lived in the namespace only, which is gone with its last
    # process: SCRATCH holds plain directories again.
    rm -rf "$scratch"
}

case "$cmd" in
start) start "$2" ;;
stop) stop "$2" ;;
*) die "usage: $0 start|stop SCRATCH" ;;
esac
