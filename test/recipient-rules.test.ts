// The rules of recipient files on the pure core, case by case: how defaults merge under a recipient, which
// value of a field per language a letter takes, and how a problem repeated over a file is said once.
import { describe, expect, it } from "vitest";
import { mergeDefaults, writtenAt } from "../src/core/file-defaults.js";
import { localizeRecipient } from "../src/core/localized.js";
import { groupRepeated, type Problem } from "../src/core/problems.js";
import { recipientSchema } from "../src/core/schema.js";

describe("file defaults", () => {
  const defaults = {
    type: "embassy",
    tags: ["osce", "vienna"],
    provenance: { source: "https://osce.example.org", verified_on: "2012-07-20" },
    address_block: ["Vienna"],
  };

  it("merge mappings key by key, add tags and attachments, and let the recipient's text and lists win", () => {
    const merged = mergeDefaults(defaults, {
      id: "a",
      type: "ngo",
      tags: ["vienna", "nordic"],
      provenance: { verified_on: "2013-01-01" },
      address_block: ["Oslo"],
    });
    expect(merged).toEqual({
      id: "a",
      type: "ngo",
      tags: ["osce", "vienna", "nordic"],
      provenance: { source: "https://osce.example.org", verified_on: "2013-01-01" },
      address_block: ["Oslo"],
    });
  });

  it("point a merged value at the line it was written on: the recipient's, or the defaults'", () => {
    const recipient = { id: "a", tags: ["vienna", "nordic"], provenance: { verified_on: "x" } };
    const at = (path: PropertyKey[]) => writtenAt(path, defaults, recipient, ["recipients", 2]);
    expect(at(["provenance", "verified_on"])).toEqual(["recipients", 2, "provenance", "verified_on"]);
    expect(at(["provenance", "source"])).toEqual(["defaults", "provenance", "source"]);
    expect(at(["type"])).toEqual(["defaults", "type"]);
    expect(at(["tags", 1])).toEqual(["defaults", "tags", 1]);
    // The merged tags are osce, vienna, nordic: the third is the recipient's second ("vienna" was dropped).
    expect(at(["tags", 2])).toEqual(["recipients", 2, "tags", 1]);
    expect(at(["salutation"])).toEqual(["recipients", 2, "salutation"]);
  });
});

describe("fields per language", () => {
  const recipient = recipientSchema.parse({
    id: "a",
    organisation: { "en-GB": "Embassy of France", fr: "Ambassade de France" },
    type: "embassy",
    salutation: { en: "Your Excellency,", pt: "Excelência," },
    honorific: "H.E.",
  });

  it("keep one value for whatever lists the recipient: the first written", () => {
    expect(recipient.organisation).toBe("Embassy of France");
    expect(recipient.honorific).toBe("H.E.");
  });

  it("fall back as templates do: pt-BR, pt, the default language, the first written", () => {
    const inPortuguese = localizeRecipient(recipient, "pt-BR", "en-GB");
    expect(inPortuguese.recipient.salutation).toBe("Excelência,");
    expect(inPortuguese.recipient.organisation).toBe("Embassy of France");
    expect(inPortuguese.fellBack).toEqual(["organisation"]);
    const inFrench = localizeRecipient(recipient, "fr", "en-GB");
    expect(inFrench.recipient).toMatchObject({
      organisation: "Ambassade de France",
      salutation: "Your Excellency,",
    });
    expect(inFrench.fellBack).toEqual(["salutation"]);
    expect("translations" in inFrench.recipient).toBe(false);
    expect(localizeRecipient(recipient, "de", "ru").recipient.salutation).toBe("Your Excellency,");
  });
});

describe("problems repeated over a file", () => {
  const problem = (index: number, value: string): Problem => ({
    severity: "error",
    file: "recipients/x.yaml",
    line: 10 * index + 5,
    field: `[${index}].country`,
    message: `"${value}" is not a country code`,
  });

  it("are one problem from three on, with the next lines and the count; fewer stay as they are", () => {
    expect(groupRepeated([problem(0, "Norway"), problem(1, "Sweden")])).toHaveLength(2);
    const grouped = groupRepeated([0, 1, 2, 3, 4].map((index) => problem(index, `Land ${index}`)));
    expect(grouped).toHaveLength(1);
    expect(grouped[0]?.message).toBe(
      '"Land 0" is not a country code (and 4 more recipients in this file, at lines 15, 25, 35, …)',
    );
  });
});
