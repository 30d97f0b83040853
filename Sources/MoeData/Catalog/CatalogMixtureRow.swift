extension Catalog {
    /// One row of the `mixture_realized` table: realized against target tokens of one source over a
    /// span of a phase (the build records the mix step's accounting in these).
    public struct MixtureRow: Sendable, Equatable {
        public var phase: Int
        public var phaseName: String
        /// nil for the whole phase, else the window index.
        public var window: Int?
        /// The span within the phase, in source tokens: [startToken, endToken).
        public var startToken: Int
        public var endToken: Int
        public var source: String
        public var targetTokens: Int
        public var realizedTokens: Int
        /// From the phase start to `endToken`: how far the stream is from its target at that prefix.
        public var cumulativeTarget: Int
        public var cumulativeRealized: Int

        public init(
            phase: Int, phaseName: String, window: Int?, startToken: Int, endToken: Int, source: String,
            targetTokens: Int, realizedTokens: Int, cumulativeTarget: Int, cumulativeRealized: Int
        ) {
            self.phase = phase
            self.phaseName = phaseName
            self.window = window
            self.startToken = startToken
            self.endToken = endToken
            self.source = source
            self.targetTokens = targetTokens
            self.realizedTokens = realizedTokens
            self.cumulativeTarget = cumulativeTarget
            self.cumulativeRealized = cumulativeRealized
        }
    }
}
