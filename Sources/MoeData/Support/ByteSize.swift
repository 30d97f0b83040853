/// Sizes in bytes, as manifests (`shard_size`, `max_document_bytes`) and `tokenizer train
/// --sample-bytes` take them: a whole number of bytes, or a number with a unit. K, M, G (and
/// KB, MB, GB) count in thousands, as `du --si` and disk makers do; KiB, MiB, GiB in 1024s.
/// Units are read without regard to case, and a fraction of a unit rounds down to a whole byte:
/// `20M` = 20,000,000, `64MiB` = 67,108,864, `1.5KB` = 1,500, `0.3KiB` = 307 (`1.5` is no size).
public enum ByteSize {
    static let units: [(suffix: String, scale: Int)] = [
        ("B", 1),
        ("K", 1_000), ("M", 1_000_000), ("G", 1_000_000_000),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000),
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
    ]

    /// The number of bytes `text` spells, or nil when it spells none (or more than Int.max).
    public static func parse(_ text: String) -> Int? {
        ScaledNumber.parse(text, units: units, remainder: .roundDown)
    }

    /// A size given to a command-line option: positive and below 10^15 bytes (a petabyte),
    /// else an error naming the option and the units.
    public static func option(_ text: String, name: String) throws -> Int {
        guard let bytes = parse(text), bytes > 0, bytes < 1_000_000_000_000_000 else {
            throw MoeDataError(
                "\(name) \(text) is not a size; use bytes or a number with K, M, G (×1000) or KiB, MiB, GiB "
                    + "(×1024), e.g. 100M")
        }
        return bytes
    }
}
