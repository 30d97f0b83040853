/// A file's schema: its top-level fields and its leaf columns.
public struct ParquetSchema: Sendable {
    public var leaves: [LeafColumn] = []
    /// Top-level field names, in order, and the leaf index of each field that is a flat leaf.
    public var topLevel: [(name: String, flatLeaf: Int?)] = []

    static let maxDepth = 256

    /// Builds the tree from the depth-first list (root first), without recursion: a hostile schema
    /// may nest as deep as it has elements.
    public init(_ elements: [SchemaElement]) throws {
        guard let root = elements.first else { throw ParquetError("the schema is empty") }
        // Open groups: children still to come, and the path, definition and repetition levels so far.
        var stack: [(remaining: Int, path: [String], def: Int, rep: Int)] = [
            (Int(max(0, root.numChildren ?? 0)), [], 0, 0)
        ]
        var index = 1
        while let top = stack.last {
            if top.remaining == 0 {
                stack.removeLast()
                continue
            }
            stack[stack.count - 1].remaining -= 1
            guard index < elements.count else {
                throw ParquetError("the schema lists fewer elements than its groups say they hold")
            }
            let e = elements[index]
            index += 1
            let repetition = e.repetition ?? .required
            let def = top.def + (repetition == .required ? 0 : 1)
            let rep = top.rep + (repetition == .repeated ? 1 : 0)
            let path = top.path + [e.name]
            if let children = e.numChildren, e.type == nil {
                guard children >= 0 else { throw ParquetError("schema group '\(e.name)' has \(children) children") }
                if stack.count == 1 { topLevel.append((e.name, nil)) }
                // Paths are copied at each level: a hostile chain of groups would cost its depth squared.
                guard stack.count < Self.maxDepth else {
                    throw ParquetError("the schema nests groups more than \(Self.maxDepth) deep")
                }
                stack.append((Int(children), path, def, rep))
                continue
            }
            guard let code = e.type, let physical = PhysicalType(rawValue: code) else {
                let code = e.type.map(String.init) ?? "none"
                throw ParquetError("schema column '\(e.name)' has no known physical type (\(code))")
            }
            let logical = e.logicalType
                ?? e.convertedType.flatMap { LogicalType.converted($0, scale: e.scale, precision: e.precision) }
            let leaf = LeafColumn(
                path: path, physicalType: physical, typeLength: Int(max(0, e.typeLength ?? 0)),
                maxDefinitionLevel: def, maxRepetitionLevel: rep, logicalType: logical, repetition: repetition)
            if stack.count == 1 { topLevel.append((e.name, leaf.isFlat ? leaves.count : nil)) }
            leaves.append(leaf)
        }
        guard index == elements.count else {
            throw ParquetError("the schema has \(elements.count - index) elements outside its tree")
        }
    }

    /// The leaf index of top-level column `name`, or an error that says why it cannot be read:
    /// absent (naming the columns there are), or nested or repeated.
    public func flatColumn(named name: String) throws -> Int {
        guard let field = topLevel.first(where: { $0.name == name }) else {
            let names = topLevel.prefix(20).map(\.name).joined(separator: ", ")
            let more = topLevel.count > 20 ? ", ..." : ""
            throw ParquetError("no column '\(name)' (the file's columns: \(names)\(more))")
        }
        guard let leaf = field.flatLeaf else {
            throw ParquetError("column '\(name)' is nested or repeated (a list, map or struct); only top-level "
                + "columns of single values can be read")
        }
        return leaf
    }
}
