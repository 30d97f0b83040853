import MoeData

/// A line of ids as `tokenizer decode` reads it.
enum IdLine {
    /// "1 2 3", "1,2,3" or "[1, 2, 3]" → ids; `place` (e.g. `<stdin>:3`) starts every error.
    static func ids(in line: String, at place: String) throws -> [UInt32] {
        var body = Substring(line).trimmingCharacters(in: .whitespaces)[...]
        if body.hasPrefix("[") {
            guard body.hasSuffix("]") else { throw MoeDataError("\(place): JSON array is not closed") }
            body = body.dropFirst().dropLast()
        }
        var ids: [UInt32] = []
        for (i, field) in body.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).enumerated() {
            guard let id = UInt32(field) else {
                throw MoeDataError("\(place): item \(i) \"\(field)\" is not an id (a non-negative integer)")
            }
            ids.append(id)
        }
        return ids
    }
}
