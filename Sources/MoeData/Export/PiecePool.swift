import Foundation

/// The `ShardPiece`s of a `ShardSampleStream`'s decoding threads: each thread's own few, which
/// always come back to it, and a shared read-ahead that any thread may fill when its own are out.
///
/// The reader reads one shard at a time, decoded by one thread just in time; the other thread
/// decodes the next shard meanwhile, as far as pieces let it. With its own pieces only (8 MiB) it
/// stopped early in each 64 MiB shard and one core sat idle for most of it; the shared pieces let
/// it go about half a shard ahead, so both cores decode. The thread the reader waits for never
/// needs a shared piece: of its own, the reader holds two, it fills one, so one is always free.
final class PiecePool: @unchecked Sendable {
    private let condition = NSCondition()
    /// Free pieces of each thread, and free shared ones.
    private var own: [[ShardPiece]]
    private var shared: [ShardPiece]
    private var closed = false

    init(threads: Int, ownPieces: Int, sharedPieces: Int, pieceBytes: Int) {
        own = (0..<threads).map { thread in (0..<ownPieces).map { _ in ShardPiece(capacity: pieceBytes, owner: thread) }
        }
        shared = (0..<sharedPieces).map { _ in ShardPiece(capacity: pieceBytes, owner: nil) }
    }

    /// A free piece for `thread`: one of its own, else a shared one, waiting until there is one;
    /// nil once the pool is closed.
    func take(for thread: Int) -> ShardPiece? {
        condition.lock()
        defer { condition.unlock() }
        while !closed {
            if let piece = own[thread].popLast() ?? shared.popLast() { return piece }
            condition.wait()
        }
        return nil
    }

    /// Gives a read piece back to its thread or to the shared ones.
    func give(_ piece: ShardPiece) {
        piece.count = 0
        condition.withLock {
            if let owner = piece.owner { own[owner].append(piece) } else { shared.append(piece) }
            condition.broadcast()
        }
    }

    /// Wakes and ends every wait: the stream stopped.
    func close() {
        condition.withLock {
            closed = true
            condition.broadcast()
        }
    }
}
