/// Where a build's packed rows live: `<output>/packed/`, an MDS dataset (index.json and shards)
/// plus `moe-data.json` (see `PackedMetadata`).
public enum PackedLayout {
    public static let directoryName = "packed"
    public static let metadataFile = "moe-data.json"
}
