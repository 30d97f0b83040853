/// Bytes the reader owns at a stable address (a window of a column chunk as read, a decompressed
/// page), so decoders can walk them through raw pointers. Allocated uninitialised: only what a read or a
/// decompressor writes is ever touched, so a header that claims a huge size costs address space,
/// not memory, until data really fills it.
final class OwnedBytes {
    let buffer: UnsafeMutableRawBufferPointer

    init(count: Int) {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        self.count = count
    }

    let count: Int

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<count]) }

    deinit { buffer.deallocate() }
}
