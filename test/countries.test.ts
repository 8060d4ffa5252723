// Which codes are countries, their names in a letter's language, and what a mistyped country means: the pure
// core over Node's ICU data, milliseconds each.
import { describe, expect, it } from "vitest";
import { countryCodes, countryName, isCountryCode, suggestCountryCode } from "../src/core/countries.js";

describe("country codes", () => {
  it("are the 249 ISO 3166-1 alpha-2 codes and Kosovo's XK, upper case only", () => {
    expect(countryCodes()).toHaveLength(250);
    expect(["NO", "GB", "TJ", "XK"].every(isCountryCode)).toBe(true);
    for (const code of ["no", "UK", "SU", "EU", "UN", "ZZ", "XA", "XB", "QO", "AC", "N0", "NOR"])
      expect(isCountryCode(code)).toBe(false);
  });

  it("have names in the letter's language, falling back to English for a language ICU lacks", () => {
    expect(countryName("NO", "fr")).toBe("Norvège");
    expect(countryName("NO", "ru")).toBe("Норвегия");
    expect(countryName("NO", "pt-BR")).toBe("Noruega");
    expect(countryName("NO", "zz-unknown")).toBe("Norway");
    expect(countryName("UK", "en")).toBeUndefined();
  });

  it("are suggested for a name in English or a template language, a typo, a lower-case or an old code", () => {
    const cases: Record<string, string | undefined> = {
      Norway: "NO",
      Norvège: "NO",
      Норвегия: "NO",
      Norwey: "NO",
      no: "NO",
      UK: "GB",
      "United Kingdom": "GB",
      "United States of America": "US",
      "Republic of Tajikistan": "TJ",
      Atlantis: undefined,
    };
    for (const [input, code] of Object.entries(cases))
      expect(suggestCountryCode(input, ["fr", "ru"])).toBe(code);
    expect(suggestCountryCode("Deutschland")).toBeUndefined();
    expect(suggestCountryCode("Deutschland", ["de"])).toBe("DE");
  });
});
