import { median } from "../support/median";

describe("the median of a benchmark's trials", () => {
  it("is the middle figure of an odd count, whatever the order", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([5])).toBe(5);
  });
  it("is the mean of the two middle figures of an even count", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it("refuses an empty list rather than print NaN", () => {
    expect(() => median([])).toThrow(/no figures/);
  });
});
