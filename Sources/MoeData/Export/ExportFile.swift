import Foundation

/// A file an export writes front to back through a 1 MiB buffer, under a temporary name until
/// `commit()` renames it to its own: a killed export leaves `.<name>.partial` files, never a
/// final name over incomplete bytes, so a rerun can trust every file that has its final name.
final class ExportFile {
    let url: URL
    let temporary: URL
    private var fd: Int32
    /// Bytes not yet written, `filled` of them in use.
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
    private var filled = 0
    /// Bytes written so far (buffered ones included).
    private(set) var byteCount = 0

    init(_ url: URL) throws {
        self.url = url
        temporary = ExportFile.temporaryURL(of: url)
        fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            buffer.deallocate()
            throw ExportFile.error(temporary, "cannot create")
        }
    }

    deinit {
        if fd >= 0 { close(fd) }
        buffer.deallocate()
    }

    /// Where `url` is written until it is complete.
    static func temporaryURL(of url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
    }

    static func error(_ url: URL, _ what: String) -> MoeDataError {
        MoeDataError("\(url.path): \(what) (\(String(cString: strerror(errno)).lowercased()))")
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            if filled == buffer.count { try flush() }
            let n = min(bytes.count - done, buffer.count - filled)
            UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + n)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[done..<(done + n)]))
            filled += n
            done += n
        }
        byteCount += bytes.count
    }

    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Integers in little-endian order, as every format written here stores them.
    func write<T: FixedWidthInteger>(littleEndian value: T) throws {
        try withUnsafeBytes(of: value.littleEndian) { try write($0) }
    }

    /// Token ids as little-endian `T` (UInt16, UInt32 or Int32), converted straight into the buffer.
    func write<T: FixedWidthInteger>(_ tokens: ArraySlice<UInt32>, as type: T.Type) throws {
        let width = MemoryLayout<T>.size
        var next = tokens.startIndex
        while next < tokens.endIndex {
            if buffer.count - filled < width { try flush() }
            let n = min(tokens.endIndex - next, (buffer.count - filled) / width)
            for k in 0..<n {
                buffer.storeBytes(
                    of: T(truncatingIfNeeded: tokens[next + k]).littleEndian, toByteOffset: filled + k * width,
                    as: T.self)
            }
            filled += n * width
            next += n
        }
        byteCount += tokens.count * width
    }

    /// Appends the whole content of the file at `other` (a spool), in 1 MiB reads.
    func append(contentsOf other: URL) throws {
        try flush()
        let input = open(other.path, O_RDONLY)
        guard input >= 0 else { throw ExportFile.error(other, "cannot open") }
        defer { close(input) }
        var chunk = [UInt8](repeating: 0, count: buffer.count)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 { throw ExportFile.error(other, "cannot read") }
            if n == 0 { break }
            try chunk.withUnsafeBytes { try writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            byteCount += n
        }
    }

    func flush() throws {
        guard filled > 0 else { return }
        try writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<filled]))
        filled = 0
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count, let base = bytes.baseAddress {
            let n = Foundation.write(fd, base + done, bytes.count - done)
            if n <= 0 { throw ExportFile.error(temporary, "write failed") }
            done += n
        }
    }

    /// Flushes, syncs and closes the temporary file, then gives it its final name.
    func commit() throws {
        try flush()
        guard fsync(fd) == 0 else { throw ExportFile.error(temporary, "fsync failed") }
        close(fd)
        fd = -1
        guard rename(temporary.path, url.path) == 0 else { throw ExportFile.error(url, "rename failed") }
    }

    /// Closes and removes the temporary file (a spool, or work given up).
    func discard() {
        if fd >= 0 { close(fd) }
        fd = -1
        unlink(temporary.path)
    }
}
