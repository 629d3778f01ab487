// Early stopping on validation accuracy (Keras' EarlyStopping: monitor 'val_accuracy', min_delta 0,
// restore the best weights), as plain state that a checkpoint can hold.

/** The state of {@link EarlyStopping}, JSON-serialisable. */
export interface EarlyStoppingState {
  patience: number;
  /** The best validation accuracy so far (null before the first epoch). */
  best: number | null;
  /** The epoch that reached it. */
  bestEpoch: number | null;
  /** Epochs since the best one. */
  wait: number;
  /** Whether patience ran out. */
  stopped: boolean;
}

/** Tracks the best validation accuracy and says when patience has run out. */
export class EarlyStopping {
  private s: EarlyStoppingState;

  constructor(patience: number, state?: EarlyStoppingState) {
    if (!Number.isInteger(patience) || patience < 1) throw new RangeError(`patience must be an integer >= 1, got ${patience}`);
    this.s = state ? { ...state, patience } : { patience, best: null, bestEpoch: null, wait: 0, stopped: false };
  }

  /**
   * Records an epoch's validation accuracy; returns whether it is a new best (strictly better;
   * a NaN never is). Once `patience` epochs pass without one, {@link stopped} turns true.
   */
  update(epoch: number, valAccuracy: number): boolean {
    const improved = !Number.isNaN(valAccuracy) && (this.s.best === null || valAccuracy > this.s.best);
    if (improved) {
      this.s.best = valAccuracy;
      this.s.bestEpoch = epoch;
      this.s.wait = 0;
    } else {
      this.s.wait++;
      if (this.s.wait >= this.s.patience) this.s.stopped = true;
    }
    return improved;
  }

  get stopped(): boolean {
    return this.s.stopped;
  }
  get best(): number | null {
    return this.s.best;
  }
  get bestEpoch(): number | null {
    return this.s.bestEpoch;
  }

  /** A copy of the state. */
  state(): EarlyStoppingState {
    return { ...this.s };
  }
}
