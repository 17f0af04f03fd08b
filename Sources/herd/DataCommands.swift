import Console
import Datasets
import Foundation
import Imaging

/// `herd data ...`: dataset preparation and checks.
enum DataCommands {
    static let commands: [Subcommand] = [DataDownloadCommands.download, check, synth, DataDownloadCommands.pubfig, selfie2cage]

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

    static let check = Subcommand(["data", "check"], spec: CommandSpec(
        name: "herd data check",
        abstract: "Check a CycleGAN dataset: counts, sizes, undecodable, grayscale/CMYK/odd-size files, duplicates.",
        discussion: """
            Decodes every image of ROOT/{trainA,trainB,testA,testB}, lists the files that do not decode with
            the reason, grayscale, CMYK, alpha and odd-size files and byte-identical duplicates (MD5), and
            writes a contact sheet PNG with an evenly spaced sample of each folder (one row per folder).
            Exits with status 1 exactly when 'herd train' refuses ROOT: trainA or trainB is missing or holds no
            image that decodes. Files that do not decode and duplicates are warnings (training skips the
            former and uses the latter as they are).
            """,
        options: [
            .value("sheet", "FILE", help: "Contact sheet PNG to write.", default: "ROOT/contact-sheet.png"),
            .value("samples", "N", help: "Thumbnails per folder on the contact sheet.", default: "8"),
            .value("list", "N", help: "Files listed per finding.", default: "10"),
        ],
        arguments: [ArgumentSpec("ROOT", help: "Dataset root holding trainA, trainB, testA, testB.")],
        examples: ["herd data check datasets/horse2zebra", "herd data check datasets/selfie2cage --sheet sheet.png"])) { args in
        try runCheck(root: try args.positional(0, name: "ROOT"), sheet: args.string("sheet"),
                     samples: try args.int("samples", default: 8, minimum: 1),
                     list: try args.int("list", default: 10, minimum: 0))
    }

    /// `herd data check ROOT`: prints the findings, writes the contact sheet, throws when not clean.
    static func runCheck(root: String, sheet: String?, samples: Int, list: Int) throws {
        let sheetPath = sheet ?? (root as NSString).appendingPathComponent("contact-sheet.png")
        let layout = try DatasetLayout(root: root, required: [])
        var wanted: [DatasetLayout.Split: Set<Int>] = [:]
        for split in DatasetLayout.Split.allCases {
            let n = layout.files(split).count
            wanted[split] = Set((0..<min(samples, n)).map { $0 * n / min(samples, n) })
        }
        var thumbnails: [DatasetLayout.Split: [Image]] = [:]
        let total = DatasetLayout.Split.allCases.reduce(0) { $0 + layout.files($1).count }
        let progress = Progress("checking \(root)", total: total)
        let check = try DatasetCheck.run(root: root, progress: { done, _ in progress.update(done) }) { split, index, image in
            if wanted[split]?.contains(index) == true {
                thumbnails[split, default: []].append(ContactSheet.thumbnail(image, size: 64))
            }
        }
        progress.finish()
        var sheet = ContactSheet(thumbnailSize: 64)
        for split in DatasetLayout.Split.allCases where layout.folders[split] != nil {
            sheet.addRow(label: split.rawValue, images: thumbnails[split] ?? [])
        }
        try ImageWriter.write(sheet.render(), to: sheetPath)
        print(check.text(limit: list))
        print("contact sheet: \(sheetPath)")
        if !check.isTrainable {
            let what = check.missingTraining.isEmpty ? "no image that decodes in trainA or trainB"
                : "no " + check.missingTraining.map(\.rawValue).joined(separator: "/") + " images"
            throw CommandFailure("\(root) has \(what): herd train cannot train on it (it needs images in both "
                + "trainA and trainB; testA/testB alone serve only validation and 'herd translate')")
        }
        if !check.isClean {
            let problems = (check.folders.allSatisfy { $0.bad.isEmpty } ? [] : ["files that do not decode"])
                + (check.duplicates.isEmpty ? [] : ["duplicates"])
            print("warning: \(root) has " + problems.joined(separator: " and ") + " (see above): herd train skips the "
                + "files that do not decode and trains on duplicates as they are; remove them for a clean set")
        }
    }

    static let selfie2cage = Subcommand(["data", "selfie2cage"], spec: CommandSpec(
        name: "herd data selfie2cage",
        abstract: "Build selfie2cage: UCF selfies as domain A, one PubFig person's face crops as domain B.",
        discussion: """
            Domain A: SELFIE/images/*.jpg listed in SELFIE/selfie_dataset.txt, filtered by attribute
            (--exclude, --require; names as in the data set's README, e.g. partial_faces, wearing_sunglasses,
            is_female), center-cropped and resized to --load-size.
            Domain B: the rows of the PubFig urls file for --person whose image you downloaded into
            --pubfig-images as '<person>_<imagenum>.<ext>' (spaces or underscores) or '<md5>.<ext>'. Files
            with the wrong MD5 are rejected; the face rectangle is enlarged by --margin into a square inside
            the image; faces under --min-face pixels are rejected; near-duplicates (perceptual hash within
            --hash-threshold bits) are dropped; crops are resized to --load-size.
            The train/test split is deterministic (--seed) with no duplicate across it.
            """,
        options: [
            .value("selfie", "DIR", help: "UCF Selfie root (images/ and selfie_dataset.txt).",
                   default: "datasets/selfie (where 'herd data download selfie' puts it)"),
            .value("pubfig-urls", "FILE", help: "PubFig dev_urls.txt or eval_urls.txt."),
            .value("person", "NAME", help: "PubFig person for domain B.", default: "Nicolas Cage"),
            .value("pubfig-images", "DIR", help: "Folder of the downloaded PubFig images.",
                   default: "datasets/pubfig (where 'herd data pubfig' puts them)"),
            .value("out", "ROOT", help: "Dataset root to create.", default: "datasets/selfie2cage"),
            .value("exclude", "A,B", help: "Skip selfies with any of these attributes.",
                   default: "partial_faces,wearing_sunglasses"),
            .value("require", "A,B", help: "Keep only selfies with all of these attributes.", default: "none"),
            .value("margin", "X", help: "Face rectangle enlargement.", default: "1.6"),
            .value("min-face", "PX", help: "Reject faces whose longer side is under this.", default: "96"),
            .value("load-size", "PX", help: "Output image width and height.", default: "286"),
            .value("hash-threshold", "BITS", help: "Near-duplicate if perceptual hashes differ in at most this many bits.",
                   default: "6"),
            .value("test-fraction", "F", help: "Share of each domain put in testA/testB.", default: "0.1"),
            .value("max-selfies", "N", help: "Keep at most N selfies (a seeded sample).", default: "all"),
            .value("seed", "S", help: "Seed of the split and sampling.", default: "1"),
            .value("format", "jpg|png", help: "Output format.", default: "jpg"),
            .value("quality", "Q", help: "JPEG quality.", default: "95"),
        ],
        examples: [
            "herd data selfie2cage --pubfig-urls eval_urls.txt   # after 'herd data download selfie' and 'herd data pubfig'",
            "herd data selfie2cage --selfie ~/Selfie-dataset --pubfig-urls eval_urls.txt "
                + "--person 'Nicolas Cage' --pubfig-images ~/pubfig --out datasets/selfie2cage",
        ])) { args in
        var options = Selfie2Cage.Options(
            selfieRoot: args.string("selfie", default: "datasets/selfie"), pubfigURLs: try args.required("pubfig-urls"),
            person: args.string("person", default: "Nicolas Cage"),
            pubfigImages: args.string("pubfig-images", default: "datasets/pubfig"),
            output: args.string("out", default: "datasets/selfie2cage"))
        func list(_ name: String, _ fallback: String) -> [String] {
            let raw = args.string(name, default: fallback)
            return raw == "none" ? [] : raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        options.exclude = list("exclude", "partial_faces,wearing_sunglasses")
        options.require = list("require", "none")
        options.margin = try args.double("margin") ?? 1.6
        options.minFace = try args.int("min-face", default: 96, minimum: 1)
        options.loadSize = try args.int("load-size", default: 286, minimum: 8)
        options.hashThreshold = try args.int("hash-threshold", default: 6, minimum: 0)
        options.testFraction = try args.double("test-fraction") ?? 0.1
        options.seed = UInt64(clamping: try args.int("seed", default: 1, minimum: 0))
        if let raw = args.string("max-selfies"), raw != "all" { options.maxSelfies = try args.int("max-selfies", default: 0, minimum: 1) }
        switch args.string("format", default: "jpg") {
        case "jpg", "jpeg": options.jpegQuality = try args.int("quality", default: 95, minimum: 1)
        case "png": options.jpegQuality = nil
        case let other: throw UsageError.invalidValue(option: "--format", value: other, expected: "jpg or png")
        }
        var bar: Console.Progress? = nil
        var phase = ""
        let report = try Selfie2Cage.run(options) { label, done, total in
            if label != phase {
                bar?.finish()
                phase = label
                bar = Console.Progress(label, total: total)
            }
            bar?.update(done)
        }
        bar?.finish()
        for note in report.notes.prefix(50) { print("  " + note) }
        if report.notes.count > 50 { print("  ... and \(report.notes.count - 50) more") }
        print(report.text)
        print("wrote \(options.output)/{trainA,trainB,testA,testB}")
    }
}
