// `coordinator --config cluster.yaml [--resume]`: runs a cluster training run
// (the same command as `herd coordinator`).
import ClusterCLI
import Console

CommandLineTool.lineBufferStandardOutput()
CommandLineTool.run(CoordinatorCommand.spec(name: "coordinator"), arguments: Array(CommandLine.arguments.dropFirst()),
                    CoordinatorCommand.run)
