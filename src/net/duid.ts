// DHCPv6 client identifiers (RFC 8415 DUIDs) as virtkit keys IPv6 reservations: a DHCPv6 host
// entry names a DUID, not a MAC, so an entry virtkit makes for a MAC names its DUID-LL
// (type 3, hardware type 1 = Ethernet, then the MAC). It is what a guest sends when told to
// identify by its MAC (systemd-networkd `DUIDType=link-layer`, netplan `dhcp-identifier: mac`).
import { validateMac } from '../validate.js';

/** The DUID-LL of an Ethernet MAC, as libvirt's `<host id=…>` writes it (lower-case hex bytes). */
export function duidLL(mac: string, argument = 'mac'): string {
  return `00:03:00:01:${validateMac(mac, argument)}`;
}

/** The MAC a DUID-LL of Ethernet names; undefined for every other DUID (or none). */
export function macOfDuid(id: string | undefined): string | undefined {
  const m = id === undefined ? null : /^00:03:00:01:((?:[0-9a-f]{2}:){5}[0-9a-f]{2})$/i.exec(id);
  return m ? m[1]!.toLowerCase() : undefined;
}
