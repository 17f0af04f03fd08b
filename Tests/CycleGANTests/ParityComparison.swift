import Foundation
@testable import CycleGAN

/// The comparison of `shared/tools/compare_parity.py`, with its tolerances:
///
///                               step 1    step 2    step 3+
///   out/*   max |d|             2e-4      5e-3      5e-2
///   loss/*  |d| / |ref|         1e-4      2e-3      2e-2
///   grad/*  ||d|| / ||ref||     2e-4      1e-2      0.2
///   param/* ||d|| / ||ref-init|| 2e-2     2e-2      0.2
///
/// Biases feeding an instance norm (reference gradient norm below 1e-8 of the
/// weight gradient's) are checked as the script does: gradient max |g| <=
/// 1e-4 ||g_weight||, parameter max |p - init| <= 3 · 2e-4 · step.
struct ParityComparison {
    struct Failure: CustomStringConvertible {
        let name: String
        let error: Double
        let tolerance: Double
        var description: String { "\(name): error \(error) > \(tolerance)" }
    }

    var missing: [String] = []
    var failures: [Failure] = []
    /// Worst error/tolerance ratio per kind.
    var worst: [String: (name: String, ratio: Double)] = [:]
    var checked = 0

    var passed: Bool { missing.isEmpty && failures.isEmpty }

    static func norm(_ v: [Float]) -> Double { v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }

    static func difference(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { $0 - $1 } }

    /// `biasBeforeNormThreshold`: the script's 1e-8 for float64 references; comparing two
    /// float32 runs needs a larger one, as both sides' gradients of those biases are rounding noise.
    init(reference: TensorArchive, candidate: TensorArchive, factor: Double = 1, biasBeforeNormThreshold: Double = 1e-8) {
        for entry in reference.entries {
            let name = entry.name
            if name.hasPrefix("init/") || name.contains("/input/") { continue }
            guard let other = candidate[name] else {
                missing.append(name)
                continue
            }
            guard other.shape == entry.shape else {
                failures.append(Failure(name: name + " (shape \(other.shape) != \(entry.shape))", error: .infinity, tolerance: 0))
                continue
            }
            let parts = name.split(separator: "/", maxSplits: 2).map(String.init)
            guard parts.count == 3, let stepNumber = Int(parts[0].dropFirst(4)) else { continue }
            let (step, kind, parameter) = (parts[0], parts[1], parts[2])
            let r = entry.values
            let c = other.values
            let d = Self.difference(c, r)
            checked += 1
            if (kind == "grad" || kind == "param") && parameter.hasSuffix(".bias"),
               let g = reference["\(step)/grad/\(parameter)"],
               let wg = reference["\(step)/grad/\(parameter.dropLast(5)).weight"],
               Self.norm(g.values) < biasBeforeNormThreshold * Self.norm(wg.values) {
                let error: Double
                let tolerance: Double
                if kind == "grad" {
                    error = Double(c.map { abs($0) }.max() ?? 0) / max(Self.norm(wg.values), 1e-30)
                    tolerance = 1e-4 * factor
                } else {
                    let initial = reference["init/" + parameter]?.values ?? []
                    error = Double(Self.difference(c, initial).map { abs($0) }.max() ?? 0) / (3 * 2e-4 * Double(stepNumber))
                    tolerance = factor
                }
                if !error.isFinite || error > tolerance { failures.append(Failure(name: name + " (bias before a norm)", error: error, tolerance: tolerance)) }
                continue
            }
            let k = min(stepNumber, 3) - 1
            let error: Double
            let tolerance: Double
            switch kind {
            case "out":
                error = Double(d.map { abs($0) }.max() ?? 0)
                tolerance = [2e-4, 5e-3, 5e-2][k] * factor
            case "loss":
                error = abs(Double(d[0])) / max(abs(Double(r[0])), 1e-12)
                tolerance = [1e-4, 2e-3, 2e-2][k] * factor
            case "grad":
                error = Self.norm(d) / max(Self.norm(r), 1e-30)
                tolerance = [2e-4, 1e-2, 0.2][k] * factor
            case "param":
                let initial = reference["init/" + parameter]?.values ?? []
                error = Self.norm(d) / max(Self.norm(Self.difference(r, initial)), 1e-30)
                tolerance = [2e-2, 2e-2, 0.2][k] * factor
            default:
                continue
            }
            if !error.isFinite || error > tolerance { failures.append(Failure(name: name, error: error, tolerance: tolerance)) }
            if error / tolerance > (worst[kind]?.ratio ?? -1) { worst[kind] = (name, error / tolerance) }
        }
    }

    var summary: String {
        let worstText = worst.sorted { $0.key < $1.key }.map { "\($0.key) worst \(String(format: "%.3g", $0.value.ratio)) of tolerance at \($0.value.name)" }
        return (worstText + missing.prefix(3).map { "missing \($0)" } + failures.prefix(10).map { "FAIL \($0)" }).joined(separator: "\n")
    }
}
