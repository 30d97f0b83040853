import Foundation

/// One writer per output folder: `ingest`, `build` and `verify --repair` hold an exclusive
/// `flock` on `<output>/.lock` for their whole run. The kernel releases it when the process
/// ends, however it ends, so a killed run never leaves a stale lock. The file holds the
/// holder's PID, start time and command line, which a second writer's error quotes.
public final class OutputLock {
    public static let fileName = ".lock"
    private let fd: Int32
    public let path: String

    public init(outputDirectory: String, arguments: [String] = CommandLine.arguments) throws {
        try OutputFolder.create(outputDirectory)
        path = (outputDirectory as NSString).appendingPathComponent(OutputLock.fileName)
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
