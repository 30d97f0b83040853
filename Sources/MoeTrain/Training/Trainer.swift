import FileSupport
import Foundation
import JSON
import MDS
import PackedFormat

/// The training loop: reads packed rows, runs forward/backward per micro-batch, clips, steps AdamW,
/// logs, and checkpoints (atomically, and never from a broken state).
public final class Trainer {
    public let config: TrainConfig
    public let outDir: URL
    public let dataset: PackedDataset
    public let model: MoEModel<Float>
    public let optimizer: AdamW<Float>
    public let stream: RowStream
    /// Optimizer steps completed.
    public private(set) var step = 0
    public private(set) var records: [StepRecord] = []
    public var logEvery = 1
    /// Fractions of the run (0 < f ≤ 1) at which a copy of the checkpoint is kept as
    /// `checkpoint-step<N>.safetensors` (N = ⌈f · total steps⌉), for the routing analysis across training.
    public var snapshotFractions: [Double] = []
    private let say: (String) -> Void

    public var checkpointURL: URL { outDir.appendingPathComponent("checkpoint.safetensors") }
    public var logURL: URL { outDir.appendingPathComponent("train_log.jsonl") }
    public var plotURL: URL { outDir.appendingPathComponent("loss.svg") }
    static let format = "moe-data-train-checkpoint/1"

    /// Starts a fresh run in `outDir`, or with `resume` continues the one whose checkpoint is there.
    public init(
        config requested: TrainConfig, dataset: PackedDataset, outDir: URL, resume: Bool,
        say: @escaping (String) -> Void
    ) throws {
        let fm = FileManager.default
        self.outDir = outDir
        self.dataset = dataset
        self.say = say
        let checkpointPath = outDir.appendingPathComponent("checkpoint.safetensors")
        var config = requested
        var saved: SafeTensors.File?
        if resume {
            let file = try SafeTensors.read(checkpointPath)
            guard file.metadata["format"] == Trainer.format, let json = file.metadata["config"] else {
                throw TrainError(
                    "\(checkpointPath.path): not a moe-data trainer checkpoint (metadata 'format'/'config' missing)")
            }
            let savedConfig = try TrainConfig.from(json: json, source: checkpointPath.path)
            var comparable = requested
            comparable.schedule.totalSteps = savedConfig.schedule.totalSteps
            guard comparable == savedConfig else {
                let fields = comparable.differences(from: savedConfig).prefix(8).joined(separator: "; ")
                throw TrainError(
                    "\(checkpointPath.path): the run was started with a different configuration; a resumed run "
                        + "must use the same flags (only --steps may change). Differs: \(fields)")
            }
            config = savedConfig
            config.schedule.totalSteps = requested.schedule.totalSteps
            saved = file
        } else if fm.fileExists(atPath: checkpointPath.path) {
            throw TrainError(
                "\(checkpointPath.path) exists: pass --resume to continue that run, or choose another --out")
        }
        try config.validate()
        guard dataset.info.vocabSize <= config.model.vocabSize else {
            let metadata = dataset.directory.appendingPathComponent(PackedLayout.metadataFile).path
            throw TrainError(
                "\(metadata): vocab_size \(dataset.info.vocabSize) "
                    + "is larger than the model's embedding (\(config.model.vocabSize) rows, config "
                        + "'\(config.model.name)'); "
                    + "the tokenizer's ids would index past the table")
        }
        guard config.evalRows >= 0, config.evalRows < dataset.rowCount else {
            throw TrainError(
                "--eval-rows \(config.evalRows) must leave training rows (the dataset has \(dataset.rowCount))")
        }
        guard config.batchRows <= dataset.rowCount - config.evalRows else {
            throw TrainError(
                "--batch-rows \(config.batchRows) is more than the \(dataset.rowCount - config.evalRows) "
                    + "training rows of \(dataset.directory.path)")
        }
        let needed = config.estimatedBytes(seqLen: dataset.info.seqLen)
        let physical = Double(ProcessInfo.processInfo.physicalMemory)
        guard needed < physical else {
            throw TrainError(
                String(
                    format: "config '%@' with --batch-rows %d needs at least %.1f GB, more than this machine's "
                        + "%.1f GB of memory; use fewer --batch-rows (and --accumulate to keep the batch)",
                    config.model.name, config.batchRows, needed / 1e9, physical / 1e9))
        }
        self.config = config
        model = try MoEModel<Float>(
            config: config.model, options: config.moe, seed: config.seed, initStd: config.initStd)
        model.threads = .shared
        optimizer = AdamW<Float>(count: model.layout.total, settings: config.optimizer)
        stream = RowStream(
            dataset: dataset, shuffle: config.shuffle, seed: config.seed,
            rows: 0..<(dataset.rowCount - config.evalRows))
        if let saved {
            var position = DataPosition()
            try loadState(saved, position: &position)
            guard requested.schedule.totalSteps > step else {
                throw TrainError(
                    "\(checkpointPath.path) is at step \(step): --steps \(requested.schedule.totalSteps) must be "
                        + "more than that to continue the run")
            }
            stream.seek(to: position)
            records = try Trainer.readLog(outDir.appendingPathComponent("train_log.jsonl"), upTo: step)
        }
        // Created only now, when every check has passed: a refused run leaves no empty --out behind.
        try fm.createDirectory(at: outDir, withIntermediateDirectories: true)
        try AtomicFile.write(Array((try config.json() + "\n").utf8), to: outDir.appendingPathComponent("config.json"))
        // The log holds exactly the steps up to the checkpoint (a crashed run may have logged further).
        try AtomicFile.write(Array(records.map { $0.json.encoded() + "\n" }.joined().utf8), to: logURL)
    }

    private func loadState(_ file: SafeTensors.File, position: inout DataPosition) throws {
        func int(_ key: String) throws -> Int {
            guard let s = file.metadata[key], let v = Int(s), v >= 0 else {
                throw TrainError("\(file.path): metadata '\(key)' missing or invalid")
            }
            return v
        }
        step = try int("step")
        optimizer.step = try int("adam_step")
        position = DataPosition(epoch: try int("data_epoch"), cursor: try int("data_cursor"))
        for t in model.layout.tensors {
            for (prefix, buffer) in [("", model.params), ("adam_m.", optimizer.m), ("adam_v.", optimizer.v)] {
                let values = try file.floats(prefix + t.name, shape: t.shape)
                values.withUnsafeBufferPointer {
                    (buffer.pointer + t.offset).update(from: $0.baseAddress!, count: t.count)
                }
            }
        }
    }

    static func readLog(_ url: URL, upTo step: Int) throws -> [StepRecord] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [] }
        var out: [StepRecord] = []
        for (i, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            guard let json = try? JSONValue.parse(Data(line.utf8)), let s = json["step"]?.intValue else {
                throw TrainError("\(url.path): line \(i + 1) is not a step record")
            }
            if s > step { break }
            func num(_ k: String) -> Double {
                switch json[k] {
                case .double(let d): return d;
                case .int(let v): return Double(v);
                default: return 0
                }
            }
            var record = StepRecord(
                step: Int(s), loss: num("loss"), crossEntropy: num("ce"), auxLoss: num("aux_loss"),
                routerZLoss: num("router_z_loss"), outputZLoss: num("output_z_loss"), learningRate: num("lr"),
                gradNorm: num("grad_norm"), tokens: Int(num("tokens")), targets: Int(num("targets")),
                tokensPerSecond: num("tokens_per_s"),
                expertLoad: json["expert_load"]?.arrayValue?.map {
                    $0.arrayValue?.map { v in
                        if case .double(let d) = v { return d }; return Double(v.intValue ?? 0)
                    } ?? []
                } ?? [],
                droppedFraction: json["dropped_fraction"]?.arrayValue?.map {
                    if case .double(let d) = $0 { return d }; return Double($0.intValue ?? 0)
                } ?? [])
            if json["eval_ce"] != nil { record.evalCrossEntropy = num("eval_ce") }
            out.append(record)
        }
        return out
    }

    /// Trains until `config.schedule.totalSteps`; returns the records of the steps run now.
    @discardableResult
    public func run() throws -> [StepRecord] {
        let total = config.schedule.totalSteps
        let log = try FileHandle(forWritingTo: logURL)
        defer { try? log.close() }
        try log.seekToEnd()
        var fresh: [StepRecord] = []
        let clock = ContinuousClock()
        while step < total {
            let started = clock.now
            let record = try trainStep()
            let elapsed = clock.now - started
            var r = record
            // Every `evalEvery` steps (so a resumed run evaluates at the same steps), or only at the end.
            let evalDue = config.evalEvery > 0 ? (step + 1) % config.evalEvery == 0 : step + 1 == total
            if config.evalRows > 0, evalDue {
                r.evalCrossEntropy = try evaluate()
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            r.tokensPerSecond = Double(r.tokens) / max(seconds, 1e-9)
            step += 1
            records.append(r)
            fresh.append(r)
            try log.write(contentsOf: Data((r.json.encoded() + "\n").utf8))
            if step % max(1, logEvery) == 0 || step == total { say(r.line) }
            if step % max(1, config.checkpointEvery) == 0 || step == total { try saveCheckpoint() }
            if snapshotSteps(total: total).contains(step) { try saveCheckpoint(to: snapshotURL(step: step)) }
        }
        try writePlot()
        return fresh
    }

    /// One optimizer step (does not advance `step`).
    func trainStep() throws -> StepRecord {
        let rowsPerStep = config.batchRows * config.accumulation
        var rows: [PackedRow] = []
        rows.reserveCapacity(rowsPerStep)
        for _ in 0..<rowsPerStep { rows.append(try stream.next()) }
        var batches: [TokenBatch] = []
        for k in 0..<config.accumulation {
            batches.append(
                try TokenBatch(
                    rows: Array(rows[(k * config.batchRows)..<((k + 1) * config.batchRows)]),
                    vocabSize: config.model.vocabSize))
        }
        let targets = batches.reduce(0) { $0 + $1.targetCount }
        let scales = LossScales(targetsInStep: targets, microBatchWeight: 1 / Double(config.accumulation))
        model.zeroGrad()
        var ceSum = 0.0, outZ = 0.0, aux = 0.0, rz = 0.0, tokens = 0
        let moeLayers = config.model.moeLayerCount
        var load = [[Int]](repeating: [Int](repeating: 0, count: config.model.experts), count: moeLayers)
        var dropped = [Int](repeating: 0, count: moeLayers), assigned = [Int](repeating: 0, count: moeLayers)
        for batch in batches {
            let s = model.run(batch, scales: scales)
            ceSum += s.head.ceSum
            outZ += s.head.outputZSum
            tokens += s.tokens
            if !s.auxLoss.isEmpty {
                aux += s.auxLoss.reduce(0, +) / Double(s.auxLoss.count) / Double(config.accumulation)
                rz += s.routerZLoss.reduce(0, +) / Double(s.routerZLoss.count) / Double(config.accumulation)
            }
            for l in 0..<s.expertLoad.count {
                for e in 0..<s.expertLoad[l].count { load[l][e] += s.expertLoad[l][e] }
                dropped[l] += s.dropped[l]
                assigned[l] += s.assignments[l]
            }
        }
        let denominator = Double(max(1, targets))
        let ce = ceSum / denominator, oz = outZ / denominator
        let m = config.moe
        let loss = ce + m.auxLossWeight * aux + m.routerZLossWeight * rz + m.outputZLossWeight * oz
        let where_ = "step \(step + 1) (data epoch \(stream.position.epoch), row \(stream.position.cursor))"
        guard loss.isFinite else {
            throw TrainError(
                "\(where_): loss is \(loss) (cross-entropy \(ce), balance \(aux), router z \(rz), output z \(oz)); "
                    + "stopping without writing a checkpoint; \(lastGood)")
        }
        let norm = AdamW<Float>.norm(model.grads, threads: model.threads)
        guard norm.isFinite else {
            throw TrainError(
                "\(where_): gradient norm is \(norm) though the loss is \(loss); stopping without writing a "
                    + "checkpoint; \(lastGood)"
            )
        }
        let clip = config.optimizer.clipNorm
        let lr = config.schedule.rate(step: step)
        optimizer.update(
            params: model.params, grads: model.grads, layout: model.layout, lr: lr,
            gradScale: clip > 0 && norm > clip ? clip / norm : 1, threads: model.threads)
        return StepRecord(
            step: step + 1, loss: loss, crossEntropy: ce, auxLoss: aux, routerZLoss: rz, outputZLoss: oz,
            learningRate: lr, gradNorm: norm, tokens: tokens, targets: targets, tokensPerSecond: 0,
            expertLoad: load.map { l in
                let s = Double(max(1, l.reduce(0, +))); return l.map { Double($0) / s }
            },
            droppedFraction: zip(dropped, assigned).map { Double($0) / Double(max(1, $1)) })
    }

    /// Cross-entropy over the held-out rows, in order, with the evaluation capacity factor.
    public func evaluate() throws -> Double {
        let held = RowStream(
            dataset: dataset, shuffle: false, seed: 0,
            rows: (dataset.rowCount - config.evalRows)..<dataset.rowCount)
        var ceSum = 0.0, targets = 0, done = 0
        while done < config.evalRows {
            let n = min(config.batchRows, config.evalRows - done)
            let rows = try (0..<n).map { _ in try held.next() }
            let batch = try TokenBatch(rows: rows, vocabSize: config.model.vocabSize)
            let s = model.run(
                batch, scales: LossScales(targetsInStep: 1, microBatchWeight: 1), training: false,
                computeGradients: false)
            ceSum += s.head.ceSum
            targets += s.head.targets
            done += n
        }
        return ceSum / Double(max(1, targets))
    }

    private var lastGood: String {
        FileManager.default.fileExists(atPath: checkpointURL.path)
            ? "the last good checkpoint is kept at \(checkpointURL.path)" : "no checkpoint was written yet"
    }

    /// Writes parameters, Adam moments, step and data position; refuses non-finite parameters so a broken
    /// state never replaces a good checkpoint. The write is atomic (temporary file, fsync, rename).
    public func snapshotSteps(total: Int) -> Set<Int> {
        Set(snapshotFractions.map { max(1, min(total, Int((($0 * Double(total)) - 1e-9).rounded(.up)))) })
    }

    public func snapshotURL(step: Int) -> URL {
        outDir.appendingPathComponent(String(format: "checkpoint-step%06d.safetensors", step))
    }

    public func saveCheckpoint(to url: URL? = nil) throws {
        for t in model.layout.tensors {
            let p = model.params.pointer + t.offset
            for i in 0..<t.count where !p[i].isFinite {
                throw TrainError(
                    "step \(step): parameter \(t.name)[\(i)] is \(p[i]); the checkpoint was not written; \(lastGood)")
            }
        }
        var tensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)] = []
        for (prefix, buffer) in [("", model.params), ("adam_m.", optimizer.m), ("adam_v.", optimizer.v)] {
            for t in model.layout.tensors {
                tensors.append(
                    (prefix + t.name, t.shape, UnsafeBufferPointer(start: buffer.pointer + t.offset, count: t.count)))
            }
        }
        let metadata = [
            "format": Trainer.format, "config": try config.json(), "step": String(step),
            "adam_step": String(optimizer.step),
            "data_epoch": String(stream.position.epoch), "data_cursor": String(stream.position.cursor),
        ]
        try AtomicFile.write(SafeTensors.encode(tensors, metadata: metadata), to: url ?? checkpointURL)
    }

    public func writePlot() throws {
        let svg = LossPlot.svg(
            steps: records.map(\.step), losses: records.map(\.crossEntropy),
            title: "\(config.model.name): training cross-entropy")
        try AtomicFile.write(Array(svg.utf8), to: plotURL)
    }
}
