// A spinner per step on a terminal, plain lines otherwise; a table printer.
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Step {
  update(detail: string): void;
  /** Prints a line above the spinner (or as is, without a terminal). */
  log(line: string): void;
  done(detail?: string): number;
  fail(err: unknown): void;
}

export function step(title: string): Step {
  const tty = process.stdout.isTTY;
  const t0 = performance.now();
  let detail = '';
  let i = 0;
  const draw = () => process.stdout.write(`\r\x1b[2K${FRAMES[i++ % FRAMES.length]} ${title} ${detail}`);
  const timer = tty ? setInterval(draw, 100) : undefined;
  if (!tty) console.log(`… ${title}`);
  const secs = () => ((performance.now() - t0) / 1000).toFixed(1);
  return {
    update(d) {
      detail = d;
    },
    log(line) {
      if (tty) {
        process.stdout.write(`\r\x1b[2K${line}\n`);
        draw();
      } else console.log(line);
    },
    done(d) {
      clearInterval(timer);
      const line = `✔ ${title}${d ? ` ${d}` : ''} (${secs()} s)`;
      if (tty) process.stdout.write(`\r\x1b[2K${line}\n`);
      else console.log(line);
      return performance.now() - t0;
    },
    fail(err) {
      clearInterval(timer);
      const line = `✖ ${title}: ${(err as Error).message}`;
      if (tty) process.stdout.write(`\r\x1b[2K${line}\n`);
      else console.log(line);
    },
  };
}

export async function timed<T>(title: string, fn: (s: Step) => Promise<T>, times: [string, number][]): Promise<T> {
  const s = step(title);
  try {
    const r = await fn(s);
    times.push([title, s.done()]);
    return r;
  } catch (e) {
    s.fail(e);
    throw e;
  }
}

export function table(rows: Record<string, string>[]): string {
  const cols = Object.keys(rows[0] ?? {});
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i]!)).join('  ');
  return [line(cols), line(width.map((w) => '─'.repeat(w))), ...rows.map((r) => line(cols.map((c) => r[c] ?? '')))].join('\n');
}

export function bytes(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}
