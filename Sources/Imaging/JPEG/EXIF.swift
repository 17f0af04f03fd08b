/// Reads the orientation tag of an EXIF (APP1) segment.
enum EXIF {
    /// The orientation (1...8) in IFD0 of an APP1 payload, or `nil` when absent or unreadable.
    static func orientation(app1 s: UnsafeBufferPointer<UInt8>) -> Int? {
        // "Exif\0\0", then a TIFF header: byte order, 42, offset of IFD0.
        guard s.count >= 14, s[0] == 0x45, s[1] == 0x78, s[2] == 0x69, s[3] == 0x66, s[4] == 0, s[5] == 0 else {
            return nil
        }
        let tiff = 6
        let little: Bool
        switch (s[tiff], s[tiff + 1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ p: Int) -> Int? {
            guard p >= 0, p + 2 <= s.count else { return nil }
            return little ? Int(s[p]) | Int(s[p + 1]) << 8 : Int(s[p]) << 8 | Int(s[p + 1])
        }
        func u32(_ p: Int) -> Int? {
            guard let a = u16(p), let b = u16(p + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(tiff + 2) == 42, let ifd = u32(tiff + 4), let entries = u16(tiff + ifd) else { return nil }
        for i in 0..<min(entries, 512) {
            let e = tiff + ifd + 2 + 12 * i
            guard let tag = u16(e) else { return nil }
            if tag == 0x0112 {
                guard u16(e + 2) == 3, let value = u16(e + 8), (1...8).contains(value) else { return nil }
                return value
            }
        }
        return nil
    }
}
