// Shared by the harnesses that need real files (the stream readers open paths): one scratch
// folder per fuzzing process, in /dev/shm when there is one so a write costs no disk I/O.
import Foundation

enum FuzzScratch {
    nonisolated(unsafe) static var folder: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = (base as NSString).appendingPathComponent("moe-data-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: FuzzScratch.folder) }
        return path
    }()

    /// Writes `bytes` to `name` in the scratch folder and returns its path.
    static func write(_ bytes: UnsafeRawBufferPointer, to name: String) -> String {
        let path = (folder as NSString).appendingPathComponent(name)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot create \(path)")
        var done = 0
        while done < bytes.count, let base = bytes.baseAddress {
            let n = Foundation.write(fd, base + done, bytes.count - done)
            precondition(n > 0, "cannot write \(path)")
            done += n
        }
        close(fd)
        return path
    }
}
