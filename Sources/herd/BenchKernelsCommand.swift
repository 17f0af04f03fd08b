import Console
import Foundation
import Tensor

/// `herd bench kernels`: throughput of the numeric kernels on this machine.
enum BenchKernelsCommand {
    static let commands: [Subcommand] = [kernels]

    static let kernels = Subcommand(["bench", "kernels"], spec: CommandSpec(
        name: "herd bench kernels",
        abstract: "Measure GEMM and every CycleGAN convolution layer (forward, input grad, weight grad).",
        discussion: """
            Prints GFLOP/s of a 1024^3 float32 GEMM, then for each convolution of a res-9 CycleGAN generator and
            its PatchGAN discriminator at 256x256 (batch 1) the time and GFLOP/s of the forward pass, the input
            gradient and the weight gradient, and finally one whole generator forward+backward.

            Each kernel is timed as the fastest of at least --repeats runs, run again until 0.4 s have passed
            (a small kernel gets hundreds of runs), in each of --rounds rounds over all layers; its figure is
            its best round, so a slow phase of a shared machine, which can last seconds, does not decide a row.
            The GEMM is timed again just before and after every layer in every round: the GEMM column is the
            best of those timings, and the layer's worst pass is given as a percentage of it (the speed drifts
            during a run; the first line is the best GEMM of the run). On a machine shared with other work,
            --cpu-time reports process CPU time divided by the thread count instead of wall time.
            """,
        options: [
            .value("threads", "N", help: "Kernel threads.", default: "all cores"),
            .value("repeats", "N", help: "Runs per kernel and round at least; the fastest counts.", default: "3"),
            .value("rounds", "N", help: "Rounds over all layers; each kernel's best round counts.", default: "3"),
            .flag("cpu-time", help: "Time with CPU time / threads instead of wall time."),
            OptionSpec("layer", .repeated(placeholder: "TEXT"), help: "Only layers whose name contains TEXT (repeatable)."),
            .flag("no-generator", help: "Skip the whole-generator timing."),
        ],
        examples: ["herd bench kernels", "herd bench kernels --threads 1 --repeats 5", "herd bench kernels --layer R256 --no-generator"]
    )) { args in
        let threads = try args.int("threads", default: ProcessInfo.processInfo.activeProcessorCount, minimum: 1)
        let repeats = try args.int("repeats", default: 3, minimum: 1)
        let rounds = try args.int("rounds", default: 3, minimum: 1)
        let layers = args.strings("layer")
        print(KernelBenchmark.run(
            threads: threads, repeats: repeats, rounds: rounds, clock: args.flag("cpu-time") ? .cpu : .wall,
            layers: layers.isEmpty ? nil : layers, generator: !args.flag("no-generator")))
    }
}
