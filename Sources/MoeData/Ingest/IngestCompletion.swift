import Foundation

extension Ingest {
    /// Every source's summary, when each one is ingested and up to date (settings, tokenizer and
    /// input files unchanged, shards on disk); otherwise an error naming the first that is not.
    /// Writes nothing: a build slice asks this of the output's catalog while other slices read it.
    func completedSources(catalog: Catalog, tokenizer: Tokenizer) throws -> [SourceSummary] {
        try manifest.sources.map { source in
            let (files, missing) = InputFiles.list(source)
            let signature = self.signature(source, files: files, missing: missing, tokenizer: tokenizer)
            guard
                let done = try doneSource(
                    source, signature: signature, directory: shardDirectory(source), catalog: catalog)
            else {
                throw MoeDataError(
                    "\(manifest.output): source '\(source.name)' is not ingested, or its input files or settings "
                        + "changed since; a build slice reads what the ingest wrote: run `moe-data ingest` (or "
                        + "`moe-data merge` after a partitioned ingest) first")
            }
            return done
        }
    }
}
