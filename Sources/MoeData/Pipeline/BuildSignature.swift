import FileSupport
import Foundation
import MDS
import PackedFormat

extension Build {
    /// What must be equal for an earlier build to be reused or resumed: the schedule, the seed,
    /// the tokenizer and where its sentinels come from, every source's ingest, the shard size, each
    /// phase's objective and length, and the order of documents within a source (`shuffle`; nil gives
    /// the signature of builds made before that order was named, which therefore never match), and
    /// the packed format.
    func signature(
        schedule: MixSchedule, seed: UInt64, tokenizer: Tokenizer, catalog: Catalog,
        shuffle: String? = Mixer.shuffleScheme
    ) throws -> String {
        // Dictionaries iterate in a per-process order in Swift: encode with sorted keys.
        let sortedEncoder = JSONEncoder()
        sortedEncoder.outputFormatting = [.sortedKeys]
        let objectives = try mixture.phases.map {
            String(decoding: try sortedEncoder.encode(SignedObjective($0.objective)), as: UTF8.self) + "|\($0.seqLen)"
        }
        let sourceSignatures = try manifest.sources.map { try catalog.sourceState($0.name)?.signature ?? "" }
            .joined(separator: ",")
        // Appended sentinels sign as their count, as before `from_model`; the model's own differ from
        // any count, so a build made with one is never reused or resumed with the other.
        let sentinels =
            tokenizer.sentinelSource == .fromModel
            ? "\(SentinelSource.fromModelName) \(tokenizer.sentinelCount)" : String(tokenizer.sentinelCount)
        var parts = [
            schedule.digest, String(seed), tokenizer.modelHash, sentinels,
            sourceSignatures, String(options.shardSizeBytes ?? 0), objectives.joined(separator: ";"),
        ]
        if let shuffle { parts.append("shuffle \(shuffle)") }
        // Without `dedup:` nothing is added: builds keep the signature they had before the stage.
        if manifest.dedup != nil { parts.append("dedup " + (try catalog.value("dedup.signature") ?? "")) }
        // A manifest's eos changes the rows; without one the model's own is part of its hash.
        if manifest.tokenizer.eos != nil { parts.append("eos \(tokenizer.eosId)") }
        // The default layout adds nothing: explicit builds keep the signature they had before `packed_format`.
        if manifest.packedFormat != .explicit { parts.append("packed_format " + manifest.packedFormat.rawValue) }
        return XXH64.hex(XXH64.hash(Array(parts.joined(separator: "\n").utf8)))
    }
}

/// A phase's objective in the form the signature hashes: the JSON that `ObjectiveSpec` encoded to
/// before its parameters were typed (a `params` map of tagged values). Kept to the byte, so that
/// outputs built before stay up to date and builds interrupted before still resume.
struct SignedObjective: Encodable {
    enum Param: Encodable {
        case int(Int)
        case string(String)
    }

    struct SignedDenoiser: Encodable {
        var name: String
        var kind: String
        var rate: Double
        var prefix: String
        var meanSpan: Double?
        var noiseDensity: Double?
    }

    var type: String
    var params: [String: Param] = [:]
    var denoisers: [SignedDenoiser]?

    init(_ spec: ObjectiveSpec) {
        type = spec.type.rawValue
        guard case .ul2(let ul2) = spec else { return }
        params = [
            "inputs_length": .int(ul2.inputsLength), "targets_length": .int(ul2.targetsLength),
            "mode_tokens": .string(ul2.modeTokens.rawValue),
        ]
        if let length = ul2.prefixLMLength { params["prefix_lm_length"] = .int(length) }
        denoisers = ul2.denoisers?.map {
            SignedDenoiser(
                name: $0.name, kind: $0.kind.rawValue, rate: $0.rate, prefix: $0.prefix,
                meanSpan: $0.meanSpan, noiseDensity: $0.noiseDensity)
        }
    }
}
