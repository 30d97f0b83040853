import Foundation

/// A file an export writes front to back through a buffer, under a temporary name until
/// `commit()` renames it to its own: a killed export leaves `.<name>.partial` files, never a
/// final name over incomplete bytes, so a rerun can trust every file that has its final name.
///
/// A `streamed` file (the tokens of a `.bin` or a `.npy`) is written by a `BlockWriter` thread
/// in 2 MiB blocks, around the page cache where the file system allows it. Other files (indexes,
/// metadata, spools) are written here through a 1 MiB buffer; every 8 MiB of them, the kernel is
/// told to start writing them to the disk (`Writeback`), so the `fsync` of `commit()` only waits
/// for the last few.
final class ExportFile {
    let url: URL
    let temporary: URL
    /// The file of a buffered file; -1 for a streamed one (its writer holds it) and once closed.
    private var fd: Int32 = -1
    private let writer: BlockWriter?
    /// Bytes not yet written, `filled` of them in use: this file's own buffer, or a writer's block.
    private var buffer: UnsafeMutableRawBufferPointer
    private var filled = 0
    /// Bytes written so far (buffered ones included).
    private(set) var byteCount = 0
    /// Bytes given to the kernel, and the first of them whose writing to the disk was not started.
    private var handedOver = 0
    private var writebackFrom = 0
    static let writebackBytes = 8 << 20

    init(_ url: URL, streamed: Bool = false) throws {
        self.url = url
        temporary = ExportFile.temporaryURL(of: url)
        if streamed {
            let writer = try BlockWriter(temporary)
            self.writer = writer
            do { buffer = try writer.take() } catch {
                writer.close()
                throw error
            }
        } else {
            writer = nil
            fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw ExportFile.error(temporary, "cannot create") }
            buffer = .allocate(byteCount: 1 << 20, alignment: 64)
        }
    }

    deinit {
        if let writer {
            writer.close()
        } else {
            if fd >= 0 { close(fd) }
            buffer.deallocate()
        }
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
            if filled == buffer.count { try spill() }
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
            if buffer.count - filled < 2 { try spill() }
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
        let input = open(other.path, O_RDONLY)
        guard input >= 0 else { throw ExportFile.error(other, "cannot open") }
        defer { close(input) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 { throw ExportFile.error(other, "cannot read") }
            if n == 0 { break }
            try chunk.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    /// Writes what the buffer holds (a buffered file's; a streamed file keeps its partial block).
    func flush() throws {
        guard writer == nil, filled > 0 else { return }
        try spill()
    }

    /// Empties the buffer: to the kernel here, or to the writer's thread as a whole block.
    private func spill() throws {
        if let writer {
            try writer.hand(buffer, count: filled)
            buffer = try writer.take()
            filled = 0
            return
        }
        var done = 0
        while done < filled, let base = buffer.baseAddress {
            let n = Foundation.write(fd, base + done, filled - done)
            if n <= 0 { throw ExportFile.error(temporary, "write failed") }
            done += n
        }
        handedOver += filled
        filled = 0
        if handedOver - writebackFrom >= ExportFile.writebackBytes {
            Writeback.start(fd, from: writebackFrom, count: handedOver - writebackFrom)
            writebackFrom = handedOver
        }
    }

    /// Writes the rest, syncs and closes the temporary file, then gives it its final name.
    func commit() throws {
        if let writer {
            try writer.finish(buffer, count: filled)
            writer.close()
        } else {
            try flush()
            guard fsync(fd) == 0 else { throw ExportFile.error(temporary, "fsync failed") }
            close(fd)
            fd = -1
        }
        filled = 0
        guard rename(temporary.path, url.path) == 0 else { throw ExportFile.error(url, "rename failed") }
    }

    /// Closes and removes the temporary file (a spool, or work given up).
    func discard() {
        if let writer { writer.close() }
        if fd >= 0 { close(fd) }
        fd = -1
        unlink(temporary.path)
    }
}
