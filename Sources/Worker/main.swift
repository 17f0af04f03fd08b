// `worker --coordinator HOST:PORT`: joins a cluster run (the same command as `herd worker`).
import ClusterCLI
import Console

CommandLineTool.lineBufferStandardOutput()
CommandLineTool.run(WorkerCommand.spec(name: "worker"), arguments: Array(CommandLine.arguments.dropFirst()),
                    WorkerCommand.run)
