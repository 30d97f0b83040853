import Foundation
import MDS

/// Reads and decompresses a token dataset's shards on a thread of its own, ahead of the mixer:
/// `SourceDocuments` asks for the shards of the window after the one it reads, and takes them
/// when it gets there. A shard's bytes are the same whoever decodes them, so the rows do not
/// change; only the mixer's thread no longer waits for zstd.
///
/// `progressive` (the mixer's): a compressed shard is handed over as soon as its file is read and
/// its compressed bytes checked, and decoded in pieces while the mixer reads it
/// (`MDSProgressiveShard`): the mixer waits for the bytes of the document it asks for, not for the
/// whole shard. That matters for the first shard of a build, asked for when nothing was read
/// ahead yet. Otherwise (the exports') shards are handed over whole (`shard(_:)`).
///
/// At most `limit` shards are read ahead (handed over or waiting to be, not yet taken), so memory
/// stays bounded; a shard not asked for, or waiting behind another one, is read on the calling
/// thread as before.
final class ShardReadAhead: @unchecked Sendable {
    let dataset: MDSDataset
    let limit: Int
    let progressive: Bool
    private let condition = NSCondition()
    /// Asked for, not yet started, oldest first.
    private var queued: [Int] = []
    /// Started or done, not yet taken.
    private var started: [Int: Result<any MDSSampleSource, any Error>?] = [:]
    /// The shard this thread is decoding (taken or not).
    private var decoding: MDSProgressiveShard?
    private var busy = false
    private var closed = false

    init(dataset: MDSDataset, limit: Int = 2, progressive: Bool = false) {
        self.dataset = dataset
        self.limit = max(1, limit)
        self.progressive = progressive
        Thread { [self] in readShards() }.start()
    }

    /// Asks for `indices` to be read in the background (those already asked for are skipped, and
    /// none beyond `limit`).
    func request(_ indices: some Sequence<Int>) {
        condition.withLock {
            for i in indices where started[i] == nil && !queued.contains(i) {
                guard queued.count + started.count < limit else { break }
                queued.append(i)
            }
            condition.broadcast()
        }
    }

    /// Shard `index`, decoded whole: the one read ahead (waiting for it), else read here.
    func shard(_ index: Int) throws -> MDSShard {
        guard let whole = try samples(index) as? MDSShard else {
            throw MoeDataError("internal error: a progressive read-ahead was asked for a whole shard")
        }
        return whole
    }

    /// Shard `index`: the one read ahead (waiting until it is handed over), else read here.
    func samples(_ index: Int) throws -> any MDSSampleSource {
        condition.lock()
        // Next in line for an idle thread: it starts at once, and decodes while this one reads.
        let nextForIdleThread = progressive && !busy && queued.first == index
        if !nextForIdleThread, let position = queued.firstIndex(of: index) { queued.remove(at: position) }
        guard started[index] != nil || nextForIdleThread else {
            condition.unlock()
            return try dataset.shard(index)
        }
        while true {
            if let done = started[index], let result = done {
                started[index] = nil
                condition.broadcast()
                condition.unlock()
                return try result.get()
            }
            condition.wait()
        }
    }

    /// Whether a shard read ahead so far could not be read (a missing or damaged file), once the
    /// file being read, if any, is read (its decoding is not waited for). `OpenedSources` asks: a
    /// shard that failed before an ingest regenerated it must not fail the build after.
    func hasFailed() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while started.values.contains(where: { $0 == nil }) { condition.wait() }
        return started.values.contains {
            if case .some(.failure) = $0 { return true }
            return false
        }
    }

    /// Ends the thread (what it read and nobody took is dropped; a shard being decoded stops).
    func close() {
        condition.withLock {
            closed = true
            queued.removeAll()
            decoding?.stop()
            condition.broadcast()
        }
    }

    private func readShards() {
        while let index = nextRequest() {
            let result = Result { () throws -> any MDSSampleSource in
                if self.progressive, let shard = try dataset.progressiveShard(index) { return shard }
                return try dataset.shard(index)
            }
            let inPieces = (try? result.get()) as? MDSProgressiveShard
            condition.withLock {
                if started[index] != nil { started[index] = .some(result) }
                decoding = inPieces
                if closed { inPieces?.stop() }
                condition.broadcast()
            }
            inPieces?.decode()
            condition.withLock {
                decoding = nil
                busy = false
                condition.broadcast()
            }
        }
    }

    private func nextRequest() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !closed && queued.isEmpty { condition.wait() }
        guard !closed else { return nil }
        let index = queued.removeFirst()
        started[index] = .some(nil)
        busy = true
        return index
    }
}
