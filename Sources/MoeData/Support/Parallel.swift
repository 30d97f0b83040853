import Dispatch
import Foundation

/// The one parallel map of the package: tokenizing a batch and verifying the native encoder
/// both run it.
enum Parallel {
    /// Runs `body` for 0..<n on `jobs` threads, each taking the next index when done (documents
    /// vary widely in size), and stores results by index: the output and the error reported (the
    /// earliest failing index) never depend on scheduling.
    static func map<T>(_ n: Int, jobs: Int, _ body: (Int) throws -> T) throws -> [T] {
        let workers = max(1, min(jobs, n))
        if workers == 1 { return try (0..<n).map(body) }
        var results = [T?](repeating: nil, count: n)
        let failures = FirstFailure()
        let next = NextIndex()
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            withoutActuallyEscaping(body) { body in
                nonisolated(unsafe) let body = body
                DispatchQueue.concurrentPerform(iterations: workers) { _ in
                    while let i = next.take(limit: n) {
                        do { out[i] = try body(i) } catch { failures.record(index: i, error) }
                    }
                }
            }
        }
        if let error = failures.first { throw error }
        // Every index holds a result once no worker failed.
        return results.compactMap { $0 }
    }

    /// Hands out work indices 0, 1, 2, ... to threads.
    private final class NextIndex: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0

        func take(limit: Int) -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard value < limit else { return nil }
            value += 1
            return value - 1
        }
    }

    /// The failure with the lowest input index among concurrent workers, so the error a batch
    /// reports does not depend on thread timing.
    private final class FirstFailure: @unchecked Sendable {
        private let lock = NSLock()
        private var best: (index: Int, error: any Error)?

        func record(index: Int, _ error: any Error) {
            lock.lock()
            defer { lock.unlock() }
            if let best, best.index <= index { return }
            best = (index, error)
        }

        var first: (any Error)? {
            lock.lock()
            defer { lock.unlock() }
            return best?.error
        }
    }
}
