import MDS

/// The columns of token shards (see the README's format section).
public enum TokenShard {
    public static let columns = [
        MDSColumn("doc_id", .str), MDSColumn("meta", .json), MDSColumn("source", .str),
        MDSColumn("tokens", .ndarray(.uint32, count: nil)),
    ]
}
