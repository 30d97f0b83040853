/// Errors of the MDS format layer. Each names the file and what is wrong with it.
public enum MDSError: Error, CustomStringConvertible, Sendable {
    case format(String)
    case compression(String)
    case io(String)
    case hashMismatch(file: String, algorithm: String, expected: String, actual: String)

    public var description: String {
        switch self {
        case .format(let m): return "MDS format error: \(m)"
        case .compression(let m): return "compression error: \(m)"
        case .io(let m): return "I/O error: \(m)"
        case .hashMismatch(let f, let a, let e, let g):
            return "\(f): \(a) hash mismatch (index.json says \(e), file has \(g)); the shard is corrupt or was changed"
        }
    }
}
