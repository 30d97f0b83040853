import Foundation

/// Threads of `moe-data dedup` that hash and sign documents.
enum DedupJobs: JobsUse {
    static let help =
        "Threads that normalize, hash and sign documents (default: all cores). The removals do not depend on it."
    static var defaultCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}
