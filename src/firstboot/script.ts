// The first-boot script sealing installs at FIRSTBOOT_SCRIPT_PATH. Its source is firstboot.sh,
// a real POSIX sh file bundled as text (tsup's and vitest's `.sh` loader; tsx and node through
// scripts/text-hooks.mjs); its guest paths come from paths.ts, filled in here.
import source from './firstboot.sh';
import * as paths from './paths.js';

/** firstboot.sh with every placeholder (`@` + constant name + `@`) replaced by the constant of that name in paths.ts. */
export function renderFirstbootScript(text: string): string {
  const table = paths as Readonly<Record<string, string>>;
  return text.replace(/@([A-Z][A-Z0-9_]*)@/g, (m, name: string) => {
    const v = table[name];
    // A placeholder without a constant is a bug in firstboot.sh: fail at load, not in a guest.
    if (typeof v !== 'string') throw new Error(`firstboot.sh: no constant ${name} in src/firstboot/paths.ts (${m})`);
    // Paths are plain (no quotes, spaces or $): safe as a shell word.
    if (!/^\/[A-Za-z0-9._/-]+$/.test(v)) throw new Error(`firstboot.sh: ${name} is not a plain absolute path`);
    return v;
  });
}

/** The script itself, as installed. */
export const FIRSTBOOT_SCRIPT = renderFirstbootScript(source);
