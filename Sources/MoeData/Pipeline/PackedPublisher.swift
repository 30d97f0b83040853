import FileSupport
import Foundation
import MDS

/// Puts a finished build's rows in place. Rows are written to `packed.partial/`; once the
/// catalog says the build is done, `index.json` and `moe-data.json` are written there from the
/// catalog, and the folder is exchanged with `packed/` in one `renameat2(RENAME_EXCHANGE)`, so a
/// complete `packed/` is never removed before its replacement is complete and readers never see
/// a half-written one. Every step can be redone: a run killed anywhere in here is finished by
/// the next one.
struct PackedPublisher {
    let output: URL
    var packed: URL { output.appendingPathComponent(PackedRows.directoryName) }
    var partial: URL { output.appendingPathComponent(PackedRows.directoryName + ".partial") }

    enum Outcome { case current, published, missing }

    /// What the catalog says `packed/` must hold.
    struct Expected {
        var shards: [MDSShardEntry]
        var index: [UInt8]
        var metadata: [UInt8]
        /// Shards the publishing process wrote itself, hashing their bytes as it wrote them: their
        /// names and sizes are checked, not their hashes again (reading back every shard of a
        /// 60M-token build took 17 ms of its last, one-thread moments). Shards an earlier process
        /// wrote (a resumed build's, a slice's) are hashed before they are published.
        var hashedAsWritten: Range<Int> = 0..<0
    }

    /// Makes `packed/` hold `expected`, finishing an interrupted publication; `.missing` when
    /// neither folder holds the recorded shards (deleted or damaged: the caller rebuilds).
    func publish(_ expected: Expected) throws -> Outcome {
        if PackedPublisher.holds(packed, expected) {
            // A kill after the exchange leaves the previous rows in packed.partial/.
            try remove(partial)
            try remove(URL(fileURLWithPath: packed.path + ".old"))
            return .current
        }
        guard
            PackedPublisher.holdsShards(partial, expected.shards, hashing: true, except: expected.hashedAsWritten)
        else { return .missing }
        try AtomicFile.write(expected.index, to: partial.appendingPathComponent("index.json"))
        try FaultPoint.packedIndexWritten.reached()
        try AtomicFile.write(expected.metadata, to: partial.appendingPathComponent(PackedRows.metadataFile))
        try FaultPoint.packedMetadataWritten.reached()
        try swap()
        try FaultPoint.packedSwapped.reached()
        try remove(partial)
        try FaultPoint.packedOldRemoved.reached()
        return .published
    }

    /// True when `dir` holds the recorded shards (names and sizes) and the index and metadata.
    static func holds(_ dir: URL, _ expected: Expected) -> Bool {
        guard holdsShards(dir, expected.shards, hashing: false) else { return false }
        let index = try? Data(contentsOf: dir.appendingPathComponent("index.json"))
        let meta = try? Data(contentsOf: dir.appendingPathComponent(PackedRows.metadataFile))
        return index == Data(expected.index) && meta == Data(expected.metadata)
    }

    /// True when every recorded shard is in `dir` with its recorded size (and hash, if asked,
    /// but for the shards at the indices `except`).
    static func holdsShards(_ dir: URL, _ shards: [MDSShardEntry], hashing: Bool, except: Range<Int> = 0..<0) -> Bool {
        for (i, e) in shards.enumerated() {
            let name = e.zipBasename ?? e.rawBasename
            let path = dir.appendingPathComponent(name).path
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) == e.zipBytes ?? e.rawBytes
            else { return false }
            if hashing && !except.contains(i) {
                guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)),
                    XXH64.hex(XXH64.hash(Array(data))) == (e.zipHashes ?? e.rawHashes)["xxh64"]
                else { return false }
            }
        }
        return true
    }

    /// Exchanges packed.partial/ and packed/ atomically (the previous rows end up in
    /// packed.partial/); a plain rename when there is no packed/ yet or the kernel or file
    /// system cannot exchange.
    func swap() throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: packed.path) {
            if PackedPublisher.renameExchange(partial.path, packed.path) { return syncOutput() }
            // No exchange: move the old rows aside first; a kill in between leaves no packed/,
            // and the next run finds the complete rows in packed.partial/ and renames them.
            try remove(URL(fileURLWithPath: packed.path + ".old"))
            guard rename(packed.path, packed.path + ".old") == 0 else { throw renameError(packed.path) }
        }
        guard rename(partial.path, packed.path) == 0 else { throw renameError(partial.path) }
        syncOutput()
        try remove(URL(fileURLWithPath: packed.path + ".old"))
    }

    func renameError(_ path: String) -> MoeDataError {
        MoeDataError("\(path): cannot rename into place (\(String(cString: strerror(errno))))")
    }

    func syncOutput() {
        let fd = open(output.path, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    func remove(_ url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        do { try FileManager.default.removeItem(at: url) } catch {
            throw MoeDataError("\(url.path): cannot remove (\(error.localizedDescription))")
        }
    }

    /// glibc's `renameat2` is not visible to Swift (it needs _GNU_SOURCE), so it is looked up at run time.
    static func renameExchange(_ a: String, _ b: String) -> Bool {
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        guard let symbol = dlsym(nil, "renameat2") else { return false }
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        let exchange: UInt32 = 1 << 1  // RENAME_EXCHANGE
        return renameat2(AT_FDCWD, a, AT_FDCWD, b, exchange) == 0
    }
}
