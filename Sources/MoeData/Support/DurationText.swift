/// Durations as people read them: "0.8 s", "14.1 s", "3 min 39 s", never `14.051335942000001 seconds`.
public func formatDuration(_ d: Duration) -> String {
    formatDuration(seconds: Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
}

public func formatDuration(seconds s: Double) -> String {
    if s < 60 { return String(format: "%.1f s", s) }
    let whole = Int(s.rounded())
    if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
    return "\(whole / 3600) h \(whole % 3600 / 60) min"
}
