import Datasets
import Testing
@testable import Cluster
import Hashing

/// Bytes of a hex string (test vectors).
func hexBytes(_ hex: String) -> [UInt8] {
    let chars = Array(hex.utf8)
    return stride(from: 0, to: chars.count, by: 2).map { i in
        UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) ?? 0
    }
}

@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func matchesFIPS180Vectors(message: String, digest: String) {
        #expect(SHA256.hash(Array(message.utf8)).hexString == digest)
    }

    @Test func millionAsMatchesFIPS180LongVector() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hash(message).hexString == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func incrementalUpdatesInAnySplitEqualOneShot() {
        var rng = SplitMix64(seed: 7)
        let message = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let expected = SHA256.hash(message)
        for split in [1, 3, 63, 64, 65, 127, 500, 999] {
            var h = SHA256()
            var i = 0
            while i < message.count {
                let end = min(message.count, i + split)
                h.update(message[i..<end])
                i = end
            }
            #expect(h.finalize() == expected, "split \(split)")
        }
    }
}

@Suite struct HMACTests {
    @Test(arguments: [
        (String(repeating: "0b", count: 20), "4869205468657265",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        ("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        (String(repeating: "aa", count: 20), String(repeating: "dd", count: 50),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        ("0102030405060708090a0b0c0d0e0f10111213141516171819", String(repeating: "cd", count: 50),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        (String(repeating: "aa", count: 131),
         "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ])
    func matchesRFC4231Vectors(key: String, data: String, mac: String) {
        #expect(HMACSHA256.mac(key: hexBytes(key), message: hexBytes(data)).hexString == mac)
    }

    @Test func rfc4231LongKeyLongDataVector() {
        let data = "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
        let mac = HMACSHA256.mac(key: [UInt8](repeating: 0xaa, count: 131), message: Array(data.utf8))
        #expect(mac.hexString == "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")
    }

    @Test func constantTimeEqualDetectsAnyDifference() {
        let a = [UInt8](repeating: 5, count: 32)
        #expect(HMACSHA256.constantTimeEqual(a, a))
        for i in 0..<32 {
            var b = a; b[i] ^= 1
            #expect(!HMACSHA256.constantTimeEqual(a, b))
        }
        #expect(!HMACSHA256.constantTimeEqual(a, Array(a.dropLast())))
    }
}

@Suite struct CRC32Tests {
    /// Bit-at-a-time reference.
    func slowCRC(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1 }
        }
        return ~crc
    }

    @Test func checkValueOf123456789() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }

    @Test func slicingByEightEqualsBitwiseReferenceForEveryLengthAndSplit() {
        var rng = SplitMix64(seed: 3)
        for length in [1, 7, 8, 9, 15, 16, 17, 100, 1023] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(CRC32.checksum(bytes) == slowCRC(bytes))
            var c = CRC32()
            let cut = length / 3
            c.update(Array(bytes[..<cut])); c.update(Array(bytes[cut...]))
            #expect(c.value == slowCRC(bytes))
        }
    }
}
