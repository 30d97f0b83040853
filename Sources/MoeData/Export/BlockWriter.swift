import Foundation

/// Writes a large export file (a `.bin`, a `.npy`) on a thread of its own, in blocks of 2 MiB
/// aligned to 4 KiB, with O_DIRECT where the file system takes it: the bytes go from the block
/// to the disk without a copy into the page cache, and the export goes on filling the next block
/// meanwhile. Through the page cache, every byte was copied once more by the kernel into pages it
/// had to allocate, and a virtual machine's fresh pages cost more than the copy (`dd conv=fsync`
/// through the page cache ran at a quarter of `dd oflag=direct` on the machine of BENCHMARKS.md).
/// Memory: `blocks` blocks, whatever the file's size.
final class BlockWriter: @unchecked Sendable {
    static let blockBytes = 2 << 20
    static let alignment = 4096

    private let fd: Int32
    private let url: URL
    private var direct: Bool
    private let pending = BoundedQueue<(block: UnsafeMutableRawBufferPointer, count: Int)>(capacity: 4)
    private let free: BoundedQueue<UnsafeMutableRawBufferPointer>
    private var blocks: [UnsafeMutableRawBufferPointer] = []
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    /// The first write error, thrown by the next call.
    private var failure: (any Error)?
    private var finished = false
    private var closed = false

    /// Opens `url` for writing (created or truncated), with O_DIRECT when the file system allows it.
    init(_ url: URL, blocks count: Int = 3) throws {
        self.url = url
        var fd: Int32 = -1
        if let flag = BlockWriter.directFlag {
            fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | flag, 0o644)
        }
        direct = fd >= 0
        if fd < 0 { fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
        guard fd >= 0 else { throw ExportFile.error(url, "cannot create") }
        self.fd = fd
        free = BoundedQueue(capacity: count)
        for _ in 0..<count {
            let block = UnsafeMutableRawBufferPointer.allocate(
                byteCount: BlockWriter.blockBytes, alignment: BlockWriter.alignment)
            blocks.append(block)
            _ = free.push(block)
        }
        Thread { [self] in run() }.start()
    }

    deinit {
        for block in blocks { block.deallocate() }
    }

    /// O_DIRECT of <fcntl.h>, which Swift's Glibc module does not declare: its value depends on the
    /// architecture. nil where it is not known (the file is then written through the page cache).
    static var directFlag: Int32? {
        #if os(Linux) && arch(x86_64)
            return 0o40000
        #elseif os(Linux) && arch(arm64)
            return 0o200000
        #else
            return nil
        #endif
    }

    /// An empty block to fill (waiting while every block is being written).
    func take() throws -> UnsafeMutableRawBufferPointer {
        try check()
        guard let block = free.pop() else { throw ExportFile.error(url, "write failed") }
        return block
    }

    /// Writes `count` bytes of `block` (a whole block: the last, partial one goes to `finish`).
    func hand(_ block: UnsafeMutableRawBufferPointer, count: Int) throws {
        try check()
        guard pending.push((block, count)) else { throw ExportFile.error(url, "write failed") }
    }

    /// Waits for the blocks handed over, writes the last `count` bytes of `block` (the aligned part
    /// directly, the rest through the page cache) and syncs the file, which stays open.
    func finish(_ block: UnsafeMutableRawBufferPointer, count: Int) throws {
        stopThread()
        try check()
        let aligned = direct ? count / BlockWriter.alignment * BlockWriter.alignment : 0
        try writeAll(UnsafeRawBufferPointer(rebasing: block[0..<aligned]))
        if aligned < count {
            try endDirect()
            try writeAll(UnsafeRawBufferPointer(rebasing: block[aligned..<count]))
        }
        guard fsync(fd) == 0 else { throw ExportFile.error(url, "fsync failed") }
    }

    /// Stops writing (what was not written is dropped) and closes the file.
    func close() {
        stopThread()
        guard !closed else { return }
        closed = true
        Foundation.close(fd)
    }

    private func stopThread() {
        guard !finished else { return }
        finished = true
        pending.close()
        done.wait()
    }

    private func run() {
        while let (block, count) = pending.pop() {
            if lock.withLock({ failure == nil }) {
                do { try writeAll(UnsafeRawBufferPointer(rebasing: block[0..<count])) } catch {
                    lock.withLock { failure = error }
                }
            }
            _ = free.push(block)
        }
        done.signal()
    }

    private func check() throws {
        if let failure = lock.withLock({ failure }) { throw failure }
    }

    /// Clears O_DIRECT: for a tail that is not whole 4 KiB, or a file system that refuses a direct write.
    private func endDirect() throws {
        guard direct, let flag = BlockWriter.directFlag else { return }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags & ~flag) == 0 else {
            throw ExportFile.error(url, "cannot clear O_DIRECT")
        }
        direct = false
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var written = 0
        while written < bytes.count, let base = bytes.baseAddress {
            let n = Foundation.write(fd, base + written, bytes.count - written)
            if n > 0 {
                written += n
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && errno == EINVAL && direct {
                // Opened with O_DIRECT but a write refused: the rest goes through the page cache.
                try endDirect()
            } else {
                throw ExportFile.error(url, "write failed")
            }
        }
    }
}
