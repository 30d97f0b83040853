import Foundation

/// The trainer's own threads, for the work OpenBLAS does not do: loops over independent units
/// (an attention head of a segment, a row of the vocabulary softmax) that would otherwise leave
/// every core but one idle while they run.
///
/// `parallelFor(count:)` hands the units out one at a time to the calling thread and `count − 1`
/// helpers of the pool; each unit writes only its own outputs and gets its own scratch (by worker
/// index), so the result does not depend on which thread ran which unit, nor on the thread count.
/// While a parallel loop runs, OpenBLAS is set to one thread: gemm calls made inside the units run
/// on the calling thread, and the pool's threads plus OpenBLAS's never exceed `--jobs` busy cores.
public final class TrainThreads: @unchecked Sendable {
    /// The pool of the process; `BLASThreads.set` sizes it with OpenBLAS's thread count. The
    /// trainer, its benchmark and the routing analysis run on it; a model left on `single` (the
    /// default, as in the tests) never changes OpenBLAS's thread count.
    public nonisolated(unsafe) static var shared = TrainThreads(count: 1)
    /// One thread: the loops run on the caller, nothing else is touched.
    public static let single = TrainThreads(count: 1)

    public let count: Int
    private let condition = NSCondition()
    private var job: (@Sendable (Int) -> Void)?
    private var units = 0
    private var nextUnit = 0
    private var unitsDone = 0
    private var generation = 0
    private var stopped = false
    /// Helpers inside the current loop's job: the caller returns only once none is (the job holds
    /// the caller's closure, which must not outlive the call).
    private var activeHelpers = 0

    public init(count: Int) {
        self.count = max(1, count)
        for worker in 1..<self.count {
            Thread { [self] in helperLoop(worker: worker) }.start()
        }
    }

    /// Ends the helper threads (when the pool is replaced by one of another size).
    public func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
    }

    /// Runs `body(unit, worker)` for every unit in 0..<units on up to `count` threads (the caller
    /// is worker 0) and returns once all are done. Not reentrant: a unit must not call it again.
    public func parallelFor(_ units: Int, _ body: (_ unit: Int, _ worker: Int) -> Void) {
        guard units > 0 else { return }
        guard count > 1 && units > 1 else {
            for u in 0..<units { body(u, 0) }
            return
        }
        let blasThreads = BLASThreads.current
        BLASThreads.setOpenBLASOnly(1)
        defer { BLASThreads.setOpenBLASOnly(blasThreads) }
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            let job: @Sendable (Int) -> Void = condition.withLock {
                generation += 1
                let g = generation
                self.units = units
                nextUnit = 0
                unitsDone = 0
                let job: @Sendable (Int) -> Void = { worker in
                    while let unit = self.claim(g) {
                        body(unit, worker)
                        self.finished()
                    }
                }
                self.job = job
                condition.broadcast()
                return job
            }
            job(0)
            condition.withLock {
                self.job = nil
                while unitsDone < units || activeHelpers > 0 { condition.wait() }
            }
        }
    }

    /// Runs `body(rows, block)` for the blocks of `blockSize` rows that cover 0..<count, as units of
    /// `parallelFor`. The blocks do not depend on the thread count: a loop whose blocks write disjoint
    /// rows, or whose per-block partial sums are added in block order afterwards, gives the same bits
    /// on any number of threads.
    public func forEachBlock(
        _ count: Int, blockSize: Int, _ body: (_ rows: Range<Int>, _ block: Int) -> Void
    ) {
        let size = max(1, blockSize)
        parallelFor(Self.blocks(count, blockSize: size)) { block, _ in
            body(block * size..<min(count, (block + 1) * size), block)
        }
    }

    /// The number of blocks `forEachBlock(count, blockSize:)` runs.
    public static func blocks(_ count: Int, blockSize: Int) -> Int {
        (count + max(1, blockSize) - 1) / max(1, blockSize)
    }

    /// The next unit of loop `g`; nil once all are taken, or when `g` is over (a helper that woke late).
    private func claim(_ g: Int) -> Int? {
        condition.withLock {
            guard generation == g, nextUnit < units else { return nil }
            nextUnit += 1
            return nextUnit - 1
        }
    }

    /// Called by a worker after its `body` returned for a unit it claimed.
    private func finished() {
        condition.withLock {
            unitsDone += 1
            if unitsDone == units { condition.broadcast() }
        }
    }

    private func helperLoop(worker: Int) {
        var seen = 0
        while true {
            let entered: Bool = condition.withLock {
                while !stopped && (generation == seen || job == nil) { condition.wait() }
                seen = generation
                if stopped { return false }
                activeHelpers += 1
                return true
            }
            guard entered else { return }
            runJob(worker: worker)
            condition.withLock {
                activeHelpers -= 1
                if activeHelpers == 0 { condition.broadcast() }
            }
        }
    }

    /// Runs the current job, if any. A function of its own, so that nothing of the job (which holds
    /// the caller's closure) is left on the helper's stack once it has returned.
    @inline(never)
    private func runJob(worker: Int) {
        guard let job = condition.withLock({ self.job }) else { return }
        job(worker)
    }
}
