/// The one layout of a run's validation images, shared by the writers (`herd train`, the
/// coordinator) and the dashboard:
///
///     val/index.html               every epoch's rows, one section per epoch, appended
///     val/epoch_NNN/<row>.png      one row: real | translated | reconstructed
///     val/epoch_NNN/grid.png       the rows stacked
///
/// NNN is the epoch, zero-padded to at least 3 digits.
public enum GalleryLayout {
    /// The gallery's page inside the val directory.
    public static let indexName = "index.html"
    /// The stacked rows of an epoch.
    public static let gridName = "grid.png"

    /// The directory name of an epoch: `epoch_` and zero-padded digits (`epoch_007`).
    public static func directoryName(epoch: Int) -> String {
        let digits = String(max(0, epoch))
        return "epoch_" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }

    /// The directory of one epoch's images inside `validationDirectory`.
    public static func epochDirectory(_ validationDirectory: String, epoch: Int) -> String {
        validationDirectory + "/" + directoryName(epoch: epoch)
    }

    /// The epoch of a directory called `epoch_` followed by 1 to 6 digits, else nil.
    public static func epochNumber(directoryName name: String) -> Int? {
        guard name.hasPrefix("epoch_") else { return nil }
        let digits = name.dropFirst(6)
        guard (1...6).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    /// Image names served and listed: letters, digits, `.`, `_`, `-`, not starting with `.`,
    /// ending `.png`, at most 128 characters.
    public static func isServableImageName(_ name: String) -> Bool {
        guard name.count <= 128, name.hasSuffix(".png"), name.count > 4, let first = name.unicodeScalars.first,
              first != "." else { return false }
        return name.unicodeScalars.allSatisfy { c in
            c.isASCII && (("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "." || c == "_" || c == "-")
        }
    }
}
