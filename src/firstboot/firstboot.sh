#!/bin/sh
# virtkit first boot: gives a clone made from a sealed template its own identity.
# Installed by virtkit's seal (customize operation); runs once, before the network and sshd.
#  - machine-id: made when /etc/machine-id is empty or missing
#  - SSH host keys: made when missing (OpenSSH ssh-keygen, else dropbearkey)
#  - identity from SMBIOS type 11 OEM strings (libvirt <sysinfo><oemStrings>), the entries
#    src/xml/identity.ts writes:
#      virtkit:hostname=NAME  virtkit:ssh-key:USER=BASE64(line)  virtkit:v=N (ignored)
#      virtkit:data:KEY=BASE64   (saved to $STATE_DIR/data/KEY, mode 0600)
#      virtkit:seed=LABEL   secrets wait on the read-only ISO 9660 volume labelled LABEL: its
#        file virtkit-secrets holds entries of the same format, one a line:
#        virtkit:root-password-hash=HASH  virtkit:data:KEY=BASE64 (secretData). The volume is
#        found by label (/dev/disk/by-label, blkid -L, findfs, else a scan of the CD-ROM and disk
#        devices for the ISO 9660 label), mounted read-only on a fresh directory, read in place
#        and unmounted: nothing of it is copied. A hash only counts from the seed, never SMBIOS.
#      virtkit:personalize=cloud-init   cloud-init personalizes this clone (NoCloud seed): the
#        script stands aside (no identity, machine-id or host keys; only the template's commands)
#  - after the host keys: one line per public key on stdout (the console) and in
#    $STATE_DIR/hostkeys:  virtkit-hostkey: TYPE BASE64 FINGERPRINT  (ssh-keygen -l's SHA256:...,
#    or '-'), then the console line  virtkit-hostkeys: done  (read by dom.hostKeys())
#  - commands in $COMMANDS_DIR (or $ETC_COMMANDS_DIR when /usr is separate), each run once,
#    in name order
# Then it writes $DONE_FILE and disables itself.
# POSIX sh: runs under dash and busybox ash. For tests every path can be moved:
#   VIRTKIT_ROOT=/some/tree  VIRTKIT_DMI=/fake/dmi/entries  VIRTKIT_UUID=/file/with/uuid
#   VIRTKIT_LIVE=0|1 (act on the running system: hostname(1), modprobe; default 1 only
#   when VIRTKIT_ROOT is unset)  VIRTKIT_B64=sh (use the built-in base64 decoder)
#   VIRTKIT_STEP=oem (only print the OEM strings found, one per line, and exit)
#   VIRTKIT_STEP=find-seed (only print the device labelled $VIRTKIT_LABEL, default VIRTKIT, and exit)
#   VIRTKIT_SEED=/dir (the seed's files are in this directory: no device is looked for or mounted)
#   VIRTKIT_DEV=/dir (where the device scan looks, default /dev; regular files count there too)
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
DEV=${VIRTKIT_DEV:-/dev}
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
  (umask 077; b64d "$2" >"$STATE/data/$1")
}
# apply_entries SOURCE (oem|seed) < entries: applies virtkit entries, one a line. From SMBIOS
# it sets _want_host and _seed (the seed's label).
apply_entries() {
  while IFS= read -r _e || [ -n "$_e" ]; do
    case $_e in virtkit:*=*) ;; *) continue ;; esac
    _e=${_e#virtkit:}
    _k=${_e%%=*}
    _v=${_e#*=}
    case $1:$_k in
      oem:hostname) valid_hostname "$_v" && _want_host=$_v ;;
      oem:seed) case $_v in ''|*[!A-Za-z0-9_-]*) log "seed: bad label" ;; *) _seed=$_v ;; esac ;;
      seed:root-password-hash) set_root_hash "$_v" ;;
      oem:root-password-hash) log "root-hash: ignored in SMBIOS (secrets come from the seed)" ;;
      *:ssh-key:*) add_ssh_key "${_k#ssh-key:}" "$(b64d "$_v")" ;;
      *:data:*) save_data "${_k#data:}" "$_v" ;;
    esac
  done
}
# iso_label DEVICE: the ISO 9660 volume identifier (primary descriptor, sector 16), or nothing.
iso_label() {
  [ "$(dd if="$1" bs=1 skip=32769 count=5 2>/dev/null)" = CD001 ] || return 1
  dd if="$1" bs=1 skip=32808 count=32 2>/dev/null | tr -d ' \000'
}
# find_label LABEL: prints the device whose filesystem has this label.
find_label() {
  if [ "$DEV" = /dev ]; then
    if [ -e "/dev/disk/by-label/$1" ]; then readlink -f "/dev/disk/by-label/$1" 2>/dev/null || echo "/dev/disk/by-label/$1"; return 0; fi
    # busybox blkid takes no -L: whatever it prints then is not a block device.
    if have blkid; then _d=$(blkid -L "$1" 2>/dev/null); [ -n "$_d" ] && [ -b "$_d" ] && { echo "$_d"; return 0; }; fi
    if have findfs; then _d=$(findfs "LABEL=$1" 2>/dev/null); [ -n "$_d" ] && [ -b "$_d" ] && { echo "$_d"; return 0; }; fi
  fi
  for _d in "$DEV"/sr* "$DEV"/hd? "$DEV"/sd? "$DEV"/vd? "$DEV"/xvd?; do
    [ -b "$_d" ] || { [ "$DEV" != /dev ] && [ -f "$_d" ]; } || continue
    [ "$(iso_label "$_d")" = "$1" ] && { echo "$_d"; return 0; }
  done
  return 1
}
# secrets_file DIR: the seed's secrets file (its Joliet name, or the 8.3 name without Joliet).
secrets_file() {
  for _f in "$1/virtkit-secrets" "$1"/virtkit_*; do [ -f "$_f" ] && { echo "$_f"; return 0; }; done
  return 1
}
# apply_seed LABEL: applies the seed's secrets, read in place from the mounted volume.
apply_seed() {
  if [ -n "${VIRTKIT_SEED:-}" ]; then
    if _sf=$(secrets_file "$VIRTKIT_SEED"); then apply_entries seed <"$_sf"; log "seed applied"; else log "seed $1: no virtkit-secrets"; fi
    return
  fi
  _try=0
  until _dev=$(find_label "$1"); do
    _try=$(( _try + 1 ))
    if [ "$LIVE" != 1 ] || [ "$_try" -ge 15 ]; then log "seed $1 not found: its secrets were not applied"; return; fi
    sleep 1
  done
  _mnt=$(mktemp -d "${TMPDIR:-/tmp}/virtkit-seed.XXXXXX" 2>/dev/null) || { log "seed: no mount point"; return; }
  chmod 700 "$_mnt"
  if [ "$LIVE" = 1 ] && have modprobe; then modprobe isofs 2>/dev/null; fi
  if mount -r -t iso9660 "$_dev" "$_mnt" 2>/dev/null || mount -r "$_dev" "$_mnt" 2>/dev/null; then
    if _sf=$(secrets_file "$_mnt"); then apply_entries seed <"$_sf"; log "seed applied"; else log "seed $1: no virtkit-secrets on $_dev"; fi
    umount "$_mnt" 2>/dev/null || umount -l "$_mnt" 2>/dev/null
  else
    log "seed $1: cannot mount $_dev"
  fi
  rmdir "$_mnt" 2>/dev/null
}
apply_oem() {
  _tmp=$STATE/oem.$$
  oem_strings >"$_tmp" 2>/dev/null
  _want_host='' _seed='' _personalize=''
  # Who personalizes is decided before anything is applied.
  while IFS= read -r _e || [ -n "$_e" ]; do
    case $_e in virtkit:personalize=*) _personalize=${_e#virtkit:personalize=} ;; esac
  done <"$_tmp"
  [ "$_personalize" = cloud-init ] || apply_entries oem <"$_tmp"
  rm -f "$_tmp"
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

# ---- host keys on the console -----------------------------------------------------------
# Every SSH host public key, as `virtkit-hostkey: TYPE BASE64 FINGERPRINT` lines on stdout (the
# console) and in $STATE/hostkeys, then `virtkit-hostkeys: done` on stdout.
host_key_lines() {
  for _p in "$R"/etc/ssh/ssh_host_*_key.pub; do
    [ -f "$_p" ] || continue
    read -r _t _b _rest <"$_p" || [ -n "$_t" ] || continue
    _fp=-
    if have ssh-keygen; then _fp=$(ssh-keygen -l -E sha256 -f "$_p" 2>/dev/null | cut -d' ' -f2); fi
    case $_fp in SHA256:*) ;; *) _fp=- ;; esac
    printf 'virtkit-hostkey: %s %s %s\n' "$_t" "$_b" "$_fp"
  done
  if [ -d "$R/etc/dropbear" ] && have dropbearkey; then
    for _k in "$R"/etc/dropbear/dropbear_*_host_key; do
      [ -s "$_k" ] || continue
      dropbearkey -y -f "$_k" 2>/dev/null | while read -r _t _b _rest; do
        case $_t in ssh-*|ecdsa-*) printf 'virtkit-hostkey: %s %s -\n' "$_t" "$_b" ;; esac
      done
    done
  fi
}
print_host_keys() {
  _hk=$STATE/hostkeys
  (umask 022; host_key_lines >"$_hk.$$") && mv -f "$_hk.$$" "$_hk"
  cat "$_hk" 2>/dev/null
  echo "virtkit-hostkeys: done"
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
if [ "${VIRTKIT_STEP:-}" = find-seed ]; then find_label "${VIRTKIT_LABEL:-VIRTKIT}"; exit $?; fi
[ -e "$DONE" ] && [ "${1:-}" != --force ] && exit 0
mkdir -p "$STATE" "$R/var/log" 2>/dev/null
if ! mkdir "$STATE/lock" 2>/dev/null; then log "already running"; exit 0; fi
trap 'rmdir "$STATE/lock" 2>/dev/null' EXIT
apply_oem
if [ "$_personalize" = cloud-init ]; then
  # cloud-init applies the identity from its NoCloud seed and makes the host keys itself.
  log "cloud-init personalizes this clone: identity and host keys left to it"
  run_commands
  finish
  exit 0
fi
make_machine_id
[ -z "$_seed" ] || apply_seed "$_seed"
[ -z "$_want_host" ] || set_hostname "$_want_host"
make_host_keys
print_host_keys
run_commands
finish
exit 0
