/// One page of a column chunk, decompressed: its header, where it starts in the file, its
/// definition levels (data pages) and its values section.
struct Page {
    var header: PageHeader
    /// File offset of the page header, for errors.
    var offset: Int
    /// Keeps `levels` and `values` alive: the page as read from the file, and the decompressed buffer.
    var stored: OwnedBytes?
    var owner: OwnedBytes?
    /// Data page v2: the definition levels (rep levels are never present in a flat column).
    var levels: UnsafeRawBufferPointer
    /// Data page v1: levels and values as one section; v2 and dictionary pages: the values.
    var values: UnsafeRawBufferPointer
}
