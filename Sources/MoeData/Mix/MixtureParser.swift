import Foundation
import Yams

/// Reads a mixture YAML file (schema in the header comment of `mixtures/openmoe-8b.yaml`).
///
/// The file is walked node by node with `YAMLField`, as manifests are, so that every error can
/// name the file, the line and the key path (`phases[1].weights.c4`), and so that unknown keys
/// (usually typos that would silently fall back to a default) are refused.
public enum MixtureParser {
    public static func load(path: String) throws -> Mixture {
        try parse(yaml: try BoundedYAML.read(path, what: "mixture file"), file: path)
    }

    public static func parse(yaml: String, file: String) throws -> Mixture {
        guard let root = try YAMLField.document(yaml, file: file) else {
            throw MoeDataError("\(file): the file is empty; a mixture needs `name` and `phases`")
        }
        return try MixtureReader(file: file).mixture(root)
    }
}

/// Builds a `Mixture` from the YAML tree.
struct MixtureReader {
    let file: String

    static let topKeys = ["name", "description", "seed", "total_tokens", "groups", "sources", "phases"]
    static let phaseKeys = ["name", "budget", "weights", "objective", "seq_len"]

    /// A group: members with inner weights; a group weight is split among members by them.
    struct Group {
        var members: [(source: String, weight: Double)]
    }

    func mixture(_ root: YAMLField) throws -> Mixture {
        var name: String?
        var description = ""
        var seed: UInt64?
        var totalTokens: Int?
        var totalField: YAMLField?
        var groups: [String: Group] = [:]
        var sources: [String: MixtureSourceOptions] = [:]
        var phasesField: YAMLField?
        for (key, field) in try root.mapping(allowed: Self.topKeys) {
            switch key {
            case "name": name = try field.string()
            case "description": description = try field.string()
            case "seed": seed = UInt64(try field.int(minimum: 0))
            case "total_tokens":
                totalTokens = try field.tokenCount()
                totalField = field
                if totalTokens == 0 { throw field.error("must be positive") }
            case "groups": groups = try self.groups(field)
            case "sources": sources = try self.sources(field)
            case "phases": phasesField = field
            default: break  // `mapping(allowed:)` has refused anything else
            }
        }
        guard let name, !name.isEmpty else { throw root.missing("name") }
        guard let phasesField else { throw root.missing("phases", ": a list of phases in order") }
        let phaseFields = try phasesField.sequence()
        guard !phaseFields.isEmpty else { throw phasesField.error("a mixture needs at least one phase") }

        // Budgets: absolute counts, `fraction:` of total_tokens, or `rest` (what is left of total_tokens).
        var budgets: [Int?] = []
        var restIndex: Int?
        var phases: [MixturePhase] = []
        var phaseNames: Set<String> = []
        for field in phaseFields {
            let (phase, budget) = try self.phase(field, groups: groups, totalTokens: totalTokens)
            guard phaseNames.insert(phase.name).inserted else {
                throw field.error("phase name '\(phase.name)' is used twice")
            }
            if budget == nil {
                guard restIndex == nil else { throw field.error("only one phase may have `budget: rest`") }
                restIndex = phases.count
            }
            budgets.append(budget)
            phases.append(phase)
        }
        // Budgets are summed with an overflow check: two of 9e18 tokens trapped here.
        var known = 0
        for (field, budget) in zip(phaseFields, budgets) {
            guard let budget else { continue }
            let (sum, overflow) = known.addingReportingOverflow(budget)
            guard !overflow else { throw field.error("the phase budgets add up to more than \(Int.max) tokens") }
            known = sum
        }
        if let restIndex {
            guard let totalTokens else {
                throw phaseFields[restIndex].error("`budget: rest` needs `total_tokens` at the top level")
            }
            guard totalTokens > known else {
                throw phaseFields[restIndex].error(
                    "budget: rest: the other phases already use \(known) of total_tokens \(totalTokens), nothing "
                        + "is left"
                )
            }
            phases[restIndex].budget = totalTokens - known
        } else if let totalTokens, let totalField, known != totalTokens {
            throw totalField.error(
                "total_tokens is \(TokenCount.grouped(totalTokens)) but the phase budgets add up to "
                    + "\(TokenCount.grouped(known)); make them agree or give one phase `budget: rest`"
            )
        }
        let total = phases.reduce(0) { $0 + $1.budget }
        for (source, options) in sources
        where !phases.contains(where: { p in p.weights.contains { $0.source == source } }) {
            throw MoeDataError("\(file): \(options.keyPath): source '\(source)' has options but no weight in any phase")
        }
        return Mixture(
            file: file, name: name, description: description, seed: seed ?? 0, phases: phases,
            sourceOptions: sources, declaredTotalTokens: totalTokens ?? total)
    }

    func groups(_ field: YAMLField) throws -> [String: Group] {
        var out: [String: Group] = [:]
        for (name, g) in try field.mapping() {
            var members: [(String, Double)] = []
            for (source, w) in try g.mapping() {
                let weight = try w.double()
                guard weight > 0 else { throw w.error("a group member's weight must be positive, got \(weight)") }
                members.append((source, weight))
            }
            guard !members.isEmpty else { throw g.error("a group needs at least one member") }
            out[name] = Group(members: members)
        }
        return out
    }

    func sources(_ field: YAMLField) throws -> [String: MixtureSourceOptions] {
        var out: [String: MixtureSourceOptions] = [:]
        for (name, s) in try field.mapping() {
            var maxEpochs = 1
            for (key, v) in try s.mapping(allowed: ["max_epochs"]) where key == "max_epochs" {
                maxEpochs = try v.int(minimum: 1)
            }
            out[name] = MixtureSourceOptions(maxEpochs: maxEpochs, keyPath: s.path)
        }
        return out
    }

    /// One phase; its budget is nil for `rest`.
    func phase(_ field: YAMLField, groups: [String: Group], totalTokens: Int?) throws -> (MixturePhase, Int?) {
        var name: String?
        var budget: Int?
        var isRest = false
        var weights: [MixtureWeight]?
        var objective: ObjectiveSpec?
        var seqLen = 2048
        var objectiveField: YAMLField?
        for (key, v) in try field.mapping(allowed: Self.phaseKeys) {
            switch key {
            case "name": name = try v.string()
            case "budget": (budget, isRest) = try self.budget(v, totalTokens: totalTokens)
            case "weights": weights = try self.weights(v, groups: groups)
            case "objective": objective = try self.objective(v); objectiveField = v
            case "seq_len": seqLen = try v.int(minimum: 2)
            default: break  // `mapping(allowed:)` has refused anything else
            }
        }
        guard let name, !name.isEmpty else { throw field.missing("name") }
        guard budget != nil || isRest else {
            throw field.error(
                "phase '\(name)' has no budget; give `budget: <tokens>`, `budget: {fraction: f}` or `budget: rest`")
        }
        guard let weights else { throw field.error("phase '\(name)' has no `weights`") }
        guard weights.contains(where: { $0.weight > 0 }) else {
            throw field.error("phase '\(name)': every weight is zero; give at least one source a positive weight")
        }
        guard let objective, let objectiveField else {
            throw field.error("phase '\(name)' has no `objective` (type: ul2 or causal)")
        }
        // Written so that it cannot overflow: `i + t` trapped for lengths near Int.max.
        if case .ul2(let ul2) = objective, ul2.inputsLength > seqLen || ul2.targetsLength > seqLen - ul2.inputsLength {
            throw objectiveField.error(
                "inputs_length \(ul2.inputsLength) + targets_length \(ul2.targetsLength) "
                    + "exceed the phase's seq_len \(seqLen)")
        }
        let phase = MixturePhase(
            name: name, budget: budget ?? 0, weights: weights, objective: objective, seqLen: seqLen, keyPath: field.path
        )
        return (phase, isRest ? nil : budget)
    }

    func budget(_ field: YAMLField, totalTokens: Int?) throws -> (Int?, Bool) {
        if case .mapping = field.node {
            var fraction: Double?
            for (_, v) in try field.mapping(allowed: ["fraction"]) { fraction = try v.double() }
            guard let fraction, fraction > 0, fraction <= 1 else { throw field.error("fraction must be in (0, 1]") }
            guard let totalTokens else {
                throw field.error("a `fraction:` budget needs `total_tokens` at the top level")
            }
            // Int(exactly:) and not Int(): near Int.max the product rounds to 2^63, and Int() traps.
            guard let tokens = Int(exactly: (Double(totalTokens) * fraction).rounded()) else {
                throw field.error("fraction \(fraction) of \(totalTokens) tokens is more tokens than can be counted")
            }
            guard tokens > 0 else { throw field.error("fraction \(fraction) of \(totalTokens) tokens is no tokens") }
            return (tokens, false)
        }
        if (try? field.string()) == "rest" { return (nil, true) }
        let tokens = try field.tokenCount()
        guard tokens > 0 else {
            throw field.error("a phase budget must be positive (a phase with no tokens is not a phase)")
        }
        return (tokens, false)
    }

    func weights(_ field: YAMLField, groups: [String: Group]) throws -> [MixtureWeight] {
        var out: [MixtureWeight] = []
        var seen: [String: String] = [:]  // source -> key path that gave it a weight
        func add(_ source: String, _ weight: Double, _ keyPath: String, _ at: YAMLField) throws {
            if let earlier = seen[source] {
                throw at.error("source '\(source)' already has a weight in this phase (from \(earlier))")
            }
            seen[source] = keyPath
            out.append(MixtureWeight(source: source, weight: weight, keyPath: keyPath))
        }
        let entries = try field.mapping()
        guard !entries.isEmpty else { throw field.error("a phase needs at least one weight") }
        for (key, w) in entries {
            let weight = try w.double()
            guard weight >= 0 else { throw w.error("weights must be positive (or 0 for absent), got \(weight)") }
            guard weight <= MixSchedule.maxWeight else {
                throw w.error("weight \(weight) is too large; weights are relative, use smaller numbers")
            }
            if let group = groups[key] {
                let inner = group.members.reduce(0) { $0 + $1.weight }
                for m in group.members { try add(m.source, weight * m.weight / inner, w.path, w) }
            } else {
                try add(key, weight, w.path, w)
            }
        }
        return out
    }

    static let ul2Keys = ["type", "inputs_length", "targets_length", "prefix_lm_length", "mode_tokens", "denoisers"]

    func objective(_ field: YAMLField) throws -> ObjectiveSpec {
        let entries = try field.mapping()
        guard let typeField = entries.first(where: { $0.key == "type" })?.field else {
            throw field.missing("type", ": ul2 or causal")
        }
        let typeName = try typeField.string()
        guard let type = ObjectiveKind(rawValue: typeName) else {
            let known = ObjectiveKind.allCases.map(\.rawValue).joined(separator: ", ")
            throw typeField.error("unknown objective '\(typeName)'; known: \(known)")
        }
        switch type {
        case .causal:
            _ = try field.mapping(allowed: ["type"])
            return .causal
        case .ul2:
            var ul2 = UL2Spec()
            for (key, v) in try field.mapping(allowed: Self.ul2Keys) {
                switch key {
                case "inputs_length": ul2.inputsLength = try v.int(minimum: 1)
                case "targets_length": ul2.targetsLength = try v.int(minimum: 1)
                case "prefix_lm_length": ul2.prefixLMLength = try v.int(minimum: 1)
                case "mode_tokens":
                    let mode = try v.string()
                    guard let encoding = ModeTokenEncoding(rawValue: mode) else {
                        throw v.error("mode_tokens must be `text` or `reserved`, got '\(mode)'")
                    }
                    ul2.modeTokens = encoding
                case "denoisers": ul2.denoisers = try self.denoisers(v)
                default: break
                }
            }
            return .ul2(ul2)
        }
    }

    func denoisers(_ field: YAMLField) throws -> [DenoiserSpec] {
        let items = try field.sequence()
        guard !items.isEmpty else {
            throw field.error("give at least one denoiser, or leave `denoisers` out for OpenMoE's six")
        }
        return try items.map { item in
            var name: String?
            var kind: DenoiserSpec.Kind?
            var rate: Double?
            var prefix = ""
            var meanSpan: Double?
            var density: Double?
            var fields: [String: YAMLField] = [:]
            for (key, v) in try item.mapping(allowed: ["name", "kind", "rate", "prefix", "mean_span", "noise_density"])
            {
                fields[key] = v
                switch key {
                case "name": name = try v.string()
                case "kind":
                    let k = try v.string()
                    guard let parsed = DenoiserSpec.Kind(rawValue: k) else {
                        throw v.error("kind must be `span` or `prefix_lm`, got '\(k)'")
                    }
                    kind = parsed
                case "rate":
                    rate = try v.double()
                    guard let r = rate, r > 0 else { throw v.error("rate must be positive") }
                case "prefix": prefix = try v.string()
                case "mean_span":
                    meanSpan = try v.double()
                    guard let m = meanSpan, m >= 1 else { throw v.error("mean_span must be at least 1") }
                case "noise_density":
                    density = try v.double()
                    guard let d = density, d > 0, d < 1 else { throw v.error("noise_density must be in (0, 1)") }
                default: break
                }
            }
            guard let name else { throw item.missing("name") }
            guard let kind else { throw item.missing("kind", ": span or prefix_lm") }
            guard let rate else { throw item.missing("rate") }
            switch kind {
            case .span:
                guard meanSpan != nil else { throw item.error("a span denoiser needs `mean_span`") }
                guard density != nil else { throw item.error("a span denoiser needs `noise_density`") }
            case .prefixLM:
                if let f = fields["mean_span"] ?? fields["noise_density"] {
                    throw f.error("a prefix_lm denoiser takes no span parameters")
                }
            }
            return DenoiserSpec(
                name: name, kind: kind, rate: rate, prefix: prefix, meanSpan: meanSpan, noiseDensity: density)
        }
    }
}
