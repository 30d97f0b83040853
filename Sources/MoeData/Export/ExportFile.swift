import Foundation

/// A file an export writes front to back through a 1 MiB buffer, under a temporary name until
/// `commit()` renames it to its own: a killed export leaves `.<name>.partial` files, never a
/// final name over incomplete bytes, so a rerun can trust every file that has its final name.
final class ExportFile {
    let url: URL
    let temporary: URL
    private var fd: Int32
    private var buffer: [UInt8] = []
    private static let bufferBytes = 1 << 20
    /// Bytes written so far (buffered ones included).
    private(set) var byteCount = 0

    init(_ url: URL) throws {
        self.url = url
        temporary = ExportFile.temporaryURL(of: url)
        fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ExportFile.error(temporary, "cannot create") }
        buffer.reserveCapacity(ExportFile.bufferBytes)
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Where `url` is written until it is complete.
    static func temporaryURL(of url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
    }

    static func error(_ url: URL, _ what: String) -> MoeDataError {
        MoeDataError("\(url.path): \(what) (\(String(cString: strerror(errno)).lowercased()))")
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > ExportFile.bufferBytes { try flush() }
        if bytes.count >= ExportFile.bufferBytes {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
        byteCount += bytes.count
    }

    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Integers in little-endian order, as every format written here stores them.
    func write<T: FixedWidthInteger>(littleEndian values: [T]) throws {
        try values.map(\.littleEndian).withUnsafeBytes { try write($0) }
    }

    func write<T: FixedWidthInteger>(littleEndian value: T) throws { try write(littleEndian: [value]) }

    /// Appends the whole content of the file at `other` (a spool), in 1 MiB reads.
    func append(contentsOf other: URL) throws {
        try flush()
        let input = open(other.path, O_RDONLY)
        guard input >= 0 else { throw ExportFile.error(other, "cannot open") }
        defer { close(input) }
        var chunk = [UInt8](repeating: 0, count: ExportFile.bufferBytes)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 { throw ExportFile.error(other, "cannot read") }
            if n == 0 { break }
            try chunk.withUnsafeBytes { try writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            byteCount += n
        }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
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
