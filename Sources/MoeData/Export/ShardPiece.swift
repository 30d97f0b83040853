/// A buffer of a shard's decompressed bytes that a `ShardDecoder` thread fills and the reader
/// of a `ShardSampleStream` empties; the same few buffers go back and forth for the whole read,
/// so no shard-sized array is ever allocated (nor its pages faulted in and freed again).
final class ShardPiece: @unchecked Sendable {
    let buffer: UnsafeMutableRawBufferPointer
    /// Bytes in use, from the start.
    var count = 0
    /// The decoding thread whose piece it is; nil for a shared one (`PiecePool`).
    let owner: Int?

    init(capacity: Int, owner: Int?) {
        buffer = .allocate(byteCount: capacity, alignment: 64)
        self.owner = owner
    }

    deinit { buffer.deallocate() }

    var isFull: Bool { count == buffer.count }

    /// The bytes in use.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<count]) }

    /// The room after the bytes in use.
    var room: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(rebasing: buffer[count...]) }
}
