// Rollback for multi-step template work: every step that creates something registers how to
// remove it; a failure runs them newest first.

/** Undo steps, run newest first; each failure of an undo is ignored (best effort). */
export class Undo {
  #steps: (() => Promise<unknown>)[] = [];
  push(step: () => Promise<unknown>): void {
    this.#steps.push(step);
  }
  async run(): Promise<void> {
    for (const s of this.#steps.reverse()) await s().catch(() => undefined);
    this.#steps = [];
  }
  clear(): void {
    this.#steps = [];
  }
}
