import Foundation

/// A live progress line on stderr (files, MB read, docs/s, MB/s, tokens/s, ETA), redrawn at
/// most twice a second, and only when stderr is a terminal and output is not quieted.
public final class ProgressLine: @unchecked Sendable {
    let enabled: Bool
    let start = Date()
    var lastDraw = Date.distantPast
    var label = ""
    public var filesDone = 0, filesTotal = 0
    public var bytesRead = 0, bytesTotal = 0
    public var documents = 0, tokens = 0

    public init(quiet: Bool) {
        enabled = !quiet && isatty(STDERR_FILENO) != 0
    }

    public func setLabel(_ s: String) { label = s }

    public func update(force: Bool = false) {
        guard enabled else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) >= 0.5 else { return }
        lastDraw = now
        let t = max(now.timeIntervalSince(start), 1e-3)
        let mb = Double(bytesRead) / 1e6
        var eta = "?"
        if bytesRead > 0 && bytesTotal > bytesRead {
            let rest = Double(bytesTotal - bytesRead) / (Double(bytesRead) / t)
            eta =
                rest < 3600
                ? String(format: "%dm%02ds", Int(rest) / 60, Int(rest) % 60) : String(format: "%.1fh", rest / 3600)
        } else if bytesTotal > 0 && bytesRead >= bytesTotal {
            eta = "0s"
        }
        let line = String(
            format: "%@ files %d/%d | %.1f MB | %.0f docs/s | %.2f MB/s | %.0f tok/s | ETA %@",
            label, filesDone, filesTotal, mb, Double(documents) / t, mb / t, Double(tokens) / t, eta)
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    public func finish() {
        guard enabled else { return }
        update(force: true)
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
