import Foundation

/// One writer per output folder: `ingest`, `build` and `verify --repair` hold an exclusive
/// `flock` on `<output>/.lock` for their whole run. The kernel releases it when the process
/// ends, however it ends, so a killed run never leaves a stale lock. The file holds the
/// holder's PID, start time and command line, which a second writer's error quotes.
public final class OutputLock {
    public static let fileName = ".lock"
    private let fd: Int32
    public let path: String

    public convenience init(outputDirectory: String, arguments: [String] = CommandLine.arguments) throws {
        try OutputFolder.create(outputDirectory)
        try self.init(
            lockFile: (outputDirectory as NSString).appendingPathComponent(OutputLock.fileName),
            holding: outputDirectory, arguments: arguments)
    }

    /// Locks `lockFile`, which guards `holding` (named in the error when another run holds it):
    /// the output folder's `.lock`, or one ingest task's lock, so that the tasks of a partitioned
    /// ingest run side by side while each task has a single writer.
    public init(lockFile: String, holding outputDirectory: String, arguments: [String] = CommandLine.arguments) throws {
        path = lockFile
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw MoeDataError("\(path): cannot open the lock file (\(String(cString: strerror(errno))))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = OutputLock.holder(fd)
            close(fd)
            if reason == EWOULDBLOCK {
                throw MoeDataError(
                    """
                    \(outputDirectory): another moe-data run is writing to this output folder \
                    (\(holder ?? "holder unknown")); wait for it to end, or stop it, then run again
                    """)
            }
            throw MoeDataError("\(path): cannot lock (\(String(cString: strerror(reason))))")
        }
        let started = ISO8601DateFormatter().string(from: Date())
        let text = "pid \(getpid()), started \(started), command: \(arguments.joined(separator: " "))\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit { close(fd) }

    /// The holder's line from the lock file, if it wrote one.
    static func holder(_ fd: Int32) -> String? {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let text = String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
