// Choosing between KVM and TCG for the appliance.
//
// 'tcg' sets the backend setting force_tcg, 'kvm' sets force_kvm (no silent fallback).
// 'auto' (the default, or env VIRTKIT_ACCEL) tries KVM when /dev/kvm is usable and retries once on
// TCG if that launch fails or goes silent (nested KVM here either aborts qemu with "failed to set
// MSR 0x10a" within ~3 s, or hangs). When the TCG retry works, the process remembers that KVM is
// broken and later 'auto' launches go straight to TCG.
import { accessSync, constants } from 'node:fs';
import { invalid } from '../errors.js';

/** How the libguestfs appliance is accelerated: 'kvm', 'tcg' (software emulation), or 'auto' (KVM when /dev/kvm is usable, retried once on TCG if the KVM launch fails). */
export type Accel = 'auto' | 'kvm' | 'tcg';
const ACCELS: readonly string[] = ['auto', 'kvm', 'tcg'];

/** Option first, then VIRTKIT_ACCEL, then 'auto'. */
export function resolveAccel(option?: string, env: NodeJS.ProcessEnv = process.env): Accel {
  const fromEnv = env['VIRTKIT_ACCEL']?.trim().toLowerCase() || undefined;
  const v = option ?? fromEnv ?? 'auto';
  if (!ACCELS.includes(v)) {
    throw invalid(`accel must be 'auto', 'kvm' or 'tcg'${option === undefined ? ' (from VIRTKIT_ACCEL)' : ''}, got '${v}'`, { argument: 'accel', accel: v });
  }
  return v as Accel;
}

let kvmBroken: string | undefined;

/** Why KVM is known not to work in this process, or undefined. */
export function kvmBrokenReason(): string | undefined {
  return kvmBroken;
}
export function noteKvmBroken(reason: string): void {
  kvmBroken = reason;
}
/** Forget what earlier launches learnt (tests). */
export function resetAccelMemory(): void {
  kvmBroken = undefined;
}

export function kvmDeviceUsable(path = '/dev/kvm'): boolean {
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The accelerators to try, in order. */
export function accelPlan(accel: Accel, kvmUsable = kvmDeviceUsable()): Array<'kvm' | 'tcg'> {
  if (accel === 'tcg') return ['tcg'];
  if (accel === 'kvm') return ['kvm'];
  if (kvmBroken !== undefined || !kvmUsable) return ['tcg'];
  return ['kvm', 'tcg'];
}
