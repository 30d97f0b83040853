import Foundation
import MDS
import PackedFormat

/// The write step's threads when the build has more than one job. The mixer, the objectives and
/// the packer stay on the caller's thread (they are fast, and their order makes the rows); what
/// follows them runs here:
///
/// - one thread encodes the rows (provenance JSON, MDS sample bytes) and cuts shards where
///   `MDSWriter` cuts them, so the layout is the one-thread layout;
/// - `jobs` threads make the shard files (header, xxh64, zstd, temporary file, fsync, rename);
/// - the first thread commits each shard to the catalog with its checkpoint, in shard order and
///   only once the shard's file has its final name, as the one-thread build does.
///
/// Memory is bounded: at most `rowQueueCapacity` rows wait for the encoder, and at most `jobs`
/// cut shards are being written or wait for their commit while the next one fills.
final class BackgroundRowWriter: @unchecked Sendable {
    static let rowQueueCapacity = 256

    private let writer: MDSWriter
    private let layout: PackedRowLayout
    private let committer: ShardCommitter
    private let rows = BoundedQueue<RowToWrite>(
        capacity: BackgroundRowWriter.rowQueueCapacity, wakeBatch: BackgroundRowWriter.rowQueueCapacity / 8)
    private let shardJobs: BoundedQueue<ShardJob>
    private let maxInFlight: Int
    private let threads = DispatchGroup()
    /// Cut shards not yet committed, oldest first (the encoding thread's alone).
    private var inFlight: [(checkpoint: BuildCheckpoint?, slot: ShardSlot)] = []

    private let lock = NSLock()
    private var failure: (any Error)?
    private var abandoned = false
    private var lastShard: MDSShardEntry?

    init(writer: MDSWriter, layout: PackedRowLayout, committer: ShardCommitter, jobs: Int) {
        self.writer = writer
        self.layout = layout
        self.committer = committer
        maxInFlight = max(1, jobs)
        shardJobs = BoundedQueue(capacity: max(1, jobs))
        start { $0.encodeRows() }
        for _ in 0..<max(1, jobs) { start { $0.writeShards() } }
    }

    /// Hands a row to the encoding thread (waiting while `rowQueueCapacity` rows are queued);
    /// throws what stopped the background threads, if anything did.
    func submit(_ row: RowToWrite) throws {
        if rows.push(row) { return }
        try throwFailure()
        throw MoeDataError("internal error: the packed-row writer stopped")
    }

    /// Writes the last, partly filled shard once every row is encoded and every shard before it
    /// committed; returns its entry (the caller commits it with the build's end).
    func finish() throws -> MDSShardEntry? {
        rows.close()
        threads.wait()
        try throwFailure()
        return lock.withLock { lastShard }
    }

    /// Stops after a failure of the caller: no more shards are cut or committed.
    func abandon() {
        lock.withLock { abandoned = true }
        rows.close()
        threads.wait()
    }

    private func start(_ body: @escaping @Sendable (BackgroundRowWriter) -> Void) {
        threads.enter()
        let thread = Thread { [self] in
            body(self)
            threads.leave()
        }
        thread.start()
    }

    private func throwFailure() throws {
        if let failure = lock.withLock({ failure }) { throw failure }
    }

    /// The encoding thread: rows to shards, shards to the writing threads, commits in order.
    private func encodeRows() {
        do {
            while let row = rows.pop() {
                if lock.withLock({ abandoned }) { break }
                if let shard = try writer.append(try row.values(layout: layout)) {
                    // A completed shard holds the rows before this one: the checkpoint regenerates this row.
                    try send(shard, checkpoint: row.checkpoint(signature: committer.signature))
                }
                while let oldest = inFlight.first, oldest.slot.isDone { try commitOldest() }
            }
            if !lock.withLock({ abandoned }) {
                if let last = try writer.cut() { try send(last, checkpoint: nil) }
                while !inFlight.isEmpty { try commitOldest() }
            }
        } catch {
            lock.withLock { if failure == nil { failure = error } }
            rows.close()
        }
        shardJobs.close()
        // Shards already handed over are still being written: wait for them before the threads end.
        for shard in inFlight { _ = try? shard.slot.wait() }
    }

    private func send(_ shard: MDSPendingShard, checkpoint: BuildCheckpoint?) throws {
        while inFlight.count >= maxInFlight { try commitOldest() }
        let slot = ShardSlot()
        inFlight.append((checkpoint, slot))
        guard shardJobs.push(ShardJob(shard: shard, slot: slot)) else {
            throw MoeDataError("internal error: the packed-shard writers stopped")
        }
    }

    /// Waits for the oldest shard's file, then commits it (the last shard is kept for `finish`).
    private func commitOldest() throws {
        let (checkpoint, slot) = inFlight.removeFirst()
        let entry = try slot.wait()
        writer.record(entry)
        if let checkpoint {
            try committer.commit(entry, checkpoint: checkpoint)
        } else {
            lock.withLock { lastShard = entry }
        }
    }

    /// A writing thread: makes shard files until the encoding thread is done.
    private func writeShards() {
        while let job = shardJobs.pop() {
            job.slot.fulfil(Result { try job.shard.write() })
        }
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
