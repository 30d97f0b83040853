import ArgumentParser

@main
struct MoeDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "moe-data",
        abstract: "Prepare pretraining data mixtures for Mixture-of-Experts models, and train one on them.",
        subcommands: [
            BenchCommand.self,
            AnalyzeCommand.self,
            BuildCommand.self,
            FaultPointsCommand.self,
            IngestCommand.self,
            InspectCommand.self,
            PlanCommand.self,
            StatsCommand.self,
            TokenizerCommand.self,
            TrainCommand.self,
            VerifyCommand.self,
        ]
    )
}
