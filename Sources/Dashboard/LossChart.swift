/// A loss curve as an inline SVG: one term over global steps, with its value
/// range and step range labelled. Non-finite values leave gaps.
struct LossChart {
    var term: String
    /// (last global step averaged, steps averaged, value), in step order.
    var points: [(step: Int, count: Int, value: Double)]
    var color: String

    static let width = 320.0, height = 140.0
    static let left = 48.0, right = 8.0, top = 10.0, bottom = 22.0

    /// Colours per loss family: generator GAN terms, cycle, identity, total, discriminators.
    static func color(for term: String) -> String {
        switch term {
        case "G_gan_AB", "G_gan_BA": return "#2f6fdf"
        case "cycle_A", "cycle_B": return "#1f9d7a"
        case "idt_A", "idt_B": return "#8a5cd6"
        case "G": return "#1b2a4a"
        default: return "#d9731f"
        }
    }

    func svg() -> String {
        let w = Self.width, h = Self.height
        let x0 = Self.left, x1 = w - Self.right, y0 = Self.top, y1 = h - Self.bottom
        var out = "<svg class=\"chart\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"\(HTML.escape(term)) loss\">"
        out += "<title>\(HTML.escape(term)) loss per step</title>"
        let finite = points.filter { $0.value.isFinite }
        guard let first = points.first, let last = points.last, !finite.isEmpty else {
            out += "<rect x=\"\(x0)\" y=\"\(y0)\" width=\"\(x1 - x0)\" height=\"\(y1 - y0)\" class=\"plot\"/>"
            out += "<text x=\"\(w / 2)\" y=\"\(h / 2)\" class=\"empty\" text-anchor=\"middle\">"
            out += points.isEmpty ? "no steps yet" : "no finite values"
            out += "</text></svg>"
            return out
        }
        var lo = finite.map(\.value).min() ?? 0, hi = finite.map(\.value).max() ?? 1
        if lo >= 0 && lo <= hi * 0.5 { lo = 0 }  // losses are non-negative: anchor at 0 when it costs little
        if hi - lo <= max(abs(hi), 1) * 1e-9 {
            let pad = max(abs(hi) * 0.05, 1e-6)
            lo -= pad
            hi += pad
        } else {
            hi += (hi - lo) * 0.05
        }
        // The axis starts at the first step averaged into the first point.
        let firstStep = first.step - max(1, first.count) + 1
        let s0 = Double(firstStep), s1 = Double(max(last.step, firstStep + 1))
        func x(_ step: Int) -> Double { x0 + (Double(step) - s0) / (s1 - s0) * (x1 - x0) }
        func y(_ v: Double) -> Double { y1 - (v - lo) / (hi - lo) * (y1 - y0) }
        func f(_ v: Double) -> String { HTML.fixed(v, 1) }

        out += "<rect x=\"\(f(x0))\" y=\"\(f(y0))\" width=\"\(f(x1 - x0))\" height=\"\(f(y1 - y0))\" class=\"plot\"/>"
        for (k, v) in [lo, (lo + hi) / 2, hi].enumerated() {
            let gy = y(v)
            out += "<line x1=\"\(f(x0))\" x2=\"\(f(x1))\" y1=\"\(f(gy))\" y2=\"\(f(gy))\" class=\"grid\"/>"
            let dy = k == 0 ? -2.0 : k == 2 ? 9.0 : 3.5
            out += "<text x=\"\(f(x0 - 4))\" y=\"\(f(gy + dy))\" text-anchor=\"end\" class=\"tick\">\(HTML.number(v, significant: 3))</text>"
        }
        out += "<text x=\"\(f(x0))\" y=\"\(f(h - 6))\" class=\"tick\">step \(HTML.grouped(firstStep))</text>"
        out += "<text x=\"\(f(x1))\" y=\"\(f(h - 6))\" text-anchor=\"end\" class=\"tick\">\(HTML.grouped(last.step))</text>"

        // The raw points faint behind, an exponential moving average over them on top
        // (split at non-finite values so a NaN step shows as a gap, not a plunge).
        let smoothed = Self.smoothed(points.map(\.value))
        let showSmooth = points.count >= Self.smoothingMinimumPoints
        func polylines(_ values: [Double], cssClass: String, opacity: String, width: String) -> String {
            var segments: [[String]] = [[]]
            for (p, v) in zip(points, values) {
                if v.isFinite {
                    segments[segments.count - 1].append("\(f(x(p.step))),\(f(y(v)))")
                } else if !(segments.last?.isEmpty ?? true) {
                    segments.append([])
                }
            }
            var out = ""
            for segment in segments where !segment.isEmpty {
                if segment.count == 1 {
                    let xy = segment[0].split(separator: ",")
                    out += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"2\" fill=\"\(color)\" fill-opacity=\"\(opacity)\"/>"
                } else {
                    out += "<polyline class=\"\(cssClass)\" points=\"\(segment.joined(separator: " "))\" fill=\"none\" stroke=\"\(color)\" stroke-opacity=\"\(opacity)\" stroke-width=\"\(width)\" stroke-linejoin=\"round\"/>"
                }
            }
            return out
        }
        if showSmooth {
            out += polylines(points.map(\.value), cssClass: "raw", opacity: "0.25", width: "1")
            out += polylines(smoothed, cssClass: "smooth", opacity: "1", width: "1.8")
        } else {
            out += polylines(points.map(\.value), cssClass: "raw", opacity: "1", width: "1.5")
        }
        if let end = finite.last {
            out += "<circle cx=\"\(f(x(end.step)))\" cy=\"\(f(y(end.value)))\" r=\"2.5\" fill=\"\(color)\"/>"
        }
        return out + "</svg>"
    }

    /// Below this many points the curve is drawn raw only.
    static let smoothingMinimumPoints = 8

    /// An exponential moving average spanning about 1/25 of the points (at least 2):
    /// the trend of a noisy GAN loss. Non-finite values stay non-finite (gaps) and
    /// do not poison the average.
    static func smoothed(_ values: [Double]) -> [Double] {
        let span = max(2.0, Double(values.count) / 25)
        let alpha = 2 / (span + 1)
        var average: Double?
        return values.map { v in
            guard v.isFinite else { return v }
            let next = average.map { $0 + alpha * (v - $0) } ?? v
            average = next
            return next
        }
    }
}
