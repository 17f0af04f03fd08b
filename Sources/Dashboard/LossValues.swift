/// The nine CycleGAN loss terms of one step (or the mean over several steps).
///
/// Names follow the parity fixtures: `G_gan_AB`, `G_gan_BA` (LSGAN generator
/// losses), `cycle_A`, `cycle_B` (cycle L1 x lambda), `idt_A`, `idt_B`
/// (identity L1 x lambda x lambda_identity), `G` (their sum), `D_A`, `D_B`.
public struct LossValues: Sendable, Codable, Equatable {
    public var gGanAB: Double
    public var gGanBA: Double
    public var cycleA: Double
    public var cycleB: Double
    public var idtA: Double
    public var idtB: Double
    public var g: Double
    public var dA: Double
    public var dB: Double

    /// The terms' names in display order.
    public static let names = ["G_gan_AB", "G_gan_BA", "cycle_A", "cycle_B", "idt_A", "idt_B", "G", "D_A", "D_B"]

    enum CodingKeys: String, CodingKey {
        case gGanAB = "G_gan_AB", gGanBA = "G_gan_BA", cycleA = "cycle_A", cycleB = "cycle_B"
        case idtA = "idt_A", idtB = "idt_B", g = "G", dA = "D_A", dB = "D_B"
    }

    public init(gGanAB: Double, gGanBA: Double, cycleA: Double, cycleB: Double,
                idtA: Double, idtB: Double, g: Double, dA: Double, dB: Double) {
        self.gGanAB = gGanAB
        self.gGanBA = gGanBA
        self.cycleA = cycleA
        self.cycleB = cycleB
        self.idtA = idtA
        self.idtB = idtB
        self.g = g
        self.dA = dA
        self.dB = dB
    }

    /// From the nine values in `names` order; nil unless there are exactly nine.
    public init?(_ values: [Double]) {
        guard values.count == 9 else { return nil }
        self.init(gGanAB: values[0], gGanBA: values[1], cycleA: values[2], cycleB: values[3],
                  idtA: values[4], idtB: values[5], g: values[6], dA: values[7], dB: values[8])
    }

    /// The nine values in `names` order.
    public var values: [Double] { [gGanAB, gGanBA, cycleA, cycleB, idtA, idtB, g, dA, dB] }

    /// The value of the term called `name` (one of `names`).
    public subscript(name: String) -> Double? {
        guard let k = Self.names.firstIndex(of: name) else { return nil }
        return values[k]
    }
}

/// One point of a loss curve: the mean of `count` consecutive steps ending at `step`.
public struct LossPoint: Sendable, Codable, Equatable {
    /// Global step of the last step averaged into this point.
    public var step: Int
    /// How many steps were averaged.
    public var count: Int
    public var losses: LossValues

    public init(step: Int, count: Int = 1, losses: LossValues) {
        self.step = step
        self.count = count
        self.losses = losses
    }

    /// The count-weighted mean of two consecutive points.
    func merged(with later: LossPoint) -> LossPoint {
        let total = count + later.count
        let a = Double(count) / Double(total), b = Double(later.count) / Double(total)
        let mean = zip(losses.values, later.losses.values).map { a * $0 + b * $1 }
        return LossPoint(step: later.step, count: total, losses: LossValues(mean) ?? later.losses)
    }
}
