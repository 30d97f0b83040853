import Foundation

/// Starts writing a range of a file's dirty pages to the disk without waiting for it (Linux's
/// `sync_file_range(SYNC_FILE_RANGE_WRITE)`; elsewhere nothing: the `fsync` writes them). It
/// moves no data and promises nothing: `fsync` still makes the file durable.
enum Writeback {
    #if os(Linux)
        private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
        /// glibc has it, Swift's Glibc module does not declare it (it is behind _GNU_SOURCE).
        private static let syncFileRange: SyncFileRange? = {
            guard let symbol = dlsym(nil, "sync_file_range") else { return nil }
            return unsafeBitCast(symbol, to: SyncFileRange.self)
        }()
        /// SYNC_FILE_RANGE_WRITE in <fcntl.h>.
        private static let write: UInt32 = 2
    #endif

    static func start(_ fd: Int32, from offset: Int, count: Int) {
        #if os(Linux)
            _ = syncFileRange?(fd, Int64(offset), Int64(count), write)
        #endif
    }
}
