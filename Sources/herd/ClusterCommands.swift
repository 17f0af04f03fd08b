import ClusterCLI
import Console

/// `herd coordinator` and `herd worker`: the cluster executables' commands,
/// also reachable through `herd` (the demo starts them this way).
enum ClusterCommands {
    static let commands: [Subcommand] = [
        Subcommand(["coordinator"], spec: CoordinatorCommand.spec(name: "herd coordinator"), run: CoordinatorCommand.run),
        Subcommand(["worker"], spec: WorkerCommand.spec(name: "herd worker"), run: WorkerCommand.run),
    ]
}
