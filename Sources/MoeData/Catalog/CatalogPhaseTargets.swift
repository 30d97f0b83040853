extension Catalog {
    /// The whole-phase rows of the `mixture_realized` table (window NULL): each phase's target and
    /// realized source tokens per source, in the order the build recorded them (phase by phase,
    /// sources in the mixture's order).
    public func phaseTargets() throws -> [MixtureRow] {
        try db.query(
            """
            SELECT phase, phase_name, start_token, end_token, source, target_tokens, realized_tokens,
                   cumulative_target, cumulative_realized
            FROM mixture_realized WHERE window IS NULL ORDER BY phase, rowid
            """
        ).map { r in
            MixtureRow(
                phase: r[0]?.int ?? 0, phaseName: r[1]?.text ?? "", window: nil, startToken: r[2]?.int ?? 0,
                endToken: r[3]?.int ?? 0, source: r[4]?.text ?? "", targetTokens: r[5]?.int ?? 0,
                realizedTokens: r[6]?.int ?? 0, cumulativeTarget: r[7]?.int ?? 0, cumulativeRealized: r[8]?.int ?? 0)
        }
    }
}
