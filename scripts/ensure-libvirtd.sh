#!/usr/bin/env bash
# Starts virtlogd and libvirtd when they are not answering (there is no systemd here).
#
# A daemon is known only by its own pid file (/var/run/libvirtd.pid, /var/run/virtlogd.pid): the
# process it names counts as that daemon when it is alive, runs the right binary and holds the
# pid file's lock (so a recycled pid, or a private test daemon, is never taken for it). Only that
# pid is ever signalled; nothing here looks processes up by name. Quick and idempotent: when
# both answer, it runs one `virt-admin version` and one `virsh version`.
set -euo pipefail
[ "$(id -u)" = 0 ] || exit 0
export LC_ALL=C

RUN=/var/run
LIBVIRTD_PID=$RUN/libvirtd.pid
VIRTLOGD_PID=$RUN/virtlogd.pid
SOCK_DIR=$RUN/libvirt
ANSWER_TIMEOUT=${VIRTKIT_DAEMON_ANSWER_TIMEOUT:-5} # seconds one `virsh version` may take
HUNG_WAIT=${VIRTKIT_DAEMON_HUNG_WAIT:-10}       # more seconds a live daemon gets before it counts as hung
START_TIMEOUT=${VIRTKIT_DAEMON_START_TIMEOUT:-30} # seconds a daemon just started gets (a cold QEMU probe takes ~9 s)

log() { echo "[ensure-libvirtd] $*" >&2; }
mkdir -p /var/log/libvirt "$SOCK_DIR" /var/lib/libvirt/images

# Two runs at once (parallel test files, setup) must not both restart the daemon.
exec 9>"$RUN/virtkit-ensure-libvirtd.lock"
flock -w 60 9 || { log "another ensure-libvirtd.sh holds $RUN/virtkit-ensure-libvirtd.lock"; exit 1; }

# daemon_pid NAME PIDFILE: prints the pid PIDFILE names when that process is alive (not a
# zombie), is NAME (by /proc/<pid>/comm or exe) and holds PIDFILE's lock; fails otherwise.
daemon_pid() {
  local name=$1 file=$2 pid='' comm exe state ino
  [ -r "$file" ] || return 1
  read -r pid <"$file" || true # libvirt writes no trailing newline
  [[ "$pid" =~ ^[1-9][0-9]*$ ]] || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  exe=${exe% (deleted)}
  [ "$comm" = "$name" ] || [ "${exe##*/}" = "$name" ] || return 1
  state=$(sed -n 's/^[0-9]* (.*) \([A-Z]\) .*/\1/p' "/proc/$pid/stat" 2>/dev/null) || return 1
  case "$state" in Z | X | '') return 1 ;; esac
  ino=$(stat -c %i "$file" 2>/dev/null) || return 1
  # /proc/locks: "N: POSIX ADVISORY WRITE <pid> <maj>:<min>:<inode> <start> <end>"
  awk -v p="$pid" -v i="$ino" '$2=="POSIX" && $5==p && $6 ~ (":" i "$") { f=1 } END { exit !f }' /proc/locks || return 1
  echo "$pid"
}

# starttime PID: field 22 of /proc/<pid>/stat (start time since boot), which tells a process
# apart from a later one that got the same pid.
starttime() { sed -n 's/^[0-9]* (.*) [A-Z] \(.*\)/\1/p' "/proc/$1/stat" 2>/dev/null | awk '{ print $19 }'; }

gone() { # gone PID START: true once that process has exited (or is a zombie)
  local s
  s=$(sed -n 's/^[0-9]* (.*) \([A-Z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 0
  case "$s" in Z | X | '') return 0 ;; esac
  [ "$(starttime "$1")" = "$2" ] || return 0
  return 1
}

# stop_pid NAME PIDFILE PID: SIGTERM, then SIGKILL after 3 s, to PID only (checked to be the
# daemon PIDFILE names, and before SIGKILL to be still that same process); waits until it is gone.
stop_pid() {
  local name=$1 file=$2 pid=$3 start i
  [ "$(daemon_pid "$name" "$file" || true)" = "$pid" ] || return 0
  start=$(starttime "$pid")
  [ -n "$start" ] || return 0
  log "stopping $name (pid $pid from $file)"
  kill -TERM "$pid" 2>/dev/null || true
  kill -CONT "$pid" 2>/dev/null || true # a stopped (SIGSTOP) daemon cannot act on SIGTERM
  for i in $(seq 1 30); do gone "$pid" "$start" && return 0; sleep 0.1; done
  log "$name pid $pid ignores SIGTERM; SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do gone "$pid" "$start" && return 0; sleep 0.1; done
  log "$name pid $pid does not exit"
  return 1
}

# probe NAME: one bounded call to the daemon; prints the client's error on failure.
probe() {
  case "$1" in
  libvirtd) timeout -k 1 "$ANSWER_TIMEOUT" virsh -c qemu:///system version 2>&1 >/dev/null ;;
  virtlogd) timeout -k 1 "$ANSWER_TIMEOUT" virt-admin -c virtlogd:///system version 2>&1 >/dev/null ;;
  esac
}

# ensure NAME PIDFILE SOCKET...: leaves an answering daemon alone; restarts one that the pid
# file names but that does not answer within HUNG_WAIT; removes stale sockets; starts it.
ensure() {
  local name=$1 file=$2 sock=$3 pid out rc deadline
  shift 2
  probe "$name" >/dev/null && return 0
  pid=$(daemon_pid "$name" "$file" || true)
  if [ -n "$pid" ]; then
    # It may still be starting: give it a bounded wait before calling it hung.
    deadline=$((SECONDS + HUNG_WAIT))
    while [ "$SECONDS" -lt "$deadline" ]; do
      probe "$name" >/dev/null && return 0
      [ "$(daemon_pid "$name" "$file" || true)" = "$pid" ] || break
      sleep 0.5
    done
    log "$name pid $pid does not answer"
    stop_pid "$name" "$file" "$pid" || return 1
  fi
  # No daemon of ours is alive now. A socket that still takes connections belongs to one this
  # script cannot identify: refuse rather than start a second one beside it.
  if [ -S "$sock" ]; then
    rc=0
    out=$(probe "$name") || rc=$?
    [ "$rc" = 0 ] && return 0
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
      log "$sock is served by a process that $file does not name; not touching it"
      return 1
    fi
    case "$out" in
    *'Connection refused'* | *'No such file'*) log "removing stale $*" ;;
    *)
      log "$name fails without a live daemon in $file: $out"
      return 1
      ;;
    esac
  fi
  rm -f "$@" "$file"
  log "starting $name"
  "$name" -d -p "$file" 9>&- # the daemon must not inherit this script's lock
  deadline=$((SECONDS + START_TIMEOUT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    probe "$name" >/dev/null && return 0
    sleep 0.1
  done
  log "$name started but does not answer after ${START_TIMEOUT}s"
  return 1
}

ensure virtlogd "$VIRTLOGD_PID" "$SOCK_DIR/virtlogd-sock" "$SOCK_DIR/virtlogd-admin-sock"
ensure libvirtd "$LIBVIRTD_PID" "$SOCK_DIR/libvirt-sock" "$SOCK_DIR/libvirt-sock-ro" "$SOCK_DIR/libvirt-admin-sock"
