#!/bin/sh
# virtkit first boot: gives a clone made from a sealed template its own identity.
# Installed by virtkit's seal (customize operation); runs once, before the network and sshd.
#  - machine-id: made when /etc/machine-id is empty or missing
#  - SSH host keys: made when missing (OpenSSH ssh-keygen, else dropbearkey)
#  - identity from SMBIOS type 11 OEM strings (libvirt <sysinfo><oemStrings>), the entries
#    src/xml/identity.ts writes:
#      virtkit:hostname=NAME  virtkit:ssh-key:USER=BASE64(line)  virtkit:root-password-hash=HASH
#      virtkit:data:KEY=BASE64   (saved to $STATE_DIR/data/KEY)   virtkit:v=N (ignored)
#  - commands in $COMMANDS_DIR (or $ETC_COMMANDS_DIR when /usr is separate), each run once,
#    in name order
# Then it writes $DONE_FILE and disables itself.
# POSIX sh: runs under dash and busybox ash. For tests every path can be moved:
#   VIRTKIT_ROOT=/some/tree  VIRTKIT_DMI=/fake/dmi/entries  VIRTKIT_UUID=/file/with/uuid
#   VIRTKIT_LIVE=0|1 (act on the running system: hostname(1), modprobe; default 1 only
#   when VIRTKIT_ROOT is unset)  VIRTKIT_B64=sh (use the built-in base64 decoder)
#   VIRTKIT_STEP=oem (only print the OEM strings found, one per line, and exit)
# The source is src/firstboot/firstboot.sh; virtkit installs it with the paths below filled in
# from src/firstboot/paths.ts (script.ts replaces each @…@ placeholder). Checked by shellcheck, and run
# under dash and busybox sh, in test/unit/firstboot.test.ts.

# ---- paths (guest paths, each under VIRTKIT_ROOT) -------------------------------------
STATE_DIR=@FIRSTBOOT_STATE_DIR@
DONE_FILE=@FIRSTBOOT_DONE_PATH@
LOG_FILE=@FIRSTBOOT_LOG_PATH@
COMMANDS_DIR=@FIRSTBOOT_COMMANDS_DIR@
ETC_COMMANDS_DIR=@FIRSTBOOT_ETC_COMMANDS_DIR@
WANTS_LINK=@SYSTEMD_WANTS_LINK@

LC_ALL=C
export LC_ALL
PATH=${PATH:+$PATH:}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
R=${VIRTKIT_ROOT:-}
R=${R%/}
if [ -z "$R" ]; then LIVE=${VIRTKIT_LIVE:-1}; else LIVE=${VIRTKIT_LIVE:-0}; fi
DMI=${VIRTKIT_DMI:-/sys/firmware/dmi/entries}
STATE=$R$STATE_DIR
DONE=$R$DONE_FILE
LOG=$R$LOG_FILE
CMDS=$R$COMMANDS_DIR
[ -d "$R$ETC_COMMANDS_DIR" ] && CMDS=$R$ETC_COMMANDS_DIR

have() { command -v "$1" >/dev/null 2>&1; }
log() {
  echo "virtkit-firstboot: $*" >&2
  echo "$(date '+%Y-%m-%dT%H:%M:%S' 2>/dev/null) $*" >>"$LOG" 2>/dev/null
}

# ---- base64 ---------------------------------------------------------------------------
b64d_sh() {
  _s=$1 _bits=0 _n=0
  while [ -n "$_s" ]; do
    _c=${_s%"${_s#?}"}
    _s=${_s#?}
    case $_c in
      [A-Z]) _v=$(( $(printf '%d' "'$_c") - 65 )) ;;
      [a-z]) _v=$(( $(printf '%d' "'$_c") - 71 )) ;;
      [0-9]) _v=$(( $(printf '%d' "'$_c") + 4 )) ;;
      +|-) _v=62 ;;
      /|_) _v=63 ;;
      *) continue ;;
    esac
    _bits=$(( (_bits << 6) | _v ))
    _n=$(( _n + 6 ))
    if [ "$_n" -ge 8 ]; then
      _n=$(( _n - 8 ))
      # The format is the point: an octal escape printf turns into the byte.
      # shellcheck disable=SC2059
      printf "\\$(printf '%03o' $(( (_bits >> _n) & 255 )))"
      _bits=$(( _bits & ((1 << _n) - 1) ))
    fi
  done
}
b64d() {
  if [ "${VIRTKIT_B64:-}" != sh ] && have base64; then printf '%s' "$1" | base64 -d 2>/dev/null
  elif [ "${VIRTKIT_B64:-}" != sh ] && have openssl; then printf '%s\n' "$1" | openssl base64 -d -A 2>/dev/null
  else b64d_sh "$1"
  fi
}

# ---- SMBIOS type 11 -------------------------------------------------------------------
# raw = header [type=11, length, handle(2)], string count, then NUL-terminated strings that
# start right after the formatted area (length bytes), ending with an empty string.
byte_at() {
  if have od; then od -An -tu1 -j "$2" -N1 "$1" 2>/dev/null | tr -d ' \n'
  elif have hexdump; then hexdump -s "$2" -n 1 -e '1/1 "%u"' "$1" 2>/dev/null
  fi
}
oem_strings() {
  if [ ! -d "$DMI" ] && [ "$LIVE" = 1 ] && have modprobe; then modprobe dmi-sysfs 2>/dev/null; fi
  _found=0
  for _d in "$DMI"/11-*; do
    _f=$_d/raw
    [ -r "$_f" ] || continue
    _len=$(byte_at "$_f" 1)
    case $_len in ''|*[!0-9]*) _len=5 ;; esac
    tail -c +$(( _len + 1 )) "$_f" | tr '\000' '\n'
    echo
    _found=1
  done
  if [ "$_found" = 0 ] && [ "$LIVE" = 1 ] && have dmidecode; then
    dmidecode -q -t 11 2>/dev/null | sed -n 's/^[[:space:]]*String [0-9]*: //p'
  fi
}

# ---- identity -------------------------------------------------------------------------
valid_hostname() {
  case $1 in ''|-*|*[!A-Za-z0-9.-]*) return 1 ;; esac
  [ "${#1}" -le 253 ]
}
valid_user() {
  case $1 in ''|-*|*[!A-Za-z0-9._-]*) return 1 ;; esac
}
rewrite_file() {
  # rewrite_file FILE: stdin becomes FILE's content, keeping FILE's inode, mode and owner.
  _t=$1.virtkit.$$
  (umask 077; cat >"$_t") && cat "$_t" >"$1"
  rm -f "$_t"
}
set_hostname() {
  _h=$1
  _short=${_h%%.*}
  if [ "$_h" = "$_short" ]; then _names=$_h; else _names="$_h $_short"; fi
  printf '%s\n' "$_h" >"$R/etc/hostname"
  if [ -f "$R/etc/HOSTNAME" ] && [ ! -L "$R/etc/HOSTNAME" ]; then printf '%s\n' "$_h" >"$R/etc/HOSTNAME"; fi
  if [ -f "$R/etc/sysconfig/network" ] && grep -q '^HOSTNAME=' "$R/etc/sysconfig/network"; then
    sed "s/^HOSTNAME=.*/HOSTNAME=$_h/" "$R/etc/sysconfig/network" | rewrite_file "$R/etc/sysconfig/network"
  fi
  _hosts=$R/etc/hosts
  if [ -f "$_hosts" ] && grep -q '^127\.0\.1\.1[[:space:]]' "$_hosts"; then
    # rewrite_file reads all of stdin before it writes the file (SC2094 does not apply).
    # shellcheck disable=SC2094
    while IFS= read -r _l || [ -n "$_l" ]; do
      case $_l in
        127.0.1.1[[:space:]]*) printf '127.0.1.1\t%s\n' "$_names" ;;
        *) printf '%s\n' "$_l" ;;
      esac
    done <"$_hosts" | rewrite_file "$_hosts"
  else
    printf '127.0.1.1\t%s\n' "$_names" >>"$_hosts"
  fi
  if [ "$LIVE" = 1 ]; then
    hostname "$_h" 2>/dev/null || printf '%s\n' "$_h" >/proc/sys/kernel/hostname 2>/dev/null
  fi
  log "hostname set to $_h"
}
add_ssh_key() {
  _u=$1 _key=$2
  valid_user "$_u" || { log "ssh-key: bad user name"; return; }
  case $_key in ''|*'
'*) log "ssh-key for $_u: not one line"; return ;; esac
  _ent=
  while IFS= read -r _l || [ -n "$_l" ]; do
    case $_l in "$_u":*) _ent=$_l; break ;; esac
  done <"$R/etc/passwd"
  [ -n "$_ent" ] || { log "ssh-key: no user $_u"; return; }
  IFS=: read -r _n _p _uid _gid _g _home _sh <<EOT
$_ent
EOT
  _dir=$R${_home%/}/.ssh
  _ak=$_dir/authorized_keys
  if [ ! -d "$_dir" ]; then
    mkdir -p "$_dir" && chmod 700 "$_dir" && chown "$_uid:$_gid" "$_dir" 2>/dev/null
  fi
  [ -f "$_ak" ] || : >"$_ak"
  if [ -s "$_ak" ] && [ -n "$(tail -c 1 "$_ak")" ]; then echo >>"$_ak"; fi
  grep -qxF "$_key" "$_ak" || printf '%s\n' "$_key" >>"$_ak"
  chmod 600 "$_ak"
  chown "$_uid:$_gid" "$_ak" 2>/dev/null
  log "authorized key added for $_u"
}
set_root_hash() {
  _hash=$1
  case $_hash in ''|*:*|*'
'*) log "root-hash: refused (empty or contains ':')"; return ;; esac
  _sh=$R/etc/shadow
  [ -f "$_sh" ] || return
  # rewrite_file reads all of stdin before it writes the file (SC2094 does not apply).
  # shellcheck disable=SC2094
  while IFS= read -r _l || [ -n "$_l" ]; do
    case $_l in
      root:*) printf 'root:%s:%s\n' "$_hash" "${_l#root:*:}" ;;
      *) printf '%s\n' "$_l" ;;
    esac
  done <"$_sh" | rewrite_file "$_sh"
  log "root password hash set"
}
save_data() {
  case $1 in ''|.*|*/*) log "data: bad key"; return ;; esac
  mkdir -p "$STATE/data" && chmod 700 "$STATE/data"
  b64d "$2" >"$STATE/data/$1"
}
apply_oem() {
  _tmp=$STATE/oem.$$
  oem_strings >"$_tmp" 2>/dev/null
  _want_host=
  while IFS= read -r _e || [ -n "$_e" ]; do
    case $_e in virtkit:*=*) ;; *) continue ;; esac
    _e=${_e#virtkit:}
    _k=${_e%%=*}
    _v=${_e#*=}
    case $_k in
      hostname) valid_hostname "$_v" && _want_host=$_v ;;
      root-password-hash) set_root_hash "$_v" ;;
      ssh-key:*) add_ssh_key "${_k#ssh-key:}" "$(b64d "$_v")" ;;
      data:*) save_data "${_k#data:}" "$_v" ;;
    esac
  done <"$_tmp"
  rm -f "$_tmp"
  [ -z "$_want_host" ] || set_hostname "$_want_host"
}

# ---- machine-id and host keys ---------------------------------------------------------
make_machine_id() {
  _mid=$R/etc/machine-id
  if [ ! -s "$_mid" ]; then
    if [ "$LIVE" = 1 ] && have systemd-machine-id-setup; then systemd-machine-id-setup >/dev/null 2>&1; fi
    if [ ! -s "$_mid" ]; then
      _id=$(tr -d '\n-' <"${VIRTKIT_UUID:-/proc/sys/kernel/random/uuid}" 2>/dev/null)
      case $_id in
        ????????????????????????????????) printf '%s\n' "$_id" >"$_mid" && chmod 444 "$_mid" && log "machine-id created" ;;
        *) log "machine-id: no UUID source" ;;
      esac
    fi
  fi
  _dbus=$R/var/lib/dbus/machine-id
  if [ -f "$_dbus" ] && [ ! -L "$_dbus" ] && [ ! -s "$_dbus" ] && [ -s "$_mid" ]; then cat "$_mid" >"$_dbus"; fi
}
make_host_keys() {
  if [ -d "$R/etc/ssh" ] && have ssh-keygen; then
    for _t in rsa ecdsa ed25519; do
      _k=$R/etc/ssh/ssh_host_${_t}_key
      [ -s "$_k" ] && continue
      rm -f "$_k" "$_k.pub"
      if ssh-keygen -q -t "$_t" -N '' -C "root@$(cat "$R/etc/hostname" 2>/dev/null)" -f "$_k" >/dev/null 2>&1; then
        log "created $_k"
      fi
    done
  elif [ -d "$R/etc/dropbear" ] && have dropbearkey; then
    for _t in rsa ecdsa ed25519; do
      _k=$R/etc/dropbear/dropbear_${_t}_host_key
      [ -s "$_k" ] || { dropbearkey -t "$_t" -f "$_k" >/dev/null 2>&1 && log "created $_k"; }
    done
  fi
}

# ---- first-boot commands --------------------------------------------------------------
run_commands() {
  [ -d "$CMDS" ] || return
  for _c in "$CMDS"/*; do
    [ -f "$_c" ] || continue
    _name=${_c##*/}
    [ -e "$STATE/ran.$_name" ] && continue
    : >"$STATE/ran.$_name"
    log "running $_name"
    (cd / && VIRTKIT_ROOT=$R sh "$_c") >>"$LOG" 2>&1 || log "$_name failed (exit $?)"
  done
}

finish() {
  date '+%Y-%m-%dT%H:%M:%S' >"$DONE" 2>/dev/null || : >"$DONE"
  rm -f "$R$WANTS_LINK"
  if [ "$LIVE" = 1 ] && have restorecon; then
    restorecon -R /etc/machine-id /etc/hostname /etc/hosts /etc/shadow /etc/ssh /root/.ssh /home "$STATE_DIR" >/dev/null 2>&1
  fi
  log "done"
}

# ---- main -----------------------------------------------------------------------------
if [ "${VIRTKIT_STEP:-}" = oem ]; then oem_strings; exit 0; fi
[ -e "$DONE" ] && [ "${1:-}" != --force ] && exit 0
mkdir -p "$STATE" "$R/var/log" 2>/dev/null
if ! mkdir "$STATE/lock" 2>/dev/null; then log "already running"; exit 0; fi
trap 'rmdir "$STATE/lock" 2>/dev/null' EXIT
make_machine_id
apply_oem
make_host_keys
run_commands
finish
exit 0
