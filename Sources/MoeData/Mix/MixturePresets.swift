import Foundation

/// The mixture presets shipped inside the binary (`mixtures/*.yaml`, embedded at build time by
/// Plugins/EmbedBuildInfo), so `--mixture openmoe-8b` works from any folder.
public enum MixturePresets {
    /// Preset names, sorted.
    public static var names: [String] { EmbeddedPresets.presets.keys.sorted() }

    /// A preset's YAML text, byte for byte the file it was made from.
    public static func text(_ name: String) -> String? {
        guard let b64 = EmbeddedPresets.presets[name], let data = Data(base64Encoded: b64) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    /// `--mixture`: an existing file, else a preset name. Anything else is an error that lists the
    /// presets there are.
    public static func load(_ nameOrPath: String) throws -> Mixture {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: nameOrPath, isDirectory: &isDir) {
            if isDir.boolValue {
                throw MoeDataError("\(nameOrPath): is a folder; --mixture takes a mixture file or a preset name")
            }
            return try MixtureParser.load(path: nameOrPath)
        }
        if let text = text(nameOrPath) {
            // Messages name the preset's file in the repository, as the mixture's own errors do.
            return try MixtureParser.parse(yaml: text, file: "mixtures/\(nameOrPath).yaml")
        }
        throw MoeDataError(
            "--mixture: '\(nameOrPath)' is neither a file nor a preset; presets: "
                + names.joined(separator: ", "))
    }
}
