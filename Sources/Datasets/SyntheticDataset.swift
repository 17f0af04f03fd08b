import Foundation
import Imaging

/// A synthetic unpaired dataset a tiny CycleGAN learns in minutes.
///
/// Domain A: one to three smooth blobs (ellipses with a gently wobbling
/// outline), each filled with a solid color, on a plain background.
/// Domain B: the same kind of blobs on the same kind of background, filled
/// with bold black-and-white zebra stripes (a few pixels wide, random
/// direction, slightly wavy). Translating A to B means "paint stripes inside
/// the shapes", B to A "fill them with a color": a local texture change, like
/// horse2zebra, but learnable by a small network on two cores.
///
/// Images are written as PNGs in the CycleGAN layout
/// `ROOT/{trainA,trainB,testA,testB}/synth_NNNNN.png`. Everything is a pure
/// function of the seed: the same arguments give byte-identical files.
public enum SyntheticDataset {
    /// The two domains.
    public enum Domain: String, Sendable, CaseIterable {
        case a = "A"
        case b = "B"
    }

    /// How many test images per domain accompany `count` training images.
    public static func testCount(forTrainCount count: Int) -> Int { max(2, count / 10) }

    /// Writes `count` training images per domain (and ``testCount(forTrainCount:)``
    /// test images per domain) of `size` x `size` pixels under `root`.
    ///
    /// - Throws: ``DatasetError/invalidArgument(_:)`` for a size below 8 or a
    ///   count below 1; ``DatasetError/io(path:reason:)`` when a folder or file
    ///   cannot be written.
    public static func write(to root: String, size: Int, count: Int, seed: UInt64,
                             progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws(DatasetError)
    {
        guard size >= 8 else { throw .invalidArgument("synthetic image size must be at least 8, got \(size)") }
        guard count >= 1 else { throw .invalidArgument("synthetic image count must be at least 1, got \(count)") }
        let tests = testCount(forTrainCount: count)
        let total = 2 * (count + tests)
        var done = 0
        for (split, n) in [("train", count), ("test", tests)] {
            for domain in Domain.allCases {
                let folder = FileIO.join(root, split + domain.rawValue)
                try FileIO.createDirectory(folder)
                for index in 0..<n {
                    let image = sample(domain: domain, size: size, seed: seed, stream: split, index: index)
                    let name = "synth_" + String(format: "%05d", index) + ".png"
                    try FileIO.write(PNGEncoder.encode(image), to: FileIO.join(folder, name))
                    done += 1
                    progress?(done, total)
                }
            }
        }
    }

    /// One image of `domain`: RGB, 8-bit, `size` x `size`.
    ///
    /// `stream` and `index` select an independent random draw ("train"/"test"
    /// and the image number); A and B draws never share shapes (unpaired data).
    public static func sample(domain: Domain, size: Int, seed: UInt64, stream: String = "train", index: Int) -> Image {
        var rng = SeededGenerator(seed: seed, stream: stream + domain.rawValue, index: index)
        let s = Double(size)
        let background = randomColor(&rng, saturation: 0.35, lightness: 0.35...0.85)
        let shapeCount = 1 + Int(rng.next() % 3)
        var blobs: [Blob] = []
        for _ in 0..<shapeCount {
            var blob = Blob(
                cx: rng.uniform(0.25...0.75) * s, cy: rng.uniform(0.25...0.75) * s,
                rx: rng.uniform(0.16...0.34) * s, ry: rng.uniform(0.16...0.34) * s,
                angle: rng.uniform(0...Double.pi),
                wobble: rng.uniform(0...0.12), lobes: Double(2 + Int(rng.next() % 3)), phase: rng.uniform(0...6.3),
                color: randomColor(&rng, saturation: 0.9, lightness: 0.3...0.7),
                stripePeriod: rng.uniform(0.14...0.22) * s, stripeAngle: rng.uniform(0...Double.pi),
                stripeWave: rng.uniform(0...0.12) * s, stripeWaveLength: rng.uniform(0.5...1.0) * s)
            // Keep the fill clearly different from the background.
            if colorDistance(blob.color, background) < 0.35 {
                blob.color = (1 - background.0, 1 - background.1, 1 - background.2)
            }
            blobs.append(blob)
        }
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        // 4x4 supersampling for smooth (anti-aliased) outlines and stripes.
        let sub = 4
        for y in 0..<size {
            for x in 0..<size {
                var acc = (0.0, 0.0, 0.0)
                for sy in 0..<sub {
                    for sx in 0..<sub {
                        let px = Double(x) + (Double(sx) + 0.5) / Double(sub)
                        let py = Double(y) + (Double(sy) + 0.5) / Double(sub)
                        var c = background
                        for blob in blobs where blob.contains(px, py) {
                            c = domain == .a ? blob.color : blob.stripe(px, py)
                        }
                        acc.0 += c.0
                        acc.1 += c.1
                        acc.2 += c.2
                    }
                }
                let n = Double(sub * sub)
                let o = (y * size + x) * 3
                pixels[o] = UInt8((acc.0 / n * 255).rounded().clamped(0, 255))
                pixels[o + 1] = UInt8((acc.1 / n * 255).rounded().clamped(0, 255))
                pixels[o + 2] = UInt8((acc.2 / n * 255).rounded().clamped(0, 255))
            }
        }
        return Image(width: size, height: size, channels: 3, pixels: pixels)
    }

    private typealias RGB = (Double, Double, Double)

    private struct Blob {
        var cx, cy, rx, ry, angle, wobble, lobes, phase: Double
        var color: RGB
        var stripePeriod, stripeAngle, stripeWave, stripeWaveLength: Double

        func contains(_ x: Double, _ y: Double) -> Bool {
            let dx = x - cx, dy = y - cy
            let u = (dx * cos(angle) + dy * sin(angle)) / rx
            let v = (-dx * sin(angle) + dy * cos(angle)) / ry
            let theta = atan2(v, u)
            let radius = 1 + wobble * sin(lobes * theta + phase)
            return u * u + v * v <= radius * radius
        }

        /// Black or white: bands across `stripeAngle`, bent by a sine wave like a zebra's.
        func stripe(_ x: Double, _ y: Double) -> RGB {
            let along = x * cos(stripeAngle) + y * sin(stripeAngle)
            let across = -x * sin(stripeAngle) + y * cos(stripeAngle)
            let t = (along + stripeWave * sin(2 * Double.pi * across / stripeWaveLength)) / stripePeriod
            let frac = t - t.rounded(.down)
            return frac < 0.5 ? (0.04, 0.04, 0.04) : (0.96, 0.96, 0.96)
        }
    }

    private static func randomColor(_ rng: inout SeededGenerator, saturation: Double,
                                    lightness: ClosedRange<Double>) -> RGB
    {
        let hue = rng.uniform(0...1)
        let l = rng.uniform(lightness)
        // HSL with the given saturation.
        let c = (1 - abs(2 * l - 1)) * saturation
        let h = hue * 6
        let x = c * (1 - abs(h.truncatingRemainder(dividingBy: 2) - 1))
        let (r, g, b): RGB
        switch Int(h) {
        case 0: (r, g, b) = (c, x, 0)
        case 1: (r, g, b) = (x, c, 0)
        case 2: (r, g, b) = (0, c, x)
        case 3: (r, g, b) = (0, x, c)
        case 4: (r, g, b) = (x, 0, c)
        default: (r, g, b) = (c, 0, x)
        }
        let m = l - c / 2
        return (r + m, g + m, b + m)
    }

    private static func colorDistance(_ a: RGB, _ b: RGB) -> Double {
        ((a.0 - b.0) * (a.0 - b.0) + (a.1 - b.1) * (a.1 - b.1) + (a.2 - b.2) * (a.2 - b.2)).squareRoot()
    }
}

extension Double {
    func clamped(_ lo: Double, _ hi: Double) -> Double { Swift.min(hi, Swift.max(lo, self)) }
}
