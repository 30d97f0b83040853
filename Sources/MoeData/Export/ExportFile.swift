import Foundation

/// A file an export writes front to back through a 1 MiB buffer, under a temporary name until
/// `commit()` renames it to its own: a killed export leaves `.<name>.partial` files, never a
/// final name over incomplete bytes, so a rerun can trust every file that has its final name.
///
/// Every 8 MiB written, the kernel is told to start writing them to the disk (`sync_file_range`),
/// so the disk works while the export decodes the next bytes, and the `fsync` of `commit()` only
/// waits for the last few: without it, nothing reached the disk before the `fsync` (the page
/// cache holds gigabytes), and the export waited for each whole file there with the CPU idle.
final class ExportFile {
    let url: URL
    let temporary: URL
    private var fd: Int32
    /// Bytes not yet written, `filled` of them in use.
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
    private var filled = 0
    /// Bytes written so far (buffered ones included).
    private(set) var byteCount = 0
    /// Bytes given to the kernel, and the first of them whose writing to the disk was not started.
    private var handedOver = 0
    private var writebackFrom = 0
    static let writebackBytes = 8 << 20

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

    /// Token ids (uint32) as `width`-byte little-endian integers: 4 copies them (uint32 and int32
    /// ids have the same bytes), 2 narrows them to uint16 straight into the buffer.
    func write(tokens: LittleEndianArray, width: Int) throws {
        guard width == 2 else { return try write(tokens.bytes) }
        guard let source = tokens.bytes.baseAddress else { return }
        var next = 0
        while next < tokens.count {
            if buffer.count - filled < 2 { try flush() }
            let n = min(tokens.count - next, (buffer.count - filled) / 2)
            guard let target = buffer.baseAddress else { return }
            ExportFile.narrow(source + 4 * next, to: target + filled, count: n)
            filled += 2 * n
            next += n
        }
        byteCount += 2 * tokens.count
    }

    /// `count` uint32 at `source` to uint16 at `target`, little-endian both (a loop the compiler vectorises).
    @inline(__always)
    static func narrow(_ source: UnsafeRawPointer, to target: UnsafeMutableRawPointer, count: Int) {
        for k in 0..<count {
            let id = UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self))
            target.storeBytes(of: UInt16(truncatingIfNeeded: id).littleEndian, toByteOffset: 2 * k, as: UInt16.self)
        }
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
        handedOver += bytes.count
        if handedOver - writebackFrom >= ExportFile.writebackBytes {
            Writeback.start(fd, from: writebackFrom, count: handedOver - writebackFrom)
            writebackFrom = handedOver
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
