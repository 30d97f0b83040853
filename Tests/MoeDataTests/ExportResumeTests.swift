import Foundation
import Testing

/// Both exports killed at every export fault point resume to the same bytes, a rerun with --force
/// writes the same bytes, and what must be refused is refused with one sentence.
@Suite(.serialized) struct ExportResumeTests {
    /// The two exports, with OLMo files small enough that the fixture's phase makes several.
    static let exports: [(name: String, args: [String])] = [
        ("megatron", ["export", "megatron"]), ("olmo", ["export", "olmo", "--max-file-bytes", "8KiB"]),
    ]

    static func export(_ args: [String], _ out: URL, to: URL, _ extra: [String] = []) throws -> TestSupport.Output {
        try TestSupport.moeData(Array(args.prefix(2)) + [out.path, "--to", to.path] + args.dropFirst(2) + extra)
    }

    /// Files an export must not leave behind once it has finished.
    static func leftovers(_ dir: URL) -> [String] {
        var found: [String] = []
        let walker = FileManager.default.enumerator(atPath: dir.path)
        while let path = walker?.nextObject() as? String {
            let name = (path as NSString).lastPathComponent
            if name.hasSuffix(".partial") || name.hasSuffix(".tmp") || name.hasPrefix(".moe-data-export") {
                found.append(path)
            }
        }
        return found
    }

    /// Export `which`: its name and arguments, the fixture's output, a new folder and `export` in it.
    static func setUp(_ which: Int, _ label: String) throws -> (String, [String], URL, URL, URL) {
        let (name, args) = exports[which]
        let dir = try TestSupport.tempDir("export-\(label)-\(name)")
        return (name, args, try ExportFixtures.built(), dir, dir.appendingPathComponent("export"))
    }

    @Test(arguments: [0, 1])
    func killedAtEveryPointResumesToTheSameBytes(_ which: Int) throws {
        let (name, args, out, dir, to) = try Self.setUp(which, "kill")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try Self.export(args, out, to: to)
        #expect(first.status == 0, "\(first.stderr)")
        let reference = try TestSupport.tree(to)
        #expect(reference.count >= 6, "\(reference.keys.sorted())")
        // Byte-identical when run again (with --force, over the finished export).
        let again = try Self.export(args, out, to: to, ["--force"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try TestSupport.tree(to) == reference, "\(name): a rerun with --force wrote other bytes")
        for point in ["export.file.written", "export.progress.recorded"] {
            for hit in [1, 3] {
                try FileManager.default.removeItem(at: to)
                let fault = "\(point):\(hit)"
                let stopped = try FaultPointTests.run(
                    Array(args.prefix(2)) + [out.path, "--to", to.path] + args.dropFirst(2), fault: fault)
                #expect(stopped.signalled && stopped.stderr.contains("fault point \(point)"), "\(name) \(fault)")
                let rerun = try Self.export(args, out, to: to)
                #expect(rerun.status == 0, "\(name) \(fault): \(rerun.stderr)")
                #expect(try TestSupport.tree(to) == reference, "\(name) \(fault): the resumed export differs")
                #expect(Self.leftovers(to).isEmpty, "\(name) \(fault): left \(Self.leftovers(to))")
            }
        }
    }

    @Test(arguments: [0, 1])
    func refusals(_ which: Int) throws {
        let (_, args, out, dir, to) = try Self.setUp(which, "refusals")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try Self.export(args, out, to: to).status == 0)
        // A finished export is overwritten only with --force.
        let again = try Self.export(args, out, to: to)
        #expect(again.status == 1)
        #expect(
            again.stderr.contains("already holds a finished export (moe-data-export.json); add --force"),
            "\(again.stderr)")
        // An output that is not built.
        let empty = dir.appendingPathComponent("not-built")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let notBuilt = try Self.export(args, empty, to: dir.appendingPathComponent("x"))
        #expect(notBuilt.status == 1)
        #expect(
            notBuilt.stderr.contains("not-built: not the output of a finished `moe-data build`"), "\(notBuilt.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x").path))
        // A phase the mixture does not have.
        let noPhase = try Self.export(args, out, to: dir.appendingPathComponent("y"), ["--phase", "nope"])
        #expect(noPhase.status == 1)
        #expect(noPhase.stderr.contains("has no phase 'nope'; its phases: ul2 (ul2), lm (causal)"), "\(noPhase.stderr)")
        // A folder with files no export wrote, even with --force.
        let foreign = dir.appendingPathComponent("foreign")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: foreign.appendingPathComponent("notes.txt"))
        let refused = try Self.export(args, out, to: foreign, ["--force"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("is not empty and its files (notes.txt)"), "\(refused.stderr)")
        #expect(FileManager.default.fileExists(atPath: foreign.appendingPathComponent("notes.txt").path))
    }
}
