import Foundation

/// Turns the errors Foundation throws for files (NSCocoaErrorDomain, NSPOSIXErrorDomain) into a
/// sentence that names the path, so a user never sees `Error Domain=NSCocoaErrorDomain Code=516`.
public enum FileErrors {
    /// A sentence for a file-system error, or nil when `error` is not one.
    public static func describe(_ error: any Error) -> String? {
        let ns = error as NSError
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return nil }
        let path =
            (ns.userInfo[NSFilePathErrorKey] as? String)
            ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
            ?? (ns.userInfo[NSURLErrorFailingURLErrorKey] as? URL)?.path
        let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError
        let reason: String
        switch (ns.domain, ns.code) {
        case (NSCocoaErrorDomain, CocoaError.fileWriteFileExists.rawValue):
            reason = "something is in the way: a file exists where a folder or file must be created"
        case (NSCocoaErrorDomain, CocoaError.fileNoSuchFile.rawValue),
            (NSCocoaErrorDomain, CocoaError.fileReadNoSuchFile.rawValue):
            reason = "does not exist"
        case (NSCocoaErrorDomain, CocoaError.fileReadNoPermission.rawValue),
            (NSCocoaErrorDomain, CocoaError.fileWriteNoPermission.rawValue):
            reason = "permission denied"
        case (NSCocoaErrorDomain, CocoaError.fileWriteOutOfSpace.rawValue):
            reason = "no space left on the device"
        case (NSCocoaErrorDomain, CocoaError.fileWriteVolumeReadOnly.rawValue):
            reason = "the file system is read-only"
        case (NSPOSIXErrorDomain, let code):
            reason = String(cString: strerror(Int32(code))).lowercased()
        default:
            if let u = underlying, u.domain == NSPOSIXErrorDomain {
                reason = String(cString: strerror(Int32(u.code))).lowercased()
            } else {
                reason = "the file operation failed (code \(ns.code))"
            }
        }
        return "\(path ?? "a file"): \(reason)"
    }
}

/// Output folders: checked before anything is written, so "the path is a file" is one sentence.
public enum OutputFolder {
    /// Creates `path` (and its parents) as a folder, or throws a sentence naming the path when it,
    /// or one of its parents, exists and is not a folder.
    public static func create(_ path: String, role: String = "output folder") throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        var probe = URL(fileURLWithPath: path).standardizedFileURL
        // Walk up to the first part that exists: it must be a folder.
        while !fm.fileExists(atPath: probe.path, isDirectory: &isDir) && probe.path != "/" {
            probe.deleteLastPathComponent()
        }
        if !isDir.boolValue {
            if probe.path == URL(fileURLWithPath: path).standardizedFileURL.path {
                throw MoeDataError("\(path): the \(role) is a file, not a folder; give a folder path")
            }
            throw MoeDataError("\(path): the \(role) cannot be made because \(probe.path) is a file, not a folder")
        }
        do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw MoeDataError(
                FileErrors.describe(error).map { "the \(role) cannot be made: \($0)" }
                    ?? "\(path): the \(role) cannot be made (\(error))")
        }
    }
}
