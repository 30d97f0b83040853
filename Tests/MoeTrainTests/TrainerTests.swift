import Foundation
import JSON
import MDS
import PackedFormat
import Testing

@testable import MoeTrain

@Suite(.serialized) struct TrainerTests {
    static let vocab = 23

    func smallConfig(steps: Int, lr: Double = 3e-3, checkpointEvery: Int = 3, accumulation: Int = 1) -> TrainConfig {
        var model = Fixtures.tinyConfig(vocab: 128)
        model.dModel = 16
        model.headDim = 8
        model.ffnDim = 24
        var moe = MoEOptions()
        moe.minCapacity = 2
        var config = TrainConfig(
            model: model, moe: moe, schedule: LRSchedule(kind: .rsqrt, peak: lr, warmup: 2, totalSteps: steps),
            batchRows: 2, accumulation: accumulation, shuffle: true, seed: 11, checkpointEvery: checkpointEvery)
        config.evalRows = 3
        config.evalEvery = 2
        return config
    }

    func dataset(rows: Int = 12, sizeLimit: Int = 1 << 10) throws -> (URL, PackedDataset) {
        let dir = try Fixtures.tempDir("data")
        let packed = (0..<rows).map { i in
            Fixtures.row(
                [
                    Fixtures.doc(5 + i % 7, seed: UInt64(i), vocab: Self.vocab),
                    Fixtures.doc(9, seed: UInt64(100 + i), vocab: Self.vocab),
                ], length: 24, prefixLengths: [0, 2],
                origin: "fixture \(i)")
        }
        try Fixtures.writePacked(dir, rows: packed, vocabSize: Self.vocab, sizeLimit: sizeLimit)
        return (dir, try PackedDataset(path: dir))
    }

    @Test func readsRowsInOrderAndInASeededShuffle() throws {
        let (dir, data) = try dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(data.shardCount > 1)
        #expect(data.info.paddedVocabSize == 128)
        let inOrder = RowStream(dataset: data, shuffle: false, seed: 1)
        let firsts = try (0..<12).map { _ in try inOrder.next().origin }
        #expect(firsts.map { $0.hasSuffix("row 0") }.filter { $0 }.count == data.shardCount)
        let tokens = try (0..<12).map { _ in try inOrder.next().tokens }  // second epoch, same order
        let again = RowStream(dataset: data, shuffle: false, seed: 1)
        #expect(try (0..<12).map { _ in try again.next().tokens } == tokens)
        #expect(inOrder.position == DataPosition(epoch: 1, cursor: 12))

        let s1 = RowStream(dataset: data, shuffle: true, seed: 5), s2 = RowStream(dataset: data, shuffle: true, seed: 5)
        let a = try (0..<12).map { _ in try s1.next().tokens }, b = try (0..<12).map { _ in try s2.next().tokens }
        #expect(a == b)
        #expect(a != tokens)
        #expect(Set(a.map { $0.description }) == Set(tokens.map { $0.description }))
        // Seeking to a saved position continues the same sequence.
        let s3 = RowStream(dataset: data, shuffle: true, seed: 5)
        s3.seek(to: DataPosition(epoch: 0, cursor: 7))
        #expect(try s3.next().tokens == a[7])
    }

    @Test func missingOrCorruptShardIsNamed() throws {
        let (dir, _) = try dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let shard1 = dir.appendingPathComponent("shard.00001.mds.zstd")
        var bytes = try [UInt8](Data(contentsOf: shard1))
        bytes[bytes.count / 2] ^= 0x5A
        try Data(bytes).write(to: shard1)
        let data = try PackedDataset(path: dir)
        do {
            for s in 0..<data.shardCount { _ = try data.row(shard: s, row: 0) }
            Issue.record("corrupt shard was read")
        } catch let e as TrainError {
            #expect(e.description.contains("shard.00001.mds.zstd"))
            #expect(e.description.contains("hash mismatch"))
        }
        try FileManager.default.removeItem(at: shard1)
        do {
            _ = try data.row(shard: 1, row: 0)
            Issue.record("missing shard was read")
        } catch let e as TrainError {
            #expect(e.description.contains("shard.00001.mds.zstd"))
            #expect(e.description.contains("missing"))
        }
    }

    /// moe-data.json of another format version, or of a release before versions, is refused with one
    /// sentence naming the file, the version found and the version this trainer reads.
    @Test func otherFormatVersionIsRefused() throws {
        let (dir, _) = try dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("moe-data.json")
        guard case .object(var fields) = try JSONValue.parse(Data(contentsOf: file)) else {
            Issue.record("moe-data.json is not an object")
            return
        }
        for (version, found) in [
            (JSONValue.int(3), "has format_version 3, written by a newer moe-data"),
            (.null, "was written by an older moe-data (no format_version)"),
        ] {
            fields["format_version"] = version == .null ? nil : version
            try Data(JSONValue.object(fields).encoded().utf8).write(to: file)
            #expect {
                try PackedDataset(path: dir)
            } throws: { error in
                let text = (error as? TrainError)?.description ?? ""
                return text.hasPrefix(file.path + " \(found)")
                    && text.contains("this moe-data reads format_version 1 or 2")
            }
        }
    }

    @Test func vocabularyLargerThanEmbeddingIsRefused() throws {
        let (dir, data) = try dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = smallConfig(steps: 1)
        config.model.vocabSize = 16  // the data says 23
        let out = try Fixtures.tempDir("out")
        defer { try? FileManager.default.removeItem(at: out) }
        do {
            _ = try Trainer(config: config, dataset: data, outDir: out, resume: false) { _ in }
            Issue.record("accepted a vocabulary larger than the embedding")
        } catch let e as TrainError {
            #expect(e.description.contains("moe-data.json"))
            #expect(e.description.contains("vocab_size 23"))
            #expect(e.description.contains("16 rows"))
        }
        // A token past the embedding in a row is named by row and position even if the metadata lies.
        var row = Fixtures.row([[3, 4, 40]], length: 4, origin: "shard.x row 3")
        row.tokens[2] = 40
        #expect(throws: TrainError.self) { try TokenBatch(rows: [row], vocabSize: 32) }
        do { _ = try TokenBatch(rows: [row], vocabSize: 32) } catch let e as TrainError {
            #expect(e.description.contains("shard.x row 3") && e.description.contains("position 2"))
        }
    }

    /// A run stopped after 3 steps and resumed to 6 logs the same numbers, step for step, as a run of 6.
    @Test func resumedRunMatchesUninterrupted() throws {
        try Fixtures.withBLASThreads(1) { try resumedRunMatchesUninterruptedBody() }
    }

    func resumedRunMatchesUninterruptedBody() throws {
        let (dir, data) = try dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let full = try Fixtures.tempDir("full"), split = try Fixtures.tempDir("split")
        defer { try? FileManager.default.removeItem(at: full); try? FileManager.default.removeItem(at: split) }
        let a = try Trainer(config: smallConfig(steps: 6), dataset: data, outDir: full, resume: false) { _ in }
        let fullRecords = try a.run()
        let b = try Trainer(
            config: smallConfig(steps: 3), dataset: try PackedDataset(path: dir), outDir: split, resume: false
        ) { _ in }
        try b.run()
        let c = try Trainer(
            config: smallConfig(steps: 6), dataset: try PackedDataset(path: dir), outDir: split, resume: true
        ) { _ in }
        #expect(c.step == 3)
        try c.run()
        func key(_ r: StepRecord) -> [Double] {
            [
                Double(r.step), r.loss, r.crossEntropy, r.auxLoss, r.routerZLoss, r.learningRate, r.gradNorm,
                Double(r.targets),
            ]
        }
        #expect(fullRecords.count == 6)
        #expect(c.records.count == 6)
        #expect(fullRecords.map(key) == c.records.map(key))
        #expect(a.model.params.array == c.model.params.array)
        // The log files agree line for line (expert loads and drops included), apart from the timing.
        func logLines(_ url: URL) throws -> [JSONValue] {
            try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
                var object = try JSONValue.parse(Data(line.utf8)).objectValue ?? [:]
                object["tokens_per_s"] = nil
                return .object(object)
            }
        }
        let fullLog = try logLines(a.logURL), splitLog = try logLines(c.logURL)
        #expect(fullLog.count == 6)
        #expect(fullLog.filter { $0["eval_ce"] != nil }.count == 3)  // steps 2, 4, 6
        #expect(fullLog == splitLog)
        // Resuming with different flags is refused.
        var other = smallConfig(steps: 8)
        other.seed = 12
        #expect(throws: TrainError.self) {
            try Trainer(config: other, dataset: data, outDir: split, resume: true) { _ in }
        }
        // And a fresh run never overwrites an existing checkpoint.
        #expect(throws: TrainError.self) {
            try Trainer(config: smallConfig(steps: 6), dataset: data, outDir: split, resume: false) { _ in }
        }
    }

    @Test func evaluationUsesTheEvalCapacityFactor() {
        let n = 64, d = 4, experts = 4
        let x = Buffer<Double>(count: n * d), wr = Buffer<Double>(count: experts * d)
        for (i, v) in Fixtures.randoms(n * d, seed: 1).enumerated() { x[i] = v }
        for (i, v) in Fixtures.randoms(experts * d, seed: 2).enumerated() { wr[i] = v }
        let options = MoEOptions()
        let train = Router.forward(
            x: x.pointer, wr: wr.pointer, n: n, d: d, experts: experts, topK: 2, options: options, training: true)
        let eval = Router.forward(
            x: x.pointer, wr: wr.pointer, n: n, d: d, experts: experts, topK: 2, options: options, training: false)
        #expect(options.capacity(tokens: n, experts: experts, training: true) == 20)  // round(1.25·64/4)
        #expect(options.capacity(tokens: n, experts: experts, training: false) == 32)  // 2.0·64/4
        #expect(options.capacity(tokens: 8, experts: experts, training: true) == 4)  // minimum 4
        #expect(train.dropped > eval.dropped)
        // Top-1 choices queue first: no top-1 assignment is dropped while a top-2 one is kept for that expert.
        for e in 0..<experts {
            let ranks = train.members[e].map { Int($0) % 2 }
            #expect(ranks == ranks.sorted())
        }
    }

    /// A diverging run stops with an error naming the step and the cause, and leaves the last good
    /// checkpoint untouched.
    @Test func nanLossStopsWithoutOverwritingTheCheckpoint() throws {
        let (dir, data) = try dataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = try Fixtures.tempDir("nan")
        defer { try? FileManager.default.removeItem(at: out) }
        // A learning rate of 1e30 leaves finite but huge weights after step 1 (checkpointed), and the
        // forward of step 2 overflows.
        let first = try Trainer(
            config: smallConfig(steps: 1, lr: 1e30, checkpointEvery: 1), dataset: data, outDir: out,
            resume: false
        ) { _ in }
        try first.run()
        let before = try Data(contentsOf: first.checkpointURL)
        let resumed = try Trainer(
            config: smallConfig(steps: 5, lr: 1e30, checkpointEvery: 1),
            dataset: try PackedDataset(path: dir), outDir: out, resume: true
        ) { _ in }
        do {
            try resumed.run()
            Issue.record("a diverged run finished")
        } catch let e as TrainError {
            #expect(e.description.contains("step 2"))
            #expect(e.description.contains("nan") || e.description.contains("inf"))
            #expect(e.description.contains("last good checkpoint is kept"))
        }
        #expect(try Data(contentsOf: first.checkpointURL) == before)
    }
}
