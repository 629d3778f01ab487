// Lets a long synchronous computation (a training epoch of native calls) give the event loop a
// turn now and then, so that a SIGINT handler can run, and stop there when asked to.

/** Thrown at a yield point after a stop was requested (SIGINT): the epoch in progress is abandoned. */
export class RunInterrupted extends Error {
  constructor(message = 'interrupted') {
    super(message);
    this.name = 'RunInterrupted';
  }
}

/** A stop request shared by the run and its signal handler. */
export class StopRequest {
  private why: string | null = null;
  /** Asks the run to stop at its next yield point. */
  request(reason: string): void {
    this.why ??= reason;
  }
  /** Whether a stop was requested. */
  get requested(): boolean {
    return this.why !== null;
  }
  /** Why, or null. */
  get reason(): string | null {
    return this.why;
  }
}

/** Yields to the event loop at most every `intervalMs`, then throws {@link RunInterrupted} if a stop was requested. */
export class YieldPoint {
  private last = Date.now();

  constructor(
    private readonly stop: StopRequest,
    private readonly intervalMs = 50,
  ) {}

  /** Yields when the interval has passed; throws RunInterrupted when a stop is pending. */
  async maybeYield(): Promise<void> {
    const now = Date.now();
    if (now - this.last >= this.intervalMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.last = Date.now();
    }
    if (this.stop.requested) throw new RunInterrupted(this.stop.reason ?? 'interrupted');
  }
}
