import Foundation
import JSON
import MoeTestSupport
import Testing

@testable import MoeTrain

/// The `moe-data train` executable, run as a child process on real data (byte-level tokens of the Python
/// tutorial's English prose).
@Suite(.serialized) struct TrainCommandTests {
    func run(_ args: [String]) throws -> ChildProcess.Output { try ChildProcess.moeData(args) }

    func log(_ url: URL) throws -> [[String: JSONValue]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            var o = try JSONValue.parse(Data($0.utf8)).objectValue ?? [:]
            o["tokens_per_s"] = nil
            return o
        }
    }

    func number(_ v: JSONValue?) -> Double {
        switch v {
        case .double(let d): return d;
        case .int(let i): return Double(i);
        default: return .nan
        }
    }

    /// Rows of real prose for the CLI runs (byte-level tokens, vocabulary 258).
    func writeData(_ data: URL) throws {
        try Fixtures.writePacked(
            data, rows: try Fixtures.proseRows(count: 24, length: 128), vocabSize: 258, sizeLimit: 1 << 13)
    }

    func trainArguments(_ data: URL, threads: Int) -> [String] {
        [
            "train", "--data", data.path, "--config", "tiny", "--batch-rows", "2", "--lr", "3e-3", "--warmup", "4",
            "--threads", String(threads), "--checkpoint-every", "5", "--log-every", "10", "--eval-rows", "4",
            "--eval-every", "10",
        ]
    }

    /// N steps in one go vs N/2 then `--resume` to N, each run its own child process (so the thread count is
    /// set there, never in the test process): identical logs and byte-identical checkpoints.
    func straightAndResumed(threads: Int, steps: Int, data: URL, work: URL) throws -> (URL, URL) {
        let common = trainArguments(data, threads: threads)
        let straight = work.appendingPathComponent("straight-\(threads)"),
            split = work.appendingPathComponent("split-\(threads)")
        let a = try run(common + ["--steps", String(steps), "--out", straight.path])
        #expect(a.status == 0, "\(a.stderr)")
        let b1 = try run(common + ["--steps", String(steps / 2), "--out", split.path])
        #expect(b1.status == 0, "\(b1.stderr)")
        let b2 = try run(common + ["--steps", String(steps), "--out", split.path, "--resume"])
        #expect(b2.status == 0, "\(b2.stderr)")
        #expect(b2.stdout.contains("starting at step \(steps / 2) of \(steps)"))
        #expect(
            try log(straight.appendingPathComponent("train_log.jsonl"))
                == (try log(split.appendingPathComponent("train_log.jsonl"))))
        let ca = try Data(contentsOf: straight.appendingPathComponent("checkpoint.safetensors"))
        let cb = try Data(contentsOf: split.appendingPathComponent("checkpoint.safetensors"))
        #expect(ca.count > 100_000)
        #expect(ca == cb, "checkpoints differ after a resume with --threads \(threads)")
        return (straight, split)
    }

    /// The checkpoint's tensor names, from its safetensors header.
    func tensorNames(_ url: URL) throws -> [String] {
        let bytes = try Data(contentsOf: url)
        let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONValue.parse(bytes.subdata(in: 8..<(8 + length))).objectValue ?? [:]
        return header.keys.filter { $0 != "__metadata__" }.sorted()
    }

    @Test func tinyPresetLearnsAndResumesStepForStep() throws {
        let data = try Fixtures.tempDir("cli-data"), work = try Fixtures.tempDir("cli-out")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: work) }
        try writeData(data)
        let (straight, _) = try straightAndResumed(threads: 1, steps: 20, data: data, work: work)
        // The byte comparison covers the optimizer state: Adam's moments are in the file, one per parameter.
        let names = try tensorNames(straight.appendingPathComponent("checkpoint.safetensors"))
        let params = names.filter { !$0.hasPrefix("adam_") }
        #expect(!params.isEmpty)
        #expect(names.filter { $0.hasPrefix("adam_m.") }.count == params.count)
        #expect(names.filter { $0.hasPrefix("adam_v.") }.count == params.count)

        let full = try log(straight.appendingPathComponent("train_log.jsonl"))
        #expect(full.count == 20)
        #expect(full.filter { $0["eval_ce"] != nil }.count == 2)
        let first = number(full.first?["ce"]), last = full.suffix(3).map { number($0["ce"]) }.reduce(0, +) / 3
        #expect(first > 5.5)  // ln(384) ≈ 5.95 at initialisation
        #expect(last < first - 1.0)  // byte-level prose: the model learns the letter distribution within 20 steps
        for key in ["aux_loss", "router_z_loss", "lr", "grad_norm", "expert_load", "dropped_fraction"] {
            #expect(full[0][key] != nil, "log lacks \(key)")
        }
        let svg = try String(contentsOf: straight.appendingPathComponent("loss.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("<polyline"))
    }

    /// The README's promise holds with 2 OpenBLAS threads too (BLAS may split a product across threads,
    /// but each output block is still summed by one thread in a fixed order).
    @Test func resumeIsByteIdenticalWithTwoBLASThreads() throws {
        let data = try Fixtures.tempDir("cli-data2"), work = try Fixtures.tempDir("cli-out2")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: work) }
        try writeData(data)
        _ = try straightAndResumed(threads: 2, steps: 10, data: data, work: work)
    }

    /// An independent count of the README's table, in Python from the shapes alone (not ParameterLayout):
    /// two vocabulary tables (embedding, untied head), a final RMSNorm; per layer two RMSNorms and q, k, v, o;
    /// dense layers one SwiGLU FFN (3 matrices), MoE layers (i % k == k - 1) a router, E experts and one shared FFN.
    static let countScript = """
        import sys
        def count(V, d, L, H, hd, F, E, k):
            ffn = 3 * d * F
            moe = [i for i in range(L) if i % k == k - 1]
            total = 2 * V * d + d
            for i in range(L):
                total += 2 * d + 4 * d * H * hd + (d * E + E * ffn + ffn if i in moe else ffn)
            return total, total - len(moe) * (E - 2) * ffn
        def fmt(n):
            return "%.2fB" % (n / 1e9) if n >= 1e9 else "%.1fM" % (n / 1e6)
        for shape in sys.argv[1:]:
            t, a = count(*map(int, shape.split(",")))
            print(fmt(t), fmt(a))
        """

    @Test func dryRunCountsOpenMoEShapes() throws {
        // name, shape (vocab, d, layers, heads, head dim, FFN, experts, MoE every), the README's total and activated.
        let cases = [
            ("openmoe-base", "256384,768,12,12,64,2048,16,4", "705.3M", "507.1M", "650M"),
            ("openmoe-8b", "256384,2048,24,24,128,8192,32,6", "9.30B", "3.27B", "8.7B"),
            ("openmoe-34b", "256384,3072,32,24,128,12288,32,4", "35.40B", "8.22B", "34B"),
        ]
        let python = try ChildProcess.run(ChildProcess.which("python3"), ["-c", Self.countScript] + cases.map(\.1))
        #expect(python.status == 0, "\(python.stderr)")
        #expect(python.stdout.split(separator: "\n").map(String.init) == cases.map { "\($0.2) \($0.3)" })
        for (name, _, total, activated, paper) in cases {
            let r = try run(["train", "--config", name, "--dry-run"])
            #expect(r.status == 0)
            #expect(r.stdout.contains("total parameters:     \(total)"), "\(r.stdout)")
            #expect(r.stdout.contains("activated parameters: \(activated)"))
            #expect(r.stdout.contains("OpenMoE paper (Table 11): \(paper) total"))
        }
    }

    /// `train --dense` then `train --upcycle-from` its checkpoint through the binary: the dense run has no
    /// expert, the upcycled one starts from it, and an upcycled run's first loss is the dense model's last
    /// level rather than a fresh model's.
    @Test func denseThenUpcycled() throws {
        let data = try Fixtures.tempDir("cli-data-up"), work = try Fixtures.tempDir("cli-out-up")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: work) }
        try writeData(data)
        let common = trainArguments(data, threads: 1)
        let dense = work.appendingPathComponent("dense"), up = work.appendingPathComponent("up")
        let a = try run(common + ["--steps", "20", "--dense", "--out", dense.path])
        #expect(a.status == 0, "\(a.stderr)")
        let denseCheckpoint = dense.appendingPathComponent("checkpoint.safetensors")
        #expect(try tensorNames(denseCheckpoint).allSatisfy { !$0.contains("moe.") })
        let b = try run(
            common + [
                "--steps", "2", "--upcycle-from", denseCheckpoint.path, "--gates", "renormalized", "--dropless",
                "--out", up.path,
            ])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stdout.contains("32 expert matrices from the dense FFNs, 2 routers at init"), "\(b.stdout)")
        let denseLog = try log(dense.appendingPathComponent("train_log.jsonl"))
        let upLog = try log(up.appendingPathComponent("train_log.jsonl"))
        let fresh = number(denseLog.first?["ce"]), learned = number(denseLog.last?["ce"])
        #expect(number(upLog.first?["ce"]) < fresh - 1.0, "starts from the dense model (\(learned)), not afresh")
        let both = try run(common + ["--dense", "--upcycle-from", denseCheckpoint.path, "--out", up.path])
        #expect(both.status != 0 && both.stderr.contains("exclude each other"))
    }

    @Test func badInputFailsWithAClearMessage() throws {
        let missing = try run(["train", "--data", "/nonexistent/moe-out", "--steps", "1"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent/moe-out") && missing.stderr.contains("moe-data build"))
        let unknown = try run(["train", "--config", "huge", "--dry-run"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("unknown config 'huge'"))
    }
}
