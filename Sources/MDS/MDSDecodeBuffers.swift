import Foundation

/// Memory of decoded shards that their readers are done with, kept for the next shards of the
/// same dataset. A fresh allocation of a shard's size is mapped page by page as the decoder
/// writes it, a page fault every 4 KiB: about a third of the decoding thread's time in a build,
/// which a kept buffer does not pay again. At most `keep` idle buffers are kept (the memory of
/// the shards being read stays the bound: a shard done gives its buffer to the next one).
final class MDSDecodeBuffers: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [UnsafeMutableRawBufferPointer] = []
    private let keep: Int
    /// Buffers allocated because no idle one was large enough (for the test).
    private(set) var made = 0

    init(keep: Int) {
        self.keep = keep
    }

    deinit {
        for buffer in idle { buffer.deallocate() }
    }

    /// A buffer of at least `bytes`: the smallest idle one that holds them, else a new one of
    /// `allocating` bytes (the shards' size limit, so that it holds any later shard; the pages
    /// past what a shard fills are never touched, and cost no memory).
    func take(_ bytes: Int, allocating: Int) -> UnsafeMutableRawBufferPointer {
        let kept: UnsafeMutableRawBufferPointer? = lock.withLock {
            let fitting = idle.indices.filter { idle[$0].count >= bytes }
            guard let best = fitting.min(by: { idle[$0].count < idle[$1].count }) else {
                made += 1
                return nil
            }
            return idle.remove(at: best)
        }
        return kept ?? UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes, allocating, 1), alignment: 16)
    }

    /// Gives `buffer` (from `take`) back; the smallest idle one is freed when more than `keep` are.
    func put(_ buffer: UnsafeMutableRawBufferPointer) {
        let freed: UnsafeMutableRawBufferPointer? = lock.withLock {
            idle.append(buffer)
            guard idle.count > keep, let smallest = idle.indices.min(by: { idle[$0].count < idle[$1].count })
            else { return nil }
            return idle.remove(at: smallest)
        }
        freed?.deallocate()
    }
}
