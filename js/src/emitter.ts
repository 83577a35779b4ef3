// A small listener registry. Listeners run in the order they were added; a
// listener that throws does not stop the others (its error is rethrown from a
// microtask, where the browser reports it as uncaught).

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

export class Emitter {
  private readonly listeners = new Map<string, Listener[]>();
  private generation = 0;

  /** Adds fn for name and returns a function that removes it. */
  on(name: string, fn: Listener): () => void {
    if (typeof fn !== "function") {
      throw new TypeError("parlor: listener must be a function");
    }
    const list = this.listeners.get(name);
    if (list) {
      list.push(fn);
    } else {
      this.listeners.set(name, [fn]);
    }
    return () => this.off(name, fn);
  }

  /** Removes one registration of fn for name. */
  off(name: string, fn: Listener): void {
    const list = this.listeners.get(name);
    if (!list) {
      return;
    }
    const i = list.indexOf(fn);
    if (i >= 0) {
      list.splice(i, 1);
    }
    if (list.length === 0) {
      this.listeners.delete(name);
    }
  }

  /** Calls every listener of name with args. */
  emit(name: string, ...args: unknown[]): void {
    const list = this.listeners.get(name);
    if (!list) {
      return;
    }
    const generation = this.generation;
    for (const fn of list.slice()) {
      if (this.generation !== generation) {
        return; // cleared by a listener
      }
      try {
        fn(...args);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  /** Reports whether name has listeners. */
  has(name: string): boolean {
    return this.listeners.has(name);
  }

  /** Counts all listeners. */
  count(): number {
    let n = 0;
    for (const list of this.listeners.values()) {
      n += list.length;
    }
    return n;
  }

  /** Removes every listener. */
  clear(): void {
    this.listeners.clear();
    this.generation++;
  }
}
