import Foundation
import PackagePlugin

/// Generates Swift before every build: for MoeData the mixture presets of `mixtures/*.yaml` (so
/// `--mixture openmoe-8b` works from any folder); for the executable the git commit and the
/// libsentencepiece version (the library has no run-time version call). A prebuild command runs each build,
/// so a new commit is noticed; the script rewrites the file only when its content changes, so an
/// unchanged build recompiles nothing.
@main
struct EmbedBuildInfo: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let outputDirectory = context.pluginWorkDirectoryURL.appending(path: "generated")
        let package = context.package.directoryURL
        let kind = target.name == "MoeData" ? "presets" : "build"
        return [
            .prebuildCommand(
                displayName: "Embedding mixture presets and build information",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: [
                    package.appending(path: "scripts/lib/embed-build-info.sh").path, package.path,
                    outputDirectory.path, kind,
                ],
                outputFilesDirectory: outputDirectory)
        ]
    }
}
