import Foundation

/// Loads the manifest's tokenizer model (training it first when the manifest says how and the
/// model file does not exist yet).
public enum TokenizerSetup {
    public static func load(manifest: Manifest, quiet: Bool) throws -> Tokenizer {
        let spec = manifest.tokenizer
        if !FileManager.default.fileExists(atPath: spec.model) {
            guard spec.train != nil else {
                throw MoeDataError("\(manifest.path): tokenizer.model: \(spec.model) does not exist; give a SentencePiece .model, or add tokenizer.train to make one")
            }
            throw MoeDataError("\(manifest.path): tokenizer.model: \(spec.model) does not exist and training is not wired yet")
        }
        return try Tokenizer(modelPath: spec.model, sentinelCount: spec.sentinels)
    }
}
