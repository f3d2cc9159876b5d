// Domain.screenshot: virDomainScreenshot and its stream, read to the end in one native job
// (native/stream.cc DomainScreenshot); a PPM (QEMU's screendump) becomes a PNG here (src/png.ts).
import type { NativeDomain } from './native.js';
import { native } from './native.js';
import type { Core } from './core.js';
import { VirtkitError, isVirtError } from './errors.js';
import { UINT32, argOptEnum, argOptInt, argOptions } from './args.js';
import { pngToPpm, ppmToPng } from './png.js';

/** Options of {@link Domain.screenshot}. */
export interface ScreenshotOptions {
  /** Which screen (head) of the guest's display, 0 for the first (default 0). */
  screen?: number;
  /**
   * 'png' (default): a PNG, converted from the daemon's PPM when it gives one (QEMU before 7.1,
   * or libvirt before 8.x; newer ones give PNG, passed through as it came).
   * 'ppm': a binary PPM: the daemon's own when it gives PPM, else decoded from its PNG.
   * Another format from the daemon is `FORMAT_MISMATCH`.
   */
  format?: 'png' | 'ppm';
}

/** A screenshot: its MIME type and the image bytes. */
export interface Screenshot {
  mime: string;
  data: Buffer;
}

interface ScreenshotAddon {
  domainScreenshot(dom: NativeDomain, screen: number, flags: number): Promise<Screenshot>;
}

const PPM = ['image/x-portable-pixmap', 'image/x-portable-anymap', 'image/x-ppm'];

/** @internal Domain.screenshot. */
export async function takeScreenshot(core: Core, dom: NativeDomain, name: string, opts?: ScreenshotOptions): Promise<Screenshot> {
  const o = argOptions('opts', opts);
  const screen = argOptInt('opts.screen', o.screen, UINT32) ?? 0;
  const format = argOptEnum('opts.format', o.format, ['png', 'ppm'] as const) ?? 'png';
  core.assertOpen();
  let shot: Screenshot;
  try {
    shot = await core.call(() => (native() as unknown as ScreenshotAddon).domainScreenshot(dom, screen, 0));
  } catch (e) {
    if (isVirtError(e, 'VIR_ERR_OPERATION_INVALID') && /not running/i.test((e as Error).message))
      throw new VirtkitError('DOMAIN_NOT_RUNNING', `'${name}' is not running: no screen to take`, { cause: e });
    throw e;
  }
  const isPpm = PPM.includes(shot.mime) || shot.data.subarray(0, 2).toString('latin1') === 'P6';
  const isPng = shot.mime === 'image/png';
  if (format === 'ppm') {
    if (isPpm) return { mime: 'image/x-portable-pixmap', data: shot.data };
    if (isPng) return { mime: 'image/x-portable-pixmap', data: await pngToPpm(shot.data) };
    throw new VirtkitError('FORMAT_MISMATCH', `the daemon gave ${shot.mime}, which virtkit does not convert to PPM`, { details: { mime: shot.mime } });
  }
  if (isPng) return shot;
  if (!isPpm) throw new VirtkitError('FORMAT_MISMATCH', `the daemon gave ${shot.mime}, which virtkit does not convert to PNG`, { details: { mime: shot.mime } });
  return { mime: 'image/png', data: await ppmToPng(shot.data) };
}
