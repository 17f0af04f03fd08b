/// Where a run's validation images live, as their writer (`herd train`, the coordinator)
/// lays them out and the dashboard reads them:
///
///     VAL/epoch_NNN/NAME.png   one row per validation image (NNN: the epoch, zero-padded to 3 digits or more)
///     VAL/epoch_NNN/grid.png   the epoch's rows stacked
///     VAL/index.html           every epoch's rows side by side
public enum GalleryLayout {
    /// The stacked rows of one epoch, inside its directory.
    public static let gridName = "grid.png"
    /// The page listing every epoch, inside the validation directory.
    public static let indexName = "index.html"

    /// The directory name of an epoch: `epoch_` and zero-padded digits (`epoch_007`).
    public static func directoryName(epoch: Int) -> String {
        let digits = String(max(0, epoch))
        return "epoch_" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }

    /// The epoch of a directory called `epoch_` followed by 1 to 6 digits, else nil.
    public static func epoch(directoryName name: String) -> Int? {
        guard name.hasPrefix("epoch_") else { return nil }
        let digits = name.dropFirst(6)
        guard (1...6).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }
}
