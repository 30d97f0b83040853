import Foundation

/// What `train` and `analyze` print as they go.
enum LiveOutput {
    /// Writes a line unbuffered, so a log redirected to a file shows each step as it ends.
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// A parameter count in millions (4.4M) or billions (8.70B).
    static func millions(_ n: Int) -> String {
        n >= 1_000_000_000 ? String(format: "%.2fB", Double(n) / 1e9) : String(format: "%.1fM", Double(n) / 1e6)
    }
}
