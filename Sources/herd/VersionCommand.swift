import Console

/// `herd version`.
enum VersionCommand {
    static let version = "0.1.0"

    static let commands: [Subcommand] = [
        Subcommand(["version"], spec: CommandSpec(
            name: "herd version", abstract: "Print Herd's version.",
            examples: ["herd version"])) { _ in
            print("herd \(version)")
        },
    ]
}
