import HasimKernel
import Testing
@testable import HasimReport

@Suite struct UnitsTests {
    /// The one duration format (issue 14): the same function writes tables, reports,
    /// parameters, `check`, `explain` and `list`.
    @Test func durationsReadInTheUnitADBAExpects() {
        #expect(Time.text(seconds: 0) == "0 s")
        #expect(Time.text(800_000) == "800 µs")
        #expect(Time.text(seconds: 0.0129) == "12.9 ms")
        #expect(Time.text(seconds: 0.85) == "850 ms")
        #expect(Time.text(seconds: 0.9999) == "1 s")
        #expect(Time.text(seconds: 4.25) == "4.25 s")
        #expect(Time.text(seconds: 4.2) == "4.2 s")
        #expect(Time.text(1_500_000_000) == "1.5 s")
        #expect(Time.text(seconds: 45.3) == "45.3 s")
        #expect(Time.text(seconds: 59.97) == "1 min")
        #expect(Time.text(seconds: 245.4) == "4 min 05 s")
        #expect(Time.text(seconds: 1150.4) == "19 min 10 s")
        #expect(Time.text(1_800_000_000_000) == "30 min")
        #expect(Time.text(330_000_000_000) == "5 min 30 s")
        #expect(Time.text(seconds: 7380) == "2 h 03 min")
        #expect(Time.text(seconds: 6 * 3600) == "6 h")
        #expect(Time.text(-1_500_000_000) == "-1.5 s")
    }

    @Test func clockTimes() {
        #expect(Units.clock(0) == "0:00.0")
        #expect(Units.clock(300_000_000_000) == "5:00.0")
        #expect(Units.clock(850_320_000_000, fractionDigits: 2) == "14:10.32")
        #expect(Units.clock(3_723_500_000_000) == "1:02:03.5")
    }

    @Test func countsAreIntegersWhenIntegral() {
        #expect(Units.count(14) == "14")
        #expect(Units.count(14.333) == "14.3")
        #expect(Units.count(0.6667) == "0.67")
    }
}
