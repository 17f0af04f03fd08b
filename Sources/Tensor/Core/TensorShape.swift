/// The dimensions of a tensor, outermost first (images are `[N, C, H, W]`).
///
/// A rank-0 shape (`[]`) describes a scalar and has `count == 1`.
public struct TensorShape: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// Sizes of each axis, outermost first.
    public var dims: [Int]

    public init(_ dims: [Int]) { self.dims = dims }

    public init(arrayLiteral elements: Int...) { self.dims = elements }

    /// Number of elements: the product of `dims` (1 for rank 0). Negative sizes count as 0 and
    /// a product that would overflow saturates at `Int.max`, so this never traps.
    public var count: Int {
        var product = 1
        for d in dims {
            let (next, overflow) = product.multipliedReportingOverflow(by: Swift.max(d, 0))
            if overflow { return Int.max }
            product = next
        }
        return product
    }

    /// Number of axes.
    public var rank: Int { dims.count }

    /// Size of `axis` (0-based, must be `< rank`).
    public subscript(_ axis: Int) -> Int { dims[axis] }

    /// True when every size is non-negative and the element count fits in memory-addressable range.
    public var isValid: Bool {
        dims.allSatisfy { $0 >= 0 } && count < (1 << 40)
    }

    /// `[1, 3, 32, 32]`
    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
}
