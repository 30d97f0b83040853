/// The two objectives a phase can train on. The raw value is the name the mixture file, the
/// packed rows' `provenance` column and `moe-data.json` use.
public enum ObjectiveKind: String, Sendable, Codable, CaseIterable {
    case ul2, causal
}
