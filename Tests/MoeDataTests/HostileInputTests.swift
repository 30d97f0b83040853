import Foundation
import JSON
import Testing

/// Inputs a hostile or careless user can give: special files, byte order marks, YAML alias
/// bombs, huge manifests, repeated ids. Each gets a clear error or a counted skip, never a hang.
@Suite(.serialized) struct HostileInputTests {
    /// Runs the binary, killing it after `seconds` so a hang fails the test instead of blocking it.
    static func runBounded(_ args: [String], seconds: Double = 60) throws -> (status: Int32, stderr: String, hung: Bool)
    {
        let p = Process()
        p.executableURL = TestSupport.binary
        p.arguments = args
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        let hung = p.isRunning
        if hung { kill(p.processIdentifier, SIGKILL) }
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self), hung)
    }

    /// A listening-free unix socket file at `path`.
    static func makeSocket(_ path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in path.utf8.prefix(buf.count - 1).enumerated() { buf[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(rc == 0, "bind \(path)")
        close(fd)
    }

    @Test func specialFilesAreNeverOpenedAndAreErrorsOrCountedSkips() throws {
        let dir = try TestSupport.tempDir("special")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data"), code = dir.appendingPathComponent("code")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: code, withIntermediateDirectories: true)
        try "{\"text\": \"a good record\"}\n".write(
            to: data.appendingPathComponent("good.jsonl"), atomically: true, encoding: .utf8)
        try "x = 1\n".write(to: code.appendingPathComponent("good.py"), atomically: true, encoding: .utf8)
        for fifo in [data.appendingPathComponent("fifo.jsonl").path, code.appendingPathComponent("pipe.py").path] {
            #expect(try TestSupport.run(TestSupport.which("mkfifo"), [fifo]).status == 0)
        }
        try HostileInputTests.makeSocket(data.appendingPathComponent("sock.jsonl").path)
        try FileManager.default.createSymbolicLink(
            atPath: data.appendingPathComponent("link.jsonl").path,
            withDestinationPath: data.appendingPathComponent("fifo.jsonl").path)
        try FileManager.default.createSymbolicLink(
            atPath: data.appendingPathComponent("broken.jsonl").path,
            withDestinationPath: dir.appendingPathComponent("nowhere").path)
        let sources = """
              - {name: web, format: jsonl, paths: ["\(data.path)", /dev/zero], domain: web}
              - {name: code, format: code, paths: ["\(code.path)"], extensions: {.py: Python}, domain: code}
            """
        for policy in ["fail", "skip"] {
            let sub = dir.appendingPathComponent(policy)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            let manifest = try TestSupport.manifest(in: sub, onError: policy, sources: sources)
            let r = try HostileInputTests.runBounded(["ingest", manifest, "--quiet"])
            #expect(!r.hung, "\(policy): ingest hung on a special file")
            if policy == "fail" {
                #expect(
                    r.status == 1 && r.stderr.contains("not a regular file") || r.stderr.contains("broken link"),
                    "\(r.stderr)")
                continue
            }
            #expect(r.status == 0, "\(r.stderr)")
            let stats = try JSONValue.parse(
                Data(try TestSupport.moeData(["stats", sub.appendingPathComponent("out").path, "--json"]).stdout.utf8))
            var reasons: [String: Int] = [:]
            for s in stats["skip_reasons"]?.arrayValue ?? [] {
                let key = "\(s["source"]?.stringValue ?? "") \(s["reason"]?.stringValue ?? "")"
                reasons[key, default: 0] += Int(s["count"]?.intValue ?? 0)
            }
            // fifo.jsonl and link.jsonl (a link to it) are both FIFOs.
            #expect(reasons["web a FIFO (named pipe), not a regular file"] == 2, "\(reasons)")
            #expect(reasons["web a socket, not a regular file"] == 1, "\(reasons)")
            #expect(reasons["web a character device, not a regular file"] == 1, "\(reasons)")
            #expect(reasons["web a broken link (its target does not exist)"] == 1, "\(reasons)")
            #expect(
                reasons["code a FIFO (named pipe), not a regular file"] == 1,
                "the FIFO in the code tree is counted: \(reasons)")
            let docs = try TestSupport.samples(sub.appendingPathComponent("out/tokens/web"))
            #expect(docs.count == 1)
        }
    }

    static let bom = Data([0xEF, 0xBB, 0xBF])

    @Test func aLeadingByteOrderMarkIsDroppedInEveryFormat() throws {
        let dir = try TestSupport.tempDir("bom")
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = try TestSupport.realLines(6)
        let jsonl = Data(lines.map { "{\"text\": \(TestSupport.jsonString($0))}\n" }.joined().utf8)
        let text = Data(lines.joined(separator: "\n").utf8)
        var sources = ""
        for withBOM in [false, true] {
            let sub = dir.appendingPathComponent(withBOM ? "bom" : "plain")
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            let prefix = withBOM ? HostileInputTests.bom : Data()
            try (prefix + jsonl).write(to: sub.appendingPathComponent("a.jsonl"))
            try (prefix + jsonl).write(to: sub.appendingPathComponent("z.jsonl"))
            try (prefix + jsonl).write(to: sub.appendingPathComponent("g.jsonl"))
            #expect(
                try TestSupport.run(
                    TestSupport.which("zstd"), ["-q", "--rm", sub.appendingPathComponent("z.jsonl").path]
                ).status == 0)
            #expect(
                try TestSupport.run(TestSupport.which("gzip"), [sub.appendingPathComponent("g.jsonl").path]).status == 0
            )
            try (prefix + text).write(to: sub.appendingPathComponent("t.txt"))
            try (prefix + text).write(to: sub.appendingPathComponent("c.py"))
            let tag = withBOM ? "bom" : "plain"
            sources += """
                  - {name: jsonl_\(tag), format: jsonl, paths: ["\(sub.path)/*.jsonl*"], domain: web}
                  - {name: text_\(tag), format: text, paths: ["\(sub.path)/t.txt"], domain: web}
                  - {name: code_\(tag), format: code, paths: ["\(sub.path)/c.py"], extensions: {.py: Python}, \
                  domain: code}

                """
        }
        // Under `fail`, a BOM must neither reject the file nor lose the first record.
        let manifest = try TestSupport.manifest(in: dir, onError: "fail", sources: sources)
        let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        for kind in ["jsonl", "text", "code"] {
            let plain = try TestSupport.samples(dir.appendingPathComponent("out/tokens/\(kind)_plain")).map {
                $0["tokens"]?.uint32s ?? []
            }
            let bom = try TestSupport.samples(dir.appendingPathComponent("out/tokens/\(kind)_bom")).map {
                $0["tokens"]?.uint32s ?? []
            }
            #expect(plain.count == (kind == "jsonl" ? 18 : 1))
            #expect(plain == bom, "\(kind): a BOM changed the documents")
        }
    }

    @Test func yamlAliasBombsSpecialFilesAndHugeFilesAreRefusedQuickly() throws {
        let dir = try TestSupport.tempDir("yaml")
        defer { try? FileManager.default.removeItem(at: dir) }
        var bomb = "a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n"
        for (i, name) in "bcdefghijklmnop".enumerated() {
            let prev = i == 0 ? "a" : String(Array("bcdefghijklmnop")[i - 1])
            bomb += "\(name): &\(name) [" + Array(repeating: "*\(prev)", count: 9).joined(separator: ",") + "]\n"
        }
        let manifest = dir.appendingPathComponent("bomb.yaml").path
        try ("name: x\noutput: out\n" + bomb).write(toFile: manifest, atomically: true, encoding: .utf8)
        let m = try HostileInputTests.runBounded(["ingest", manifest], seconds: 20)
        #expect(!m.hung && m.status == 1, "\(m.stderr)")
        #expect(m.stderr.contains("bomb.yaml:3:") && m.stderr.contains("anchors"), "\(m.stderr)")

        // The source is a folder beside the output (an output inside a source is refused first).
        let docs = dir.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
        let good = try TestSupport.manifest(
            in: dir, sources: "  - {name: web, format: text, paths: [\"\(docs.path)\"], domain: web}")
        let mixture = dir.appendingPathComponent("mix.yaml").path
        try ("name: m\nphases:\n  - {name: p, budget: 10, weights: {web: 1}, objective: {type: causal}}\nx:\n  - *y\n")
            .write(toFile: mixture, atomically: true, encoding: .utf8)
        let x = try HostileInputTests.runBounded(["plan", good, "--mixture", mixture], seconds: 20)
        #expect(
            !x.hung && x.status == 1 && x.stderr.contains("mix.yaml:5:") && x.stderr.contains("aliases"), "\(x.stderr)")

        let fifo = dir.appendingPathComponent("fifo.yaml").path
        #expect(try TestSupport.run(TestSupport.which("mkfifo"), [fifo]).status == 0)
        let f = try HostileInputTests.runBounded(["ingest", fifo], seconds: 20)
        #expect(!f.hung && f.status == 1 && f.stderr.contains("FIFO"), "\(f.stderr)")

        let huge = dir.appendingPathComponent("huge.yaml").path
        try Data(count: 17 << 20).write(to: URL(fileURLWithPath: huge))
        let h = try HostileInputTests.runBounded(["ingest", huge], seconds: 20)
        #expect(!h.hung && h.status == 1 && h.stderr.contains("more than the limit"), "\(h.stderr)")
    }

    @Test func manySourcesGiveACappedListInErrors() throws {
        let dir = try TestSupport.tempDir("many")
        defer { try? FileManager.default.removeItem(at: dir) }
        let sources = (0..<500).map {
            "  - {name: s\($0), format: text, paths: [\"\(dir.path)/none\($0)\"], domain: web}"
        }
        let manifest = try TestSupport.manifest(in: dir, sources: sources.joined(separator: "\n"))
        let mixture = dir.appendingPathComponent("mix.yaml").path
        try "name: m\nphases:\n  - {name: p, budget: 10, weights: {nope: 1}, objective: {type: causal}}\n"
            .write(toFile: mixture, atomically: true, encoding: .utf8)
        let r = try HostileInputTests.runBounded(["build", manifest, "--mixture", mixture, "--quiet"], seconds: 60)
        #expect(
            r.status == 1 && r.stderr.contains("unknown source 'nope'") && r.stderr.contains("488 more"),
            "\(r.stderr.prefix(400))")
        #expect(r.stderr.count < 1000, "the error lists every source: \(r.stderr.count) characters")
    }

    @Test func repeatedIdFieldValuesAreErrorsOrCountedSkips() throws {
        let dir = try TestSupport.tempDir("ids")
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = try TestSupport.realLines(40)
        var text = ""
        for (i, l) in lines.enumerated() {
            text += "{\"id\": \"d\(i % 30)\", \"text\": \(TestSupport.jsonString(l))}\n"
        }
        try text.write(to: dir.appendingPathComponent("a.jsonl"), atomically: true, encoding: .utf8)
        let source = "  - {name: web, format: jsonl, paths: [\"\(dir.path)/a.jsonl\"], domain: web, id_field: id}"
        for policy in ["fail", "skip"] {
            let sub = dir.appendingPathComponent(policy)
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            let manifest = try TestSupport.manifest(in: sub, onError: policy, shardSize: "1KiB", sources: source)
            let r = try TestSupport.moeData(["ingest", manifest, "--quiet"])
            if policy == "fail" {
                #expect(
                    r.status == 1 && r.stderr.contains("a.jsonl:31") && r.stderr.contains("repeated id value 'd0'"),
                    "\(r.stderr)")
                continue
            }
            #expect(r.status == 0, "\(r.stderr)")
            let docs = try TestSupport.samples(sub.appendingPathComponent("out/tokens/web"))
            let ids = docs.compactMap { $0["doc_id"]?.string }
            #expect(ids.count == 30 && Set(ids).count == 30, "\(ids)")
            let stats = try TestSupport.moeData(["stats", sub.appendingPathComponent("out").path])
            #expect(stats.stdout.contains("repeated id value"), "\(stats.stdout)")
        }
    }
}
