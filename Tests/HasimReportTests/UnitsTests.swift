import Testing
@testable import HasimReport

@Suite struct UnitsTests {
    @Test func durationsReadInTheUnitADBAExpects() {
        #expect(Units.duration(seconds: 0) == "0 s")
        #expect(Units.duration(seconds: 0.0129) == "12.9 ms")
        #expect(Units.duration(seconds: 4.25) == "4.25 s")
        #expect(Units.duration(seconds: 45.3) == "45.3 s")
        #expect(Units.duration(seconds: 1150.4) == "19.2 min")
        #expect(Units.duration(seconds: 305.6) == "5.09 min")
        #expect(Units.duration(seconds: 9000) == "2.50 h")
    }

    @Test func clockAndSpans() {
        #expect(Units.clock(0) == "0:00.0")
        #expect(Units.clock(300_000_000_000) == "5:00.0")
        #expect(Units.clock(850_320_000_000, fractionDigits: 2) == "14:10.32")
        #expect(Units.clock(3_723_500_000_000) == "1:02:03.5")
        #expect(Units.span(1_800_000_000_000) == "30 min")
        #expect(Units.span(330_000_000_000) == "5 min 30 s")
        #expect(Units.span(800_000) == "800 µs")
        #expect(Units.span(1_500_000_000) == "1.5 s")
    }

    @Test func countsAreIntegersWhenIntegral() {
        #expect(Units.count(14) == "14")
        #expect(Units.count(14.333) == "14.3")
        #expect(Units.count(0.6667) == "0.67")
    }
}
