import JSON

extension Build {
    /// The per-phase figures of the build summary as fields, for `stats --json`: scripts read
    /// these instead of parsing the `text` table.
    func phasesJSON(_ s: Summary) -> JSONValue {
        .array(
            s.phases.enumerated().map { i, p in
                let rowTotal = p.rowTokens + p.paddingTokens
                let denoisers = max(1, p.examplesByDenoiser.values.reduce(0, +))
                return .object([
                    "index": .int(Int64(i)), "name": .string(p.name), "objective": .string(p.objective),
                    "rows": .int(Int64(p.rows)), "examples": .int(Int64(p.examples)),
                    "source_tokens": .int(Int64(p.sourceTokens)), "row_tokens": .int(Int64(p.rowTokens)),
                    "padding_tokens": .int(Int64(p.paddingTokens)), "eos_tokens": .int(Int64(p.eosTokens)),
                    "special_tokens": .int(Int64(p.specialTokens)),
                    "code_share": .double(p.codeShare), "target_code_share": .double(p.targetCodeShare),
                    "padding_share": .double(rowTotal > 0 ? Double(p.paddingTokens) / Double(rowTotal) : 0),
                    "source_tokens_by_source": .object(p.sourceTokensBySource.mapValues { .int(Int64($0)) }),
                    "denoisers": .object(
                        p.examplesByDenoiser.mapValues { n in
                            .object(["examples": .int(Int64(n)), "share": .double(Double(n) / Double(denoisers))])
                        }),
                ])
            })
    }
}
