import Console
import Foundation
import Imaging

/// `herd image ...` and `herd bench images`: look at, convert and resize images; codec throughput.
enum ImageCommands {
    static let commands: [Subcommand] = [info, decode, resize, bench]

    static let info = Subcommand(["image", "info"], spec: CommandSpec(
        name: "herd image info",
        abstract: "Show an image's format, size, channels, JPEG sampling factors and progressive flag.",
        arguments: [ArgumentSpec("FILE", help: "JPEG or PNG files.", isVariadic: true)],
        examples: ["herd image info photo.jpg", "herd image info datasets/horse2zebra/trainA/*.jpg"])) { args in
        guard !args.positionals.isEmpty else { throw UsageError.missingArgument("FILE") }
        var failed = 0
        for path in args.positionals {
            do throws(ImageError) {
                let bytes = try ImageCodec.readFile(path)
                let info = try ImageCodec.info(bytes)
                print("\(path): \(info.summary), \(bytes.count) bytes")
            } catch {
                if case .unreadableFile = error {
                    CommandLineTool.printError("\(error)")
                } else {
                    CommandLineTool.printError("\(path): \(error)")
                }
                failed += 1
            }
        }
        if failed > 0 { throw CommandFailure("\(failed) of \(args.positionals.count) files could not be read") }
    }

    static let decode = Subcommand(["image", "decode"], spec: CommandSpec(
        name: "herd image decode",
        abstract: "Decode a JPEG or PNG and write it as PNG, JPEG or raw samples.",
        discussion: """
            .raw output holds the interleaved samples, row-major, 16-bit samples big-endian: the format of
            the codec conformance files. JPEGs are turned upright by their EXIF orientation unless --no-orient.
            """,
        options: [
            .value("out", "OUT", help: "Output file (.png, .jpg or .raw)."),
            .value("quality", "Q", help: "JPEG quality for .jpg output.", default: "90"),
            .flag("no-orient", help: "Keep JPEG pixels in stored order (ignore EXIF orientation)."),
        ],
        arguments: [ArgumentSpec("FILE", help: "JPEG or PNG to decode.")],
        examples: ["herd image decode photo.jpg --out photo.png", "herd image decode photo.jpg --out photo.raw"])) { args in
        let path = try args.positional(0, name: "FILE")
        let out = try args.required("out")
        let bytes = try ImageCodec.readFile(path)
        let image: Image
        do throws(ImageError) {
            image = try ImageCodec.decode(bytes, maxPixels: ImageCodec.defaultMaxPixels, applyOrientation: !args.flag("no-orient"))
        } catch {
            throw ImageError.inFile(path: path, error)
        }
        try ImageWriter.write(image, to: out, jpegQuality: try args.int("quality", default: 90, minimum: 1))
        print("\(path) -> \(out): \(image.width)x\(image.height), \(image.channels) channels, \(image.bitDepth)-bit")
    }

    static let resize = Subcommand(["image", "resize"], spec: CommandSpec(
        name: "herd image resize",
        abstract: "Resize an image with Pillow's bicubic filter (what CycleGAN's loader uses).",
        options: [
            .value("out", "OUT", help: "Output file (.png, .jpg or .raw)."),
            .value("quality", "Q", help: "JPEG quality for .jpg output.", default: "90"),
        ],
        arguments: [ArgumentSpec("FILE", help: "JPEG or PNG."), ArgumentSpec("WxH", help: "New size, e.g. 286x286.")],
        examples: ["herd image resize photo.jpg 286x286 --out small.png"])) { args in
        let path = try args.positional(0, name: "FILE")
        let sizeText = try args.positional(1, name: "WxH")
        let parts = sizeText.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0, w <= 65535, h <= 65535 else {
            throw UsageError.invalidValue(option: "WxH", value: sizeText, expected: "a size like 286x286")
        }
        let out = try args.required("out")
        let image = try ImageCodec.decode(file: path)
        let resized = image.resizedBicubic(width: w, height: h)
        try ImageWriter.write(resized, to: out, jpegQuality: try args.int("quality", default: 90, minimum: 1))
        print("\(path) \(image.width)x\(image.height) -> \(out) \(w)x\(h)")
    }

    static let bench = Subcommand(["bench", "images"], spec: CommandSpec(
        name: "herd bench images",
        abstract: "Measure JPEG/PNG decode and bicubic resize throughput on the codec conformance photos.",
        discussion: """
            Decodes every JPEG and PNG of the folder repeatedly (single thread) and resizes the decoded
            photos to 286x286, CycleGAN's load size. Reports images/s, MB/s of compressed input and
            megapixels/s.
            """,
        options: [
            .value("dir", "DIR", help: "Folder of JPEG/PNG files (required outside a developers' checkout).",
                   default: "../shared/data/codec-conformance when present"),
            .value("seconds", "S", help: "Minimum time per measurement.", default: "2"),
        ],
        examples: ["herd bench images", "herd bench images --dir datasets/horse2zebra/trainA --seconds 5"])) { args in
        let dir = args.string("dir", default: "../shared/data/codec-conformance")
        let seconds = try args.double("seconds") ?? 2
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw CommandFailure("cannot list \(dir)" + (args.string("dir") == nil
                ? " (the developers' fixtures beside the repository, absent in a plain clone)" : "")
                + "; pass --dir with a folder of JPEG/PNG files, e.g. --dir datasets/horse2zebra/trainA")
        }
        var jpegs: [[UInt8]] = [], pngs: [[UInt8]] = []
        for name in names.sorted() {
            let lower = name.lowercased()
            guard lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") || lower.hasSuffix(".png"),
                  let bytes = try? ImageCodec.readFile(dir + "/" + name) else { continue }
            if lower.hasSuffix(".png") { pngs.append(bytes) } else { jpegs.append(bytes) }
        }
        guard !jpegs.isEmpty || !pngs.isEmpty else { throw CommandFailure("no JPEG or PNG files in \(dir)") }
        for (label, files) in [("JPEG decode", jpegs), ("PNG decode", pngs)] where !files.isEmpty {
            var pixels = 0
            for file in files {
                let image = try ImageCodec.decode(file)
                pixels += image.width * image.height
            }
            let result = try measure(seconds: seconds) {
                for file in files { _ = try ImageCodec.decode(file) }
                return (files.count, files.reduce(0) { $0 + $1.count })
            }
            report(label, result, megapixelsPerRound: Double(pixels) / 1e6)
        }
        // Resize the distinct photos (the conformance variants share two sources; any folder works).
        let photos = try (jpegs + pngs).map { try ImageCodec.decode($0).rgb8() }
        let pixels = photos.reduce(0) { $0 + $1.width * $1.height }
        let result = try measure(seconds: seconds) {
            for photo in photos { _ = photo.resizedBicubic(width: 286, height: 286) }
            return (photos.count, photos.reduce(0) { $0 + $1.pixels.count })
        }
        report("resize to 286x286", result, megapixelsPerRound: Double(pixels) / 1e6)
    }

    /// Runs `body` (one round: returns images and bytes handled) until `seconds` have passed.
    private static func measure(seconds: Double, _ body: () throws -> (images: Int, bytes: Int)) throws
        -> (images: Int, bytes: Int, seconds: Double, rounds: Int)
    {
        var images = 0, bytes = 0, rounds = 0
        let start = Date()
        repeat {
            let r = try body()
            images += r.images
            bytes += r.bytes
            rounds += 1
        } while Date().timeIntervalSince(start) < seconds
        return (images, bytes, Date().timeIntervalSince(start), rounds)
    }

    /// One result line; MB/s counts the input bytes (compressed files, or decoded pixels for resize).
    private static func report(_ label: String, _ r: (images: Int, bytes: Int, seconds: Double, rounds: Int),
                               megapixelsPerRound: Double)
    {
        let perImage = r.seconds / Double(r.images) * 1000
        let line = String(format: "%@ %8.1f images/s  %7.2f MB/s  %6.1f Mpixel/s  %6.2f ms/image",
                          label.padding(toLength: 18, withPad: " ", startingAt: 0),
                          Double(r.images) / r.seconds, Double(r.bytes) / 1e6 / r.seconds,
                          megapixelsPerRound * Double(r.rounds) / r.seconds, perImage)
        print(line)
    }
}

/// A command failure reported as `error: <message>` with exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
