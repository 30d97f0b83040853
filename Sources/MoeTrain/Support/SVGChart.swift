import Foundation

/// Minimal SVG bar and line charts for the routing report and the loss curve (no dependencies,
/// deterministic text).
public enum SVGChart {
    static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
        "#bcbd22", "#17becf",
    ]
    static let w = 760.0, h = 420.0, left = 70.0, right = 170.0, top = 40.0, bottom = 50.0

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func frame(
        title: String, xLabel: String, yLabel: String, yMin: Double = 0, yMax: Double,
        names: [String]
    ) -> [String] {
        let size = "width=\"\(Int(w))\" height=\"\(Int(h))\""
        let xLabelAt = "x=\"\(f(left + (w - left - right) / 2))\" y=\"\(f(h - 10))\""
        let yLabelAt = "transform=\"translate(16 \(f(top + (h - top - bottom) / 2))) rotate(-90)\""
        var s = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" \(size) font-family=\"sans-serif\" font-size=\"12\">",
            "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            "<text x=\"\(f(w / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(esc(title))</text>",
            "<text \(xLabelAt) text-anchor=\"middle\">\(esc(xLabel))</text>",
            "<text \(yLabelAt) text-anchor=\"middle\">\(esc(yLabel))</text>",
        ]
        let labelFormat = yMax - yMin < 0.1 ? "%.3f" : "%.2f"
        for i in 0...4 {
            let v = yMin + (yMax - yMin) * Double(i) / 4, y = h - bottom - (h - top - bottom) * Double(i) / 4
            s.append("<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(w - right))\" y2=\"\(f(y))\" stroke=\"#ddd\"/>")
            let label = String(format: labelFormat, v)
            s.append("<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(label)</text>")
        }
        for (i, name) in names.enumerated() {
            let y = top + 10 + Double(i) * 18
            let color = palette[i % palette.count]
            let at = "x=\"\(f(w - right + 12))\" y=\"\(f(y - 9))\""
            s.append("<rect \(at) width=\"12\" height=\"12\" fill=\"\(color)\"/>")
            s.append("<text x=\"\(f(w - right + 30))\" y=\"\(f(y + 1))\">\(esc(name))</text>")
        }
        return s
    }

    /// Grouped bars: one group per category, one bar per series.
    public static func bars(
        title: String, xLabel: String, yLabel: String, categories: [String],
        series: [(name: String, values: [Double])], reference: Double? = nil
    ) -> String {
        let yMax = max(series.flatMap(\.values).max() ?? 1, reference ?? 0, 1e-9) * 1.1
        var s = frame(title: title, xLabel: xLabel, yLabel: yLabel, yMax: yMax, names: series.map(\.name))
        let plotW = w - left - right, plotH = h - top - bottom
        let groupW = plotW / Double(max(1, categories.count)), barW = groupW * 0.8 / Double(max(1, series.count))
        for (c, name) in categories.enumerated() {
            let gx = left + Double(c) * groupW
            let at = "x=\"\(f(gx + groupW / 2))\" y=\"\(f(h - bottom + 16))\""
            s.append("<text \(at) text-anchor=\"middle\">\(esc(name))</text>")
            for (i, serie) in series.enumerated() where c < serie.values.count {
                let bh = plotH * serie.values[c] / yMax
                let at = "x=\"\(f(gx + groupW * 0.1 + Double(i) * barW))\" y=\"\(f(h - bottom - bh))\""
                let color = palette[i % palette.count]
                s.append("<rect \(at) width=\"\(f(barW))\" height=\"\(f(bh))\" fill=\"\(color)\"/>")
            }
        }
        if let reference {
            let y = h - bottom - plotH * reference / yMax
            let ends = "x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(w - right))\" y2=\"\(f(y))\""
            s.append("<line \(ends) stroke=\"black\" stroke-dasharray=\"5 4\"/>")
        }
        s.append("</svg>")
        return s.joined(separator: "\n") + "\n"
    }

    /// Lines through (x, y) points, five x ticks. The y axis runs from `yMin` to `yMax` (by default
    /// 10% above the largest y); `markers` puts a dot on every point (off for long curves).
    public static func lines(
        title: String, xLabel: String, yLabel: String,
        series: [(name: String, points: [(Double, Double)])],
        yMin: Double = 0, yMax fixedMax: Double? = nil, markers: Bool = true
    ) -> String {
        let all = series.flatMap(\.points)
        let yMax = fixedMax ?? max((all.map(\.1).max() ?? 1) * 1.1, 1e-9)
        let x0 = all.map(\.0).min() ?? 0, x1 = max(all.map(\.0).max() ?? 1, x0 + 1e-9)
        var s = frame(title: title, xLabel: xLabel, yLabel: yLabel, yMin: yMin, yMax: yMax, names: series.map(\.name))
        let plotW = w - left - right, plotH = h - top - bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotW }
        func py(_ y: Double) -> Double { h - bottom - plotH * (min(y, yMax) - yMin) / (yMax - yMin) }
        for i in 0...4 {
            let x = x0 + (x1 - x0) * Double(i) / 4
            let at = "x=\"\(f(px(x)))\" y=\"\(f(h - bottom + 16))\""
            s.append("<text \(at) text-anchor=\"middle\">\(String(format: "%.0f", x))</text>")
        }
        for (i, serie) in series.enumerated() where !serie.points.isEmpty {
            let color = palette[i % palette.count]
            let path = serie.points.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
            s.append("<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path)\"/>")
            for p in serie.points where markers {
                s.append("<circle cx=\"\(f(px(p.0)))\" cy=\"\(f(py(p.1)))\" r=\"2.5\" fill=\"\(color)\"/>")
            }
        }
        s.append("</svg>")
        return s.joined(separator: "\n") + "\n"
    }
}
