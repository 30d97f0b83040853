extension PieceTrie {
    /// Calls `body(end, id)` for each piece that is a prefix of `text[start..<size]`, the shortest first
    /// (the order the tokenizers library's trie gives them in).
    @inline(__always)
    func forEachPiece(in text: UnsafePointer<UInt8>, from start: Int, to size: Int, _ body: (Int, Int32) -> Void) {
        let units = self.units
        var node = 0
        for at in start..<size {
            let child = Int(units[node].base) + Int(text[at])
            if Int(units[child].check) != node { return }
            node = child
            if units[child].value >= 0 { body(at + 1, units[child].value) }
        }
    }
}
