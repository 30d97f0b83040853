/// How tokens are routed and which losses are added: options that do not change the parameters.
public struct MoEOptions: Sendable, Equatable, Codable {
    public enum GateWeights: String, Sendable, Codable, CaseIterable {
        /// The chosen experts' softmax probabilities as they are (Switch, flaxformer, OpenMoE).
        case raw
        /// Divided by their sum so the k weights add to 1 (Mixtral).
        case renormalized
    }

    public var gateWeights: GateWeights = .raw
    /// No capacity: every token reaches its k experts.
    public var dropless: Bool = false
    public var capacityFactorTrain: Double = 1.25
    public var capacityFactorEval: Double = 2.0
    public var minCapacity: Int = 4
    /// Tokens per routing group (capacity and balance loss are computed per group); 0 = the whole micro-batch.
    public var groupSize: Int = 0
    /// Tokens of a packed example's prefix attend to the whole prefix (prefix-LM); OpenMoE attended causally.
    public var bidirectionalPrefix: Bool = false
    public var auxLossWeight: Double = 0.01
    public var routerZLossWeight: Double = 1e-4
    public var outputZLossWeight: Double = 0

    public init() {}

    /// Expert capacity of a group of `tokens` (flaxformer: round(CF · tokens / E), at least the minimum;
    /// k is not in the formula, as in OpenMoE's t5x runs).
    public func capacity(tokens: Int, experts: Int, training: Bool) -> Int {
        let factor = training ? capacityFactorTrain : capacityFactorEval
        return max(minCapacity, Int((factor * Double(tokens) / Double(experts)).rounded()))
    }
}
