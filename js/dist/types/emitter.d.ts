type Listener = (...args: any[]) => void;
export declare class Emitter {
    private readonly listeners;
    private generation;
    /** Adds fn for name and returns a function that removes it. */
    on(name: string, fn: Listener): () => void;
    /** Removes one registration of fn for name. */
    off(name: string, fn: Listener): void;
    /** Calls every listener of name with args. */
    emit(name: string, ...args: unknown[]): void;
    /** Reports whether name has listeners. */
    has(name: string): boolean;
    /** Counts all listeners. */
    count(): number;
    /** Removes every listener. */
    clear(): void;
}
export {};
