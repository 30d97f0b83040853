/// Quoting of values written into sbatch scripts, so a path with a space, a quote or a `$` reaches
/// the command as one word, unchanged. Two readers see a script: the shell runs its body, and
/// sbatch parses its `#SBATCH` lines with its own rules (not the shell's), so each has its quoting.
public enum ShellQuote {
    /// `value` as one POSIX shell word: bare when it holds only characters no shell treats
    /// specially, else in single quotes, each `'` written as `'\''` (close, escaped quote, reopen).
    public static func word(_ value: String) -> String {
        let safe = value.unicodeScalars.allSatisfy { plainCharacters.contains($0) }
        if !value.isEmpty && safe { return value }
        return "'" + value.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// Words already quoted, joined into lines of about `width` columns continued with ` \`: a line
    /// breaks only before an option (a word starting with `-`), so an option stays with its value.
    public static func lines(quoted words: [String], width: Int = 100) -> String {
        var lines: [String] = []
        var current = ""
        for word in words {
            if !current.isEmpty && word.hasPrefix("-") && current.count + 1 + word.count > width {
                lines.append(current + " \\")
                current = "   "
            }
            current += (current.isEmpty ? "" : " ") + word
        }
        lines.append(current)
        return lines.joined(separator: "\n")
    }

    /// `value` as one argument of an `#SBATCH` line. sbatch's own parser reads these lines: it takes
    /// `'` and `"` as quotes, a backslash as escaping the next character (inside quotes too), and an
    /// unquoted `#` as the start of a comment; it stops at the end of the line. So the value goes in
    /// double quotes with `\` and `"` escaped. nil when it holds a line break, which no `#SBATCH` line
    /// can carry.
    public static func sbatchArgument(_ value: String) -> String? {
        guard !value.contains(where: \.isNewline) else { return nil }
        let safe = value.unicodeScalars.allSatisfy { plainCharacters.contains($0) || $0 == "=" }
        if !value.isEmpty && safe { return value }
        let escaped = value.replacingOccurrences(of: #"\"#, with: #"\\"#).replacingOccurrences(of: "\"", with: #"\""#)
        return "\"" + escaped + "\""
    }

    /// Characters that are literal in every position of a shell word and of an `#SBATCH` argument
    /// (`=` is not: `NAME=value` first on a line is an assignment; `#SBATCH` arguments allow it).
    private static let plainCharacters = Set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:,+@%".unicodeScalars)
}
