/// Length-limited Huffman code lengths from symbol frequencies, shared by the
/// DEFLATE compressor and the JPEG encoder.
enum HuffmanCodeLengths {
    /// Code length per symbol (0 for unused symbols), no code longer than `maxLength`.
    ///
    /// A plain Huffman tree is built first; if it is too deep, lengths are
    /// shortened with the bit-count adjustment of ITU T.81 Annex K.3 (which keeps
    /// the code complete), and then handed out shortest-first to the most frequent
    /// symbols. With `minimumSymbols` (2 for DEFLATE) rarely used trees are padded
    /// with extra symbols so that every decoder accepts them.
    static func compute(frequencies: [Int], maxLength: Int, minimumSymbols: Int = 1) -> [UInt8] {
        var freq = frequencies
        var used = freq.indices.filter { freq[$0] > 0 }
        var pad = 0
        while used.count < minimumSymbols && pad < freq.count {
            if freq[pad] == 0 {
                freq[pad] = 1
                used.append(pad)
            }
            pad += 1
        }
        var lengths = [UInt8](repeating: 0, count: freq.count)
        if used.isEmpty { return lengths }
        if used.count == 1 {
            lengths[used[0]] = 1
            return lengths
        }
        // Two-queue Huffman construction over leaves sorted by frequency.
        let leaves = used.sorted { (freq[$0], $0) < (freq[$1], $1) }
        let leafCount = leaves.count
        var weight = leaves.map { freq[$0] } + [Int](repeating: 0, count: leafCount - 1)
        var parent = [Int](repeating: -1, count: 2 * leafCount - 1)
        var nextLeaf = 0, nextNode = leafCount, nodeCount = leafCount
        func takeSmallest() -> Int {
            if nextLeaf < leafCount && (nextNode >= nodeCount || weight[nextLeaf] <= weight[nextNode]) {
                nextLeaf += 1
                return nextLeaf - 1
            }
            nextNode += 1
            return nextNode - 1
        }
        while nodeCount < 2 * leafCount - 1 {
            let a = takeSmallest(), b = takeSmallest()
            weight[nodeCount] = weight[a] + weight[b]
            parent[a] = nodeCount
            parent[b] = nodeCount
            nodeCount += 1
        }
        // Depth of every node: the root is the last node; parents come after children.
        var depth = [Int](repeating: 0, count: nodeCount)
        for node in stride(from: nodeCount - 2, through: 0, by: -1) { depth[node] = depth[parent[node]] + 1 }
        let maxDepth = depth[0..<leafCount].max() ?? 0
        var bitCounts = [Int](repeating: 0, count: max(maxDepth, maxLength) + 1)
        for leaf in 0..<leafCount { bitCounts[depth[leaf]] += 1 }
        // Annex K.3: move pairs of the longest codes up until none exceeds maxLength.
        var i = maxDepth
        while i > maxLength {
            while bitCounts[i] > 0 {
                var j = i - 2
                while j > 0 && bitCounts[j] == 0 { j -= 1 }
                bitCounts[i] -= 2
                bitCounts[i - 1] += 1
                bitCounts[j + 1] += 2
                bitCounts[j] -= 1
            }
            i -= 1
        }
        // Shortest codes to the most frequent symbols.
        let byFrequency = used.sorted { (freq[$0], -$0) > (freq[$1], -$1) }
        var k = 0
        for length in 1...maxLength {
            for _ in 0..<bitCounts[length] {
                lengths[byFrequency[k]] = UInt8(length)
                k += 1
            }
        }
        return lengths
    }

    /// Canonical codes (MSB-first values) for the given lengths, as DEFLATE and JPEG assign them.
    static func canonicalCodes(lengths: [UInt8]) -> [UInt32] {
        let maxLength = Int(lengths.max() ?? 0)
        var counts = [Int](repeating: 0, count: maxLength + 2)
        for l in lengths where l > 0 { counts[Int(l)] += 1 }
        var next = [UInt32](repeating: 0, count: maxLength + 2)
        var code: UInt32 = 0
        if maxLength >= 1 {
            for bits in 1...maxLength {
                code = (code + UInt32(counts[bits - 1])) << 1
                next[bits] = code
            }
        }
        // counts[0] must not contribute: codes start at 0 for the shortest length.
        var codes = [UInt32](repeating: 0, count: lengths.count)
        for (symbol, l) in lengths.enumerated() where l > 0 {
            codes[symbol] = next[Int(l)]
            next[Int(l)] += 1
        }
        return codes
    }
}
