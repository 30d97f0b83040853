import MoeData
import MoeTrain

/// `moe-data --version`: the tool's version, the commit it was built from when known, and the
/// versions of the libraries loaded at run time (libsentencepiece has no run-time version call,
/// so its version is the one pkg-config reported at build time).
enum VersionReport {
    /// The version alone.
    static var short: String { "moe-data \(MoeDataVersion.version)" }

    static var text: String {
        let commit =
            EmbeddedBuildInfo.commit.isEmpty
            ? "unknown (not built from a git checkout)" : EmbeddedBuildInfo.commit
        let spm = EmbeddedBuildInfo.sentencepieceVersion.isEmpty ? "unknown" : EmbeddedBuildInfo.sentencepieceVersion
        return """
            moe-data \(MoeDataVersion.version)
            commit: \(commit)
            libraries: \(MoeDataVersion.libraries); \(BLASThreads.configuration); sentencepiece \(spm) (at build time)
            """
    }
}
