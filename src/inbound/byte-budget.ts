/**
 * Bounds the bytes of message bodies a worker process holds at once. The job count (WORKER_CONCURRENCY) alone
 * does not: a backlog of a hundred 40 MB mails would be 4 GB in memory. Waiters are served in arrival order;
 * a message larger than the whole budget takes all of it (it waits until nothing else holds any).
 */
export class ByteBudget {
  #free: number;
  readonly #waiting: Array<{ bytes: number; grant: () => void }> = [];

  constructor(readonly total: number) {
    if (!(total > 0)) throw new RangeError(`ByteBudget: total must be positive, got ${total}`);
    this.#free = total;
  }

  /** Bytes not held now. */
  get free(): number {
    return this.#free;
  }

  /** Waits for `bytes` (at most the whole budget), then returns the function that gives them back (once). */
  async acquire(bytes: number): Promise<() => void> {
    // An unknown size (a job queued by an older version) holds nothing rather than waiting forever on NaN.
    const held = Number.isFinite(bytes) ? Math.min(Math.max(0, bytes), this.total) : 0;
    if (this.#waiting.length === 0 && held <= this.#free) this.#free -= held;
    else await new Promise<void>((grant) => this.#waiting.push({ bytes: held, grant }));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#free += held;
      this.#drain();
    };
  }

  #drain(): void {
    while (this.#waiting.length > 0 && this.#waiting[0]!.bytes <= this.#free) {
      const next = this.#waiting.shift()!;
      this.#free -= next.bytes;
      next.grant();
    }
  }
}
