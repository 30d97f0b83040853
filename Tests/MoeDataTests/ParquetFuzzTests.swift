import Foundation
import MoeTestSupport
import Testing

@testable import MoeData

/// 2,000 random byte mutations and truncations of small valid Parquet files (three codecs, page v1
/// and v2, dictionary and delta encodings), each read by the release binary's Parquet reader
/// (`moe-data bench parquet`, text and kept columns) in child processes under a memory limit and a
/// timeout: every file ends in a result or an error, never a crash, a hang or 100 MB of memory.
@Suite(.serialized) struct ParquetFuzzTests {
    /// The mutations are the same on every run (SplitMix64 from a fixed seed).
    typealias Random = BuildRefusalFixtures.Generator

    static let mutants = 2000
    static let batch = 100

    /// One mutant of `base`: byte changes anywhere, or in the footer (where the Thrift decoder
    /// reads), a truncation, or both.
    static func mutate(_ base: [UInt8], _ random: inout Random, kind: Int) -> [UInt8] {
        var bytes = base
        let footerFrom = max(0, base.count - 8 - Int(base.suffix(8).prefix(2).enumerated().reduce(0) {
            $0 | Int($1.element) << (8 * $1.offset)
        }))
        if kind != 1 {
            for _ in 0..<(1 + random.below(4)) {
                let at = kind == 2 ? footerFrom + random.below(base.count - footerFrom) : random.below(base.count)
                bytes[at] = UInt8(truncatingIfNeeded: random.next())
            }
        }
        if kind == 1 || kind == 3 { bytes.removeSubrange(random.below(bytes.count)...) }
        return bytes
    }

    @Test func mutatedFilesGiveAResultOrAnErrorNeverACrashAHangOr100MB() throws {
        let dir = try TestSupport.tempDir("parquet-fuzz")
        defer { TempFolder.remove(dir) }
        try ParquetFixtures.make("fuzz", in: dir, rows: 30)
        let bases = try ["fuzz_snappy_dict_v1", "fuzz_zstd_delta_v2", "fuzz_gzip_dict_v2"].map {
            Array(try Data(contentsOf: dir.appendingPathComponent("parquet/\($0).parquet")))
        }
        let mutants = dir.appendingPathComponent("mutants")
        try FileManager.default.createDirectory(at: mutants, withIntermediateDirectories: true)
        var random = Random(state: 14)
        var paths: [String] = []
        for i in 0..<Self.mutants {
            let path = mutants.appendingPathComponent(String(format: "m%04d.parquet", i)).path
            try Data(Self.mutate(bases[i % bases.count], &random, kind: i % 4)).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        var errors = 0, results = 0
        for start in stride(from: 0, to: paths.count, by: Self.batch) {
            let files = Array(paths[start..<min(start + Self.batch, paths.count)])
            // ulimit -v bounds a runaway allocation; the 100 MB check is on the peak resident memory.
            let r = try ChildProcess.run(
                "/bin/bash",
                ["-c", "ulimit -v 4000000; exec \"$0\" \"$@\"", ChildProcess.binary.path, "bench", "parquet",
                 "--text-field", "content", "--keep", "lang,size,stars,avg,ratio,flag,max_stars_repo_path",
                 "--runs", "1"] + files,
                timeout: 300)
            #expect(!r.signaled && !r.timedOut && r.status == 0,
                    "files \(start)..<\(start + files.count): status \(r.status), \(r.stderr.suffix(2000))")
            let lines = r.stdout.split(separator: "\n")
            #expect(lines.count == files.count + 1, "a file without a result line in \(start)..<\(start + files.count)")
            errors += lines.filter { $0.contains("; error: ") }.count
            results += lines.filter { $0.hasSuffix("text bytes") }.count
            let peak = lines.last.flatMap { $0.split(separator: " ").dropLast().last.flatMap { Double($0) } }
            if let peak {
                #expect(peak < 100, "peak memory \(peak) MB reading files \(start)..<\(start + files.count)")
            } else {
                Issue.record("no summary line: \(r.stdout.suffix(500))")
            }
        }
        #expect(errors + results == Self.mutants && errors > 100 && results > 100,
                "\(errors) errors, \(results) results")
    }
}

extension BuildRefusalFixtures.Generator {
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}
