/// Machine-independent draws. The standard library's `Double.random(in:using:)`
/// and `Int.random(in:using:)` do not promise a fixed algorithm across Swift
/// versions, and libm's `log` may differ in the last bit across C libraries,
/// so everything here is spelled out with integer operations and plain IEEE
/// `+ - * /` and `sqrt` (exactly rounded everywhere).
extension RandomNumberGenerator {
    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform integer in `0..<bound` (Lemire's multiply-shift with rejection); 0 when `bound <= 1`.
    public mutating func nextIndex(below bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// Two independent standard normal draws (Marsaglia's polar form of Box–Muller).
    public mutating func nextNormalPair() -> (Double, Double) {
        while true {
            let u = 2 * nextUnitDouble() - 1
            let v = 2 * nextUnitDouble() - 1
            let s = u * u + v * v
            if s >= 1 || s == 0 { continue }
            let factor = (-2 * PortableMath.log(s) / s).squareRoot()
            return (u * factor, v * factor)
        }
    }

    /// `count` draws from N(0, std²), rounded to Float; pairs are used in order.
    public mutating func normalFloats(count: Int, std: Double) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(count)
        while out.count < count {
            let (a, b) = nextNormalPair()
            out.append(Float(a * std))
            if out.count < count { out.append(Float(b * std)) }
        }
        return out
    }
}

/// Deterministic elementary functions built from exactly rounded operations.
public enum PortableMath {
    /// Natural logarithm, accurate to a few ulps and bitwise identical on every
    /// IEEE-754 machine. `-inf` for 0, `nan` for negatives and nan.
    public static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x.isInfinite { return x }
        // x = m * 2^e with m in [sqrt(1/2), sqrt(2)).
        var m = x.significand
        var e = Double(x.exponent)
        if m > 1.4142135623730951 {
            m /= 2
            e += 1
        }
        // log(m) = 2 atanh(t), t = (m-1)/(m+1), |t| < 0.172: the odd series converges fast.
        let t = (m - 1) / (m + 1)
        let t2 = t * t
        var term = t
        var sum = 0.0
        var k = 1.0
        for _ in 0..<24 {
            sum += term / k
            term *= t2
            k += 2
        }
        return 2 * sum + e * 0.6931471805599453
    }
}
