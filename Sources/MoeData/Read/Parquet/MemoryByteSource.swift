/// Bytes in memory as a `ByteSource` (a compressed page for the gzip stream). The bytes must
/// outlive the source.
struct MemoryByteSource: ByteSource {
    let bytes: UnsafeRawBufferPointer
    private(set) var compressedOffset = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - compressedOffset)
        guard n > 0, let base = bytes.baseAddress else { return 0 }
        buffer.copyMemory(from: UnsafeRawBufferPointer(start: base + compressedOffset, count: n))
        compressedOffset += n
        return n
    }
}
