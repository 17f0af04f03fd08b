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

    /// Add a command group's `commands` here; `group(of:)` files it under a heading.
    static var all: [Subcommand] {
        var commands: [Subcommand] = []
        commands += DemoCommand.commands
        commands += ClusterCommands.commands
        commands += TokenCommand.commands
        commands += VersionCommand.commands
        commands += ImageCommands.commands
        commands += DataCommands.commands
        commands += PlanCommand.commands
        commands += TrainCommands.commands
        commands += BenchKernelsCommand.commands
        commands += BenchClusterCommands.commands
        commands += BenchSealCommand.commands
        commands.append(BenchSoakCommand.command)
        return groups.flatMap { heading in commands.filter { group(of: $0) == heading }.grouped(heading) }
    }

    /// The headings of `herd --help`, in order.
    static let groups = ["Start here", "Data", "Train", "Cluster", "Images", "Benchmarks and checks", "Other"]

    static func group(of command: Subcommand) -> String {
        switch command.path.first ?? "" {
        case "demo": return "Start here"
        case "data": return "Data"
        case "plan", "train", "translate": return "Train"
        case "coordinator", "worker", "token": return "Cluster"
        case "image": return "Images"
        case "bench", "parity": return "Benchmarks and checks"
        default: return "Other"
        }
    }
}
