import Testing
import Tensor

@Suite struct TimingsTests {
    @Test func medianOfAnOddCountIsTheMiddleValue() {
        #expect([3.0, 1.0, 2.0].median == 2.0)
    }

    @Test func medianOfAnEvenCountIsTheMeanOfTheTwoMiddleValues() {
        #expect([4.0, 1.0, 3.0, 2.0].median == 2.5)
    }

    @Test func medianOfNoTimingsIsNil() {
        #expect([Double]().median == nil)
    }
}
