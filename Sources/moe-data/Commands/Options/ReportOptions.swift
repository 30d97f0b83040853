import ArgumentParser
import JSON

/// The output folder a report is about, and whether it is printed as tables or as one JSON
/// document (`stats`, `status`).
struct ReportOptions: ParsableArguments {
    @Argument(help: "The output folder (the manifest's `output`).")
    var output: String

    @Flag(help: "Print one JSON document instead of the tables.")
    var json = false

    /// Prints the report: `text` as it is (it ends its own lines), or `document` on one line.
    func emit(text: () -> String, document: () -> JSONValue) {
        print(json ? document().encoded() : text(), terminator: json ? "\n" : "")
    }
}
