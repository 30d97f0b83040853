/// File extension → language, for code trees (the names follow The Stack's `lang` values).
public enum CodeLanguages {
    static let table: [String: String] = [
        ".py": "Python", ".pyi": "Python", ".c": "C", ".h": "C", ".cc": "C++", ".cpp": "C++", ".hpp": "C++",
        ".cxx": "C++", ".swift": "Swift", ".rs": "Rust", ".go": "Go", ".java": "Java", ".js": "JavaScript",
        ".mjs": "JavaScript", ".ts": "TypeScript", ".rb": "Ruby", ".pl": "Perl", ".pm": "Perl", ".php": "PHP",
        ".sh": "Shell", ".bash": "Shell", ".lua": "Lua", ".scala": "Scala", ".kt": "Kotlin", ".cs": "C#",
        ".m": "Objective-C", ".r": "R", ".jl": "Julia", ".hs": "Haskell", ".ml": "OCaml", ".sql": "SQL",
        ".html": "HTML", ".css": "CSS", ".md": "Markdown", ".rst": "reStructuredText", ".tex": "TeX",
        ".json": "JSON", ".yaml": "YAML", ".yml": "YAML", ".toml": "TOML", ".xml": "XML", ".asm": "Assembly",
        ".s": "Assembly", ".f90": "Fortran", ".f": "Fortran", ".vim": "Vim script", ".el": "Emacs Lisp",
        ".txt": "Text", ".cmake": "CMake", ".mk": "Makefile",
    ]

    public static func language(forExtension ext: String) -> String? {
        let e = ext.hasPrefix(".") ? ext : "." + ext
        return table[e.lowercased()]
    }
}
