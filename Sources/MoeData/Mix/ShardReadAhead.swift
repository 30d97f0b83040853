import Foundation
import MDS

/// Reads and decompresses a token dataset's shards on a thread of its own, ahead of the mixer:
/// `SourceDocuments` asks for the shards of the window after the one it reads, and takes them
/// when it gets there. A shard's bytes are the same whoever decodes them, so the rows do not
/// change; only the mixer's thread no longer waits for zstd.
///
/// At most `limit` shards are read ahead (decoded or being decoded, not yet taken), so memory
/// stays bounded; a shard not asked for, or not ready, is read on the calling thread as before.
final class ShardReadAhead: @unchecked Sendable {
    let dataset: MDSDataset
    let limit: Int
    private let condition = NSCondition()
    /// Asked for, not yet started, oldest first.
    private var queued: [Int] = []
    /// Started or done, not yet taken.
    private var started: [Int: Result<MDSShard, any Error>?] = [:]
    private var closed = false

    init(dataset: MDSDataset, limit: Int = 2) {
        self.dataset = dataset
        self.limit = max(1, limit)
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

    /// Shard `index`: the one read ahead (waiting for it if it is being read), else read here.
    func shard(_ index: Int) throws -> MDSShard {
        condition.lock()
        if let position = queued.firstIndex(of: index) { queued.remove(at: position) }
        guard started[index] != nil else {
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

    /// Ends the thread (what it read and nobody took is dropped).
    func close() {
        condition.withLock {
            closed = true
            queued.removeAll()
            condition.broadcast()
        }
    }

    private func readShards() {
        while let index = nextRequest() {
            let result = Result { try dataset.shard(index) }
            condition.withLock {
                if started[index] != nil { started[index] = .some(result) }
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
        return index
    }
}
