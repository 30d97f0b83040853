/// Plain aligned text tables for reports, in two layouts. `render` sizes each column to its
/// cells, rules the header, right-aligns numbers and left-aligns text. `row` lays out one line in
/// widths the caller fixes (negative = left-aligned text, positive = right-aligned numbers), so
/// that several tables of one report (one per phase) line up.
public enum TextTable {
    public static func render(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in pad(c, to: widths[i], rightAligned: isNumeric(c)) }
                .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var out = line(header) + "\n" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for r in rows { out += line(r) + "\n" }
        return out
    }

    /// One line of cells padded to fixed `widths`; negative widths left-align (text), positive
    /// ones right-align (numbers). Cells are separated by one space.
    public static func row(_ cells: [String], widths: [Int]) -> String {
        zip(cells, widths).map { cell, w in pad(cell, to: abs(w), rightAligned: w >= 0) }.joined(separator: " ")
    }

    static func pad(_ cell: String, to width: Int, rightAligned: Bool) -> String {
        let padding = String(repeating: " ", count: max(0, width - cell.count))
        return rightAligned ? padding + cell : cell + padding
    }

    static func isNumeric(_ s: String) -> Bool {
        !s.isEmpty && s.allSatisfy { "0123456789.,%-+ kMGBe".contains($0) } && s.first?.isNumber == true
    }
}
