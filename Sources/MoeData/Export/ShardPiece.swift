/// A buffer of a shard's decompressed bytes that a `ShardDecoder` thread fills and the reader
/// of a `ShardSampleStream` empties; the same few buffers go back and forth for the whole read,
/// so no shard-sized array is ever allocated (nor its pages faulted in and freed again).
final class ShardPiece: @unchecked Sendable {
    let buffer: UnsafeMutableRawBufferPointer
    /// Bytes in use, from the start.
    var count = 0

    init(capacity: Int) {
        buffer = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit { buffer.deallocate() }

    var isFull: Bool { count == buffer.count }

    /// The bytes in use.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<count]) }

    /// The room after the bytes in use.
    var room: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(rebasing: buffer[count...]) }
}
