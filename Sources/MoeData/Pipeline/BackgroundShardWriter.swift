import Foundation
import MDS

/// The write step's threads when the build has more than one job: `jobs` threads make the
/// shard files (header, xxh64, zstd, temporary file, fsync, rename) while the caller's thread
/// goes on mixing, packing and encoding rows. The caller commits each shard to the catalog with
/// its checkpoint, in shard order and only once the shard's file has its final name, as the
/// one-thread build does.
///
/// Rows are encoded on the thread that made them, into the shard's buffer, where a one-thread
/// build encodes them too. An encoding thread fed through a queue of rows cost more than it
/// gave: it read each row's 20 KB from another core's cache, and the blocks malloc had handed out
/// on the mixer's thread were freed on it. A `--jobs 2` build of 60M source tokens took a median
/// 3.29 CPU-seconds (1.85 s) with that thread and 3.00 (1.71 s) without (5 alternating runs each);
/// perf put the encoding at 0.6 s on its own thread and 0.15 s inline.
///
/// Memory is bounded: at most `jobs` cut shards are being written or wait for their commit while
/// the next one fills.
final class BackgroundShardWriter {
    private let writer: MDSWriter
    private let committer: ShardCommitter
    private let shardJobs: BoundedQueue<ShardJob>
    private let maxInFlight: Int
    private let threads = DispatchGroup()
    /// Cut shards not yet committed, oldest first.
    private var inFlight: [(checkpoint: BuildCheckpoint?, slot: ShardSlot)] = []

    init(writer: MDSWriter, committer: ShardCommitter, jobs: Int) {
        self.writer = writer
        self.committer = committer
        maxInFlight = max(1, jobs)
        let jobQueue = BoundedQueue<ShardJob>(capacity: max(1, jobs))
        shardJobs = jobQueue
        for _ in 0..<max(1, jobs) {
            threads.enter()
            Thread { [threads] in
                // A writing thread: makes shard files until the queue is closed.
                while let job = jobQueue.pop() { job.slot.fulfil(Result { try job.shard.write() }) }
                threads.leave()
            }.start()
        }
    }

    /// Hands a cut shard to the writing threads, with the checkpoint to commit once its file is
    /// in place (nil for the build's last shard, which the build's end commits); commits the
    /// shards before it whose files are done, and waits for the oldest while `jobs` are pending.
    func send(_ shard: MDSPendingShard, checkpoint: BuildCheckpoint?) throws {
        while inFlight.count >= maxInFlight { try commitOldest() }
        let slot = ShardSlot()
        inFlight.append((checkpoint, slot))
        guard shardJobs.push(ShardJob(shard: shard, slot: slot)) else {
            throw MoeDataError("internal error: the packed-shard writers stopped")
        }
        try commitWritten()
    }

    /// Commits, in order, the oldest shards whose files are done (never waits). The last shard
    /// (no checkpoint) is left for `finish`, which returns its entry.
    func commitWritten() throws {
        while let oldest = inFlight.first, oldest.checkpoint != nil, oldest.slot.isDone { try commitOldest() }
    }

    /// Waits for every shard sent, commits them, and returns the entry of the last one sent
    /// without a checkpoint (the build's last shard), if any.
    func finish() throws -> MDSShardEntry? {
        var last: MDSShardEntry?
        defer { stop() }
        while !inFlight.isEmpty {
            if let entry = try commitOldest() { last = entry }
        }
        return last
    }

    /// Stops after a failure: nothing more is committed; the threads end once the shards already
    /// handed over are written (their buffers are theirs until then).
    func stop() {
        shardJobs.close()
        threads.wait()
        inFlight.removeAll()
    }

    /// Waits for the oldest shard's file, records it and commits it with its checkpoint; returns
    /// its entry when it has no checkpoint (the caller commits it).
    @discardableResult
    private func commitOldest() throws -> MDSShardEntry? {
        let (checkpoint, slot) = inFlight.removeFirst()
        let entry = try slot.wait()
        writer.record(entry)
        guard let checkpoint else { return entry }
        try committer.commit(entry, checkpoint: checkpoint)
        return nil
    }
}

/// A cut shard and where its entry goes once its file is written.
private struct ShardJob: Sendable {
    let shard: MDSPendingShard
    let slot: ShardSlot
}

/// The entry of one shard file (or why it could not be written), filled by a writing thread.
private final class ShardSlot: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<MDSShardEntry, any Error>?

    var isDone: Bool { condition.withLock { result != nil } }

    func fulfil(_ value: Result<MDSShardEntry, any Error>) {
        condition.withLock {
            result = value
            condition.broadcast()
        }
    }

    func wait() throws -> MDSShardEntry {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let result { return try result.get() }
            condition.wait()
        }
    }
}
