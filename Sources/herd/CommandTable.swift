import Console

/// Every `herd` command, in the order `herd --help` lists them.
enum HerdCommandTable {
    static var table: SubcommandTable {
        SubcommandTable(
            toolName: "herd",
            abstract: "Herd trains CycleGAN on one machine or on a cluster of home machines.",
            commands: all,
            examples: [
                "herd demo",
                "herd train --config cluster.yaml",
                "herd translate --checkpoint checkpoints/horse2zebra/latest --direction AtoB photo.jpg --out out/",
            ])
    }

    /// Add a command group's `commands` here.
    static var all: [Subcommand] {
        var commands: [Subcommand] = []
        commands += DemoCommand.commands
        commands += ClusterCommands.commands
        commands += TokenCommand.commands
        commands += VersionCommand.commands
        commands += ImageCommands.commands
        commands += DataCommands.commands
        commands += TrainCommands.commands
        commands += BenchKernelsCommand.commands
        commands += BenchClusterCommands.commands
        commands += BenchSealCommand.commands
        commands.append(BenchSoakCommand.command)
        return commands
    }
}
