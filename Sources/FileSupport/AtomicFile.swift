import Foundation

/// Crash-safe file replacement: temporary name, fsync, rename, fsync of the folder.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to url: URL, beforeRename: (() throws -> Void)? = nil) throws {
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw AtomicFileError("\(tmp.path): cannot create (\(String(cString: strerror(errno))))") }
        var written = 0
        let ok: Bool = bytes.withUnsafeBytes { buf in
            while written < buf.count {
                let n = Foundation.write(fd, buf.baseAddress! + written, buf.count - written)
                if n <= 0 { return false }
                written += n
            }
            return true
        }
        if !ok || fsync(fd) != 0 {
            let msg = String(cString: strerror(errno))
            close(fd)
            throw AtomicFileError("\(tmp.path): write failed (\(msg))")
        }
        close(fd)
        try beforeRename?()
        guard rename(tmp.path, url.path) == 0 else {
            throw AtomicFileError("\(url.path): rename failed (\(String(cString: strerror(errno))))")
        }
        let dfd = open(url.deletingLastPathComponent().path, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
