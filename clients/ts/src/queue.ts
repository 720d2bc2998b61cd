/** Turns: tasks that share a key run one after another, in the order they were queued. */
export class KeyedQueue {
  /** Per key, a promise that settles when the last queued task of that key has settled. */
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Runs `task` once every task queued before it under `key` has settled (fulfilled or
   * rejected), and answers what `task` answers. Tasks under other keys are not held up.
   */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
