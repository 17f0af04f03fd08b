import Console
import Datasets
import Foundation
import Imaging

/// `herd data ...`: dataset preparation and checks.
enum DataCommands {
    static let commands: [Subcommand] = [synth]

    static let synth = Subcommand(["data", "synth"], spec: CommandSpec(
        name: "herd data synth",
        abstract: "Write a synthetic unpaired dataset (blobs vs. zebra-striped blobs) in the CycleGAN layout.",
        discussion: """
            Domain A: smooth colored blobs on plain backgrounds. Domain B: the same kind of blobs filled with
            bold black-and-white stripes. A tiny CycleGAN learns A<->B within minutes on two cores.
            Writes OUT/{trainA,trainB,testA,testB}/synth_NNNNN.png; test folders get max(2, count/10) images.
            """,
        options: [
            .value("size", "N", help: "Image width and height in pixels.", default: "32"),
            .value("count", "N", help: "Training images per domain.", default: "200"),
            .value("seed", "S", help: "Random seed; the same seed writes identical files.", default: "1"),
        ],
        arguments: [ArgumentSpec("OUT", help: "Dataset root to create.")],
        examples: ["herd data synth datasets/synth --size 32 --count 200"])) { args in
        let out = try args.positional(0, name: "OUT")
        let size = try args.int("size", default: 32, minimum: 8)
        let count = try args.int("count", default: 200, minimum: 1)
        let seed = UInt64(clamping: try args.int("seed", default: 1, minimum: 0))
        let total = 2 * (count + SyntheticDataset.testCount(forTrainCount: count))
        let progress = Progress("writing \(out)", total: total)
        try SyntheticDataset.write(to: out, size: size, count: count, seed: seed) { done, _ in progress.update(done) }
        progress.finish()
        print("wrote \(total) images of \(size)x\(size) to \(out) (trainA/trainB: \(count) each)")
    }
}
