import ArgumentParser

/// `moe-data export ...`: a build's mixture for other trainers.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a build's mixture for Megatron-LM / NeMo (indexed datasets) or OLMo (dolma token memmaps).",
        discussion: """
            `packed/` already serves mosaicml-streaming users. These exports read a finished build (its token \
            shards, its packed rows and the plan in its catalog) and write what the other two ecosystems read, \
            without changing the build. Both stream with memory bounded by pieces of a shard (about 80 MiB whatever \
            the build or its shard size), resume after a kill, write the same bytes when run again, and need \
            --force to overwrite a finished export.

            Examples:
              moe-data export megatron out/sample --to out/megatron
              moe-data export olmo out/sample --to out/olmo
            """,
        subcommands: [ExportMegatronCommand.self, ExportOLMoCommand.self]
    )
}
