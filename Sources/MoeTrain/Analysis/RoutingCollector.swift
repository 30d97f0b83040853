import Foundation
import PackedFormat

/// A packed row plus, per segment id, the source its provenance names and the language of its
/// documents (filled in by `DocumentLanguages`; a segment without one is absent).
public struct AnalysisRow: Sendable {
    public var row: PackedRow
    public var segmentSources: [Int: String]
    public var segmentLanguages: [Int: String] = [:]

    public init(row: PackedRow, segmentSources: [Int: String], segmentLanguages: [Int: String] = [:]) {
        self.row = row
        self.segmentSources = segmentSources
        self.segmentLanguages = segmentLanguages
    }
}

/// Runs trained checkpoints in evaluation mode over packed rows and records every MoE layer's routing.
public enum RoutingCollector {
    /// A checkpoint's model (parameters only) and the run config and step saved with it.
    public static func loadModel(checkpoint url: URL) throws -> (model: MoEModel<Float>, config: TrainConfig, step: Int)
    {
        let file = try SafeTensors.read(url)
        guard file.metadata["format"] == Trainer.format, let json = file.metadata["config"] else {
            throw TrainError("\(url.path): not a moe-data trainer checkpoint (metadata 'format'/'config' missing)")
        }
        let config = try TrainConfig.from(json: json, source: url.path)
        // The saved shape sizes the allocations below: bound it first.
        do { try config.validate() } catch let e as TrainError { throw TrainError("\(url.path): \(e.description)") }
        guard let stepText = file.metadata["step"], let step = Int(stepText) else {
            throw TrainError("\(url.path): metadata 'step' missing or not an integer")
        }
        let model = try MoEModel<Float>(
            config: config.model, options: config.moe, seed: config.seed, initStd: config.initStd)
        model.threads = .shared
        for t in model.layout.tensors {
            let values = try file.floats(t.name, shape: t.shape)
            values.withUnsafeBufferPointer { buffer in
                if let base = buffer.baseAddress {
                    (model.params.pointer + t.offset).update(from: base, count: t.count)
                }
            }
        }
        return (model, config, step)
    }

    /// `count` rows spread evenly over the dataset (row i·rows/count), so every phase and mixture part is
    /// represented, each with its provenance's segment → source map.
    public static func readRows(_ dataset: PackedDataset, count: Int) throws -> [AnalysisRow] {
        let total = dataset.rowCount, n = min(max(1, count), total)
        return try (0..<n).compactMap { i in
            guard let (shard, local) = dataset.locator.locate(i * total / n) else { return nil }
            let row = try dataset.row(shard: shard, row: local, withProvenance: true)
            let sources = Dictionary(
                row.segments.map { ($0.segment, $0.source) },
                uniquingKeysWith: { _, last in last })
            return AnalysisRow(row: row, segmentSources: sources)
        }
    }

    /// Routing of every MoE layer over `rows`, `batchRows` rows per forward (a routing group is a
    /// micro-batch, as in training), with the evaluation capacity factor set to `capacityFactor`.
    /// `sourceIndex` numbers the source names, `languageIndex` the language names; unknown ones get −1.
    public static func collect(
        model: MoEModel<Float>, rows: [AnalysisRow], batchRows: Int, capacityFactor: Double,
        sourceIndex: [String: Int], languageIndex: [String: Int] = [:]
    ) throws -> [LayerRouting] {
        let c = model.config
        model.options.capacityFactorEval = capacityFactor
        model.options.dropless = false
        let sink = RoutingSink(layers: c.moeLayerCount, experts: c.experts, topK: c.topK)
        model.routingObserver = { layer, routing in sink.record(layer: layer, routing: routing) }
        defer { model.routingObserver = nil }
        for start in stride(from: 0, to: rows.count, by: max(1, batchRows)) {
            let part = rows[start..<min(rows.count, start + max(1, batchRows))]
            let batch = try TokenBatch(rows: part.map(\.row), vocabSize: c.vocabSize)
            // The same walk as TokenBatch: non-padding positions in row order.
            sink.pending = []
            for r in part {
                for j in r.row.segmentIds.indices where r.row.segmentIds[j] != 0 {
                    let segment = Int(r.row.segmentIds[j])
                    let name = r.segmentSources[segment], language = r.segmentLanguages[segment]
                    sink.pending.append(
                        TokenPlace(
                            position: Int32(r.row.positions[j]), offset: Int32(j),
                            source: Int32(name.flatMap { sourceIndex[$0] } ?? -1),
                            language: Int32(language.flatMap { languageIndex[$0] } ?? -1)))
                }
            }
            guard sink.pending.count == batch.count else {
                throw TrainError(
                    "\(part.first?.row.origin ?? "rows"): token bookkeeping mismatch (\(sink.pending.count) vs "
                        + "\(batch.count))"
                )
            }
            sink.inputs = batch.inputs
            _ = model.run(
                batch, scales: LossScales(targetsInStep: 1, microBatchWeight: 1), training: false,
                computeGradients: false)
        }
        return sink.layers
    }
}

/// Where one token of the current batch sits: position in its example, offset in its row, source and
/// language index.
struct TokenPlace {
    var position: Int32
    var offset: Int32
    var source: Int32
    var language: Int32 = -1
}

/// Collects the observer's callbacks into `LayerRouting`s (one forward at a time, single-threaded).
final class RoutingSink {
    var layers: [LayerRouting]
    /// Per token of the current batch, where it sits.
    var pending: [TokenPlace] = []
    var inputs: [Int32] = []

    init(layers: Int, experts: Int, topK: Int) {
        self.layers = Array(repeating: LayerRouting(experts: experts, topK: topK), count: layers)
    }

    func record(layer: Int, routing r: Routing<Float>) {
        guard layer < layers.count, r.tokens == pending.count else { return }
        let k = r.topK
        for t in 0..<r.tokens {
            let place = pending[t]
            layers[layer].append(
                tokenId: inputs[t], position: place.position, offset: place.offset, source: place.source,
                language: place.language,
                choices: Array(r.choice[(t * k)..<(t * k + k)]), gates: Array(r.gate[(t * k)..<(t * k + k)]),
                kept: (0..<k).map { r.slot[t * k + $0] >= 0 })
        }
    }
}
