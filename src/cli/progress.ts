// A one-line progress indicator on stderr: a spinner with a label, or a bar when the work has a
// size. Draws only when stderr is a terminal, so pipes, logs and --json output stay clean.
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const BAR = 24;

export class Progress {
  readonly #on: boolean;
  #label = '';
  #fraction: number | undefined;
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;
  #drawn = false;

  constructor(enabled: boolean, readonly stream: NodeJS.WriteStream = process.stderr) {
    this.#on = enabled && stream.isTTY === true;
  }

  get enabled(): boolean {
    return this.#on;
  }

  /** Sets the label and, when known, how far along (0..1). */
  update(label: string, fraction?: number): void {
    if (!this.#on) return;
    this.#label = label;
    this.#fraction = fraction === undefined ? undefined : Math.min(1, Math.max(0, fraction));
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#draw(), 100);
      this.#timer.unref();
    }
    this.#draw();
  }

  /** Clears the line; prints `line` in its place when given. */
  stop(line?: string): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (!this.#on) return;
    if (this.#drawn) this.stream.write('\r\x1b[2K');
    this.#drawn = false;
    if (line) this.stream.write(line + '\n');
  }

  #draw(): void {
    const cols = this.stream.columns || 80;
    let s = `${FRAMES[this.#frame++ % FRAMES.length]} ${this.#label}`;
    if (this.#fraction !== undefined) {
      const full = Math.round(this.#fraction * BAR);
      s = `${s} [${'#'.repeat(full)}${'-'.repeat(BAR - full)}] ${Math.floor(this.#fraction * 100)}%`;
    }
    this.stream.write(`\r\x1b[2K${s.slice(0, cols - 1)}`);
    this.#drawn = true;
  }
}
