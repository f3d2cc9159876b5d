// Which guests operations apply to: the AppliesTo presets and the distro families, as
// virt-sysprep groups them. Shared by every operation file and by customize.

/** Linux guests only. */
export const LINUX = { types: ['linux'] } as const;
/** virt-sysprep applies these to every guest that is not Windows. */
export const NOT_WINDOWS = { types: ['linux', 'freebsd', 'netbsd', 'openbsd', 'hurd', 'minix', 'dos', 'unknown'] } as const;

/** Red Hat family distros, as virt-sysprep groups them. */
export const REDHAT_FAMILY = ['fedora', 'rhel', 'centos', 'scientificlinux', 'oraclelinux', 'redhat-based', 'rocky', 'almalinux'] as const;
/** Debian family distros. */
export const DEBIAN_FAMILY = ['debian', 'ubuntu', 'kalilinux', 'linuxmint'] as const;
/** SUSE family distros. */
export const SUSE_FAMILY = ['opensuse', 'sles', 'suse-based'] as const;
