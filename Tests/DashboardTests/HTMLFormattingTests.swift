import Foundation
import Testing
@testable import Dashboard

@Suite struct HTMLFormattingTests {
    @Test func numbersKeepSignificantDigitsAndShortExponents() {
        #expect(HTML.number(0.37381) == "0.3738")
        #expect(HTML.number(14.1234, significant: 3) == "14.1")
        #expect(HTML.number(2e-4, significant: 3) == "2e-4")
        #expect(HTML.number(1.5e-5) == "1.5e-5")
        #expect(HTML.number(1_234_567) == "1.235e6")
        #expect(HTML.number(0) == "0")
        #expect(HTML.number(.nan) == "NaN")
        #expect(HTML.number(-.infinity) == "-∞")
    }

    @Test func durationsGroupsTimesAndEscapes() {
        #expect(HTML.duration(11_520) == "3 h 12 min")
        #expect(HTML.duration(250) == "4 min 10 s")
        #expect(HTML.duration(9) == "9 s")
        #expect(HTML.duration(90_000) == "1 d 1 h")
        #expect(HTML.duration(.nan) == "–")
        #expect(HTML.grouped(1_234_567) == "1\u{2009}234\u{2009}567")
        #expect(HTML.grouped(-12) == "-12")
        #expect(HTML.time(Date(timeIntervalSince1970: 1_714_564_800)) == "2024-05-01 12:00:00 UTC")
        #expect(HTML.escape("<a href=\"x\">'&'</a>\u{1}") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\u{FFFD}")
    }
}
