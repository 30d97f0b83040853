/// `REQUIRED`, `OPTIONAL` or `REPEATED`.
public enum Repetition: Int32, Sendable {
    case required = 0, optional = 1, repeated = 2
}
