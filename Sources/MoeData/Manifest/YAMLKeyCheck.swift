import Yams

/// Yams builds a manifest's `[String: Any]` tree with a force-unwrap of every key as a string,
/// so a list or mapping used as a key (`? - a`) crashed `Yams.load` (found by fuzzing
/// bench/fuzz's manifest harness). Keys are checked on the composed node tree first.
enum YAMLKeyCheck {
    /// The first mapping key that is not a plain value, in document order, or nil.
    static func firstNonScalarKey(in root: Node) -> Node? {
        // An explicit stack: the tree can be as deep as the file is long.
        var pending = [root]
        while let node = pending.popLast() {
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping.reversed() {
                    guard case .scalar = key else { return key }
                    pending.append(value)
                }
            case .sequence(let sequence):
                pending.append(contentsOf: sequence.reversed())
            case .scalar, .alias:
                break
            }
        }
        return nil
    }
}
