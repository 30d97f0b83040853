import Foundation

/// One lock for process-wide state that tests running in parallel would otherwise race on:
/// sentencepiece's global random seed and log level (set by every in-process tokenizer training)
/// and OpenBLAS's thread count. Tests that touch either hold this lock for the whole time they
/// depend on it, and restore what they changed before releasing it.
public enum GlobalState {
    private static let lock = NSRecursiveLock()

    public static func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
