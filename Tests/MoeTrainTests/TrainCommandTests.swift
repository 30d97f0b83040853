import Foundation
import MDS
import Testing
@testable import MoeTrain

/// The `moe-data train` executable, run as a child process on real data (byte-level tokens of the Python
/// tutorial's English prose).
@Suite(.serialized) struct TrainCommandTests {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `MOE_DATA_BINARY` (the README's test command points it at the release build), else the build folder's.
    func binary() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["MOE_DATA_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let dir = Bundle.main.executableURL?.deletingLastPathComponent() ?? URL(fileURLWithPath: ".build/debug")
        for candidate in [dir.appendingPathComponent("moe-data"), dir.deletingLastPathComponent().appendingPathComponent("moe-data")]
        where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        throw TrainError("moe-data executable not found next to \(dir.path); build the package first")
    }

    func run(_ args: [String]) throws -> Output {
        let p = Process()
        p.executableURL = try binary()
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    func log(_ url: URL) throws -> [[String: JSONValue]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            var o = try JSONValue.parse(Data($0.utf8)).objectValue ?? [:]
            o["tokens_per_s"] = nil
            return o
        }
    }

    func number(_ v: JSONValue?) -> Double {
        switch v { case .double(let d): return d; case .int(let i): return Double(i); default: return .nan }
    }

    @Test func tinyPresetLearnsAndResumesStepForStep() throws {
        let data = try Fixtures.tempDir("cli-data"), work = try Fixtures.tempDir("cli-out")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: work) }
        try Fixtures.writePacked(data, rows: try Fixtures.proseRows(count: 24, length: 128), vocabSize: 258, sizeLimit: 1 << 13)
        let common = ["train", "--data", data.path, "--config", "tiny", "--batch-rows", "2", "--lr", "3e-3", "--warmup", "4",
                      "--threads", "1", "--checkpoint-every", "5", "--log-every", "10", "--eval-rows", "4", "--eval-every", "10"]
        let straight = work.appendingPathComponent("straight"), split = work.appendingPathComponent("split")
        let a = try run(common + ["--steps", "20", "--out", straight.path])
        #expect(a.status == 0, "\(a.stderr)")
        let b1 = try run(common + ["--steps", "10", "--out", split.path])
        #expect(b1.status == 0, "\(b1.stderr)")
        let b2 = try run(common + ["--steps", "20", "--out", split.path, "--resume"])
        #expect(b2.status == 0, "\(b2.stderr)")
        #expect(b2.stdout.contains("starting at step 10 of 20"))

        let full = try log(straight.appendingPathComponent("train_log.jsonl"))
        #expect(full.count == 20)
        #expect(full.filter { $0["eval_ce"] != nil }.count == 2)
        #expect(full == (try log(split.appendingPathComponent("train_log.jsonl"))))
        let first = number(full.first?["ce"]), last = full.suffix(3).map { number($0["ce"]) }.reduce(0, +) / 3
        #expect(first > 5.5)           // ln(384) ≈ 5.95 at initialisation
        #expect(last < first - 1.0)    // byte-level prose: the model learns the letter distribution within 20 steps
        for key in ["aux_loss", "router_z_loss", "lr", "grad_norm", "expert_load", "dropped_fraction"] {
            #expect(full[0][key] != nil, "log lacks \(key)")
        }
        let svg = try String(contentsOf: straight.appendingPathComponent("loss.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("<polyline"))
        #expect(FileManager.default.fileExists(atPath: straight.appendingPathComponent("checkpoint.safetensors").path))
    }

    @Test func dryRunCountsOpenMoEShapes() throws {
        for (name, config, paper) in [("openmoe-base", ModelConfig.openMoEBase, "650M"), ("openmoe-8b", .openMoE8B, "8.7B"),
                                      ("openmoe-34b", .openMoE34B, "34B")] {
            let r = try run(["train", "--config", name, "--dry-run"])
            #expect(r.status == 0)
            let layout = ParameterLayout(config)
            func fmt(_ n: Int) -> String { n >= 1_000_000_000 ? String(format: "%.2fB", Double(n) / 1e9) : String(format: "%.1fM", Double(n) / 1e6) }
            #expect(r.stdout.contains("total parameters:     \(fmt(layout.total))"), "\(r.stdout)")
            #expect(r.stdout.contains("activated parameters: \(fmt(layout.activated))"))
            #expect(r.stdout.contains("OpenMoE paper (Table 11): \(paper) total"))
        }
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
